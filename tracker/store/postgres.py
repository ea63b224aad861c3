"""The PostgreSQL backend: one shared log for a team, append-only enforced by the database.

Selected by a ``postgresql://USER@HOST[:PORT]/DB`` location (``--db`` or ``TRACKER_DB``); the
optional query parameter ``schema=NAME`` (default ``tracker``) names the schema holding the
store's tables, so several logs can share a database. The driver is psycopg 3, in the
``postgres`` extra, imported only here; this module is imported only when such a location is
used, so the SQLite query path never loads it.

The same log as on SQLite: the same tables (in a schema of their own), the same canonical
bodies and the same hash chain, so an export from either backend imports into the other with
the same head. The queries are the ones of :mod:`tracker.store.sql` and
:mod:`tracker.store.derived` (their ``?`` placeholders become ``%s``); only the DDL and the few
statements whose dialect differs are written here. Text columns use the ``C`` collation, so
ordering (dates, party codes, transaction times) is byte order as on SQLite whatever the
database's locale; floats are ``double precision`` (SQLite's ``REAL``), so replays compare bit
for bit; bodies are ``text``, never ``jsonb``, which would not keep their bytes.

Appends take a transaction-scoped advisory lock (one key per schema) before reading the head,
so concurrent writers on any number of machines queue instead of forking the chain; a batch
is one transaction, all or nothing; derived tables are written in it. Readers never take the
lock, and under MVCC never block a writer. Triggers refuse UPDATE, DELETE and TRUNCATE on the
log even for its owner; the roles :func:`tracker.store.pg_roles.init_db` creates make the
database refuse them before the triggers are reached.

This module is over 400 lines for the same reason as the SQLite backend: one class
implementing the whole ``Store`` protocol around one connection and its error mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from projections.facts import CORRECT
from tracker.errors import (
    BusyStoreError,
    DamagedStoreError,
    NewerSchemaError,
    NotAStoreError,
    ReadOnlyStoreError,
    StoreError,
    StoreNotFoundError,
)
from tracker.store import derived, sql, tree
from tracker.store.placing import firsts_of, insert_params, place, results
from tracker.store.postgres_setup import (
    DERIVED_DDL,
    INDEXES,
    TRIGGERS,
    connect,
    create_schema,
    derived_grants,
    driver,
    first_line,
    lock_key,
    parse_location,
    role_names,
    schema_exists,
    statements,
    use_schema,
)
from tracker.store.protocol import (
    AppendListener,
    BulkListener,
    CheckpointRow,
    StoreDescription,
)
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
)
from tracker.store.sqlite import APP_NAME, SCHEMA_VERSION

if TYPE_CHECKING:
    from projections.facts import Fact

COPY_FROM = 64
"""From this many new rows on, a batch is written with COPY instead of INSERTs."""
ITERSIZE = 5000
"""Rows fetched at a time by the server-side cursors of long scans (verify, export)."""


_INDEXED_BY = re.compile(r" (?:INDEXED BY \w+|NOT INDEXED)")


@cache
def pg(statement: str) -> str:
    """A statement of :mod:`tracker.store.sql` or :mod:`tracker.store.derived` in this dialect:
    psycopg's placeholders (none of them has a literal ``?`` or ``%``), and without SQLite's
    index hints (``INDEXED BY``, ``NOT INDEXED``: PostgreSQL's planner picks for itself)."""
    assert "%" not in statement
    return _INDEXED_BY.sub("", statement).replace("?", "%s")


MOVED_DATES = (
    f"SELECT 1 FROM events WHERE party_a = %s AND party_b = %s AND type = '{CORRECT}' "
    "AND (body::jsonb #> '{changes,occurred_on}') IS NOT NULL LIMIT 1"
)
""":data:`tracker.store.sql.MOVED_DATES` in PostgreSQL's JSON dialect."""
PUT_META = (
    "INSERT INTO projection_meta (key, value) VALUES (%s, %s) "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
)
_INSERT_COLUMNS = ", ".join(sql.EVENT_COLUMNS)


def schema_present(url: str) -> bool:
    """Whether the location's schema exists (a store may be opened there without creating
    one)."""
    location = parse_location(url)
    conn = connect(location)
    try:
        return schema_exists(conn, location.schema)
    finally:
        conn.close()


class PostgresStore:
    """The log in one schema of a PostgreSQL database (implements ``Store``).

    ``create=False``: the schema must exist already; ``readonly=True``: every transaction of
    the session is read-only (audits cannot change the store through it).
    """

    def __init__(self, url: str, *, create: bool = True, readonly: bool = False) -> None:
        self.location = parse_location(url)
        self.schema = self.location.schema
        self.name = self.location.shown
        self.listeners: list[AppendListener] = []
        self.readonly = readonly
        self._lock = lock_key(self.schema)
        self._depth = 0
        self._roles: str | None = None  # the role prefix init-db recorded, if any
        self.conn = connect(self.location)
        try:
            with self._guard():
                self._open(create and not readonly)
                if readonly:
                    self.conn.execute("SET default_transaction_read_only = on")
        except BaseException:
            self.conn.close()
            raise

    def _open(self, create: bool) -> None:
        pg_ = driver()
        conn, schema = self.conn, self.schema
        if not schema_exists(conn, schema):
            if not create:
                raise StoreNotFoundError(
                    f"store {self.name!r}: no tracker store in schema {schema!r}",
                    field="store",
                    value=self.name,
                )
            try:
                create_schema(conn, schema)
            except pg_.errors.InsufficientPrivilege as exc:
                raise StoreError(
                    f"store {self.name!r}: schema {schema!r} does not exist and this login may "
                    f"not create it ({first_line(exc)}); the database owner creates it with "
                    "init-db",
                    field="store",
                    value=self.name,
                ) from None
        use_schema(conn, schema)
        if not {"meta", "events"} <= self.tables():
            raise NotAStoreError(
                f"store {self.name!r}: schema {schema!r} exists but is not a relations-tracker "
                "store (refusing to touch it)",
                field="store",
                value=self.name,
            )
        meta = self.meta()
        self._roles = meta.get("roles")
        try:
            version = int(meta.get("schema_version", "0"))
        except ValueError:
            version = 0
        if meta.get("app") != APP_NAME or version < 1:
            raise NotAStoreError(
                f"store {self.name!r}: schema {schema!r} is not a relations-tracker store",
                field="store",
                value=self.name,
            )
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"store {self.name!r}: schema version {version} is newer than this tracker "
                f"understands ({SCHEMA_VERSION}); upgrade relations-tracker to read it",
                field="schema_version",
                value=version,
            )

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Every write inside the block is one all-or-nothing transaction, holding the log's
        lock from the start (a bulk import; bulk listeners defer their work to its end); each
        append in it is a savepoint. Nested blocks join the outer one."""
        return self._write(bulk=True)

    @contextmanager
    def _write(self, *, bulk: bool) -> Iterator[None]:
        if self._depth:
            yield
            return
        hooks: list[BulkListener] = []
        if bulk:
            for candidate in self.listeners:
                if isinstance(candidate, BulkListener):
                    hooks.append(candidate)
        with self._guard(writing=True), self.conn.transaction():
            self._take_lock()
            self._depth += 1
            try:
                for hook in hooks:
                    hook.begin_bulk()
                yield
                for hook in hooks:
                    hook.end_bulk(self)
            except BaseException:
                for hook in hooks:
                    hook.abort_bulk()
                raise
            finally:
                self._depth -= 1

    def _take_lock(self) -> None:
        """Take the log's write lock, waiting in the server's queue as the SQLite store waits
        (its settings: :data:`tracker.store.sqlite.WAIT_NOTICE_S`, ``BUSY_TIMEOUT_S`` and
        ``wait_notice``): after the first wait say so, then give up with a
        :class:`BusyStoreError` when the whole wait has passed."""
        from tracker.store import sqlite as waits  # (one home for the wait settings)

        pg_, conn = driver(), self.conn
        got = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (self._lock,)).fetchone()
        if got is not None and got[0]:
            return
        before = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
        first = max(waits.WAIT_NOTICE_S, 0.001)
        for seconds, last in ((first, False), (max(waits.BUSY_TIMEOUT_S - first, 0.001), True)):
            conn.execute(
                "SELECT set_config('lock_timeout', %s, true)", (f"{int(seconds * 1000)}ms",)
            )
            try:
                with conn.transaction():  # a savepoint: a lock timeout undoes only itself
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock,))
                break
            except pg_.errors.LockNotAvailable:
                if last:
                    raise BusyStoreError(
                        f"store {self.name!r}: another writer kept its lock for "
                        f"{waits.BUSY_TIMEOUT_S:g} s; nothing was written (try again when it "
                        "has finished)",
                        field="store",
                        value=self.name,
                    ) from None
                if waits.wait_notice is not None:
                    waits.wait_notice(
                        f"waiting for another writer to finish with {self.name}… (up to "
                        f"{waits.BUSY_TIMEOUT_S:g} s)"
                    )
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (before[0] if before else "0",))

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read-only REPEATABLE READ transaction: every read inside sees the same log while
        others append (and takes no lock a writer waits for)."""
        if self._depth or self.conn.info.transaction_status != 0:
            yield
            return
        with self._guard(), self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    @contextmanager
    def _guard(self, *, writing: bool = False) -> Iterator[None]:
        """Turn the server's refusals and failures into the store's own errors (``writing``:
        the block is a write, so a refusal means this login or session cannot write)."""
        pg_ = driver()
        try:
            yield
        except pg_.errors.InsufficientPrivilege as exc:
            if writing:
                raise self._cannot_write(
                    f"login {self.conn.info.user!r} may not write it ({first_line(exc)}); "
                    f"writing needs the store's append role{self._append_role()}"
                ) from None
            raise StoreError(
                f"store {self.name!r}: the database refused it ({first_line(exc)}); this login "
                "may lack the store's read or append role",
                field="store",
                value=self.name,
            ) from None
        except pg_.errors.ReadOnlySqlTransaction as exc:
            why = (
                "it was opened read-only"
                if self.readonly
                else "the server runs this session read-only: a standby, or "
                "default_transaction_read_only set for this login or database"
            )
            raise self._cannot_write(f"{why} ({first_line(exc)})") from None
        except pg_.Error as exc:
            raise StoreError(
                f"store {self.name!r}: PostgreSQL error ({first_line(exc)})",
                field="store",
                value=self.name,
            ) from None

    def _cannot_write(self, why: str) -> ReadOnlyStoreError:
        return ReadOnlyStoreError(
            f"store {self.name!r}: cannot be written ({why}); nothing was written (queries, "
            "verify, replay and export work on it read-only)",
            field="store",
            value=self.name,
        )

    def _append_role(self) -> str:
        """`` (PREFIX_append)`` when init-db recorded the store's roles (read when it was
        opened: a refused transaction can run no query), else ''."""
        return f" ({self._roles}_append)" if self._roles else ""

    def _all(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._guard():
            return self.conn.execute(query, params).fetchall()

    def _one(self, query: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._guard():
            return self.conn.execute(query, params).fetchone()

    def _value(self, query: str, params: Sequence[Any] = ()) -> Any:
        """The one value of an aggregate query."""
        row = self._one(query, params)
        assert row is not None
        return row[0]

    def _stream(self, query: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """A long read: through a server-side cursor inside a transaction of ours (memory does
        not grow with the log), else fetched whole."""
        if not self._depth:
            yield from self._all(query, params)
            return
        with self._guard(), self.conn.cursor(name=f"scan{id(query)}") as cur:
            cur.itersize = ITERSIZE
            cur.execute(query, params)
            yield from cur

    # -- reads ---------------------------------------------------------------------------------

    def head(self) -> Head:
        row = self._one(sql.HEAD)
        return Head(int(row[0]), row[1], row[2]) if row else EMPTY_HEAD

    def count(self) -> int:
        return int(self._value(sql.COUNT))

    def count_without_prefix(self, prefix: str) -> int:
        row = self._one(
            "SELECT count(*) FROM events WHERE substr(event_id, 1, %s) <> %s", (len(prefix), prefix)
        )
        return int(row[0]) if row else 0

    def known_seq(self, known_at: KnownAt) -> int | None:
        if known_at is None:
            return None
        stamp = check_known_at(known_at, self.head(), datetime.now(UTC))
        if stamp is None:
            assert isinstance(known_at, int)
            return known_at
        return int(self._value(pg(sql.SEQ_KNOWN_AT), (stamp,)))

    def rows(self, where: RowFilter = ALL_ROWS) -> Iterator[Row]:
        """As in SQLite; a search is a regular expression per term over each body's summary
        and source (no index: PostgreSQL keeps no search table, so nothing to rebuild)."""
        query, params = sql.rows(where, dialect="postgresql")
        for r in self._stream(pg(query), params):
            yield Row(*r)

    def latest_events(
        self, a: str, b: str, until: str, max_seq: int | None, limit: int
    ) -> list[tuple[Any, ...]]:
        query, params = sql.latest_events(a, b, until, max_seq, limit, "body::json ->> 'summary'")
        return self._all(pg(query), params)

    def row_by_id(self, event_id: str) -> Row | None:
        r = self._one(pg(sql.BY_ID), (event_id,))
        return Row(*r) if r else None

    def facts(
        self, a: str, b: str, *, since: str | None = None, max_seq: int | None = None
    ) -> Iterator[Fact]:
        where = RowFilter(dyad=(a, b), since=since, max_seq=max_seq)
        query, params = sql.rows(where, columns=sql.dyad_fact_columns())
        return sql.facts_from(self._all(pg(query), params))

    def facts_by_dyad(
        self, *, max_seq: int | None = None
    ) -> Iterator[tuple[tuple[str, str], list[Fact]]]:
        limit = max_seq if max_seq is not None else 2**62
        return sql.dyad_facts_from(self._stream(pg(sql.facts_by_dyad()), (limit,)))

    def dyads(
        self, *, party: str | None = None, max_seq: int | None = None
    ) -> list[tuple[str, str]]:
        query, params = sql.dyads(party=party, max_seq=max_seq)
        return [(a, b) for a, b in self._all(pg(query), params)]

    def first_day(self, a: str, b: str) -> str | None:
        row = self._one(pg(sql.FIRST_DAY), (a, b))
        return str(row[0]) if row and row[0] is not None else None

    def moved_dates(self, a: str, b: str) -> bool:
        return self._one(MOVED_DATES, (a, b)) is not None

    def scan(self) -> Generator[tuple[Any, ...], None, None]:
        yield from self._stream(sql.SCAN)

    def chain(self, max_seq: int | None = None) -> Iterator[tuple[Any, Any, Any, Any]]:
        limit = max_seq if max_seq is not None else 2**62
        for row in self._stream(pg(sql.CHAIN_UPTO), (limit,)):
            yield row[0], row[1], row[2], row[3]

    def chain_after(self, seq: int) -> tuple[Any, Any, Any, Any] | None:
        row = self._one(pg(sql.CHAIN_AFTER), (seq,))
        return (row[0], row[1], row[2], row[3]) if row is not None else None

    # -- what the schema holds (verify's checks) -----------------------------------------------

    def tables(self) -> set[str]:
        return {
            r[0]
            for r in self._all(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self.schema,)
            )
        }

    def meta(self) -> dict[str, str]:
        return {k: v for k, v in self._all("SELECT key, value FROM meta")}

    def describe(self) -> StoreDescription:
        """The schema's tables with their row counts (exact: ``count(*)``, under the caller's
        snapshot) and the size of its relations on the server (indexes and TOAST included)."""
        from psycopg import sql as pgsql

        counts: dict[str, int] = {}
        for name in sorted(self.tables()):
            query = pgsql.SQL("SELECT count(*) FROM {}").format(pgsql.Identifier(self.schema, name))
            counts[name] = int(self._value(query.as_string(self.conn)))
        size = self._value(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            (self.schema,),
        )
        version = int(self.meta().get("schema_version", "0"))
        return StoreDescription("postgresql", self.name, version, counts, int(size))

    def schema_faults(self) -> list[tuple[str, str]]:
        """(kind, message) for each way the log's schema differs from the one the store
        creates: an append-only trigger missing, disabled, or not calling ``refuse_change``; an
        unexpected trigger on the log's tables (one could rewrite rows as they are inserted);
        an index missing. The server, not this check, vouches for its own files."""
        faults: list[tuple[str, str]] = []
        found = {
            name: (table, enabled, function)
            for name, table, enabled, function in self._all(
                "SELECT t.tgname, c.relname, t.tgenabled, p.proname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
                "c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid WHERE n.nspname = %s "
                "AND NOT t.tgisinternal AND c.relname = ANY(%s)",
                (self.schema, sorted(set(TRIGGERS.values()))),
            )
        }
        unprotected = " (the log is no longer protected against being rewritten)"
        for name, table in TRIGGERS.items():
            if name not in found:
                faults.append(("trigger", f"trigger {name} on {table} is missing{unprotected}"))
            elif found[name][1] == "D":
                faults.append(("trigger", f"trigger {name} on {table} is disabled{unprotected}"))
            elif found[name][0] != table or found[name][2] != "refuse_change":
                faults.append(
                    (
                        "trigger",
                        f"trigger {name} was altered: on {found[name][0]}, calls "
                        f"{found[name][2]}()",
                    )
                )
        for name, (table, _enabled, function) in sorted(found.items()):
            if name not in TRIGGERS:
                faults.append(
                    ("trigger", f"unexpected trigger {name} on {table} (calls {function}())")
                )
        indexes = {
            r[0]
            for r in self._all(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'events'",
                (self.schema,),
            )
        }
        for name in INDEXES:
            if name not in indexes:
                faults.append(("schema", f"index {name} is missing"))
        if derived.RECORDS_INDEX not in indexes and self.derived_layout() == derived.LAYOUT:
            # (it comes with the derived tables of this layout)
            faults.append(("schema", f"index {derived.RECORDS_INDEX} is missing"))
        return faults

    def event_columns(self) -> list[str]:
        return [
            r[0]
            for r in self._all(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = 'events' ORDER BY ordinal_position",
                (self.schema,),
            )
        ]

    # -- writes --------------------------------------------------------------------------------

    def append(
        self,
        batch: Sequence[Prepared],
        *,
        recorded_at: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> list[AppendResult]:
        """As the protocol says: atomic, idempotent on identical content, a
        :class:`ConflictError` (and nothing written) on a known id with other content; the
        clock is read once the advisory lock is held."""
        firsts = firsts_of(batch)
        with self._write(bulk=False), self._guard(writing=True), self.conn.transaction():
            existing = self._existing(list(firsts))
            head = self.head()
            rows, placed = place(firsts, existing, head, recorded_at, clock, self._hash_at)
            if rows:
                self._insert(rows)
                self._extend_tree(head, rows)
                for listener in self.listeners:
                    listener(self, rows)
        return results(batch, firsts, placed)

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, str]]:
        return {
            event_id: (int(seq), body)
            for event_id, seq, body in self._all(
                "SELECT event_id, seq, body FROM events WHERE event_id = ANY(%s)", (ids,)
            )
        }

    def _hash_at(self, seq: int) -> str:
        return str(self._value(pg(sql.HASH_AT), (seq,)))

    def _extend_tree(self, head: Head, rows: Sequence[Row]) -> None:
        """The Merkle tree's new hashes for ``rows`` (appended after ``head``), in the batch's
        transaction: reads only the frontier, in one round trip, and writes one run."""
        from tracker.merkle import Frontier, frontier_nodes, stored_index

        ids = [stored_index(level, index) for level, index in frontier_nodes(head.seq)]
        frontier = Frontier(head.seq, self.tree_hashes(ids) if ids else [])
        hashes = tree.new_hashes(frontier, rows)
        with self.conn.cursor() as cur:
            if len(hashes) >= COPY_FROM:
                with cur.copy(f"COPY {tree.TABLE} (id, hash) FROM STDIN") as copy:
                    for item in hashes:
                        copy.write_row(item)
            else:
                cur.executemany(pg(tree.INSERT), hashes)

    # -- the Merkle tree -----------------------------------------------------------------------

    def tree_hashes(self, ids: Sequence[int]) -> list[bytes]:
        # one round trip: for each position, the run holding it (see tracker.store.tree)
        found: dict[int, bytes] = {}
        for i, start, data, length in self._all(
            "SELECT q.i, m.id, substring(m.hash FROM ((q.i - m.id) * 32 + 1)::int FOR 32), "
            f"octet_length(m.hash) FROM unnest(%s::bigint[]) AS q(i) CROSS JOIN LATERAL "
            f"(SELECT id, hash FROM {tree.TABLE} WHERE id <= q.i ORDER BY id DESC LIMIT 1) m",
            (list(ids),),
        ):
            h = tree.hash_in_run(int(i), (int(start), data, length))
            if h is not None:
                found[int(i)] = h
        missing = [i for i in ids if i not in found]
        if missing:
            raise DamagedStoreError(
                f"store {self.name!r}: the Merkle tree has no hash at position {missing[0]} "
                f"(the log has {self.head().seq} events): the tree table is damaged; run "
                "`tracker verify`",
                field="store",
                value=self.name,
            )
        return [found[i] for i in ids]

    def tree_runs(self) -> Generator[tuple[Any, Any], None, None]:
        yield from self._stream(tree.SCAN)

    def has_tree(self) -> bool:
        return tree.TABLE in self.tables()

    def _insert(self, rows: Sequence[Row]) -> None:
        params = [insert_params(r) for r in rows]
        with self.conn.cursor() as cur:
            if len(rows) >= COPY_FROM:
                with cur.copy(f"COPY events ({_INSERT_COLUMNS}) FROM STDIN") as copy:
                    for p in params:
                        copy.write_row(p)
            else:
                cur.executemany(pg(sql.INSERT), params)

    # -- derived tables ------------------------------------------------------------------------

    def derived_layout(self) -> str | None:
        if not {*derived.DERIVED_TABLES, derived.META_TABLE} <= self.tables():
            return None
        return self.projection_meta().get("layout")

    def create_derived(self, layout: str) -> None:
        """Recreate the derived tables empty (DDL: the schema's owner only; an append role
        meeting derived tables of another layout is told so)."""
        with self._guard():
            for table in derived.DERIVED_TABLES:
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in statements(DERIVED_DDL):
                self.conn.execute(statement)
            prefix = self.meta().get("roles")
            if prefix:
                for statement in derived_grants(self.schema, role_names(prefix).append):
                    self.conn.execute(statement)
        self.put_projection_meta({"layout": layout})

    def projection_meta(self) -> dict[str, str]:
        if derived.META_TABLE not in self.tables():
            return {}
        return {k: v for k, v in self._all(derived.META)}

    def put_projection_meta(self, values: Mapping[str, str]) -> None:
        with self._guard(writing=True), self.conn.cursor() as cur:
            cur.executemany(PUT_META, list(values.items()))

    def clear_checkpoints(self, dyad: tuple[str, str] | None = None, since: str = "") -> None:
        with self._guard(writing=True):
            for table in derived.DERIVED_TABLES:
                if dyad is None:
                    self.conn.execute(f"DELETE FROM {table}")
                else:
                    self.conn.execute(
                        f"DELETE FROM {table} WHERE party_a = %s AND party_b = %s AND day >= %s",
                        (*dyad, since),
                    )

    def write_checkpoints(
        self, rows: Sequence[tuple[Any, ...]], changes: Sequence[tuple[str, str, str, str]]
    ) -> None:
        with self._guard(writing=True), self.conn.cursor() as cur:
            if rows:
                cur.executemany(pg(derived.INSERT_CHECKPOINT), rows)
            if changes:
                cur.executemany(pg(derived.INSERT_STRUCTURE), changes)

    def checkpoints(self, a: str, b: str) -> list[CheckpointRow]:
        return self._all(pg(derived.ALL), (a, b))

    def checkpoint_before(
        self, a: str, b: str, day: str, *, inclusive: bool
    ) -> CheckpointRow | None:
        query = derived.ON_OR_BEFORE if inclusive else derived.BEFORE
        return self._one(pg(query), (a, b, day))

    def checkpoint_dyads(self, day: str, party: str | None = None) -> list[tuple[str, str]]:
        query, _n = derived.checkpoint_dyads(party)
        params = [day, party, party] if party else [day]
        return [(a, b) for a, b in self._all(pg(query), params)]

    def scan_checkpoints(self) -> Iterator[tuple[Any, ...]]:
        return self._stream(derived.SCAN_CHECKPOINTS)

    def scan_structure(self) -> Iterator[tuple[Any, ...]]:
        return self._stream(derived.SCAN_STRUCTURE)

    def rebuild_search(self) -> None:
        """Nothing to rebuild: a search reads the log itself (see :meth:`rows`)."""

    def derived_dyads(self) -> set[tuple[str, str]]:
        keys: set[tuple[str, str]] = set()
        for table in derived.DERIVED_TABLES:
            keys |= {(a, b) for a, b in self._all(f"SELECT DISTINCT party_a, party_b FROM {table}")}
        return keys
