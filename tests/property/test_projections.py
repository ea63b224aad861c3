"""Projections: the checkpoint fast path against a naive fold over the whole log."""

from __future__ import annotations

import math
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Clock, naive_stock

from events.vocabulary import cameo_code, type_info
from projections.model import DEFAULT_MODEL, ScoringModel
from tracker.api import Tracker

PARTIES = ("PRK", "RUS", "USA")
START = date(2000, 1, 1)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SIMPLE = ("praise", "accuse", "visit", "threaten_force", "economic_aid", "criticize")
STRUCTURAL: dict[str, dict[str, Any]] = {
    "impose_sanctions": {"regime": "R1"},
    "lift_sanctions": {"regime": "R1"},
    "sign_treaty": {"name": "T"},
    "ratify_treaty": {"name": "T"},
    "withdraw_from_agreement": {"name": "T"},
    "military_attack": {},
    "ceasefire": {},
    "peace_agreement": {"name": "P"},
    "sever_relations": {},
    "establish_relations": {},
}


@st.composite
def event_dicts(
    draw: st.DrawFn, n_max: int = 25, distinct_days: bool = False
) -> list[dict[str, Any]]:
    n = draw(st.integers(1, n_max))
    offsets = draw(st.lists(st.integers(0, 3650), min_size=n, max_size=n, unique=distinct_days))
    out = []
    for i, off in enumerate(offsets):
        actor, target = draw(st.permutations(PARTIES))[:2]
        kind = draw(st.sampled_from(SIMPLE + tuple(STRUCTURAL) + ("cameo",)))
        d: dict[str, Any] = {
            "type": kind,
            "actor": actor,
            "target": target,
            "occurred_on": (START + timedelta(days=off)).isoformat(),
            "event_id": f"e{i}",
            "confidence": draw(st.sampled_from([1.0, 0.5, 0.8])),
        }
        d.update(STRUCTURAL.get(kind, {}))
        if kind == "cameo":
            d["cameo_code"] = draw(st.sampled_from(["0311", "1123", "190", "057"]))
        if draw(st.booleans()) and kind in SIMPLE:
            d["weight"] = draw(st.floats(-10, 10, allow_nan=False))
        out.append(d)
    return out


def naive_status(events: list[dict[str, Any]], a: str, b: str, day: date) -> float:
    """The stock B of the status in force on ``day``, from the structural events of the dyad
    applied one by one in (date, log position) order (the README's stock table)."""
    relations, conflict = "none recorded", "none"
    agreements: dict[str, tuple[str, bool]] = {}
    sanctions: set[tuple[str, str, str]] = set()
    mine = [
        (date.fromisoformat(e["occurred_on"]), i, e)
        for i, e in enumerate(events)
        if {e["actor"], e["target"]} == {a, b}
    ]
    for t, _, e in sorted(mine, key=lambda x: (x[0], x[1])):
        if t > day:
            break
        kind = e["type"]
        if kind in ("establish_relations", "sever_relations"):
            relations = "established" if kind == "establish_relations" else "severed"
        elif kind == "impose_sanctions":
            sanctions.add((e["actor"], e["target"], e["regime"]))
        elif kind == "lift_sanctions":
            sanctions.discard((e["actor"], e["target"], e["regime"]))
        elif kind == "sign_treaty":
            agreements.setdefault(e["name"], ("treaty", False))
        elif kind in ("ratify_treaty", "peace_agreement"):
            agreements[e["name"]] = (
                "treaty" if kind == "ratify_treaty" else "peace agreement",
                True,
            )
        elif kind == "withdraw_from_agreement":
            agreements.pop(e["name"], None)
        if kind == "military_attack":
            conflict = "active"
        elif kind == "ceasefire" and conflict == "active":
            conflict = "ceasefire"
        elif kind == "peace_agreement" and conflict in ("active", "ceasefire"):
            conflict = "ended"
    return naive_stock(
        relations,
        conflict,
        list(agreements.values()),
        [(by, on) for by, on, _ in sanctions],
        DEFAULT_MODEL,
    )


