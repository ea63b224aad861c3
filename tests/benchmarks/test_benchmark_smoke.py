"""A small run of the benchmark, so that it keeps working; no timing is asserted here (speed
targets are checked by the benchmark itself, as ratios, in benchmarks/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_benchmark(*args: str) -> None:
    """``benchmarks/run.py`` with ``args`` in a child process; it must succeed."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_benchmark_runs_end_to_end_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    run_benchmark(
        "--sizes",
        "10000",
        "--repeat",
        "1",
        "--cli-repeat",
        "2",
        "--out",
        str(out),
        "--work",
        str(tmp_path / "work"),
    )
    report = out.read_text(encoding="utf-8")
    for figure in (
        "JSONL import",
        "fair raw insert",
        "limit: same rows",
        "GDELT import",
        "full replay",
        "`tracker verify`",
        "as-of score",
        "full `Tracker.state` report",
        "peak memory",
        "`tracker state A B` process, regular install",
        "`tracker state A B` process, editable install",
        "eventsourcing",
        "floor: raw insert, indexes set aside + least compute + fold",
        "## Floors",
        "State report by what it reads",
    ):
        assert figure in report
    assert "| 10,000 |" in report
    # every query took one of the paths: the shares add up to the whole
    paths = next(
        line for line in report.splitlines() if line.startswith("| 10,000 | ") and "%" in line
    )
    shares = [float(cell.split("%")[0]) for cell in paths.split("|")[2:-1]]
    assert abs(sum(shares) - 100) < 0.5


def test_the_verify_only_run_reports_verify_the_baseline_and_the_floor(tmp_path: Path) -> None:
    out = tmp_path / "verify.md"
    args = ["--only", "verify", "--sizes", "2000", "--repeat", "1", "--out", str(out)]
    run_benchmark(*args, "--work", str(tmp_path))
    report = out.read_text(encoding="utf-8")
    assert "| 2,000 | 1 |" in report
    assert "Baseline and floor found every hash and body intact." in report
