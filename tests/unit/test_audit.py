"""tracker.audit: verify (chain, bodies, columns, schema, --against), export, replay."""

from __future__ import annotations

import io
import json
import math
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support import rebuild_tree

from events.canonical import dumps
from events.errors import TrackerError
from tracker.api import Tracker
from tracker.audit import AuditError, count_events
from tracker.errors import NotAStoreError, StoreNotFoundError
from tracker.export import export, export_file
from tracker.outputs import OutputExistsError
from tracker.replay import replay
from tracker.store import GENESIS_HASH, chain_hash, read_snapshot
from tracker.transparency import tree_head
from tracker.verify import verify

EVENTS: list[dict[str, Any]] = [
    {
        "event_id": "a1",
        "type": "establish_relations",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2001-02-03",
    },
    {
        "event_id": "a2",
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-18",
        "summary": "congratulations",
    },
    {
        "event_id": "a3",
        "type": "criticize",
        "actor": "USA",
        "target": "RUS",
        "occurred_on": "2023-01-01",
        "weight": -4.5,
        "confidence": 0.6,
    },
    {
        "event_id": "a4",
        "type": "arms_transfer",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2023-09-13",
        "items": ["shells"],
    },
    {
        "event_id": "a5",
        "type": "visit",
        "actor": "CHN",
        "target": "RUS",
        "occurred_on": "2020-05-05",
    },
]


@pytest.fixture
def filled(tracker: Tracker, db_path: Path) -> Iterator[Path]:
    tracker.append_many(EVENTS[:3])
    tracker.append(EVENTS[3])
    tracker.append(EVENTS[4])
    tracker.retract("a2", reason="duplicate", new_id="r1")
    tracker.correct("a3", {"confidence": 0.9}, reason="second source", new_id="c1")
    tracker.correct("a4", {"occurred_on": "2023-10-01"}, reason="date", new_id="c2")
    tracker.close()
    yield db_path


def raw(path: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Run statements with the append-only triggers dropped, then restore them."""
    conn = sqlite3.connect(path, isolation_level=None)
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    for sql, params in statements:
        conn.execute(sql, params)
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()


def rechain(path: Path, from_seq: int = 1) -> None:
    """Recompute every hash from ``from_seq`` on, and the tree: a forger who rewrites history
    consistently."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq").fetchall()
    conn.close()
    prev, updates = GENESIS_HASH, []
    for seq, recorded_at, body in rows:
        h = chain_hash(prev, body, seq, recorded_at)
        if seq >= from_seq:
            updates.append(("UPDATE events SET hash = ? WHERE seq = ?", (h, seq)))
        prev = h
    raw(path, *updates)
    rebuild_tree(path)  # and the Merkle tree beside the chain


def body_of(path: Path, seq: int) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    (body,) = conn.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()
    conn.close()
    result: dict[str, Any] = json.loads(body)
    return result


# -- verify --------------------------------------------------------------------------------------


def test_an_intact_store_verifies_with_its_head(filled: Path) -> None:
    report = verify(filled, deep=True)
    with Tracker(filled) as t:
        head = t.head()
    assert report.ok and report.faults == ()
    assert (report.events, report.verified, report.head_seq) == (8, 8, 8)
    assert report.head_hash == head.hash
    assert report.to_dict()["first_bad_seq"] is None


def test_an_empty_store_verifies(tracker: Tracker, db_path: Path) -> None:
    assert tracker.head().seq == 0  # creates the store
    tracker.close()
    report = verify(db_path)
    assert report.ok and report.head_seq == 0 and report.head_hash == GENESIS_HASH


def test_progress_is_reported_for_every_row(filled: Path) -> None:
    seen: list[int] = []
    verify(filled, progress=seen.append)
    assert sum(seen) == 8 == count_events(filled)


def test_verify_never_changes_the_file(filled: Path) -> None:
    before = filled.read_bytes()
    verify(filled, deep=True)
    assert filled.read_bytes() == before


