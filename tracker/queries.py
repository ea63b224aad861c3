"""As-of and known-at queries: relationship state, explanations, timelines, rankings.

The fast path (current log, the model the checkpoints were built with) reads one checkpoint
and decays it. Any other question (``known_at`` in the past, another scoring model) folds the
dyad's events from the log with the same pure functions, so both paths agree by construction.

This module is over 400 lines because each query's result type (with its JSON form) lives
beside the method that computes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from events.dates import EARLIEST
from events.dyad import dyad_of
from events.named import NamedTuple
from events.parties import predecessors as predecessors_of
from projections.facts import RECORD_TYPES, Fact, effective, fact_from_body
from projections.model import ScoringModel
from projections.score import Checkpoint, Score, fold, latest, score_at
from tracker import checkpoints as cp
from tracker.errors import TrackerError
from tracker.lineage import Lineage, lineage, merged, regroup
from tracker.store import RowFilter

if TYPE_CHECKING:
    from tracker.explanation import Explanation
    from tracker.store import Store

QUAD_KEYS = ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")


class QueryError(TrackerError):
    """A query's arguments are out of range (a date before 1900 or in the future ...)."""


def check_date(name: str, day: date, today: date) -> None:
    if not EARLIEST <= day <= today:
        raise QueryError(
            f"{name} {day.isoformat()!r}: must be between {EARLIEST.isoformat()} and today "
            f"({today.isoformat()})",
            field=name,
            value=day.isoformat(),
        )


def dyad_key(a: str, b: str) -> tuple[str, str]:
    """The dyad of two different parties, in party order."""
    if a == b:
        raise QueryError(f"dyad {a!r} {b!r}: the two parties must differ", field="dyad", value=a)
    return dyad_of(a, b)


class EventRef(NamedTuple):
    event_id: str
    seq: int
    occurred_on: date
    type: str
    actor: str
    target: str
    summary: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "seq": self.seq,
            "occurred_on": self.occurred_on.isoformat(),
            "type": self.type,
            "actor": self.actor,
            "target": self.target,
            "summary": self.summary,
        }

    @classmethod
    def of(cls, f: Fact) -> EventRef:
        return cls(f.event_id, f.seq, f.day, f.type, f.actor, f.target, f.summary)


class DyadState(NamedTuple):
    """The answer to "how do A and B get along on this date?"."""

    dyad: tuple[str, str]
    as_of: date
    known_at: int | None
    score: Score
    trend_from: Score
    model: ScoringModel
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    events: int = 0
    last_events: tuple[EventRef, ...] = ()
    lineage: Lineage | None = None
    """The predecessor dyads whose record is included (continuity), if any."""

    @property
    def trend(self) -> float:
        return self.score.index - self.trend_from.index

    def components(self) -> dict[str, float]:
        """The directed flow components (decayed event sums of each side)."""
        a, b = self.dyad
        return {f"{a}->{b}": self.score.s_ab, f"{b}->{a}": self.score.s_ba}

    def to_dict(self) -> dict[str, Any]:
        from projections.stock import terms

        a, b = self.dyad
        s = self.score
        out: dict[str, Any] = {
            "dyad": [a, b],
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at,
            "index": s.index,
            "score": s.score,
            "stock": s.stock.total,
            "stock_components": {
                f"{a}->{b}": s.stock.ab,
                f"{b}->{a}": s.stock.ba,
                "shared": s.stock.shared,
            },
            "structure": [t.to_dict() for t in terms(s.status, self.model)],
            "flow": s.flow,
            "flow_components": self.components(),
            "last_event_on": _iso(s.last_event_on),
            "days_since_last_event": s.days_since_last_event,
            "rests_on_structure": s.faded,
            "label": s.label,
            "status": s.status.to_dict(),
            "trend": {
                "window_days": self.model.trend_window_days,
                "from": self.trend_from.day.isoformat(),
                "from_index": self.trend_from.index,
                "change": self.trend,
            },
            "counts": dict(zip(QUAD_KEYS, self.counts, strict=True)),
            "events": self.events,
            "last_events": [e.to_dict() for e in self.last_events],
            "predecessors": self.lineage.to_dict() if self.lineage else [],
            "mode": self.model.mode,
            "model_fingerprint": self.model.fingerprint,
        }
        if self.model.mode == "mean":
            out["weights"] = {f"{a}->{b}": s.d_ab, f"{b}->{a}": s.d_ba}
            out["means"] = {
                f"{a}->{b}": s.s_ab / s.d_ab if s.d_ab else None,
                f"{b}->{a}": s.s_ba / s.d_ba if s.d_ba else None,
            }
        return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


