"""`tracker log` and record-keeping events: a retraction or correction names the event it
refers to (seq and id), what it changes and why; an event later retracted or corrected is
marked with the record's seq; --records show|hide|only; --known-at sees only earlier records."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log-records") / "mine.db"
    steps = [
        ["append", "congratulate", "--actor", "PRK", "--target", "RUS", "--on", "2024-03-18",
         "--summary", "Kim congratulates Putin", "--id", "k1"],
        ["append", "praise", "--actor", "RUS", "--target", "PRK", "--on", "2024-06-18",
         "--summary", "Putin praises the DPRK", "--id", "p1"],
        ["append", "praise", "--actor", "CUB", "--target", "USA", "--on", "2015-07-20",
         "--summary", "untouched", "--id", "c1"],
        ["correct", "k1", "--field", "confidence=0.9", "--reason", "one source only"],
        ["retract", "p1", "--reason", "an article, not an act"],
    ]  # fmt: skip
    for step in steps:
        result = CliRunner().invoke(main, ["--db", str(path), *step])
        assert result.exit_code == 0, result.output
    return path


def log(db: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["log", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def row(lines: list[str], seq: int) -> str:
    return next(line for line in lines if line.split()[0] == str(seq))


def test_records_say_what_they_refer_to_what_they_change_and_why(db: Path) -> None:
    lines = log(db)
    assert "corrects seq 1 (k1): confidence=0.9; one source only" in row(lines, 4)
    assert "retracts seq 2 (p1): an article, not an act" in row(lines, 5)


def test_retracted_and_corrected_events_are_marked_with_the_record(db: Path) -> None:
    lines = log(db)
    assert lines[0].split()[-2:] == ["later", "records"]
    assert row(lines, 1).endswith("corrected at seq 4")
    assert row(lines, 2).endswith("retracted at seq 5")
    assert row(lines, 3).endswith("untouched")


@pytest.mark.parametrize(
    "mode, seqs",
    [("show", [1, 2, 3, 4, 5]), ("hide", [1, 2, 3]), ("only", [4, 5])],
)
def test_records_can_be_shown_hidden_or_listed_alone(db: Path, mode: str, seqs: list[int]) -> None:
    lines = log(db, "--records", mode)
    assert [int(line.split()[0]) for line in lines[2:]] == seqs


def test_marks_follow_the_filters_and_the_limit(db: Path) -> None:
    lines = log(db, "--dyad", "PRK", "RUS", "--records", "hide", "--limit", "1")
    assert len(lines) == 3 and row(lines, 1).endswith("corrected at seq 4")


def test_known_at_sees_only_the_records_made_by_then(db: Path) -> None:
    lines = log(db, "--known-at", "4")
    assert row(lines, 1).endswith("corrected at seq 4")
    assert "retracted" not in "\n".join(lines)
    lines = log(db, "--known-at", "3")
    assert "later records" not in lines[0]  # no record yet: no column for them


def test_json_lines_honour_the_records_option(db: Path) -> None:
    import json

    result = CliRunner().invoke(main, ["log", "--jsonl", "--records", "only", "--db", str(db)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line)["event"] for line in result.output.splitlines()]
    assert [(e["type"], e["refers_to"]) for e in events] == [("correct", "k1"), ("retract", "p1")]
