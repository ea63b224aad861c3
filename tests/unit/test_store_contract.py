"""The ``Store`` protocol's contract, through the protocol alone: every backend must pass these
unchanged (the ``store_factory`` fixture in conftest.py is parametrised over the backends)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.models import parse_event
from tracker.errors import ConflictError, StoreError
from tracker.store import GENESIS_HASH, BulkListener, Row, RowFilter, Store, chain_hash, prepare
from tracker.store.derived import LAYOUT
from tracker.store.rows import Prepared

T0 = datetime(2026, 1, 1, tzinfo=UTC)
StoreFactory = Callable[[], Store]


def event(
    n: int, day: str = "2024-01-01", actor: str = "PRK", target: str = "RUS", **more: Any
) -> Prepared:
    return prepare(
        parse_event(
            {
                "event_id": f"e{n}",
                "type": "praise",
                "actor": actor,
                "target": target,
                "occurred_on": day,
                **more,
            }
        )
    )


def test_an_empty_store_has_the_genesis_head(store: Store) -> None:
    assert tuple(store.head()) == (0, GENESIS_HASH, None)
    assert store.count() == 0
    assert list(store.rows()) == []


def test_appends_are_numbered_and_chained_from_the_genesis_hash(store: Store) -> None:
    results = store.append([event(1), event(2)], recorded_at=T0)
    assert [r.seq for r in results] == [1, 2]
    rows = list(store.rows())
    prev = GENESIS_HASH
    for row in rows:
        assert row.hash == chain_hash(prev, row.body, row.seq, row.recorded_at)
        prev = row.hash
    assert store.head() == (2, prev, "2026-01-01T00:00:00.000000Z")


def test_an_identical_event_again_is_a_no_op_and_another_under_its_id_conflicts(
    store: Store,
) -> None:
    (first,) = store.append([event(1)], recorded_at=T0)
    (again,) = store.append([event(1)], recorded_at=T0)
    assert (again.seq, again.hash, again.created) == (first.seq, first.hash, False)
    with pytest.raises(ConflictError) as info:
        store.append([event(1, day="2024-02-02")], recorded_at=T0)
    assert (info.value.field, info.value.value) == ("event_id", "e1")
    assert store.count() == 1


def test_transaction_time_never_goes_backwards(store: Store) -> None:
    store.append([event(1)], recorded_at=T0)
    with pytest.raises(StoreError) as info:
        store.append([event(2)], recorded_at=T0 - timedelta(seconds=1))
    assert info.value.field == "recorded_at"
    (late,) = store.append([event(3)], clock=lambda: T0 - timedelta(days=1))
    assert store.head().recorded_at == "2026-01-01T00:00:00.000000Z" and late.seq == 2


def test_a_transaction_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.append([event(1)], recorded_at=T0)
        store.append([event(2)], recorded_at=T0)
        raise RuntimeError("abort")
    assert store.count() == 0
    with store.transaction():
        store.append([event(1)], recorded_at=T0)
        with pytest.raises(ConflictError):
            store.append([event(1, day="2024-03-03")], recorded_at=T0)  # undoes only itself
        store.append([event(2)], recorded_at=T0)
    assert store.count() == 2


def test_a_second_connection_sees_committed_appends(store_factory: StoreFactory) -> None:
    writer, reader = store_factory(), store_factory()
    writer.append([event(1)], recorded_at=T0)
    assert reader.head().seq == 1


def test_listeners_run_inside_the_append_and_can_refuse_it(store: Store) -> None:
    seen: list[list[str]] = []

    def listener(s: Store, rows: Sequence[Row]) -> None:
        seen.append([r.event_id for r in rows])
        if any(r.event_id == "bad" for r in rows):
            raise StoreError("refused")

    store.listeners.append(listener)
    store.append([event(1), event(2)], recorded_at=T0)
    with pytest.raises(StoreError):
        store.append([prepare(parse_event({**_flat(3), "event_id": "bad"}))], recorded_at=T0)
    assert seen == [["e1", "e2"], ["bad"]] and store.count() == 2


def _flat(n: int) -> dict[str, Any]:
    return {"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"}


class Bulk:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, store: Store, rows: Sequence[Row]) -> None:
        self.calls.append(f"rows {len(rows)}")

    def begin_bulk(self) -> None:
        self.calls.append("begin")

    def end_bulk(self, store: Store) -> None:
        self.calls.append("end")

    def abort_bulk(self) -> None:
        self.calls.append("abort")


def test_bulk_listeners_are_told_where_a_transaction_begins_and_ends(store: Store) -> None:
    hook = Bulk()
    assert isinstance(hook, BulkListener)
    store.listeners.append(hook)
    with store.transaction():
        store.append([event(1)], recorded_at=T0)
    store.append([event(2)], recorded_at=T0)  # a lone append is not a bulk
    assert hook.calls == ["begin", "rows 1", "end", "rows 1"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["e1", "e2", "e3", "e4"]),
        ({"dyad": ("RUS", "PRK")}, ["e1", "e2", "e4"]),
        ({"actor": "USA"}, ["e3"]),
        ({"since": "2024-02-01"}, ["e2", "e3"]),
        ({"until": "2024-01-31"}, ["e1", "e4"]),
        ({"max_seq": 2}, ["e1", "e2"]),
        ({"limit": 1}, ["e1"]),
        ({"order": "occurred"}, ["e4", "e1", "e2", "e3"]),
        ({"order": "latest"}, ["e3", "e2", "e1", "e4"]),
        ({"types": ["praise"], "exclude_types": ["praise"]}, []),
    ],
)
def test_rows_filter_and_order(store: Store, filters: dict[str, Any], expected: list[str]) -> None:
    store.append(
        [
            event(1, "2024-01-10"),
            event(2, "2024-02-10"),
            event(3, "2024-03-10", "USA", "CUB"),
            event(4, "2024-01-01", "RUS", "PRK"),
        ],
        recorded_at=T0,
    )
    assert [r.event_id for r in store.rows(RowFilter(**filters))] == expected


def test_reads_by_dyad_and_position(store: Store) -> None:
    store.append([event(1, "2024-05-01"), event(2, "2024-01-01", "USA", "CUB")], recorded_at=T0)
    store.append([event(3, "2024-03-01", "RUS", "PRK")], recorded_at=T0 + timedelta(hours=1))
    assert store.dyads() == [("CUB", "USA"), ("PRK", "RUS")]
    assert store.dyads(party="USA") == [("CUB", "USA")]
    assert store.dyads(max_seq=1) == [("PRK", "RUS")]
    assert store.first_day("PRK", "RUS") == "2024-03-01"
    assert store.first_day("CHN", "RUS") is None
    assert [f.event_id for f in store.facts("PRK", "RUS")] == ["e1", "e3"]
    assert [f.event_id for f in store.facts("PRK", "RUS", since="2024-04-01")] == ["e1"]
    assert store.known_seq(T0 + timedelta(minutes=1)) == 2
    assert store.known_seq(3) == 3 and store.known_seq(None) is None
    # beyond the head, or on a day after today, the log cannot answer: the error names the head
    with pytest.raises(StoreError, match=r"beyond the end of the log .the log head is seq 3"):
        store.known_seq(7)
    with pytest.raises(StoreError, match="in the future"):
        store.known_seq(datetime(9000, 1, 1, tzinfo=UTC))
    assert store.row_by_id("e2") is not None and store.row_by_id("nope") is None
    assert [r[0] for r in store.chain()] == [1, 2, 3]
    assert store.chain_after(2) is not None and store.chain_after(3) is None


def test_latest_events_come_newest_first_and_say_whether_the_dyad_has_records(
    store: Store,
) -> None:
    retraction = prepare(
        parse_event(
            {
                "event_id": "r1",
                "type": "retract",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2024-01-10",
                "refers_to": "e1",
                "reason": "misreported",
            }
        )
    )
    store.append(
        [
            event(1, "2024-01-10", summary="first"),
            event(2, "2024-02-10", "RUS", "PRK"),
            event(3, "2024-03-10", "USA", "CUB"),
            retraction,
            event(4, "2024-01-01"),
        ],
        recorded_at=T0,
    )
    latest = store.latest_events("RUS", "PRK", "2024-12-31", None, 5)
    assert [(*r[:7], bool(r[7])) for r in latest] == [  # (SQLite says 1, PostgreSQL true)
        (2, "e2", "2024-02-10", "praise", "RUS", "PRK", None, True),
        (1, "e1", "2024-01-10", "praise", "PRK", "RUS", "first", True),
        (5, "e4", "2024-01-01", "praise", "PRK", "RUS", None, True),
    ]
    # the record-keeping event is left out of the list, and counts only up to max_seq
    before_it = store.latest_events("PRK", "RUS", "2024-01-31", 3, 1)
    assert [(r[1], bool(r[7])) for r in before_it] == [("e1", False)]
    other = store.latest_events("CUB", "USA", "2024-12-31", None, 5)
    assert [(r[1], bool(r[7])) for r in other] == [("e3", False)]
    assert store.latest_events("PRK", "RUS", "2023-12-31", None, 5) == []


def record(n: int, kind: str, refers_to: str, actor: str = "PRK", target: str = "RUS") -> Prepared:
    more: dict[str, Any] = {"changes": {"summary": f"fixed {n}"}} if kind == "correct" else {}
    return prepare(
        parse_event(
            {
                "event_id": f"r{n}",
                "type": kind,
                "actor": actor,
                "target": target,
                "occurred_on": "2024-06-01",
                "refers_to": refers_to,
                "reason": "misreported",
                **more,
            }
        )
    )


def indexes(store: Store) -> set[str]:
    """The names of the indexes on the log's table, as the backend lists them."""
    from tracker.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        found = store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {str(r[0]) for r in found}
    query = "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'events'"
    return {str(r[0]) for r in store.conn.execute(query, (store.schema,))}  # type: ignore[attr-defined]


