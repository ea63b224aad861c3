"""`tracker chart`: in the terminal, to PNG and SVG files, and its usage errors.

The image tests need matplotlib, which the dev extra installs (it is the [charts] extra for
users), so they run in CI rather than being skipped.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.charts import status_changes
from tracker.cli import main
from tracker.demo import build_store, load_events


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chart") / "tracker-demo.db"
    build_store(path, load_events())
    return path


def chart(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["chart", *args, "--db", str(db)])


def test_terminal_chart_is_drawn_with_its_legend(db: Path) -> None:
    result = chart(db, "PRK", "RUS", "--width", "100", "--height", "20")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].strip().startswith("PRK–RUS index, 2000-02-09 …")
    assert sum("┤" in line for line in lines) >= 5  # the y axis ticks
    assert "numbers: the 5 event days that moved the score most" in result.output
    assert "2024-06-19" in result.output  # the treaty day is numbered
    assert "letters along the bottom:" in result.output
    assert "mutual defence in force: Treaty on Comprehensive Strategic Partnership" in result.output
    assert "\x1b[" not in result.output  # no colours off a terminal


def test_structural_changes_in_a_window(db: Path) -> None:
    result = chart(
        db,
        "Russia",
        "Ukraine",
        "--from",
        "2021-01-01",
        "--to",
        "2022-12-31",
        "--every",
        "week",
        "--top",
        "3",
    )
    assert result.exit_code == 0, result.output
    assert "RUS–UKR index, 2021-01-01 … 2022-12-31" in result.output
    assert "2022-02-24  diplomatic relations severed" in result.output
    assert "2022-02-24  armed conflict active" in result.output
    assert "2014-02-27" not in result.output  # outside the window
    assert "numbers: the 3 event days" in result.output


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_image_files_are_written(db: Path, tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = tmp_path / f"prk-rus{suffix}"
    result = chart(db, "PRK", "RUS", "--out", str(out), "--width", "900", "--height", "450")
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    data = out.read_bytes()
    assert len(data) > 5000 and data.startswith(magic)


def test_a_bad_out_extension_is_a_usage_error(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "chart.pdf"
    result = chart(db, "PRK", "RUS", "--out", str(out))
    assert result.exit_code == 2
    assert "must end in .png or .svg" in result.output
    assert not out.exists()


def test_image_output_without_matplotlib_says_what_to_install(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "chart.png"
    result = chart(db, "PRK", "RUS", "--out", str(out))
    assert result.exit_code == 1
    assert "pip install 'relations-tracker[charts]'" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--width", "5"], "outside 40..1000"),
        (["--out", "x.png", "--width", "50"], "outside 640..20000"),
        (["--every", "fortnight"], "fortnight"),
        (["--from", "2030-01-01"], "between 1900-01-01 and today"),
        (["--top", "99"], "99"),
    ],
)
def test_bad_options_are_usage_errors(db: Path, args: list[str], message: str) -> None:
    result = chart(db, "PRK", "RUS", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_pair_without_events_is_a_clear_error(db: Path) -> None:
    result = chart(db, "FRA", "DEU")
    assert result.exit_code == 1
    assert "no events in the log for this pair" in result.output
    assert "Traceback" not in result.output


def test_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["chart", "PRK", "RUS", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "no tracker store there" in result.output
    assert not (tmp_path / "x.db").exists()


def test_status_changes_names_what_changed() -> None:
    from projections.state import Agreement, Sanction, Status

    day = date(2024, 1, 1)
    before = Status(
        agreements=(Agreement("T", "treaty", "signed", day, "e1"),),
        sanctions=(Sanction("USA", "CUB", "R", day, "e2"),),
    )
    after = Status(
        relations="severed",
        relations_since=day,
        conflict="active",
        conflict_since=day,
        agreements=(Agreement("T", "treaty", "in force", day, "e3"),),
    )
    assert status_changes(before, after) == [
        ("relations", "diplomatic relations severed", ""),
        ("agreement", "treaty in force", "T"),
        ("sanctions", "sanctions lifted, USA on CUB", "R"),
        ("conflict", "armed conflict active", ""),
    ]
    assert status_changes(after, after) == []


@pytest.mark.parametrize("width, height", [(60, 12), (100, 20), (160, 40)])
def test_a_piped_terminal_chart_takes_the_size_asked_for(db: Path, width: int, height: int) -> None:
    result = chart(db, "QAT", "SAU", "--width", str(width), "--height", str(height))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    chart_rows = lines[: lines.index(next(x for x in lines if x.startswith("numbers:")))]
    assert len(chart_rows) == height
    assert "QAT–SAU index" in chart_rows[0]  # the title is kept, cut to fit if need be


def test_terminal_colours_read_on_dark_and_light_backgrounds(db: Path) -> None:
    import re

    from tracker.api import Tracker
    from tracker.charts import TERMINAL_COLOURS, chart_data, render_terminal

    with Tracker(db, create=False) as t:
        text = render_terminal(chart_data(t, "RUS", "UKR"), width=90, height=20, color=True)
    codes = set(re.findall(r"\x1b\[([0-9;]*)m", text))
    assert codes - {"0"}, "no colours at all"
    for code in codes - {"0"}:
        kind, _, colour = code.rpartition(";")
        assert kind == "38;5", f"{code}: only foreground colours (no background bars)"
        assert int(colour) in TERMINAL_COLOURS.values()
    # the 16 basic colours a theme remaps (black, white, yellow…) are never used
    assert not {int(c.rpartition(";")[2]) for c in codes - {"0"}} & set(range(16))
    assert re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()[1].startswith("    ┌")
