"""The event log on PostgreSQL: one shared log for a team, append-only enforced by the database.

Selected by a ``postgresql://USER@HOST[:PORT]/DB`` location (``--db`` or ``TRACKER_DB``); the
optional query parameter ``schema=NAME`` (default ``tracker``) names the schema that holds the
store's tables, so several logs can share a database. The driver is psycopg 3, in the
``postgres`` extra; it is imported only here, and this module only when such a location is used.

The same log as on SQLite: the same tables (in a schema of their own), the same canonical
bodies and the same hash chain (``hash = sha256(previous || record)``), so that an export from
either backend imports into the other with the same head. Text columns use the ``C`` collation,
so that ordering (dates, party codes, transaction times) is byte order as on SQLite whatever the
database's locale; bodies are ``text``, never ``jsonb``, which would not keep their bytes.

Appends take a transaction-scoped advisory lock (one per schema) before reading the head, so
concurrent writers on any number of machines queue instead of forking the chain; a batch is one
transaction (all or nothing); readers never take the lock, and MVCC means they never block a
writer. Triggers refuse UPDATE, DELETE and TRUNCATE on the log even for its owner; the roles
that :func:`init_db` creates make the database refuse them before the triggers are reached.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.errors import (
    ConflictError,
    NewerSchemaError,
    NotAStoreError,
    StoreError,
    StoreNotFoundError,
)
from tracker.store import (
    APP_NAME,
    GENESIS_HASH,
    ROW_COLUMNS,
    SCHEMA_VERSION,
    AppendResult,
    Head,
    Prepared,
    Row,
    chain_hash,
    format_timestamp,
)

if TYPE_CHECKING:
    import psycopg

URL_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_SCHEMA = "tracker"
DEFAULT_ROLE_PREFIX = "tracker"
CONNECT_TIMEOUT_S = 10
COPY_FROM = 64
"""From this many new rows on, a batch is written with COPY instead of a multi-row INSERT."""
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")

LOG_TABLES = ("meta", "events")
"""Tables of the log itself: rows are only ever added (and ``meta`` only at creation)."""
DERIVED_TABLES = ("checkpoints", "structure", "projection_meta")
"""Disposable tables computed from the log, kept current in the append transaction."""
TRIGGERS = {
    "events": ("events_no_update", "events_no_delete", "events_no_truncate"),
    "meta": ("meta_no_update", "meta_no_delete", "meta_no_truncate"),
}


def is_url(location: object) -> bool:
    """True for a PostgreSQL location (``postgresql://...``), False for an SQLite path."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


@dataclass(frozen=True)
class Location:
    """A parsed ``postgresql://`` location: what libpq is given, and the store's schema."""

    conninfo: str
    schema: str
    shown: str
    """The location with any password masked, for messages."""


def parse_location(url: str) -> Location:
    """Split the store's own ``schema`` parameter off a PostgreSQL URL (libpq would refuse it)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = DEFAULT_SCHEMA
    rest: list[tuple[str, str]] = []
    for key, value in query:
        if key == "schema":
            schema = value
        else:
            rest.append((key, value))
    shown_netloc = parts.netloc
    if parts.password is not None:
        shown_netloc = shown_netloc.replace(f":{parts.password}@", ":***@", 1)
    shown = urlunsplit((parts.scheme, shown_netloc, parts.path, parts.query, ""))
    if not _NAME.fullmatch(schema):
        raise StoreError(
            f"store {shown!r}: schema {schema!r} is not a plain lower-case name "
            "(letters, digits, _; at most 41 characters)",
            field="schema",
            value=schema,
        )
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
    return Location(conninfo, schema, shown)


def driver() -> Any:
    """The psycopg module, or a clear error when the ``postgres`` extra is not installed."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a PostgreSQL store needs the psycopg driver, which is not installed: "
            "pip install 'relations-tracker[postgres]'",
            field="driver",
            value="psycopg",
        ) from None
    return psycopg


def connect(location: Location) -> psycopg.Connection[Any]:
    """An autocommit connection (transactions are explicit) with a clear error when the
    server cannot be reached or refuses the login."""
    pg = driver()
    try:
        conn: psycopg.Connection[Any] = pg.connect(
            location.conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=APP_NAME,
        )
    except pg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise StoreError(
            f"store {location.shown!r}: cannot connect to the PostgreSQL server ({reason})",
            field="db",
            value=location.shown,
        ) from None
    return conn


