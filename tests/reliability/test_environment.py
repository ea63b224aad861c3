"""True messages for the machine's failures: a full disk, a busy store, a read-only store (its
file, its directory, or the file system it is on: read-only for root too)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def _read_only(how: str, store: Path) -> Iterator[Path]:
    """Make the store's file, its directory, or the file system it is on read-only for this
    user; yields the path to open it by. Root writes through permission bits, so as root the
    file or directory is made immutable (``chattr +i``) and the media is a read-only bind
    mount; where that is not possible the case is skipped, saying why."""
    if how == "media":
        if os.geteuid() != 0:
            pytest.skip("a read-only mount needs root (the file and directory cases run)")
        mount = store.parent.parent / "media"
        mount.mkdir()
        if _run("mount", "--bind", str(store.parent), str(mount)):
            pytest.skip("a read-only mount is not permitted here (the file and directory run)")
        try:
            if _run("mount", "-o", "remount,ro,bind", str(mount)):
                pytest.skip("a read-only remount is not permitted here")
            yield mount / store.name
        finally:
            _run("umount", str(mount))
        return
    target = store if how == "file" else store.parent
    if os.geteuid() != 0:
        mode = target.stat().st_mode
        target.chmod(0o444 if how == "file" else 0o555)
        try:
            yield store
        finally:
            target.chmod(mode)
        return
    failed = _run("chattr", "+i", str(target))
    if failed:
        pytest.skip(f"as root a read-only {how} needs `chattr +i`, which failed here: {failed}")
    try:
        yield store
    finally:
        _run("chattr", "-i", str(target))


def _run(*argv: str) -> str:
    """Run a command; its error text if it failed, else ''."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        return str(exc)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


@pytest.mark.parametrize("how", ["file", "directory", "media"])
def test_a_read_only_store_is_read_and_refuses_writes_saying_why(
    how: str,
    rich_store: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    hash_file: Callable[[Path], str],
) -> None:
    store = tmp_path / "ro" / "tracker.db"
    store.parent.mkdir()
    shutil.copyfile(rich_store, store)
    before = hash_file(store)
    with _read_only(how, store) as seen:
        db = str(seen)
        for argv in (
            ["log", "--limit", "3"],
            ["state", "PRK", "RUS", "--as-of", "2024-07-01"],
            ["verify"],
            ["replay"],
            ["export", str(tmp_path / "log.jsonl")],
        ):
            result = run_cli(*argv, "--db", db)
            assert result.exit_code == 0, (argv, result.output)
        assert "intact" in run_cli("verify", "--db", db).output
        argv = ["append", "praise", "--actor", "PRK", "--target", "RUS", "--on", "2024-03-18"]
        result = run_cli(*argv, "--db", db)
        assert result.exit_code == 1, result.output
        assert "cannot be written" in result.output and "nothing was written" in result.output
        assert "Traceback" not in result.output
        with Tracker(db, create=False) as t, pytest.raises(ReadOnlyStoreError):
            t.append(ROW)
    assert hash_file(store) == before
    assert (tmp_path / "log.jsonl").read_text(encoding="utf-8").count("\n") > 10