def naive_score(
    events: list[dict[str, Any]], a: str, b: str, day: date, model: ScoringModel = DEFAULT_MODEL
) -> float:
    """The README's formula, summed directly over every event of the dyad: stock plus flow."""
    total = naive_status(events, a, b, day)
    for e in events:
        if {e["actor"], e["target"]} != {a, b}:
            continue
        t = date.fromisoformat(e["occurred_on"])
        if t > day:
            continue
        code = str(e.get("cameo_code") or type_info(e["type"]).cameo_code)
        w = e.get("weight", cameo_code(code).goldstein)
        total += w * e["confidence"] * 2 ** (-(day - t).days / model.half_life_days)
    return total


def store(path: Path, batches: list[list[dict[str, Any]]]) -> Tracker:
    t = Tracker(path, clock=Clock())
    for batch in batches:
        t.append_many(batch)
    return t


query_days = st.lists(st.integers(-30, 4000), min_size=1, max_size=5)


@SETTINGS
@given(events=event_dicts(), offsets=query_days)
def test_checkpoint_score_equals_a_naive_fold_over_the_log(
    tmp_path_factory: Any, events: list[dict[str, Any]], offsets: list[int]
) -> None:
    t = store(tmp_path_factory.mktemp("p") / "t.db", [events])
    for off in offsets:
        day = START + timedelta(days=off)
        for a, b in (("PRK", "RUS"), ("RUS", "USA"), ("PRK", "USA")):
            s = t.state(a, b, as_of=day)
            expected = naive_score(events, a, b, day)
            assert math.isclose(s.score.score, expected, rel_tol=1e-9, abs_tol=1e-9)
            assert math.isclose(
                s.score.index,
                100 * math.tanh(expected / DEFAULT_MODEL.scale),
                rel_tol=1e-9,
                abs_tol=1e-9,
            )
    t.close()


@SETTINGS
@given(
    events=event_dicts(distinct_days=True),
    order=st.randoms(use_true_random=False),
    offsets=query_days,
)
def test_the_answer_does_not_depend_on_the_order_events_were_appended(
    tmp_path_factory: Any, events: list[dict[str, Any]], order: Any, offsets: list[int]
) -> None:
    in_date_order = sorted(events, key=lambda e: e["occurred_on"])
    shuffled = list(events)
    order.shuffle(shuffled)
    base = tmp_path_factory.mktemp("o")
    t1 = store(base / "a.db", [[e] for e in in_date_order])
    t2 = store(base / "b.db", [[e] for e in shuffled])  # many backdated appends
    for off in offsets:
        day = START + timedelta(days=off)
        for a, b in (("PRK", "RUS"), ("RUS", "USA"), ("PRK", "USA")):
            s1, s2 = t1.state(a, b, as_of=day), t2.state(a, b, as_of=day)
            assert s1.score == s2.score  # bit-identical, status and label included
    assert dump(t1) == dump(t2)
    t1.close()
    t2.close()


def dump(t: Tracker) -> list[tuple[Any, ...]]:
    rows = t.store.conn.execute("SELECT * FROM checkpoints ORDER BY party_a, party_b, day")
    return [tuple(r) for r in rows]


@SETTINGS
@given(events=event_dicts(), off=st.integers(0, 4000))
def test_explain_contributions_add_up_to_the_score(
    tmp_path_factory: Any, events: list[dict[str, Any]], off: int
) -> None:
    t = store(tmp_path_factory.mktemp("x") / "t.db", [events])
    day = START + timedelta(days=off)
    for a, b in (("PRK", "RUS"), ("RUS", "USA")):
        e = t.explain(a, b, as_of=day)
        d = e.to_dict()
        total = math.fsum(c["contribution"] for c in d["contributions"])
        total += math.fsum(term["value"] for term in d["structure"])
        assert abs(total - e.score) <= 1e-9 * max(1.0, abs(e.score))
    t.close()


