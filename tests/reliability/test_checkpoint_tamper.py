"""Given a checkpoint taken before the damage, `verify` catches each tampering that a hash
chain alone lets through (issue 14), and names where the log diverges.

Every forger here works behind the tracker's back with raw sqlite3, drops the append-only
triggers and puts them back exactly, and (where it says so) rewrites the Merkle tree
consistently too (``rebuild_tree``), so that the file is consistent in itself.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import rebuild_tree

from events.canonical import dumps
from tracker.api import Tracker
from tracker.signed_note import generate_key
from tracker.store import chain_hash
from tracker.transparency import checkpoint_file
from tracker.verify import VerifyReport, verify

Tamper = Callable[..., None]
KEY = generate_key("example.org/relations")
PAGE = 4096


def _checkpoint(path: Path) -> list[tuple[str, str]]:
    return [("before.checkpoint", checkpoint_file(path, signer=KEY))]


def _verify(path: Path, note: list[tuple[str, str]]) -> VerifyReport:
    return verify(path, checkpoints=note, keys=[KEY.verifier()])


def _kinds(report: VerifyReport) -> dict[str, str]:
    """kind -> its faults' messages, joined."""
    out: dict[str, str] = {}
    for f in report.faults:
        out[f.kind] = out[f.kind] + " | " + f.message if f.kind in out else f.message
    return out


def _head(path: Path) -> int:
    with Tracker(path) as t:
        return t.head().seq


def _rechain(path: Path, tamper: Tamper) -> None:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq").fetchall()
    conn.close()
    prev = "0" * 64
    for seq, stamp, body in rows:
        prev = chain_hash(prev, body, seq, stamp)
        tamper(path, "UPDATE events SET hash = ? WHERE seq = ?", (prev, seq))


def test_an_intact_store_extends_its_checkpoint(rich_store: Path) -> None:
    note = _checkpoint(rich_store)
    with Tracker(rich_store) as t:
        t.append({"event_id": "later", "type": "praise", "actor": "FRA", "target": "DEU",
                  "occurred_on": "2024-06-01"})  # fmt: skip
    report = _verify(rich_store, note)
    assert report.ok, report.faults
    assert any("the log extends it; consistency proof" in n for n in report.notes)


def test_a_truncated_tail_with_the_triggers_dropped_is_caught(
    rich_store: Path, tamper: Tamper
) -> None:
    note = _checkpoint(rich_store)
    n = _head(rich_store)
    tamper(rich_store, "DELETE FROM events WHERE seq > ?", (n - 3,))
    rebuild_tree(rich_store)
    assert verify(rich_store).ok  # the chain and the (rebuilt) tree alone cannot tell
    report = _verify(rich_store, note)
    assert set(_kinds(report)) == {"checkpoint"}
    assert (
        f"the log has {n - 3} events: truncated, it diverges at tree size {n - 2}"
        in _kinds(report)["checkpoint"]
    )


@pytest.mark.parametrize("tree_too", [True, False], ids=["tree rewritten", "tree left"])
def test_a_rechained_rewrite_is_caught_at_the_tree_size_where_it_diverges(
    rich_store: Path, tamper: Tamper, tree_too: bool
) -> None:
    note = _checkpoint(rich_store)
    conn = sqlite3.connect(rich_store)
    (body,) = conn.execute("SELECT body FROM events WHERE seq = 5").fetchone()
    conn.close()
    obj = json.loads(body)
    obj["summary"] = "a different story"  # not an indexed column: only the hash shows it
    tamper(rich_store, "UPDATE events SET body = ? WHERE seq = 5", (dumps(obj),))
    _rechain(rich_store, tamper)
    if tree_too:
        rebuild_tree(rich_store)
    report = _verify(rich_store, note)
    message = _kinds(report)["checkpoint"]
    assert "rewritten or forked" in message
    if tree_too:  # only the checkpoint's root is left to compare with
        assert set(_kinds(report)) == {"checkpoint"}
        assert f"diverges at or before tree size {_head(rich_store)}" in message
    else:  # the stored tree still holds the original leaves: the exact position
        assert _kinds(report)["tree"] and "diverges at tree size 5" in message


def test_a_forged_tail_row_with_a_valid_hash_is_caught(rich_store: Path, tamper: Tamper) -> None:
    note = _checkpoint(rich_store)
    n = _head(rich_store)
    conn = sqlite3.connect(rich_store)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(events)")]
    row = dict(zip(cols, conn.execute("SELECT * FROM events WHERE seq = ?", (n,)).fetchone(),
                   strict=True))  # fmt: skip
    (prev,) = conn.execute("SELECT hash FROM events WHERE seq = ?", (n - 1,)).fetchone()
    conn.close()
    row["body"] = row["body"].replace(row["occurred_on"], "2001-01-01")
    row["occurred_on"] = "2001-01-01"
    row["hash"] = chain_hash(prev, row["body"], n, row["recorded_at"])
    tamper(rich_store, "DELETE FROM events WHERE seq = ?", (n,))
    placeholders = ",".join("?" * len(cols))
    tamper(rich_store, f"INSERT INTO events VALUES ({placeholders})", tuple(row.values()))
    rebuild_tree(rich_store)
    assert verify(rich_store).ok
    report = _verify(rich_store, note)
    assert f"diverges at or before tree size {n}" in _kinds(report)["checkpoint"]


