"""The baselines each product figure is divided by: the least any store of the same data must do,
written with plain ``sqlite3`` and inline Python, measured on the same machine in the same run.

Fairness rules (issue 16): every baseline does the work the product cannot avoid and nothing it
can. The insert baselines write *every* row the product's store holds after the import (the log
and every derived table: checkpoints, structure, and whatever else the store keeps), into the
product's own schema; the fold baseline computes the same sums with the same per-day ``fsum``
and reads the stored checkpoint rows it compares with; the verify baseline reads every column
verify checks. Rows are prepared in advance (read from the product's store, not timed).
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

CHUNK = 20_000
"""Rows read (untimed) from the source store per timed ``executemany``."""

LIMIT_CACHE_KIB = 1024 * 1024
"""The limit row's page cache: 1 GiB."""


class Schema:
    """The product store's schema, split so that indexes and triggers can come after a load."""

    def __init__(self, source: Path) -> None:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        kinds = {r[1]: r[2] for r in conn.execute("PRAGMA table_list") if r[0] == "main"}
        self.tables: list[tuple[str, str, list[str]]] = []
        self.later: list[str] = []
        for type_, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ):
            if name.startswith("sqlite_") or kinds.get(name) == "shadow":
                continue
            if type_ == "table":
                cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
                self.tables.append((name, sql, cols))
            else:  # index, trigger, view
                self.later.append(sql)
        self.application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        conn.close()
        self.source = source

    def chunks(self, name: str, cols: list[str]) -> Iterator[list[tuple[Any, ...]]]:
        conn = sqlite3.connect(f"file:{self.source}?mode=ro", uri=True)
        try:
            order = "ORDER BY rowid" if _has_rowid(conn, name) else ""
            cur = conn.execute(f'SELECT {", ".join(cols)} FROM "{name}" {order}')
            while rows := cur.fetchmany(CHUNK):
                yield rows
        finally:
            conn.close()

    def rows(self) -> int:
        conn = sqlite3.connect(f"file:{self.source}?mode=ro", uri=True)
        n = sum(
            conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t, _s, _c in self.tables
        )
        conn.close()
        return int(n)


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
    except sqlite3.OperationalError:
        return False
    return True


PLANS = ("fair", "aside", "limit")
"""How :func:`raw_insert` loads the rows; see there."""


def raw_insert(schema: Schema, db: Path, *, plan: str = "fair") -> float:
    """Seconds to insert every row of the product's store into a fresh file with its schema,
    in one transaction, WAL, ``synchronous = NORMAL`` (as the store runs).

    ``plan="fair"`` (the baseline of the import targets): indexes and triggers exist during the
    load, and the page cache is the one the product's bulk import sets (``BULK_CACHE_KIB``, 16
    MiB; until 2026-12-02 the baseline kept SQLite's 2 MiB default, slower than the product's
    own). ``plan="aside"`` (the floor's insert): the same cache, with what the product's bulk
    transaction sets aside on an empty log (``SET_ASIDE_INDEXES``, ``SET_ASIDE_TRIGGERS``)
    created after the load, inside the timed transaction: since 2026-12-02 the product loads
    that way, so the fair insert is no longer a lower bound of its SQLite work.
    ``plan="limit"`` (what SQLite allows at best): a 1 GiB page cache, every index and trigger
    created after the load, inside the timed transaction."""
    if plan not in PLANS:
        raise ValueError(f"plan {plan!r}: expected one of {PLANS}")
    from tracker.store.sqlite import BULK_CACHE_KIB, SET_ASIDE_INDEXES, SET_ASIDE_TRIGGERS

    set_aside = set(SET_ASIDE_INDEXES) | set(SET_ASIDE_TRIGGERS)

    def after_the_load(sql: str) -> bool:
        if plan == "limit":
            return True
        name = sql.split()[2].strip('"') if plan == "aside" else ""
        return name in set_aside

    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA application_id = {schema.application_id}")
    conn.execute(f"PRAGMA cache_size = -{LIMIT_CACHE_KIB if plan == 'limit' else BULK_CACHE_KIB}")
    for _name, sql, _cols in schema.tables:
        conn.execute(sql)
    later = [sql for sql in schema.later if after_the_load(sql)]
    for sql in schema.later:
        if sql not in later:
            conn.execute(sql)
    timed = 0.0
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    timed += time.perf_counter() - started
    for name, _sql, cols in schema.tables:
        insert = f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({",".join("?" * len(cols))})'
        for chunk in schema.chunks(name, cols):
            started = time.perf_counter()
            conn.executemany(insert, chunk)
            timed += time.perf_counter() - started
    started = time.perf_counter()
    for sql in later:
        conn.execute(sql)
    conn.execute("COMMIT")
    timed += time.perf_counter() - started
    conn.close()
    return timed


def raw_parse_gdelt(path: Path) -> float:
    """Seconds to read a GDELT export and split every row into its 61 fields: the least an
    importer must do before it has values (the insert is timed separately)."""
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        for line in f:
            line.rstrip("\n").split("\t")
    return time.perf_counter() - started