def lock_key(schema: str) -> int:
    """The advisory-lock key that serialises appends to one schema's log (a signed 64-bit
    number derived from the schema name, so logs in different schemas do not wait on each
    other)."""
    digest = hashlib.sha256(f"{APP_NAME}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# -- schema ------------------------------------------------------------------------------------

SCHEMA_DDL = """
CREATE TABLE meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
CREATE TABLE events (
    seq          BIGINT PRIMARY KEY,
    event_id     TEXT COLLATE "C" NOT NULL UNIQUE,
    type         TEXT COLLATE "C" NOT NULL,
    code         TEXT COLLATE "C" NOT NULL,
    actor        TEXT COLLATE "C" NOT NULL,
    target       TEXT COLLATE "C" NOT NULL,
    party_a      TEXT COLLATE "C" NOT NULL,
    party_b      TEXT COLLATE "C" NOT NULL,
    occurred_on  TEXT COLLATE "C" NOT NULL,
    confidence   DOUBLE PRECISION NOT NULL,
    weight       DOUBLE PRECISION,
    refers_to    TEXT COLLATE "C",
    recorded_at  TEXT COLLATE "C" NOT NULL,
    body         TEXT COLLATE "C" NOT NULL,
    hash         TEXT COLLATE "C" NOT NULL
);
CREATE INDEX events_dyad_date ON events (party_a, party_b, occurred_on);
CREATE INDEX events_date ON events (occurred_on);
CREATE INDEX events_refers_to ON events (refers_to) WHERE refers_to IS NOT NULL;
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meta_no_truncate BEFORE TRUNCATE ON meta
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TABLE checkpoints (
    party_a TEXT COLLATE "C" NOT NULL,
    party_b TEXT COLLATE "C" NOT NULL,
    day     TEXT COLLATE "C" NOT NULL,
    s_ab    DOUBLE PRECISION NOT NULL,
    s_ba    DOUBLE PRECISION NOT NULL,
    d_ab    DOUBLE PRECISION NOT NULL,
    d_ba    DOUBLE PRECISION NOT NULL,
    label   TEXT COLLATE "C" NOT NULL,
    n_verbal_coop INTEGER NOT NULL,
    n_material_coop INTEGER NOT NULL,
    n_verbal_conflict INTEGER NOT NULL,
    n_material_conflict INTEGER NOT NULL,
    events  INTEGER NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
);
CREATE TABLE structure (
    party_a TEXT COLLATE "C" NOT NULL,
    party_b TEXT COLLATE "C" NOT NULL,
    day     TEXT COLLATE "C" NOT NULL,
    status  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
);
CREATE TABLE projection_meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
)
"""
"""The store's tables, created inside its schema (the search path is set to it)."""


def _statements(script: str) -> list[str]:
    # the function body holds semicolons; statements are separated by ";\n" at line ends only
    out, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        if line.endswith(";") and not line.startswith(" "):
            out.append("\n".join(current)[:-1])
            current = []
    if current:
        out.append("\n".join(current))
    return [s for s in out if s.strip()]


def _schema_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return row is not None


def _tables(conn: psycopg.Connection[Any], schema: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    }


def create_schema(conn: psycopg.Connection[Any], schema: str, *, owner: str | None = None) -> bool:
    """Create the store's schema and tables unless they exist; True if this call created them.

    Runs under the store's advisory lock, so two processes racing to create it are safe.
    ``owner``: a role to own the schema and its objects (``init_db``); else the current user.
    """
    from psycopg import sql

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(schema),))
        if _schema_exists(conn, schema):
            return False
        if owner is not None:
            conn.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                    sql.Identifier(schema), sql.Identifier(owner)
                )
            )
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(owner)))
        else:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute("SELECT set_config('search_path', %s, true)", (schema,))
        for statement in _statements(SCHEMA_DDL):
            conn.execute(statement)  # type: ignore[call-overload]
        stamp = format_timestamp(_utcnow())
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('app', %s), ('schema_version', %s), "
            "('created_at', %s)",
            (APP_NAME, str(SCHEMA_VERSION), stamp),
        )
    return True


