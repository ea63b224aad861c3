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
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from events.canonical import dumps
from events.dyad import dyad_of
from projections.facts import CORRECT, effective
from projections.model import DEFAULT_MODEL, ScoringModel
from projections.score import Checkpoint, fold
from projections.state import Status
from tracker.store import Row, RowFilter
from tracker.store.derived import LAYOUT

if TYPE_CHECKING:
    from projections.facts import Fact
    from tracker.progress import Reporter
    from tracker.store import Store


def model_from_json(text: str) -> ScoringModel:
    return ScoringModel.from_dict(json.loads(text))


def ensure_schema(store: Store) -> bool:
    """Create, or after a layout change recreate, the derived tables; True if they were
    (re)created and must be computed from the log."""
    if store.derived_layout() == LAYOUT:
        return False
    store.create_derived(LAYOUT)
    return True


def stored_model(store: Store) -> ScoringModel | None:
    """The store's model, with the fingerprint recorded beside it (see
    :meth:`ScoringModel.recorded_as`)."""
    meta = store.projection_meta()
    text, fingerprint = meta.get("model"), meta.get("fingerprint")
    if text is None:
        return None
    model = model_from_json(text)
    return model.recorded_as(fingerprint) if fingerprint else model


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


def fold_dyad(
    store: Store,
    a: str,
    b: str,
    model: ScoringModel,
    *,
    start: Checkpoint | None = None,
    since: str | None = None,
    max_seq: int | None = None,
) -> list[Checkpoint]:
    """Checkpoints of one dyad from the log: the single fold that the store, the queries and
    the audit replay all use (replay hands it each dyad's facts: :func:`fold_facts`)."""
    return fold_facts(store.facts(a, b, since=since, max_seq=max_seq), model, a, start)


def fold_facts(
    facts: Iterable[Fact], model: ScoringModel, a: str, start: Checkpoint | None = None
) -> list[Checkpoint]:
    """Checkpoints from a dyad's facts as read from the log (record-keeping ones included)."""
    return fold(effective(facts), model, a, start)


