"""The event store: the only code that speaks SQL to the log.

- :mod:`tracker.store.protocol`: the ``Store`` protocol every backend implements (read it
  first: it states the contract);
- :mod:`tracker.store.rows`: the row types and the event <-> stored-row mapping, the chain
  hash and the transaction-time format;
- :mod:`tracker.store.sql`: the ``events`` table, its columns and its queries;
- :mod:`tracker.store.derived`: the derived tables' SQL (checkpoints, structure);
- :mod:`tracker.store.sqlite`: the SQLite backend.

:func:`open_store` picks the backend for a location; :func:`read_snapshot` is the one way the
audits open a store (read-only, one consistent snapshot).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tracker.store.protocol import AppendListener, BulkListener, KnownAt, Store
from tracker.store.rows import (
    GENESIS_HASH,
    AppendResult,
    Head,
    Prepared,
    Row,
    StoredEvent,
    chain_hash,
    decode,
    format_timestamp,
    prepare,
    record_bytes,
)
from tracker.store.sqlite import OPTIMISTIC_BATCH, SQLiteStore, is_store


def open_store(path: str | Path, *, create: bool = True) -> Store:
    """The store at ``path`` (an SQLite file; ``create=False``: it must exist already)."""
    return SQLiteStore(path, create=create)


@contextmanager
def read_snapshot(path: str | Path, *, checked: bool = True) -> Iterator[SQLiteStore]:
    """An existing store opened read-only, inside one read transaction: every read in the
    block sees the same log, even while other processes append, and the file cannot change.
    ``checked=False`` accepts any SQLite file (``verify`` then reports what is wrong)."""
    store = SQLiteStore(path, create=False, readonly=True, checked=checked)
    try:
        with store.snapshot():
            yield store
    finally:
        store.close()


__all__ = [
    "GENESIS_HASH",
    "OPTIMISTIC_BATCH",
    "AppendListener",
    "AppendResult",
    "BulkListener",
    "Head",
    "KnownAt",
    "Prepared",
    "Row",
    "SQLiteStore",
    "Store",
    "StoredEvent",
    "chain_hash",
    "decode",
    "format_timestamp",
    "is_store",
    "open_store",
    "prepare",
    "read_snapshot",
    "record_bytes",
]
