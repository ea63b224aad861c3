"""A state report's latest events against a naive fold of the log: retractions and corrections
applied one by one, whatever the records of other dyads (found through the index of each
dyad's records) and whatever the known-at position."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Clock

from tracker.api import Tracker

START = date(2000, 1, 1)
PARTIES = ("PRK", "RUS", "USA")
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
Current = dict[str, dict[str, Any]]


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, int, dict[str, Any]]]]:
    """Events of the three parties' dyads, then record-keeping actions on some of them
    (``retract`` or ``correct``, by index into the events, with the correction's changes)."""
    n = draw(st.integers(1, 14))
    events = []
    for i in range(n):
        actor, target = draw(st.permutations(PARTIES))[:2]
        day = START + timedelta(days=draw(st.integers(0, 60)))
        events.append(
            {
                "event_id": f"e{i}",
                "type": draw(st.sampled_from(["praise", "accuse", "visit", "criticize"])),
                "actor": actor,
                "target": target,
                "occurred_on": day.isoformat(),
                "summary": f"s{i}",
            }
        )
    changes = st.one_of(
        st.builds(lambda k: {"summary": f"fixed {k}"}, st.integers(0, 9)),
        st.builds(lambda d: {"occurred_on": (START + timedelta(days=d)).isoformat()},
                  st.integers(0, 60)),
        st.just({"confidence": 0.5}),
    )  # fmt: skip
    actions = draw(
        st.lists(
            st.tuples(st.sampled_from(["retract", "correct"]), st.integers(0, n - 1), changes),
            max_size=10,
        )
    )
    return events, actions


def naive_latest(log: list[tuple[int, dict[str, Any]]], dyad: set[str], day: date) -> list[Any]:
    """The dyad's five latest events on or before ``day`` as the record stands after the
    log's entries (seq, event or record) applied in order."""
    current: Current = {}
    for seq, e in log:
        if e["type"] == "retract":
            current.pop(e["refers_to"], None)
        elif e["type"] == "correct":
            if e["refers_to"] in current:
                current[e["refers_to"]] = {**current[e["refers_to"]], **e["changes"]}
        elif {e["actor"], e["target"]} == dyad:
            current[e["event_id"]] = {**e, "seq": seq}
    out = [
        (e["event_id"], e["seq"], date.fromisoformat(e["occurred_on"]), e["type"], e["actor"],
         e["target"], e["summary"])
        for e in current.values()
        if date.fromisoformat(e["occurred_on"]) <= day
    ]  # fmt: skip
    return sorted(out, key=lambda r: (r[2], r[1]), reverse=True)[:5]


@SETTINGS
@given(drawn=logs(), noise=st.integers(0, 30), cut=st.integers(0, 40), off=st.integers(0, 70))
def test_the_latest_events_are_those_of_a_naive_fold_however_many_records_the_log_holds(
    tmp_path_factory: Any,
    drawn: tuple[list[dict[str, Any]], list[tuple[str, int, dict[str, Any]]]],
    noise: int,
    cut: int,
    off: int,
) -> None:
    events, actions = drawn
    path: Path = tmp_path_factory.mktemp("l") / "t.db"
    with Tracker(path, clock=Clock()) as t:
        log = [(r.seq, e) for r, e in zip(t.append_many(events), events, strict=True)]
        # another dyad's many records: every one is in the index, none is this dyad's
        other = [
            {"event_id": f"x{i}", "type": "praise", "actor": "CHN", "target": "JPN",
             "occurred_on": "2000-01-01", "summary": "x"}
            for i in range(noise)
        ]  # fmt: skip
        t.append_many(other)
        for i in range(noise):
            t.correct(f"x{i}", {"summary": "y"}, reason="noise") if i % 2 else t.retract(
                f"x{i}", reason="noise"
            )
        retracted: set[str] = set()
        for n, (kind, index, changes) in enumerate(actions):
            ref = events[index]["event_id"]
            if ref in retracted:
                continue
            if kind == "retract":
                result = t.retract(ref, reason="r", new_id=f"r{n}")
                retracted.add(ref)
                log.append((result.seq, {"type": kind, "refers_to": ref}))
            else:
                result = t.correct(ref, changes, reason="c", new_id=f"r{n}")
                log.append((result.seq, {"type": kind, "refers_to": ref, "changes": changes}))
        day = START + timedelta(days=off)
        known_at = min(cut, t.head().seq) or None
        for a, b in (("PRK", "RUS"), ("RUS", "USA"), ("USA", "PRK")):
            now = [tuple(e) for e in t.state(a, b, as_of=day).last_events]
            assert now == naive_latest(log, {a, b}, day)
            then = [tuple(e) for e in t.state(a, b, as_of=day, known_at=known_at).last_events]
            limit = known_at or t.head().seq
            assert then == naive_latest([x for x in log if x[0] <= limit], {a, b}, day)
