"""Audit: prove the log intact (``verify``), prove every number follows from it (``replay``),
and hand it to a third party (``export``).

Everything here reads the store through a **read-only** SQLite connection, inside one read
transaction (a consistent snapshot even while other processes append), and never writes to
the user's file.

verify
    Streams the log in seq order and recomputes the hash chain from the stored bytes
    (``hash = sha256(previous hash || {"event":BODY,"recorded_at":..,"seq":N})``), without
    building a pydantic model per row. Per row it also checks that ``seq`` continues the
    sequence (no gap, no duplicate), that ``recorded_at`` is well formed and never goes
    backwards, that the body is a canonical JSON object of a known type, and that the indexed
    columns (event_id, type, code, actor, target, party_a/b, occurred_on, confidence, weight,
    refers_to) agree with the body. ``deep`` additionally validates each body as its typed
    event and checks the record-keeping references. Independently of the rows it checks the
    file's ``application_id``, the ``meta`` table and that the schema (table, indexes and the
    append-only triggers) is exactly the one the store creates. The first broken position is
    reported (later positions cannot be trusted once the chain is broken); ``against`` compares
    every stored event with an exported log, line by line, and reports the first difference.

replay
    Rebuilds every dyad's checkpoints from the log alone, in memory, with the store's scoring
    model and the very functions the store uses to write them (``fold_dyad`` and
    ``table_rows``), and compares the rows with the stored ``checkpoints`` and ``structure``
    rows one by one, floats bit for bit. One dyad at a time: memory does not grow with the log.

export
    Writes the log as JSON Lines, one record per event in seq order, each the canonical JSON
    of ``{"event": {...canonical event...}, "hash": .., "recorded_at": .., "seq": ..}`` (what
    ``tracker log --json`` prints, compactly). The chain is checked while writing: a broken
    log is not exported.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from events.canonical import dumps
from events.errors import TrackerError
from events.models import SCHEMA_VERSION as EVENT_SCHEMA_VERSION
from tracker.errors import NotAStoreError, StoreError, StoreNotFoundError
from tracker.store import (
    _SCHEMA,
    APP_NAME,
    APPLICATION_ID,
    BUSY_TIMEOUT_S,
    GENESIS_HASH,
    SCHEMA_VERSION,
    known_seq,
    record_bytes,
)

Progress = Callable[[int], None]
"""Called with the number of rows processed since the previous call."""

PROGRESS_EVERY = 4096
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_EVENT_COLUMNS = (
    "seq",
    "event_id",
    "type",
    "code",
    "actor",
    "target",
    "party_a",
    "party_b",
    "occurred_on",
    "confidence",
    "weight",
    "refers_to",
    "recorded_at",
    "body",
    "hash",
)
_EXPORT_KEYS = frozenset({"event", "hash", "recorded_at", "seq"})


class AuditError(TrackerError):
    """An audit cannot be carried out (or an export refused): the message says why."""


# -- opening a store read-only ---------------------------------------------------------------


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to an existing SQLite file (it cannot change the file)."""
    p = Path(path)
    if p.is_dir():
        raise NotAStoreError(
            f"--db {str(p)!r}: is a directory, not a tracker store", field="db", value=str(p)
        )
    if not p.exists():
        raise StoreNotFoundError(
            f"--db {str(p)!r}: no tracker store there", field="db", value=str(p)
        )
    conn = sqlite3.connect(
        _ro_uri(p), uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False
    )
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotAStoreError(
            f"--db {str(p)!r}: not a tracker store ({exc})", field="db", value=str(p)
        ) from None
    return conn


def _ro_uri(path: Path) -> str:
    return "file:" + quote(str(path.resolve())) + "?mode=ro"


def count_events(path: str | Path) -> int:
    """The log's length (its head seq), read cheaply; 0 when it cannot be told."""
    conn = open_readonly(path)
    try:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
    except (sqlite3.DatabaseError, TypeError, ValueError):
        return 0
    finally:
        conn.close()


def _require_store(conn: sqlite3.Connection, path: Path, schema: str = "main") -> None:
    """Refuse files that are not relations-tracker stores (for replay and export)."""
    app_id = int(conn.execute(f"PRAGMA {schema}.application_id").fetchone()[0])
    tables = {
        r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
    }
    if app_id != APPLICATION_ID or not {"meta", "events"} <= tables:
        raise NotAStoreError(
            f"--db {str(path)!r}: an SQLite database, but not a relations-tracker store",
            field="db",
            value=str(path),
        )


