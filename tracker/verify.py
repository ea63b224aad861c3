"""``verify``: prove the log intact, from the stored bytes alone.

The checks run in order, each adding :class:`Fault` objects to the report; a new check is one
more entry in a list:

- :data:`FILE_CHECKS`, on the file before the log is read: the ``application_id`` marker,
  the ``meta`` table, and that the log's schema (table, indexes and the append-only
  triggers) is exactly the one the store creates (plain ``sqlite3`` queries of the schema
  table: importing ``sqlite-utils`` would cost a large verify more than the check);
- the chain pass (:class:`ChainPass`), one streamed read of the log in seq order: it
  recomputes the hash chain (``hash = sha256(previous hash || {"event":BODY,"recorded_at":
  ..,"seq":N})``) and checks per row that ``seq`` continues the sequence, that
  ``recorded_at`` is well formed and never goes backwards, that the body is a canonical JSON
  object of a known type and that the indexed columns agree with it; ``deep`` also validates
  each body as its typed event and applies the record-keeping rules of
  :mod:`tracker.records`; ``against`` compares every stored event with an exported log;
- :data:`LOG_CHECKS`, after the pass, given the store and what the pass established (the
  verified prefix and the head): checks of the log as a whole.

The first broken position is reported (later positions cannot be trusted once the chain is
broken). The chain pass stays on raw ``sqlite3`` rows and plain ``json``/``hashlib``, without
a pydantic model per row: it is the hot path of an audit of millions of events.

This module is over 400 lines because the detailed row checks that name a fault belong beside
the fast chain pass they back up.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from events.canonical import canonical_value
from events.dyad import dyad_of
from events.errors import TrackerError
from events.models import SCHEMA_VERSION as EVENT_SCHEMA_VERSION
from tracker.against import Against
from tracker.audit import PROGRESS_EVERY, Fault, Progress, Ticker, canonical_body
from tracker.integrity import (
    check_meta_rows,
    check_objects,
    check_physical,
    check_projection_meta,
    stored_meta,
)
from tracker.proofs import ProofError
from tracker.records import ReferenceRules
from tracker.signed_note import NoteError, VerifierKey, read_checkpoint
from tracker.store import (
    GENESIS_HASH,
    Store,
    location,
    read_snapshot,
    record_bytes,
    store_name,
    tree,
)
from tracker.store.derived import LAYOUT, RECORDS_INDEX, RECORDS_INDEX_DDL
from tracker.store.rows import timestamp_pattern
from tracker.store.sql import EVENT_COLUMNS, schema_statements
from tracker.store.sqlite import APP_NAME, APPLICATION_ID, SCHEMA_VERSION, SQLiteStore
from tracker.transparency import NamedHead, TreeCheck, extends

if TYPE_CHECKING:
    from tracker.store.postgres import PostgresStore


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
    for statement in [*schema_statements(), *tree.schema_statements(), RECORDS_INDEX_DDL]:
        # (SQLite keeps a statement's text without its IF NOT EXISTS)
        sql = " ".join(statement.split()).replace(" IF NOT EXISTS", "", 1)
        m = re.match(r"CREATE (?:UNIQUE )?(TABLE|INDEX|TRIGGER) (\w+)", sql)
        if m is None:
            continue
        kind, name = m.group(1).lower(), m.group(2)
        table = name
        if kind != "table":
            t = re.search(r" ON (\w+)", sql)
            table = t.group(1) if t else name
        out[name] = (kind, table, sql)
    return out


EXPECTED_SCHEMA = _statements()
"""What a healthy store's ``sqlite_master`` holds for the log (names, kinds, SQL)."""
DERIVED_ON_LOG = frozenset({RECORDS_INDEX})
"""Those of :data:`EXPECTED_SCHEMA` that come with the derived tables: missing from a store
whose derived tables are of an older layout (or not made yet), never altered."""