def test_a_forged_row_appended_without_the_tree_is_caught(rich_store: Path, tamper: Tamper) -> None:
    note = _checkpoint(rich_store)
    n = _head(rich_store)
    conn = sqlite3.connect(rich_store)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(events)")]
    row = dict(zip(cols, conn.execute("SELECT * FROM events WHERE seq = ?", (n,)).fetchone(),
                   strict=True))  # fmt: skip
    conn.close()
    row["body"] = row["body"].replace(f'"event_id":"{row["event_id"]}"', '"event_id":"forged"')
    row["seq"], row["event_id"] = n + 1, "forged"
    row["hash"] = chain_hash(row["hash"], row["body"], n + 1, row["recorded_at"])
    placeholders = ",".join("?" * len(cols))
    tamper(rich_store, f"INSERT INTO events VALUES ({placeholders})", tuple(row.values()))
    report = _verify(rich_store, note)
    tree_faults = [f for f in report.faults if f.kind == "tree"]
    assert tree_faults and tree_faults[0].seq == n + 1


def test_events_lost_with_the_wal_file_are_caught(tmp_path: Path, rich_store: Path) -> None:
    """Committed events still in the -wal file when it is lost: the main file alone is a
    shorter log, which the checkpoint taken after the commit shows."""
    reader = sqlite3.connect(rich_store)  # holds the WAL open: no checkpoint on close
    reader.execute("SELECT count(*) FROM events").fetchone()
    with Tracker(rich_store) as t:
        for i in range(3):
            t.append({"event_id": f"w{i}", "type": "praise", "actor": "FRA", "target": "DEU",
                      "occurred_on": "2024-06-01"})  # fmt: skip
    note = _checkpoint(rich_store)
    n = _head(rich_store)
    lost = tmp_path / "lost-wal.db"
    shutil.copyfile(rich_store, lost)  # the main file without its -wal
    reader.close()
    report = _verify(lost, note)
    assert "truncated" in _kinds(report)["checkpoint"]
    assert f"tree size {n}" in _kinds(report)["checkpoint"]


def _overwrite_page(path: Path, name: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    assert size == PAGE
    with open(path, "r+b") as f:
        f.seek((root - 1) * PAGE)
        f.write(random.Random(root).randbytes(PAGE))


@pytest.mark.parametrize("name", ["events_dyad_date", "checkpoints"])
def test_a_4k_page_of_random_bytes_is_caught_by_quick_check(rich_store: Path, name: str) -> None:
    note = _checkpoint(rich_store)
    _overwrite_page(rich_store, name)
    report = _verify(rich_store, note)
    assert "quick_check reports damage" in _kinds(report)["physical"]


@pytest.mark.parametrize(
    ("sql", "kind", "says"),
    [
        ("DELETE FROM projection_meta WHERE key = 'model'", "projection-meta",
         "'model' is missing"),
        ("UPDATE projection_meta SET value = 'x' WHERE key = 'fingerprint'", "projection-meta",
         "is not the stored model's"),
        ("UPDATE meta SET value = '2020-01-01T00:00:00.000000Z' WHERE key = 'created_at'", "meta",
         "recorded by checkpoint before.checkpoint: edited"),
        ("UPDATE meta SET value = 'yesterday' WHERE key = 'created_at'", "meta",
         "is not a UTC timestamp"),
        ("INSERT INTO meta VALUES ('owner', 'mallory')", "meta", "'owner' is not one"),
        ("CREATE TABLE notes (x)", "schema", "unexpected table notes"),
        ("CREATE VIEW recent AS SELECT * FROM events", "schema", "unexpected view recent"),
        ("CREATE INDEX sneaky ON checkpoints (label)", "schema", "unexpected index sneaky"),
        ("CREATE TRIGGER t AFTER INSERT ON structure BEGIN SELECT 1; END", "schema",
         "unexpected trigger t"),
    ],
    ids=[
        "projection_meta row deleted",
        "fingerprint edited",
        "created_at edited",
        "created_at not a time",
        "meta row added",
        "table added",
        "view added",
        "index added",
        "trigger added",
    ],
)  # fmt: skip
def test_metadata_edits_and_added_objects_are_caught(
    rich_store: Path, sql: str, kind: str, says: str
) -> None:
    note = _checkpoint(rich_store)
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute(sql)
    conn.close()
    report = _verify(rich_store, note)
    assert not report.ok
    assert says in _kinds(report)[kind]


def test_a_signature_by_another_key_fails(rich_store: Path) -> None:
    note = _checkpoint(rich_store)
    report = verify(rich_store, checkpoints=note, keys=[generate_key("example.org/x").verifier()])
    assert "not signed by the key given" in _kinds(report)["signature"]


def test_integrity_check_runs_with_deep(rich_store: Path) -> None:
    _overwrite_page(rich_store, "events_date")
    report = verify(rich_store, deep=True)
    assert "PRAGMA integrity_check reports damage" in _kinds(report)["physical"]


def test_a_store_on_read_only_media_can_be_verified(rich_store: Path, tmp_path: Path) -> None:
    """A read-only bind mount, in a private mount namespace (needs root in a container that
    allows it; reported as a skip, with the reason, where it does not)."""
    media = tmp_path / "media"
    media.mkdir()
    shutil.copyfile(rich_store, media / "tracker.db")
    note = tmp_path / "before.checkpoint"
    note.write_text(_checkpoint(media / "tracker.db")[0][1], encoding="utf-8")
    before = sorted(p.name for p in media.iterdir())
    tracker = Path(sys.executable).with_name("tracker")
    script = (
        f"mount --bind {media} {media} && mount -o remount,bind,ro {media} && "
        f"! touch {media}/probe 2>/dev/null && "
        f"{tracker} verify --db {media}/tracker.db --checkpoint {note}"
    )
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to mount a read-only file system")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"mount namespaces are not allowed here: {probe.stderr.decode()[:200]}")
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact:" in result.stdout and "the log extends it" in result.stdout
    assert sorted(p.name for p in media.iterdir()) == before  # nothing written there
