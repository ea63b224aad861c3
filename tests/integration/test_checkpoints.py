"""Materialised checkpoints: updated with each append, recomputed only where needed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tracker.api import Tracker
from tracker.checkpoints import Projector


def ev(
    i: int, day: str, actor: str = "PRK", target: str = "RUS", kind: str = "praise", **extra: Any
) -> dict[str, Any]:
    return {
        "type": kind,
        "actor": actor,
        "target": target,
        "occurred_on": day,
        "event_id": f"e{i}",
        **extra,
    }


@pytest.fixture
def recomputed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str | None]]:
    """Every (party_a, party_b, since) the projector recomputes, in order."""
    calls: list[tuple[str, str, str | None]] = []
    original = Projector.recompute

    def spy(self: Projector, a: str, b: str, since: str | None) -> None:
        calls.append((a, b, since))
        original(self, a, b, since)

    monkeypatch.setattr(Projector, "recompute", spy)
    return calls


def test_each_append_writes_one_checkpoint_per_dyad_and_day(tracker: Tracker) -> None:
    tracker.append_many(
        [
            ev(1, "2024-01-01"),
            ev(2, "2024-01-01"),
            ev(3, "2024-02-01"),
            ev(4, "2024-02-01", "USA", "CUB"),
        ]
    )
    rows = tracker.store.conn.execute(
        "SELECT party_a, party_b, day, events FROM checkpoints ORDER BY 1, 2, 3"
    ).fetchall()
    assert rows == [
        ("CUB", "USA", "2024-02-01", 1),
        ("PRK", "RUS", "2024-01-01", 2),
        ("PRK", "RUS", "2024-02-01", 3),
    ]


def test_a_backdated_event_recomputes_only_its_dyad_from_its_date(
    tracker: Tracker, recomputed: list[tuple[str, str, str | None]]
) -> None:
    tracker.append_many(
        [ev(1, "2024-01-01"), ev(2, "2024-03-01"), ev(3, "2024-01-01", "USA", "CUB")]
    )
    recomputed.clear()
    tracker.append(ev(4, "2024-02-01"))
    assert recomputed == [("PRK", "RUS", "2024-02-01")]
    days = [
        r[0]
        for r in tracker.store.conn.execute(
            "SELECT day FROM checkpoints WHERE party_a = 'PRK' ORDER BY day"
        )
    ]
    assert days == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_a_correction_that_moves_a_date_recomputes_the_whole_dyad(
    tracker: Tracker, recomputed: list[tuple[str, str, str | None]]
) -> None:
    tracker.append_many([ev(1, "2024-01-01"), ev(2, "2024-03-01")])
    recomputed.clear()
    tracker.correct("e2", {"occurred_on": "2023-06-01"}, reason="wrong year")
    assert recomputed == [("PRK", "RUS", None)]
    st = tracker.state("PRK", "RUS", as_of=date(2023, 12, 31))
    assert st.events == 1


def test_a_retracted_event_no_longer_counts(tracker: Tracker) -> None:
    tracker.append_many(
        [ev(1, "2024-01-01"), ev(2, "2024-01-02", kind="impose_sanctions", regime="R")]
    )
    assert tracker.state("PRK", "RUS", as_of=date(2024, 2, 1)).score.status.sanctions
    tracker.retract("e2", reason="misreported")
    st = tracker.state("PRK", "RUS", as_of=date(2024, 2, 1))
    assert st.score.status.sanctions == () and st.events == 1
    assert [e.event_id for e in st.last_events] == ["e1"]


def test_a_correction_changes_the_weight_used(tracker: Tracker) -> None:
    tracker.append(ev(1, "2024-01-01", summary="old"))
    before = tracker.state("PRK", "RUS", as_of=date(2024, 1, 1)).score.score
    tracker.correct("e1", {"confidence": 0.5, "summary": "new"}, reason="one source only")
    st = tracker.state("PRK", "RUS", as_of=date(2024, 1, 1))
    assert st.score.score == pytest.approx(before / 2)
    assert st.last_events[0].summary == "new"


def test_checkpoints_are_rebuilt_for_a_store_written_without_them(tmp_path: Any) -> None:
    from tracker.store import SQLiteStore as Store

    path = tmp_path / "plain.db"
    with Store(path) as store:
        from tracker.store.rows import prepare, to_event

        store.append([prepare(to_event(ev(1, "2024-01-01")))])
    with Tracker(path) as t:
        assert t.state("PRK", "RUS", as_of=date(2024, 1, 2)).events == 1


def test_a_bulk_transaction_recomputes_each_dyad_once_at_the_end(
    tracker: Tracker, recomputed: list[tuple[str, str, str | None]]
) -> None:
    tracker.append(ev(0, "2024-06-01"))
    recomputed.clear()
    from tracker.store.rows import prepare, to_event

    with tracker.store.transaction():
        tracker.store.append([prepare(to_event(ev(1, "2024-03-01")))])
        tracker.store.append([prepare(to_event(ev(2, "2024-01-01")))])
        tracker.store.append([prepare(to_event(ev(3, "2024-02-01", "USA", "CUB")))])
        assert recomputed == []
    assert recomputed == [("CUB", "USA", "2024-02-01"), ("PRK", "RUS", "2024-01-01")]
    bulk = dump_checkpoints(tracker)
    tracker.rebuild()
    with Tracker(tracker.path) as again:
        assert dump_checkpoints(again) == bulk


def test_a_failed_bulk_transaction_leaves_checkpoints_as_they_were(tracker: Tracker) -> None:
    tracker.append(ev(0, "2024-06-01"))
    before = dump_checkpoints(tracker)
    from tracker.store.rows import prepare, to_event

    with pytest.raises(RuntimeError), tracker.store.transaction():
        tracker.store.append([prepare(to_event(ev(1, "2024-03-01")))])
        raise RuntimeError("abort")
    assert dump_checkpoints(tracker) == before
    tracker.append(ev(2, "2024-07-01"))  # the projector is usable afterwards
    assert tracker.state("PRK", "RUS", as_of=date(2024, 7, 1)).events == 2


def dump_checkpoints(t: Tracker) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in t.store.conn.execute("SELECT * FROM checkpoints ORDER BY party_a, party_b, day")
    ]


def test_derived_tables_of_another_layout_are_dropped_and_rebuilt(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with Tracker(path) as t:
        t.append_many([ev(1, "2024-01-01"), ev(2, "2024-02-01", kind="sever_relations")])
        expected = dump_checkpoints(t)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE structure")
    conn.execute("UPDATE projection_meta SET value = '1' WHERE key = 'layout'")
    conn.execute("DELETE FROM checkpoints")
    conn.close()
    with Tracker(path, create=False) as t:
        assert dump_checkpoints(t) == expected
        assert t.state("PRK", "RUS", as_of=date(2024, 3, 1)).score.status.relations == "severed"


def test_a_large_batch_with_some_stored_ids_falls_back_to_exact_placement(tracker: Tracker) -> None:
    from tracker.store import OPTIMISTIC_BATCH

    first = [ev(i, "2024-01-01") for i in range(OPTIMISTIC_BATCH)]
    tracker.append_many(first)
    again = tracker.append_many(
        [*first, *(ev(i, "2024-01-02") for i in range(OPTIMISTIC_BATCH, OPTIMISTIC_BATCH + 10))]
    )
    assert sum(r.created for r in again) == 10
    assert [r.seq for r in again[:3]] == [1, 2, 3]
    assert tracker.head().seq == OPTIMISTIC_BATCH + 10
    assert tracker.state("PRK", "RUS", as_of=date(2024, 1, 3)).events == OPTIMISTIC_BATCH + 10


def _bulk_into_empty_store(path: Any, monkeypatch: pytest.MonkeyPatch, fresh: bool) -> Any:
    """A bulk transaction into an empty store (out-of-order days, several dyads, structural
    and record-keeping events, a correction that moves an event); ``fresh=False`` forces the
    per-dyad recomputation that a bulk into a non-empty store takes."""
    from tracker.store.rows import prepare, to_event

    if not fresh:
        original = Projector.begin_bulk

        def per_dyad(self: Projector) -> None:
            original(self)
            self._fresh = False

        monkeypatch.setattr(Projector, "begin_bulk", per_dyad)
    with Tracker(path) as t:
        with t.store.transaction():
            t.store.append([prepare(to_event(ev(1, "2024-03-01")))])
            t.store.append([prepare(to_event(ev(2, "2024-01-01", "USA", "CUB")))])
            t.store.append(
                [
                    prepare(to_event(ev(3, "2023-12-01", kind="sever_relations"))),
                    prepare(to_event(ev(4, "2024-02-01", "CUB", "USA", weight=-3.5))),
                    prepare(to_event(ev(5, "2024-01-15", "FRA", "DEU"))),
                ]
            )
            t.store.append(
                [
                    prepare(
                        to_event(
                            ev(
                                6,
                                "2024-02-10",
                                "CUB",
                                "USA",
                                kind="retract",
                                refers_to="e4",
                                reason="r",
                            )
                        )
                    )
                ]
            )
            t.store.append(
                [
                    prepare(
                        to_event(
                            ev(
                                7,
                                "2024-03-01",
                                kind="correct",
                                refers_to="e1",
                                reason="date",
                                changes={"occurred_on": "2023-11-01", "confidence": 0.5},
                            )
                        )
                    )
                ]
            )
        return dump_checkpoints(t), dump_structure(t)


def dump_structure(t: Tracker) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in t.store.conn.execute("SELECT * FROM structure ORDER BY party_a, party_b, day")
    ]


def test_a_bulk_into_an_empty_store_folds_every_dyad_as_the_per_dyad_recomputation(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, recomputed: list[Any]
) -> None:
    one_pass = _bulk_into_empty_store(tmp_path / "a.db", monkeypatch, fresh=True)
    assert recomputed == []  # one pass over the log, no query per dyad
    per_dyad = _bulk_into_empty_store(tmp_path / "b.db", monkeypatch, fresh=False)
    assert len(recomputed) == 3
    assert one_pass[0] and one_pass[1]
    assert one_pass == per_dyad
    with Tracker(tmp_path / "a.db") as t:
        t.rebuild()
        assert (dump_checkpoints(t), dump_structure(t)) == one_pass
