"""True messages for the machine's failures: a full disk, a busy store, a read-only store."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tracker.api import Tracker
from tracker.errors import BusyStoreError, DiskFullError, ReadOnlyStoreError
from tracker.store import sqlite as sqlite_store

ROW = {"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-03-18"}


def test_a_full_disk_says_so_and_nothing_is_written(rich_store: Path) -> None:
    with Tracker(rich_store) as t:
        before = t.head()
        pages = t.store.conn.execute("PRAGMA page_count").fetchone()[0]
        t.store.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
        many = [{**ROW, "event_id": f"x{i}", "summary": "s" * 1500} for i in range(200)]
        with pytest.raises(DiskFullError, match="disk full while writing the store; nothing"):
            t.append_many(many)
        assert t.head() == before


def test_a_busy_store_says_it_is_waiting_then_gives_up(
    rich_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices: list[str] = []
    monkeypatch.setattr(sqlite_store, "WAIT_NOTICE_S", 0.05)
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setattr(sqlite_store, "wait_notice", notices.append)
    holder = sqlite3.connect(rich_store, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Tracker(rich_store) as t, pytest.raises(BusyStoreError, match="nothing was written"):
            t.append(ROW)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert notices and notices[0].startswith("waiting for another writer")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_store_is_read_and_refuses_writes_saying_why(rich_store: Path) -> None:
    rich_store.chmod(0o444)
    try:
        with Tracker(rich_store, create=False) as t:
            assert t.head().seq > 0
            with pytest.raises(ReadOnlyStoreError, match=r"cannot be written .permission denied"):
                t.append(ROW)
    finally:
        rich_store.chmod(0o644)