# -- file checks -----------------------------------------------------------------------------

FileCheck = Callable[[SQLiteStore], list["Fault"]]


def check_marker(store: SQLiteStore) -> list[Fault]:
    """The file carries the relations-tracker ``application_id``."""
    app_id = store.application_id()
    if app_id == APPLICATION_ID:
        return []
    return [
        Fault(
            "meta",
            f"application_id {app_id:#x}: expected {APPLICATION_ID:#x} (a relations-tracker store)",
        )
    ]


def check_meta(store: SQLiteStore | PostgresStore) -> list[Fault]:
    """The ``meta`` table names the application and this schema version."""
    if "meta" not in store.tables():
        return [Fault("meta", "the meta table is missing")]
    faults: list[Fault] = []
    try:
        meta = store.meta()
    except Exception as exc:  # a damaged or altered table: report, do not stop
        meta = {}
        faults.append(Fault("meta", f"the meta table is unreadable ({exc})"))
    if meta.get("app") != APP_NAME:
        faults.append(Fault("meta", f"meta app {meta.get('app')!r}: expected {APP_NAME!r}"))
    versions = [str(v) for v in range(1, SCHEMA_VERSION + 1)]
    if meta.get("schema_version") not in versions:
        faults.append(
            Fault(
                "meta",
                f"meta schema_version {meta.get('schema_version')!r}: expected one of {versions}",
            )
        )
    return faults


def check_schema(store: SQLiteStore) -> list[Fault]:
    """No index or trigger of the log was added, removed or altered."""
    faults: list[Fault] = []
    present = store.log_schema()
    has_tree = stored_meta(store).get("schema_version", str(SCHEMA_VERSION)) != "1"
    for name, (kind, table, sql) in EXPECTED_SCHEMA.items():
        if table == tree.TABLE and not has_tree:
            continue  # a version 1 store (on read-only media, never upgraded)
        if name in DERIVED_ON_LOG and name not in present and not _current_layout(store):
            continue  # derived tables of an older layout: it comes with this one's
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
            faults.append(
                Fault(fault_kind, f"unexpected {kind} {name} on the {_table} table: {sql!r}")
            )
    return faults


def _current_layout(store: SQLiteStore) -> bool:
    """Whether the store's derived tables are of this layout (an unreadable
    ``projection_meta`` is reported by its own check)."""
    try:
        return store.derived_layout() == LAYOUT
    except Exception:
        return False


FILE_CHECKS: list[FileCheck] = [
    check_marker,
    check_meta,
    check_schema,
    check_objects,
    check_meta_rows,
    check_projection_meta,
]
"""Checks of the file, run before the log is read; each returns its faults."""


def check_server_schema(store: PostgresStore) -> list[Fault]:
    """PostgreSQL: the append-only triggers are in place and enabled, no trigger was added and
    no index of the log removed (the server keeps its own files sound)."""
    return [Fault(kind, message) for kind, message in store.schema_faults()]


def file_faults(store: SQLiteStore | PostgresStore, *, deep: bool) -> list[Fault]:
    """The checks for the store's backend, run before the log is read: for a file, SQLite's
    page check and the file checks; for PostgreSQL (whose server vouches for its own files),
    the meta rows, the schema's triggers and indexes, and projection_meta."""
    if isinstance(store, SQLiteStore):
        faults = check_physical(store, deep=deep)
        return faults + [fault for check in FILE_CHECKS for fault in check(store)]
    return check_meta(store) + check_server_schema(store) + check_projection_meta(store)


@dataclass
class PassResult:
    """What the chain pass established: rows read, the verified prefix, the head."""

    rows: int = 0
    verified: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    faults: list[Fault] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    against_records: int = 0


LogCheck = Callable[[Store, PassResult], list["Fault"]]
LOG_CHECKS: list[LogCheck] = []
"""Checks of the log as a whole, run after the chain pass (e.g. a Merkle tree head)."""