class Projector:
    """Keeps the checkpoints of one store current; attach it as a store append listener."""

    def __init__(self, store: Store, model: ScoringModel | None = None) -> None:
        self.store = store
        stored = stored_model(store) if store.derived_layout() == LAYOUT else None
        if stored is None:
            # first use, or derived tables of an older layout: set them up under the write
            # lock (readers of a ready store never take it)
            with store.transaction():
                created = ensure_schema(store)
                stored = stored_model(store)
                self.model = model or stored or DEFAULT_MODEL
                if stored is None:
                    self._save_model()
                if created and store.head().seq:
                    self.rebuild()
        self.model = model or stored or DEFAULT_MODEL

    def adopt(self, model: ScoringModel) -> None:
        """Make ``model`` the store's model: only for a store with no checkpoints yet (an
        import creating it), inside the caller's transaction."""
        self.model = model
        self._save_model()

    def _save_model(self) -> None:
        self.store.put_projection_meta(
            {"model": dumps(self.model.to_dict()), "fingerprint": self.model.fingerprint}
        )

    # -- the append hook -------------------------------------------------------------------

    _deferred: dict[tuple[str, str], str | None] | None = None
    reporter: Reporter | None = None
    """Told of the checkpoint stages (after a bulk import, a rebuild), when set."""

    _fresh = False
    """Whether the log was empty when the bulk transaction began."""

    def begin_bulk(self) -> None:
        """Inside one long transaction (a bulk import) recompute each dyad once, at the end,
        instead of after every batch: out-of-order data would otherwise refold a dyad's
        history once per batch."""
        self._deferred = {}
        self._fresh = self.store.head().seq == 0

    def end_bulk(self, store: Store) -> None:
        pending, self._deferred = self._deferred or {}, None
        if self._fresh:
            self._fold_all(store, pending)
            return
        # the dyads where a correction moves an event in time, found once from the log's
        # corrections (few, and indexed) rather than by a scan of each dyad's rows
        moved = {
            dyad_of(r.actor, r.target)
            for r in store.rows(RowFilter(types=[CORRECT]))
            if "occurred_on" in json.loads(r.body)["changes"]
        }
        if self.reporter is not None:
            self.reporter.stage("checkpoints", len(pending), "dyads")
        for (a, b), since in sorted(pending.items()):
            self.recompute(a, b, None if since is None or (a, b) in moved else since)
            if self.reporter is not None:
                self.reporter.advance(1)

    def _fold_all(self, store: Store, pending: dict[tuple[str, str], str | None]) -> None:
        """The end of a bulk import into an empty log: each dyad it touched has no
        checkpoint yet and all its events are new, so :meth:`recompute` would fold all of
        them from nothing. The same fold, fed by one pass over the log in (dyad, day, seq)
        order (what a replay reads) instead of a query per dyad: about a sixth less CPU for
        the checkpoint stage of a 100k-event import. Dyads in the same (sorted) order."""
        if self.reporter is not None:
            self.reporter.stage("checkpoints", len(pending), "dyads")
        done = 0
        for (a, b), facts in store.facts_by_dyad():
            if (a, b) not in pending:
                continue
            rows, changes = table_rows(a, b, fold_facts(facts, self.model, a))
            store.write_checkpoints(rows, changes)
            done += 1
            if self.reporter is not None:
                self.reporter.advance(1)
        if self.reporter is not None and done < len(pending):
            self.reporter.advance(len(pending) - done)  # (dyads whose rows were undone)

    def abort_bulk(self) -> None:
        self._deferred = None

    def __call__(self, store: Store, rows: Sequence[Row]) -> None:
        deferring = self._deferred is not None
        starts: dict[tuple[str, str], str | None] = (
            self._deferred if self._deferred is not None else {}
        )
        for row in rows:
            key = dyad_of(row.actor, row.target)
            day: str | None = row.occurred_on
            if row.type == CORRECT and "occurred_on" in json.loads(row.body)["changes"]:
                day = None  # the event moves in time: recompute the whole dyad
            if key in starts:
                old = starts[key]
                day = None if old is None or day is None else min(old, day)
            starts[key] = day
        if deferring:
            return
        for (a, b), since in starts.items():
            if since is not None and store.moved_dates(a, b):
                since = None
            self.recompute(a, b, since)

    def recompute(self, a: str, b: str, since: str | None) -> None:
        """Recompute one dyad's checkpoints from ``since`` (inclusive; None = from scratch)."""
        store = self.store
        start = None
        if since is not None:
            r = store.checkpoint_before(a, b, since, inclusive=False)
            start = checkpoint_from_row(r) if r else None
        store.clear_checkpoints((a, b), since or "")
        new = fold_dyad(store, a, b, self.model, start=start, since=since)
        rows, changes = table_rows(a, b, new, start.status if start else None)
        store.write_checkpoints(rows, changes)

    # -- rebuild ---------------------------------------------------------------------------

    def rebuild(self) -> int:
        """Drop every checkpoint (and the search index) and recompute all from the log;
        returns the dyad count."""
        self.store.clear_checkpoints()
        self.store.rebuild_search()
        self._save_model()
        dyads = list(self.store.dyads())
        if self.reporter is not None:
            self.reporter.stage("rebuilding", len(dyads), "dyads")
        for a, b in dyads:
            self.recompute(a, b, None)
            if self.reporter is not None:
                self.reporter.advance(1)
        return len(dyads)


def all_checkpoints(store: Store, a: str, b: str) -> list[Checkpoint]:
    return [checkpoint_from_row(r) for r in store.checkpoints(a, b)]


def checkpoint_on_or_before(store: Store, a: str, b: str, day: date) -> Checkpoint | None:
    """The last checkpoint on or before ``day``: one indexed lookup."""
    r = store.checkpoint_before(a, b, day.isoformat(), inclusive=True)
    return checkpoint_from_row(r) if r else None
