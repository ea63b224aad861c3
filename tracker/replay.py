"""``replay``: prove every stored number follows from the log alone.

Rebuilds every dyad's checkpoints in memory, with the store's scoring model and the very
functions the store uses to write them (:func:`tracker.checkpoints.fold_dyad` and
:func:`tracker.checkpoints.table_rows`), and compares the rows with the stored
``checkpoints`` and ``structure`` rows one by one, floats bit for bit. One dyad at a time:
memory does not grow with the log. It reads through the store's raw ``sqlite3`` (or psycopg)
cursors, not ``sqlite-utils``: a replay folds every event of a large log, and tuples straight
from the cursor cost a fraction of a dict per row.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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
    from tracker.checkpoints import fold_dyad, model_from_json, table_rows

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

    keys = set(store.dyads(max_seq=limit))
    if compared and has_checkpoints:
        keys |= store.derived_dyads()
    results: list[DyadReplay] = []
    if progress is not None:
        progress.stage("replaying", len(keys), "dyads")
    for a, b in sorted(keys):
        if progress is not None:
            progress.advance(1)
        mine = fold_dyad(store, a, b, model, max_seq=limit)
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
            theirs = store.stored_checkpoints(a, b)
            their_changes = store.stored_structure(a, b)
        verdict = _compare((a, b), theirs, [r[2:] for r in rows], CHECKPOINT_FIELDS, len(rows))
        if verdict.result == "ok":
            structural = _compare(
                (a, b), their_changes, [c[2:] for c in changes], STRUCTURE_FIELDS, len(rows)
            )
            if structural.result != "ok":
                verdict = structural
        results.append(verdict)
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


def _same_rows(x: Sequence[Any], y: Sequence[Any]) -> bool:
    """Exact equality of two rows: same types, floats bit for bit. ``==`` decides; it cannot
    tell 1 from 1.0 (so the types are compared) or 0.0 from -0.0 (so a row holding a zero is
    compared value by value)."""
    return (
        tuple(x) == tuple(y)
        and list(map(type, x)) == list(map(type, y))
        and (0.0 not in x or all(map(_identical, x, y)))
    )


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


__all__ = ["DyadReplay", "ReplayReport", "replay"]
