"""The store keeps the Merkle tree beside the chain: the table holds exactly the stored-hash
sequence of the records the chain hashes, whichever append path wrote them, and a schema
version 1 store is upgraded in place with its tree computed from the log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tracker.api import Tracker
from tracker.merkle import MemoryTree, stored_count
from tracker.store import record_bytes, tree
from tracker.store.sqlite import SQLiteStore
from tracker.transparency import prove, tree_head


def _event(i: int) -> dict[str, object]:
    return {
        "event_id": f"t{i}",
        "type": "praise",
        "actor": "FRA",
        "target": "DEU",
        "occurred_on": f"2024-01-{i % 28 + 1:02d}",
    }


def _expected(path: Path) -> MemoryTree:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq").fetchall()
    conn.close()
    return MemoryTree(record_bytes(body, seq, stamp) for seq, stamp, body in rows)


def _stored(path: Path) -> list[bytes]:
    conn = sqlite3.connect(path)
    hashes = [bytes(h) for _i, h in tree.expand(conn.execute(tree.SCAN))]
    conn.close()
    return hashes


@pytest.mark.parametrize("bulk", [False, True], ids=["one by one", "one bulk transaction"])
def test_the_table_is_the_stored_hash_sequence_of_the_records(tmp_path: Path, bulk: bool) -> None:
    path = tmp_path / "t.db"
    with Tracker(path) as t:
        if bulk:
            with t.store.transaction():
                for start in range(0, 600, 300):
                    t.append_many([_event(i) for i in range(start, start + 300)])
        else:
            for i in range(37):
                t.append(_event(i))
    expected = _expected(path)
    assert _stored(path) == expected.hashes
    assert len(expected.hashes) == stored_count(expected.size)
    with SQLiteStore(path, readonly=True) as store:
        assert tree_head(store).root == expected.root()


def test_a_proof_from_the_store_is_the_in_memory_tree_s(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    with Tracker(path) as t:
        for i in range(21):
            t.append(_event(i))
    expected = _expected(path)
    with SQLiteStore(path, readonly=True) as store:
        doc = prove(store, "t6")
    assert doc["leaf_index"] == 6 and doc["tree_size"] == 21
    assert doc["audit_path"] == [h.hex() for h in expected.inclusion_proof(6)]


def _downgrade(path: Path) -> None:
    """The file as schema version 1 wrote it: no tree table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE merkle_hashes")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()


def test_a_version_1_store_is_upgraded_when_opened_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with Tracker(path) as t:
        for i in range(13):
            t.append(_event(i))
    _downgrade(path)
    with SQLiteStore(path, readonly=True) as store:  # read-only: computed, nothing written
        assert tree_head(store).root == _expected(path).root()
    assert "merkle_hashes" not in {
        r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")
    }
    with Tracker(path) as t:
        t.append(_event(99))
    conn = sqlite3.connect(path)
    (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    conn.close()
    assert version == "2"
    assert _stored(path) == _expected(path).hashes
