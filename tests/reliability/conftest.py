"""Shared pieces of the reliability suite: a store that exercises every column of the log,
raw (trigger-less) tampering, and snapshots of a store file."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support import EPOCH, Clock

from tracker.api import Tracker

RICH_EVENTS: list[dict[str, Any]] = [
    {
        "event_id": "e1",
        "type": "establish_relations",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2000-01-05",
        "source": "TASS",
    },
    {
        "event_id": "e2",
        "type": "praise",
        "actor": "North Korea",
        "target": "Russia",
        "occurred_on": "2024-03-18",
        "summary": "congratulates on the re-election",
    },
    {
        "event_id": "e3",
        "type": "sign_treaty",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "2024-06-19",
        "name": "Comprehensive Strategic Partnership",
    },
    {
        "event_id": "e4",
        "type": "criticize",
        "actor": "USA",
        "target": "RUS",
        "occurred_on": "2022-02-01",
        "weight": -6.5,
        "confidence": 0.7,
    },
    {
        "event_id": "e5",
        "type": "impose_sanctions",
        "actor": "USA",
        "target": "RUS",
        "occurred_on": "2022-02-24",
        "regime": "EO 14024",
    },
    {
        "event_id": "e6",
        "type": "cameo",
        "actor": "CHN",
        "target": "RUS",
        "occurred_on": "2023-03-20",
        "cameo_code": "0311",
    },
    {
        "event_id": "e7",
        "type": "arms_transfer",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2023-09-13",
        "items": ["artillery shells", "missiles"],
        "value_usd": 1e9,
        "confidence": 0.8,
    },
    {
        "event_id": "e8",
        "type": "military_attack",
        "actor": "RUS",
        "target": "UKR",
        "occurred_on": "2022-02-24",
    },
    {
        "event_id": "e9",
        "type": "expel_diplomats",
        "actor": "UKR",
        "target": "RUS",
        "occurred_on": "2021-01-01",
        "count": 3,
    },
    {
        "event_id": "e10",
        "type": "praise",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "1999-07-01",
        "summary": "backdated: a late report",
    },
    {
        "event_id": "e11",
        "type": "support_at_international_body",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "2024-03-28",
        "body": "UN Security Council",
        "veto": True,
    },
]


def build_rich_store(path: Path) -> None:
    """A store whose rows cover every column shape: explicit weights, cameo codes, record
    events with refers_to, a retraction, corrections (one moving an event in time), a
    backdated event, several dyads and structural events."""
    with Tracker(path, clock=Clock(start=EPOCH + timedelta(seconds=1))) as t:
        t.append_many(RICH_EVENTS[:6])
        for event in RICH_EVENTS[6:]:
            t.append(event)
        t.retract("e2", reason="duplicate report", new_id="r-e2")
        t.correct("e4", {"confidence": 0.9}, reason="second source", new_id="c-e4")
        t.correct(
            "e7", {"occurred_on": "2023-10-01", "items": ["shells"]}, reason="date", new_id="c-e7"
        )
        t.append(
            {
                "event_id": "e12",
                "type": "visit",
                "actor": "CHN",
                "target": "RUS",
                "occurred_on": "2024-05-16",
                "weight": 4.0,
            }
        )


@pytest.fixture(scope="session")
def rich_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rich") / "template.db"
    build_rich_store(path)
    return path


@pytest.fixture
def rich_store(rich_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the rich store."""
    path = tmp_path / "tracker.db"
    shutil.copyfile(rich_template, path)
    return path


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def logical_dump(path: Path) -> list[tuple[Any, ...]]:
    """Every row of every table plus the schema: what the file says, whatever its bytes."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out: list[tuple[Any, ...]] = list(
            conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        )
        for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall():
            out += [(table, *r) for r in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1')]
        out.append(("application_id", conn.execute("PRAGMA application_id").fetchone()[0]))
        return out
    finally:
        conn.close()


@pytest.fixture
def tamper() -> Callable[..., None]:
    return raw_tamper


def raw_tamper(path: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Run ``sql`` on the store through a raw connection with the append-only triggers dropped,
    then put the triggers back exactly as they were."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _sql in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql, params)
        for _name, trigger_sql in triggers:
            conn.execute(trigger_sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.fixture
def run_cli() -> Iterator[Callable[..., Any]]:
    from click.testing import CliRunner

    from tracker.cli import main

    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(main, list(args), input=input, catch_exceptions=True)

    yield run


@pytest.fixture
def hash_file() -> Callable[[Path], str]:
    return file_hash


@pytest.fixture
def dump_store() -> Callable[[Path], list[tuple[Any, ...]]]:
    return logical_dump
