"""The ``merkle_hashes`` table: the log's Merkle tree, kept beside the hash chain.

Contract (every backend, see :mod:`tracker.store.protocol`): the tree over the log is the
sequence of the hashes of its complete subtrees, numbered by :func:`tracker.merkle.stored_index`
(the order in which the hashes become known); leaf ``seq - 1`` is
``SHA-256(0x00 || record_bytes(row))``, the record the chain hashes. The table stores that
sequence in *runs*: a row ``(id, hash)`` holds the consecutive 32-byte hashes at positions
``id, id + 1, ...`` concatenated (``len(hash)`` a multiple of 32), and the runs tile positions
``0 .. stored_count(n) - 1`` of a log of ``n`` events without gap or overlap. An append writes
its batch's new hashes as one run (:func:`new_hashes`; at most :data:`RUN` hashes a row), in
the batch's transaction: one row per batch instead of two per event, because a row costs the
insert and the append-only trigger far more than its bytes (measured at 100k events: two
rows per event added about 7 µs per event, a third of a bulk import). A row of one hash is a
run too, so a store written one hash per row reads the same. Like ``events``, nothing in the
table is ever updated or deleted (SQLite: triggers; PostgreSQL: ``id BIGINT PRIMARY KEY,
hash BYTEA NOT NULL`` and an INSERT-only role).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from tracker.store.rows import Row, record_bytes

if TYPE_CHECKING:
    from tracker.merkle import Frontier

TABLE = "merkle_hashes"
HASH = 32
RUN = 4096
"""At most this many hashes (128 KiB) in one row: a bulk batch's run stays one row."""
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


AT = (
    "SELECT id, substr(hash, (? - id) * 32 + 1, 32), length(hash) FROM merkle_hashes "
    "WHERE id <= ? ORDER BY id DESC LIMIT 1"
)
"""The run holding position ``?`` (given twice): its id, the 32 bytes at that position and
the run's length in bytes (the position is in the run only if it lies within that length)."""


def hash_in_run(position: int, found: tuple[Any, Any, Any] | None) -> bytes | None:
    """The hash at ``position`` from the :data:`AT` row found for it, or None if no run holds
    it (a gap, or beyond the end: damage)."""
    if found is None:
        return None
    start, data, length = found
    if data is None or (position - start + 1) * HASH > int(length):
        return None
    return bytes(data)


def expand(runs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """``(position, hash)`` of every stored hash, from the runs in id order: what ``verify``
    compares hash by hash. A run that is not bytes, or whose length is not a multiple of 32,
    yields its odd part as it is at its position, so the comparison finds it."""
    for start, data in runs:
        if not isinstance(data, (bytes, memoryview)):
            yield start, data
            continue
        data = bytes(data)
        for k in range(0, len(data), HASH):
            yield start + k // HASH, data[k : k + HASH]


def new_hashes(frontier: Frontier, rows: Iterable[Row]) -> list[tuple[int, bytes]]:
    """The ``(id, run)`` rows that appending ``rows`` to the tree ``frontier`` adds (the
    frontier is advanced): the batch's new hashes, in runs of at most :data:`RUN`."""
    from tracker.merkle import leaf_hashes, stored_count  # here: queries never hash

    start = stored_count(frontier.size)
    hashes = frontier.extend(leaf_hashes(record_bytes(r[11], r[0], r[10]) for r in rows))
    return [(start + i, b"".join(hashes[i : i + RUN])) for i in range(0, len(hashes), RUN)]
