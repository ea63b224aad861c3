"""``replay``: prove every stored number follows from the log alone.

Rebuilds every dyad's checkpoints in memory, with the store's scoring model and the very
functions the store uses to write them (:func:`tracker.checkpoints.fold_dyad` and
:func:`tracker.checkpoints.table_rows`), and compares the rows with the stored
``checkpoints`` and ``structure`` rows one by one, floats bit for bit.

It reads each table once, in one streaming query in dyad order (the events through their
``(dyad, day)`` index, the derived tables in primary-key order), and merges the three streams
dyad by dyad: no statement per dyad (at 10k events, ~six per dyad, those statements were most
of the time), pages read in index order, and one dyad in memory at a time, so memory does not
grow with the log. Rows are tuples straight from the store's cursors (a fraction of a dict's
cost per row), compared a dyad at a time with ``==`` and then checked for the two things
``==`` cannot see (int against float, 0.0 against -0.0).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice
from marshal import dumps
from pathlib import Path
from typing import Any

from tracker.render import plural, signed
from tracker.store import Store, location, read_snapshot, store_name
from tracker.store.derived import CHECKPOINT_FIELDS, STRUCTURE_FIELDS


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
                f"as known then: index {signed(s['index'])} {s['label']} on {s['day']} "
                f"({s['events']} events)"
            )
        if self.result == "not compared":
            return "as known then: no effective events"
        return f"ok ({plural(self.checkpoints, 'checkpoint')})"


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
    head_hash: str = ""

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
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "replayed_to": self.replayed_to,
            "model_fingerprint": self.model_fingerprint,
            "model": self.model,
            "summary": {"pairs": len(self.dyads), **counts},
            "faults": list(self.faults),
            "notes": list(self.notes),
            "dyads": [d.to_dict() for d in self.dyads],
        }


def replay(
    path: str | Path, *, known_at: int | datetime | None = None, progress: Any = None
) -> ReplayReport:
    """Rebuild every checkpoint from the log alone and compare with the stored ones (see the
    module docstring).

    With ``known_at`` before the head, the log is replayed as it stood then; the stored
    checkpoints reflect the current log, so there is nothing to compare with, and each dyad's
    state then is reported instead.
    """
    p = location(path)
    with read_snapshot(p) as store:  # one snapshot for the rebuild and the comparison
        return _replay(store, store_name(p), known_at, progress)


def _replay(
    store: Store, name: str, known_at: int | datetime | None, progress: Any = None
) -> ReplayReport:
    """``progress``, a :class:`tracker.progress.Reporter` when given, is told of each dyad."""
    from projections.model import DEFAULT_MODEL
    from tracker.checkpoints import fold_facts, model_from_json, table_rows

    faults: list[str] = []
    notes: list[str] = []
    top = store.head()
    head = top.seq
    asked = store.known_seq(known_at)
    limit = head if asked is None else min(asked, head)
    compared = limit >= head
    tables = store.tables()
    stored_meta = store.projection_meta()
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
        faults.append("the store has no checkpoints tables (rebuild them from the log)")
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

    comparing = compared and has_checkpoints
    if progress is not None:
        keys = set(store.dyads(max_seq=limit))
        if comparing:
            keys |= store.derived_dyads()
        progress.stage("replaying", len(keys), "dyads")
    # one streaming read per table, each in dyad order, merged dyad by dyad
    dyads = store.facts_by_dyad(max_seq=limit)
    stored = _Rows(store.scan_checkpoints() if comparing else ())
    stored_changes = _Rows(store.scan_structure() if comparing else ())
    results: list[DyadReplay] = []
    ahead = next(dyads, None)
    while True:
        found = [k for k in (ahead and ahead[0], stored.key(), stored_changes.key()) if k]
        if not found:
            break
        key = min(found)
        if ahead is not None and ahead[0] == key:
            facts, ahead = ahead[1], next(dyads, None)
        else:
            facts = []
        if progress is not None:
            progress.advance(1)
        a, b = key
        mine = fold_facts(facts, model, a)
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
        theirs = stored.take(a, b, len(rows))
        their_changes = stored_changes.take(a, b, len(changes))
        verdict = _compare((a, b), theirs, rows, CHECKPOINT_ROW, len(rows)) or _compare(
            (a, b), their_changes, changes, STRUCTURE_ROW, len(rows)
        )
        results.append(verdict or DyadReplay((a, b), "ok", len(rows), len(theirs)))
    return ReplayReport(
        name,
        model.fingerprint,
        model.to_dict(),
        head,
        limit,
        asked,
        compared,
        tuple(results),
        tuple(faults),
        tuple(notes),
        top.hash,
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


CHECKPOINT_ROW = ("party_a", "party_b", *CHECKPOINT_FIELDS)
STRUCTURE_ROW = ("party_a", "party_b", *STRUCTURE_FIELDS)
_DAY = 2
"""Rows are compared whole, dyad first (the same on both sides), then the day."""


class _Rows:
    """Stored rows that start with their dyad, in dyad order, taken a dyad at a time."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._rows = iter(rows)
        self._head = next(self._rows, None)

    def key(self) -> tuple[str, str] | None:
        """The dyad of the next row (None at the end)."""
        return None if self._head is None else (self._head[0], self._head[1])

    def take(self, a: str, b: str, expected: int) -> list[tuple[Any, ...]]:
        """The rows of dyad (a, b) if they come next (else none). ``expected`` of them are
        read in one C-level step (rows are in dyad order, so if the first and the last of
        those belong to the dyad, all do); then any further ones, or, when there were fewer,
        the rows read beyond them are kept for the next dyads."""
        head = self._head
        if head is None or head[0] != a or head[1] != b:
            return []
        rows = [head]
        if expected > 1:
            rows += islice(self._rows, expected - 1)
        last = rows[-1]
        if last[0] != a or last[1] != b:  # fewer than expected: give back the others
            mine = [r for r in rows if r[0] == a and r[1] == b]
            beyond = rows[len(mine) :]
            self._head, self._rows = beyond[0], chain(beyond[1:], self._rows)
            return mine
        after = next(self._rows, None)
        while after is not None and after[0] == a and after[1] == b:  # more than expected
            rows.append(after)
            after = next(self._rows, None)
        self._head = after
        return rows


