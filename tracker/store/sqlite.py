"""The SQLite backend: one file holding the log (``meta``, ``events``) and its derived tables.

``meta(key, value)`` holds ``app`` = ``relations-tracker``, ``schema_version`` and
``created_at``; ``PRAGMA application_id`` marks the file as ours. The ``events`` table and its
queries are in :mod:`tracker.store.sql`, the Merkle tree's ``merkle_hashes`` in
:mod:`tracker.store.tree`, the derived tables' in :mod:`tracker.store.derived`.

Schema versions: 1 = the log; 2 = the log and its Merkle tree. A store of an older version is
upgraded in place, in one transaction, the first time it is opened for writing (version 1 to
2: the tree is computed from the log); a read-only open reads it as it is (the tree of a
version 1 store is then computed in memory when asked for); a newer version is refused, so
that older code never appends without keeping what the newer schema keeps.

Appends run in one ``BEGIN IMMEDIATE`` transaction, so a batch is all-or-nothing and
concurrent writers queue instead of forking the chain; :meth:`SQLiteStore.transaction` is the
one place that begins, commits and rolls back a write transaction. The append path stays on
the ``sqlite3`` module, not ``sqlite-utils``: a bulk import inserts millions of rows through
``executemany`` with prepared statements, which a row-dict API would slow several-fold.
``sqlite-utils`` creates the ``meta`` table and introspects the file for ``tracker info``
(:meth:`SQLiteStore.describe`); verify's schema reads stay on ``sqlite3`` (its import alone
cost a twentieth of a 100k-event verify). Each append also indexes the new rows'
text for search, in its transaction, with one ``INSERT ... SELECT`` run inside SQLite.

This module is over 400 lines because it is one backend: connecting and checking the file,
appending, the log reads and the derived-table reads and writes all share its connection and
its error mapping.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tracker import paths
from tracker.crashes import record_commit
from tracker.errors import (
    BusyStoreError,
    DamagedStoreError,
    DiskFullError,
    NewerSchemaError,
    NotAStoreError,
    ReadOnlyStoreError,
    StoreError,
    StoreNotFoundError,
)
from tracker.store import derived, sql, tree
from tracker.store.rows import (
    ALL_ROWS,
    EMPTY_HEAD,
    AppendResult,
    Head,
    KnownAt,
    Prepared,
    Row,
    RowFilter,
    check_known_at,
    format_timestamp,
    record_bytes,
)

if TYPE_CHECKING:
    from pathlib import Path

    import sqlite_utils

    from projections.facts import Fact
    from tracker import merkle
    from tracker.store.protocol import (
        AppendListener,
        BulkListener,
        CheckpointRow,
        StoreDescription,
    )

APP_NAME = "relations-tracker"
APPLICATION_ID = 0x52454C54  # "RELT": marks the file as ours (PRAGMA application_id)
SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 60.0
WAIT_NOTICE_S = 2.0
"""A writer that has waited this long for the lock says so (then waits up to BUSY_TIMEOUT_S)."""
wait_notice: Callable[[str], None] | None = None
"""Where that notice goes: the CLI sets it to print on standard error (a library prints
nothing by itself)."""
OPTIMISTIC_BATCH = 256
"""From this many events on, a batch is inserted before its ids are looked up (see append)."""
BULK_CACHE_KIB = 16 * 1024
"""SQLite's page cache during a bulk transaction (its default is 2 MiB). Random event ids and
dyads spread a bulk import's index inserts over whole B-trees; 16 MiB keeps far more of them in
memory (measured at 100k events: about 40 % less CPU for the inserts) while a million-event
import stays under 100 MB of peak memory."""
SET_ASIDE_TRIGGERS = ("events_no_replace", "merkle_hashes_no_replace")
"""Dropped when a bulk transaction begins and created again (same SQL) before it commits. They
guard against another program's ``INSERT OR REPLACE``; the store's own inserts are plain, which
the tables' own keys refuse on a stored ``seq``, ``event_id`` or tree position, and no other
connection can write while this one holds the write lock. Readers never see them missing (WAL:
the commit is the first they see of the transaction). Each costs one more index search per row:
at 1M events 4.5 µs of the 11 µs an event's insert takes without it."""
SET_ASIDE_INDEXES = ("events_dyad_date", "events_date")
"""When a bulk transaction begins on an empty log, built once from the loaded rows before it
commits instead of kept up row by row. Their keys (dyad, date) are in random order to the log's,
so each insert lands on a random page of a B-tree larger than the page cache: at 1M events the
load took 44.6 s with them and 15.8 s without, plus 3.4 s to build them after. (The event_id
key and the partial indexes of record-keeping events stay: the appends look them up.)"""


