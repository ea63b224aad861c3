"""What the Merkle tree costs a bulk import (issue 14: target at most 10 %).

The same synthetic JSON Lines file (``synthetic.generate_jsonl``) is imported into a fresh
store, in this process, through the CLI's own entry point, in two ways, interleaved
(with, without, with, ...) so that load from other processes falls on both sides:

- **with tree**: the store as shipped (the tree's hashes written beside the chain);
- **without tree**: the same code with the store's tree step replaced by a no-op (the
  only difference between the two runs).

Prints the median times and the overhead; ``--out FILE`` also writes them as Markdown.

    python3 benchmarks/tree_overhead.py --events 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def import_once(source: Path, db: Path, *, tree: bool) -> float:
    from tracker.cli import main
    from tracker.store.sqlite import SQLiteStore

    original = SQLiteStore._extend_tree
    if not tree:
        SQLiteStore._extend_tree = lambda self, head, rows: None  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        main(["import", str(source), "--db", str(db)], standalone_mode=False)
        return time.perf_counter() - start
    finally:
        SQLiteStore._extend_tree = original  # type: ignore[method-assign]
        for suffix in ("", "-wal", "-shm"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)


def measure(events: int, repeat: int, work: Path) -> dict[str, Any]:
    from synthetic import generate_jsonl

    source = work / f"events-{events}.jsonl"
    if not source.exists():
        generate_jsonl(events, source)
    times: dict[str, list[float]] = {"with tree": [], "without tree": []}
    for i in range(repeat):
        for label in ("with tree", "without tree") if i % 2 == 0 else ("without tree", "with tree"):
            times[label].append(import_once(source, work / "bench.db", tree=label == "with tree"))
    with_tree = statistics.median(times["with tree"])
    without = statistics.median(times["without tree"])
    return {
        "events": events,
        "repeat": repeat,
        "with_tree_s": with_tree,
        "without_tree_s": without,
        "overhead": with_tree / without - 1,
    }


def report(result: dict[str, Any]) -> str:
    ok = "yes" if result["overhead"] <= 0.10 else "no"
    return (
        f"| events | runs | with tree | without tree | overhead | ≤ 10 % |\n"
        f"|---:|---:|---:|---:|---:|:---:|\n"
        f"| {result['events']:,} | {result['repeat']} | {result['with_tree_s']:.2f} s "
        f"| {result['without_tree_s']:.2f} s | {result['overhead']:+.1%} | {ok} |\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None, help="Scratch directory.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the table here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        table = report(measure(args.events, args.repeat, work))
    print(table, end="")
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
