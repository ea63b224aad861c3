"""The event log: an append-only, hash-chained SQLite table.

Layout (schema version 1; readable by any SQLite tool):

``meta(key, value)``
    ``app`` = ``relations-tracker``, ``schema_version``, ``created_at``.
``events``
    one row per event, ``seq`` = position in the log (1, 2, ...); envelope columns for indexed
    reads; ``body`` = the canonical JSON of the event (see :mod:`events.canonical`);
    ``recorded_at`` = transaction time (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, never decreasing);
    ``hash`` = SHA-256 hex of ``previous hash || record``, where the previous hash of seq 1 is
    64 zeros and the record is the canonical JSON ``{"event":BODY,"recorded_at":..,"seq":N}``.

Triggers refuse UPDATE and DELETE on ``events`` (and an INSERT OR REPLACE over a stored row,
which would otherwise delete it without firing the DELETE trigger). Appends run in one
``BEGIN IMMEDIATE`` transaction, so a batch is all-or-nothing and concurrent writers queue
instead of forking the chain; ``Store.transaction()`` makes many appends one transaction
(bulk imports).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

from tracker.crashes import record_commit
from tracker.errors import (
    ConflictError,
    DamagedStoreError,
    NewerSchemaError,
    NotAStoreError,
    StoreError,
    StoreNotFoundError,
)

APP_NAME = "relations-tracker"
APPLICATION_ID = 0x52454C54  # "RELT": marks the file as ours (PRAGMA application_id)
SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64
BUSY_TIMEOUT_S = 60.0
OPTIMISTIC_BATCH = 256
"""From this many events on, a batch is inserted before its ids are looked up (see append)."""

_SCHEMA = """
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    code         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    target       TEXT NOT NULL,
    party_a      TEXT NOT NULL,
    party_b      TEXT NOT NULL,
    occurred_on  TEXT NOT NULL,
    confidence   REAL NOT NULL,
    weight       REAL,
    refers_to    TEXT,
    recorded_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX events_dyad_date ON events (party_a, party_b, occurred_on);
