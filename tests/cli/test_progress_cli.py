"""Progress as a user sees it: import, verify, replay and rebuild run with standard error on a
real pseudo-terminal, in a subprocess; each shows its count, rate and stages (the checkpoint
update after an import is its own stage). TRACKER_PROGRESS_DELAY=0 draws it at once, so that a
small store shows it too."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.demo import build_store, load_events

TRACKER = Path(sys.executable).with_name("tracker")


def on_a_terminal(*args: str) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    env["TRACKER_PROGRESS_DELAY"] = "0"
    proc = subprocess.Popen(
        [str(TRACKER), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    while select.select([master], [], [], 60)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    stdout = proc.communicate(timeout=60)[0].decode()
    return proc.returncode, stdout, seen.decode()


def final_lines(terminal: str) -> list[str]:
    return [
        part.rstrip("\r").split("\r")[-1].strip() for part in terminal.split("\n") if part.strip()
    ]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("progress")
    build_store(tmp / "demo.db", load_events())
    code, _, _ = on_a_terminal("export", str(tmp / "demo.jsonl"), "--db", str(tmp / "demo.db"))
    assert code == 0
    return tmp / "demo.jsonl"


def test_import_shows_reading_and_then_checkpoints_as_its_own_stage(
    exported: Path, tmp_path: Path
) -> None:
    code, stdout, terminal = on_a_terminal("import", str(exported), "--db", str(tmp_path / "x.db"))
    assert code == 0, terminal
    lines = final_lines(terminal)
    assert lines[0].startswith("importing") and "KiB / " in lines[0] and "KiB/s" in lines[0]
    assert lines[1].startswith("checkpoints") and re.search(r"(\d+) / \1 dyads", lines[1])
    assert all("done in" in line for line in lines[:2])
    assert f"imported {len(load_events())}" in stdout  # the result still goes to stdout


@pytest.mark.parametrize(
    "command, expected",
    [("verify", "verifying"), ("replay", "replaying"), ("rebuild", "rebuilding")],
)
def test_audits_and_rebuild_show_count_and_rate(
    exported: Path, tmp_path: Path, command: str, expected: str
) -> None:
    db = tmp_path / "x.db"
    assert on_a_terminal("import", str(exported), "--db", str(db))[0] == 0
    code, _, terminal = on_a_terminal(command, "--db", str(db))
    assert code == 0, terminal
    line = final_lines(terminal)[0]
    assert line.startswith(expected), line
    unit = "events" if command == "verify" else "dyads"
    done = re.search(rf"(\d+) / \1 {unit}", line)
    assert done and int(done.group(1)) >= (len(load_events()) if unit == "events" else 4)
    assert f"{unit}/s" in line and "done in" in line
