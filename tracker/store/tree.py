"""The ``merkle_hashes`` table: the log's Merkle tree, kept beside the hash chain.

Contract (every backend, see :mod:`tracker.store.protocol`): one row per complete subtree of
the tree over the log, ``id`` = :func:`tracker.merkle.stored_index` (the order in which the
hashes become known), ``hash`` = its 32 bytes; leaf ``seq - 1`` is
``SHA-256(0x00 || record_bytes(row))``, the record the chain hashes. A log of ``n`` events has
exactly :func:`tracker.merkle.stored_count` ``(n)`` rows, ids ``0 .. stored_count(n) - 1``.
The rows of a batch are written in the batch's transaction (:func:`new_hashes`), and, like
``events``, nothing in the table is ever updated or deleted (SQLite: triggers; PostgreSQL:
``id BIGINT PRIMARY KEY, hash BYTEA NOT NULL`` and an INSERT-only role).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tracker.store.rows import Row, record_bytes

if TYPE_CHECKING:
    from tracker.merkle import Frontier

TABLE = "merkle_hashes"
SCHEMA = """
CREATE TABLE merkle_hashes (
    id   INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TRIGGER merkle_hashes_no_update BEFORE UPDATE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: UPDATE refused'); END;
CREATE TRIGGER merkle_hashes_no_delete BEFORE DELETE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: DELETE refused'); END;
CREATE TRIGGER merkle_hashes_no_replace BEFORE INSERT ON merkle_hashes
WHEN EXISTS (SELECT 1 FROM merkle_hashes WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only: REPLACE refused'); END;
"""
INSERT = "INSERT INTO merkle_hashes (id, hash) VALUES (?, ?)"
SCAN = "SELECT id, hash FROM merkle_hashes ORDER BY id"
COUNT = "SELECT count(*) FROM merkle_hashes"


def schema_statements() -> list[str]:
    return [s for s in SCHEMA.split(";\n") if s.strip()]


def select(count: int) -> str:
    """``id, hash`` of ``count`` given ids."""
    return f"SELECT id, hash FROM merkle_hashes WHERE id IN ({','.join('?' * count)})"


def new_hashes(frontier: Frontier, rows: Iterable[Row]) -> list[tuple[int, bytes]]:
    """The ``(id, hash)`` rows that appending ``rows`` to the tree ``frontier`` adds (the
    frontier is advanced)."""
    from tracker.merkle import leaf_hash, stored_count  # here: queries never hash

    start = stored_count(frontier.size)
    leaves = [leaf_hash(record_bytes(r[11], r[0], r[10])) for r in rows]
    return list(enumerate(frontier.extend(leaves), start))
