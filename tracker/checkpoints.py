"""Materialised projections: per-dyad checkpoints kept in the store file.

Derived and disposable: ``rebuild`` drops and recomputes them from the log alone, and must get
bit-identical rows. They are written in the same transaction as the append that changed them.
A late (backdated) event recomputes only its dyad, from its date on; a correction that moves an
event's date recomputes its whole dyad.

Tables (party_a < party_b; one dyad is one relationship)::

    checkpoints (party_a, party_b, day, s_ab, s_ba, d_ab, d_ba, label, n_verbal_coop,
                 n_material_coop, n_verbal_conflict, n_material_conflict, events)
        one row per dyad and day with events: the decayed sums right after that day's events,
        the label (hysteresis makes it path-dependent, so it is stored) and counts so far
    structure (party_a, party_b, day, status)
        one row per dyad and day on which the structural status changed: its canonical JSON
        from that day on (none before a dyad's first row: no relations recorded, no conflict)
    projection_meta (key, value)
        the scoring model the checkpoints were computed with, and its fingerprint
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from events.canonical import dumps
from events.vocabulary import STRUCTURAL_EFFECTS, catalogue
from projections.facts import RECORD_TYPES, Fact, effective, fact_from_body
from projections.model import DEFAULT_MODEL, ScoringModel
from projections.score import Checkpoint, fold
from projections.state import Status
from tracker.store import Row

DDL = """
CREATE TABLE IF NOT EXISTS checkpoints (
    party_a TEXT NOT NULL,
    party_b TEXT NOT NULL,
    day     TEXT NOT NULL,
    s_ab    REAL NOT NULL,
    s_ba    REAL NOT NULL,
    d_ab    REAL NOT NULL,
    d_ba    REAL NOT NULL,
    label   TEXT NOT NULL,
    n_verbal_coop INTEGER NOT NULL,
    n_material_coop INTEGER NOT NULL,
    n_verbal_conflict INTEGER NOT NULL,
    n_material_conflict INTEGER NOT NULL,
    events  INTEGER NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS structure (
    party_a TEXT NOT NULL,
    party_b TEXT NOT NULL,
    day     TEXT NOT NULL,
    status  TEXT NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

CHECKPOINT_COLUMNS = (
    "day, s_ab, s_ba, d_ab, d_ba, label, n_verbal_coop, n_material_coop, "
    "n_verbal_conflict, n_material_conflict, events"
)
DERIVED_TABLES = ("checkpoints", "structure")

_WITH_STATUS = (
    f"SELECT {CHECKPOINT_COLUMNS}, (SELECT s.status FROM structure s WHERE s.party_a = c.party_a "
    "AND s.party_b = c.party_b AND s.day <= c.day ORDER BY s.day DESC LIMIT 1) "
    "FROM checkpoints c WHERE c.party_a = ? AND c.party_b = ?"
)
"""A checkpoint row with the structural status in force on its day (one statement)."""


def _needs_body(type_name: str) -> bool:
    info = catalogue()[type_name]
    return bool(set(info.effects) & STRUCTURAL_EFFECTS) or type_name in RECORD_TYPES


_BODY_NEEDED = {name: _needs_body(name) for name in catalogue()}
_BODY_TYPES = tuple(sorted(name for name, needed in _BODY_NEEDED.items() if needed))


_FACT_SQL = (
    "SELECT seq, event_id, type, actor, target, occurred_on, code, confidence, weight, "
    f"CASE WHEN type IN ({', '.join(repr(t) for t in _BODY_TYPES)}) THEN body END "
    "FROM events WHERE party_a = ? AND party_b = ?"
)


def dyad_facts(
    conn: sqlite3.Connection,
    a: str,
    b: str,
    *,
    since: str | None = None,
    max_seq: int | None = None,
) -> Iterator[Fact]:
    """A dyad's stored events as facts, in log order, reading only the columns the
    projections use (the body only for structural and record-keeping types)."""
    sql, params = _FACT_SQL, [a, b]
    if since is not None:
        sql += " AND occurred_on >= ?"
        params.append(since)
    if max_seq is not None:
        sql += " AND seq <= ?"
        params.append(max_seq)  # type: ignore[arg-type]
    fromiso = date.fromisoformat
    for seq, event_id, type_, actor, target, day, code, confidence, weight, body in conn.execute(
        sql + " ORDER BY seq", params
    ):
        if body is not None:
            yield fact_from_body(seq, json.loads(body))
        else:
            yield Fact(seq, event_id, type_, actor, target, fromiso(day), code, confidence, weight)


def model_from_json(text: str) -> ScoringModel:
    return ScoringModel.from_dict(json.loads(text))


LAYOUT = "3"
"""Version of the derived tables' layout. They are disposable, so a store whose derived tables
have another layout (or none) simply gets them dropped and recomputed from the log."""


def ensure_schema(conn: sqlite3.Connection) -> bool:
    """Create, or after a layout change recreate, the derived tables; True if they were
    (re)created and must be computed from the log."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    layout = None
    if "projection_meta" in names:
        row = conn.execute("SELECT value FROM projection_meta WHERE key = 'layout'").fetchone()
        layout = row[0] if row else None
    if {*DERIVED_TABLES, "projection_meta"} <= names and layout == LAYOUT:
        return False
    for table in DERIVED_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in DDL.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT OR REPLACE INTO projection_meta (key, value) VALUES ('layout', ?)", (LAYOUT,)
    )
    return True


def _ready(conn: sqlite3.Connection) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {*DERIVED_TABLES, "projection_meta"} <= names:
        return False
    row = conn.execute("SELECT value FROM projection_meta WHERE key = 'layout'").fetchone()
    return row is not None and row[0] == LAYOUT


def stored_model(conn: sqlite3.Connection) -> ScoringModel | None:
    row = conn.execute("SELECT value FROM projection_meta WHERE key = 'model'").fetchone()
    return model_from_json(row[0]) if row else None


def table_rows(
    a: str, b: str, checkpoints: Sequence[Checkpoint], before: Status | None = None
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str, str, str]]]:
    """The rows of ``checkpoints`` and ``structure`` that represent a dyad's checkpoints
    (``before``: the status in force before the first of them). Writing and replaying both go
    through here, so a replay compares exactly what a rebuild would store."""
    rows = [
        (a, b, c.day.isoformat(), c.s_ab, c.s_ba, c.d_ab, c.d_ba, c.label, *c.counts, c.events)
        for c in checkpoints
    ]
    changes: list[tuple[str, str, str, str]] = []
    prev = before if before is not None else Status()
    for c in checkpoints:
        if c.status is not prev and c.status != prev:
            changes.append((a, b, c.day.isoformat(), dumps(c.status.to_dict())))
        prev = c.status
    return rows, changes


@lru_cache(maxsize=4096)
def _status(text: str | None) -> Status:
    return Status() if text is None else Status.from_dict(json.loads(text))


def checkpoint_from_row(r: Sequence[Any]) -> Checkpoint:
    """A checkpoint from ``CHECKPOINT_COLUMNS`` followed by its status JSON (or None)."""
    return Checkpoint(
        date.fromisoformat(r[0]),
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        _status(r[11]),
        (r[6], r[7], r[8], r[9]),
        r[10],
    )


def dyad_rows(
    conn: sqlite3.Connection,
    a: str,
    b: str,
    *,
    since: str | None = None,
    max_seq: int | None = None,
) -> Iterator[Row]:
    from tracker.store import ROW_COLUMNS

    sql = f"SELECT {ROW_COLUMNS} FROM events WHERE party_a = ? AND party_b = ?"
    params: list[object] = [a, b]
    if since is not None:
        sql += " AND occurred_on >= ?"
        params.append(since)
    if max_seq is not None:
        sql += " AND seq <= ?"
        params.append(max_seq)
    for r in conn.execute(sql + " ORDER BY seq", params):
        yield Row(*r)


def fold_dyad(
    conn: sqlite3.Connection,
    a: str,
    b: str,
    model: ScoringModel,
    *,
    start: Checkpoint | None = None,
    since: str | None = None,
    max_seq: int | None = None,
) -> list[Checkpoint]:
    """Checkpoints of one dyad from the log: the single fold that the store, the queries and
    the audit replay all use."""
    return fold(effective(dyad_facts(conn, a, b, since=since, max_seq=max_seq)), model, a, start)


class Projector:
    """Keeps the checkpoints of one store current; attach it as a store append listener."""

    def __init__(self, conn: sqlite3.Connection, model: ScoringModel | None = None) -> None:
        self.conn = conn
        stored = stored_model(conn) if _ready(conn) else None
        if stored is None:
            # first use, or derived tables of an older layout: set them up under the write
            # lock (readers of a ready store never take it)
            own = not conn.in_transaction
            if own:
                conn.execute("BEGIN IMMEDIATE")
            try:
                created = ensure_schema(conn)
                stored = stored_model(conn)
                self.model = model or stored or DEFAULT_MODEL
                if stored is None:
                    self._save_model()
                if created and conn.execute("SELECT 1 FROM events LIMIT 1").fetchone():
                    self.rebuild()
                if own:
                    conn.execute("COMMIT")
            except BaseException:
                if own:
                    conn.execute("ROLLBACK")
                raise
        self.model = model or stored or DEFAULT_MODEL

    def _save_model(self) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO projection_meta (key, value) VALUES ('model', ?), "
            "('fingerprint', ?)",
            (dumps(self.model.to_dict()), self.model.fingerprint),
        )

    # -- the append hook -------------------------------------------------------------------

    _deferred: dict[tuple[str, str], str | None] | None = None

    def begin_bulk(self) -> None:
        """Inside one long transaction (a bulk import) recompute each dyad once, at the end,
        instead of after every batch: out-of-order data would otherwise refold a dyad's
        history once per batch."""
        self._deferred = {}

    def end_bulk(self, conn: sqlite3.Connection) -> None:
        pending, self._deferred = self._deferred or {}, None
        for (a, b), since in sorted(pending.items()):
            self.recompute(a, b, None if since is None or self._moved_dates(a, b) else since)

    def abort_bulk(self) -> None:
        self._deferred = None

    def __call__(self, conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
        deferring = self._deferred is not None
        starts: dict[tuple[str, str], str | None] = (
            self._deferred if self._deferred is not None else {}
        )
        for row in rows:
            key = (row.actor, row.target) if row.actor < row.target else (row.target, row.actor)
            day: str | None = row.occurred_on
            if row.type == "correct" and "occurred_on" in json.loads(row.body)["changes"]:
                day = None  # the event moves in time: recompute the whole dyad
            if key in starts:
                old = starts[key]
                day = None if old is None or day is None else min(old, day)
            starts[key] = day
        if deferring:
            return
        for (a, b), since in starts.items():
            if since is not None and self._moved_dates(a, b):
                since = None
            self.recompute(a, b, since)

    def _moved_dates(self, a: str, b: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM events WHERE party_a = ? AND party_b = ? AND type = 'correct' "
                "AND json_extract(body, '$.changes.occurred_on') IS NOT NULL LIMIT 1",
                (a, b),
            ).fetchone()
            is not None
        )

    def recompute(self, a: str, b: str, since: str | None) -> None:
        """Recompute one dyad's checkpoints from ``since`` (inclusive; None = from scratch)."""
        conn = self.conn
        start = None
        if since is not None:
            r = conn.execute(
                _WITH_STATUS + " AND c.day < ? ORDER BY c.day DESC LIMIT 1", (a, b, since)
            ).fetchone()
            start = checkpoint_from_row(r) if r else None
        for table in DERIVED_TABLES:
            conn.execute(
                f"DELETE FROM {table} WHERE party_a = ? AND party_b = ? AND day >= ?",
                (a, b, since or ""),
            )
        new = fold_dyad(conn, a, b, self.model, start=start, since=since)
        rows, changes = table_rows(a, b, new, start.status if start else None)
        conn.executemany(
            f"INSERT INTO checkpoints (party_a, party_b, {CHECKPOINT_COLUMNS}) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO structure (party_a, party_b, day, status) VALUES (?,?,?,?)", changes
        )

    # -- rebuild ---------------------------------------------------------------------------

    def rebuild(self) -> int:
        """Drop every checkpoint and recompute all from the log; returns the dyad count."""
        for table in DERIVED_TABLES:
            self.conn.execute(f"DELETE FROM {table}")
        self._save_model()
        count = 0
        for a, b in self.conn.execute(
            "SELECT DISTINCT party_a, party_b FROM events ORDER BY party_a, party_b"
        ).fetchall():
            self.recompute(a, b, None)
            count += 1
        return count


def all_checkpoints(conn: sqlite3.Connection, a: str, b: str) -> list[Checkpoint]:
    return [checkpoint_from_row(r) for r in conn.execute(_WITH_STATUS + " ORDER BY c.day", (a, b))]


def checkpoint_on_or_before(
    conn: sqlite3.Connection, a: str, b: str, day: date
) -> Checkpoint | None:
    """The last checkpoint on or before ``day``: one indexed lookup."""
    r = conn.execute(
        _WITH_STATUS + " AND c.day <= ? ORDER BY c.day DESC LIMIT 1", (a, b, day.isoformat())
    ).fetchone()
    return checkpoint_from_row(r) if r else None
