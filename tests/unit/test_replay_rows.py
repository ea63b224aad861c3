"""Replay compares a dyad's rows exactly: same types, floats bit for bit (its fast `==` path
included)."""

from __future__ import annotations

from typing import Any

import pytest

from tracker.replay import _Rows, _same_rows

ROW = ("2024-01-02", 1.5, -2.25, 3.0, 0.5, "cordial", 1, 2, 3, 4, 10)


def _with(i: int, value: Any) -> tuple[Any, ...]:
    return (*ROW[:i], value, *ROW[i + 1 :])


@pytest.mark.parametrize(
    ("stored", "replayed", "same"),
    [
        (ROW, ROW, True),
        (ROW, list(ROW), True),
        (_with(1, 0.0), _with(1, 0.0), True),
        (_with(1, 0.0), _with(1, -0.0), False),
        (_with(1, -0.0), _with(1, 0.0), False),
        (_with(3, 3), _with(3, 3.0), False),  # an integer where a float was computed
        (_with(6, 1.0), _with(6, 1), False),
        (_with(6, 0), _with(6, 0.0), False),
        (_with(6, True), _with(6, 1), False),
        (_with(1, 1.5000000000000002), ROW, False),
        (_with(5, "friendly"), ROW, False),
        (ROW[:-1], ROW, False),
    ],
)
def test_rows_are_the_same_only_when_identical(
    stored: tuple[Any, ...], replayed: tuple[Any, ...], same: bool
) -> None:
    assert _same_rows([stored], [replayed]) is same
    assert _same_rows([ROW, stored], [ROW, replayed]) is same  # wherever the row is


@pytest.mark.parametrize(
    ("stored", "replayed"),
    [([ROW], []), ([], [ROW]), ([ROW, ROW], [ROW]), ([ROW], [ROW, ROW])],
)
def test_a_row_missing_on_either_side_differs(
    stored: list[tuple[Any, ...]], replayed: list[tuple[Any, ...]]
) -> None:
    assert _same_rows(stored, replayed) is False
    assert _same_rows(replayed, stored) is False


def _stream(*counts: int) -> list[tuple[str, str, int]]:
    """Rows of dyads (A, B1), (A, B2), ... with that many rows each."""
    return [("A", f"B{d}", i) for d, n in enumerate(counts, 1) for i in range(n)]


@pytest.mark.parametrize("expected", [0, 1, 2, 3, 5, 50])
def test_stored_rows_are_taken_a_dyad_at_a_time_whatever_count_was_expected(
    expected: int,
) -> None:
    rows = _Rows(_stream(3, 1, 2))
    assert rows.key() == ("A", "B1")
    assert rows.take("A", "B0", expected) == []  # not next: nothing taken
    assert rows.take("A", "B1", expected) == _stream(3)
    assert rows.key() == ("A", "B2")
    assert rows.take("A", "B2", expected) == [("A", "B2", 0)]
    assert rows.take("A", "B3", expected) == [("A", "B3", 0), ("A", "B3", 1)]
    assert rows.key() is None and rows.take("A", "B3", expected) == []