@SETTINGS
@given(events=event_dicts())
def test_rebuild_reproduces_the_stored_checkpoints_bit_for_bit(
    tmp_path_factory: Any, events: list[dict[str, Any]]
) -> None:
    path = tmp_path_factory.mktemp("r") / "t.db"
    t = store(path, [[e] for e in events])
    before = dump(t)
    t.rebuild()
    with sqlite3.connect(path) as conn:
        after = [
            tuple(r)
            for r in conn.execute("SELECT * FROM checkpoints ORDER BY party_a, party_b, day")
        ]
    assert before == after
    t.close()


@SETTINGS
@given(events=event_dicts(), cut=st.integers(0, 25), off=st.integers(0, 4000))
def test_known_at_answers_as_the_log_stood_then(
    tmp_path_factory: Any, events: list[dict[str, Any]], cut: int, off: int
) -> None:
    cut = min(cut, len(events))
    base = tmp_path_factory.mktemp("k")
    full = store(base / "full.db", [[e] for e in events])
    part = store(base / "part.db", [[e] for e in events[:cut]])
    day = START + timedelta(days=off)
    for a, b in (("PRK", "RUS"), ("RUS", "USA")):
        then = full.state(a, b, as_of=day, known_at=cut)
        assert then.score == part.state(a, b, as_of=day).score
    full.close()
    part.close()


band_edges = st.sampled_from([(b.label, b.lower) for b in DEFAULT_MODEL.bands[:-1]])


@given(edge=band_edges, wiggles=st.lists(st.floats(-0.999, 0.999), min_size=1, max_size=50))
def test_the_label_does_not_flap_inside_the_hysteresis_margin(
    edge: tuple[str, float], wiggles: list[float]
) -> None:
    label, lower = edge
    m = DEFAULT_MODEL
    current = label
    for w in wiggles:
        current = m.next_label(current, lower + w * m.hysteresis)
        assert current == label


def test_the_label_changes_once_the_index_leaves_the_margin() -> None:
    m = DEFAULT_MODEL
    assert m.next_label("cordial", 10 - m.hysteresis - 0.01) == "neutral"
    assert m.next_label("neutral", 10 + m.hysteresis - 0.01) == "neutral"
    assert m.next_label("neutral", 10 + m.hysteresis + 0.01) == "cordial"


@SETTINGS
@given(events=event_dicts(), offsets=query_days)
def test_at_war_overrides_the_index_whatever_the_stock(
    tmp_path_factory: Any, events: list[dict[str, Any]], offsets: list[int]
) -> None:
    """The label is "at war" exactly while an armed conflict is active, however warm the
    stock (treaties in force) and the flow make the index."""
    t = store(tmp_path_factory.mktemp("w") / "t.db", [events])
    for off in offsets:
        day = START + timedelta(days=off)
        for a, b in (("PRK", "RUS"), ("RUS", "USA"), ("PRK", "USA")):
            s = t.state(a, b, as_of=day).score
            assert (s.label == "at war") == s.status.at_war, (s.label, s.status, s.index)
    t.close()


@SETTINGS
@given(events=event_dicts(), offsets=query_days)
def test_the_stock_is_the_stock_of_the_status_in_force(
    tmp_path_factory: Any, events: list[dict[str, Any]], offsets: list[int]
) -> None:
    """Stock plus flow is the score, and the stock is the naive stock of the status in force
    (the flow alone is the README's decayed sum S(t))."""
    t = store(tmp_path_factory.mktemp("s") / "t.db", [events])
    for off in offsets:
        day = START + timedelta(days=off)
        for a, b in (("PRK", "RUS"), ("RUS", "USA")):
            s = t.state(a, b, as_of=day).score
            assert math.isclose(s.stock.total, naive_status(events, a, b, day), abs_tol=1e-9)
            assert math.isclose(s.score, s.stock.total + s.flow, abs_tol=1e-12)
    t.close()
