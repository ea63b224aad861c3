"""The ICEWS reader on the synthetic fixture (tests/data/icews, real header) and edited rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events.models import parse_event
from tracker.importers import NOT_STATE_TO_STATE, ImportFormatError, Item, Skip
from tracker.importers.icews import read
from tracker.importers.inputs import open_sources
from tracker.store import prepare

FIXTURE = Path(__file__).parents[1] / "data" / "icews" / "events.20140318.tab"
LINES = FIXTURE.read_text(encoding="utf-8").splitlines()
HEADER = LINES[0].split("\t")


def rows_of(path: Path) -> list[Item | Skip]:
    out: list[Item | Skip] = []
    for src in open_sources(path):
        out.extend(read(src))
    return out


def with_row(tmp_path: Path, event_id: str, **changes: str) -> Path:
    line = next(x for x in LINES[1:] if x.split("\t")[0] == event_id)
    fields = line.split("\t")
    for column, value in changes.items():
        fields[HEADER.index(column.replace("_", " "))] = value
    path = tmp_path / "icews.tab"
    path.write_text(LINES[0] + "\n" + "\t".join(fields) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fixture_rows() -> list[Item | Skip]:
    return rows_of(FIXTURE)


def bodies(rows: list[Item | Skip]) -> dict[str, dict[str, object]]:
    out = {}
    for r in rows:
        if isinstance(r, Item):
            body = json.loads(r.prepared.body)
            out[body["event_id"]] = body
    return out


def test_the_fixture_keeps_ten_of_twelve_rows(fixture_rows: list[Item | Skip]) -> None:
    assert len(fixture_rows) == 12
    kept = [r for r in fixture_rows if isinstance(r, Item)]
    assert len(kept) == 10
    skipped = {r.line: r for r in fixture_rows if isinstance(r, Skip)}
    assert set(skipped) == {5, 6}  # Japan on both sides; no target country
    assert all(s.reason == NOT_STATE_TO_STATE and s.error is None for s in skipped.values())


@pytest.mark.parametrize(
    ("event_id", "expected"),
    [
        (
            "icews:20000001",
            {
                "type": "statement",
                "actor": "RUS",
                "target": "USA",
                "weight": 0.0,
                "occurred_on": "2014-03-18",
                "confidence": 0.5,
                "source": "Example Wire (ICEWS story 90000001)",
                "summary": "ICEWS: Russia Make statement United States",
            },
        ),
        ("icews:20000003", {"type": "host_visit", "actor": "CHN", "target": "JPN", "weight": 2.8}),
        ("icews:20000006", {"type": "threaten_force", "actor": "PRK", "target": "KOR"}),
        # ICEWS-only code 1213 is filed under its parent 121, Intensity kept
        (
            "icews:20000007",
            {"type": "cameo", "cameo_code": "121", "actor": "ISR", "target": "PSE", "weight": -4.0},
        ),
        # a signed agreement is never structural when it comes from coded data
        ("icews:20000009", {"type": "cameo", "cameo_code": "057", "weight": 8.0}),
        ("icews:20000010", {"type": "cameo", "cameo_code": "190", "weight": -10.0}),
        ("icews:20000011", {"type": "accuse", "actor": "XKX", "target": "SRB"}),
        ("icews:20000012", {"type": "intent_to_cooperate", "actor": "COD", "target": "COG"}),
    ],
)
def test_rows_become_these_events(
    fixture_rows: list[Item | Skip], event_id: str, expected: dict[str, object]
) -> None:
    body = bodies(fixture_rows)[event_id]
    for key, value in expected.items():
        assert body[key] == value, key


def test_fast_bodies_equal_the_validated_model(fixture_rows: list[Item | Skip]) -> None:
    for r in fixture_rows:
        if isinstance(r, Item):
            assert prepare(parse_event(json.loads(r.prepared.body))) == r.prepared


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"Event_Date": "2014-02-30"}, "Event Date", "2014-02-30"),
        ({"Event_Date": "18/03/2014"}, "Event Date", "18/03/2014"),
        ({"Source_Country": "Atlantis"}, "Source Country", "Atlantis"),
        ({"Target_Country": "Narnia"}, "Target Country", "Narnia"),
        ({"CAMEO_Code": "999"}, "CAMEO Code", "999"),
        ({"Intensity": "-11"}, "Intensity", "-11"),
        ({"Intensity": ""}, "Intensity", ""),
        ({"Event_ID": "id with spaces"}, "Event ID", "id with spaces"),
    ],
)
def test_bad_values_name_line_field_and_value(
    tmp_path: Path, changes: dict[str, str], field: str, value: str
) -> None:
    [row] = rows_of(with_row(tmp_path, "20000001", **changes))
    assert isinstance(row, Skip) and row.error is not None
    assert row.line == 2
    assert (row.error.field, row.error.value) == (field, value)
    assert repr(value) in row.error.message


def test_a_wrong_column_count_is_an_invalid_row(tmp_path: Path) -> None:
    path = tmp_path / "short.tab"
    path.write_text(LINES[0] + "\n" + "\t".join(LINES[1].split("\t")[:12]) + "\n", encoding="utf-8")
    [row] = rows_of(path)
    assert isinstance(row, Skip) and row.reason == "wrong column count"
    assert row.error is not None and row.error.value == 12


def test_a_header_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noheader.tab"
    path.write_text("\t".join(c for c in HEADER if c != "Intensity") + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError) as info:
        rows_of(path)
    assert info.value.line == 1 and "Intensity" in str(info.value)


def test_columns_are_found_by_name_not_position(tmp_path: Path) -> None:
    order = list(reversed(range(len(HEADER))))
    path = tmp_path / "reordered.tab"
    path.write_text(
        "\n".join("\t".join(line.split("\t")[i] for i in order) for line in LINES) + "\n",
        encoding="utf-8",
    )
    assert [r.prepared for r in rows_of(path) if isinstance(r, Item)] == [
        r.prepared for r in rows_of(FIXTURE) if isinstance(r, Item)
    ]