def _same_rows(x: list[Any], y: list[Any]) -> bool:
    """Exact equality of two lists of rows: same types, floats bit for bit.

    First as ``marshal`` bytes (version 2: typed values, floats as their IEEE bytes, no
    references, so equal bytes are equal values of equal types): one C-level pass over a
    dyad's rows. Else ``==`` decides, except for what it cannot tell apart (1 and 1.0, 0.0
    and -0.0), checked column by column: the bytes also differ for a string interned on one
    side only, or a row that is a list on one side."""
    try:
        if dumps(x, 2) == dumps(y, 2):
            return True
    except ValueError:  # a type marshal does not write (a subclass): compared below
        pass
    if x != y and list(map(tuple, x)) != list(map(tuple, y)):
        return False
    for a, b in zip(zip(*x, strict=True), zip(*y, strict=True), strict=True):
        types = list(map(type, a))
        if types != list(map(type, b)):
            return False
        if float in types and 0.0 in a and not all(map(_identical, a, b)):
            return False
    return True


def _compare(
    dyad: tuple[str, str],
    stored: list[Any],
    replayed: list[Any],
    fields: tuple[str, ...],
    n: int,
) -> DyadReplay | None:
    """How the stored rows differ from the replayed ones (None: they do not)."""
    if _same_rows(stored, replayed):
        return None
    for i in range(max(len(stored), len(replayed))):
        s = stored[i] if i < len(stored) else None
        r = replayed[i] if i < len(replayed) else None
        if s is None or r is None or s[_DAY] != r[_DAY]:
            # a day present on one side only: report the earlier of the two
            if r is not None and (s is None or r[_DAY] < s[_DAY]):
                return DyadReplay(
                    dyad, "differs", n, len(stored), r[_DAY], fields[_DAY], None, r[_DAY]
                )
            assert s is not None
            return DyadReplay(dyad, "differs", n, len(stored), s[_DAY], fields[_DAY], s[_DAY], None)
        for name, x, y in zip(fields, s, r, strict=True):
            if not _identical(x, y):
                return DyadReplay(dyad, "differs", n, len(stored), r[_DAY], name, x, y)
    return None


__all__ = ["DyadReplay", "ReplayReport", "replay"]
