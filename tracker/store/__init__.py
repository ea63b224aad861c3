"""The event store: the only code that speaks SQL to the log.

- :mod:`tracker.store.protocol`: the ``Store`` protocol every backend implements (read it
  first: it states the contract);
- :mod:`tracker.store.rows`: the row types and the event <-> stored-row mapping, the chain
  hash and the transaction-time format;
- :mod:`tracker.store.sql`: the ``events`` table, its columns and its queries;
- :mod:`tracker.store.derived`: the derived tables' SQL (checkpoints, structure);
- :mod:`tracker.store.sqlite`: the SQLite backend;
- :mod:`tracker.store.postgres`: the PostgreSQL backend (set-up in
  :mod:`tracker.store.postgres_setup`), imported only for a ``postgresql://`` location;
- :mod:`tracker.store.placing`: the backend-independent half of an append.

:func:`open_store` picks the backend for a location; :func:`read_snapshot` is the one way the
audits open a store (read-only, one consistent snapshot).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracker.store.rows import (
    GENESIS_HASH,
    AppendResult,
    Head,
    KnownAt,
    Prepared,
    Row,
    RowFilter,
    StoredEvent,
    chain_hash,
    decode,
    format_timestamp,
    prepare,
    record_bytes,
)
from tracker.store.sqlite import OPTIMISTIC_BATCH, SQLiteStore, is_store

if TYPE_CHECKING:
    from pathlib import Path
    from typing import TypeAlias

    from tracker.store.postgres import PostgresStore
    from tracker.store.protocol import AppendListener, BulkListener, Store

    Location: TypeAlias = str | Path
    """Where a store is: an SQLite file's path, or a ``postgresql://`` URL (kept as text: a
    ``Path`` would fold its ``//``)."""

URL_SCHEMES = ("postgresql://", "postgres://")

_PROTOCOL = frozenset({"AppendListener", "BulkListener", "Store"})


def __getattr__(name: str) -> Any:
    """The protocol's names, imported on first use (``from tracker.store import Store``), not
    with the package: a query names ``Store`` only in annotations, and the protocol classes
    are a share of its start-up (issue 16)."""
    if name in _PROTOCOL:
        from tracker.store import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_url(location: object) -> bool:
    """True for a PostgreSQL location, False for an SQLite path."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def location(given: str | Path) -> Location:
    """A store location as given: a URL stays text, anything else is a file path."""
    if is_url(given):
        return given
    from pathlib import Path  # here: a query opens its store by name (see tracker.paths)

    return Path(given)


def spelled(given: str | Path) -> str:
    """A store location as text, without :mod:`pathlib`: a URL as given, a file's path as
    ``str(Path(given))`` spells it (:func:`tracker.paths.spelled`)."""
    if is_url(given):
        return str(given)
    from tracker.paths import spelled as spelled_path

    return spelled_path(given)


def store_name(given: str | Path) -> str:
    """What messages and reports call a store: its path, or its URL with any password
    masked."""
    if is_url(given):
        from tracker.store.postgres_setup import parse_location

        return parse_location(str(given)).shown
    return str(given)


def exists(given: str | Path) -> bool:
    """Whether there is a store to open there (a file; a schema on the server)."""
    if not is_url(given):
        from tracker.paths import exists as file_exists

        return file_exists(spelled(given))
    from tracker.store.postgres import schema_present

    return schema_present(str(given))


def open_store(path: str | Path, *, create: bool = True) -> Store:
    """The store at ``path``: a PostgreSQL store for a ``postgresql://`` URL, else an SQLite
    file (``create=False``: it must exist already)."""
    if is_url(path):
        from tracker.store.postgres import PostgresStore

        return PostgresStore(str(path), create=create)
    return SQLiteStore(path, create=create)


@contextmanager
def read_snapshot(
    path: str | Path, *, checked: bool = True
) -> Iterator[SQLiteStore | PostgresStore]:
    """An existing store opened read-only, inside one read transaction: every read in the
    block sees the same log, even while other processes append, and the store cannot change.
    ``checked=False`` accepts any SQLite file (``verify`` then reports what is wrong)."""
    store: SQLiteStore | PostgresStore
    if is_url(path):
        from tracker.store.postgres import PostgresStore

        store = PostgresStore(str(path), create=False, readonly=True)
    else:
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
    "RowFilter",
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