def test_missing_and_foreign_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError):
        verify(tmp_path / "none.db")
    text = tmp_path / "notes.txt"
    text.write_text("hello " * 200)
    with pytest.raises(NotAStoreError, match="not a tracker store"):
        verify(text)


def test_a_foreign_sqlite_file_is_reported_not_verified(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    report = verify(other)
    assert not report.ok
    assert any("events table is missing" in f.message for f in report.faults)


def test_a_non_canonical_body_is_found_even_with_a_valid_chain(filled: Path) -> None:
    body = json.dumps(body_of(filled, 3), sort_keys=True)  # spaces after ':' and ','
    raw(filled, ("UPDATE events SET body = ? WHERE seq = 3", (body,)))
    rechain(filled, 3)
    [fault] = verify(filled).faults
    assert (fault.kind, fault.seq) == ("body", 3) and "canonical" in fault.message


def test_transaction_time_going_backwards_is_found(filled: Path) -> None:
    raw(filled, ("UPDATE events SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 5", ()))
    rechain(filled, 5)
    [fault] = verify(filled).faults
    assert (fault.kind, fault.seq) == ("time", 5) and "backwards" in fault.message


def test_deep_verification_validates_bodies_and_references(filled: Path) -> None:
    # a forger rewrites a body (and the matching column) into an invalid event and rechains
    bad = body_of(filled, 2)
    bad["confidence"] = 5.0
    raw(filled, ("UPDATE events SET body = ?, confidence = 5.0 WHERE seq = 2", (dumps(bad),)))
    rechain(filled, 2)
    assert verify(filled).ok  # the cheap checks cannot tell
    [fault] = verify(filled, deep=True).faults
    assert (fault.kind, fault.seq) == ("body", 2) and "confidence" in fault.message


def test_deep_verification_finds_a_dangling_reference(filled: Path) -> None:
    retraction = body_of(filled, 6)
    retraction["refers_to"] = "nobody"
    raw(
        filled,
        ("UPDATE events SET body = ?, refers_to = 'nobody' WHERE seq = 6", (dumps(retraction),)),
    )
    rechain(filled, 6)
    [fault] = verify(filled, deep=True).faults
    assert (fault.kind, fault.seq) == ("reference", 6) and "nobody" in fault.message


# -- export and verify --against -----------------------------------------------------------------


def test_export_writes_the_tree_head_then_the_log_json_records_canonically(
    filled: Path,
) -> None:
    out = io.StringIO()
    result = export(filled, out)
    first, *lines = out.getvalue().splitlines()
    with Tracker(filled) as t:
        stored = list(t.events())
        head = t.head()
    assert [json.loads(line) for line in lines] == [s.to_record() for s in stored]
    assert lines == [dumps(s.to_record()) for s in stored]  # canonical, byte for byte
    assert (result.events, result.head_seq, result.head_hash) == (8, 8, head.hash)
    with read_snapshot(filled) as store:
        tree = tree_head(store)
    assert json.loads(first) == {
        "format": "relations-tracker export",
        "tree_head": {"chain_head": head.hash, "root": tree.root.hex(), "size": 8},
        "version": 1,
    }
    assert first == dumps(json.loads(first)) and result.root == tree.root


def test_export_known_at_stops_at_that_position(filled: Path) -> None:
    out = io.StringIO()
    result = export(filled, out, known_at=4)
    first, *lines = out.getvalue().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3, 4]
    assert json.loads(first)["tree_head"]["size"] == 4
    with Tracker(filled) as t:
        *_, fourth = t.rows(max_seq=4)
    assert result.head_hash == fourth.hash
    moment = datetime.fromisoformat(fourth.recorded_at.replace("Z", "+00:00"))
    out2 = io.StringIO()
    export(filled, out2, known_at=moment)
    assert out2.getvalue() == out.getvalue()


