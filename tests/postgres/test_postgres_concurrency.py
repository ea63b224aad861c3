"""Many processes appending to one PostgreSQL log at once: the advisory lock queues them, so
nothing is lost or duplicated, positions have no gaps, the chain verifies and the checkpoints
written under contention are what a replay gives; batches are all or nothing; a reader holding
a snapshot never blocks a writer."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tracker.api import Tracker
from tracker.errors import ConflictError

WORKER = r"""
import json, sys, time
from pathlib import Path
from tracker.api import Tracker

url, name, count, gate = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
parties = ["PRK", "RUS", "CHN", "USA"]
with Tracker(url) as t:
    t.head()  # connected (and the store created, by whichever writer came first)
    (gate.parent / f"ready-{name}").touch()
    while not gate.exists():
        time.sleep(0.001)
    created = []
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
        created += [(r.seq, r.event_id) for r in results if r.created]
print(json.dumps(created))
"""

WRITERS = 8
COUNT = 25


def _run(url: str, tmp_path: Path) -> dict[str, list[tuple[int, str]]]:
    gate = tmp_path / "go"
    procs = {
        f"w{n}": subprocess.Popen(
            [sys.executable, "-c", WORKER, url, f"w{n}", str(COUNT), str(gate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    }
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready-{n}").exists() for n in procs):
            crashed = [n for n, p in procs.items() if p.poll() is not None]
            assert not crashed, {n: procs[n].communicate()[1] for n in crashed}
            assert time.monotonic() < deadline, "writers did not start"
            time.sleep(0.01)
        gate.touch()
        out = {}
        for name, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=240)
            assert proc.returncode == 0, stderr
            out[name] = [tuple(x) for x in json.loads(stdout)]
        return out  # type: ignore[return-value]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_eight_concurrent_writers_lose_and_duplicate_nothing(pg_url: str, tmp_path: Path) -> None:
    from tracker.replay import replay
    from tracker.verify import verify

    results = _run(pg_url, tmp_path)

    created = [item for items in results.values() for item in items]
    expected = {f"w{n}-{i}" for n in range(WRITERS) for i in range(COUNT)}
    expected |= {f"shared-{i}" for i in range(COUNT)}
    assert sorted(eid for _seq, eid in created) == sorted(expected)  # each created exactly once
    assert sorted(seq for seq, _eid in created) == list(range(1, len(expected) + 1))
    for items in results.values():
        assert [s for s, _ in items] == sorted(s for s, _ in items), "a writer's events reordered"
    with Tracker(pg_url, create=False) as t:
        rows = list(t.rows())
    assert [r.seq for r in rows] == list(range(1, len(expected) + 1))
    assert {r.event_id for r in rows} == expected
    stamps = [r.recorded_at for r in rows]
    assert stamps == sorted(stamps), "transaction time goes backwards"
    report = verify(pg_url)
    assert report.ok, report.faults
    assert report.verified == len(expected)
    replayed = replay(pg_url)
    assert replayed.ok, replayed.differing[:3]


def test_a_batch_with_a_conflict_writes_nothing(pg_url: str) -> None:
    with Tracker(pg_url) as t:
        t.append(
            {
                "type": "praise",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2024-01-01",
                "event_id": "a",
            }
        )
        before = t.head()
        with pytest.raises(ConflictError, match="'a'"):
            t.append_many(
                [
                    {
                        "type": "praise",
                        "actor": "PRK",
                        "target": "RUS",
                        "occurred_on": "2024-01-02",
                        "event_id": "b",
                    },
                    {
                        "type": "criticize",
                        "actor": "PRK",
                        "target": "RUS",
                        "occurred_on": "2024-01-01",
                        "event_id": "a",
                    },
                ]
            )
        assert t.head() == before
        assert [r.event_id for r in t.rows()] == ["a"]


def test_a_failed_bulk_import_leaves_the_log_and_the_checkpoints_unchanged(
    pg_url: str, tmp_path: Path
) -> None:
    good = {"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"}
    data = tmp_path / "events.jsonl"
    lines = [json.dumps({**good, "event_id": f"g{i}"}) for i in range(300)]
    lines.append(json.dumps({**good, "event_id": "bad", "actor": "Atlantis"}))
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Tracker(pg_url) as t:
        t.append({**good, "event_id": "first"})
        state = t.state("PRK", "RUS", as_of=__import__("datetime").date(2024, 6, 1))
        with pytest.raises(Exception, match="Atlantis"):
            t.import_files([data])
        assert t.head().seq == 1
        assert t.state("PRK", "RUS", as_of=__import__("datetime").date(2024, 6, 1)) == state


def test_a_reader_holding_a_snapshot_never_blocks_a_writer(pg_url: str) -> None:
    event = {"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"}
    with Tracker(pg_url) as reader, Tracker(pg_url) as writer:
        writer.append({**event, "event_id": "before"})
        store = reader.store
        with store.snapshot():
            seen = [r.event_id for r in store.rows()]
            done = threading.Event()

            def write() -> None:
                writer.append_many([{**event, "event_id": f"during-{i}"} for i in range(50)])
                done.set()

            thread = threading.Thread(target=write)
            thread.start()
            thread.join(timeout=60)
            assert done.is_set(), "the writer waited for the reader"
            assert [r.event_id for r in store.rows()] == seen  # the snapshot holds
        assert reader.head().seq == 51