def test_a_dyads_records_are_found_among_many_of_other_dyads_before_and_after_the_upgrade(
    store: Store,
) -> None:
    from tracker.checkpoints import ensure_schema
    from tracker.store.derived import RECORDS_INDEX

    others = [event(n, "2024-01-01", "CUB", "USA") for n in range(100, 140)]
    store.append(
        [
            event(1, "2024-01-10"),
            event(2, "2024-02-10", "RUS", "PRK"),
            *others,
            *(record(n, "retract" if n % 2 else "correct", f"e{n}", "CUB", "USA")
              for n in range(100, 140)),
            record(1, "correct", "e1", "RUS", "PRK"),
            event(3, "2024-03-10"),
            record(2, "retract", "e2"),
        ],
        recorded_at=T0,
    )  # fmt: skip
    types = ["correct", "retract"]

    def answers() -> list[Any]:
        return [
            [r.event_id for r in store.rows(RowFilter(dyad=("RUS", "PRK"), types=types))],
            [r.event_id for r in store.rows(RowFilter(dyad=("PRK", "RUS"), types=["retract"]))],
            [r.seq for r in store.rows(RowFilter(dyad=("PRK", "RUS"), types=types, max_seq=83))],
            len(list(store.rows(RowFilter(dyad=("CUB", "USA"), types=types)))),
            [r.event_id for r in store.rows(RowFilter(types=types, refers_to="e2"))],
            [(r[1], bool(r[7])) for r in store.latest_events("PRK", "RUS", "2024-12-31", None, 5)],
            [(r[1], bool(r[7])) for r in store.latest_events("PRK", "RUS", "2024-12-31", 83, 5)],
            [(r[1], bool(r[7])) for r in store.latest_events("PRK", "RUS", "2024-12-31", 82, 5)],
        ]

    expected = [
        ["r1", "r2"],
        ["r2"],
        [83],
        40,
        ["r2"],
        [("e3", True), ("e2", True), ("e1", True)],
        [("e2", True), ("e1", True)],
        [("e2", False), ("e1", False)],
    ]
    # a store whose derived tables are of an older layout (here: none yet) lacks the index,
    # and its records are still found
    assert RECORDS_INDEX not in indexes(store)
    assert answers() == expected
    with store.transaction():
        assert ensure_schema(store)  # what opening it for writing does
    assert RECORDS_INDEX in indexes(store) and store.derived_layout() == LAYOUT
    assert answers() == expected
    with store.transaction():
        store.create_derived("an older one")  # the tables again: the index stays
        assert ensure_schema(store)
    assert RECORDS_INDEX in indexes(store)
    assert answers() == expected