def test_export_refuses_a_broken_log_and_leaves_no_file(filled: Path, tmp_path: Path) -> None:
    raw(filled, ("UPDATE events SET hash = ? WHERE seq = 4", ("f" * 64,)))
    target = tmp_path / "out.jsonl"
    with pytest.raises(AuditError, match="seq 4"):
        export_file(filled, target)
    assert not target.exists()
    assert list(tmp_path.glob(".out.jsonl*")) == []


def test_export_file_replaces_only_with_force(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(OutputExistsError, match="already exists"):
        export_file(filled, target)
    assert target.read_text() == "old\n"
    export_file(filled, target, force=True)
    assert len(target.read_text().splitlines()) == 1 + 8  # the head line, then the records


def test_verify_against_its_own_export_passes(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "log.jsonl"
    export_file(filled, target)
    report = verify(filled, against=target)
    assert report.ok and report.against_lines == 8


def _edit_export(path: Path, line: int, edit: Any) -> None:
    lines = path.read_text().splitlines()
    record = json.loads(lines[line - 1])
    edit(record)
    lines[line - 1] = dumps(record)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda r: r["event"].update(summary="edited"), "event.summary"),
        (lambda r: r.update(recorded_at="2030-01-01T00:00:00.000000Z"), "recorded_at"),
        (lambda r: r.update(hash="0" * 64), "hash"),
        (lambda r: r.update(seq=99), "seq 99"),
    ],
)
def test_verify_against_names_the_first_difference(
    filled: Path, tmp_path: Path, edit: Any, needle: str
) -> None:
    target = tmp_path / "log.jsonl"
    export_file(filled, target)
    _edit_export(target, 3, edit)  # seq 2 (line 1 is the head line)
    _edit_export(target, 6, lambda r: r["event"].update(summary="later"))
    report = verify(filled, against=target)
    [fault] = report.faults
    assert (fault.kind, fault.seq, fault.line) == ("against", 2, 3)
    assert needle in fault.message


