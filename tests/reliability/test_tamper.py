"""Tamper evidence: any change to any stored column of any event, made behind the tracker's
back (raw sqlite3, append-only triggers dropped and put back), is found by `verify`, which
names the position; so are missing or altered triggers and a rewritten file marker."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.export import export_file
from tracker.store import chain_hash
from tracker.store.sql import EVENT_COLUMNS
from tracker.store.sqlite import APPLICATION_ID
from tracker.verify import EXPECTED_SCHEMA, verify

COLUMNS = EVENT_COLUMNS  # every stored column: a new one is tampered with too
RICH_SIZE = 15

Tamper = Callable[..., None]


def tampered(column: str, value: Any, seq: int) -> Any:
    """A different value for ``column`` of the row at ``seq`` (same SQL type where it has one,
    so that only the content, not the shape, gives the change away)."""
    if column == "seq":
        return seq + 1000
    if column in ("confidence",):
        return 0.123 if value != 0.123 else 0.5
    if column == "weight":
        return 1.5 if value is None else value + 1
    if column == "refers_to":
        return "e1" if value is None else None
    if column in ("actor", "target", "party_a", "party_b"):
        return "FRA" if value != "FRA" else "DEU"
    if column == "occurred_on":
        return "1990-01-01"
    if column == "type":
        return "statement" if value != "statement" else "praise"
    if column == "code":
        return "999"
    if column == "recorded_at":
        return value.replace("2026", "2025", 1)
    if column == "body":
        obj = json.loads(value)
        obj["occurred_on"] = "1990-01-01"
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if column == "hash":
        return hashlib.sha256(b"forged").hexdigest()
    assert column == "event_id"
    return value + "-x"


def tamper_column(path: Path, tamper: Tamper, seq: int, column: str) -> None:
    conn = sqlite3.connect(path)
    (value,) = conn.execute(f"SELECT {column} FROM events WHERE seq = ?", (seq,)).fetchone()
    conn.close()
    new = tampered(column, value, seq)
    assert new != value
    tamper(path, f"UPDATE events SET {column} = ? WHERE seq = ?", (new, seq))


@pytest.mark.parametrize("column", COLUMNS)
def test_changing_any_column_is_detected_at_its_position(
    column: str, rich_store: Path, tamper: Tamper
) -> None:
    assert verify(rich_store).ok
    position = 7
    tamper_column(rich_store, tamper, position, column)
    report = verify(rich_store)
    assert not report.ok
    assert report.first is not None and report.first.seq == position, report.faults
    assert report.verified == position - 1
    # only the row was touched: the triggers are back, so nothing else is reported
    assert [f.kind for f in report.faults if f.seq is None] == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(1, RICH_SIZE), column=st.sampled_from(COLUMNS))
def test_tampering_anywhere_names_that_position(
    position: int, column: str, rich_template: Path, tmp_path: Path, tamper: Tamper
) -> None:
    path = tmp_path / f"t-{position}-{column}.db"
    shutil.copyfile(rich_template, path)
    try:
        tamper_column(path, tamper, position, column)
        report = verify(path)
        assert report.first is not None, (position, column)
        assert report.first.seq == position, (position, column, report.faults)
    finally:
        path.unlink()


def test_a_changed_hash_is_blamed_on_the_hash(rich_store: Path, tamper: Tamper) -> None:
    tamper_column(rich_store, tamper, 4, "hash")
    [fault] = verify(rich_store).faults
    assert fault.seq == 4 and fault.kind == "hash"
    assert "stored hash was altered" in fault.message


def test_a_changed_body_is_blamed_on_the_content(rich_store: Path, tamper: Tamper) -> None:
    tamper_column(rich_store, tamper, 5, "body")
    [fault] = verify(rich_store).faults
    assert fault.seq == 5 and "body or recorded_at was altered" in fault.message


def test_a_deleted_row_is_a_gap(rich_store: Path, tamper: Tamper) -> None:
    tamper(rich_store, "DELETE FROM events WHERE seq = 6")
    report = verify(rich_store)
    assert report.first is not None and report.first.seq == 6
    assert report.first.kind == "seq" and "gap" in report.first.message


def test_rewriting_history_consistently_is_caught_by_the_tree_and_an_export(
    rich_store: Path, tamper: Tamper, tmp_path: Path
) -> None:
    """Someone who changes a body and recomputes every later hash leaves a valid chain; the
    Merkle tree stored beside it no longer matches, and an export taken before (kept
    elsewhere) catches it too, at the right position."""
    export = tmp_path / "before.jsonl"
    export_file(rich_store, export)
    conn = sqlite3.connect(rich_store)
    rows = conn.execute("SELECT seq, recorded_at, body FROM events ORDER BY seq").fetchall()
    conn.close()
    prev = "0" * 64
    for seq, recorded_at, body in rows:
        if seq == 9:
            body = body.replace('"count":3', '"count":30')
            tamper(rich_store, "UPDATE events SET body = ? WHERE seq = 9", (body,))
        new_hash = chain_hash(prev, body, seq, recorded_at)
        if seq >= 9:
            tamper(rich_store, "UPDATE events SET hash = ? WHERE seq = ?", (new_hash, seq))
        prev = new_hash
    [fault] = verify(rich_store).faults
    assert fault.kind == "tree" and fault.seq == 9
    report = verify(rich_store, against=export)
    faults = {f.kind: f for f in report.faults}
    assert set(faults) == {"tree", "against"}
    assert faults["against"].seq == 9 and faults["against"].line == 10  # after the head line
    assert "count" in faults["against"].message


@pytest.mark.parametrize(
    "trigger", [name for name, (kind, _t, _s) in EXPECTED_SCHEMA.items() if kind == "trigger"]
)
def test_dropping_a_trigger_alone_is_detected(rich_store: Path, trigger: str) -> None:
    conn = sqlite3.connect(rich_store)
    conn.execute(f"DROP TRIGGER {trigger}")
    conn.close()
    report = verify(rich_store)
    [fault] = report.faults
    assert fault.kind == "trigger" and trigger in fault.message and "missing" in fault.message
    assert report.verified == RICH_SIZE  # the rows themselves are fine


def test_a_neutered_trigger_is_detected(rich_store: Path) -> None:
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "WHEN 0 BEGIN SELECT RAISE(ABORT, 'x'); END"
    )
    conn.close()
    [fault] = verify(rich_store).faults
    assert fault.kind == "trigger" and "events_no_update was altered" in fault.message


def test_an_extra_trigger_is_detected(rich_store: Path) -> None:
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON events BEGIN SELECT 1; END")
    conn.close()
    [fault] = verify(rich_store).faults
    assert fault.kind == "trigger" and "sneaky" in fault.message


def test_a_dropped_index_is_a_schema_fault(rich_store: Path) -> None:
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute("DROP INDEX events_dyad_date")
    conn.close()
    [fault] = verify(rich_store).faults
    assert fault.kind == "schema" and "events_dyad_date" in fault.message


def test_the_index_of_dyads_records_is_missing_only_from_an_older_layout_and_comes_back(
    rich_store: Path,
) -> None:
    from tracker.api import Tracker
    from tracker.store.derived import LAYOUT, RECORDS_INDEX

    def dump(table: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{rich_store}?mode=ro", uri=True)
        try:
            return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
        finally:
            conn.close()

    log, checkpoints = dump("events"), dump("checkpoints")
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute(f"DROP INDEX {RECORDS_INDEX}")
    [fault] = verify(rich_store).faults  # derived tables of this layout come with it
    assert fault.kind == "schema" and f"index {RECORDS_INDEX} is missing" in fault.message
    conn.execute("UPDATE projection_meta SET value = '3' WHERE key = 'layout'")
    conn.close()
    [fault] = verify(rich_store).faults  # a store of the older layout: only that is said
    assert fault.kind == "projection-meta" and f"this version writes {LAYOUT!r}" in fault.message
    with Tracker(rich_store, create=False) as t:  # opened for writing: the layout's upgrade
        assert t.store.derived_layout() == LAYOUT
    assert not verify(rich_store).faults
    assert dump("events") == log and dump("checkpoints") == checkpoints
    conn = sqlite3.connect(f"file:{rich_store}?mode=ro", uri=True)
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (RECORDS_INDEX,)).fetchone()
    conn.close()


def test_an_altered_index_of_dyads_records_is_detected(rich_store: Path) -> None:
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute("DROP INDEX events_dyad_records")
    conn.execute("CREATE INDEX events_dyad_records ON events (party_a, seq)")
    conn.close()
    [fault] = verify(rich_store).faults
    assert fault.kind == "schema" and "index events_dyad_records was altered" in fault.message


def test_wrong_application_id_and_meta_are_detected(rich_store: Path, tamper: Tamper) -> None:
    conn = sqlite3.connect(rich_store, isolation_level=None)
    conn.execute("PRAGMA application_id = 7")
    conn.execute("UPDATE meta SET value = 'other-app' WHERE key = 'app'")
    conn.close()
    faults = verify(rich_store).faults
    assert [f.kind for f in faults] == ["meta", "meta"]
    assert f"{APPLICATION_ID:#x}" in faults[0].message and "other-app" in faults[1].message


def test_verify_of_a_tampered_store_changes_nothing(rich_store: Path, tamper: Tamper) -> None:
    tamper_column(rich_store, tamper, 3, "confidence")
    before = rich_store.read_bytes()
    assert not verify(rich_store).ok
    assert rich_store.read_bytes() == before