# -- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fault:
    """One thing wrong. ``seq`` is the log position concerned (None for file-level faults)."""

    kind: str
    """meta | schema | trigger | seq | hash | time | body | column | reference | against"""
    message: str
    seq: int | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "seq": self.seq, "line": self.line}

    def __str__(self) -> str:
        where = f"seq {self.seq}: " if self.seq is not None else ""
        if self.line is not None:
            where += f"line {self.line}: "
        return f"{self.kind}: {where}{self.message}"


@dataclass(frozen=True)
class VerifyReport:
    store: str
    events: int
    """Rows read from the log."""
    verified: int
    """Positions 1..verified chain correctly and agree with their bodies."""
    head_seq: int
    head_hash: str
    faults: tuple[Fault, ...] = ()
    against: str | None = None
    against_lines: int = 0
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def first(self) -> Fault | None:
        """The first fault in the log itself (a position), if any."""
        return next((f for f in self.faults if f.seq is not None and f.kind != "against"), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "ok": self.ok,
            "events": self.events,
            "verified": self.verified,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "faults": [f.to_dict() for f in self.faults],
            "first_bad_seq": self.first.seq if self.first else None,
            "against": self.against,
            "against_lines": self.against_lines,
            "notes": list(self.notes),
        }


def _statements() -> dict[str, tuple[str, str, str]]:
    """name -> (kind, table, normalised SQL) for every object the store's schema creates."""
    out: dict[str, tuple[str, str, str]] = {}
    for statement in _SCHEMA.split(";\n"):
        sql = " ".join(statement.split())
        m = re.match(r"CREATE (?:UNIQUE )?(TABLE|INDEX|TRIGGER) (\w+)(?: ON (\w+)| \()?", sql)
        if m is None:
            continue
        kind, name = m.group(1).lower(), m.group(2)
        table = m.group(3) or name
        if kind == "trigger":
            t = re.search(r" ON (\w+)", sql)
            table = t.group(1) if t else name
        out[name] = (kind, table, sql)
    return out


EXPECTED_SCHEMA = _statements()
"""What a healthy store's ``sqlite_master`` holds for the log (names, kinds, SQL)."""


def _check_file(conn: sqlite3.Connection) -> list[Fault]:
    """File-level checks: application id, meta, and the log's schema and triggers."""
    faults: list[Fault] = []
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id != APPLICATION_ID:
        faults.append(
            Fault(
                "meta",
                f"application_id {app_id:#x}: expected "
                f"{APPLICATION_ID:#x} (a relations-tracker store)",
            )
        )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables:
        faults.append(Fault("meta", "the meta table is missing"))
    else:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            meta = {}
            faults.append(Fault("meta", f"the meta table is unreadable ({exc})"))
        for key, want in (("app", APP_NAME), ("schema_version", str(SCHEMA_VERSION))):
            if meta.get(key) != want:
                faults.append(Fault("meta", f"meta {key} {meta.get(key)!r}: expected {want!r}"))
    present = {
        name: (kind, table, " ".join((sql or "").split()))
        for kind, name, table, sql in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE tbl_name = 'events' OR name = 'events'"
        )
    }
    for name, (kind, _table, sql) in EXPECTED_SCHEMA.items():
        if kind == "table" and name != "events":
            continue
        fault_kind = "trigger" if kind == "trigger" else "schema"
        if name not in present:
            why = (
                " (the log is no longer protected against being rewritten)"
                if kind == "trigger"
                else ""
            )
            faults.append(Fault(fault_kind, f"{kind} {name} is missing{why}"))
        elif present[name][2] != sql:
            faults.append(
                Fault(
                    fault_kind,
                    f"{kind} {name} was altered: found {present[name][2]!r}, expected {sql!r}",
                )
            )
    for name, (kind, _table, sql) in present.items():
        if name not in EXPECTED_SCHEMA and not name.startswith("sqlite_autoindex"):
            fault_kind = "trigger" if kind == "trigger" else "schema"
            faults.append(Fault(fault_kind, f"unexpected {kind} {name} on events: {sql!r}"))
    return faults


