"""Benchmark: `tracker import` of a synthetic GDELT 2.0 file against a raw sqlite3 executemany.

    python benchmarks/bench_import.py --rows 100000

1. Writes a synthetic GDELT 2.0 export (61 tab-separated columns, no header) of N rows: events
   between 60 countries (all 1,770 dyads), CAMEO codes drawn from the whole table with their
   Goldstein values, 1-10 sources, dates running forward over a year with 10% of the rows
   reported late (1-30 days backdated), as in a stream of daily GDELT files.
2. Imports it through the Python API (`Tracker.import_files`, the code path of `tracker import`:
   parse, validate, hash chain, Store.append with its checkpoint listeners, one transaction)
   into a fresh store, in a child process whose peak RSS is reported.
3. In another child process, inserts the very same rows (same event ids, bodies, hashes) with
   one raw `sqlite3` `executemany` per 20,000 rows into a fresh store with the same schema,
   indexes and triggers, in one transaction. Only the executemany calls and the commit are
   timed: preparing the row tuples is not.

Prints events per second for both, their ratio (target: import >= 0.5 x raw) and peak memory.
Standard library and the project only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

COUNTRIES = (
    "USA",
    "RUS",
    "CHN",
    "GBR",
    "FRA",
    "DEU",
    "JPN",
    "IND",
    "BRA",
    "ZAF",
    "PRK",
    "KOR",
    "IRN",
    "IRQ",
    "ISR",
    "SYR",
    "TUR",
    "SAU",
    "EGY",
    "PAK",
    "AFG",
    "UKR",
    "POL",
    "ITA",
    "ESP",
    "CAN",
    "MEX",
    "AUS",
    "IDN",
    "VNM",
    "PHL",
    "THA",
    "MYS",
    "SGP",
    "NGA",
    "KEN",
    "ETH",
    "SDN",
    "LBY",
    "DZA",
    "MAR",
    "TUN",
    "JOR",
    "LBN",
    "QAT",
    "ARE",
    "KWT",
    "OMN",
    "YEM",
    "CUB",
    "VEN",
    "COL",
    "ARG",
    "CHL",
    "PER",
    "GRC",
    "SRB",
    "BLR",
    "KAZ",
    "NZL",
)
assert len(COUNTRIES) == 60
RAW_CHUNK = 20_000


# -- the synthetic file --------------------------------------------------------------------


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """N rows of GDELT 2.0 (61 columns), deterministic for a seed."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from events.vocabulary import cameo_codes

    rng = random.Random(seed)
    codes = [(c.code, c.goldstein) for c in cameo_codes().values()]
    names = {c: f"{c} NAME" for c in COUNTRIES}
    start = date(2023, 1, 1)
    span = 365
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        lines = []
        for i in range(rows):
            a, b = rng.sample(COUNTRIES, 2)
            code, gold = rng.choice(codes)
            day = start + timedelta(days=i * span // max(rows, 1))
            if rng.random() < 0.1:
                day -= timedelta(days=rng.randint(1, 30))
            sqldate = day.strftime("%Y%m%d")
            sources = rng.randint(1, 10)
            mentions = sources * rng.randint(1, 4)
            goldstein = f"{gold:.0f}" if gold.is_integer() and rng.random() < 0.3 else f"{gold}"
            fields = [
                str(1_000_000_000 + i),
                sqldate,
                sqldate[:6],
                sqldate[:4],
                f"{day.year + day.timetuple().tm_yday / 365:.4f}",
                a,
                names[a],
                a,
                "",
                "",
                "",
                "",
                "GOV",
                "",
                "",
                b,
                names[b],
                b,
                "",
                "",
                "",
                "",
                "GOV",
                "",
                "",
                "1",
                code,
                code[:3],
                code[:2],
                str(1 + (int(code[:2]) - 1) // 5),
                goldstein,
                str(mentions),
                str(sources),
                str(mentions),
                f"{rng.uniform(-10, 10):.6f}",
                "1",
                names[a].title(),
                a[:2],
                a[:2],
                "",
                "10.0",
                "20.0",
                "-1",
                "1",
                names[b].title(),
                b[:2],
                b[:2],
                "",
                "30.0",
                "40.0",
                "-2",
                "1",
                names[b].title(),
                b[:2],
                b[:2],
                "",
                "30.0",
                "40.0",
                "-2",
                day.strftime("%Y%m%d") + "120000",
                f"https://news.example.com/{day.year}/{i}.html",
            ]
            assert len(fields) == 61, len(fields)
            lines.append("\t".join(fields))
            if len(lines) >= 10_000:
                out.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            out.write("\n".join(lines) + "\n")


# -- child processes -----------------------------------------------------------------------


def child_import(file: Path, db: Path, batch_size: int | None) -> dict[str, float]:
    from tracker.api import Tracker

    began = time.perf_counter()
    deferred = [0.0]
    with Tracker(db) as tracker:
        _time_deferred_listeners(tracker, deferred)
        summary = tracker.import_files([file], fmt="gdelt", batch_size=batch_size)
    elapsed = time.perf_counter() - began
    return {
        "seconds": elapsed,
        "imported": summary.imported,
        "read": summary.read,
        "deferred_seconds": deferred[0],
        "peak_rss_kb": peak_rss_kb(),
    }


def peak_rss_kb() -> int:
    """Peak resident memory of this process (VmHWM: ru_maxrss would include the parent's size
    at fork, which Linux carries across exec)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _time_deferred_listeners(tracker: Any, total: list[float]) -> None:
    """Measure (not change) the work append listeners defer to the end of the transaction
    (checkpoint maintenance), so that the report can say where the time goes."""
    for listener in tracker.store.listeners:
        end: Callable[..., None] | None = getattr(listener, "end_bulk", None)
        if end is None:
            continue

        def timed(*args: object, _end: Callable[..., None] = end) -> None:
            t0 = time.perf_counter()
            try:
                _end(*args)
            finally:
                total[0] += time.perf_counter() - t0

        listener.end_bulk = timed


def child_raw(file: Path, db: Path) -> dict[str, float]:
    from tracker.importers.gdelt import read
    from tracker.importers.inputs import open_sources
    from tracker.store import GENESIS_HASH, SQLiteStore, chain_hash, format_timestamp
    from tracker.store.sql import INSERT as INSERT_SQL

    SQLiteStore(db).close()  # the same schema, indexes and triggers as the tracker's store
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    stamp = format_timestamp(datetime.now(UTC))
    seq, prev = 0, GENESIS_HASH
    timed = 0.0
    inserted = 0
    chunk: list[tuple[object, ...]] = []

    def insert() -> float:
        t0 = time.perf_counter()
        conn.executemany(INSERT_SQL, chunk)
        return time.perf_counter() - t0

    conn.execute("BEGIN IMMEDIATE")
    for src in open_sources(file):
        for item in read(src):
            p = getattr(item, "prepared", None)
            if p is None:
                continue
            seq += 1
            prev = chain_hash(prev, p.body, seq, stamp)
            a, b = (p.actor, p.target) if p.actor < p.target else (p.target, p.actor)
            chunk.append(
                (
                    seq,
                    p.event_id,
                    p.type,
                    p.code,
                    p.actor,
                    p.target,
                    a,
                    b,
                    p.occurred_on,
                    p.confidence,
                    p.weight,
                    p.refers_to,
                    stamp,
                    p.body,
                    prev,
                )
            )
            if len(chunk) >= RAW_CHUNK:
                timed += insert()
                inserted += len(chunk)
                chunk.clear()
    if chunk:
        timed += insert()
        inserted += len(chunk)
    t0 = time.perf_counter()
    conn.execute("COMMIT")
    timed += time.perf_counter() - t0
    conn.close()
    return {"seconds": timed, "imported": inserted, "peak_rss_kb": peak_rss_kb()}


def run_child(*args: str) -> dict[str, float]:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="events per Store.append (default: the importer's)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the file and the stores go (default: a temporary dir)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "import":
            batch = int(rest[2]) if len(rest) > 2 and rest[2] != "-" else None
            result = child_import(Path(rest[0]), Path(rest[1]), batch)
        else:
            result = child_raw(Path(rest[0]), Path(rest[1]))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        file = work / f"gdelt-synthetic-{args.rows}.export.CSV"
        t0 = time.perf_counter()
        generate(file, args.rows)
        print(
            f"generated {args.rows:,} rows ({file.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        for name in ("import.db", "raw.db"):
            for suffix in ("", "-wal", "-shm"):
                (work / (name + suffix)).unlink(missing_ok=True)
        imp = run_child(
            "import",
            str(file),
            str(work / "import.db"),
            str(args.batch_size) if args.batch_size else "-",
        )
        raw = run_child("raw", str(file), str(work / "raw.db"))
    imp_rate = imp["imported"] / imp["seconds"]
    raw_rate = raw["imported"] / raw["seconds"]
    print(
        f"tracker import : {imp['imported']:>10,.0f} events in {imp['seconds']:7.2f} s = "
        f"{imp_rate:>10,.0f} events/s   peak RSS {imp['peak_rss_kb'] / 1024:,.0f} MB"
    )
    if imp.get("deferred_seconds"):
        rest = imp["seconds"] - imp["deferred_seconds"]
        print(
            f"  of which checkpoint maintenance (deferred to the end of the transaction): "
            f"{imp['deferred_seconds']:.2f} s; parse + validate + hash + append: {rest:.2f} s "
            f"= {imp['imported'] / rest:,.0f} events/s"
        )
    print(
        f"raw executemany: {raw['imported']:>10,.0f} events in {raw['seconds']:7.2f} s = "
        f"{raw_rate:>10,.0f} events/s   (row preparation not timed)"
    )
    print(f"ratio import/raw: {imp_rate / raw_rate:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