SCORE_COLUMNS = (
    "as_of",
    "index",
    "label",
    "score",
    "stock",
    "flow",
    "last_event_on",
    "days_since_last_event",
    "rests_on_structure",
)
"""The keys of :meth:`projections.score.Score.to_dict`, in the order CSV and frames use."""

STATE_COLUMNS = (
    "party_a",
    "party_b",
    "as_of",
    "known_at",
    "index",
    "label",
    "trend",
    *SCORE_COLUMNS[3:],
    "events",
    "mode",
    "model_fingerprint",
)
"""The CSV row of ``state``: a score's numbers with the pair, the trend and the model."""


class Timeline(list[Score]):
    """The index of one dyad sampled every period: a list of :class:`Score` (one a sample)
    that also knows what it samples, for its JSON form and its DataFrame."""

    def __init__(
        self,
        points: list[Score],
        *,
        dyad: tuple[str, str],
        every: str,
        known_at: int | None,
        model: ScoringModel,
        lineage: Lineage | None,
        conflict_periods: list[tuple[date, date | None]],
    ) -> None:
        super().__init__(points)
        self.dyad = dyad
        self.every = every
        self.known_at = known_at
        self.model = model
        self.lineage = lineage
        self.conflict_periods = conflict_periods

    @property
    def last_event_on(self) -> date | None:
        return next((p.last_event_on for p in reversed(self) if p.last_event_on), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dyad": list(self.dyad),
            "from": self[0].day.isoformat() if self else None,
            "to": self[-1].day.isoformat() if self else None,
            "every": self.every,
            "known_at": self.known_at,
            "model_fingerprint": self.model.fingerprint,
            "mode": self.model.mode,
            "last_event_on": _iso(self.last_event_on),
            "predecessors": self.lineage.to_dict() if self.lineage else [],
            "conflict_periods": [
                {"start": s.isoformat(), "end": _iso(e)} for s, e in self.conflict_periods
            ],
            "points": [p.to_dict() for p in self],
        }

    def to_frame(self) -> Any:
        """The points as a pandas DataFrame, one row a sample (see :mod:`tracker.frames`)."""
        from tracker.frames import frame

        return frame((p.to_dict() for p in self), SCORE_COLUMNS)


class DyadScore(NamedTuple):
    """One dyad's score in a ranking (unpacks as ``(dyad, score)``)."""

    dyad: tuple[str, str]
    score: Score

    def to_dict(self) -> dict[str, Any]:
        return {"dyad": list(self.dyad), **self.score.to_dict()}


class Ranking(list[DyadScore]):
    """Dyads with their scores on one date, warmest first: a list of ``(dyad, score)`` rows,
    with what continuity changed beside it."""

    def __init__(
        self,
        items: Iterable[tuple[tuple[str, str], Score]] = (),
        lineages: dict[tuple[str, str], Lineage] | None = None,
        left_out: list[tuple[tuple[str, str], str]] | None = None,
        *,
        as_of: date,
        known_at: int | None,
        model: ScoringModel,
    ) -> None:
        rows = (DyadScore(*item) for item in items)
        super().__init__(sorted(rows, key=lambda r: (-r.score.index, r.dyad)))
        self.lineages = lineages or {}
        """listed dyad -> the predecessors' record its score includes"""
        self.left_out = left_out or []
        """stored dyads not listed (a state that ended with nothing continuing it), and why"""
        self.as_of = as_of
        self.known_at = known_at
        self.model = model

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """As JSON: every dyad, and the ``top`` warmest and coldest (all when None)."""
        rows = [
            {
                "rank": n,
                **r.to_dict(),
                "predecessors": self.lineages[r.dyad].to_dict() if r.dyad in self.lineages else [],
            }
            for n, r in enumerate(self, 1)
        ]
        n = top or len(rows)
        return {
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at,
            "model_fingerprint": self.model.fingerprint,
            "mode": self.model.mode,
            "dyads": rows,
            "warmest": rows[:n],
            "coldest": list(reversed(rows[-n:])) if n else [],
            "left_out": [{"dyad": list(k), "why": why} for k, why in self.left_out],
        }

    def to_frame(self) -> Any:
        """The ranking as a pandas DataFrame, warmest first (see :mod:`tracker.frames`)."""
        from tracker.frames import frame

        return frame(self.to_dict()["dyads"], RANK_COLUMNS)


