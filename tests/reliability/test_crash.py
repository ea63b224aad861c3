"""Crash safety: a process SIGKILLed in the middle of a big bulk append (Tracker.append_many)
leaves either the whole batch or none of it, a chain that verifies, and checkpoints that a
replay reproduces.

"In the middle" is observed, not hoped for: the parent kills the writer only once the store's
write-ahead log has grown past a threshold (pages of the uncommitted batch spilling to disk),
and repeats until one kill has landed before the commit.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracker.api import Tracker
from tracker.replay import replay
from tracker.verify import verify

BATCH = 50_000
WAL_GROWTH = 1 << 20  # bytes of write-ahead log that prove the batch is being written
ATTEMPTS = 6

WRITER = r"""
import sys
from tracker.api import Tracker
from tracker.store.rows import to_event

db, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
parties = ["PRK", "RUS", "CHN", "USA", "UKR", "JPN"]
events = []
for i in range(n):
    a = parties[i % 6]
    b = parties[(i // 6 + i + 1) % 6]
    if a == b:
        b = parties[(i + 3) % 6]
    events.append(to_event({
        "type": ("praise", "criticize", "visit", "statement")[i % 4], "actor": a, "target": b,
        "occurred_on": f"{2000 + i % 24}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "event_id": f"{tag}-{i}", "summary": f"bulk event {i} of batch {tag}"}))
print("ready", flush=True)
with Tracker(db) as t:
    t.append_many(events)
print("done", flush=True)
"""


def _settle(db: Path) -> int:
    """Open and close the store normally (recovering after a crash, checkpointing the
    write-ahead log away) and return the number of events."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_during_a_bulk_append_leaves_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    with Tracker(db) as t:
        t.append_many(
            [
                {
                    "type": "praise",
                    "actor": "PRK",
                    "target": "RUS",
                    "occurred_on": "2024-03-18",
                    "event_id": f"seed-{i}",
                }
                for i in range(20)
            ]
        )
    wal = db.with_name(db.name + "-wal")
    outcomes: list[str] = []
    for attempt in range(ATTEMPTS):
        before = _settle(db)
        assert not wal.exists() or wal.stat().st_size == 0
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), f"a{attempt}", str(BATCH)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready", writer.communicate()[1]
        killed_while_writing = False
        while writer.poll() is None:
            if wal.exists() and wal.stat().st_size > WAL_GROWTH:
                os.kill(writer.pid, signal.SIGKILL)
                killed_while_writing = True
                break
            time.sleep(0.0005)
        writer.communicate(timeout=120)

        after = _settle(db)
        assert after in (before, before + BATCH), (before, after)
        report = verify(db)
        assert report.ok, report.faults
        replayed = replay(db)
        assert replayed.ok, [d.describe() for d in replayed.differing]
        if after == before + BATCH:
            outcomes.append("whole batch")
        else:
            assert killed_while_writing, "the writer died without being killed"
            outcomes.append("none of it")
            break
    assert outcomes[-1] == "none of it", f"never killed mid-write in {ATTEMPTS}: {outcomes}"