def _utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


# -- roles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    owner: str
    append: str
    read: str


def role_names(prefix: str = DEFAULT_ROLE_PREFIX) -> Roles:
    if not _NAME.fullmatch(prefix):
        raise StoreError(
            f"role prefix {prefix!r}: not a plain lower-case name", field="roles", value=prefix
        )
    return Roles(f"{prefix}_owner", f"{prefix}_append", f"{prefix}_read")


def roles_sql(schema: str, roles: Roles) -> list[str]:
    """The grants that make the database itself enforce append-only (documented in the README;
    ``init_db`` runs them). The owner owns everything and never logs in; the append role may
    read, add rows to the log and maintain the derived tables; the read role may only read.
    Nobody but the owner may change the schema (drop or disable a trigger, alter a table)."""
    s, o, a, r = (f'"{x}"' for x in (schema, roles.owner, roles.append, roles.read))
    derived_rw = ", ".join(f"{s}.{t}" for t in ("checkpoints", "structure"))
    return [
        f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {s} TO {a}, {r}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {a}, {r}",
        f"GRANT INSERT ON {s}.events TO {a}",
        f"GRANT INSERT, DELETE ON {derived_rw} TO {a}",
        f"GRANT INSERT, UPDATE ON {s}.projection_meta TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT SELECT ON TABLES TO {a}, {r}",
    ]


def init_db(url: str, *, prefix: str = DEFAULT_ROLE_PREFIX) -> Roles:
    """Create the owner, append and read roles (if missing), the store's schema owned by the
    owner role, and the grants of :func:`roles_sql`. Needs a superuser (or a role that may
    create roles and act as them). Idempotent: running it again re-applies the grants."""
    from psycopg import sql

    location = parse_location(url)
    roles = role_names(prefix)
    conn = connect(location)
    try:
        pg = driver()
        try:
            with conn.transaction():
                for name, login in ((roles.owner, False), (roles.append, True), (roles.read, True)):
                    exists = conn.execute(
                        "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)
                    ).fetchone()
                    if exists is None:
                        conn.execute(
                            sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
                                sql.Identifier(name)
                            )
                        )
            if _schema_exists(conn, location.schema):
                owner = conn.execute(
                    "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s",
                    (location.schema,),
                ).fetchone()
                if owner is None or owner[0] != roles.owner:
                    raise StoreError(
                        f"store {location.shown!r}: schema {location.schema!r} already exists and "
                        f"is owned by {owner[0] if owner else '?'!r}, not {roles.owner!r}",
                        field="schema",
                        value=location.schema,
                    )
            else:
                create_schema(conn, location.schema, owner=roles.owner)
            with conn.transaction():
                for statement in roles_sql(location.schema, roles):
                    conn.execute(statement)  # type: ignore[call-overload]
        except pg.errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"store {location.shown!r}: this login may not create roles or schemas "
                f"(connect as a superuser to run init-db): {exc}",
                field="db",
                value=location.shown,
            ) from None
    finally:
        conn.close()
    return roles


# -- the store ---------------------------------------------------------------------------------


