"""The benchmark: every speed and memory figure next to its baseline, measured in one run.

Usage (from the project root, with the ``bench`` extra installed)::

    python benchmarks/run.py                       # 10k, 100k and 1M events -> RESULTS.md
    python benchmarks/run.py --sizes 10000 --out /tmp/r.md   # a quick run

Each figure is a ratio against a baseline measured in the same run on the same data, so that
the numbers mean the same thing on a faster or slower machine. The product's side of each
figure runs in a child process (so its peak memory can be read, and its imports are paid as a
user pays them); baselines run in this process. Synthetic data: N events over the 1,770 dyads of
60 countries, dates 2000-2024, types drawn from the vocabulary's non-structural types with a
few structural ones, as the tracker's own JSON Lines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
COUNTRIES = 60
START = date(2000, 1, 1)
DAYS = (date(2024, 12, 31) - START).days

# -- synthetic data ---------------------------------------------------------------------------


def _vocabulary() -> tuple[list[str], dict[str, dict[str, Any]]]:
    from events.models import EVENT_CLASSES
    from events.vocabulary import catalogue

    simple = [
        name
        for name, info in catalogue().items()
        if not info.effects
        and info.cameo_code
        and not any(f.is_required() for f in EVENT_CLASSES[name].specific_fields().values())
    ]
    structural = {
        "sign_agreement": {"name": "Trade agreement"},
        "impose_sanctions": {"regime": "Export controls"},
        "lift_sanctions": {"regime": "Export controls"},
        "sever_relations": {},
        "restore_relations": {},
    }
    return simple, structural


def generate(n: int, path: Path, seed: int = 1) -> None:
    """N events as JSON Lines (the hand-written form: one flat event per line)."""
    from events.parties import parties

    rng = random.Random(seed)
    codes = sorted(p.code for p in parties().values() if p.kind == "country")[:COUNTRIES]
    simple, structural = _vocabulary()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(n):
            actor, target = rng.sample(codes, 2)
            kind = rng.choice(list(structural)) if rng.random() < 0.002 else rng.choice(simple)
            event: dict[str, Any] = {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "type": kind,
                "actor": actor,
                "target": target,
                "occurred_on": (START + timedelta(days=rng.randrange(DAYS))).isoformat(),
                "confidence": rng.choice((1.0, 1.0, 0.9, 0.7)),
                "source": "synthetic benchmark data",
                **structural.get(kind, {}),
            }
            out.write(json.dumps(event, separators=(",", ":")) + "\n")


# -- child processes: the product's side of each figure ----------------------------------------


def child(kind: str, db: str, arg: str) -> dict[str, Any]:
    """Run one measured operation of the product and report its seconds (imports excluded:
    start-up is the CLI figure's business) and the process's peak RSS."""
    import tracker.importers  # noqa: F401 - loaded before the clock starts
    from tracker.api import Tracker
    from tracker.replay import replay
    from tracker.verify import verify

    extra: dict[str, Any] = {}
    started = time.perf_counter()
    if kind == "import":
        with Tracker(db) as t:
            summary = t.import_files([arg], fmt="jsonl")
        extra["imported"] = summary.imported
    elif kind == "replay":
        extra["ok"] = replay(db).ok
    elif kind == "verify":
        extra["ok"] = verify(db).ok
    elif kind == "es_append":
        extra.update(es_append(db, Path(arg)))
    elif kind == "es_replay":
        extra.update(es_replay(db))
    elif kind == "asof":
        extra.update(asof_latency(db, int(arg)))
    else:
        raise SystemExit(f"unknown child {kind}")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), **extra}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own address space;
    getrusage's ru_maxrss would also count the parent's size at fork, which survives exec."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, db: Path, arg: str = "") -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(db), arg],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {kind} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- baselines (this process) -----------------------------------------------------------------


def rows_for_raw(path: Path) -> list[tuple[Any, ...]]:
    """The rows the raw baseline inserts: same columns as the store, no validation, no hash
    computation (the hash column gets a constant)."""
    from events.vocabulary import catalogue

    codes = {name: info.cameo_code or "" for name, info in catalogue().items()}
    stamp = "2026-01-01T00:00:00.000000Z"
    rows = []
    with path.open(encoding="utf-8") as f:
        for seq, line in enumerate(f, 1):
            e = json.loads(line)
            a, b = sorted((e["actor"], e["target"]))
            rows.append(
                (
                    seq,
                    e["event_id"],
                    e["type"],
                    codes[e["type"]],
                    e["actor"],
                    e["target"],
                    a,
                    b,
                    e["occurred_on"],
                    e["confidence"],
                    None,
                    None,
                    stamp,
                    line.rstrip("\n"),
                    "0" * 64,
                )
            )
    return rows


def raw_insert(db: Path, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for one executemany of ``rows`` into the store's own schema (same table,
    indexes and triggers), WAL, in one transaction."""
    from tracker.store.sql import INSERT as INSERT_SQL
    from tracker.store.sql import schema_statements

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for statement in schema_statements():
        conn.execute(statement)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT_SQL, rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def raw_fold(db: Path, half_life: float) -> float:
    """Seconds for a plain read of the log plus the decay fold written inline: the least any
    replay must do."""
    from events.vocabulary import cameo_codes

    goldstein = {c: v.goldstein for c, v in cameo_codes().items()}
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    scores: dict[tuple[str, str], list[float]] = {}
    for a, b, actor, day, code, weight, conf in conn.execute(
        "SELECT party_a, party_b, actor, occurred_on, code, weight, confidence FROM events "
        "ORDER BY party_a, party_b, occurred_on, seq"
    ):
        t = date.fromisoformat(day).toordinal()
        s = scores.get((a, b))
        if s is None:
            s = scores[(a, b)] = [0.0, 0.0, float(t)]
        k = 2.0 ** (-(t - s[2]) / half_life)
        w = (weight if weight is not None else goldstein.get(code, 0.0)) * conf
        s[0] = s[0] * k + (w if actor == a else 0.0)
        s[1] = s[1] * k + (w if actor != a else 0.0)
        s[2] = t
    conn.close()
    return time.perf_counter() - started


def raw_hash(db: Path) -> float:
    """Seconds to read every stored record and SHA-256 the same bytes verify hashes."""
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    prev = "0" * 64
    for seq, stamp, body in conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq"):
        record = f'{{"event":{body},"recorded_at":"{stamp}","seq":{seq}}}'.encode()
        prev = hashlib.sha256(prev.encode("ascii") + record).hexdigest()
    conn.close()
    return time.perf_counter() - started


# -- eventsourcing (the library) ----------------------------------------------------------------


def _es_app(db: str) -> Any:
    os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    os.environ["SQLITE_DBNAME"] = db
    from eventsourcing.application import Application

    return Application()


try:  # the `bench` extra: the library the event store is compared with
    from eventsourcing.domain import Aggregate, event

    class Dyad(Aggregate):  # type: ignore[misc]
        """One aggregate per dyad, folding the same decayed score as the tracker."""

        @event("Opened")
        def __init__(self, a: str, b: str) -> None:
            self.a, self.b = a, b
            self.s_ab = self.s_ba = 0.0
            self.day = 0

        @event("Observed")
        def observe(self, actor: str, day: int, weight: float) -> None:
            k = 2.0 ** (-(day - self.day) / 365.0) if self.day else 1.0
            self.s_ab *= k
            self.s_ba *= k
            if actor == self.a:
                self.s_ab += weight
            else:
                self.s_ba += weight
            self.day = day

    HAVE_EVENTSOURCING = True
except ImportError:
    HAVE_EVENTSOURCING = False


def es_append(db: str, path: Path, batch: int = 5000) -> dict[str, Any]:
    from events.vocabulary import cameo_code, catalogue

    weights = {
        n: (cameo_code(i.cameo_code).goldstein if i.cameo_code else 0.0)
        for n, i in catalogue().items()
    }
    app = _es_app(db)
    aggregates: dict[tuple[str, str], Any] = {}
    pending: dict[tuple[str, str], Any] = {}
    n = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            key = tuple(sorted((e["actor"], e["target"])))
            agg = aggregates.get(key)  # type: ignore[arg-type]
            if agg is None:
                agg = aggregates[key] = Dyad(*key)  # type: ignore[index]
            agg.observe(
                e["actor"],
                date.fromisoformat(e["occurred_on"]).toordinal(),
                weights[e["type"]] * e["confidence"],
            )
            pending[key] = agg  # type: ignore[index]
            n += 1
            if n % batch == 0:
                app.save(*pending.values())
                pending.clear()
    if pending:
        app.save(*pending.values())
    return {"aggregates": len(aggregates), "ids": [str(a.id) for a in aggregates.values()]}


def es_replay(db: str) -> dict[str, Any]:
    app = _es_app(db)
    ids = json.loads(Path(db + ".ids").read_text())
    started = time.perf_counter()
    for i in ids:
        app.repository.get(uuid.UUID(i))
    return {"aggregates": len(ids), "get_seconds": time.perf_counter() - started}


# -- as-of latency ------------------------------------------------------------------------------


def asof_latency(db: str, queries: int) -> dict[str, Any]:
    """Mean latency of in-process as-of queries through the facade (``score``: the numbers
    on a date; ``state``: the full report with trend, structure and last events), next to
    one indexed SELECT of the checkpoint row they start from (same dyads, same dates)."""
    from tracker.api import Tracker

    rng = random.Random(7)
    with Tracker(db, create=False) as t:
        conn = t.store.conn
        dyads = conn.execute("SELECT DISTINCT party_a, party_b FROM checkpoints").fetchall()
        asks = [
            (*rng.choice(dyads), START + timedelta(days=rng.randrange(DAYS)))
            for _ in range(queries)
        ]
        t.state(asks[0][0], asks[0][1], as_of=asks[0][2])  # warm caches and imports
        out: dict[str, Any] = {}
        for name, query in (("score_us", t.score), ("state_us", t.state)):
            started = time.perf_counter()
            for a, b, day in asks:
                query(a, b, as_of=day)
            out[name] = (time.perf_counter() - started) / queries * 1e6
        sql = (
            "SELECT day, s_ab, s_ba, d_ab, d_ba, label FROM checkpoints "
            "WHERE party_a = ? AND party_b = ? AND day <= ? ORDER BY day DESC LIMIT 1"
        )
        started = time.perf_counter()
        for a, b, day in asks:
            conn.execute(sql, (a, b, day.isoformat())).fetchone()
        out["select_us"] = (time.perf_counter() - started) / queries * 1e6
    return out


# -- CLI wall time --------------------------------------------------------------------------------


def wall(cmd: list[str], repeat: int = 9) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- the run ---------------------------------------------------------------------------------------


def measure(n: int, with_es: bool, work: Path) -> dict[str, Any]:
    tag = f"{n // 1000}k" if n >= 1000 else str(n)
    data = work / f"events-{tag}.jsonl"
    if not data.exists():
        generate(n, data)
    for stale in work.glob(f"*-{tag}.db*"):
        stale.unlink()
    db, raw_db, es_db = (work / f"tracker-{tag}.db", work / f"raw-{tag}.db", work / f"es-{tag}.db")
    r: dict[str, Any] = {"n": n, "db": db}
    rows = rows_for_raw(data)
    r["raw_insert_s"] = raw_insert(raw_db, rows)
    del rows
    imp = run_child("import", db, str(data))
    r["import_s"], r["import_mb"] = imp["seconds"], imp["peak_mb"]
    from projections.model import DEFAULT_MODEL

    r["raw_fold_s"] = raw_fold(db, DEFAULT_MODEL.half_life_days)
    rep = run_child("replay", db)
    r["replay_s"], r["replay_mb"], r["replay_ok"] = rep["seconds"], rep["peak_mb"], rep["ok"]
    r["raw_hash_s"] = raw_hash(db)
    ver = run_child("verify", db)
    r["verify_s"], r["verify_ok"] = ver["seconds"], ver["ok"]
    lat = run_child("asof", db, "2000")
    r["asof_us"], r["state_us"], r["select_us"] = (
        lat["score_us"],
        lat["state_us"],
        lat["select_us"],
    )
    if with_es:
        es = run_child("es_append", es_db, str(data))
        r["es_append_s"] = es["seconds"]
        Path(str(es_db) + ".ids").write_text(json.dumps(es["ids"]))
        esr = run_child("es_replay", es_db)
        r["es_replay_s"] = esr["get_seconds"]
    return r


def cli_figures(db: Path) -> dict[str, float]:
    exe = Path(sys.executable).parent / "tracker"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            str(ROOT / "events"),
            str(ROOT / "projections"),
            str(ROOT / "tracker"),
        ],
        check=True,
        capture_output=True,
    )
    a, b = (
        sqlite3.connect(db).execute("SELECT party_a, party_b FROM checkpoints LIMIT 1").fetchone()
    )
    return {
        "cli_state_s": wall([str(exe), "state", a, b, "--as-of", "2024-06-30", "--db", str(db)]),
        "import_click_s": wall([sys.executable, "-c", "import click"]),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for pkg in ("relations-tracker", "pydantic", "click", "sqlite-utils", "eventsourcing"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def report(results: list[dict[str, Any]], cli: dict[str, float], with_es: bool) -> str:
    def rate(n: int, s: float) -> str:
        return f"{n / s:,.0f}/s"

    lines = [
        "# Benchmark results",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python benchmarks/run.py "
        f"--sizes {','.join(str(r['n']) for r in results)}`.",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".",
        "",
        "Every ratio compares the product with a baseline measured in the same run on the same "
        "data (higher is better for rates, lower for latencies).",
        "",
        "| N | figure | product | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(n: int, figure: str, ours: str, base: str, ratio: float, target: str, ok: bool) -> None:
        lines.append(
            f"| {n:,} | {figure} | {ours} | {base} | {ratio:.2f}× | {target} | "
            f"{'yes' if ok else '**no**'} |"
        )

    for r in results:
        n = r["n"]
        q = r["raw_insert_s"] / r["import_s"]
        row(
            n,
            "bulk append (`tracker import` JSONL: validate, hash, store, checkpoints)",
            rate(n, r["import_s"]),
            "raw executemany " + rate(n, r["raw_insert_s"]),
            q,
            "≥ 0.7×",
            q >= 0.7,
        )
        if with_es:
            q = r["es_append_s"] / r["import_s"]
            row(
                n,
                "bulk append",
                rate(n, r["import_s"]),
                "eventsourcing " + rate(n, r["es_append_s"]),
                q,
                "≥ 2×",
                q >= 2,
            )
        q = r["raw_fold_s"] / r["replay_s"]
        row(
            n,
            "full replay (`tracker replay`: rebuild all projections and compare)",
            rate(n, r["replay_s"]),
            "raw read + inline fold " + rate(n, r["raw_fold_s"]),
            q,
            "≥ 0.5×",
            q >= 0.5,
        )
        if with_es:
            q = r["es_replay_s"] / r["replay_s"]
            row(
                n,
                "full replay",
                rate(n, r["replay_s"]),
                "eventsourcing get() " + rate(n, r["es_replay_s"]),
                q,
                "≥ 10×",
                q >= 10,
            )
        q = r["raw_hash_s"] / r["verify_s"]
        row(
            n,
            "`tracker verify`",
            rate(n, r["verify_s"]),
            "raw read + SHA-256 " + rate(n, r["raw_hash_s"]),
            q,
            "≥ 0.5×",
            q >= 0.5,
        )
        q = r["asof_us"] / r["select_us"]
        row(
            n,
            "as-of query in process (`Tracker.score`: index, label, components)",
            f"{r['asof_us']:.1f} µs",
            f"indexed SELECT {r['select_us']:.1f} µs",
            q,
            "≤ 3×",
            q <= 3,
        )
        lines.append(
            f"| {n:,} | full `Tracker.state` report (trend, structure, last 5 "
            f"events; no target) | {r['state_us']:.1f} µs | indexed SELECT "
            f"{r['select_us']:.1f} µs | {r['state_us'] / r['select_us']:.2f}× | — | — |"
        )
        lines.append(
            f"| {n:,} | peak memory | import {r['import_mb']:.0f} MB, replay "
            f"{r['replay_mb']:.0f} MB | — | — | < 100 MB | "
            f"{'yes' if max(r['import_mb'], r['replay_mb']) < 100 else '**no**'} |"
        )
    q = cli["cli_state_s"] / cli["import_click_s"]
    lines.append(
        f"| {results[-1]['n']:,} | `tracker state A B` wall time | "
        f'{cli["cli_state_s"] * 1000:.0f} ms | `python -c "import click"` '
        f"{cli['import_click_s'] * 1000:.0f} ms | {q:.2f}× | ≤ 1.5× | "
        f"{'yes' if q <= 1.5 else '**no**'} |"
    )
    lines += [
        "",
        "## Growth with N",
        "",
        "| N | import s | replay s | verify s | as-of µs | state µs |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['import_s']:.2f} | {r['replay_s']:.2f} | "
            f"{r['verify_s']:.2f} | {r['asof_us']:.1f} | {r['state_us']:.1f} |"
        )
    if not with_es:
        lines += ["", "eventsourcing is not installed: `pip install '.[bench]'` for its figures."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument(
        "--work",
        type=Path,
        default=WORK,
        help="Where data and stores are written (default benchmarks/work/).",
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DB", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    with_es = HAVE_EVENTSOURCING
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"N = {n:,} ...", file=sys.stderr, flush=True)
        results.append(measure(n, with_es, args.work))
        print(json.dumps(results[-1], default=str), file=sys.stderr, flush=True)
    cli = cli_figures(results[-1]["db"])
    text = report(results, cli, with_es)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