# -- the chain pass --------------------------------------------------------------------------

TREE_BATCH = 4096
"""Verified records handed to the tree check at a time (about 1 MB)."""

_COLUMN_NAMES = EVENT_COLUMNS[1:12]
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
    a, b = dyad_of(actor, target)
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


def verify(
    path: str | Path,
    *,
    against: str | Path | None = None,
    deep: bool = False,
    prefix: bool = False,
    progress: Progress | None = None,
    checkpoints: Sequence[tuple[str, str]] = (),
    keys: Sequence[VerifierKey] = (),
) -> VerifyReport:
    """Check the store at ``path`` (see the module docstring); never raises for a fault, only
    when the file cannot be read as SQLite at all.

    ``against``: an exported log to compare with; ``prefix``: accept a store that has more
    events than that file (an export taken earlier). ``checkpoints``: ``(name, note text)``
    of checkpoints taken earlier, which the log must extend (their signatures checked with
    ``keys`` when given); ``deep`` also runs SQLite's full ``integrity_check``.
    """
    p = location(path)
    with read_snapshot(p, checked=False) as store:
        checker = Against(Path(against)) if against is not None else None
        try:
            faults = file_faults(store, deep=deep)
            heads, notes = _open_checkpoints(checkpoints, keys, faults)
            against_name = str(checker.path) if checker is not None else None
            columns = store.event_columns()
            missing = [c for c in EVENT_COLUMNS if c not in columns]
            if missing:
                what = (
                    "the events table is missing: not a relations-tracker store"
                    if not columns
                    else f"the events table lacks columns {missing}"
                )
                faults.append(Fault("schema", what))
                return VerifyReport(
                    store_name(p), 0, 0, 0, GENESIS_HASH, tuple(faults), against_name
                )
            stored = store.tree_runs() if store.has_tree() else None
            tree_check = TreeCheck(stored, heads)
            chain = ChainPass(store, checker, deep=deep, prefix=prefix, tree=tree_check)
            result = chain.run(Ticker(progress))
            faults += result.faults
            tree_faults = tree_check.finish(result.head_seq, result.verified)
            if stored is not None:
                stored.close()
            faults += tree_faults
            result.notes[:0] = notes
            if not tree_faults and stored is None:
                result.notes.append(
                    "schema version 1 store (read-only): no stored Merkle tree; computed from "
                    "the log"
                )
            for named in tree_check.matched:
                faults += _extends(store, named, result, bool(tree_faults))
            for log_check in LOG_CHECKS:
                faults += log_check(store, result)
            return VerifyReport(
                store_name(p),
                result.rows,
                result.verified,
                result.head_seq,
                result.head_hash,
                tuple(faults),
                against_name,
                result.against_records,
                tuple(result.notes),
            )
        finally:
            if checker is not None:
                checker.close()


def _open_checkpoints(
    checkpoints: Sequence[tuple[str, str]], keys: Sequence[VerifierKey], faults: list[Fault]
) -> tuple[list[NamedHead], list[str]]:
    """Parse (and with ``keys``, check the signature of) each checkpoint; a bad one is a
    fault, the others are checked against the log."""
    heads: list[NamedHead] = []
    notes: list[str] = []
    for name, text in checkpoints:
        try:
            opened = read_checkpoint(text, keys)
        except NoteError as exc:
            faults.append(Fault("signature", f"checkpoint {name}: {exc.message}"))
            continue
        if not keys:
            notes.append(
                f"checkpoint {name}: signature not checked (give the log's public key with --key)"
            )
        heads.append(NamedHead(name, opened.head, opened.signed_by))
    return heads, notes