def _canonical_body(body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(parsed object, None) for a canonical JSON object, else (parsed or None, why not)."""
    if not isinstance(body, str):
        return None, f"body is {type(body).__name__}, not text"
    try:
        obj = json.loads(body)
    except ValueError as exc:
        return None, f"body is not valid JSON ({exc})"
    if not isinstance(obj, dict):
        return None, f"body is a JSON {type(obj).__name__}, not an object"
    try:
        canonical = dumps(obj)
    except ValueError as exc:
        return obj, f"body cannot be written canonically ({exc})"
    if canonical != body:
        return obj, "body is not in canonical form (sorted keys, no spaces, UTF-8)"
    return obj, None


_COLUMN_NAMES = _EVENT_COLUMNS[1:12]
"""The indexed columns a body implies (event_id ... refers_to), in table order."""


@cache
def _type_codes() -> dict[str, str]:
    from events.vocabulary import catalogue

    return {name: info.cameo_code or "" for name, info in catalogue().items()}


def _body_columns(obj: dict[str, Any]) -> tuple[Any, ...] | str:
    """The values of :data:`_COLUMN_NAMES` a body implies, or why it is not a valid envelope."""
    try:
        type_name, event_id = obj["type"], obj["event_id"]
        actor, target, occurred_on = obj["actor"], obj["target"], obj["occurred_on"]
        type_code = _type_codes()[type_name]
    except (KeyError, TypeError):
        for key in ("type", "event_id", "actor", "target", "occurred_on"):
            if key not in obj:
                return f"body field {key} is missing"
        return f"body type {obj['type']!r} is not in the vocabulary"
    if not (
        isinstance(event_id, str)
        and isinstance(actor, str)
        and isinstance(target, str)
        and isinstance(occurred_on, str)
    ):
        return "body fields event_id, actor, target and occurred_on must be strings"
    if obj.get("schema_version") != EVENT_SCHEMA_VERSION:
        return f"body schema_version {obj.get('schema_version')!r} is not {EVENT_SCHEMA_VERSION}"
    a, b = (actor, target) if actor < target else (target, actor)
    return (
        event_id,
        type_name,
        obj.get("cameo_code") or type_code,
        actor,
        target,
        a,
        b,
        occurred_on,
        obj.get("confidence", 1.0),
        obj.get("weight"),
        obj.get("refers_to"),
    )


def _same(stored: Any, implied: Any) -> bool:
    if isinstance(implied, (int, float)) and not isinstance(implied, bool):
        return (
            isinstance(stored, (int, float))
            and not isinstance(stored, bool)
            and float(stored) == float(implied)
        )
    return type(stored) is type(implied) and stored == implied


class _Deep:
    """Full validation (``verify --deep``): typed bodies and record-keeping references."""

    def __init__(self) -> None:
        self.parties: dict[str, tuple[str, str, bool]] = {}  # id -> (actor, target, record)
        self.retracted: set[str] = set()

    def check(self, body: str, obj: dict[str, Any]) -> str | None:
        from events.canonical import canonical_text
        from events.models import AS_RECORDED, parse_event

        try:
            event = parse_event(obj, parties_mode=AS_RECORDED)
        except TrackerError as exc:
            return f"body is not a valid event: {exc.message}"
        if canonical_text(event) != body:
            return "body differs from the canonical form of the event it encodes"
        event_id = obj["event_id"]
        if event_id in self.parties:
            return f"event_id {event_id!r} appears twice in the log"
        ref = obj.get("refers_to")
        record = obj["type"] in ("retract", "correct")
        if record:
            original = self.parties.get(str(ref))
            if original is None:
                return f"refers_to {ref!r}: no earlier event has that id"
            if original[2]:
                return f"refers_to {ref!r}: refers to a record-keeping event"
            if original[:2] != (obj["actor"], obj["target"]):
                return f"refers_to {ref!r}: parties differ from the original's"
            if ref in self.retracted:
                return f"refers_to {ref!r}: the event was already retracted"
            if obj["type"] == "retract":
                self.retracted.add(str(ref))
        self.parties[event_id] = (obj["actor"], obj["target"], record)
        return None


class _Against:
    """An exported log read alongside the store, one record per stored event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.file: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise AuditError(
                f"--against {str(path)!r}: cannot read ({exc})", field="against", value=str(path)
            ) from None
        self.line = 0
        self.records = 0

    def close(self) -> None:
        self.file.close()

    def next(self) -> tuple[int, dict[str, Any] | str] | None:
        """(line number, record or why the line is bad), or None at the end of the file."""
        for raw in self.file:
            self.line += 1
            if not raw.strip():
                continue
            self.records += 1
            try:
                rec = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                return self.line, "not UTF-8 text"
            except ValueError as exc:
                return self.line, f"not valid JSON ({exc})"
            if not isinstance(rec, dict) or set(rec) != _EXPORT_KEYS:
                keys = sorted(rec) if isinstance(rec, dict) else type(rec).__name__
                return self.line, (
                    f"not an export record (keys {keys}; expected {sorted(_EXPORT_KEYS)})"
                )
            return self.line, rec
        return None

    def compare(self, seq: int, recorded_at: Any, body: Any, stored_hash: Any) -> Fault | None:
        item = self.next()
        if item is None:
            return Fault(
                "against-end",
                f"the store has this event and more after the end "
                f"of {self.path.name} ({self.records} records)",
                seq=seq,
            )
        line, rec = item
        if isinstance(rec, str):
            return Fault("against", rec, seq=seq, line=line)
        if rec["seq"] != seq:
            return Fault(
                "against",
                f"file has seq {rec['seq']!r} where the store has {seq}",
                seq=seq,
                line=line,
            )
        if not isinstance(rec["event"], dict):
            return Fault("against", "event is not a JSON object", seq=seq, line=line)
        try:
            file_body = dumps(rec["event"])
        except ValueError as exc:
            return Fault(
                "against", f"event cannot be written canonically ({exc})", seq=seq, line=line
            )
        if file_body != body:
            return Fault("against", _body_difference(body, rec["event"]), seq=seq, line=line)
        if rec["recorded_at"] != recorded_at:
            return Fault(
                "against",
                f"recorded_at: store {recorded_at!r}, file {rec['recorded_at']!r}",
                seq=seq,
                line=line,
            )
        if rec["hash"] != stored_hash:
            return Fault(
                "against", f"hash: store {stored_hash!r}, file {rec['hash']!r}", seq=seq, line=line
            )
        return None

    def trailing(self, head_seq: int) -> Fault | None:
        item = self.next()
        if item is None:
            return None
        line, rec = item
        seq = rec.get("seq") if isinstance(rec, dict) else None
        return Fault(
            "against",
            f"the file goes on after the store's last event (seq "
            f"{head_seq}): record seq {seq!r} is not in the store",
            seq=seq if isinstance(seq, int) else None,
            line=line,
        )


def _body_difference(stored: Any, event: dict[str, Any]) -> str:
    try:
        mine = json.loads(stored)
    except (TypeError, ValueError):
        return "event differs (the stored body is not valid JSON)"
    if not isinstance(mine, dict):
        return "event differs (the stored body is not a JSON object)"
    for key in sorted(set(mine) | set(event)):
        if mine.get(key, "<absent>") != event.get(key, "<absent>"):
            return (
                f"event.{key}: store {mine.get(key, '<absent>')!r}, file "
                f"{event.get(key, '<absent>')!r}"
            )
    return "event differs in representation (e.g. 1 vs 1.0)"


def verify(
    path: str | Path,
    *,
    against: str | Path | None = None,
    deep: bool = False,
    prefix: bool = False,
    progress: Progress | None = None,
) -> VerifyReport:
    """Check the store at ``path`` (see the module docstring); never raises for a fault, only
    when the file cannot be read as SQLite at all.

    ``against``: an exported log to compare with; ``prefix``: accept a store that has more
    events than that file (an export taken earlier).
    """
    p = Path(path)
    conn = open_readonly(p)
    checker = _Against(Path(against)) if against is not None else None
    try:
        conn.execute("BEGIN")  # one snapshot for every check below
        return _verify(conn, p, checker, deep, prefix, progress)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"--db {str(p)!r}: the store file is damaged or unreadable: {exc}"
        ) from None
    finally:
        if checker is not None:
            checker.close()
        conn.close()


