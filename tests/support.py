"""Helpers shared by test modules (importable because tests/ is on sys.path via its conftest)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Where test transaction time starts."""


class Clock:
    """The tests' one transaction clock: each reading is one second after the one before, the
    first is ``start``, so ``recorded_at`` (and every hash over it) is predictable."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self.next = start

    def __call__(self) -> datetime:
        moment = self.next
        self.next += timedelta(seconds=1)
        return moment


def naive_stock(
    relations: str,
    conflict: str,
    agreements: list[tuple[str, bool]],
    sanctions: list[tuple[str, str]],
    model: Any,
) -> float:
    """B written out from the README's formula (not from projections.stock): one term for the
    relations and one for armed conflict; per agreement kind and per sanctions direction the
    n-th largest term counts returns^(n-1); a signed agreement not in force counts
    signed_fraction of its kind's weight. ``agreements``: (kind, in force) pairs."""
    total = 0.0
    if relations in ("established", "downgraded", "severed"):
        total += model.structure.get("relations_" + relations, 0.0)
    if conflict in ("active", "ceasefire"):
        total += model.structure.get("conflict_" + conflict, 0.0)
    kinds: dict[str, list[float]] = {}
    for kind, in_force in agreements:
        k = kind.lower()
        w = model.agreements.get(k, model.agreements.get("other", 0.0))
        kinds.setdefault(k, []).append(w * (1.0 if in_force else model.signed_fraction))
    for values in kinds.values():
        for n, v in enumerate(sorted(values, key=abs, reverse=True)):
            total += v * model.returns**n
    directions: dict[tuple[str, str], int] = {}
    for key in sanctions:
        directions[key] = directions.get(key, 0) + 1
    for count in directions.values():
        total += sum(model.structure.get("sanctions", 0.0) * model.returns**n for n in range(count))
    return total


def rebuild_tree(path: Path) -> None:
    """What a forger who knows the Merkle tree does after rewriting events behind the
    tracker's back: recompute ``merkle_hashes`` from the rows as they now are (its append-only
    triggers dropped and put back exactly), so that the file is consistent in itself and only
    a checkpoint or an export taken before can tell."""
    from tracker.merkle import MemoryTree
    from tracker.store import record_bytes

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        rows = conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq").fetchall()
        tree = MemoryTree(record_bytes(body, seq, stamp) for seq, stamp, body in rows)
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'merkle_hashes'"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _sql in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DELETE FROM merkle_hashes")
        conn.executemany(
            "INSERT INTO merkle_hashes (id, hash) VALUES (?, ?)", enumerate(tree.hashes)
        )
        for _name, sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def run_installed(*args: str, cwd: Any, timeout: int = 120) -> Any:
    """The installed `tracker` console script as a real subprocess (TRACKER_DB unset)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "tracker"
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