CREATE INDEX events_date ON events (occurred_on);
CREATE INDEX events_refers_to ON events (refers_to) WHERE refers_to IS NOT NULL;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;
CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq OR event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: REPLACE refused'); END;
"""

INSERT_SQL = (
    "INSERT INTO events (seq, event_id, type, code, actor, target, party_a, party_b, "
    "occurred_on, confidence, weight, refers_to, recorded_at, body, hash) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
TRIGGERS = ("events_no_update", "events_no_delete", "events_no_replace")


class Prepared(NamedTuple):
    """An event reduced to what the log stores, before it has a position."""

    event_id: str
    type: str
    code: str
    actor: str
    target: str
    occurred_on: str
    confidence: float
    weight: float | None
    refers_to: str | None
    body: str


class Row(NamedTuple):
    """A stored event as the log holds it (no model construction: cheap for bulk reads)."""

    seq: int
    event_id: str
    type: str
    code: str
    actor: str
    target: str
    occurred_on: str
    confidence: float
    weight: float | None
    refers_to: str | None
    recorded_at: str
    body: str
    hash: str


ROW_COLUMNS = (
    "seq, event_id, type, code, actor, target, occurred_on, confidence, weight, "
    "refers_to, recorded_at, body, hash"
)


class Head(NamedTuple):
    seq: int
    hash: str
    recorded_at: str | None


class AppendResult(NamedTuple):
    seq: int
    event_id: str
    hash: str
    created: bool


def format_timestamp(moment: datetime) -> str:
    """Transaction times are UTC with microseconds, fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise StoreError(
            f"recorded_at {moment.isoformat()!r}: must be timezone-aware",
            field="recorded_at",
            value=moment.isoformat(),
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_bytes(body: str, seq: int, recorded_at: str) -> bytes:
    """Canonical JSON of ``{"event": body, "recorded_at": .., "seq": ..}`` (keys sorted)."""
    return f'{{"event":{body},"recorded_at":"{recorded_at}","seq":{seq}}}'.encode()


def known_seq(conn: sqlite3.Connection, known_at: int | datetime | None) -> int | None:
    """The log position a ``known_at`` (a seq, or a UTC moment: the last event recorded by
    then) stands for; None = the whole log."""
    if known_at is None:
        return None
    if isinstance(known_at, int):
        if known_at < 0:
            raise StoreError(
                f"known_at {known_at}: a log position is >= 0", field="known_at", value=known_at
            )
        return known_at
    stamp = format_timestamp(known_at)
    row = conn.execute(
        "SELECT coalesce(max(seq), 0) FROM events WHERE recorded_at <= ?", (stamp,)
    ).fetchone()
    return int(row[0])


def chain_hash(previous: str, body: str, seq: int, recorded_at: str) -> str:
    import hashlib  # here, not at the top: queries never hash

    return hashlib.sha256(
        previous.encode("ascii") + record_bytes(body, seq, recorded_at)
    ).hexdigest()


AppendListener = Callable[[sqlite3.Connection, Sequence[Row]], None]
"""Called inside the append transaction with the rows just written (projections hook here)."""


@runtime_checkable
class BulkListener(Protocol):
    """A listener that, inside :meth:`Store.transaction`, may defer its work to the end."""

    def begin_bulk(self) -> None: ...

    def end_bulk(self, conn: sqlite3.Connection) -> None: ...

    def abort_bulk(self) -> None: ...


class Store:
    """One SQLite file holding the log (and, later, derived tables)."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self.listeners: list[AppendListener] = []
        self.conn = _connect(self.path, create=create)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -----------------------------------------------------------------------------

    def head(self) -> Head:
        row = self.conn.execute(
            "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return Head(row[0], row[1], row[2]) if row else Head(0, GENESIS_HASH, None)

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

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
        """Stored rows matching every filter given, in log order (or valid-time order)."""
        where: list[str] = []
        params: list[Any] = []
        if actor:
            where.append("actor = ?")
            params.append(actor)
        if target:
            where.append("target = ?")
            params.append(target)
        if dyad:
            a, b = sorted(dyad)
            where.append("party_a = ? AND party_b = ?")
            params += [a, b]
        if types:
            where.append(f"type IN ({','.join('?' * len(types))})")
            params += list(types)
        if since:
            where.append("occurred_on >= ?")
            params.append(since.isoformat())
        if until:
            where.append("occurred_on <= ?")
            params.append(until.isoformat())
        if max_seq is not None:
            where.append("seq <= ?")
            params.append(max_seq)
        sql = f"SELECT {ROW_COLUMNS} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY occurred_on, seq" if order == "occurred" else " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for r in _guard(lambda: self.conn.execute(sql, params)):
            yield Row(*r)

    def row_by_id(self, event_id: str) -> Row | None:
        r = self.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return Row(*r) if r else None

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
        # inside `transaction()` a batch is a savepoint of the enclosing transaction
        nested = conn.in_transaction
        _guard(lambda: conn.execute("SAVEPOINT append" if nested else "BEGIN IMMEDIATE"))
        try:
            # A large batch (a bulk import) is first tried as if none of its ids were stored:
            # the UNIQUE index and the no-replace trigger check every row anyway, so looking
            # the ids up beforehand would pay for the same index search twice. If one is
            # stored after all, the attempt is rolled back and the batch placed exactly.
            optimistic = len(firsts) >= OPTIMISTIC_BATCH
            existing = {} if optimistic else self._existing(list(firsts))
            head = self.head()
            rows, placed = self._place(firsts, existing, head, recorded_at, clock)
            if rows and optimistic:
                conn.execute("SAVEPOINT fresh")
                try:
                    conn.executemany(INSERT_SQL, (_insert_params(r) for r in rows))
                    conn.execute("RELEASE fresh")
                except sqlite3.IntegrityError:
                    conn.execute("ROLLBACK TO fresh")
                    conn.execute("RELEASE fresh")
                    optimistic = False
                    existing = self._existing(list(firsts))
                    rows, placed = self._place(firsts, existing, head, recorded_at, clock)
            if rows and not optimistic:
                conn.executemany(INSERT_SQL, (_insert_params(r) for r in rows))
            if rows:
                for listener in self.listeners:
                    listener(conn, rows)
            conn.execute("RELEASE append" if nested else "COMMIT")
            if rows and not nested:
                record_commit()
        except BaseException:
            if nested:
                conn.execute("ROLLBACK TO append")
                conn.execute("RELEASE append")
            else:
                conn.execute("ROLLBACK")
            raise
        return [
            placed[p.event_id]
            if firsts[p.event_id] is p
            else AppendResult(placed[p.event_id].seq, p.event_id, placed[p.event_id].hash, False)
            for p in batch
        ]

    def _place(
        self,
        firsts: dict[str, Prepared],
        existing: dict[str, tuple[int, str]],
        head: Head,
        recorded_at: datetime | None,
        clock: Callable[[], datetime] | None,
    ) -> tuple[list[Row], dict[str, AppendResult]]:
        """Positions and chain hashes for the new events of a batch (``existing``: the ids
        already stored, with their seq and body)."""
        for event_id, (_seq, body) in existing.items():
            if body != firsts[event_id].body:
                raise ConflictError(
                    f"event_id {event_id!r}: already in the log at seq {_seq} with different "
                    "content (ids are idempotency keys: use a new id, or `tracker correct`)",
                    field="event_id",
                    value=event_id,
                )
        # an all-duplicate batch writes nothing, so its recorded_at is not checked
        fresh = any(eid not in existing for eid in firsts)
        stamp = self._stamp(head, recorded_at, clock) if fresh else ""
        seq, prev = head.seq, head.hash
        rows: list[Row] = []
        placed: dict[str, AppendResult] = {
            eid: AppendResult(s, eid, self._hash_at(s), False) for eid, (s, _b) in existing.items()
        }
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
    def transaction(self) -> Iterator[None]:
        """Make every ``append`` inside the block one all-or-nothing transaction.

        Takes the write lock once (``BEGIN IMMEDIATE``); each ``append`` in the block runs as a
        savepoint of it (a failed append undoes only itself), listeners run as usual, and the
        whole block commits at the end or rolls back if it raises. Bulk imports use this to be
        atomic across many batches. Nested blocks join the outer one.
        """
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        # listeners that can defer their work (checkpoints) do it once, before the commit
        bulk: list[BulkListener] = []
        for candidate in self.listeners:
            if isinstance(candidate, BulkListener):
                bulk.append(candidate)
        _guard(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            for hook in bulk:
                hook.begin_bulk()
            yield
            for hook in bulk:
                hook.end_bulk(conn)
        except BaseException:
            for hook in bulk:
                hook.abort_bulk()
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        record_commit()

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = (
                "SELECT event_id, seq, body FROM events WHERE event_id IN "
                f"({','.join('?' * len(chunk))})"
            )
            for event_id, seq, body in self.conn.execute(sql, chunk):
                found[event_id] = (seq, body)
        return found

    def _hash_at(self, seq: int) -> str:
        return str(self.conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()[0])

    @staticmethod
    def _stamp(
        head: Head, recorded_at: datetime | None, clock: Callable[[], datetime] | None
    ) -> str:
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
        # another machine's clock may lag: transaction time still never goes backwards
        return max(stamp, head.recorded_at or stamp)


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


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _guard(op: Callable[[], Any]) -> Any:
    """Run a database operation, turning SQLite's damage reports into a clear error."""
    try:
        return op()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise StoreError(f"the store is busy (locked by another process): {exc}") from None
        raise DamagedStoreError(f"the store file is damaged or unreadable: {exc}") from None


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    if path.is_dir():
        raise NotAStoreError(
            f"--db {str(path)!r}: is a directory, not a tracker store", field="db", value=str(path)
        )
    if not path.exists() and not create:
        raise StoreNotFoundError(
            f"--db {str(path)!r}: no tracker store there (append or import events first, "
            "or run `tracker demo`)",
            field="db",
            value=str(path),
        )
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False
        )
    except sqlite3.Error as exc:  # e.g. its directory does not exist
        raise StoreError(
            f"--db {str(path)!r}: cannot open ({exc})", field="db", value=str(path)
        ) from None
    try:
        app_id, tables = _probe(conn, path)
        if not tables and app_id == 0:
            if not create:
                raise NotAStoreError(
                    f"--db {str(path)!r}: an empty file, not a tracker store",
                    field="db",
                    value=str(path),
                )
            _initialise(conn)
        else:
            _check(conn, path, app_id, tables)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:  # e.g. a damaged page behind an intact header
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise StoreError(
                f"--db {str(path)!r}: the store is busy (locked by another process): {exc}",
                field="db",
                value=str(path),
            ) from None
        raise DamagedStoreError(
            f"--db {str(path)!r}: the store file is damaged or unreadable ({exc})",
            field="db",
            value=str(path),
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _probe(conn: sqlite3.Connection, path: Path) -> tuple[int, set[str]]:
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise NotAStoreError(
            f"--db {str(path)!r}: not a tracker store ({exc})", field="db", value=str(path)
        ) from None
    return app_id, tables


def _check(conn: sqlite3.Connection, path: Path, app_id: int, tables: set[str]) -> None:
    if app_id != APPLICATION_ID or "meta" not in tables or "events" not in tables:
        raise NotAStoreError(
            f"--db {str(path)!r}: an SQLite database, but not a relations-tracker store "
            "(refusing to touch it)",
            field="db",
            value=str(path),
        )
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    version = int(meta.get("schema_version", "0"))
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"--db {str(path)!r}: store schema version {version} is newer than this tracker "
            f"understands ({SCHEMA_VERSION}); upgrade relations-tracker to read it",
            field="schema_version",
            value=version,
        )
    if version < 1:
        raise NotAStoreError(
            f"--db {str(path)!r}: meta table has no valid schema_version",
            field="schema_version",
            value=meta.get("schema_version"),
        )


def _initialise(conn: sqlite3.Connection) -> None:
    """Create the schema in an empty file, once, even if two processes race to do it."""
    import sqlite_utils

    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            conn.execute("ROLLBACK")  # another process initialised it first
            return
        db = sqlite_utils.Database(conn)
        db.table("meta").create({"key": str, "value": str}, pk="key", not_null={"value"})
        for statement in _SCHEMA.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        db.table("meta").insert_all(
            [
                {"key": "app", "value": APP_NAME},
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                {"key": "created_at", "value": format_timestamp(_utcnow())},
            ]
        )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