def _verify(
    conn: sqlite3.Connection,
    path: Path,
    checker: _Against | None,
    deep: bool,
    prefix: bool,
    progress: Progress | None,
) -> VerifyReport:
    faults = _check_file(conn)
    against_name = str(checker.path) if checker is not None else None
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = (
        [r[1] for r in conn.execute("PRAGMA table_info(events)")] if "events" in tables else []
    )
    missing = [c for c in _EVENT_COLUMNS if c not in columns]
    if missing:
        what = (
            "the events table is missing: not a relations-tracker store"
            if "events" not in tables
            else f"the events table lacks columns {missing}"
        )
        faults.append(Fault("schema", what))
        return VerifyReport(str(path), 0, 0, 0, GENESIS_HASH, tuple(faults), against_name)

    deep_checker = _Deep() if deep else None
    chain_fault: Fault | None = None
    against_fault: Fault | None = None
    notes: list[str] = []
    prev_hash, prev_stamp = GENESIS_HASH, ""
    prev_bytes = GENESIS_HASH.encode("ascii")
    sha256, loads = hashlib.sha256, json.loads
    verified = rows = pending = against_records = 0
    expected = 1
    cursor = conn.execute(f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events ORDER BY seq")
    for row in cursor:
        rows += 1
        seq, recorded_at, body, stored_hash = row[0], row[12], row[13], row[14]
        if chain_fault is None:
            # the fast path: every check in one expression; any doubt (or exception) goes
            # to the detailed check, which names the fault
            try:
                good = (
                    seq == expected
                    and sha256(prev_bytes + record_bytes(body, seq, recorded_at)).hexdigest()
                    == stored_hash
                    and dumps(obj := loads(body)) == body
                    and row[1:12] == _body_columns(obj)
                    and (
                        recorded_at == prev_stamp
                        or (
                            recorded_at > prev_stamp
                            and _TIMESTAMP.fullmatch(recorded_at) is not None
                        )
                    )
                )
            except Exception:
                good = False
            if not good:
                chain_fault = _check_row(row, expected, prev_hash, prev_stamp)
                if chain_fault is not None and chain_fault.kind == "hash":
                    chain_fault = _diagnose(conn, chain_fault, prev_hash, row)
                elif chain_fault is None:
                    obj = loads(body)
            if chain_fault is None and deep_checker is not None:
                why = deep_checker.check(body, obj)
                if why is not None:
                    kind = "reference" if why.startswith(("refers_to", "event_id")) else "body"
                    chain_fault = Fault(kind, why, seq=seq)
            if chain_fault is None:
                verified, expected = seq, seq + 1
                prev_hash, prev_stamp = stored_hash, recorded_at
                prev_bytes = stored_hash.encode("ascii")
        if checker is not None and against_fault is None:
            against_fault = checker.compare(seq, recorded_at, body, stored_hash)
            if against_fault is not None and against_fault.kind == "against-end" and prefix:
                notes.append(
                    f"the store has events after the end of {checker.path.name} "
                    f"(from seq {seq}); accepted with --prefix"
                )
                against_fault = None
                against_records = checker.records
                checker = None
        pending += 1
        if progress is not None and pending >= PROGRESS_EVERY:
            progress(pending)
            pending = 0
        if chain_fault is not None and (checker is None or against_fault is not None):
            break
    cursor.close()
    if progress is not None and pending:
        progress(pending)
    head = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    head_seq, head_hash = (head[0], head[1]) if head else (0, GENESIS_HASH)
    if checker is not None and against_fault is None:
        against_fault = checker.trailing(head_seq)
    if chain_fault is not None:
        faults.append(chain_fault)
    if against_fault is not None:
        if against_fault.kind == "against-end":
            against_fault = Fault(
                "against", against_fault.message, against_fault.seq, against_fault.line
            )
        faults.append(against_fault)
    return VerifyReport(
        str(path),
        rows,
        verified,
        head_seq if isinstance(head_seq, int) else 0,
        str(head_hash),
        tuple(faults),
        against_name,
        checker.records if checker is not None else against_records,
        tuple(notes),
    )


def _check_row(row: Sequence[Any], expected: int, prev_hash: str, prev_stamp: str) -> Fault | None:
    """The first thing wrong with one stored row, given the verified row before it."""
    seq, recorded_at, body, stored_hash = row[0], row[12], row[13], row[14]
    if not isinstance(seq, int) or isinstance(seq, bool):
        return Fault("seq", f"seq {seq!r} is not an integer position", seq=expected)
    if seq != expected:
        if seq > expected:
            gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
            return Fault(
                "seq",
                f"gap: position {gap} missing (the log jumps from {expected - 1} to {seq})",
                seq=expected,
            )
        if seq < 1:
            return Fault("seq", f"seq {seq}: positions start at 1", seq=seq)
        return Fault("seq", f"duplicate or out-of-order seq {seq} (expected {expected})", seq=seq)
    for name, value in (("recorded_at", recorded_at), ("body", body), ("hash", stored_hash)):
        if not isinstance(value, str):
            return Fault(
                "body" if name == "body" else "hash" if name == "hash" else "time",
                f"{name} is stored as {type(value).__name__}, not text",
                seq=seq,
            )
    computed = hashlib.sha256(
        prev_hash.encode("ascii") + record_bytes(body, seq, recorded_at)
    ).hexdigest()
    if computed != stored_hash:
        return Fault(
            "hash",
            f"hash mismatch: stored {stored_hash[:16]}…, recomputed {computed[:16]}…",
            seq=seq,
        )
    obj, why = _canonical_body(body)
    if why is not None or obj is None:
        return Fault("body", why or "body is not a JSON object", seq=seq)
    implied = _body_columns(obj)
    if isinstance(implied, str):
        return Fault("body", implied, seq=seq)
    if tuple(row[1:12]) != implied:
        for name, stored, value in zip(_COLUMN_NAMES, row[1:12], implied, strict=True):
            if not _same(stored, value):
                return Fault(
                    "column",
                    f"column {name} {stored!r} does not match the event body ({value!r})",
                    seq=seq,
                )
    if not _TIMESTAMP.fullmatch(recorded_at):
        return Fault(
            "time",
            f"recorded_at {recorded_at!r} is not a UTC timestamp YYYY-MM-DDTHH:MM:SS.ffffffZ",
            seq=seq,
        )
    if recorded_at < prev_stamp:
        return Fault(
            "time",
            f"recorded_at {recorded_at!r} is earlier than the previous "
            f"event's {prev_stamp!r} (transaction time goes backwards)",
            seq=seq,
        )
    return None


def _diagnose(conn: sqlite3.Connection, fault: Fault, prev_hash: str, row: Sequence[Any]) -> Fault:
    """Say which part of a row broke the chain, from whether the next row chains from the
    stored hash (the content was changed) or from the recomputed one (the hash was)."""
    seq, recorded_at, body, stored_hash = row[0], row[12], row[13], row[14]
    nxt = conn.execute(
        "SELECT seq, recorded_at, body, hash FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (seq,)
    ).fetchone()
    if nxt is None:
        why = "the last event's body, recorded_at or hash was altered"
    elif not all(isinstance(x, str) for x in nxt[1:]):
        why = "this row or the next one was altered"
    else:
        recomputed = hashlib.sha256(
            prev_hash.encode("ascii") + record_bytes(body, seq, recorded_at)
        ).hexdigest()

        def chains_from(h: str) -> bool:
            return bool(
                hashlib.sha256(
                    h.encode("ascii", "replace") + record_bytes(nxt[2], nxt[0], nxt[1])
                ).hexdigest()
                == nxt[3]
            )

        if chains_from(stored_hash):
            why = (
                "the body or recorded_at was altered after it was chained (the stored hash "
                "is the original)"
            )
        elif chains_from(recomputed):
            why = "the stored hash was altered (the next event chains from the content)"
        else:
            why = "several rows were altered, or the chain was rewritten from here"
    return Fault("hash", f"{fault.message}: {why}", seq=seq)


# -- export ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportResult:
    events: int
    head_seq: int
    head_hash: str
    known_at: int | None


def export(
    path: str | Path,
    out: IO[str],
    *,
    known_at: int | datetime | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the log (up to ``known_at``) to ``out`` as JSON Lines, one canonical
    ``{"event", "hash", "recorded_at", "seq"}`` record per event, in seq order.

    The chain is recomputed while writing; a broken log raises :class:`AuditError` naming the
    first bad position (part of the output may have been written: write to a temporary file,
    as :func:`export_file` does).
    """
    p = Path(path)
    conn = open_readonly(p)
    try:
        _require_store(conn, p)
        conn.execute("BEGIN")
        limit = known_seq(conn, known_at)
        cursor = conn.execute(
            "SELECT seq, recorded_at, body, hash FROM events WHERE seq <= ? ORDER BY seq",
            (limit if limit is not None else 2**62,),
        )
        prev, expected, pending = GENESIS_HASH, 1, 0
        for seq, recorded_at, body, stored_hash in cursor:
            why = _export_fault(seq, expected, recorded_at, body, stored_hash, prev)
            if why is not None:
                raise AuditError(
                    f"seq {seq}: {why}; refusing to export a broken log (run `tracker verify`)",
                    field="seq",
                    value=seq,
                )
            out.write(
                f'{{"event":{body},"hash":{dumps(stored_hash)},'
                f'"recorded_at":{dumps(recorded_at)},"seq":{seq}}}\n'
            )
            prev, expected = stored_hash, seq + 1
            pending += 1
            if progress is not None and pending >= PROGRESS_EVERY:
                progress(pending)
                pending = 0
        if progress is not None and pending:
            progress(pending)
        return ExportResult(expected - 1, expected - 1, prev, limit)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"--db {str(p)!r}: the store file is damaged or unreadable: {exc}"
        ) from None
    finally:
        conn.close()


def _export_fault(
    seq: Any, expected: int, recorded_at: Any, body: Any, stored_hash: Any, prev: str
) -> str | None:
    if seq != expected:
        return f"expected position {expected}"
    if not (
        isinstance(recorded_at, str) and isinstance(body, str) and isinstance(stored_hash, str)
    ):
        return "a column is not text"
    computed = hashlib.sha256(
        prev.encode("ascii") + record_bytes(body, seq, recorded_at)
    ).hexdigest()
    if computed != stored_hash:
        return "hash mismatch"
    _obj, why = _canonical_body(body)
    return why


def export_file(
    path: str | Path,
    target: str | Path,
    *,
    known_at: int | datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """:func:`export` into a file, atomically: a temporary file beside it, renamed at the end
    (an error leaves no partial file). An existing file is replaced only with ``force``."""
    from tracker.outputs import AtomicOutput

    with AtomicOutput(target, field="file", store=path, replace=force) as out:
        result = export(path, out.stream, known_at=known_at, progress=progress)
        out.publish()
    return result


# -- replay ----------------------------------------------------------------------------------

CHECKPOINT_FIELDS = (
    "day",
    "s_ab",
    "s_ba",
    "d_ab",
    "d_ba",
    "label",
    "n_verbal_coop",
    "n_material_coop",
    "n_verbal_conflict",
    "n_material_conflict",
    "events",
)
STRUCTURE_FIELDS = ("day", "status")


@dataclass(frozen=True)
class DyadReplay:
    """One dyad's replay: ``ok``, ``differs`` (with the first differing day and column) or
    ``not compared`` (a ``known_at`` replay, with the dyad's state then)."""

    dyad: tuple[str, str]
    result: str
    checkpoints: int
    stored: int | None = None
    day: str | None = None
    column: str | None = None
    stored_value: Any = None
    replayed_value: Any = None
    state: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "dyad": list(self.dyad),
            "result": self.result,
            "checkpoints": self.checkpoints,
        }
        if self.stored is not None:
            d["stored_checkpoints"] = self.stored
        if self.result == "differs":
            d.update(
                day=self.day,
                column=self.column,
                stored=_jsonable(self.stored_value),
                replayed=_jsonable(self.replayed_value),
            )
        if self.state is not None:
            d["state"] = self.state
        return d

    def describe(self) -> str:
        if self.result == "differs":
            return (
                f"differs: first on {self.day}, column {self.column}: stored "
                f"{_shown(self.stored_value)}, replayed {_shown(self.replayed_value)}"
            )
        if self.result == "not compared" and self.state is not None:
            s = self.state
            return (
                f"as known then: index {s['index']:+.1f} {s['label']} on {s['day']} "
                f"({s['events']} events)"
            )
        if self.result == "not compared":
            return "as known then: no effective events"
        return f"ok ({self.checkpoints} checkpoints)"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value)


@dataclass(frozen=True)
class ReplayReport:
    store: str
    model_fingerprint: str
    model: dict[str, Any]
    head_seq: int
    replayed_to: int
    known_at: int | None
    compared: bool
    dyads: tuple[DyadReplay, ...] = ()
    faults: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def differing(self) -> list[DyadReplay]:
        return [d for d in self.dyads if d.result == "differs"]

    @property
    def ok(self) -> bool:
        return not self.faults and not self.differing

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for d in self.dyads:
            counts[d.result] = counts.get(d.result, 0) + 1
        return {
            "store": self.store,
            "ok": self.ok,
            "compared": self.compared,
            "known_at": self.known_at,
            "head_seq": self.head_seq,
            "replayed_to": self.replayed_to,
            "model_fingerprint": self.model_fingerprint,
            "model": self.model,
            "summary": {"dyads": len(self.dyads), **counts},
            "faults": list(self.faults),
            "notes": list(self.notes),
            "dyads": [d.to_dict() for d in self.dyads],
        }


def replay(path: str | Path, *, known_at: int | datetime | None = None) -> ReplayReport:
    """Rebuild every checkpoint from the log alone and compare with the stored ones (see the
    module docstring).

    With ``known_at`` before the head, the log is replayed as it stood then; the stored
    checkpoints reflect the current log, so there is nothing to compare with, and each dyad's
    state then is reported instead.
    """
    p = Path(path)
    conn = open_readonly(p)
    try:
        _require_store(conn, p)
        conn.execute("BEGIN")  # one snapshot of the log for the rebuild and the comparison
        return _replay(conn, p, known_at)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"--db {str(p)!r}: the store file is damaged or unreadable: {exc}"
        ) from None
    finally:
        conn.close()