def _extends(
    store: SQLiteStore | PostgresStore, named: NamedHead, result: PassResult, tree_damaged: bool
) -> list[Fault]:
    """A checkpoint whose root the records reproduce: its ``created_at`` line matches the
    store's, and (the stored tree being intact) the store's consistency proof from it to the
    head verifies as a third party would check it."""
    faults = []
    bound, created = named.created_at(), stored_meta(store).get("created_at")
    if bound is not None and bound != created:
        faults.append(
            Fault(
                "meta",
                f"meta created_at {created!r} differs from {bound!r}, recorded by checkpoint "
                f"{named.name}: edited",
            )
        )
    if tree_damaged or result.verified != result.head_seq:
        return faults
    try:
        ext = extends(store, named.head)
    except (ProofError, TrackerError) as exc:
        return [*faults, Fault("checkpoint", f"checkpoint {named.name}: {exc}")]
    signed = f", signed by {', '.join(named.signed_by)}" if named.signed_by else ""
    result.notes.append(
        f"checkpoint {named.name} (tree size {named.head.size}{signed}): the log extends it; "
        f"consistency proof to tree size {ext.head.size} verified ({len(ext.proof)} hashes)"
    )
    return faults


class ChainPass:
    """One streamed read of the log: the chain, the rows' consistency, ``deep``, ``against``
    and the Merkle tree (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        checker: Against | None,
        *,
        deep: bool,
        prefix: bool,
        tree: TreeCheck | None = None,
        fast: bool = True,
    ) -> None:
        """``fast=False`` sends every row through the detailed check (:func:`_check_row`):
        what the tests compare the fast path with."""
        self.fast = fast
        self.tree = tree
        self.store = store
        self.checker = checker
        self.rules = ReferenceRules() if deep else None
        self.prefix = prefix
        self.result = PassResult()

    def run(self, ticker: Ticker) -> PassResult:
        result, checker, tree_check, fast = self.result, self.checker, self.tree, self.fast
        chain_fault: Fault | None = None
        against_fault: Fault | None = None
        prev_hash, prev_stamp = GENESIS_HASH, ""
        prev_bytes = GENESIS_HASH.encode("ascii")
        sha256, loads, fullmatch = hashlib.sha256, json.loads, timestamp_pattern().fullmatch
        codes, version = _type_codes(), EVENT_SCHEMA_VERSION
        # the records of verified rows not yet given to the tree check (in runs of consecutive
        # seqs from ``fed``): it hashes and compares them a batch at a time
        records: list[bytes] = []
        fed = 1
        expected, count = 1, 0
        rows = self.store.scan()
        for row in rows:
            count += 1
            seq, recorded_at, body, stored_hash = row[0], row[12], row[13], row[14]
            if chain_fault is None:
                # the fast path: every check in one expression; any doubt (or exception) goes
                # to the detailed check, which names the fault. canonical_value parses with
                # orjson and accepts only a body that re-encodes to itself byte for byte, so a
                # parse that differs from json.loads's can only send the row to the detailed
                # check, which parses with json; the columns are those _body_columns implies
                record, good = None, False
                try:
                    record = record_bytes(body, seq, recorded_at)
                    good = fast and (
                        seq == expected
                        and sha256(prev_bytes + record).hexdigest() == stored_hash
                        and type(obj := canonical_value(body)) is dict
                        and type(actor := obj["actor"]) is str
                        and type(target := obj["target"]) is str
                        and type(row[1]) is str
                        and type(row[8]) is str
                        and obj.get("schema_version") == version
                        and (type_code := codes[obj["type"]]) is not None
                        and row[1:12]
                        == (
                            obj["event_id"],
                            obj["type"],
                            obj.get("cameo_code") or type_code,
                            actor,
                            target,
                            *dyad_of(actor, target),
                            obj["occurred_on"],
                            obj.get("confidence", 1.0),
                            obj.get("weight"),
                            obj.get("refers_to"),
                        )
                        and (
                            recorded_at == prev_stamp
                            or (recorded_at > prev_stamp and fullmatch(recorded_at) is not None)
                        )
                    )
                except Exception:
                    good = False
                if not good:
                    chain_fault = _check_row(row, expected, prev_hash, prev_stamp)
                    if chain_fault is not None and chain_fault.kind == "hash":
                        chain_fault = self._diagnose(chain_fault, prev_hash, row)
                    elif chain_fault is None:
                        obj = loads(body)
                if chain_fault is None and self.rules is not None:
                    chain_fault = self._deep(seq, body, obj)
                if chain_fault is None:
                    if tree_check is not None:
                        if record is None:  # the detailed check passed a row the fast one
                            record = record_bytes(body, seq, recorded_at)  # could not encode
                        records.append(record)
                        if len(records) == TREE_BATCH:
                            tree_check.feed(fed, records)
                            fed, records = fed + len(records), []
                    result.verified, expected = seq, seq + 1
                    prev_hash, prev_stamp = stored_hash, recorded_at
                    prev_bytes = stored_hash.encode("ascii")
            if checker is not None and against_fault is None:
                against_fault = checker.compare(seq, recorded_at, body, stored_hash)
                if (
                    against_fault is not None
                    and against_fault.kind == "against-end"
                    and self.prefix
                ):
                    result.notes.append(
                        f"the store has events after the end of {checker.path.name} "
                        f"(from seq {seq}); accepted as a prefix"
                    )
                    against_fault = checker.head_fault()
                    result.against_records = checker.records
                    checker = None
            if count == PROGRESS_EVERY:
                ticker.ticks(count)
                result.rows, count = result.rows + count, 0
            if chain_fault is not None and (checker is None or against_fault is not None):
                break
        result.rows += count
        ticker.ticks(count)
        if tree_check is not None and records:
            tree_check.feed(fed, records)
        rows.close()
        ticker.done()
        head = self.store.head()
        result.head_seq = head.seq if isinstance(head.seq, int) else 0
        result.head_hash = str(head.hash)
        if checker is not None and against_fault is None:
            against_fault = checker.trailing(result.head_seq)
        if checker is not None:
            result.against_records = checker.records
        if chain_fault is not None:
            result.faults.append(chain_fault)
        if self.checker is not None and against_fault is None:
            note = self.checker.head_note()
            if note is not None:
                result.notes.append(note)
        if against_fault is not None:
            if against_fault.kind == "against-end":
                against_fault = Fault(
                    "against", against_fault.message, against_fault.seq, against_fault.line
                )
            result.faults.append(against_fault)
        return result

    def _deep(self, seq: int, body: str, obj: dict[str, Any]) -> Fault | None:
        """Full validation (``verify --deep``): the typed body and the reference rules."""
        from events.canonical import canonical_text
        from events.models import AS_RECORDED, parse_event

        assert self.rules is not None
        try:
            event = parse_event(obj, parties_mode=AS_RECORDED)
        except TrackerError as exc:
            return Fault("body", f"body is not a valid event: {exc.message}", seq=seq)
        if canonical_text(event) != body:
            return Fault(
                "body", "body differs from the canonical form of the event it encodes", seq=seq
            )
        why = self.rules.check(
            seq, obj["event_id"], obj["type"], obj["actor"], obj["target"], obj.get("refers_to")
        )
        return Fault("reference", why, seq=seq) if why is not None else None

    def _diagnose(self, fault: Fault, prev_hash: str, row: Sequence[Any]) -> Fault:
        """Say which part of a row broke the chain, from whether the next row chains from the
        stored hash (the content was changed) or from the recomputed one (the hash was)."""
        seq, recorded_at, body, stored_hash = row[0], row[12], row[13], row[14]
        nxt = self.store.chain_after(seq)
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
    obj, why = canonical_body(body)
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
    if not timestamp_pattern().fullmatch(recorded_at):
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


__all__ = [
    "FILE_CHECKS",
    "LOG_CHECKS",
    "Fault",
    "PassResult",
    "VerifyReport",
    "verify",
]
