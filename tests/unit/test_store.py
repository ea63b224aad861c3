"""The event store on real SQLite files: numbering, chain hashes, idempotence, conflicts,
atomic batches, append-only triggers, refusing foreign files, transaction time, WAL, indexes."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from events.canonical import canonical_bytes, decode
from events.errors import InvalidEventError
from events.models import parse_event
from tracker.api import Tracker
from tracker.errors import (
    ConflictError,
    DamagedStoreError,
    NewerSchemaError,
    NotAStoreError,
    StoreError,
    StoreNotFoundError,
)
from tracker.store import GENESIS_HASH, prepare
from tracker.store import SQLiteStore as Store

FileState = Callable[[Path], dict[str, str]]
Chain = Callable[[Path], list[int]]
Sample = Callable[..., dict[str, Any]]

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"


def _populate(path: Path, sample_event: Sample, n: int = 3) -> None:
    """A closed store with ``n`` events (so that its file is settled on disk)."""
    with Tracker(path, clock=lambda: T0) as t:
        t.append_many([sample_event(i) for i in range(1, n + 1)])


def _dump(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# --- numbering and the head --------------------------------------------------------------------


def test_appends_are_numbered_one_to_n_in_order(tracker: Tracker, sample_event: Sample) -> None:
    seqs = [tracker.append(sample_event(i)).seq for i in range(1, 6)]
    assert seqs == [1, 2, 3, 4, 5]
    assert [s.event.event_id for s in tracker.events()] == ["e1", "e2", "e3", "e4", "e5"]


def test_a_batch_gets_consecutive_seqs_in_input_order(
    tracker: Tracker, sample_event: Sample
) -> None:
    tracker.append(sample_event(0))
    results = tracker.append_many([sample_event(i) for i in (7, 3, 5)])
    assert [(r.seq, r.event_id, r.created) for r in results] == [
        (2, "e7", True),
        (3, "e3", True),
        (4, "e5", True),
    ]


def test_empty_log_head_is_seq_zero_and_the_genesis_hash(tracker: Tracker) -> None:
    head = tracker.head()
    assert (head.seq, head.hash, head.recorded_at) == (0, "0" * 64, None)
    assert GENESIS_HASH == "0" * 64


def test_head_is_the_last_appended_event(tracker: Tracker, sample_event: Sample) -> None:
    tracker.append(sample_event(1))
    last = tracker.append(sample_event(2))
    head = tracker.head()
    assert (head.seq, head.hash) == (2, last.hash)


def test_appending_an_empty_batch_writes_nothing(tracker: Tracker) -> None:
    assert tracker.append_many([]) == []
    assert tracker.head().seq == 0


def test_events_read_back_equal_to_what_was_appended(
    tracker: Tracker, sample_event: Sample
) -> None:
    sent = [parse_event(sample_event(i, summary=f"event {i} — ünïcødé")) for i in range(1, 4)]
    tracker.append_many(sent)
    assert [s.event for s in tracker.events()] == sent


def test_a_reopened_store_keeps_its_events_and_head(db_path: Path, sample_event: Sample) -> None:
    _populate(db_path, sample_event, 4)
    with Tracker(db_path, create=False) as t:
        assert t.head().seq == 4
        assert [s.seq for s in t.events()] == [1, 2, 3, 4]
        assert t.append(sample_event(5)).seq == 5


# --- the hash chain ----------------------------------------------------------------------------


def test_chain_hashes_equal_sha256_of_previous_hash_and_record(
    tracker: Tracker, db_path: Path, sample_event: Sample
) -> None:
    tracker.append_many([sample_event(1), sample_event(2, summary="Ким — 祝贺")])
    tracker.append(sample_event(3, type="sign_treaty", name="Treaty", confidence=0.25))
    conn = _raw(db_path)
    rows = conn.execute("SELECT seq, body, recorded_at, hash FROM events ORDER BY seq").fetchall()
    conn.close()
    previous = "0" * 64
    for seq, body, recorded_at, stored in rows:
        record = (
            b'{"event":'
            + body.encode("utf-8")
            + b',"recorded_at":"'
            + recorded_at.encode("ascii")
            + b'","seq":'
            + str(seq).encode()
            + b"}"
        )
        assert stored == hashlib.sha256(previous.encode("ascii") + record).hexdigest()
        previous = stored


def test_first_event_chains_from_sixty_four_zeros(tracker: Tracker, sample_event: Sample) -> None:
    result = tracker.append(sample_event(1))
    [row] = list(tracker.rows())
    record = json.dumps(
        {"event": json.loads(row.body), "recorded_at": row.recorded_at, "seq": 1},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert result.hash == hashlib.sha256(("0" * 64 + record).encode("utf-8")).hexdigest()


def test_chain_of_many_appends_recomputes(
    tracker: Tracker, db_path: Path, sample_event: Sample, recompute_chain: Chain
) -> None:
    for i in range(1, 11):
        tracker.append(sample_event(i, confidence=i / 10))
    tracker.append_many([sample_event(i) for i in range(11, 21)])
    assert tracker.head().seq == 20
    assert recompute_chain(db_path) == []


def test_append_result_hash_is_the_stored_hash(tracker: Tracker, sample_event: Sample) -> None:
    result = tracker.append(sample_event(1))
    [row] = list(tracker.rows())
    assert result.hash == row.hash == tracker.head().hash


def test_stored_body_is_the_canonical_bytes_of_the_event(
    tracker: Tracker, sample_event: Sample
) -> None:
    event = parse_event(sample_event(1, summary="Ün – 祝贺"))
    tracker.append(event)
    [row] = list(tracker.rows())
    assert row.body.encode("utf-8") == canonical_bytes(event)
    assert decode(row.body) == event


def test_stored_columns_mirror_the_event(tracker: Tracker, sample_event: Sample) -> None:
    tracker.append(
        sample_event(
            1,
            actor="Russia",
            target="North Korea",
            weight=2.5,
            confidence=0.5,
            occurred_on="2024-06-19",
        )
    )
    [row] = list(tracker.rows())
    assert (
        row.type,
        row.code,
        row.actor,
        row.target,
        row.occurred_on,
        row.confidence,
        row.weight,
    ) == ("praise", "051", "RUS", "PRK", "2024-06-19", 0.5, 2.5)


def test_editing_a_stored_body_breaks_the_recomputed_chain(
    tracker: Tracker, db_path: Path, sample_event: Sample, recompute_chain: Chain
) -> None:
    tracker.append_many([sample_event(i) for i in range(1, 4)])
    tracker.close()
    conn = _raw(db_path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = replace(body, 'KCNA', 'XXXX') WHERE seq = 2")
    conn.close()
    assert recompute_chain(db_path) == [2]


# --- idempotence and conflicts -----------------------------------------------------------------


def test_reappending_identical_event_is_a_noop(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    _populate(db_path, sample_event, 3)
    before = file_state(db_path)
    with Tracker(db_path, clock=lambda: T0 + timedelta(days=1)) as t:
        result = t.append(sample_event(2))
        assert (result.seq, result.event_id, result.created) == (2, "e2", False)
        assert result.hash == next(r.hash for r in t.rows() if r.seq == 2)
        assert t.head().seq == 3
    assert file_state(db_path) == before


def test_reappending_reports_the_existing_hash(tracker: Tracker, sample_event: Sample) -> None:
    first = tracker.append(sample_event(1))
    tracker.append(sample_event(2))
    again = tracker.append(sample_event(1))
    assert (again.seq, again.hash, again.created) == (1, first.hash, False)


def test_reappending_the_same_event_written_with_aliases_is_a_noop(
    tracker: Tracker, sample_event: Sample
) -> None:
    tracker.append(sample_event(1, actor="PRK", target="RUS"))
    again = tracker.append(sample_event(1, actor="North Korea", target="Russian Federation"))
    assert (again.seq, again.created) == (1, False)
    assert tracker.head().seq == 1


def test_reappending_with_the_original_earlier_recorded_at_is_a_noop(
    tracker: Tracker, sample_event: Sample
) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    tracker.append(sample_event(1), recorded_at=first)
    tracker.append(sample_event(2), recorded_at=datetime(2025, 2, 1, tzinfo=UTC))
    again = tracker.append(sample_event(1), recorded_at=first)
    assert (again.seq, again.created) == (1, False)
    assert tracker.head().seq == 2


def test_reappending_within_a_batch_writes_only_new_events(
    tracker: Tracker, sample_event: Sample
) -> None:
    tracker.append(sample_event(1))
    results = tracker.append_many([sample_event(1), sample_event(2)])
    assert [(r.seq, r.created) for r in results] == [(1, False), (2, True)]
    assert tracker.head().seq == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"source": "Yonhap"},
        {"occurred_on": "2024-02-01"},
        {"confidence": 0.5},
        {"type": "criticize"},
        {"target": "CHN"},
    ],
)
def test_different_content_under_a_known_id_conflicts_and_changes_nothing(
    db_path: Path, sample_event: Sample, file_state: FileState, changes: dict[str, Any]
) -> None:
    _populate(db_path, sample_event, 3)
    before_rows = _dump(db_path)
    before = file_state(db_path)
    with (
        Tracker(db_path, clock=lambda: T0 + timedelta(days=1)) as t,
        pytest.raises(ConflictError) as info,
    ):
        t.append(sample_event(2, **changes))
    assert info.value.field == "event_id"
    assert "'e2'" in str(info.value)
    assert file_state(db_path) == before
    assert _dump(db_path) == before_rows


def test_same_id_twice_in_a_batch_with_different_content_conflicts(
    db_path: Path, sample_event: Sample
) -> None:
    with Tracker(db_path) as t:
        with pytest.raises(ConflictError):
            t.append_many([sample_event(1), sample_event(2), sample_event(1, source="Yonhap")])
        assert t.head().seq == 0


def test_same_id_twice_in_a_batch_with_identical_content_is_written_once(
    tracker: Tracker, sample_event: Sample
) -> None:
    results = tracker.append_many([sample_event(1), sample_event(1)])
    assert [(r.seq, r.created) for r in results] == [(1, True), (1, False)]
    assert tracker.head().seq == 1


# --- all-or-nothing batches --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"occurred_on": "2024-02-30"},
        {"actor": "Narnia"},
        {"type": "sign_treaty"},
        {"confidence": 2},
    ],
)
def test_batch_with_one_invalid_event_writes_nothing(
    db_path: Path, sample_event: Sample, file_state: FileState, bad: dict[str, Any]
) -> None:
    _populate(db_path, sample_event, 2)
    before = file_state(db_path)
    with Tracker(db_path) as t, pytest.raises(InvalidEventError):
        t.append_many([sample_event(10), sample_event(11, **bad), sample_event(12)])
    assert file_state(db_path) == before
    with Tracker(db_path) as t:
        assert t.head().seq == 2


def test_batch_with_one_conflicting_event_writes_nothing(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    _populate(db_path, sample_event, 2)
    before = file_state(db_path)
    with Tracker(db_path) as t, pytest.raises(ConflictError):
        t.append_many([sample_event(10), sample_event(1, source="other"), sample_event(12)])
    assert file_state(db_path) == before


def test_failed_batch_leaves_the_store_usable(tracker: Tracker, sample_event: Sample) -> None:
    tracker.append(sample_event(1))
    with pytest.raises(ConflictError):
        tracker.append_many([sample_event(2), sample_event(1, source="other")])
    assert tracker.append(sample_event(2)).seq == 2


# --- append-only -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET type = 'criticize' WHERE seq = 1",
        "UPDATE events SET hash = 'x'",
        "UPDATE events SET recorded_at = '2000-01-01T00:00:00.000000Z' WHERE seq = 2",
    ],
)
def test_update_through_raw_sqlite_is_refused(
    db_path: Path, sample_event: Sample, sql: str
) -> None:
    _populate(db_path, sample_event, 2)
    before = _dump(db_path)
    conn = _raw(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(sql)
    conn.close()
    assert _dump(db_path) == before


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM events WHERE seq = 2",
        "DELETE FROM events",
    ],
)
def test_delete_through_raw_sqlite_is_refused(
    db_path: Path, sample_event: Sample, sql: str
) -> None:
    _populate(db_path, sample_event, 2)
    before = _dump(db_path)
    conn = _raw(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(sql)
    conn.close()
    assert _dump(db_path) == before


def test_insert_or_replace_through_raw_sqlite_cannot_overwrite_an_event(
    db_path: Path, sample_event: Sample
) -> None:
    _populate(db_path, sample_event, 2)
    before = _dump(db_path)
    conn = _raw(db_path)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(events)")]
    forged = list(before[0])
    forged[columns.index("type")] = "criticize"
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute(
            f"INSERT OR REPLACE INTO events ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            forged,
        )
    conn.close()
    assert _dump(db_path) == before


# --- refusing files that are not our store -----------------------------------------------------


def test_opening_a_non_sqlite_file_raises_and_leaves_it_unchanged(
    tmp_path: Path, file_state: FileState
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 50)
    before = file_state(path)
    with pytest.raises(NotAStoreError) as info:
        Store(path)
    assert str(path) in str(info.value)
    assert file_state(path) == before


def test_opening_another_applications_sqlite_file_raises_and_leaves_it_unchanged(
    tmp_path: Path, file_state: FileState
) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ada', '555')")
    conn.commit()
    conn.close()
    before = file_state(path)
    with pytest.raises(NotAStoreError) as info:
        Tracker(path).head()
    assert "not a relations-tracker store" in str(info.value)
    assert file_state(path) == before


def test_opening_a_lookalike_without_our_application_id_raises(
    tmp_path: Path, file_state: FileState
) -> None:
    path = tmp_path / "lookalike.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.commit()
    conn.close()
    before = file_state(path)
    with pytest.raises(NotAStoreError):
        Store(path)
    assert file_state(path) == before


def test_opening_a_damaged_store_raises_naming_it_and_leaves_it_unchanged(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    _populate(db_path, sample_event, 3)
    data = db_path.read_bytes()
    db_path.write_bytes(data[:4096] + b"\xa5" * (len(data) - 4096))
    before = file_state(db_path)
    with pytest.raises(DamagedStoreError) as info:
        Tracker(db_path).head()
    assert info.value.field == "store"
    assert str(db_path) in str(info.value)
    assert file_state(db_path) == before


def test_opening_a_store_with_a_newer_schema_raises_and_leaves_it_unchanged(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    _populate(db_path, sample_event, 2)
    conn = _raw(db_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    before = file_state(db_path)
    with pytest.raises(NewerSchemaError) as info:
        Tracker(db_path).head()
    assert "99" in str(info.value)
    assert info.value.value == 99
    assert file_state(db_path) == before


def test_appending_to_a_store_with_a_newer_schema_writes_nothing(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    _populate(db_path, sample_event, 1)
    conn = _raw(db_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    before = file_state(db_path)
    with Tracker(db_path) as t, pytest.raises(NewerSchemaError):
        t.append(sample_event(2))
    assert file_state(db_path) == before


@pytest.mark.parametrize("readonly", [False, True])
def test_a_path_with_a_nul_character_is_refused_naming_it(tmp_path: Path, readonly: bool) -> None:
    path = f"{tmp_path}/a\x00b.db"
    with pytest.raises(StoreError, match="NUL character") as raised:
        Store(path, readonly=readonly)
    assert raised.value.field == "store" and raised.value.value == path
    assert list(tmp_path.iterdir()) == []


def test_the_api_refuses_a_path_with_a_nul_character_with_its_own_error(tmp_path: Path) -> None:
    with Tracker(f"{tmp_path}/a\x00b.db") as t, pytest.raises(StoreError, match="NUL"):
        t.score("USA", "CHN")


def test_opening_a_missing_file_without_create_raises_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StoreNotFoundError) as info:
        Tracker(path, create=False).head()
    assert str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_opening_an_empty_file_without_create_raises(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(NotAStoreError):
        Store(path, create=False)
    assert path.read_bytes() == b""


def test_creating_a_store_in_a_missing_directory_raises_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "x.db"
    with pytest.raises(StoreError) as info:
        Store(path)
    assert info.value.field == "store"
    assert str(path) in str(info.value)
    assert not path.parent.exists()


def test_opening_a_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(NotAStoreError):
        Store(tmp_path)


def test_a_missing_file_is_created_as_a_store(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with Tracker(path) as t:
        assert t.head().seq == 0
    assert path.exists()


def test_a_new_store_is_marked_as_ours(db_path: Path, sample_event: Sample) -> None:
    _populate(db_path, sample_event, 1)
    conn = _raw(db_path)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    conn.close()
    assert meta["app"] == "relations-tracker"
    assert meta["schema_version"] == "2"
    assert app_id != 0


# --- transaction time --------------------------------------------------------------------------


def test_recorded_at_comes_from_the_clock_as_fixed_width_utc(
    tracker: Tracker, sample_event: Sample
) -> None:
    tracker.append(sample_event(1))
    tracker.append(sample_event(2))
    stamps = [r.recorded_at for r in tracker.rows()]
    assert stamps == ["2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:01.000000Z"]


def test_recorded_at_from_the_system_clock_is_fixed_width_utc(
    db_path: Path, sample_event: Sample
) -> None:
    with Tracker(db_path) as t:
        t.append(sample_event(1))
        [row] = list(t.rows())
    assert re.fullmatch(STAMP, row.recorded_at)
    moment = datetime.strptime(row.recorded_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


def test_explicit_recorded_at_is_converted_to_utc(tracker: Tracker, sample_event: Sample) -> None:
    plus_two = timezone(timedelta(hours=2))
    tracker.append(sample_event(1), recorded_at=datetime(2025, 3, 1, 12, 30, 5, 7, plus_two))
    assert tracker.head().recorded_at == "2025-03-01T10:30:05.000007Z"


def test_recorded_at_earlier_than_the_head_raises_and_writes_nothing(
    tracker: Tracker, sample_event: Sample
) -> None:
    tracker.append(sample_event(1), recorded_at=datetime(2025, 3, 1, tzinfo=UTC))
    with pytest.raises(StoreError) as info:
        tracker.append(sample_event(2), recorded_at=datetime(2025, 2, 28, tzinfo=UTC))
    assert info.value.field == "recorded_at"
    assert tracker.head().seq == 1


def test_recorded_at_equal_to_the_head_is_accepted(tracker: Tracker, sample_event: Sample) -> None:
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    tracker.append(sample_event(1), recorded_at=moment)
    assert tracker.append(sample_event(2), recorded_at=moment).seq == 2


def test_naive_recorded_at_is_refused(tracker: Tracker, sample_event: Sample) -> None:
    with pytest.raises(StoreError):
        tracker.append(sample_event(1), recorded_at=datetime(2025, 3, 1))
    assert tracker.head().seq == 0


def test_transaction_time_never_goes_backwards_when_the_clock_lags(
    db_path: Path, sample_event: Sample
) -> None:
    with Tracker(db_path, clock=lambda: datetime(2026, 5, 1, tzinfo=UTC)) as t:
        t.append(sample_event(1))
    with Tracker(db_path, clock=lambda: datetime(2026, 4, 1, tzinfo=UTC)) as t:
        t.append(sample_event(2))
        stamps = [r.recorded_at for r in t.rows()]
    assert stamps[1] >= stamps[0]


def test_a_batch_shares_one_transaction_time(tracker: Tracker, sample_event: Sample) -> None:
    tracker.append_many([sample_event(i) for i in range(1, 4)])
    assert len({r.recorded_at for r in tracker.rows()}) == 1


# --- file format: WAL and indexes --------------------------------------------------------------


def test_wal_journal_mode_is_on(db_path: Path, sample_event: Sample) -> None:
    _populate(db_path, sample_event, 1)
    conn = _raw(db_path)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert mode == "wal"


def _indexes(path: Path) -> dict[str, list[str]]:
    conn = _raw(path)
    try:
        names = [r[1] for r in conn.execute("PRAGMA index_list('events')")]
        return {n: [c[2] for c in conn.execute(f"PRAGMA index_info('{n}')")] for n in names}
    finally:
        conn.close()


def test_a_per_dyad_index_exists(db_path: Path, sample_event: Sample) -> None:
    _populate(db_path, sample_event, 1)
    assert any(cols[:2] == ["party_a", "party_b"] for cols in _indexes(db_path).values())


def test_a_per_date_index_exists(db_path: Path, sample_event: Sample) -> None:
    _populate(db_path, sample_event, 1)
    assert any(cols[:1] == ["occurred_on"] for cols in _indexes(db_path).values())


def test_event_id_is_unique_in_the_schema(db_path: Path, sample_event: Sample) -> None:
    _populate(db_path, sample_event, 1)
    conn = _raw(db_path)
    row = conn.execute("SELECT * FROM events").fetchone()
    columns = [r[1] for r in conn.execute("PRAGMA table_info(events)")]
    copy = list(row)
    copy[columns.index("seq")] = 99
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(f"INSERT INTO events VALUES ({', '.join('?' * len(columns))})", copy)
    conn.close()


@pytest.mark.parametrize(
    "where",
    [
        "party_a = 'PRK' AND party_b = 'RUS'",
        "party_a = 'PRK' AND party_b = 'RUS' AND occurred_on <= '2024-01-05'",
        "occurred_on BETWEEN '2024-01-01' AND '2024-01-31'",
    ],
)
def test_dyad_and_date_reads_use_an_index(db_path: Path, sample_event: Sample, where: str) -> None:
    _populate(db_path, sample_event, 5)
    conn = _raw(db_path)
    plan = " ".join(
        r[-1] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT seq FROM events WHERE {where}")
    )
    conn.close()
    assert "USING" in plan and "INDEX" in plan, plan


# --- filtered reads ----------------------------------------------------------------------------


@pytest.fixture
def filled(tracker: Tracker, sample_event: Sample) -> Tracker:
    tracker.append_many(
        [
            sample_event(1, actor="PRK", target="RUS", occurred_on="2024-01-10"),
            sample_event(2, actor="RUS", target="PRK", occurred_on="2024-02-10", type="criticize"),
            sample_event(
                3,
                actor="USA",
                target="PRK",
                occurred_on="2024-03-10",
                type="impose_sanctions",
                regime="EO 13722",
            ),
            sample_event(4, actor="PRK", target="CHN", occurred_on="2024-04-10"),
            sample_event(5, actor="RUS", target="CHN", occurred_on="2024-05-10"),
        ]
    )
    return tracker


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [1, 2, 3, 4, 5]),
        ({"actor": "PRK"}, [1, 4]),
        ({"target": "PRK"}, [2, 3]),
        ({"actor": "RUS", "target": "PRK"}, [2]),
        ({"dyad": ("PRK", "RUS")}, [1, 2]),
        ({"dyad": ("RUS", "PRK")}, [1, 2]),
        ({"types": ["criticize", "impose_sanctions"]}, [2, 3]),
        ({"since": "2024-02-10"}, [2, 3, 4, 5]),
        ({"until": "2024-02-10"}, [1, 2]),
        ({"since": "2024-02-01", "until": "2024-04-30"}, [2, 3, 4]),
        ({"limit": 2}, [1, 2]),
        ({"actor": "PRK", "limit": 1}, [1]),
    ],
)
def test_events_filters(filled: Tracker, filters: dict[str, Any], expected: list[int]) -> None:
    args = {
        k: (date.fromisoformat(v) if k in ("since", "until") else v) for k, v in filters.items()
    }
    assert [s.seq for s in filled.events(**args)] == expected


def test_prepared_event_carries_the_canonical_body(sample_event: Sample) -> None:
    event = parse_event(sample_event(1))
    assert prepare(event).body.encode("utf-8") == canonical_bytes(event)


# --- the bulk path (inside transaction()) ------------------------------------------------------


def _prepared(sample_event: Sample, n: int, **fields: Any) -> Any:
    return prepare(parse_event(sample_event(n, **fields)))


def test_a_bulk_transaction_appends_without_savepoints_and_commits_every_batch(
    db_path: Path, sample_event: Sample
) -> None:
    with Store(db_path) as store:
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        with store.transaction():
            store.append([_prepared(sample_event, i) for i in range(1, 4)])
            store.append([_prepared(sample_event, i) for i in range(3, 7)])  # 3 is stored
        store.conn.set_trace_callback(None)
        assert not [s for s in statements if "SAVEPOINT" in s.upper()]
        assert [r.seq for r in store.rows()] == [1, 2, 3, 4, 5, 6]


def test_a_bulk_transaction_uses_a_larger_page_cache_and_restores_it(db_path: Path) -> None:
    from tracker.store.sqlite import BULK_CACHE_KIB

    with Store(db_path) as store:
        before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
        with store.transaction():
            assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -BULK_CACHE_KIB
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def _schema(path: Path) -> list[tuple[str, str, str]]:
    conn = _raw(path)
    try:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    finally:
        conn.close()


SET_ASIDE_ALWAYS = {"events_no_replace", "merkle_hashes_no_replace"}
SET_ASIDE_ON_AN_EMPTY_LOG = SET_ASIDE_ALWAYS | {"events_dyad_date", "events_date"}


@pytest.mark.parametrize(
    ("stored", "set_aside"), [(0, SET_ASIDE_ON_AN_EMPTY_LOG), (2, SET_ASIDE_ALWAYS)]
)
def test_a_bulk_transaction_sets_aside_only_what_it_need_not_keep_up_row_by_row(
    db_path: Path, sample_event: Sample, stored: int, set_aside: set[str]
) -> None:
    with Store(db_path) as store:
        if stored:
            store.append([_prepared(sample_event, i) for i in range(1, stored + 1)])
        before = _schema(db_path)
        with store.transaction():
            store.append([_prepared(sample_event, i) for i in range(10, 20)])
            inside = {n for (n,) in store.conn.execute("SELECT name FROM sqlite_master")}
            # another connection (a reader, in WAL) still sees the schema as committed
            assert _schema(db_path) == before
        assert {n for _t, n, _s in before} - inside == set_aside
        assert _schema(db_path) == before
        assert len(list(store.rows())) == stored + 10


def test_a_failed_bulk_transaction_leaves_the_schema_and_the_log_as_they_were(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    with Store(db_path):
        pass
    before, files = _schema(db_path), file_state(db_path)
    with Store(db_path) as store, pytest.raises(RuntimeError), store.transaction():
        store.append([_prepared(sample_event, i) for i in range(1, 5)])
        raise RuntimeError("interrupted")
    assert _schema(db_path) == before
    assert file_state(db_path) == files


def test_after_a_bulk_import_insert_or_replace_is_still_refused(
    db_path: Path, sample_event: Sample
) -> None:
    with Store(db_path) as store, store.transaction():
        store.append([_prepared(sample_event, i) for i in range(1, 4)])
    before = _dump(db_path)
    conn = _raw(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(
            f"INSERT OR REPLACE INTO events VALUES ({', '.join('?' * len(before[0]))})",
            before[0],
        )
    conn.close()
    assert _dump(db_path) == before


def test_a_bulk_transaction_does_not_restore_a_trigger_the_file_had_lost(
    db_path: Path, sample_event: Sample
) -> None:
    """A missing trigger is evidence for verify to report, not something an import repairs."""
    with Store(db_path):
        pass
    conn = _raw(db_path)
    conn.execute("DROP TRIGGER events_no_replace")
    conn.close()
    before = _schema(db_path)
    with Store(db_path) as store, store.transaction():
        store.append([_prepared(sample_event, i) for i in range(1, 4)])
    assert _schema(db_path) == before


def test_a_listener_failing_after_a_bulk_write_rolls_the_whole_transaction_back(
    db_path: Path, sample_event: Sample, file_state: FileState
) -> None:
    with Store(db_path) as store:
        store.append([_prepared(sample_event, 1)])
    before = file_state(db_path)

    def refuse(_store: Any, rows: Any) -> None:
        if any(r.seq == 3 for r in rows):
            raise StoreError("refused", field="seq", value=3)

    with Store(db_path) as store:
        store.listeners.append(refuse)
        with pytest.raises(StoreError, match="nothing was committed"), store.transaction():
            with pytest.raises(StoreError, match="refused"):
                store.append([_prepared(sample_event, 2), _prepared(sample_event, 3)])
            store.append([_prepared(sample_event, 4)])  # refused too: the transaction is torn
    assert file_state(db_path) == before
    with Store(db_path) as store:
        assert [r.seq for r in store.rows()] == [1]


def test_a_bulk_batch_with_record_keeping_rows_is_undone_alone_when_refused(
    tracker: Tracker, sample_event: Sample
) -> None:
    tracker.append(sample_event(1))
    store = tracker.store
    with store.transaction():
        store.append([_prepared(sample_event, 2)])
        bad = prepare(
            parse_event(
                {
                    **sample_event(3),
                    "type": "retract",
                    "refers_to": "no-such-event",
                    "reason": "test",
                }
            )
        )
        with pytest.raises(StoreError):
            store.append([_prepared(sample_event, 4), bad])
        store.append([_prepared(sample_event, 5)])
    assert [r.event_id for r in store.rows()] == [
        sample_event(1)["event_id"],
        sample_event(2)["event_id"],
        sample_event(5)["event_id"],
    ]