def _replay(conn: sqlite3.Connection, path: Path, known_at: int | datetime | None) -> ReplayReport:
    from projections.model import DEFAULT_MODEL
    from tracker.checkpoints import (
        CHECKPOINT_COLUMNS,
        fold_dyad,
        model_from_json,
        table_rows,
    )

    faults: list[str] = []
    notes: list[str] = []
    head = int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
    asked = known_seq(conn, known_at)
    limit = head if asked is None else min(asked, head)
    compared = limit >= head
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    stored_meta: dict[str, str] = {}
    if "projection_meta" in tables:
        stored_meta = dict(conn.execute("SELECT key, value FROM projection_meta"))
    if "model" in stored_meta:
        model = model_from_json(stored_meta["model"])
        if stored_meta.get("fingerprint") != model.fingerprint:
            faults.append(
                f"projection_meta fingerprint {stored_meta.get('fingerprint')!r} "
                f"does not match the stored model ({model.fingerprint})"
            )
    else:
        model = DEFAULT_MODEL
        notes.append("the store records no scoring model: replayed with the built-in default")
    has_checkpoints = {"checkpoints", "structure"} <= tables
    if compared and not has_checkpoints:
        faults.append("the store has no checkpoints tables (derive them with `tracker rebuild`)")
    if asked is not None and not compared:
        notes.append(
            f"replayed the log as it stood at seq {limit} (head is {head}); the "
            "stored checkpoints reflect the current log, so no comparison is "
            "possible: the state of each dyad then is reported instead"
        )
    elif asked is not None:
        notes.append(
            f"known-at seq {asked} is at or after the head ({head}): the whole log "
            "was replayed and compared"
        )

    keys = {
        (a, b)
        for a, b in conn.execute(
            "SELECT DISTINCT party_a, party_b FROM events WHERE seq <= ?", (limit,)
        )
    }
    if compared and has_checkpoints:
        for table in ("checkpoints", "structure"):
            keys |= {
                (a, b) for a, b in conn.execute(f"SELECT DISTINCT party_a, party_b FROM {table}")
            }
    stored_sql = (
        f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints WHERE party_a = ? AND "
        "party_b = ? ORDER BY day"
    )
    results: list[DyadReplay] = []
    for a, b in sorted(keys):
        mine = fold_dyad(conn, a, b, model, max_seq=limit)
        if not compared:
            results.append(
                DyadReplay(
                    (a, b),
                    "not compared",
                    len(mine),
                    state=_state(mine[-1], model, a) if mine else None,
                )
            )
            continue
        rows, changes = table_rows(a, b, mine)
        theirs: list[Any] = []
        their_changes: list[Any] = []
        if has_checkpoints:
            theirs = conn.execute(stored_sql, (a, b)).fetchall()
            their_changes = conn.execute(
                "SELECT day, status FROM structure WHERE party_a = ? AND party_b = ? ORDER BY day",
                (a, b),
            ).fetchall()
        verdict = _compare((a, b), theirs, [r[2:] for r in rows], CHECKPOINT_FIELDS, len(rows))
        if verdict.result == "ok":
            structural = _compare(
                (a, b), their_changes, [c[2:] for c in changes], STRUCTURE_FIELDS, len(rows)
            )
            if structural.result != "ok":
                verdict = structural
        results.append(verdict)
    return ReplayReport(
        str(path),
        model.fingerprint,
        model.to_dict(),
        head,
        limit,
        asked,
        compared,
        tuple(results),
        tuple(faults),
        tuple(notes),
    )