def raw_fold(db: Path, model: Any, *, compare: bool = True) -> tuple[float, int, int]:
    """Seconds for the least a replay must do, written inline: stream every event of every dyad
    in (dyad, day, seq) order; per day, decay the four sums by 2^(-days/H) and add that day's
    contributions with ``math.fsum`` (weights times confidence, both directions, and the
    confidences); count events by CAMEO quad class; label with the model's hysteresis; and
    compare the resulting row with the stored checkpoint row, read in the same order (and read
    the structure rows). Returns (seconds, rows built, rows equal to the stored ones).

    Structural effects, the structural stock in the index (scoring model 2: the baseline passes
    a stock of 0) and record-keeping (retractions, corrections) are not applied: the synthetic
    data has none of the latter and 0.2 % structural events, so a few labels differ.

    ``compare=False``: the fold alone, without reading the stored rows (an import's share of
    the floor: it writes the checkpoints rather than reading them; rows equal is then 0)."""
    from events.vocabulary import cameo_codes

    goldstein = {c: v.goldstein for c, v in cameo_codes().items()}
    overrides = dict(model.weights)
    half_life = float(model.half_life_days)
    index, next_label = model.index, model.next_label
    quad = {f"{r:02d}": 0 if r <= 5 else 1 if r <= 8 else 2 if r <= 13 else 3 for r in range(1, 21)}
    fsum, fromiso = math.fsum, date.fromisoformat
    from projections.model import NEUTRAL

    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    from tracker.store.derived import CHECKPOINT_COLUMNS

    stored = conn.execute(
        f"SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY party_a, party_b, day"
        + ("" if compare else " LIMIT 0")
    )
    conn2 = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    if compare:
        conn2.execute("SELECT party_a, party_b, day, status FROM structure").fetchall()
    built = equal = 0
    dyad: tuple[str, str] | None = None
    day: str | None = None
    s_ab = s_ba = d_ab = d_ba = 0.0
    label, t_prev, n = NEUTRAL, 0, 0
    counts = [0, 0, 0, 0]
    w_ab: list[float] = []
    w_ba: list[float] = []
    c_ab: list[float] = []
    c_ba: list[float] = []

    def flush() -> None:
        nonlocal s_ab, s_ba, d_ab, d_ba, label, t_prev, built, equal
        assert day is not None
        t = fromiso(day).toordinal()
        if t_prev:
            k = 2.0 ** (-(t - t_prev) / half_life)
            s_ab, s_ba, d_ab, d_ba = s_ab * k, s_ba * k, d_ab * k, d_ba * k
        s_ab += fsum(w_ab)
        s_ba += fsum(w_ba)
        d_ab += fsum(c_ab)
        d_ba += fsum(c_ba)
        label = next_label(label, index(0.0, s_ab + s_ba, d_ab + d_ba))  # no stock (docstring)
        row = (day, s_ab, s_ba, d_ab, d_ba, label, *counts, n)
        built += 1
        if compare:
            equal += stored.fetchone() == row
        t_prev = t
        w_ab.clear()
        w_ba.clear()
        c_ab.clear()
        c_ba.clear()

    for a, b, actor, on, type_, code, weight, conf in conn2.execute(
        "SELECT party_a, party_b, actor, occurred_on, type, code, weight, confidence "
        "FROM events ORDER BY party_a, party_b, occurred_on, seq"
    ):
        if (a, b) != dyad:
            if dyad is not None:
                flush()
            dyad, day = (a, b), on
            s_ab = s_ba = d_ab = d_ba = 0.0
            label, t_prev, n, counts = NEUTRAL, 0, 0, [0, 0, 0, 0]
        elif on != day:
            flush()
            day = on
        w = weight if weight is not None else overrides.get(type_, goldstein.get(code, 0.0))
        if actor == a:
            w_ab.append(w * conf)
            c_ab.append(conf)
        else:
            w_ba.append(w * conf)
            c_ba.append(conf)
        if code:
            counts[quad[code[:2]]] += 1
        n += 1
    if dyad is not None:
        flush()
    conn.close()
    conn2.close()
    return time.perf_counter() - started, built, equal


VERIFY_COLUMNS = (
    "seq, event_id, type, code, actor, target, party_a, party_b, occurred_on, confidence, "
    "weight, refers_to, recorded_at, body, hash"
)


def raw_hash(db: Path) -> tuple[float, bool]:
    """Seconds to read every column verify checks, in seq order, and recompute the SHA-256
    chain over the same bytes verify hashes, comparing each with the stored hash."""
    sha256 = hashlib.sha256
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    prev = b"0" * 64
    ok = True
    for row in conn.execute(f"SELECT {VERIFY_COLUMNS} FROM events ORDER BY seq"):
        record = f'{{"event":{row[13]},"recorded_at":"{row[12]}","seq":{row[0]}}}'.encode()
        digest = sha256(prev + record).hexdigest()
        ok = ok and digest == row[14]
        prev = digest.encode("ascii")
    conn.close()
    return time.perf_counter() - started, ok


