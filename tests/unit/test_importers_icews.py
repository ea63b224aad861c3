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


# -- real-file quirks: readr extracts and the Dataverse yearly layout ---------------------------

READR = FIXTURE.parent / "readr-extract.tsv"
DATAVERSE = FIXTURE.parent / "events.2018.sample.tab"


def test_the_quirks_fixture_has_a_bom_crlf_na_quotes_and_sector_lists() -> None:
    raw = READR.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 9 and raw.count(b"\n") == 9
    assert b"\tNA\t" in raw and b"\t      NA\t" in raw
    assert b'\t"Mohammed ""Abu Ali"" Hassan"\t' in raw
    assert b"\tExecutive,Executive Office,Government\t" in raw


@pytest.mark.parametrize("path", [READR, DATAVERSE], ids=["readr", "dataverse"])
def test_missing_countries_are_filtered_and_counted_not_errors(path: Path) -> None:
    rows = rows_of(path)
    skipped = [r for r in rows if isinstance(r, Skip)]
    assert [(s.line, s.reason, s.error) for s in skipped] == [
        (3, NOT_STATE_TO_STATE, None),  # Source Country NA (or empty)
        (4, NOT_STATE_TO_STATE, None),  # Target Country "      NA" (readr 1.2 pads NA)
    ]
    assert len([r for r in rows if isinstance(r, Item)]) == 6


@pytest.mark.parametrize("path", [READR, DATAVERSE], ids=["readr", "dataverse"])
def test_both_layouts_give_the_same_parties_and_fields(path: Path) -> None:
    got = bodies(rows_of(path))
    assert {k: (b["actor"], b["target"]) for k, b in got.items()} == {
        "icews:30000001": ("RUS", "USA"),
        "icews:30000004": ("PSE", "ISR"),
        "icews:30000005": ("MKD", "GRC"),
        "icews:30000006": ("COG", "COD"),
        "icews:30000007": ("KOR", "JPN"),
        "icews:30000008": ("CHN", "PRK"),
    }
    assert (
        got["icews:30000001"]["summary"] == "ICEWS: Vladimir Putin Praise or endorse Donald Trump"
    )
    assert got["icews:30000004"]["source"] == "ICEWS story 40000004"  # Publisher missing
    assert got["icews:30000008"]["source"] == "Example Herald"  # Story ID missing
    assert got["icews:30000007"]["cameo_code"] == "121"


def test_readr_quoting_is_undone_and_dataverse_quotes_are_text() -> None:
    readr = bodies(rows_of(READR))["icews:30000004"]["summary"]
    dataverse = bodies(rows_of(DATAVERSE))["icews:30000004"]["summary"]
    assert readr == 'ICEWS: Mohammed "Abu Ali" Hassan Criticize or denounce Israeli Defense Forces'
    assert (
        dataverse == 'ICEWS: Mohammed "Abu Ali Hassan Criticize or denounce Israeli Defense Forces'
    )


def test_readr_style_column_names_are_read(tmp_path: Path) -> None:
    lines = DATAVERSE.read_text(encoding="utf-8").splitlines()
    header = "\t".join(h.lower().replace(" ", "_") for h in lines[0].split("\t"))
    path = tmp_path / "snake.tsv"
    path.write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")
    assert bodies(rows_of(path)) == bodies(rows_of(DATAVERSE))
    from tracker.importers import detect

    assert detect(header.encode(), "snake.tsv") == "icews"


@pytest.mark.parametrize(
    ("column", "value"),
    [("Event Date", "NA"), ("Intensity", "NA"), ("CAMEO Code", "NA"), ("Event ID", "NA")],
)
def test_a_missing_required_value_is_an_error_naming_the_column(
    tmp_path: Path, column: str, value: str
) -> None:
    [row] = rows_of(with_row(tmp_path, "20000001", **{column.replace(" ", "_"): value}))
    assert isinstance(row, Skip) and row.error is not None
    assert row.error.field == column


# -- every ICEWS country name resolves ------------------------------------------------------------


def _icews_names() -> list[tuple[str, str, str]]:
    import csv
    from importlib import resources

    text = resources.files("events").joinpath("data", "icews_countries.csv").read_text("utf-8")
    return [(r["name"], r["party"], r["note"]) for r in csv.DictReader(text.splitlines())]


def test_the_icews_country_table_has_every_name_of_the_icews_list() -> None:
    names = [n for n, _, _ in _icews_names()]
    assert len(names) == len(set(names)) == 251
    assert {"Russian Federation", "the former Yugoslav Republic of Macedonia", "Congo"} <= set(
        names
    )


@pytest.mark.parametrize(("name", "party", "note"), _icews_names(), ids=lambda v: str(v)[:30])
def test_each_icews_country_name_becomes_its_party(
    tmp_path: Path, name: str, party: str, note: str
) -> None:
    from events.parties import parties, resolve

    [row] = rows_of(with_row(tmp_path, "20000001", Source_Country=name))
    if not party:
        assert note and isinstance(row, Skip) and row.reason == NOT_STATE_TO_STATE
        return
    assert party in parties()
    if not note:  # names without a note are plain names that resolve by themselves
        assert resolve(name) == party
    if party == "USA":  # the row's target: the same party on both sides is not an event
        assert isinstance(row, Skip) and row.reason == NOT_STATE_TO_STATE
        return
    assert isinstance(row, Item), row
    assert row.prepared.actor == party


def test_a_continuator_named_before_it_existed_is_recorded_under_its_predecessor(
    tmp_path: Path,
) -> None:
    [row] = rows_of(
        with_row(tmp_path, "20000001", Source_Country="Serbia", Event_Date="1999-03-24")
    )
    assert isinstance(row, Item)
    assert row.prepared.actor == "YUG"
    assert prepare(parse_event(json.loads(row.prepared.body))) == row.prepared


def test_a_state_named_outside_its_lifetime_is_an_error_naming_the_dates(tmp_path: Path) -> None:
    [row] = rows_of(
        with_row(tmp_path, "20000001", Target_Country="Montenegro", Event_Date="1999-03-24")
    )
    assert isinstance(row, Skip) and row.error is not None
    assert row.error.field == "Target Country"
    assert "from 2006-06-03, not on 1999-03-24" in row.error.message