def _state(c: Any, model: Any, party_a: str) -> dict[str, Any]:
    from projections.score import score_at

    at = score_at(c, c.day, model, party_a)
    return {
        "day": c.day.isoformat(),
        "index": at.index,
        "label": c.label,
        "score": at.score,
        "stock": at.stock.total,
        "s_ab": c.s_ab,
        "s_ba": c.s_ba,
        "events": c.events,
        "status": c.status.to_dict(),
    }


def _identical(x: Any, y: Any) -> bool:
    """Exact equality, floats bit for bit (0.0 and -0.0 differ)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return struct.pack("<d", x) == struct.pack("<d", y)
    return bool(x == y)


def _same_rows(x: Sequence[Any], y: Sequence[Any]) -> bool:
    # repr is exact: a float prints its shortest round-tripping form (so bit for bit, the
    # sign of a zero included), and 1 and 1.0 print differently
    return repr(tuple(x)) == repr(tuple(y))


def _compare(
    dyad: tuple[str, str], stored: list[Any], replayed: list[Any], fields: tuple[str, ...], n: int
) -> DyadReplay:
    for i in range(max(len(stored), len(replayed))):
        s = stored[i] if i < len(stored) else None
        r = replayed[i] if i < len(replayed) else None
        if s is None or r is None or s[0] != r[0]:
            # a day present on one side only: report the earlier of the two
            if r is not None and (s is None or r[0] < s[0]):
                return DyadReplay(dyad, "differs", n, len(stored), r[0], fields[0], None, r[0])
            assert s is not None
            return DyadReplay(dyad, "differs", n, len(stored), s[0], fields[0], s[0], None)
        if _same_rows(s, r):
            continue
        for name, x, y in zip(fields, s, r, strict=True):
            if not _identical(x, y):
                return DyadReplay(dyad, "differs", n, len(stored), r[0], name, x, y)
    return DyadReplay(dyad, "ok", n, len(stored))


__all__ = [
    "AuditError",
    "DyadReplay",
    "ExportResult",
    "Fault",
    "ReplayReport",
    "VerifyReport",
    "export",
    "export_file",
    "open_readonly",
    "replay",
    "verify",
]
