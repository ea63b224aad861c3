"""`tracker demo` end to end: the installed console script in a real subprocess, in tmp_path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.demo import inspect_target, load_events

TRACKER = Path(sys.executable).with_name("tracker")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert TRACKER.exists(), f"the console script is not installed next to {sys.executable}"
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    env.update({"NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"})
    return subprocess.run(
        [str(TRACKER), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("demo")
    result = run(cwd, "demo")
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    return cwd, result.stdout


def test_demo_builds_the_store_in_the_current_directory(first_run: tuple[Path, str]) -> None:
    cwd, out = first_run
    existing = inspect_target(cwd / "tracker-demo.db")
    assert existing.kind == "demo"
    assert existing.events == len(load_events()) >= 150
    assert f"Built tracker-demo.db: {existing.events} real events" in out
    assert not list(cwd.glob(".tracker-demo.db.building-*"))  # no temporary file left behind


def test_the_tour_shows_each_pair_at_its_telling_dates(first_run: tuple[Path, str]) -> None:
    _, out = first_run
    for title in (
        "PRK–RUS  North Korea and Russia",
        "RUS–UKR  Russia and Ukraine",
        "CUB–USA  Cuba and the United States",
        "QAT–SAU  Qatar and Saudi Arabia",
    ):
        assert title in out
    rows = {
        m.group(1): (float(m.group(2)), m.group(3))
        for m in re.finditer(
            r"^  (\d{4}-\d\d-\d\d)\s+([+-]\d+\.\d)\s+(\S+(?: war)?)", out, re.MULTILINE
        )
    }
    assert rows["2024-06-19"][1] == "allied"  # PRK–RUS: the treaty
    assert rows["2023-09-13"][0] > 30  # PRK–RUS: Vostochny
    assert rows["2014-03-18"][1] == "at war"  # RUS–UKR: Crimea
    assert rows["2022-02-24"][1] == "at war" and rows["2022-02-24"][0] < -30
    assert rows["2013-12-17"][0] > 0  # RUS–UKR before the break
    assert rows["2015-07-20"][0] > rows["2017-11-01"][0] + 50  # CUB–USA: thaw, then the turn
    assert rows["2017-06-05"][1] == "hostile"  # QAT–SAU: the blockade
    assert rows["2021-01-05"][0] > 30  # QAT–SAU: Al-Ula


def test_the_tour_explains_charts_and_suggests_commands(first_run: tuple[Path, str]) -> None:
    _, out = first_run
    assert "What makes up the PRK–RUS score on" in out
    assert "and the five largest event contributions" in out
    assert "structural terms and all" in out and "together they add up to the score" in out
    assert "PRK–RUS index, 2000-02-09" in out  # the terminal chart's title
    assert "numbers: the 5 event days that moved the score most" in out
    assert "Try next" in out
    assert "tracker explain RUS UKR --as-of 2022-02-24 --limit 5 --db tracker-demo.db" in out
    assert "\x1b[" not in out  # no colour codes when not a terminal


def test_today_says_how_old_the_record_is_and_what_the_reading_rests_on(
    first_run: tuple[Path, str],
) -> None:
    _, out = first_run
    today = re.findall(
        r"^  today\s+([+-]\d+\.\d)\s+(\S+(?: war)?)\s+last event ([\d.]+ \w+) ago; "
        r"stock ([+-]\d+\.\d), flow ([+-]\d+\.\d)(: rests on structure)?$",
        out,
        re.MULTILINE,
    )
    assert len(today) == 4  # PRK–RUS, RUS–UKR, CUB–USA, QAT–SAU, in the tour's order
    (prk, _, _, _, _, faded), (ukr, war, *_), (cub, cub_label, *_), (qat, qat_label, *_) = today
    assert faded  # the PRK–RUS record ends in December 2024
    assert today[0][1] in ("friendly", "allied") and float(prk) >= 30
    assert war == "at war" and float(ukr) <= -30
    assert cub_label not in ("friendly", "allied") and float(cub) < 30
    assert qat_label != "hostile" and float(qat) > -30
    assert "structure in force today (stock" in out


def test_the_prk_rus_story_is_named_and_the_gaps_are_said(first_run: tuple[Path, str]) -> None:
    _, out = first_run
    for line in (
        "2023-09-13  intent_to_cooperate           RUS→PRK  summit pledges military cooperation",
        "2023-09-13  invitation                    PRK→RUS  Kim invites Putin to visit Pyongyang",
        "2024-03-18  congratulate                  PRK→RUS  Kim congratulates Putin on his fifth",
        "2024-02-18  diplomatic_cooperation        RUS→PRK  Putin's gift of a Russian-made Aurus",
        "2023-09-07  arms_transfer                 PRK→RUS  munitions shipped for the war",
        "2024-06-19  summit                        PRK→RUS  Putin's visit to Pyongyang",
    ):
        assert line in out
    assert "not in the record: the 2000 treaty's entry into force" in out
    assert "diplomatic relations: established since 1948-10-12" in out  # the USSR's, continued


def test_running_it_again_replaces_the_demo_store_and_says_so(tmp_path: Path) -> None:
    assert run(tmp_path, "demo").returncode == 0
    again = run(tmp_path, "demo", "--db", "tracker-demo.db")
    no_traceback(again)
    assert again.returncode == 0, again.stderr
    assert "Replacing the demo store 'tracker-demo.db'" in again.stdout
    assert inspect_target(tmp_path / "tracker-demo.db").kind == "demo"


def test_it_refuses_to_overwrite_a_file_that_is_not_a_demo_store(tmp_path: Path) -> None:
    precious = tmp_path / "notes.db"
    precious.write_text("my notes\n", encoding="utf-8")
    refused = run(tmp_path, "demo", "--db", "notes.db")
    no_traceback(refused)
    assert refused.returncode == 1
    assert "refusing to overwrite 'notes.db'" in refused.stderr and "--force" in refused.stderr
    assert precious.read_text(encoding="utf-8") == "my notes\n"
    forced = run(tmp_path, "demo", "--db", "notes.db", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Replacing 'notes.db' (--force)." in forced.stdout
    assert inspect_target(precious).kind == "demo"


def test_it_refuses_a_demo_store_the_user_has_added_to(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--db", "d.db").returncode == 0
    added = run(
        tmp_path,
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2025-01-01",
        "--db",
        "d.db",
    )
    assert added.returncode == 0, added.stderr
    refused = run(tmp_path, "demo", "--db", "d.db")
    no_traceback(refused)
    assert refused.returncode == 1
    assert "a tracker store holding 1 event not from the demo data" in refused.stderr
    assert inspect_target(tmp_path / "d.db").foreign == 1


def test_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "demo", "--db", "no/such/dir/demo.db")
    no_traceback(result)
    assert result.returncode == 2
    assert "no directory" in result.stderr
