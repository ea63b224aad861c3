"""Shared fixtures: the test clock (tests/support.py) and a store in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings
from support import Clock

from tracker.api import Tracker
from tracker.store import SQLiteStore, Store

# No property test is timed: hypothesis's default deadline (200 ms per example) is a timing
# assert, which fails on a loaded machine (a CI runner, two suites at once) and says nothing of
# the behaviour; speed is measured by benchmarks/. print_blob: how to reproduce a failure.
settings.register_profile("tracker", deadline=None, print_blob=True)
settings.load_profile("tracker")


@pytest.fixture
def clock() -> Clock:
    return Clock()


BACKENDS = ["sqlite", "postgresql"]
"""Store backends the contract tests (tests/unit/test_store_contract.py) run against; a new
backend adds its name here and a branch in ``store_factory``."""

StoreFactory = Callable[[], Store]


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens the same fresh, empty store of the backend under test (each call: a new
    connection to it), and closes every store it opened at the end."""
    opened: list[Store] = []
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""

    def open_it() -> Store:
        if request.param == "sqlite":
            store: Store = SQLiteStore(tmp_path / "contract.db")
        elif request.param == "postgresql":
            from tracker.store.postgres import PostgresStore

            store = PostgresStore(url)
        else:  # pragma: no cover - each backend adds its branch
            raise AssertionError(f"unknown backend {request.param}")
        opened.append(store)
        return store

    yield open_it
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    return store_factory()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def tracker(db_path: Path, clock: Callable[[], datetime]) -> Iterator[Tracker]:
    with Tracker(db_path, clock=clock) as t:
        yield t


# --- helpers for the foundation suite (issue 3) ---------------------------------------------


def _file_state(path: Path) -> dict[str, str]:
    """SHA-256 of a store file and of whichever SQLite companions (-wal, -shm, -journal) exist,
    so that a test can say "byte for byte as it was"."""
    import hashlib

    state: dict[str, str] = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            state[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return state


@pytest.fixture
def file_state() -> Callable[[Path], dict[str, str]]:
    return _file_state


def _recompute_chain(path: Path) -> list[int]:
    """Recompute every chain hash of a store independently of the product's code; return the
    seqs whose stored hash differs (empty when the chain is intact).

    hash(n) = sha256(hash(n-1) as hex text || canonical JSON of
    {"event": BODY, "recorded_at": .., "seq": n}); hash(0) is 64 zeros.
    """
    import hashlib
    import json
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT seq, body, recorded_at, hash FROM events ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    bad: list[int] = []
    previous = "0" * 64
    for seq, body, recorded_at, stored in rows:
        record = json.dumps(
            {"event": json.loads(body), "recorded_at": recorded_at, "seq": seq},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        expected = hashlib.sha256(previous.encode("ascii") + record.encode("utf-8")).hexdigest()
        if stored != expected:
            bad.append(seq)
        previous = stored
    return bad


@pytest.fixture
def recompute_chain() -> Callable[[Path], list[int]]:
    return _recompute_chain


def _sample_event(n: int, **changes: object) -> dict[str, object]:
    """A valid event mapping with a predictable id ``e<n>``; ``changes`` override fields."""
    data: dict[str, object] = {
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": f"2024-01-{1 + n % 28:02d}",
        "event_id": f"e{n}",
        "source": "KCNA",
    }
    data.update(changes)
    return data


@pytest.fixture
def sample_event() -> Callable[..., dict[str, object]]:
    return _sample_event


# --- PostgreSQL (issue 15): the run's own database, skipped when no server is reachable -----

from postgres_support import pg_url, postgres  # noqa: E402, F401