def test_facts_by_dyad_gives_each_dyads_facts_in_day_order_dyads_in_party_order(
    store: Store,
) -> None:
    store.append(
        [
            event(1, "2024-05-01"),
            event(2, "2024-01-01", "USA", "CUB"),
            event(3, "2024-03-01", "RUS", "PRK"),
            event(4, "2024-03-01"),
        ],
        recorded_at=T0,
    )
    with store.snapshot():
        grouped = [(d, [f.event_id for f in fs]) for d, fs in store.facts_by_dyad()]
        assert grouped == [(("CUB", "USA"), ["e2"]), (("PRK", "RUS"), ["e3", "e4", "e1"])]
        assert [(d, [f.event_id for f in fs]) for d, fs in store.facts_by_dyad(max_seq=2)] == [
            (("CUB", "USA"), ["e2"]),
            (("PRK", "RUS"), ["e1"]),
        ]
        for dyad, facts in store.facts_by_dyad():
            assert sorted(facts) == sorted(store.facts(*dyad))  # the same facts as one by one
    assert list(store.facts_by_dyad(max_seq=0)) == []


def test_derived_tables_are_created_written_read_and_cleared(store: Store) -> None:
    assert store.derived_layout() is None
    with store.transaction():
        store.create_derived(LAYOUT)
        store.put_projection_meta({"model": "{}", "fingerprint": "f"})
        row = ("PRK", "RUS", "2024-01-01", 1.0, 0.0, 1.0, 0.0, "cordial", 1, 0, 0, 0, 1)
        later = ("PRK", "RUS", "2024-02-01", 2.0, 0.0, 2.0, 0.0, "cordial", 2, 0, 0, 0, 2)
        store.write_checkpoints([row, later], [("PRK", "RUS", "2024-02-01", '{"x":1}')])
    assert store.derived_layout() == LAYOUT
    assert store.projection_meta()["fingerprint"] == "f"
    assert [c[0] for c in store.checkpoints("PRK", "RUS")] == ["2024-01-01", "2024-02-01"]
    assert store.checkpoints("PRK", "RUS")[1][-1] == '{"x":1}'
    assert store.checkpoints("PRK", "RUS")[0][-1] is None
    on = store.checkpoint_before("PRK", "RUS", "2024-02-01", inclusive=True)
    before = store.checkpoint_before("PRK", "RUS", "2024-02-01", inclusive=False)
    assert on is not None and on[0] == "2024-02-01"
    assert before is not None and before[0] == "2024-01-01"
    assert store.checkpoint_dyads("2024-01-15") == [("PRK", "RUS")]
    assert store.checkpoint_dyads("2023-12-31") == []
    assert list(store.scan_checkpoints()) == [row, later]
    assert list(store.scan_structure()) == [("PRK", "RUS", "2024-02-01", '{"x":1}')]
    assert store.derived_dyads() == {("PRK", "RUS")}
    with store.transaction():
        store.clear_checkpoints(("PRK", "RUS"), "2024-02-01")
    assert [c[0] for c in store.checkpoints("PRK", "RUS")] == ["2024-01-01"]
    with store.transaction():
        store.clear_checkpoints()
    assert store.checkpoints("PRK", "RUS") == [] and store.derived_dyads() == set()


def test_a_snapshot_reads_one_log(store_factory: StoreFactory) -> None:
    reader, writer = store_factory(), store_factory()
    writer.append([event(1)], recorded_at=T0)
    with reader.snapshot():
        assert reader.head().seq == 1
        writer.append([event(2)], recorded_at=T0)
        assert reader.head().seq == 1
    assert reader.head().seq == 2