RANK_COLUMNS = ("rank", "party_a", "party_b", *SCORE_COLUMNS)


LAST_EVENTS = 5
"""How many of the latest events `state` lists."""


def _event_refs(rows: list[tuple[Any, ...]]) -> tuple[EventRef, ...]:
    """The rows of :meth:`Store.latest_events <tracker.store.protocol.Store.latest_events>` as
    event references (each tuple built directly: a named tuple's ``__new__`` is Python)."""
    new, fromiso = tuple.__new__, date.fromisoformat
    return tuple(
        new(EventRef, (event_id, seq, fromiso(day), type_, actor, target, summary))
        for seq, event_id, day, type_, actor, target, summary, _records in rows
    )


class Queries:
    """Query methods over one open connection; ``model`` is the model asked for."""

    def __init__(self, store: Store, model: ScoringModel, stored: ScoringModel) -> None:
        self.store = store
        self.model = model
        self.fast = model.fingerprint == stored.fingerprint
        self._head: int | None = None

    def forget_head(self) -> None:
        """The log may have grown since the last query: read its head again when needed."""
        self._head = None

    @property
    def head_seq(self) -> int:
        if self._head is None:
            self._head = self.store.head().seq
        return self._head

    def _use_checkpoints(self, known_at: int | None) -> bool:
        return self.fast and (known_at is None or known_at >= self.head_seq)

    def checkpoints(self, a: str, b: str, known_at: int | None) -> list[Checkpoint]:
        if self._use_checkpoints(known_at):
            return cp.all_checkpoints(self.store, a, b)
        return cp.fold_dyad(self.store, a, b, self.model, max_seq=known_at)

    def _checkpoint(
        self, a: str, b: str, day: date, folded: list[Checkpoint] | None
    ) -> Checkpoint | None:
        if folded is not None:
            return latest(folded, day)
        return cp.checkpoint_on_or_before(self.store, a, b, day)

    # -- continuity: a continuing state's predecessors' record --------------------------------

    def lineage(self, a: str, b: str, known_at: int | None) -> Lineage | None:
        """The predecessor dyads of A–B with events known at ``known_at`` (see
        :mod:`tracker.lineage`); None when there are none."""

        def has_events(d: tuple[str, str]) -> bool:
            # asked only for pairs with predecessors, so the head is read only for them; any
            # one row will do: in valid-time order the index serves it without a sort
            limit = known_at if known_at is not None else self.head_seq
            rows = self.store.rows(RowFilter(dyad=d, max_seq=limit, limit=1, order="occurred"))
            return next(rows, None) is not None

        return lineage(a, b, has_events)

    def _lineage_checkpoints(self, line: Lineage, known_at: int | None) -> list[Checkpoint]:
        """The checkpoints of the dyad and its predecessors folded as one record."""
        facts = [
            f for d in (line.dyad, *line.included) for f in self.store.facts(*d, max_seq=known_at)
        ]
        return fold(effective(merged(line, facts)), self.model, line.dyad[0])

    def _lineage_facts(self, line: Lineage, known_at: int | None) -> list[Fact]:
        """The events of the dyad and its predecessors as the record stands, each under the
        parties it was recorded with."""
        facts: list[Fact] = []
        for d in (line.dyad, *line.included):
            facts.extend(self._full_facts(*d, known_at))
        return sorted(facts, key=lambda f: (f.day, f.seq))

    def _folded(
        self, key: tuple[str, str], known_at: int | None, line: Lineage | None
    ) -> list[Checkpoint] | None:
        if line is not None:
            return self._lineage_checkpoints(line, known_at)
        return None if self._use_checkpoints(known_at) else self.checkpoints(*key, known_at)

    def _line(
        self, key: tuple[str, str], known_at: int | None, predecessors: bool
    ) -> Lineage | None:
        return self.lineage(*key, known_at) if predecessors else None

    # -- queries ---------------------------------------------------------------------------

    def score(
        self, a: str, b: str, as_of: date, known_at: int | None, predecessors: bool = True
    ) -> Score:
        """Just the numbers on ``as_of``: one indexed lookup and a decay on the fast path."""
        key = dyad_key(a, b)
        folded = self._folded(key, known_at, self._line(key, known_at, predecessors))
        return score_at(self._checkpoint(*key, as_of, folded), as_of, self.model, key[0])

    def state(
        self, a: str, b: str, as_of: date, known_at: int | None, predecessors: bool = True
    ) -> DyadState:
        key = dyad_key(a, b)
        line = self._line(key, known_at, predecessors)
        folded = self._folded(key, known_at, line)
        c = self._checkpoint(*key, as_of, folded)
        then = date.fromordinal(max(as_of.toordinal() - self.model.trend_window_days, 1))
        # the last checkpoint on or before as_of is also the last on or before the trend's
        # start when it is no later than that: one read instead of two
        before = c if c is None or c.day <= then else self._checkpoint(*key, then, folded)
        return DyadState(
            dyad=key,
            as_of=as_of,
            known_at=known_at,
            score=score_at(c, as_of, self.model, key[0]),
            trend_from=score_at(before, then, self.model, key[0]),
            model=self.model,
            counts=c.counts if c else (0, 0, 0, 0),
            events=c.events if c else 0,
            last_events=(
                ()
                if not c
                else self._last_events(*key, as_of, known_at)
                if line is None
                else tuple(
                    EventRef.of(f)
                    for f in reversed(self._lineage_facts(line, known_at))
                    if f.day <= as_of
                )[:LAST_EVENTS]
            ),
            lineage=line,
        )

    def _last_events(
        self, a: str, b: str, as_of: date, known_at: int | None
    ) -> tuple[EventRef, ...]:
        """The latest events on or before ``as_of`` as the record stands (retracted ones left
        out, corrections applied), newest first."""
        limit = known_at  # None: the log as it is (no need to read its head first)
        latest = self.store.latest_events(a, b, as_of.isoformat(), limit, LAST_EVENTS)
        if latest and not latest[0][7]:
            # nothing retracted or corrected in the dyad (the statement says so too): each
            # row is the event as it stands (its indexed columns are its body's, as verify
            # checks), and only the summary is needed of the body
            return _event_refs(latest)
        records = [
            fact_from_body(r.seq, json.loads(r.body))
            for r in self.store.rows(
                RowFilter(dyad=(a, b), types=sorted(RECORD_TYPES), max_seq=limit)
            )
        ]
        if any("occurred_on" in f.fields.get("changes", {}) for f in records):
            # an event moved in time: only the whole dyad tells which are the latest
            everything = self._full_facts(a, b, limit)
            return tuple(EventRef.of(f) for f in reversed(everything) if f.day <= as_of)[
                :LAST_EVENTS
            ]
        if not records:
            return _event_refs(latest)
        out: list[EventRef] = []
        latest_first = RowFilter(
            dyad=(a, b),
            until=as_of,
            max_seq=limit,
            exclude_types=sorted(RECORD_TYPES),
            order="latest",
        )
        for r in self.store.rows(latest_first):
            fact = fact_from_body(r.seq, json.loads(r.body))
            mine = [rec for rec in records if rec.fields.get("refers_to") == fact.event_id]
            for current in effective([fact, *mine]):
                out.append(EventRef.of(current))
            if len(out) >= LAST_EVENTS:
                break
        return tuple(out)

    def _full_facts(self, a: str, b: str, max_seq: int | None) -> list[Fact]:
        """The dyad's events as the record stands, from their full bodies (not the cheap
        column facts), so that each carries its summary."""
        return effective(
            fact_from_body(r.seq, json.loads(r.body))
            for r in self.store.rows(RowFilter(dyad=(a, b), max_seq=max_seq))
        )

    def explain(
        self, a: str, b: str, as_of: date, known_at: int | None, predecessors: bool = True
    ) -> Explanation:
        from projections.explain import contributions
        from projections.stock import terms
        from tracker.explanation import Explanation

        key = dyad_key(a, b)
        line = self._line(key, known_at, predecessors)
        facts = (
            self._full_facts(*key, known_at)
            if line is None
            else self._lineage_facts(line, known_at)
        )
        items = contributions(facts, as_of, self.model)
        folded = (
            self._lineage_checkpoints(line, known_at)
            if line is not None
            else None
            if self._use_checkpoints(known_at)
            else cp.fold_dyad(self.store, *key, self.model, max_seq=known_at)
        )
        s = score_at(self._checkpoint(*key, as_of, folded), as_of, self.model, key[0])
        return Explanation(
            key,
            as_of,
            known_at,
            s.score,
            s.index,
            self.model,
            tuple(
                (EventRef.of(i.fact), i.weight, i.fact.confidence, i.decay, i.contribution)
                for i in items
            ),
            tuple(terms(s.status, self.model)),
            s.stock.total,
            s.flow,
            s.last_event_on,
            line,
        )

    def timeline(
        self,
        a: str,
        b: str,
        start: date,
        end: date,
        every: str,
        known_at: int | None,
        predecessors: bool = True,
    ) -> Timeline:
        from projections.timeline import conflict_periods, dates, sample

        key = dyad_key(a, b)
        line = self._line(key, known_at, predecessors)
        folded = (
            self._lineage_checkpoints(line, known_at)
            if line is not None
            else self.checkpoints(*key, known_at)
        )
        return Timeline(
            sample(folded, list(dates(start, end, every)), self.model, key[0]),
            dyad=key,
            every=every,
            known_at=known_at,
            model=self.model,
            lineage=line,
            # the dyad's own wars: with predecessors folded in, read its checkpoints alone
            conflict_periods=conflict_periods(
                folded if line is None else self.checkpoints(*key, known_at)
            ),
        )

    def conflict_periods(
        self, a: str, b: str, known_at: int | None
    ) -> list[tuple[date, date | None]]:
        """Periods of active armed conflict of the dyad (end None: still active)."""
        from projections.timeline import conflict_periods

        return conflict_periods(self.checkpoints(*dyad_key(a, b), known_at))

    def dyads(
        self, as_of: date, party: str | None, known_at: int | None, predecessors: bool = True
    ) -> Ranking:
        """Every dyad with events on or before ``as_of``, with its score, warmest first.

        With ``predecessors`` the stored dyads are regrouped on ``as_of``
        (:func:`tracker.lineage.regroup`): each is scored as :meth:`score` scores it, a
        continuing state's predecessors' record included; only those pairs refold their
        record, the others read one checkpoint."""
        asked: list[str | None] = (
            [party, *predecessors_of(party)] if party and predecessors else [party]
        )
        own = self._own_scores(as_of, asked, known_at)
        if not predecessors:
            return Ranking(own.items(), as_of=as_of, known_at=known_at, model=self.model)
        regrouped = regroup(own, as_of)
        out: list[tuple[tuple[str, str], Score]] = []
        lines: dict[tuple[str, str], Lineage] = {}
        for key, stored in regrouped.groups.items():
            if party is not None and party not in key and all(party not in d for d in stored):
                continue
            line = self.lineage(*key, known_at)
            if line is None:  # then the dyad is its own, only, record
                out.append((key, own[key]))
                continue
            folded = self._lineage_checkpoints(line, known_at)
            out.append((key, score_at(latest(folded, as_of), as_of, self.model, key[0])))
            lines[key] = line
        return Ranking(out, lines, regrouped.gone, as_of=as_of, known_at=known_at, model=self.model)

    def _own_scores(
        self, as_of: date, parties: list[str | None], known_at: int | None
    ) -> dict[tuple[str, str], Score]:
        """Each stored dyad (of any of ``parties``; [None]: every dyad) with events on or
        before ``as_of``, scored on its own record."""
        out: dict[tuple[str, str], Score] = {}
        for party in parties:
            if self._use_checkpoints(known_at):
                for a, b in self.store.checkpoint_dyads(as_of.isoformat(), party):
                    if (a, b) not in out:
                        c = cp.checkpoint_on_or_before(self.store, a, b, as_of)
                        out[(a, b)] = score_at(c, as_of, self.model, a)
            else:
                limit = known_at if known_at is not None else self.head_seq
                for a, b in self.store.dyads(party=party, max_seq=limit):
                    if (a, b) not in out:
                        c = latest(self.checkpoints(a, b, known_at), as_of)
                        if c is not None:
                            out[(a, b)] = score_at(c, as_of, self.model, a)
        return out
