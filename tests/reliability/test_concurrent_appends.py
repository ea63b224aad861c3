"""Several processes appending at once, some of them re-sending the same events: nothing is
lost, nothing is duplicated, positions have no gaps, the chain verifies and the checkpoints
written under contention are exactly what a replay from the log gives. Audits running
meanwhile see an intact prefix of the log."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tracker.replay import replay
from tracker.verify import verify

WORKER = r"""
import json, sys, time
from pathlib import Path
from tracker.api import Tracker

db, name, count, gate = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
parties = ["PRK", "RUS", "CHN", "USA"]
(gate.parent / f"ready-{name}").touch()
while not gate.exists():
    time.sleep(0.001)
created = []
with Tracker(db) as t:  # the store does not exist yet: the workers race to create it
    for i in range(count):
        a, b = parties[i % 4], parties[(i + 1 + i // 4) % 4]
        if a == b:
            b = parties[(i + 2) % 4]
        own = {"type": "praise" if i % 3 else "criticize", "actor": a, "target": b,
               "occurred_on": f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}",
               "event_id": f"{name}-{i}", "confidence": 0.5 + (i % 5) / 10}
        shared = {"type": "visit", "actor": "CHN", "target": "RUS",
                  "occurred_on": f"2020-01-{1 + i % 28:02d}", "event_id": f"shared-{i}"}
        if i % 4 == 0:
            results = t.append_many([own, shared])  # a batch
        else:
            results = [t.append(own), t.append(shared)]
        created += [r.event_id for r in results if r.created]
print(json.dumps(created))
"""


def test_parallel_writers_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    gate = tmp_path / "go"
    writers, count = 4, 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), f"w{n}", str(count), str(gate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-w{n}").exists() for n in range(writers)):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.01)
    gate.touch()
    # an audit running while they write sees a consistent, intact prefix every time
    audits = 0
    while any(p.poll() is None for p in procs):
        if not db.exists():
            continue
        report = verify(db)
        if any("events table is missing" in f.message for f in report.faults):
            assert report.events == 0  # an empty file: the writers have not created it yet
            continue
        assert report.ok, report.faults
        audits += 1
    assert audits > 0
    created: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        created += json.loads(out)

    own = {f"w{n}-{i}" for n in range(writers) for i in range(count)}
    shared = {f"shared-{i}" for i in range(count)}
    # each event was created by exactly one writer, shared ones included
    assert sorted(created) == sorted(own | shared)

    conn = sqlite3.connect(db)
    seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    ids = [r[0] for r in conn.execute("SELECT event_id FROM events")]
    conn.close()
    assert seqs == list(range(1, len(own | shared) + 1))
    assert sorted(ids) == sorted(own | shared)

    report = verify(db, deep=True)
    assert report.ok, report.faults
    assert report.head_seq == len(seqs)
    replayed = replay(db)
    assert replayed.ok, [d.describe() for d in replayed.differing]
