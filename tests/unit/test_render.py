"""The one rendering module: signed numbers never read -0.0, counts agree with their nouns,
CSV survives any text, and a long cell never breaks a table's columns."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.render import _simple_table, csv_text, plural, signed, table


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (-0.04, 1, "+0.0"),
        (-0.0, 1, "+0.0"),
        (-1e-12, 3, "+0.000"),
        (-0.06, 1, "-0.1"),
        (0.05001, 1, "+0.1"),
        (47.25, 2, "+47.25"),
        (-93.7, 1, "-93.7"),
    ],
)
def test_signed_numbers_never_read_minus_zero(value: float, digits: int, shown: str) -> None:
    assert signed(value, digits) == shown


@pytest.mark.parametrize(
    ("n", "word", "shown"),
    [(0, "checkpoint", "0 checkpoints"), (1, "checkpoint", "1 checkpoint"), (2, "row", "2 rows")],
)
def test_plural_agrees_with_the_count(n: int, word: str, shown: str) -> None:
    assert plural(n, word) == shown


def test_csv_round_trips_commas_quotes_newlines_and_empty_values() -> None:
    rows = [
        {"dyad": ["PRK", "RUS"], "summary": 'Kim says "yes", then\nno', "weight": None},
        {"dyad": ["CUB", "USA"], "summary": "plain", "weight": -0.5, "extra": "left out"},
    ]
    text = csv_text(["party_a", "party_b", "summary", "weight"], rows)
    assert list(csv.reader(io.StringIO(text))) == [
        ["party_a", "party_b", "summary", "weight"],
        ["PRK", "RUS", 'Kim says "yes", then\nno', ""],
        ["CUB", "USA", "plain", "-0.5"],
    ]


def test_csv_cells_for_booleans_and_lists() -> None:
    text = csv_text(["ok", "effects"], [{"ok": True, "effects": ["a", "b"]}])
    assert list(csv.reader(io.StringIO(text)))[1] == ["true", '["a", "b"]']


def test_a_long_cell_does_not_break_the_columns() -> None:
    rows = [("1", "support_at_international_body", "PRK→RUS"), ("22", "praise", "RUS→PRK")]
    lines = table(("seq", "type", "parties"), rows, right=(0,)).splitlines()
    starts = {
        line.index(cell) for line, cell in zip(lines[2:], ("PRK→RUS", "RUS→PRK"), strict=True)
    }
    assert len(starts) == 1  # the third column starts at the same place on every row
    assert lines[2].split()[0] == "1" and lines[2].index("1") == lines[3].index("22") + 1


_CELL = st.lists(
    st.sampled_from(
        [*"ab Z09-_.,:()'\"", "→", "–", "…", "é", "ß", "ж", "界", "\u0301", "\n", "\t", "\x1b[31m"]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(_CELL, min_size=0, max_size=4),
    body=st.lists(st.lists(_CELL, min_size=0, max_size=4), max_size=4),
    right=st.sets(st.integers(0, 3)),
    indent=st.sampled_from(["", "    "]),
)
def test_tables_are_laid_out_as_tabulate_lays_them_out(
    header: list[str], body: list[list[str]], right: set[int], indent: str
) -> None:
    from tabulate import tabulate

    align = ["right" if i in right else "left" for i in range(len(header))]
    expected = tabulate(
        body, headers=header, tablefmt="simple", disable_numparse=True, colalign=align
    )
    shown = "\n".join((indent + line).rstrip() for line in expected.splitlines())
    assert table(header, body, right=tuple(right), indent=indent) == shown


def test_the_state_commands_table_is_laid_out_without_importing_tabulate() -> None:
    rows = [("2024-12-04", "ratify_treaty", "RUS→PRK", "Rudenko and Kim exchange…")]
    assert _simple_table(("occurred", "type", "parties", "summary"), [list(rows[0])], ()) == (
        "occurred    type           parties    summary\n"
        "----------  -------------  ---------  -------------------------\n"
        "2024-12-04  ratify_treaty  RUS→PRK    Rudenko and Kim exchange…"
    )
