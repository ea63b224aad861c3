"""Rankings apply continuity as `state` does: a dyad of a state that had ended is listed under
the state continuing it, a dyad of a state that ended with nothing continuing it is not listed,
and every listed score is the score of that pair on that date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import AS_RECORDED, parse_event
from tracker.api import Tracker, prepare
from tracker.cli import main

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _clock() -> datetime:
    return NOW


EVENTS: list[tuple[str, str, str, str]] = [
    ("establish_relations", "SUN", "PRK", "1948-10-12"),
    ("praise", "PRK", "SUN", "1985-05-01"),
    ("praise", "PRK", "RUS", "2024-03-18"),
    ("criticize", "SUN", "USA", "1983-09-05"),  # Russia–USA has no record of its own
    ("praise", "DDR", "USA", "1989-11-10"),  # nothing continues East Germany
    ("threaten", "YUG", "USA", "1999-03-20"),  # Yugoslavia -> Serbia and Montenegro -> Serbia
    ("criticize", "SCG", "USA", "2004-03-18"),
    ("visit", "CUB", "USA", "2016-03-21"),
]


def _build(path: Path) -> Path:
    with Tracker(path, clock=_clock) as t:
        t.store.append(
            [
                prepare(
                    parse_event(
                        {
                            "type": kind,
                            "event_id": f"e{i}",
                            "actor": actor,
                            "target": target,
                            "occurred_on": day,
                        },
                        parties_mode=AS_RECORDED,
                    )
                )
                for i, (kind, actor, target, day) in enumerate(EVENTS)
            ],
            clock=_clock,
        )
    return path


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Tracker]:
    with Tracker(_build(tmp_path / "t.db"), clock=_clock, create=False) as t:
        yield t


def _listed(t: Tracker, **kw: object) -> list[tuple[str, str]]:
    return [dyad for dyad, _score in t.dyads(**kw)]  # type: ignore[arg-type]


def test_a_dissolved_states_dyads_fold_into_the_continuators_after_it_ended(
    tracker: Tracker,
) -> None:
    ranking = tracker.dyads(as_of=date(2026, 1, 1))
    assert sorted(dyad for dyad, _ in ranking) == [
        ("CUB", "USA"),
        ("PRK", "RUS"),
        ("RUS", "USA"),
        ("SRB", "USA"),
    ]
    assert {k: line.included for k, line in ranking.lineages.items()} == {
        ("PRK", "RUS"): (("PRK", "SUN"),),
        ("RUS", "USA"): (("SUN", "USA"),),
        ("SRB", "USA"): (("SCG", "USA"), ("USA", "YUG")),
    }
    [(dyad, why)] = ranking.left_out
    assert dyad == ("DDR", "USA") and "ended on 1990-10-02 and no state continues it" in why


def test_before_it_ended_a_state_is_listed_as_itself(tracker: Tracker) -> None:
    ranking = tracker.dyads(as_of=date(1991, 12, 25))
    assert sorted(dyad for dyad, _ in ranking) == [("PRK", "SUN"), ("SUN", "USA")]
    assert not ranking.lineages and ranking.left_out == [
        (("DDR", "USA"), "East Germany (DDR) ended on 1990-10-02 and no state continues it")
    ]
    assert sorted(_listed(tracker, as_of=date(1991, 12, 26))) == [("PRK", "RUS"), ("RUS", "USA")]


def test_no_predecessors_lists_every_pair_as_recorded(tracker: Tracker) -> None:
    ranking = tracker.dyads(as_of=date(2026, 1, 1), predecessors=False)
    assert sorted(dict(ranking)) == [
        ("CUB", "USA"),
        ("DDR", "USA"),
        ("PRK", "RUS"),
        ("PRK", "SUN"),
        ("SCG", "USA"),
        ("SUN", "USA"),
        ("USA", "YUG"),
    ]
    assert not ranking.lineages and not ranking.left_out


@pytest.mark.parametrize(
    ("party", "expected"),
    [
        ("RUS", [("PRK", "RUS"), ("RUS", "USA")]),  # the USSR's pairs are Russia's now
        ("SUN", [("PRK", "RUS"), ("RUS", "USA")]),  # and the USSR's record is in them
        ("SRB", [("SRB", "USA")]),
        ("DDR", []),
        ("CUB", [("CUB", "USA")]),
    ],
)
def test_party_filters_after_continuity(
    tracker: Tracker, party: str, expected: list[tuple[str, str]]
) -> None:
    assert sorted(_listed(tracker, as_of=date(2026, 1, 1), party=party)) == expected


@pytest.mark.parametrize("predecessors", [True, False])
@pytest.mark.parametrize("known_at", [None, 3, 6])
@pytest.mark.parametrize(
    "as_of", ["1950-01-01", "1991-12-25", "1991-12-26", "2003-06-01", "2026-01-01"]
)
def test_every_listed_score_is_the_pairs_score_on_that_date(
    tracker: Tracker, as_of: str, known_at: int | None, predecessors: bool
) -> None:
    day = date.fromisoformat(as_of)
    ranking = tracker.dyads(as_of=day, known_at=known_at, predecessors=predecessors)
    assert ranking, "nothing listed: the test would prove nothing"
    for (a, b), score in ranking:
        assert score == tracker.score(
            a, b, as_of=day, known_at=known_at, predecessors=predecessors
        ), (a, b)
    assert [s.index for _, s in ranking] == sorted((s.index for _, s in ranking), reverse=True)


# -- the demo store ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tracker.demo import build_store, load_events

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_store(path, load_events())
    return path


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.dates(date(1948, 1, 1), date(2026, 12, 1)), predecessors=st.booleans())
def test_on_the_demo_every_listed_score_is_the_pairs_score(
    demo: Path, day: date, predecessors: bool
) -> None:
    with Tracker(demo, create=False) as t:
        for (a, b), score in t.dyads(as_of=day, predecessors=predecessors):
            assert score == t.score(a, b, as_of=day, predecessors=predecessors), (a, b, day)


def test_the_demos_dyads_list_north_korea_russia_as_state_reads_it(demo: Path) -> None:
    runner = CliRunner()
    common = ["--db", str(demo), "--as-of", "2026-12-01"]
    state = json.loads(runner.invoke(main, ["state", "PRK", "RUS", "--json", *common]).output)
    listed = runner.invoke(main, ["dyads", "--top", "20", *common])
    assert listed.exit_code == 0, listed.output
    [line] = [x for x in listed.output.splitlines() if "PRK–RUS" in x][:1]
    assert f"{state['index']:+6.1f}" in line and "includes the record of PRK–SUN" in line
    assert "PRK–SUN" not in listed.output.replace("record of PRK–SUN", "")
    data = json.loads(runner.invoke(main, ["dyads", "--json", "--top", "20", *common]).output)
    [entry] = [e for e in data["warmest"] if e["dyad"] == ["PRK", "RUS"]]
    assert entry["index"] == state["index"]
    assert entry["predecessors"] == state["predecessors"]
    raw = runner.invoke(main, ["dyads", "--top", "20", "--no-predecessors", *common])
    assert "PRK–SUN" in raw.output and "includes the record" not in raw.output


def test_the_chart_and_the_report_say_which_predecessors_they_include(demo: Path) -> None:
    from tracker.charts import chart_data, legend_lines
    from tracker.report import render_report, report_data

    note = "includes the record of PRK–SUN (Russian Federation (RUS) continues Soviet Union (SUN))"
    with Tracker(demo, create=False) as t:
        data = chart_data(t, "PRK", "RUS", end=date(2026, 12, 1))
        report = report_data(t, "PRK", "RUS", end=date(2026, 12, 1))
        alone = chart_data(t, "QAT", "SAU", end=date(2026, 12, 1))
    assert data.predecessors == (("PRK", "SUN"),) and data.predecessor_notes == (note,)
    assert "events of PRK–RUS and PRK–SUN in" in data.credit
    assert legend_lines(data, width=200)[0] == note
    page = render_report(report, "<svg></svg>")
    assert "Includes the record of PRK–SUN (Russian Federation (RUS) continues" in page
    assert "events of PRK–RUS and PRK–SUN in" in page  # the figure's caption: the credit
    assert not alone.predecessors and " and " not in alone.credit.split(" in ")[0]
