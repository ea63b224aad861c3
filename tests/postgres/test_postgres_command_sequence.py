"""The whole command sequence against PostgreSQL, through the installed `tracker` script: the
demo data imported, queries, a retraction and a correction, rebuild, replay, verify, export,
and the export imported back into an SQLite file with the same head; then the other way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_support import Server

TRACKER = Path(sys.executable).parent / "tracker"
DEMO_DATA = Path(__file__).resolve().parents[2] / "tracker" / "demo" / "data" / "events.jsonl"


def tracker(
    *args: str, cwd: Path, db: str | Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    if db is not None:
        env["TRACKER_DB"] = str(db)
    return subprocess.run(
        [str(TRACKER), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def as_json(result: subprocess.CompletedProcess[str]) -> object:
    return json.loads(ok(result))


def test_the_command_sequence_runs_on_postgresql_and_the_log_moves_back_to_sqlite(
    postgres: Server, tmp_path: Path
) -> None:
    pg_url = postgres.store_url()
    # TRACKER_DB selects the PostgreSQL store for every command below
    imported = as_json(tracker("import", str(DEMO_DATA), "--json", cwd=tmp_path, db=pg_url))
    assert isinstance(imported, dict) and imported["imported"] > 100

    state = as_json(
        tracker("state", "PRK", "RUS", "--as-of", "2024-06-30", "--json", cwd=tmp_path, db=pg_url)
    )
    assert isinstance(state, dict) and state["dyad"] == ["PRK", "RUS"]
    explained = as_json(
        tracker("explain", "PRK", "RUS", "--as-of", "2024-06-30", "--json", cwd=tmp_path, db=pg_url)
    )
    assert isinstance(explained, dict)
    assert sum(c["contribution"] for c in explained["contributions"]) == pytest.approx(
        explained["flow"], abs=1e-9
    )
    assert explained["flow"] + explained["stock"] == pytest.approx(explained["score"], abs=1e-9)
    timeline = as_json(tracker("timeline", "PRK", "RUS", "--json", cwd=tmp_path, db=pg_url))
    assert isinstance(timeline, dict) and len(timeline["points"]) > 12
    dyads = as_json(tracker("dyads", "--json", cwd=tmp_path, db=pg_url))
    assert isinstance(dyads, dict) and len(dyads["warmest"]) >= 5

    # the same numbers as the same data in an SQLite file
    sqlite_db = tmp_path / "same.db"
    ok(tracker("import", str(DEMO_DATA), cwd=tmp_path, db=sqlite_db))
    same = as_json(
        tracker(
            "state", "PRK", "RUS", "--as-of", "2024-06-30", "--json", cwd=tmp_path, db=sqlite_db
        )
    )
    assert same == state

    # record-keeping: retract one event, correct another
    log = [
        json.loads(line)
        for line in ok(
            tracker("log", "--actor", "PRK", "--target", "RUS", "--jsonl", cwd=tmp_path, db=pg_url)
        ).splitlines()
    ]
    first, second = log[0]["event"]["event_id"], log[1]["event"]["event_id"]
    ok(tracker("retract", first, "--reason", "duplicate report", cwd=tmp_path, db=pg_url))
    ok(
        tracker(
            "correct",
            second,
            "--field",
            "confidence=0.5",
            "--reason",
            "single source",
            cwd=tmp_path,
            db=pg_url,
        )
    )
    after = as_json(
        tracker("state", "PRK", "RUS", "--as-of", "2024-06-30", "--json", cwd=tmp_path, db=pg_url)
    )
    assert after != state

    ok(tracker("rebuild", cwd=tmp_path, db=pg_url))
    replayed = as_json(tracker("replay", "--json", cwd=tmp_path, db=pg_url))
    assert isinstance(replayed, dict) and replayed["ok"], replayed
    verified = as_json(tracker("verify", "--json", cwd=tmp_path, db=pg_url))
    assert isinstance(verified, dict) and verified["ok"], verified
    head = verified["head"]

    # the log moves: export from PostgreSQL, import into a fresh SQLite file, same head
    exported = ok(tracker("export", "-", cwd=tmp_path, db=pg_url))
    assert len(exported.splitlines()) == 1 + head["seq"]  # the tree head line, then the records
    moved = tmp_path / "moved.db"
    ok(tracker("import", "-", cwd=tmp_path, db=moved, stdin=exported))
    back = as_json(tracker("verify", "--json", cwd=tmp_path, db=moved))
    assert isinstance(back, dict) and back["ok"] and back["head"] == head
    assert (
        as_json(
            tracker(
                "state", "PRK", "RUS", "--as-of", "2024-06-30", "--json", cwd=tmp_path, db=moved
            )
        )
        == after
    )
