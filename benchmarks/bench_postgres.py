"""PostgreSQL beside SQLite: bulk import, as-of latency and replay on the same data.

Usage (from the project root, with the ``postgres`` and ``bench`` extras installed and a server
reachable; the default is the local one of the development machines)::

    python benchmarks/bench_postgres.py                      # 10k and 100k events
    python benchmarks/bench_postgres.py --sizes 10000 --repeat 1
    python benchmarks/bench_postgres.py --server postgresql://me@db.example/bench

For each size the synthetic data of :mod:`synthetic` (JSON Lines, the tracker's own format) is
imported into a fresh SQLite file and into a fresh schema of a database this script creates
and drops, through the library (``Tracker.import_files``: one all-or-nothing transaction,
checkpoints kept in it; on PostgreSQL the rows go in with COPY). Then the same random
(dyad, date) ``score`` queries are asked of both, interleaved query by query, and both are
replayed (every checkpoint recomputed from the log and compared with the stored one). Each
figure is the median of ``--repeat`` runs; the two backends' runs alternate, so that noise
from other processes falls on both. The markdown table it prints is what RESULTS.md holds in
its PostgreSQL section.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _database_url(server: str, database: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def import_seconds(location: str | Path, data: Path) -> float:
    from tracker.api import Tracker

    def run() -> None:
        with Tracker(location) as t:
            summary = t.import_files([data], fmt="jsonl")
            assert summary.imported > 0

    return _timed(run)


def replay_seconds(location: str | Path) -> float:
    from tracker.replay import replay

    def run() -> None:
        report = replay(location)
        assert report.ok, report.faults

    return _timed(run)


def asof_latency(locations: dict[str, str | Path], queries: int) -> dict[str, float]:
    """Mean microseconds per ``score`` query on each backend, the same (dyad, date) asks,
    interleaved query by query."""
    from tracker.api import Tracker

    rng = random.Random(7)
    trackers = {name: Tracker(loc, create=False) for name, loc in locations.items()}
    try:
        first = next(iter(trackers.values()))
        dyads = first.store.dyads()
        asks = [
            (*rng.choice(dyads), synthetic.START + timedelta(days=rng.randrange(synthetic.DAYS)))
            for _ in range(queries)
        ]
        for t in trackers.values():
            t.score(asks[0][0], asks[0][1], as_of=asks[0][2])  # warm caches and imports
        total = dict.fromkeys(trackers, 0.0)
        clock = time.perf_counter
        for a, b, day in asks:
            for name, t in trackers.items():
                t0 = clock()
                t.score(a, b, as_of=day)
                total[name] += clock() - t0
        return {name: seconds / queries * 1e6 for name, seconds in total.items()}
    finally:
        for t in trackers.values():
            t.close()


def measure(n: int, server: str, work: Path, repeat: int, queries: int) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    data = work / f"events-{n}.jsonl"
    if not data.exists():
        synthetic.generate_jsonl(n, data)
    database = f"tracker_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    base = _database_url(server, database)
    runs: dict[str, list[float]] = {k: [] for k in ("import", "replay", "asof")}
    out: dict[str, Any] = {"events": n}
    try:
        samples: dict[str, dict[str, list[float]]] = {
            backend: {k: [] for k in runs} for backend in ("sqlite", "postgresql")
        }
        for r in range(repeat):
            locations: dict[str, str | Path] = {
                "sqlite": work / f"bench-{n}-{r}.db",
                "postgresql": f"{base}?schema=bench_{r}",
            }
            order = list(locations) if r % 2 == 0 else list(reversed(locations))
            for backend in order:
                samples[backend]["import"].append(import_seconds(locations[backend], data))
            lat = asof_latency(locations, queries)
            for backend in order:
                samples[backend]["asof"].append(lat[backend])
                samples[backend]["replay"].append(replay_seconds(locations[backend]))
            Path(locations["sqlite"]).unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(locations["sqlite"]) + suffix).unlink(missing_ok=True)
        for backend, figures in samples.items():
            out[backend] = {k: statistics.median(v) for k, v in figures.items()}
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
    return out


def report(results: list[dict[str, Any]], repeat: int, queries: int, server_version: str) -> str:
    lines = [
        "## PostgreSQL beside SQLite",
        "",
        "`python benchmarks/bench_postgres.py` (bulk import of the synthetic JSON Lines through "
        "`Tracker.import_files`, one transaction with checkpoints kept in it, COPY on "
        f"PostgreSQL; mean `score` latency over {queries} random (dyad, date) asks, interleaved "
        "query by query; a full replay compared with the stored checkpoints). Medians of "
        f"{repeat} runs, backends alternating. PostgreSQL {server_version} on the same machine "
        f"(loopback TCP), Python {platform.python_version()}.",
        "",
        "| events | backend | import s | events/s | as-of score µs | replay s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for res in results:
        for backend in ("sqlite", "postgresql"):
            f = res[backend]
            lines.append(
                f"| {res['events']:,} | {backend} | {f['import']:.2f} | "
                f"{res['events'] / f['import']:,.0f} | {f['asof']:.0f} | {f['replay']:.2f} |"
            )
    ratios = []
    for res in results:
        pg, lite = res["postgresql"], res["sqlite"]
        ratios.append(
            f"{res['events']:,} events: import ×{pg['import'] / lite['import']:.2f}, "
            f"as-of ×{pg['asof'] / lite['asof']:.1f}, replay ×{pg['replay'] / lite['replay']:.2f}"
        )
    lines += ["", "PostgreSQL time over SQLite time: " + "; ".join(ratios) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--server", default=os.environ.get("TRACKER_BENCH_POSTGRES", DEFAULT_SERVER)
    )
    parser.add_argument("--out", type=Path, help="Also write the markdown section here.")
    args = parser.parse_args(argv)
    import psycopg

    with psycopg.connect(args.server) as conn:
        version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
        results = [
            measure(n, args.server, Path(tmp), args.repeat, args.queries) for n in args.sizes
        ]
    text = report(results, args.repeat, args.queries, version)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
