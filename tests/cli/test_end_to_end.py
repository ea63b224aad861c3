"""The installed `tracker` console script, run as a real subprocess on a temporary store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TRACKER = Path(sys.executable).parent / "tracker"


def test_the_tracker_script_is_installed_next_to_python() -> None:
    assert TRACKER.is_file(), f"no installed `tracker` console script at {TRACKER}"


def tracker(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    return subprocess.run(
        [str(TRACKER), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_append_then_log_json_round_trips_through_the_installed_command(tmp_path: Path) -> None:
    db = tmp_path / "e2e.db"
    appended = tracker(
        "append",
        "congratulate",
        "--actor",
        "North Korea",
        "--target",
        "Russia",
        "--on",
        "2024-03-18",
        "--source",
        "KCNA",
        "--summary",
        "Ким поздравил",
        "--field",
        "occasion=re-election",
        "--id",
        "kcna-1",
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert appended.returncode == 0, appended.stderr
    assert appended.stdout.strip() == "appended seq 1 id kcna-1"

    second = tracker(
        "append",
        "sign_treaty",
        "--actor",
        "RUS",
        "--target",
        "PRK",
        "--on",
        "2024-06-19",
        "--field",
        "name=CSP Treaty",
        "--json",
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["seq"] == 2

    logged = tracker("log", "--jsonl", "--db", str(db), cwd=tmp_path)
    assert logged.returncode == 0, logged.stderr
    records = [json.loads(line) for line in logged.stdout.splitlines()]
    assert [r["seq"] for r in records] == [1, 2]
    assert records[0]["event"] == {
        "type": "congratulate",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-18",
        "source": "KCNA",
        "summary": "Ким поздравил",
        "occasion": "re-election",
        "event_id": "kcna-1",
        "confidence": 1.0,
        "schema_version": 1,
    }
    assert records[1]["event"]["name"] == "CSP Treaty"
    assert records[1]["hash"] == json.loads(second.stdout)["hash"]


def test_the_installed_command_honours_tracker_db(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    env = {"TRACKER_DB": str(db)}
    result = tracker(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-01-01",
        "--id",
        "p1",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    logged = tracker("log", "--jsonl", cwd=tmp_path, env=env)
    assert [json.loads(line)["event"]["event_id"] for line in logged.stdout.splitlines()] == ["p1"]
    assert not (tmp_path / "tracker.db").exists()


def test_bad_input_through_the_installed_command_is_one_clean_error(tmp_path: Path) -> None:
    db = tmp_path / "e2e.db"
    result = tracker(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-02-30",
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "--on" in errors[0] and "2024-02-30" in errors[0]
    assert not db.exists()


def test_a_foreign_file_through_the_installed_command_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes\n")
    result = tracker("log", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert str(db) in result.stderr
    assert db.read_text() == "my notes\n"


def test_version_and_help_run() -> None:
    version = subprocess.run(
        [str(TRACKER), "--version"], capture_output=True, text=True, timeout=120
    )
    assert version.returncode == 0 and "tracker" in version.stdout
    helped = subprocess.run([str(TRACKER), "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0
    for command in ("append", "log", "types", "parties"):
        assert command in helped.stdout