class PostgresStore:
    """The log in one schema of a PostgreSQL database (see the module docstring)."""

    backend = "postgresql"

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.location = parse_location(url)
        self.schema = self.location.schema
        self.path = self.location.shown
        self.listeners: list[Callable[[Any, Sequence[Row]], None]] = []
        self._lock = lock_key(self.schema)
        self._depth = 0
        self.conn = connect(self.location)
        try:
            self._open(create)
        except BaseException:
            self.conn.close()
            raise

    def _open(self, create: bool) -> None:
        pg = driver()
        conn, schema = self.conn, self.schema
        if not _schema_exists(conn, schema):
            if not create:
                raise StoreNotFoundError(
                    f"store {self.path!r}: no tracker store in schema {schema!r} (append or "
                    "import events first, or run `tracker init-db`)",
                    field="db",
                    value=self.path,
                )
            try:
                create_schema(conn, schema)
            except pg.errors.InsufficientPrivilege as exc:
                raise StoreError(
                    f"store {self.path!r}: schema {schema!r} does not exist and this login may "
                    f"not create it ({exc}); ask the database owner to run `tracker init-db`",
                    field="schema",
                    value=schema,
                ) from None
        conn.execute("SELECT set_config('search_path', %s, false)", (schema,))
        tables = _tables(conn, schema)
        if not {"meta", "events"} <= tables:
            raise NotAStoreError(
                f"store {self.path!r}: schema {schema!r} exists but is not a relations-tracker "
                "store (refusing to touch it)",
                field="schema",
                value=schema,
            )
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("app") != APP_NAME:
            raise NotAStoreError(
                f"store {self.path!r}: schema {schema!r} is not a relations-tracker store",
                field="schema",
                value=schema,
            )
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"store {self.path!r}: store schema version {version} is newer than this "
                f"tracker understands ({SCHEMA_VERSION}); upgrade relations-tracker to read it",
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

    # -- reads ---------------------------------------------------------------------------------

    def head(self) -> Head:
        row = self.conn.execute(
            "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return Head(int(row[0]), row[1], row[2]) if row else Head(0, GENESIS_HASH, None)

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])  # type: ignore[index]

    def rows(
        self,
        *,
        actor: str | None = None,
        target: str | None = None,
        dyad: tuple[str, str] | None = None,
        types: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        max_seq: int | None = None,
        limit: int | None = None,
        order: str = "seq",
    ) -> Iterator[Row]:
        where: list[str] = []
        params: list[Any] = []
        if actor:
            where.append("actor = %s")
            params.append(actor)
        if target:
            where.append("target = %s")
            params.append(target)
        if dyad:
            a, b = sorted(dyad)
            where.append("party_a = %s AND party_b = %s")
            params += [a, b]
        if types:
            where.append("type = ANY(%s)")
            params.append(list(types))
        if since:
            where.append("occurred_on >= %s")
            params.append(since.isoformat())
        if until:
            where.append("occurred_on <= %s")
            params.append(until.isoformat())
        if max_seq is not None:
            where.append("seq <= %s")
            params.append(max_seq)
        query = f"SELECT {ROW_COLUMNS} FROM events"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY occurred_on, seq" if order == "occurred" else " ORDER BY seq"
        if limit is not None:
            query += " LIMIT %s"
            params.append(limit)
        yield from self._stream(query, params)

    def _stream(self, query: str, params: Sequence[Any]) -> Iterator[Row]:
        """Rows through a server-side cursor when not inside a transaction of ours (so a long
        read does not hold the whole result in memory), else a plain one."""
        if self._depth:
            for r in self.conn.execute(query, params):  # type: ignore[call-overload]
                yield Row(*r)
            return
        with self.conn.transaction(), self.conn.cursor(name="rows") as cur:
            cur.itersize = 2000
            cur.execute(query, params)  # type: ignore[call-overload]
            for r in cur:
                yield Row(*r)

    def row_by_id(self, event_id: str) -> Row | None:
        r = self.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM events WHERE event_id = %s",  # type: ignore[call-overload]
            (event_id,),
        ).fetchone()
        return Row(*r) if r else None

    # -- writes --------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every append inside the block is one all-or-nothing transaction, holding the log's
        lock from the start (a bulk import); nested blocks join the outer one."""
        if self._depth:
            yield
            return
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock,))
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def append(
        self,
        batch: Sequence[Prepared],
        *,
        recorded_at: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> list[AppendResult]:
        """As :meth:`tracker.store.Store.append`: atomic, idempotent on identical content,
        a :class:`ConflictError` (and nothing written) on a known id with other content."""
        firsts: dict[str, Prepared] = {}
        for p in batch:
            seen = firsts.setdefault(p.event_id, p)
            if seen is not p and seen.body != p.body:
                raise ConflictError(
                    f"event_id {p.event_id!r}: appears twice in the batch with different content",
                    field="event_id",
                    value=p.event_id,
                )
        conn = self.conn
        with self._guard(), conn.transaction():
            if not self._depth:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock,))
            self._depth += 1
            try:
                existing = self._existing(list(firsts))
                head = self.head()
                rows, placed = self._place(firsts, existing, head, recorded_at, clock)
                if rows:
                    self._insert(rows)
                    for listener in self.listeners:
                        listener(conn, rows)
            finally:
                self._depth -= 1
        return [
            placed[p.event_id]
            if firsts[p.event_id] is p
            else AppendResult(placed[p.event_id].seq, p.event_id, placed[p.event_id].hash, False)
            for p in batch
        ]

    def _insert(self, rows: Sequence[Row]) -> None:
        params = [_insert_params(r) for r in rows]
        if len(rows) >= COPY_FROM:
            with self.conn.cursor() as cur, cur.copy(f"COPY events ({_INSERT_COLUMNS}) FROM STDIN") as copy:
                for p in params:
                    copy.write_row(p)
            return
        with self.conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO events ({_INSERT_COLUMNS}) VALUES ({', '.join(['%s'] * 15)})",
                params,
            )

    def _place(
        self,
        firsts: dict[str, Prepared],
        existing: dict[str, tuple[int, str, str]],
        head: Head,
        recorded_at: datetime | None,
        clock: Callable[[], datetime] | None,
    ) -> tuple[list[Row], dict[str, AppendResult]]:
        for event_id, (seq, body, _hash) in existing.items():
            if body != firsts[event_id].body:
                raise ConflictError(
                    f"event_id {event_id!r}: already in the log at seq {seq} with different "
                    "content (ids are idempotency keys: use a new id, or `tracker correct`)",
                    field="event_id",
                    value=event_id,
                )
        fresh = any(eid not in existing for eid in firsts)
        stamp = _stamp(head, recorded_at, clock) if fresh else ""
        seq, prev = head.seq, head.hash
        rows: list[Row] = []
        placed = {eid: AppendResult(s, eid, h, False) for eid, (s, _b, h) in existing.items()}
        for p in firsts.values():
            if p.event_id in placed:
                continue
            seq += 1
            prev = chain_hash(prev, p.body, seq, stamp)
            rows.append(
                Row(
                    seq,
                    p.event_id,
                    p.type,
                    p.code,
                    p.actor,
                    p.target,
                    p.occurred_on,
                    p.confidence,
                    p.weight,
                    p.refers_to,
                    stamp,
                    p.body,
                    prev,
                )
            )
            placed[p.event_id] = AppendResult(seq, p.event_id, prev, True)
        return rows, placed

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn the server's refusals into the store's own errors (naming the store)."""
        pg = driver()
        try:
            yield
        except pg.errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"store {self.path!r}: the database refused it ({_first_line(exc)}); this login "
                "may lack the append role",
                field="store",
                value=self.path,
            ) from None
        except pg.Error as exc:
            raise StoreError(
                f"store {self.path!r}: PostgreSQL error ({_first_line(exc)})",
                field="store",
                value=self.path,
            ) from None

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, str, str]]:
        return {
            event_id: (int(seq), body, h)
            for event_id, seq, body, h in self.conn.execute(
                "SELECT event_id, seq, body, hash FROM events WHERE event_id = ANY(%s)", (ids,)
            )
        }


_INSERT_COLUMNS = (
    "seq, event_id, type, code, actor, target, party_a, party_b, occurred_on, confidence, "
    "weight, refers_to, recorded_at, body, hash"
)


def _insert_params(r: Row) -> tuple[Any, ...]:
    a, b = (r.actor, r.target) if r.actor < r.target else (r.target, r.actor)
    return (
        r.seq,
        r.event_id,
        r.type,
        r.code,
        r.actor,
        r.target,
        a,
        b,
        r.occurred_on,
        r.confidence,
        r.weight,
        r.refers_to,
        r.recorded_at,
        r.body,
        r.hash,
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _stamp(head: Head, recorded_at: datetime | None, clock: Callable[[], datetime] | None) -> str:
    if recorded_at is not None:
        stamp = format_timestamp(recorded_at)
        if head.recorded_at and stamp < head.recorded_at:
            raise StoreError(
                f"recorded_at {stamp!r}: earlier than the log head's {head.recorded_at!r} "
                "(transaction time never goes backwards)",
                field="recorded_at",
                value=stamp,
            )
        return stamp
    stamp = format_timestamp((clock or _utcnow)())
    return max(stamp, head.recorded_at or stamp)