def verify_floor(db: Path, codes: dict[str, str], *, physical: bool = True) -> tuple[float, bool]:
    """Seconds for the checks ``verify`` cannot skip, written inline with the fastest plain
    Python (not a baseline: the floor under the product's verify). ``raw_hash`` (every column
    read, the chain) plus: SQLite's ``PRAGMA quick_check`` (``physical``); each body parsed
    with orjson and re-encoded to itself byte for byte (with the guard against the floats
    orjson writes otherwise); the 11 indexed columns compared with what the body implies
    (``codes``: type -> CAMEO code); ``recorded_at`` in order and well formed; the Merkle
    tree's leaf and node hashes, compared a run at a time with the stored tree. (The float
    guard looks at the top level of the body only: the synthetic bodies are flat.)"""
    import re

    from orjson import OPT_SORT_KEYS, dumps, loads

    stamp = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z").fullmatch
    sha256 = hashlib.sha256
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ok = not physical or conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    runs = conn.execute("SELECT id, hash FROM merkle_hashes ORDER BY id")
    prev, prev_stamp = b"0" * 64, ""
    stack: list[bytes] = []
    out, stored = bytearray(), bytearray()
    rows = conn.execute(f"SELECT {VERIFY_COLUMNS} FROM events ORDER BY seq")
    for size, row in enumerate(rows):
        body, recorded_at = row[13], row[12]
        record = f'{{"event":{body},"recorded_at":"{recorded_at}","seq":{row[0]}}}'.encode()
        digest = sha256(prev + record).hexdigest()
        prev = digest.encode("ascii")
        obj = loads(body)
        actor, target = obj["actor"], obj["target"]
        ok = (
            ok
            and digest == row[14]
            and dumps(obj, option=OPT_SORT_KEYS).decode() == body
            and (
                ("e-" not in body and "0.0000" not in body)  # (a UUID holds "e-" in 23 %)
                or not any(type(v) is float and -1e-4 < v < 1e-4 and v for v in obj.values())
            )
            and row[1:12]
            == (
                obj["event_id"],
                obj["type"],
                obj.get("cameo_code") or codes[obj["type"]],
                actor,
                target,
                *((actor, target) if actor < target else (target, actor)),
                obj["occurred_on"],
                obj.get("confidence", 1.0),
                obj.get("weight"),
                obj.get("refers_to"),
            )
            and obj["schema_version"] == 1
            and (
                recorded_at == prev_stamp
                or (recorded_at > prev_stamp and stamp(recorded_at) is not None)
            )
        )
        prev_stamp = recorded_at
        h = sha256(b"\x00" + record).digest()
        out += h
        m = size
        while m & 1:
            h = sha256(b"\x01" + stack.pop() + h).digest()
            out += h
            m >>= 1
        stack.append(h)
        if len(out) >= 1 << 17:
            while len(stored) < len(out) and (run := runs.fetchone()) is not None:
                stored += run[1]
            k = min(len(out), len(stored))
            ok = ok and out[:k] == stored[:k]
            del out[:k], stored[:k]
    stored += b"".join(r[1] for r in runs)
    ok = ok and out == stored
    conn.close()
    return time.perf_counter() - started, ok


def raw_compute(db: Path) -> float:
    """Seconds for the least *computing* an import must do per event besides its insert and
    its fold, written inline with the fastest tools at hand: parse the event's JSON
    (``orjson``), write its canonical bytes (``orjson``, sorted keys), hash the chain record
    with SHA-256 and add it to the Merkle tree (its leaf hash and the interior hashes that
    complete, about one per leaf). No validation, no party placement, no deduplication: an
    importer that did only this would still have to do them. The bodies are read from the
    product's store in chunks beforehand (untimed), as the insert baselines read their rows.

    With :func:`raw_insert` (the rows written) and :func:`raw_fold` (the checkpoints, which an
    import must fold and, within a bounded memory, read back per dyad) it makes the *floor*
    that RESULTS.md sets against the import targets."""
    import orjson

    loads, dumps, sorted_keys = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS
    sha256 = hashlib.sha256
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    cur = conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq")
    timed, prev, count = 0.0, b"0" * 64, 0
    stack: list[bytes] = []
    while chunk := cur.fetchmany(CHUNK):
        started = time.perf_counter()
        for seq, stamp, body in chunk:
            canonical = dumps(loads(body), option=sorted_keys)
            record = b'{"event":%s,"recorded_at":"%s","seq":%d}' % (
                canonical,
                stamp.encode(),
                seq,
            )
            prev = sha256(prev + record).hexdigest().encode("ascii")
            node = sha256(b"\x00" + record).digest()
            count += 1
            merges = (count & -count).bit_length() - 1  # complete subtrees closed by this leaf
            for _ in range(merges):
                node = sha256(b"\x01" + stack.pop() + node).digest()
            stack.append(node)
        timed += time.perf_counter() - started
    conn.close()
    return timed