class SQLiteStore:
    """One SQLite file holding the log and its derived tables (implements ``Store``).

    ``create=False`` makes a missing file an error; ``readonly=True`` opens an existing store
    through a read-only connection (audits: the file cannot be changed through it), and with
    ``checked=False`` any SQLite file (``verify`` reports what is wrong with it instead).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        readonly: bool = False,
        checked: bool = True,
    ) -> None:
        self.name = paths.spelled(path)
        """The file's path, spelled as ``str(Path(path))`` spells it."""
        if "\x00" in self.name:  # (sqlite3 and os would raise a bare ValueError)
            raise StoreError(
                f"store {self.name!r}: a file name cannot contain a NUL character",
                field="store",
                value=self.name,
            )
        self.listeners: list[AppendListener] = []
        self._wrote = False
        # a store that cannot be written (read-only file, directory or media) is still read:
        # queries and audits work, and a write says why it cannot happen
        self.unwritable = None if readonly else _unwritable(self.name)
        self.readonly = readonly or self.unwritable is not None
        self._memory_tree: merkle.MemoryTree | None = None
        self._has_tree: bool | None = None
        self._search: bool | None = None
        self._records_index = False
        self._bulk = self._torn = False
        self.conn = (
            _connect_readonly(self.name, checked=checked)
            if self.readonly
            else _connect(self.name, create=create)
        )

    @property
    def path(self) -> Path:
        """The file (a :class:`pathlib.Path`, made on use: a query never asks for it)."""
        from pathlib import Path

        return Path(self.name)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Make every write inside the block one all-or-nothing transaction.

        Takes the write lock once (``BEGIN IMMEDIATE``); each ``append`` in the block runs as a
        savepoint of it (a failed append undoes only itself), listeners run as usual, and the
        whole block commits at the end or rolls back if it raises. Bulk imports use this to be
        atomic across many batches (bulk listeners defer their work to its end). Nested blocks
        join the outer one.
        """
        return self._write(bulk=True)

    @contextmanager
    def _write(self, *, bulk: bool) -> Iterator[None]:
        """The one place a write transaction begins, commits or rolls back."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        # listeners that can defer their work (checkpoints) do it once, before the commit
        from tracker.store.protocol import BulkListener  # here, not at the top: queries write not

        hooks: list[BulkListener] = []
        for candidate in self.listeners if bulk else ():
            if isinstance(candidate, BulkListener):
                hooks.append(candidate)
        if self.unwritable is not None:
            raise ReadOnlyStoreError(
                f"store {self.name!r}: cannot be written ({self.unwritable}); nothing was "
                "written (queries, verify, replay and export work on it read-only)",
                field="store",
                value=self.name,
            )
        self._begin()
        cache = conn.execute("PRAGMA cache_size").fetchone()[0] if bulk else None
        self._bulk, self._torn = bulk, False
        try:
            set_aside: list[str] = []
            if bulk:
                conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
                set_aside = self._set_aside()
            for hook in hooks:
                hook.begin_bulk()
            yield
            if self._torn:
                raise StoreError(
                    f"{self.name}: a bulk append failed after writing; nothing was committed"
                )
            for statement in set_aside:  # (before the hooks: their folds read by dyad)
                conn.execute(statement)
            for hook in hooks:
                hook.end_bulk(self)
            self._guard(lambda: conn.execute("COMMIT"))
        except BaseException as exc:
            for hook in hooks:
                hook.abort_bulk()
            if conn.in_transaction:  # (SQLite itself rolls back on a full disk)
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and _environmental(exc):
                raise self._damaged(exc) from None
            raise
        else:
            if bulk or self._wrote:
                record_commit()  # (for the crash message: "the log is unchanged" stays true)
        finally:
            self._bulk = self._torn = self._wrote = False
            if cache is not None:
                conn.execute(f"PRAGMA cache_size = {cache}")

    def _set_aside(self) -> list[str]:
        """Drop what a bulk transaction need not maintain row by row (see
        :data:`SET_ASIDE_TRIGGERS`, :data:`SET_ASIDE_INDEXES`) and return the statements that
        make it again, as the file held them (what it lacked stays lacking, for verify to
        report). A rollback brings them back by itself."""
        conn = self.conn
        names = list(SET_ASIDE_TRIGGERS)
        if conn.execute(sql.ANY_EVENT).fetchone() is None:
            names.extend(SET_ASIDE_INDEXES)
        found = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('events', "
            f"'merkle_hashes') AND name IN ({','.join('?' * len(names))}) ORDER BY rowid",
            names,
        ).fetchall()
        for kind, name, _sql in found:
            conn.execute(f'DROP {"TRIGGER" if kind == "trigger" else "INDEX"} "{name}"')
        return [str(statement) for _kind, _name, statement in found]

    def _begin(self) -> None:
        """Take the write lock; after :data:`WAIT_NOTICE_S` of waiting, say so (through
        :data:`wait_notice`), then wait up to :data:`BUSY_TIMEOUT_S` in all."""
        conn = self.conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(WAIT_NOTICE_S * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._damaged(exc) from None
            if wait_notice is not None:
                wait_notice(
                    f"waiting for another writer to finish with {self.name}… (up to "
                    f"{BUSY_TIMEOUT_S:g} s)"
                )
            conn.execute(f"PRAGMA busy_timeout = {int((BUSY_TIMEOUT_S - WAIT_NOTICE_S) * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._damaged(exc) from None
                raise BusyStoreError(
                    f"store {self.name!r}: another process kept it locked for "
                    f"{BUSY_TIMEOUT_S:g} s; nothing was written (try again when it has "
                    "finished)",
                    field="store",
                    value=self.name,
                ) from None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    @contextmanager
    def _savepoint(self, name: str) -> Iterator[None]:
        conn = self.conn
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # (a full disk rolls the whole transaction back)
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every read inside sees the same log, even while other
        processes append. Damage found while reading becomes a ``DamagedStoreError``."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        self._guard(lambda: conn.execute("BEGIN"))
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    # -- reads -----------------------------------------------------------------------------

    def head(self) -> Head:
        row = self._guard(lambda: self.conn.execute(sql.HEAD).fetchone())
        return Head(row[0], row[1], row[2]) if row else EMPTY_HEAD

    def count(self) -> int:
        return int(self._guard(lambda: self.conn.execute(sql.COUNT).fetchone()[0]))

    def count_without_prefix(self, prefix: str) -> int:
        row = self.conn.execute(sql.WITHOUT_PREFIX, (len(prefix), prefix)).fetchone()
        return int(row[0])

    def known_seq(self, known_at: KnownAt) -> int | None:
        if known_at is None:
            return None
        stamp = check_known_at(known_at, self.head(), datetime.now(UTC))
        if stamp is None:
            assert isinstance(known_at, int)
            return known_at
        return int(self.conn.execute(sql.SEQ_KNOWN_AT, (stamp,)).fetchone()[0])

    def rows(self, where: RowFilter = ALL_ROWS) -> Iterator[Row]:
        """Stored rows matching every filter given, in log order (or valid-time order); a
        search goes through the FTS5 index (:data:`tracker.store.derived.SEARCH_TABLE`)."""
        query, params = sql.rows(where, dyad_records=self._has_records_index())
        if where.search is not None and not self._searchable():
            raise StoreError(
                f"store {self.name!r}: has no search index yet (it is built from the log the "
                "next time the store is opened for writing)",
                field="store",
                value=self.name,
            )
        try:
            cursor = self._guard(lambda: self.conn.execute(query, params))
        except DamagedStoreError as exc:
            if where.search is not None and "fts5" in exc.message:
                from tracker.store.search import SearchError

                raise SearchError(
                    f"search {where.search!r}: {exc.message}", field="search", value=where.search
                ) from None
            raise
        for r in cursor:
            yield Row(*r)

    def latest_events(
        self, a: str, b: str, until: str, max_seq: int | None, limit: int
    ) -> list[tuple[Any, ...]]:
        summary = "json_extract(body, '$.summary')"
        query, params = sql.latest_events(
            a, b, until, max_seq, limit, summary, dyad_records=self._has_records_index()
        )
        rows: list[tuple[Any, ...]] = self.conn.execute(query, params).fetchall()
        return rows

    def row_by_id(self, event_id: str) -> Row | None:
        r = self.conn.execute(sql.BY_ID, (event_id,)).fetchone()
        return Row(*r) if r else None

    def facts(
        self, a: str, b: str, *, since: str | None = None, max_seq: int | None = None
    ) -> Iterator[Fact]:

        where = RowFilter(dyad=(a, b), since=since, max_seq=max_seq)
        query, params = sql.rows(where, columns=sql.dyad_fact_columns())
        return sql.facts_from(self.conn.execute(query, params))

    def facts_by_dyad(
        self, *, max_seq: int | None = None
    ) -> Iterator[tuple[tuple[str, str], list[Fact]]]:
        limit = max_seq if max_seq is not None else 2**62
        return sql.dyad_facts_from(self.conn.execute(sql.facts_by_dyad(), (limit,)))

    def dyads(
        self, *, party: str | None = None, max_seq: int | None = None
    ) -> list[tuple[str, str]]:
        query, params = sql.dyads(party=party, max_seq=max_seq)
        return [(a, b) for a, b in self.conn.execute(query, params).fetchall()]

    def first_day(self, a: str, b: str) -> str | None:
        first = self.conn.execute(sql.FIRST_DAY, (a, b)).fetchone()[0]
        return str(first) if first is not None else None

    def moved_dates(self, a: str, b: str) -> bool:
        return self.conn.execute(sql.MOVED_DATES, (a, b)).fetchone() is not None

    def scan(self) -> Generator[tuple[Any, ...], None, None]:
        cursor = self.conn.execute(sql.SCAN)
        try:
            yield from cursor
        finally:
            cursor.close()

    def chain(self, max_seq: int | None = None) -> Iterator[tuple[Any, Any, Any, Any]]:
        yield from self.conn.execute(sql.CHAIN_UPTO, (max_seq if max_seq is not None else 2**62,))

    def chain_after(self, seq: int) -> tuple[Any, Any, Any, Any] | None:
        row = self.conn.execute(sql.CHAIN_AFTER, (seq,)).fetchone()
        return tuple(row) if row is not None else None

    # -- the Merkle tree ---------------------------------------------------------------------

    def tree_hashes(self, ids: Sequence[int]) -> list[bytes]:
        """The stored tree hashes at ``ids`` (see :mod:`tracker.store.tree`), in that order."""
        if self._memory_tree is None and not self.has_tree():
            self._memory_tree = self._tree_from_log()  # a version 1 store opened read-only
        if self._memory_tree is not None:
            hashes = self._memory_tree.hashes
            try:
                return [hashes[i] for i in ids]
            except IndexError:
                raise self._no_tree_hash(max(ids)) from None

        def read() -> list[bytes]:
            out = []
            for i in ids:  # one indexed lookup of the run holding each
                found = tree.hash_in_run(i, self.conn.execute(tree.AT, (i, i)).fetchone())
                if found is None:
                    raise self._no_tree_hash(i)
                out.append(found)
            return out

        result: list[bytes] = self._guard(read)
        return result

    def tree_runs(self) -> Generator[tuple[Any, Any], None, None]:
        """Every stored ``(id, run)`` row in id order, values as stored (what ``verify``
        checks, expanding odd runs with :func:`tracker.store.tree.expand`); empty for a store
        without the tree table."""
        if tree.TABLE not in self.tables():
            return
        cursor = self.conn.execute(tree.SCAN)
        try:
            yield from cursor
        finally:
            cursor.close()

    def has_tree(self) -> bool:
        if self._has_tree is None:  # a writable open upgrades: it never changes after
            self._has_tree = tree.TABLE in self.tables()
        return self._has_tree

    def _tree_reader(self) -> merkle.HashReader:
        from tracker.merkle import stored_index

        def read(level: int, index: int) -> bytes:
            return self.tree_hashes([stored_index(level, index)])[0]

        return read

    def _tree_from_log(self) -> merkle.MemoryTree:
        from tracker.merkle import MemoryTree

        memory = MemoryTree()
        for seq, recorded_at, body, _hash in self.chain():
            memory.append(record_bytes(body, seq, recorded_at))
        return memory

    def _no_tree_hash(self, index: int) -> DamagedStoreError:
        return DamagedStoreError(
            f"store {self.name!r}: the Merkle tree has no hash at position {index} "
            f"(the log has {self.head().seq} events): the tree table is damaged; run "
            "`tracker verify`",
            field="store",
            value=self.name,
        )

    # -- what the file holds (verify's file checks, `tracker info`) ------------------------

    def application_id(self) -> int:
        return int(self.conn.execute("PRAGMA application_id").fetchone()[0])

    def tables(self) -> set[str]:
        return _tables(self.conn)

    def meta(self) -> dict[str, str]:
        """The ``meta`` table (raises ``sqlite3.DatabaseError`` if it is unreadable)."""
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def schema_objects(self) -> list[tuple[str, str, str]]:
        """``(type, name, table)`` of every table, view, index and trigger in the file: the
        schema table itself, which is what verify must see (an introspection API would also
        list a WITHOUT ROWID table's key as an index, which the file does not hold)."""
        return [
            (str(t), str(n), str(tb))
            for t, n, tb in self.conn.execute("SELECT type, name, tbl_name FROM sqlite_master")
        ]

    def log_schema(self) -> dict[str, tuple[str, str, str]]:
        """name -> (kind, table, whitespace-normalised SQL) of every schema object on the log
        table, as found in the file (verify compares it with :func:`expected_log_schema`).
        (Plain queries, not sqlite-utils: importing it took a twentieth of a 100k verify.)"""
        return {
            row[1]: (row[0], row[2], " ".join((row[3] or "").split()))
            for row in self.conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE tbl_name IN ('events', 'merkle_hashes')"
            ).fetchall()
        }

    def event_columns(self) -> list[str]:
        """The columns of the events table, in table order ([] if there is none)."""
        return [str(r[1]) for r in self.conn.execute("PRAGMA table_info(events)")]

    def describe(self) -> StoreDescription:
        """What ``tracker info`` shows of the file: each table's rows (the search index's
        internal ``events_fts_*`` tables left out), the schema version and the size on disk
        (with its write-ahead log)."""
        from tracker.store.protocol import StoreDescription

        db = _utils(self.conn)
        hidden = {f"{derived.SEARCH_TABLE}_{part}" for part in ("data", "idx", "docsize", "config")}
        counts = {
            name: db.table(name).count for name in sorted(db.table_names()) if name not in hidden
        }
        size = sum(
            os.stat(f"{self.name}{suffix}").st_size
            for suffix in ("", "-wal")
            if os.path.exists(f"{self.name}{suffix}")
        )
        return StoreDescription("sqlite", self.name, _schema_version(self.conn), counts, size)

    # -- writes ----------------------------------------------------------------------------

    def append(
        self,
        batch: Sequence[Prepared],
        *,
        recorded_at: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> list[AppendResult]:
        """Append a batch atomically; return one result per input, in input order.

        An ``event_id`` already stored with identical content is a no-op reporting its position;
        with different content (in the log or earlier in the batch) it is a ``ConflictError``
        and nothing is written. ``recorded_at`` fixes the transaction time (tests, imports of an
        exported log); otherwise ``clock`` is read *after* the write lock is taken, so that
        transaction times follow log order across processes.
        """
        # here, not at the top: a query never appends (issue 16's start-up target)
        from tracker.store.placing import firsts_of, insert_params, place, results

        firsts = firsts_of(batch)
        conn = self.conn
        if self._torn:
            raise StoreError(
                f"{self.name}: a bulk append failed after writing; nothing was committed"
            )
        if self._bulk and all(p.refers_to is None for p in firsts.values()):
            # The bulk path (inside `transaction()`): no savepoint. A savepoint journals every
            # page the batch touches (a third more CPU for the inserts at a bulk cache size);
            # it is needed only to undo a batch a listener refuses, and listeners refuse only
            # record-keeping rows (bad references). The ids are looked up first, so the
            # insert cannot fail on a stored one. Should anything still fail after writing,
            # the transaction is marked torn and rolled back whole at its end.
            existing = self._existing(list(firsts))
            head = self.head()
            rows, placed = place(firsts, existing, head, recorded_at, clock, self._hash_at)
            try:
                if rows:
                    conn.executemany(sql.INSERT, (insert_params(r) for r in rows))
                    self._extend_derived_of_log(head, rows)
                    self._wrote = True
                    for listener in self.listeners:
                        listener(self, rows)
            except BaseException:
                self._torn = True
                raise
        else:
            placed = self._append_savepoint(firsts, recorded_at, clock)
        return results(batch, firsts, placed)

    def _append_savepoint(
        self,
        firsts: dict[str, Prepared],
        recorded_at: datetime | None,
        clock: Callable[[], datetime] | None,
    ) -> dict[str, AppendResult]:
        """An append as one transaction, or (inside ``transaction()``) one savepoint of it,
        so that a listener that refuses the batch undoes exactly the batch."""
        from tracker.store.placing import insert_params, place

        conn = self.conn
        with self._write(bulk=False), self._savepoint("append"):
            # A large batch (a bulk import) is first tried as if none of its ids were stored:
            # the UNIQUE index and the no-replace trigger check every row anyway, so looking
            # the ids up beforehand would pay for the same index search twice. If one is
            # stored after all, the attempt is rolled back and the batch placed exactly.
            optimistic = len(firsts) >= OPTIMISTIC_BATCH
            existing = {} if optimistic else self._existing(list(firsts))
            head = self.head()
            rows, placed = place(firsts, existing, head, recorded_at, clock, self._hash_at)
            if rows and optimistic:
                try:
                    with self._savepoint("fresh"):
                        conn.executemany(sql.INSERT, (insert_params(r) for r in rows))
                except sqlite3.IntegrityError:
                    optimistic = False
                    existing = self._existing(list(firsts))
                    rows, placed = place(firsts, existing, head, recorded_at, clock, self._hash_at)
            if rows and not optimistic:
                conn.executemany(sql.INSERT, (insert_params(r) for r in rows))
            if rows:
                self._extend_derived_of_log(head, rows)
                self._wrote = True
                for listener in self.listeners:
                    listener(self, rows)
        return placed

    def _extend_derived_of_log(self, head: Head, rows: Sequence[Row]) -> None:
        """What the store itself keeps beside new rows, in their transaction: the Merkle tree
        and (once the derived tables exist) the search index of their text."""
        self._extend_tree(head, rows)
        if self._searchable():
            # one statement in SQLite itself, reading back only the rows just written
            self.conn.execute(derived.INDEX_FROM, (head.seq,))

    def _extend_tree(self, head: Head, rows: Sequence[Row]) -> None:
        """Write the Merkle tree's new hashes for ``rows`` (appended after ``head``): reads
        only the frontier, O(log n), and writes two hashes per event on average."""
        from tracker.merkle import Frontier, frontier_nodes, stored_index

        # here, not at the top: queries never hash. One query for the whole frontier.
        ids = [stored_index(level, index) for level, index in frontier_nodes(head.seq)]
        frontier = Frontier(head.seq, self.tree_hashes(ids))
        self.conn.executemany(tree.INSERT, tree.new_hashes(frontier, rows))

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for event_id, seq, body in self.conn.execute(sql.existing(len(chunk)), chunk):
                found[event_id] = (seq, body)
        return found

    def _hash_at(self, seq: int) -> str:
        return str(self.conn.execute(sql.HASH_AT, (seq,)).fetchone()[0])

    # -- derived tables --------------------------------------------------------------------

    def derived_layout(self) -> str | None:
        names = self.tables()
        if not {*derived.DERIVED_TABLES, derived.META_TABLE} <= names:
            return None
        return self.projection_meta().get("layout")

    def create_derived(self, layout: str) -> None:
        for table in derived.DERIVED_TABLES:
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in derived.DDL.split(";\n"):
            if statement.strip():
                self.conn.execute(statement)
        self.put_projection_meta({"layout": layout})

    def _has_records_index(self) -> bool:
        """Whether the index of each dyad's record-keeping events exists: it comes with the
        derived tables of this layout, so a store opened read-only at an older one lacks it
        (only a found index is remembered: another process may create it; nothing drops it)."""
        if self._records_index:
            return True
        found = (
            self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                (derived.RECORDS_INDEX,),
            ).fetchone()
            is not None
        )
        # (one created by a transaction still open could yet be rolled back)
        self._records_index = found and not self.conn.in_transaction
        return found

    def rebuild_search(self) -> None:
        """Drop the search index and build it again from the whole log (one statement)."""
        _create_search(self.conn)
        self._search = True

    def _searchable(self) -> bool:
        """Whether the search index exists (a store opened read-only may lack it)."""
        if not self._search:  # (only a found index is remembered: another process may make it)
            self._search = derived.SEARCH_TABLE in self.tables()
        return self._search

    def projection_meta(self) -> dict[str, str]:
        if derived.META_TABLE not in self.tables():
            return {}
        return dict(self.conn.execute(derived.META).fetchall())

    def put_projection_meta(self, values: Mapping[str, str]) -> None:
        self.conn.executemany(derived.PUT_META, list(values.items()))

    def clear_checkpoints(self, dyad: tuple[str, str] | None = None, since: str = "") -> None:
        for table in derived.DERIVED_TABLES:
            if dyad is None:
                self.conn.execute(f"DELETE FROM {table}")
            else:
                self.conn.execute(
                    f"DELETE FROM {table} WHERE party_a = ? AND party_b = ? AND day >= ?",
                    (*dyad, since),
                )

    def write_checkpoints(
        self, rows: Sequence[tuple[Any, ...]], changes: Sequence[tuple[str, str, str, str]]
    ) -> None:
        self.conn.executemany(derived.INSERT_CHECKPOINT, rows)
        self.conn.executemany(derived.INSERT_STRUCTURE, changes)

    def checkpoints(self, a: str, b: str) -> list[CheckpointRow]:
        return self.conn.execute(derived.ALL, (a, b)).fetchall()

    def checkpoint_before(
        self, a: str, b: str, day: str, *, inclusive: bool
    ) -> CheckpointRow | None:
        query = derived.ON_OR_BEFORE if inclusive else derived.BEFORE
        row: CheckpointRow | None = self.conn.execute(query, (a, b, day)).fetchone()
        return row

    def checkpoint_dyads(self, day: str, party: str | None = None) -> list[tuple[str, str]]:
        query, _n = derived.checkpoint_dyads(party)
        params = [day, party, party] if party else [day]
        return [(a, b) for a, b in self.conn.execute(query, params).fetchall()]

    def scan_checkpoints(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.conn.execute(derived.SCAN_CHECKPOINTS))

    def scan_structure(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.conn.execute(derived.SCAN_STRUCTURE))

    def derived_dyads(self) -> set[tuple[str, str]]:
        keys: set[tuple[str, str]] = set()
        for table in derived.DERIVED_TABLES:
            keys |= {
                (a, b)
                for a, b in self.conn.execute(f"SELECT DISTINCT party_a, party_b FROM {table}")
            }
        return keys

    # -- errors ----------------------------------------------------------------------------

    def _guard(self, op: Callable[[], Any]) -> Any:
        """Run a database operation, turning SQLite's damage reports into a clear error."""
        try:
            return op()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def _damaged(self, exc: sqlite3.DatabaseError) -> StoreError:
        return _store_error(self.name, exc)


# -- opening and checking the file -----------------------------------------------------------


def _store_error(path: str, exc: sqlite3.DatabaseError) -> StoreError:
    """What SQLite's error means for the user, in the words of their situation."""
    where = f"store {path!r}"
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return BusyStoreError(
            f"{where}: busy (another process holds its lock); nothing was written",
            field="store",
            value=path,
        )
    if "database or disk is full" in text:
        return DiskFullError(
            f"{where}: disk full while writing the store; nothing was written",
            field="store",
            value=path,
        )
    if "readonly database" in text:
        reason = _unwritable(path) or "the file system refuses writes"
        return ReadOnlyStoreError(
            f"{where}: cannot be written ({reason}); nothing was written",
            field="store",
            value=path,
        )
    if "unable to open database file" in text:
        return StoreError(f"{where}: {_unopenable(path)}", field="store", value=path)
    if "disk I/O error" in text:
        return StoreError(
            f"{where}: the disk reported an I/O error; nothing was written",
            field="store",
            value=path,
        )
    return DamagedStoreError(
        f"{where}: the file is damaged or unreadable ({exc})", field="store", value=path
    )


def _environmental(exc: sqlite3.OperationalError) -> bool:
    """An error of the machine, not of the data: a full disk, an I/O error, read-only media."""
    text = str(exc)
    return any(k in text for k in ("disk is full", "disk I/O error", "readonly database"))


def _unwritable(path: str) -> str | None:
    """Why an existing store cannot be written (None if it can, or does not exist yet)."""
    import os

    if not paths.is_file(path):
        return None
    directory = paths.parent(paths.resolved(path))
    if not os.access(path, os.W_OK):
        return f"permission denied writing {path!r}, or read-only media"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"permission denied writing its directory {directory!r}, or read-only media"
    return None


def _unopenable(path: str) -> str:
    """Why SQLite could not open ``path``, named as the file system sees it."""
    import os

    directory = paths.parent(paths.resolved(path))
    if paths.exists(path) and not os.access(path, os.R_OK):
        return f"permission denied reading {path!r}"
    if not paths.is_dir(directory):
        return f"no such directory {directory!r}"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"cannot be created or opened: permission denied in directory {directory!r}"
    return "cannot be opened (unable to open the database file)"


def _utils(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """``sqlite-utils`` over the store's own connection, for schema creation and introspection
    (it changes no setting of the connection)."""
    db: sqlite_utils.Database = _sqlite_utils().Database(
        conn, recursive_triggers=False, execute_plugins=False
    )
    return db


def _sqlite_utils() -> Any:
    """The ``sqlite_utils`` module, imported without pandas and numpy.

    When they are installed (the ``pandas`` extra, or any analyst's environment),
    ``sqlite_utils`` imports both at once, only to map their value types to column types;
    that made creating a store or running ``tracker info`` cost about 70 MB and half a second
    more. The store never passes such values to it, so the import is made with the two marked
    absent (``sys.modules[name] = None`` makes ``import name`` raise ImportError) and the marks
    are taken away afterwards: a later ``import pandas`` (``Tracker.*.to_frame``) works as
    usual."""
    import sys

    if "sqlite_utils" in sys.modules:
        return sys.modules["sqlite_utils"]
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    return sqlite_utils


def _normal(text: str | None) -> str:
    """SQL with its white space folded, for comparing statements."""
    return " ".join((text or "").split())


def _tables(conn: sqlite3.Connection, schema: str = "main") -> set[str]:
    return {
        r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
    }


def _require_file(path: str, *, create: bool) -> None:
    if paths.is_dir(path):
        raise NotAStoreError(
            f"store {path!r}: is a directory, not a tracker store",
            field="store",
            value=path,
        )
    if not paths.exists(path) and not create:
        raise StoreNotFoundError(
            f"store {path!r}: no tracker store there", field="store", value=path
        )


def _probe(conn: sqlite3.Connection, path: str) -> tuple[int, set[str]]:
    """The file's application id and tables. A file whose header cannot be read is not a
    store; one marked as ours whose schema cannot be read is a damaged store (the schema can
    span more pages than the header's)."""
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise NotAStoreError(
            f"store {path!r}: not a tracker store ({exc})", field="store", value=path
        ) from None
    try:
        return app_id, _tables(conn)
    except sqlite3.DatabaseError as exc:
        if app_id == APPLICATION_ID:
            raise _store_error(path, exc) from None
        raise NotAStoreError(
            f"store {path!r}: not a tracker store ({exc})", field="store", value=path
        ) from None


def check_store(conn: sqlite3.Connection, path: str) -> None:
    """The one "is this a relations-tracker store?" check: our application id, the ``meta``
    and ``events`` tables, and a schema version this code understands."""
    app_id, tables = _probe(conn, path)
    if app_id != APPLICATION_ID or "meta" not in tables or "events" not in tables:
        raise NotAStoreError(
            f"store {path!r}: an SQLite database, but not a relations-tracker store "
            "(refusing to touch it)",
            field="store",
            value=path,
        )
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    try:
        version = int(meta.get("schema_version", "0"))
    except ValueError:
        version = 0
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"store {path!r}: schema version {version} is newer than this tracker "
            f"understands ({SCHEMA_VERSION}); upgrade relations-tracker to read it",
            field="schema_version",
            value=version,
        )
    if version < 1:
        raise NotAStoreError(
            f"store {path!r}: meta table has no valid schema_version",
            field="schema_version",
            value=meta.get("schema_version"),
        )


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a relations-tracker store (read-only look; never raises)."""
    try:
        SQLiteStore(path, readonly=True).close()
    except StoreError:
        return False
    return True


def readonly_uri(path: str) -> str:
    """A read-only URI; on a read-only file system (a read-only mount, optical media) also
    ``immutable=1``: SQLite cannot create the WAL index a WAL-mode file needs there, and
    nothing can change the file anyway."""
    uri = "file:" + paths.quote(paths.resolved(path)) + "?mode=ro"
    try:
        on_readonly_media = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        on_readonly_media = False
    return uri + "&immutable=1" if on_readonly_media else uri


def _connect_readonly(path: str, *, checked: bool = True) -> sqlite3.Connection:
    _require_file(path, create=False)
    import os

    if not os.access(path, os.R_OK):
        raise StoreError(
            f"store {path!r}: permission denied reading {path!r}",
            field="store",
            value=path,
        )
    uri = readonly_uri(path)
    directory = paths.parent(paths.resolved(path))
    if not os.access(directory, os.W_OK) and not paths.exists(f"{path}-shm"):
        # read-only media or directory: nobody can be writing, and WAL's shared-memory file
        # cannot be created, so read the file as an immutable snapshot
        uri += "&immutable=1"
    conn = sqlite3.connect(
        uri,
        uri=True,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_S,
        check_same_thread=False,
    )
    try:
        if checked:
            check_store(conn, path)
        else:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotAStoreError(
            f"store {path!r}: not a tracker store ({exc})", field="store", value=path
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _connect(path: str, *, create: bool) -> sqlite3.Connection:
    _require_file(path, create=create)
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False
        )
    except sqlite3.Error:  # e.g. its directory does not exist, or cannot be written
        raise StoreError(
            f"store {path!r}: {_unopenable(path)}", field="store", value=path
        ) from None
    try:
        app_id, tables = _probe(conn, path)
        empty = not tables
        if empty and app_id == 0:
            if not create:
                raise NotAStoreError(
                    f"store {path!r}: an empty file, not a tracker store",
                    field="store",
                    value=path,
                )
            _initialise(conn)
        else:
            check_store(conn, path)
            _upgrade(conn)
            _ensure_search(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:  # e.g. a damaged page behind an intact header
        conn.close()
        raise _store_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _initialise(conn: sqlite3.Connection) -> None:
    """Create the schema in an empty file, once, even if two processes race to do it."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            conn.execute("ROLLBACK")  # another process initialised it first
            return
        db = _utils(conn)
        db.table("meta").create({"key": str, "value": str}, pk="key", not_null={"value"})
        for statement in [*sql.schema_statements(), *tree.schema_statements()]:
            conn.execute(statement)
        conn.execute(derived.SEARCH_DDL)
        db.table("meta").insert_all(
            [
                {"key": "app", "value": APP_NAME},
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                {"key": "created_at", "value": format_timestamp(datetime.now(UTC))},
            ]
        )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring an older store to :data:`SCHEMA_VERSION`, in one transaction (see the module
    docstring); a no-op for a current one, and safe if two processes race to do it."""
    if _schema_version(conn) >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _schema_version(conn) == 1:  # 1 -> 2: the Merkle tree, computed from the log
            for statement in tree.schema_statements():
                conn.execute(statement)
            from tracker.merkle import Frontier

            frontier, last = Frontier(), 0
            while batch := [
                Row(*r)
                for r in conn.execute(
                    f"SELECT {sql.ROW_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT 20000",
                    (last,),
                )
            ]:
                conn.executemany(tree.INSERT, tree.new_hashes(frontier, batch))
                last = batch[-1].seq
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _create_search(conn: sqlite3.Connection) -> None:
    """(Re)create the search index and fill it from the whole log."""
    conn.execute(f"DROP TABLE IF EXISTS {derived.SEARCH_TABLE}")
    conn.execute(derived.SEARCH_DDL)
    conn.execute(derived.INDEX_FROM, (0,))


def _ensure_search(conn: sqlite3.Connection) -> None:
    """Give a store without a search index (an older store, or one whose index was dropped)
    its index, built from the log in one transaction; safe if two processes race to do it."""
    if derived.SEARCH_TABLE in _tables(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if derived.SEARCH_TABLE not in _tables(conn):
            _create_search(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0
