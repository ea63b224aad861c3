"""The Python API's results: ``to_dict()`` is plain JSON data and is what the CLI's --json
prints (one source), and ``to_frame()`` gives analysts a pandas DataFrame, with a clear
message when pandas is not installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas
import pytest
from click.testing import CliRunner

from tracker import demo
from tracker.api import Tracker
from tracker.cli import main
from tracker.frames import MissingExtraError

DAY = date(2022, 2, 24)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("results") / "demo.db"
    demo.build_store(path, demo.load_events())
    return path


@pytest.fixture
def tracker(store: Path) -> Iterator[Tracker]:
    with Tracker(store, create=False) as t:
        yield t


def cli_json(store: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "--json", "--db", str(store)])
    assert result.exit_code == 0, result.output
    d: dict[str, Any] = json.loads(result.stdout)
    assert (d.pop("format_version"), d.pop("command")) == (1, args[0])
    return d


def test_state_explain_timeline_and_dyads_json_are_their_results_to_dict(
    store: Path, tracker: Tracker
) -> None:
    on = DAY.isoformat()
    assert (
        cli_json(store, "state", "RUS", "UKR", "--as-of", on)
        == tracker.state("RUS", "UKR", as_of=DAY).to_dict()
    )
    assert cli_json(store, "explain", "RUS", "UKR", "--as-of", on, "--limit", "4") == (
        tracker.explain("RUS", "UKR", as_of=DAY).to_dict(limit=4)
    )
    span = ("--from", "2021-01-01", "--to", on, "--every", "quarter")
    assert (
        cli_json(store, "timeline", "RUS", "UKR", *span)
        == tracker.timeline(
            "RUS", "UKR", start=date(2021, 1, 1), end=DAY, every="quarter"
        ).to_dict()
    )
    ranking = tracker.dyads(as_of=DAY)
    assert cli_json(store, "dyads", "--as-of", on, "--top", "2") == {
        **ranking.to_dict(top=2),
        "party": None,
    }


def test_every_result_to_dict_is_plain_json(tracker: Tracker) -> None:
    results: list[Any] = [
        tracker.state("PRK", "RUS", as_of=DAY),
        tracker.explain("PRK", "RUS", as_of=DAY),
        tracker.timeline("PRK", "RUS", start=date(2020, 1, 1), end=DAY, every="year"),
        tracker.dyads(as_of=DAY),
        tracker.dyads(as_of=DAY)[0],
        tracker.score("PRK", "RUS", as_of=DAY),
        tracker.head(),
        next(tracker.events(dyad=("PRK", "RUS"))),
    ]
    for result in results:
        d = result.to_dict()
        assert json.loads(json.dumps(d)) == d, type(result).__name__


def test_a_score_and_a_timeline_point_have_the_same_keys(tracker: Tracker) -> None:
    score = tracker.score("CUB", "USA", as_of=date(2015, 7, 20))
    [point] = tracker.timeline(
        "CUB", "USA", start=date(2015, 7, 20), end=date(2015, 7, 20), every="day"
    )
    assert score.to_dict() == point.to_dict()
    assert score.to_dict()["as_of"] == "2015-07-20"


def test_a_ranking_still_unpacks_as_dyad_and_score(tracker: Tracker) -> None:
    ranking = tracker.dyads(as_of=DAY)
    (dyad, score), *_ = ranking
    assert ranking[0] == (dyad, score) and ranking[0].score is score
    assert [r["rank"] for r in ranking.to_dict()["dyads"]] == list(range(1, len(ranking) + 1))


def test_a_timeline_frame_has_a_row_per_point_with_real_dates(tracker: Tracker) -> None:
    points = tracker.timeline("QAT", "SAU", start=date(2017, 1, 1), end=DAY, every="year")
    frame = points.to_frame()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == len(points) == 6
    assert list(frame.columns)[:3] == ["as_of", "index", "label"]
    assert frame["as_of"].iloc[0] == pandas.Timestamp("2017-01-01")
    assert frame["index"].tolist() == [p.index for p in points]


def test_ranking_and_explanation_frames(tracker: Tracker) -> None:
    pairs = tracker.dyads(as_of=DAY).to_frame()
    assert {"party_a", "party_b", "rank", "index"} <= set(pairs.columns)
    assert pairs["index"].is_monotonic_decreasing
    why = tracker.explain("RUS", "UKR", as_of=DAY)
    moves = why.to_frame()
    assert len(moves) == len(why.items)
    assert moves["contribution"].sum() == pytest.approx(why.to_dict()["events_total"])


def test_a_frame_without_pandas_says_what_to_install(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = tracker.timeline("QAT", "SAU", start=date(2020, 1, 1), end=DAY, every="year")
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails
    with pytest.raises(MissingExtraError, match=r"pip install 'relations-tracker\[pandas\]'"):
        points.to_frame()


def test_the_events_frame_has_the_log_csv_columns(store: Path, tracker: Tracker) -> None:
    frame = tracker.events_frame(dyad=("QAT", "SAU"), since=date(2021, 1, 1))
    result = CliRunner().invoke(
        main, ["log", "--dyad", "QAT", "SAU", "--since", "2021-01-01", "--csv", "--db", str(store)]
    )
    header, *rows = result.stdout.splitlines()
    assert list(frame.columns) == header.split(",") and len(frame) == len(rows) > 0
    assert frame["occurred_on"].min() >= pandas.Timestamp("2021-01-01")
    assert frame["seq"].is_monotonic_increasing
