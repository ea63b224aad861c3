"""Several real processes appending to one store at the same time: nothing is lost, nothing is
duplicated, the log has no gaps and the hash chain stays valid."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tracker.api import Tracker

WORKER = r"""
import json, sys, time
from pathlib import Path
from tracker.api import Tracker

db, name, count, batch, gate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    Path(sys.argv[5])
pairs = [("PRK", "RUS"), ("RUS", "PRK"), ("USA", "CHN"), ("PRK", "CHN")]
seqs = []
with Tracker(db) as t:
    (gate.parent / f"ready-{name}").touch()
    deadline = time.monotonic() + 120
    while not gate.exists():
        if time.monotonic() > deadline:
            sys.exit("gate never opened")
        time.sleep(0.002)
    for start in range(0, count, batch):
        events = []
        for i in range(start, min(start + batch, count)):
            actor, target = pairs[i % len(pairs)]
            events.append({"type": "praise" if i % 3 else "criticize", "actor": actor,
                           "target": target, "occurred_on": f"2024-{1 + i % 12:02d}-15",
                           "event_id": f"{name}-{i}", "source": name})
        seqs += [r.seq for r in t.append_many(events)]
print(json.dumps(seqs))
"""

Chain = Callable[[Path], list[int]]


def _run_writers(
    db: Path, tmp_path: Path, writers: int, count: int, batch: int
) -> dict[str, list[int]]:
    """Start ``writers`` processes, release them together, return each one's seqs."""
    gate = tmp_path / "go"
    names = [f"w{n}" for n in range(writers)]
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), name, str(count), str(batch), str(gate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine imports slowly
        while not all((tmp_path / f"ready-{n}").exists() for n in names):
            crashed = [n for n, p in procs.items() if p.poll() not in (None, 0)]
            assert not crashed, {n: procs[n].communicate()[1] for n in crashed}
            assert time.monotonic() < deadline, "writers did not start"
            time.sleep(0.01)
        gate.touch()
        out: dict[str, list[int]] = {}
        for name, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            out[name] = json.loads(stdout)
        return out
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _check_log(db: Path, expected_ids: set[str], recompute_chain: Chain) -> None:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT seq, event_id, recorded_at FROM events ORDER BY seq").fetchall()
    conn.close()
    seqs = [r[0] for r in rows]
    ids = [r[1] for r in rows]
    stamps = [r[2] for r in rows]
    assert len(rows) == len(expected_ids)
    assert seqs == list(range(1, len(expected_ids) + 1))
    assert len(set(ids)) == len(ids)
    assert set(ids) == expected_ids
    assert stamps == sorted(stamps), "transaction time goes backwards"
    assert recompute_chain(db) == []


@pytest.mark.parametrize("writers", [2, 3])
def test_concurrent_writers_lose_nothing_and_keep_the_chain(
    tmp_path: Path, writers: int, recompute_chain: Chain
) -> None:
    db = tmp_path / "shared.db"
    with Tracker(db) as t:
        t.head()  # create the store before the writers start
    count, batch = 40, 3
    results = _run_writers(db, tmp_path, writers, count, batch)

    expected = {f"w{n}-{i}" for n in range(writers) for i in range(count)}
    _check_log(db, expected, recompute_chain)
    every_seq = sorted(s for seqs in results.values() for s in seqs)
    assert every_seq == list(range(1, writers * count + 1))
    for seqs in results.values():
        assert seqs == sorted(seqs), "one writer's events are out of order"


def test_writers_racing_to_create_a_new_store_all_succeed(
    tmp_path: Path, recompute_chain: Chain
) -> None:
    db = tmp_path / "fresh.db"
    assert not db.exists()
    _run_writers(db, tmp_path, 3, 10, 2)
    _check_log(db, {f"w{n}-{i}" for n in range(3) for i in range(10)}, recompute_chain)


def test_reads_see_a_consistent_log_while_another_process_writes(
    tmp_path: Path, recompute_chain: Chain
) -> None:
    db = tmp_path / "shared.db"
    with Tracker(db) as t:
        t.head()
    gate = tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(db), "w0", "60", "2", str(gate)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "ready-w0").exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        gate.touch()
        with Tracker(db) as reader:
            while proc.poll() is None:
                seqs = [r.seq for r in reader.rows()]
                assert seqs == list(range(1, len(seqs) + 1))
                assert reader.head().seq >= len(seqs)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _check_log(db, {f"w0-{i}" for i in range(60)}, recompute_chain)