def test_verify_against_a_shorter_or_longer_file(filled: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.jsonl"
    export_file(filled, short, known_at=5)
    [fault] = verify(filled, against=short).faults
    assert fault.seq == 6 and "after the end" in fault.message
    report = verify(filled, against=short, prefix=True)
    assert report.ok and "accepted as a prefix" in report.notes[0] and report.against_lines == 5

    long = tmp_path / "long.jsonl"
    export_file(filled, long)
    with long.open("a") as f:
        f.write(long.read_text().splitlines()[1] + "\n")
    [fault] = verify(filled, against=long).faults
    assert fault.line == 10 and "goes on after" in fault.message


def test_verify_against_a_file_that_is_not_an_export(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    target.write_text(json.dumps(EVENTS[0]) + "\n")
    [fault] = verify(filled, against=target).faults
    assert fault.line == 1 and "not an export record" in fault.message


# -- replay --------------------------------------------------------------------------------------


def test_replay_of_a_healthy_store_matches_bit_for_bit(filled: Path) -> None:
    before = filled.read_bytes()
    report = replay(filled)
    with Tracker(filled) as t:
        fingerprint = t.model.fingerprint
    assert report.ok and report.compared
    assert report.model_fingerprint == fingerprint == report.to_dict()["model_fingerprint"]
    assert {d.dyad for d in report.dyads} == {("PRK", "RUS"), ("RUS", "USA"), ("CHN", "RUS")}
    assert all(d.result == "ok" and d.checkpoints == d.stored for d in report.dyads)
    assert filled.read_bytes() == before


def _set_checkpoint(path: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(sql, params)
    conn.close()


def test_one_ulp_in_a_stored_checkpoint_is_a_divergence(filled: Path) -> None:
    conn = sqlite3.connect(filled)
    day, s_ab = conn.execute(
        "SELECT day, s_ab FROM checkpoints WHERE party_a = 'PRK' ORDER BY day LIMIT 1 OFFSET 1"
    ).fetchone()
    conn.close()
    nudged = math.nextafter(s_ab, math.inf)
    _set_checkpoint(
        filled, "UPDATE checkpoints SET s_ab = ? WHERE party_a = 'PRK' AND day = ?", (nudged, day)
    )
    report = replay(filled)
    assert not report.ok
    [bad] = report.differing
    assert (bad.dyad, bad.day, bad.column) == (("PRK", "RUS"), day, "s_ab")
    assert (bad.stored_value, bad.replayed_value) == (nudged, s_ab)
    assert "differs" in bad.describe()


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("UPDATE checkpoints SET label = 'allied' WHERE party_a = 'CHN'", "label"),
        ("UPDATE checkpoints SET events = events + 1 WHERE party_a = 'CHN'", "events"),
        ("DELETE FROM checkpoints WHERE party_a = 'CHN'", "day"),
        (
            "INSERT INTO checkpoints SELECT 'AAA', 'ZZZ', day, s_ab, s_ba, d_ab, d_ba, label, "
            "n_verbal_coop, n_material_coop, n_verbal_conflict, n_material_conflict, events "
            "FROM checkpoints WHERE party_a = 'CHN'",
            "day",
        ),
        (
            "UPDATE checkpoints SET n_material_conflict = n_material_conflict + 1 "
            "WHERE party_a = 'CHN'",
            "n_material_conflict",
        ),
        ("UPDATE structure SET status = replace(status, 'established', 'severed')", "status"),
        ("DELETE FROM structure", "day"),
    ],
)
def test_any_stored_checkpoint_change_is_a_divergence(filled: Path, sql: str, column: str) -> None:
    _set_checkpoint(filled, sql)
    report = replay(filled)
    assert not report.ok
    assert {d.column for d in report.differing} == {column}


def test_a_model_fingerprint_that_does_not_match_is_a_fault(filled: Path) -> None:
    _set_checkpoint(
        filled, "UPDATE projection_meta SET value = 'sha256:0' WHERE key = 'fingerprint'"
    )
    report = replay(filled)
    assert not report.ok and "fingerprint" in report.faults[0]


def test_replay_known_at_reports_the_state_then(filled: Path) -> None:
    report = replay(filled, known_at=5)
    assert report.ok and not report.compared
    assert report.replayed_to == 5 and "no comparison" in report.notes[0]
    states = {d.dyad: d.state for d in report.dyads}
    prk = states[("PRK", "RUS")]
    assert prk is not None
    with Tracker(filled) as t:
        then = t.state("PRK", "RUS", as_of=datetime.fromisoformat(prk["day"]).date(), known_at=5)
    assert prk["index"] == then.score.index and prk["label"] == then.score.label
    assert prk["events"] == then.events == 3  # a1, a2 (not yet retracted), a4


def test_replay_known_at_the_head_compares(filled: Path) -> None:
    report = replay(filled, known_at=8)
    assert report.compared and report.ok and "at or after the head" in report.notes[0]


def test_replay_known_at_beyond_the_head_is_refused_naming_the_head(filled: Path) -> None:
    with pytest.raises(TrackerError, match=r"beyond the end of the log .*seq 8"):
        replay(filled, known_at=100)


def test_replay_of_a_store_without_checkpoints_is_a_fault(filled: Path) -> None:
    _set_checkpoint(filled, "DROP TABLE checkpoints")
    report = replay(filled)
    assert not report.ok and "no checkpoints table" in report.faults[0]


# -- the export / import round trip -------------------------------------------------------------


def test_export_then_import_into_an_empty_store_gives_the_same_chain(
    filled: Path, tmp_path: Path
) -> None:
    pytest.importorskip("tracker.importers")
    exported = tmp_path / "log.jsonl"
    export_file(filled, exported)
    copy = tmp_path / "copy.db"
    with Tracker(copy) as t:
        t.import_files([exported])
        copied_head = t.head()
    with Tracker(filled) as t:
        head = t.head()
    assert copied_head == head
    assert verify(copy, against=exported, deep=True).ok
    assert replay(copy).ok
    again = tmp_path / "again.jsonl"
    export_file(copy, again)
    assert again.read_bytes() == exported.read_bytes()
