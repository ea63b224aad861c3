"""The ``Store`` protocol: everything the application asks of a backend.

A backend (SQLite today: :class:`tracker.store.sqlite.SQLiteStore`; PostgreSQL next) is one
class that implements these methods; nothing else in the application speaks SQL to the log.
The contract every backend keeps:

The log (append-only, hash-chained)
    Rows are :class:`~tracker.store.rows.Row`; positions ``seq`` are 1, 2, ... without gaps;
    ``recorded_at`` is UTC text in :data:`~tracker.store.rows.TIMESTAMP_FORMAT` and never
    decreases; ``hash`` = :func:`~tracker.store.rows.chain_hash` of the previous hash and the
    row. Nothing is ever updated or deleted (the backend enforces it: triggers in SQLite,
    roles in PostgreSQL). The same events give the same bytes, chain and head in any backend.

Writing
    :meth:`Store.append` appends a batch atomically under the write lock, so concurrent writers
    queue instead of forking the chain; an ``event_id`` already stored with the same body is a
    no-op reporting its position, with another body a :class:`~tracker.errors.ConflictError`
    (nothing written). ``recorded_at`` is read from ``clock`` only once the lock is held.
    Inside the batch's transaction, after the rows are written, each entry of
    :attr:`Store.listeners` is called with ``(store, rows)``; a listener that raises rolls
    the batch back (reference checks and checkpoints hook in here).
    :meth:`Store.transaction` is the one write transaction: every append and derived-table
    write inside it is one all-or-nothing unit (a failed ``append`` in it undoes only itself);
    listeners that are :class:`BulkListener` get ``begin_bulk``/``end_bulk``/``abort_bulk``.
    Nested blocks join the outer one.

The Merkle tree (beside the chain)
    The backend keeps the RFC 6962 Merkle tree of the log in the table ``merkle_hashes``
    (``id`` integer primary key, ``hash`` a run of 32-byte hashes; the layout and its exact
    contract are in :mod:`tracker.store.tree`): :meth:`Store.append` writes, in the batch's
    transaction and after the rows, the ``(id, run)`` rows
    :func:`tracker.store.tree.new_hashes` returns for the new rows, starting from the
    frontier read back by position. After ``n`` events the runs hold exactly
    ``stored_count(n)`` hashes; the table is never updated or deleted from (enforced as for
    the log). :meth:`Store.tree_hashes` reads hashes by position, :meth:`Store.tree_runs`
    all of them in order. Proofs and checkpoints (:mod:`tracker.transparency`) need nothing
    else, so every backend gives the same roots and proofs for the same log.

Reading
    Reads see a consistent log; :meth:`Store.snapshot` pins one snapshot for a series of reads
    (audits). :meth:`Store.rows` takes one :class:`~tracker.store.rows.RowFilter`; other
    reads take the dyad in party order (``party_a < party_b``: :func:`events.dyad.dyad_of`),
    dates as ISO text, and ``max_seq`` = "as the log stood at that position" (transaction
    time; see :meth:`Store.known_seq`).

Derived tables
    Checkpoints (one row per dyad and day: the decayed sums, label, counts), structural status
    changes and projection metadata (layout, model, fingerprint). They are disposable:
    :meth:`Store.derived_layout` tells whether they exist in the current layout,
    :meth:`Store.create_derived` (re)creates them empty. Checkpoint rows are plain tuples in
    :data:`~tracker.store.derived.CHECKPOINT_FIELDS` order, read back with the status JSON in
    force on their day appended (``None`` before the first change). A backend may keep a
    search index of the events' text, which it creates and extends itself
    (:meth:`Store.rebuild_search` refills it from the log); what a search finds is the same
    on every backend (:mod:`tracker.store.search`).

Errors
    A backend raises only :class:`~tracker.errors.StoreError` subclasses, naming the store
    (``field="store"``, ``value`` = its path or address), never a CLI flag.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from events.named import NamedTuple
from tracker.store.rows import ALL_ROWS, AppendResult, Head, KnownAt, Prepared, Row, RowFilter

if TYPE_CHECKING:
    from projections.facts import Fact

AppendListener = Callable[["Store", Sequence[Row]], None]
"""Called inside the append transaction with the rows just written (projections hook here)."""

CheckpointRow = tuple[Any, ...]
"""A stored checkpoint: :data:`~tracker.store.derived.CHECKPOINT_FIELDS`, then status JSON."""


class StoreDescription(NamedTuple):
    """What a store holds, for ``tracker info``: its tables with their row counts, its schema
    version and its size on disk (the file, or the schema's relations on the server)."""

    backend: str
    """``sqlite`` or ``postgresql``"""
    name: str
    schema_version: int
    tables: Mapping[str, int]
    """table -> rows, in name order"""
    size_bytes: int | None


@runtime_checkable
class BulkListener(Protocol):
    """A listener that, inside :meth:`Store.transaction`, may defer its work to the end."""

    def begin_bulk(self) -> None: ...

    def end_bulk(self, store: Store) -> None: ...

    def abort_bulk(self) -> None: ...


class Store(Protocol):
    """One event log with its derived tables (see the module docstring for the contract)."""

    listeners: list[AppendListener]
    name: str
    """What errors and reports call the store (its path, or a connection address)."""

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(self, *exc: object) -> None: ...

    # -- writing -----------------------------------------------------------------------------
    def append(
        self,
        batch: Sequence[Prepared],
        *,
        recorded_at: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> list[AppendResult]:
        """Append a batch atomically; one result per input, in input order."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """The write transaction: everything inside commits together or not at all."""
        ...

    # -- reading the log ---------------------------------------------------------------------
    def snapshot(self) -> AbstractContextManager[None]:
        """One consistent view of the store for every read inside the block."""
        ...

    def head(self) -> Head:
        """Position, hash and time of the last event (seq 0 and 64 zeros when empty)."""
        ...

    def count(self) -> int: ...

    def count_without_prefix(self, prefix: str) -> int:
        """How many events have an id that does not start with ``prefix``."""
        ...

    def known_seq(self, known_at: KnownAt) -> int | None:
        """The log position a ``known_at`` stands for (a seq as given; a UTC moment: the last
        event recorded by then); None = the whole log."""
        ...

    def rows(self, where: RowFilter = ALL_ROWS) -> Iterator[Row]:
        """Rows matching every filter of ``where``, in its order."""
        ...

    def row_by_id(self, event_id: str) -> Row | None: ...

    def latest_events(
        self, a: str, b: str, until: str, max_seq: int | None, limit: int
    ) -> list[tuple[Any, ...]]:
        """``(seq, event_id, occurred_on, type, actor, target, summary, records)`` of the
        dyad's ``limit`` latest events on or before ``until`` (record-keeping ones left out),
        newest first: the last-events list of ``state`` (the summary read by the database);
        ``records``, the same on every row, is true if the dyad has any record-keeping event
        up to ``max_seq`` (then the list must be read as the record stands)."""
        ...

    def facts(
        self, a: str, b: str, *, since: str | None = None, max_seq: int | None = None
    ) -> Iterator[Fact]:
        """A dyad's events as projection facts, in log order, reading the body only for
        structural and record-keeping types (the fold's hot path)."""
        ...

    def facts_by_dyad(
        self, *, max_seq: int | None = None
    ) -> Iterator[tuple[tuple[str, str], list[Fact]]]:
        """Every dyad's facts (those :meth:`facts` gives, in (day, seq) order), dyad by dyad
        in party order, from one streaming read: a whole-log fold (replay) pays no statement
        per dyad, and holds one dyad in memory."""
        ...

    def dyads(
        self, *, party: str | None = None, max_seq: int | None = None
    ) -> list[tuple[str, str]]:
        """Every dyad with an event (up to ``max_seq``), in party order."""
        ...

    def first_day(self, a: str, b: str) -> str | None:
        """The earliest ``occurred_on`` of the dyad (None: no events)."""
        ...

    def moved_dates(self, a: str, b: str) -> bool:
        """Whether a correction in the dyad changes an event's ``occurred_on``."""
        ...

    def scan(self) -> Generator[tuple[Any, ...], None, None]:
        """Every row, all columns as stored (:data:`~tracker.store.sql.EVENT_COLUMNS`), in
        log order, with no type conversion: what ``verify`` checks."""
        ...

    def chain(self, max_seq: int | None = None) -> Iterator[tuple[Any, Any, Any, Any]]:
        """``(seq, recorded_at, body, hash)`` as stored, in log order (what ``export`` writes)."""
        ...

    def chain_after(self, seq: int) -> tuple[Any, Any, Any, Any] | None:
        """The stored ``(seq, recorded_at, body, hash)`` right after ``seq``, if any."""
        ...

    # -- the Merkle tree ---------------------------------------------------------------------
    def tree_hashes(self, ids: Sequence[int]) -> list[bytes]:
        """The stored tree hashes at ``ids``, in that order (a missing one is damage:
        :class:`~tracker.errors.DamagedStoreError`)."""
        ...

    def tree_runs(self) -> Generator[tuple[Any, Any], None, None]:
        """Every stored ``(id, run)`` row in id order, values as stored (what ``verify``
        checks: :func:`tracker.store.tree.expand` gives each hash its position)."""
        ...

    def meta(self) -> dict[str, str]:
        """The store's ``meta`` rows (``app``, ``schema_version``, ``created_at``)."""
        ...

    def has_tree(self) -> bool:
        """Whether the store keeps the tree table (a schema version 1 store opened read-only
        does not; its tree is then computed from the log)."""
        ...

    # -- derived tables ----------------------------------------------------------------------
    def derived_layout(self) -> str | None:
        """The layout the derived tables were created with; None if they are missing."""
        ...

    def create_derived(self, layout: str) -> None:
        """Drop and create the derived tables empty, recording ``layout``."""
        ...

    def projection_meta(self) -> dict[str, str]:
        """Projection metadata (``model``, ``fingerprint``, ``layout``); empty if none."""
        ...

    def put_projection_meta(self, values: Mapping[str, str]) -> None: ...

    def clear_checkpoints(self, dyad: tuple[str, str] | None = None, since: str = "") -> None:
        """Delete checkpoints and status changes (of one dyad, from ``since`` on; or all)."""
        ...

    def write_checkpoints(
        self, rows: Sequence[tuple[Any, ...]], changes: Sequence[tuple[str, str, str, str]]
    ) -> None:
        """Insert checkpoint rows (``party_a, party_b`` then CHECKPOINT_FIELDS) and status
        changes ``(party_a, party_b, day, status JSON)``."""
        ...

    def checkpoints(self, a: str, b: str) -> list[CheckpointRow]:
        """Every checkpoint of a dyad, in day order, each with its status JSON."""
        ...

    def checkpoint_before(
        self, a: str, b: str, day: str, *, inclusive: bool
    ) -> CheckpointRow | None:
        """The last checkpoint before (or on, if ``inclusive``) ``day``: one indexed lookup."""
        ...

    def checkpoint_dyads(self, day: str, party: str | None = None) -> list[tuple[str, str]]:
        """Dyads with a checkpoint on or before ``day``."""
        ...

    def scan_checkpoints(self) -> Iterator[tuple[Any, ...]]:
        """Every checkpoint row exactly as stored (``party_a, party_b`` then CHECKPOINT_FIELDS,
        no status), in (dyad, day) order, streamed: what replay compares with."""
        ...

    def scan_structure(self) -> Iterator[tuple[Any, ...]]:
        """Every ``(party_a, party_b, day, status)`` row exactly as stored, in (dyad, day)
        order, streamed."""
        ...

    def rebuild_search(self) -> None:
        """Drop and refill the search index from the log (a backend that searches the log
        itself has nothing to do)."""
        ...

    def derived_dyads(self) -> set[tuple[str, str]]:
        """Every dyad with a row in a derived table."""
        ...

    def tables(self) -> set[str]:
        """The names of the tables in the store."""
        ...

    def describe(self) -> StoreDescription:
        """The store's tables and row counts, schema version and size (``tracker info``)."""
        ...
