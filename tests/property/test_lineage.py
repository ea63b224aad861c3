"""Continuity: a query about a continuing state with its predecessors' record equals the same
query on a log in which every predecessor event had been recorded under the continuing state
(a naive fold of the renamed events)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support import Clock

from events.models import AS_RECORDED, parse_event
from tracker.api import Tracker, prepare

TYPES = ["praise", "criticize", "visit", "establish_relations", "sever_relations", "threaten"]


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, object]]:
    """Events between North Korea and the USSR (before 1991-12-26) or Russia (after), in
    either direction."""
    out = []
    for i in range(draw(st.integers(1, 8))):
        day = draw(st.dates(date(1948, 1, 1), date(2025, 12, 31)))
        russia = "SUN" if day <= date(1991, 12, 25) else "RUS"
        pair = ("PRK", russia) if draw(st.booleans()) else (russia, "PRK")
        out.append(
            {
                "type": draw(st.sampled_from(TYPES)),
                "event_id": f"e{i}",
                "actor": pair[0],
                "target": pair[1],
                "occurred_on": day.isoformat(),
            }
        )
    return out


def _store(path: Path, events: list[dict[str, object]]) -> Tracker:
    clock = Clock()
    t = Tracker(path, clock=clock)
    prepared = [prepare(parse_event(e, parties_mode=AS_RECORDED)) for e in events]
    t.store.append(prepared, clock=clock)
    return t


@settings(max_examples=40, deadline=None)
@given(events=histories(), offset=st.integers(0, (date(2025, 12, 31) - date(1948, 1, 1)).days))
def test_predecessors_fold_equals_the_renamed_log(
    events: list[dict[str, object]], offset: int
) -> None:
    import tempfile

    renamed = [
        {
            **e,
            "actor": "RUS" if e["actor"] == "SUN" else e["actor"],
            "target": "RUS" if e["target"] == "SUN" else e["target"],
        }
        for e in events
    ]
    day = date(1948, 1, 1) + timedelta(days=offset)
    with (
        tempfile.TemporaryDirectory() as d,
        _store(Path(d) / "a.db", events) as a,
        _store(Path(d) / "b.db", renamed) as b,
    ):
        got = a.state("PRK", "RUS", as_of=day)
        want = b.state("PRK", "RUS", as_of=day)
        assert got.score == want.score
        assert got.counts == want.counts and got.events == want.events
        assert a.score("PRK", "RUS", as_of=day) == want.score
        ex_a, ex_b = a.explain("PRK", "RUS", as_of=day), b.explain("PRK", "RUS", as_of=day)
        assert (ex_a.score, ex_a.index) == (ex_b.score, ex_b.index)
        assert sorted(c for *_, c in ex_a.items) == sorted(c for *_, c in ex_b.items)
        end = date(2025, 12, 31)
        assert a.timeline("PRK", "RUS", start=date(1948, 1, 1), end=end, every="year") == (
            b.timeline("PRK", "RUS", start=date(1948, 1, 1), end=end, every="year")
        )
        alone = a.state("PRK", "RUS", as_of=day, predecessors=False)
        own = [
            e
            for e in events
            if "RUS" in (e["actor"], e["target"]) and str(e["occurred_on"]) <= day.isoformat()
        ]
        assert alone.events == len(own)
