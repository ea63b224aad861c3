"""A hypothesis state machine that appends (often backdated), retracts, corrects and queries a
real store, and checks every answer against a small in-memory model written here from the
formulas of the README ("The scoring model"; not from the product's code):

    S(t) = Σ_{t_i ≤ t} w_i · c_i · 2^(−(t − t_i)/H)   over both directions, non-retracted
    B(t) = the structural stock of the status in force at t (tests/support.py: naive_stock)
    I(t) = 100 · tanh((B(t) + S(t)) / K)
    label: the index's band, kept while the index stays within the hysteresis margin of the
           previous label's band, evaluated after each day with events; "at war" while an
           armed conflict is active
    status: relations / sanctions / agreements / armed conflict, changed only by structural
            events, applied in (date, log position) order

Queries combine valid time (as_of) and transaction time (known_at: what the log said then,
retractions and corrections included). At the end of every run the chain must verify and a
replay from the log must reproduce the incrementally maintained checkpoints bit for bit.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from support import Clock, naive_stock

from events.vocabulary import cameo_code, type_info
from projections.model import DEFAULT_MODEL
from tracker.api import Tracker
from tracker.errors import TrackerError
from tracker.replay import replay
from tracker.verify import verify

PARTIES = ("PRK", "RUS", "CHN")
DYADS = (("PRK", "RUS"), ("CHN", "RUS"), ("CHN", "PRK"))
START = date(2019, 1, 1)
SPAN = 6 * 365
PLAIN = ("praise", "criticize", "visit", "threaten", "military_aid", "accuse")
STRUCTURAL = (
    "establish_relations",
    "downgrade_relations",
    "sever_relations",
    "impose_sanctions",
    "lift_sanctions",
    "military_attack",
    "ceasefire",
    "peace_agreement",
    "sign_agreement",
    "withdraw_from_agreement",
)
REGIMES = ("R1", "R2")
AGREEMENTS = ("A1", "A2")

days = st.integers(0, SPAN).map(lambda n: START + timedelta(days=n))


# -- the in-memory model -------------------------------------------------------------------------


@dataclass
class Status:
    relations: str = "none recorded"
    relations_since: date | None = None
    sanctions: frozenset[tuple[str, str, str]] = frozenset()
    agreements: frozenset[str] = frozenset()
    kinds: dict[str, str] = field(default_factory=dict)
    conflict: str = "none"
    conflict_since: date | None = None


@dataclass
class Event:
    seq: int
    event_id: str
    type: str
    actor: str
    target: str
    day: date
    confidence: float
    weight: float | None
    extra: dict[str, Any] = field(default_factory=dict)


EFFECTS = {
    "establish_relations": [("relations", "established")],
    "downgrade_relations": [("relations", "downgraded")],
    "sever_relations": [("relations", "severed")],
    "impose_sanctions": [("sanction", "add")],
    "lift_sanctions": [("sanction", "remove")],
    "military_attack": [("conflict", "active")],
    "ceasefire": [("conflict", "ceasefire")],
    "peace_agreement": [("agreement", "add"), ("conflict", "ended")],
    "sign_agreement": [("agreement", "add")],
    "withdraw_from_agreement": [("agreement", "remove")],
}


def apply(status: Status, e: Event) -> None:
    for what, value in EFFECTS.get(e.type, []):
        if what == "relations" and status.relations != value:
            status.relations, status.relations_since = value, e.day
        elif what == "sanction":
            key = (e.actor, e.target, e.extra["regime"])
            status.sanctions = (
                status.sanctions | {key} if value == "add" else status.sanctions - {key}
            )
        elif what == "agreement":
            name = e.extra["name"]
            status.agreements = (
                status.agreements | {name} if value == "add" else status.agreements - {name}
            )
            if value == "add":
                status.kinds[name] = AGREEMENT_KIND[e.type]
        elif what == "conflict":
            allowed = {"active": None, "ceasefire": {"active"}, "ended": {"active", "ceasefire"}}[
                value
            ]
            if status.conflict != value and (allowed is None or status.conflict in allowed):
                status.conflict, status.conflict_since = value, e.day


AGREEMENT_KIND = {"sign_agreement": "agreement", "peace_agreement": "peace agreement"}
"""The default ``kind`` of each agreement type (the machine never gives one)."""


def stock(status: Status) -> float:
    return naive_stock(
        status.relations,
        status.conflict,
        [(status.kinds[name], True) for name in status.agreements],
        [(by, on) for by, on, _ in status.sanctions],
        DEFAULT_MODEL,
    )


def weight(e: Event) -> float:
    if e.weight is not None:
        return e.weight
    code = type_info(e.type).cameo_code
    assert code is not None
    return cameo_code(code).goldstein


def band(index: float) -> str:
    for b in DEFAULT_MODEL.bands:
        if index >= b.lower:
            return b.label
    return DEFAULT_MODEL.bands[-1].label


def next_label(previous: str, index: float) -> str:
    bands = DEFAULT_MODEL.bands
    labels = [b.label for b in bands]
    if previous in labels:
        i = labels.index(previous)
        lower = bands[i].lower
        upper = bands[i - 1].lower if i else math.inf
        margin = DEFAULT_MODEL.hysteresis
        if lower - margin <= index < upper + margin:
            return previous
    return band(index)


@dataclass
class Expected:
    index: float
    score: float
    label: str
    status: Status


def expected_state(entries: list[tuple[str, Any]], a: str, b: str, t: date) -> Expected:
    """What the log ``entries`` (in seq order) say about the dyad on day ``t``."""
    current: dict[str, Event] = {}
    for kind, payload in entries:
        if kind == "event":
            current[payload.event_id] = Event(**{**payload.__dict__, "extra": dict(payload.extra)})
        elif kind == "retract":
            current.pop(payload, None)
        else:
            target, changes = payload
            if target in current:
                e = current[target]
                for key, value in changes.items():
                    if key == "occurred_on":
                        e.day = date.fromisoformat(value)
                    else:
                        setattr(e, key, value)
    facts = sorted(
        (e for e in current.values() if {e.actor, e.target} == {a, b}), key=lambda e: (e.day, e.seq)
    )
    H, K = DEFAULT_MODEL.half_life_days, DEFAULT_MODEL.scale

    def score(day: date) -> float:
        return sum(
            weight(e) * e.confidence * 2.0 ** (-(day - e.day).days / H)
            for e in facts
            if e.day <= day
        )

    status = Status()
    label = "neutral"
    for day in sorted({e.day for e in facts if e.day <= t}):
        for e in facts:
            if e.day == day:
                apply(status, e)
        index = 100 * math.tanh((stock(status) + score(day)) / K)
        label = "at war" if status.conflict == "active" else next_label(label, index)
    s = stock(status) + score(t)
    index = 100 * math.tanh(s / K)
    label = "at war" if status.conflict == "active" else next_label(label, index)
    return Expected(index, s, label, status)


def close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


# -- the machine -------------------------------------------------------------------------------


class AuditMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="audit-sm-"))
        self.db = self.dir / "store.db"
        self.tracker = Tracker(self.db, clock=Clock())
        self.entries: list[tuple[str, Any]] = []  # index i = seq i + 1
        self.retracted: set[str] = set()
        self.n = 0

    def live(self) -> list[str]:
        return sorted(
            p.event_id for k, p in self.entries if k == "event" and p.event_id not in self.retracted
        )

    @initialize()
    def open_store(self) -> None:
        assert self.tracker.head().seq == 0

    @rule(
        dyad=st.sampled_from(DYADS),
        forward=st.booleans(),
        kind=st.sampled_from(PLAIN + STRUCTURAL),
        day=days,
        confidence=st.sampled_from([1.0, 0.8, 0.5, 0.25]),
        explicit=st.none() | st.sampled_from([-7.5, -2.0, 1.0, 3.5, 8.0]),
        pick=st.integers(0, 1),
    )
    def append(
        self,
        dyad: tuple[str, str],
        forward: bool,
        kind: str,
        day: date,
        confidence: float,
        explicit: float | None,
        pick: int,
    ) -> None:
        actor, target = dyad if forward else dyad[::-1]
        self.n += 1
        event_id = f"x{self.n}"
        extra: dict[str, Any] = {}
        if kind in ("impose_sanctions", "lift_sanctions"):
            extra["regime"] = REGIMES[pick]
        if kind in ("peace_agreement", "sign_agreement", "withdraw_from_agreement"):
            extra["name"] = AGREEMENTS[pick]
        data: dict[str, Any] = {
            "type": kind,
            "actor": actor,
            "target": target,
            "occurred_on": day.isoformat(),
            "event_id": event_id,
            "confidence": confidence,
            **extra,
        }
        if explicit is not None:
            data["weight"] = explicit
        result = self.tracker.append(data)
        assert result.created and result.seq == len(self.entries) + 1
        self.entries.append(
            (
                "event",
                Event(result.seq, event_id, kind, actor, target, day, confidence, explicit, extra),
            )
        )

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data())
    def retract(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.live()))
        result = self.tracker.retract(target, reason="withdrawn")
        assert result.seq == len(self.entries) + 1
        self.entries.append(("retract", target))
        self.retracted.add(target)

    @precondition(lambda self: bool(self.retracted))
    @rule(data=st.data(), correct=st.booleans())
    def touching_a_retracted_event_is_refused(self, data: st.DataObject, correct: bool) -> None:
        target = data.draw(st.sampled_from(sorted(self.retracted)))
        head = self.tracker.head()
        with pytest.raises(TrackerError, match="already retracted"):
            if correct:
                self.tracker.correct(target, {"confidence": 0.5}, reason="late")
            else:
                self.tracker.retract(target, reason="again")
        assert self.tracker.head() == head

    @precondition(lambda self: bool(self.live()))
    @rule(
        data=st.data(),
        confidence=st.none() | st.sampled_from([0.1, 0.6, 1.0]),
        explicit=st.none() | st.sampled_from([-9.0, -0.5, 4.0]),
        day=st.none() | days,
    )
    def correct(
        self,
        data: st.DataObject,
        confidence: float | None,
        explicit: float | None,
        day: date | None,
    ) -> None:
        changes: dict[str, Any] = {}
        if confidence is not None:
            changes["confidence"] = confidence
        if explicit is not None:
            changes["weight"] = explicit
        if day is not None:
            changes["occurred_on"] = day.isoformat()
        if not changes:
            changes["confidence"] = 0.9
        target = data.draw(st.sampled_from(self.live()))
        result = self.tracker.correct(target, changes, reason="better source")
        assert result.seq == len(self.entries) + 1
        self.entries.append(("correct", (target, changes)))

    @rule(dyad=st.sampled_from(DYADS), as_of=days, data=st.data())
    def query(self, dyad: tuple[str, str], as_of: date, data: st.DataObject) -> None:
        head = len(self.entries)
        known = data.draw(st.none() | st.integers(0, head), label="known_at")
        known_at: int | datetime | None = known
        if known and data.draw(st.booleans(), label="as timestamp"):
            *_, row = self.tracker.rows(max_seq=known)
            assert row.seq == known
            known_at = datetime.fromisoformat(row.recorded_at.replace("Z", "+00:00"))
        a, b = dyad
        got = self.tracker.state(a, b, as_of=as_of, known_at=known_at)
        want = expected_state(self.entries[: head if known is None else known], a, b, as_of)
        assert close(got.score.score, want.score), (got.score.score, want.score)
        assert close(got.score.index, want.index), (got.score.index, want.index)
        assert got.score.label == want.label, (got.score.label, want.label, want.index)
        s = got.score.status
        assert (s.relations, s.relations_since) == (
            want.status.relations,
            want.status.relations_since,
        )
        assert {(x.by, x.on, x.regime) for x in s.sanctions} == want.status.sanctions
        assert {x.name for x in s.agreements} == want.status.agreements
        assert (s.conflict, s.conflict_since) == (want.status.conflict, want.status.conflict_since)
        explanation = self.tracker.explain(a, b, as_of=as_of, known_at=known_at)
        flow = math.fsum(item[4] for item in explanation.items)
        structure = math.fsum(term.value for term in explanation.structure)
        assert close(flow + structure, want.score)
        assert close(structure, got.score.stock.total)

    @invariant()
    def the_log_has_every_entry(self) -> None:
        assert self.tracker.head().seq == len(self.entries)

    def teardown(self) -> None:
        try:
            self.tracker.close()
            if self.entries:
                report = verify(self.db, deep=True)
                assert report.ok, report.faults
                replayed = replay(self.db)
                assert replayed.ok, [d.describe() for d in replayed.differing]
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


AuditMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestAuditMachine = AuditMachine.TestCase
