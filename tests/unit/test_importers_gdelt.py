"""The GDELT reader on the real 710-row sample (tests/data/gdelt) and on edited rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.canonical import canonical_text
from events.models import parse_event
from events.vocabulary import cameo_codes, catalogue
from tracker.importers import NOT_STATE_TO_STATE, Item, Skip
from tracker.importers.cameo import Coded, coded_dict, coded_event
from tracker.importers.gdelt import confidence, read
from tracker.importers.inputs import open_sources
from tracker.store import prepare

SAMPLE = Path(__file__).parents[1] / "data" / "gdelt" / "events.csv"
SAMPLE_LINES = SAMPLE.read_text(encoding="utf-8").splitlines()


def rows_of(path: Path) -> list[Item | Skip]:
    out: list[Item | Skip] = []
    for src in open_sources(path):
        out.extend(read(src))
    return out


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "export.CSV"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def edited(gid: str, **columns: str) -> str:
    """A sample row (by GLOBALEVENTID) with some columns replaced (by 0-based index)."""
    line = next(x for x in SAMPLE_LINES if x.split("\t")[0] == gid)
    fields = line.split("\t")
    for index, value in columns.items():
        fields[int(index.lstrip("c"))] = value
    return "\t".join(fields)


@pytest.fixture(scope="module")
def sample() -> list[Item | Skip]:
    return rows_of(SAMPLE)


@pytest.fixture(scope="module")
def by_id(sample: list[Item | Skip]) -> dict[str, Item]:
    return {r.prepared.event_id: r for r in sample if isinstance(r, Item)}


def test_the_sample_has_710_rows_of_which_125_are_state_to_state(sample: list[Item | Skip]) -> None:
    assert len(sample) == 710
    kept = [r for r in sample if isinstance(r, Item)]
    skipped = [r for r in sample if isinstance(r, Skip)]
    assert len(kept) == 125
    assert len(skipped) == 585
    assert {s.reason for s in skipped} == {NOT_STATE_TO_STATE}
    assert all(s.error is None for s in skipped)  # filtered, not errors
    assert len({r.prepared.event_id for r in kept}) == 125


def test_rows_with_a_region_code_on_either_side_are_filtered(sample: list[Item | Skip]) -> None:
    regions = {"AFR", "EUR", "MEA", "WST"}
    lines = {r.line for r in sample if isinstance(r, Skip)}
    region_rows = [
        n
        for n, text in enumerate(SAMPLE_LINES, 1)
        if {text.split("\t")[7], text.split("\t")[17]} & regions
    ]
    assert len(region_rows) == 18  # 14 with two different codes, 4 with one side empty
    assert set(region_rows) <= lines


@pytest.mark.parametrize(
    ("gid", "expected"),
    [
        # 58 columns (daily update, with SOURCEURL); CAMEO 172 has no type of its own
        (
            "564111684",
            {
                "type": "cameo",
                "cameo_code": "172",
                "actor": "CAN",
                "target": "USA",
                "occurred_on": "2016-07-21",
                "weight": -5.0,
                "confidence": 0.6,
                "summary": "GDELT: VANCOUVER Impose administrative sanctions, not specified "
                "below WASHINGTON",
                "source": "http://neworleanscitybusiness.com/blog/2016/07/27/"
                "cities-turn-to-local-action-to-block-oil-trains/",
            },
        ),
        # 112 is the `accuse` type's own code (no structural effect)
        (
            "564111704",
            {
                "type": "accuse",
                "actor": "CHN",
                "target": "AUS",
                "weight": -2.0,
                "confidence": 0.5,
                "occurred_on": "2016-07-27",
            },
        ),
        # 57 columns (1982 backfile): no SOURCEURL; GoldsteinScale printed as an integer "3"
        (
            "1552999",
            {
                "type": "appeal",
                "actor": "GBR",
                "target": "USA",
                "weight": 3.0,
                "occurred_on": "1982-01-02",
                "confidence": 0.5,
                "summary": "GDELT: BRITISH Appeal, not specified below AMERICAN",
            },
        ),
        # 1312 -> threaten_sanctions (a type whose code is exactly 1312)
        (
            "1552839",
            {"type": "threaten_sanctions", "actor": "CAN", "target": "POL", "weight": -5.8},
        ),
    ],
)
def test_specific_rows_become_these_events(
    by_id: dict[str, Item], gid: str, expected: dict[str, object]
) -> None:
    body = json.loads(by_id[f"gdelt:{gid}"].prepared.body)
    assert body["event_id"] == f"gdelt:{gid}"
    for key, value in expected.items():
        assert body[key] == value, key
    if gid == "1552999":
        assert "source" not in body


@pytest.mark.parametrize("gid", ["564160066", "564137468", "564122970", "564111654"])
def test_specific_rows_are_filtered(sample: list[Item | Skip], gid: str) -> None:
    line = next(n for n, text in enumerate(SAMPLE_LINES, 1) if text.startswith(gid + "\t"))
    [row] = [r for r in sample if r.line == line]
    assert isinstance(row, Skip) and row.reason == NOT_STATE_TO_STATE and row.error is None


def test_every_kept_row_is_byte_identical_to_the_validated_model(sample: list[Item | Skip]) -> None:
    for row in sample:
        if isinstance(row, Item):
            data = json.loads(row.prepared.body)
            assert prepare(parse_event(data)) == row.prepared
            assert canonical_text(parse_event(data)) == row.prepared.body


def test_structural_types_are_never_produced_from_coded_data(sample: list[Item | Skip]) -> None:
    from tracker.importers.cameo import type_for_code

    for code in cameo_codes():
        info = catalogue()[type_for_code(code)]
        assert not info.effects, (code, info.name)
        assert info.cameo_code in (None, code)
    assert type_for_code("190") == "cameo"  # military_attack would start a war
    assert type_for_code("057") == "cameo"  # treaties need a name and change status
    assert type_for_code("036") == "intent_to_meet"  # first of two types with code 036
    assert type_for_code("161") == "recall_ambassador"  # not downgrade/sever (structural)


@pytest.mark.parametrize(
    ("sources", "expected"),
    [(0, 0.5), (1, 0.5), (2, 0.6), (3, 0.7), (4, 0.8), (5, 0.9), (6, 1.0), (158, 1.0)],
)
def test_confidence_rule(sources: int, expected: float) -> None:
    assert confidence(sources) == expected


# -- errors: each names the line, the field and the value ---------------------------------


@pytest.mark.parametrize(
    ("columns", "field", "value"),
    [
        ({"c1": "20161332"}, "SQLDATE", "20161332"),
        ({"c1": "2016-07-21"}, "SQLDATE", "2016-07-21"),
        ({"c7": "ZZZ"}, "Actor1CountryCode", "ZZZ"),
        ({"c17": "U5A"}, "Actor2CountryCode", "U5A"),
        ({"c26": "999"}, "EventCode", "999"),
        ({"c26": "12345"}, "EventCode", "12345"),
        ({"c30": "eleven"}, "GoldsteinScale", "eleven"),
        ({"c30": "11"}, "GoldsteinScale", "11"),
        ({"c30": "nan"}, "GoldsteinScale", "nan"),
        ({"c32": "many"}, "NumSources", "many"),
        ({"c0": "12x"}, "GLOBALEVENTID", "12x"),
    ],
)
def test_a_bad_value_is_an_invalid_row_naming_field_and_value(
    tmp_path: Path, columns: dict[str, str], field: str, value: str
) -> None:
    path = write(tmp_path, edited("564111704"), edited("564111684", **columns))
    first, second = rows_of(path)
    assert isinstance(first, Item)
    assert isinstance(second, Skip) and second.error is not None
    assert second.line == 2
    assert (second.error.field, second.error.value) == (field, value)
    assert field in second.error.message and repr(value) in second.error.message
    assert second.reason == f"invalid {field}"


@pytest.mark.parametrize("width", [10, 56, 59, 60, 62])
def test_a_wrong_column_count_is_an_invalid_row(tmp_path: Path, width: int) -> None:
    fields = edited("564111704").split("\t")
    fields = (fields + [""] * 10)[:width]
    [row] = rows_of(write(tmp_path, "\t".join(fields)))
    assert isinstance(row, Skip) and row.error is not None
    assert row.reason == "wrong column count"
    assert (row.error.field, row.error.value) == ("columns", width)


def test_gdelt_2_rows_with_61_columns_are_read(tmp_path: Path) -> None:
    fields = edited("564111684").split("\t")
    # 2.0 inserts an ADM2 code after each of the three ADM1 codes (1.0 indexes 38, 45, 52)
    for at in (53, 46, 39):
        fields.insert(at, "")
    assert len(fields) == 61
    [row] = rows_of(write(tmp_path, "\t".join(fields)))
    assert isinstance(row, Item)
    body = json.loads(row.prepared.body)
    assert body["source"].startswith("http://neworleanscitybusiness.com/")
    assert body["event_id"] == "gdelt:564111684"


def test_same_country_after_mapping_is_filtered(tmp_path: Path) -> None:
    [row] = rows_of(write(tmp_path, edited("564111684", c7="ROM", c17="ROU")))
    assert isinstance(row, Skip) and row.reason == NOT_STATE_TO_STATE


def test_gdelts_outdated_codes_map_to_the_current_iso_codes(tmp_path: Path) -> None:
    [row] = rows_of(write(tmp_path, edited("564111684", c7="ROM", c17="MTN")))
    assert isinstance(row, Item)
    assert (row.prepared.actor, row.prepared.target) == ("ROU", "MNE")


def test_a_continuator_coded_before_it_existed_is_recorded_under_its_predecessor(
    tmp_path: Path,
) -> None:
    [row] = rows_of(write(tmp_path, edited("564111684", c1="19850311", c7="RUS", c17="USA")))
    assert isinstance(row, Item)
    assert (row.prepared.actor, row.prepared.target) == ("SUN", "USA")
    assert prepare(parse_event(json.loads(row.prepared.body))) == row.prepared


def test_a_former_state_coded_after_it_ended_is_an_error_naming_its_dates(tmp_path: Path) -> None:
    [row] = rows_of(write(tmp_path, edited("564111684", c7="SUN")))
    assert isinstance(row, Skip) and row.error is not None
    assert row.error.field == "Actor1CountryCode"
    assert "1922-12-30 to 1991-12-25" in row.error.message
    assert "Russian Federation (RUS) continues it" in row.error.message


def test_blank_lines_and_crlf_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "crlf.CSV"
    path.write_bytes((edited("564111684") + "\r\n\r\n").encode())
    [row] = rows_of(path)
    assert isinstance(row, Item)
    assert json.loads(row.prepared.body)["source"].endswith("oil-trains/")


def test_text_that_pydantic_would_change_goes_through_the_validating_path(tmp_path: Path) -> None:
    [row] = rows_of(write(tmp_path, edited("564111684", c57="  http://x.example/a  ")))
    assert isinstance(row, Item)
    assert json.loads(row.prepared.body)["source"] == "http://x.example/a"
    [row] = rows_of(write(tmp_path, edited("564111684", c57="http://x.example/" + "a" * 2000)))
    assert isinstance(row, Skip) and row.error is not None and row.error.field == "source"


# -- the fast path is byte-identical to the validated model ------------------------------

_text = st.text(st.characters(codec="utf-8"), min_size=0, max_size=40)
_parties = st.sampled_from(["USA", "RUS", "PRK", "CHN", "XKX", "PSE", "TWN", "GBR"])


@settings(max_examples=400, deadline=None)
@given(
    code=st.sampled_from(sorted(cameo_codes())),
    a=_parties,
    b=_parties,
    gid=st.integers(0, 10**12),
    day=st.dates(),
    weight=st.floats(-10, 10),
    sources=st.integers(0, 200),
    url=st.none() | _text,
    name1=_text,
    name2=_text,
)
def test_fast_body_equals_validated_body(
    code: str,
    a: str,
    b: str,
    gid: int,
    day: object,
    weight: float,
    sources: int,
    url: str | None,
    name1: str,
    name2: str,
) -> None:
    from datetime import date

    from events.errors import TrackerError
    from events.parties import place
    from tracker.importers.cameo import code_table

    assert isinstance(day, date)
    try:  # the readers record parties as they stood on the day before building the body
        a, b = place(a, day).code, place(b, day).code
    except TrackerError:
        return
    if a == b:
        return
    type_name, description = code_table()[code]
    fields = Coded(
        type_name=type_name,
        event_id=f"gdelt:{gid}",
        actor=a,
        target=b,
        occurred_on=day.isoformat(),
        source=url,
        summary=f"GDELT: {name1} {description} {name2}",
        confidence=confidence(sources),
        weight=weight,
        cameo_code=code,
    )
    try:
        expected = prepare(parse_event(coded_dict(fields)))
    except TrackerError:
        with pytest.raises(TrackerError):
            coded_event(fields)
        return
    assert coded_event(fields) == expected


def test_summary_counts_by_country_pair(sample: list[Item | Skip]) -> None:
    pairs = Counter((r.prepared.actor, r.prepared.target) for r in sample if isinstance(r, Item))
    assert pairs[("USA", "RUS")] == 3 and pairs[("ISR", "EGY")] == 3
    assert sum(pairs.values()) == 125


@pytest.mark.parametrize("weight", [-10.0, -0.0, 0.0, 2.5, 10.0])
def test_every_cameo_code_builds_the_validated_body(weight: float) -> None:
    from tracker.importers.cameo import code_table

    for code, (type_name, description) in code_table().items():
        fields = Coded(
            type_name=type_name,
            event_id="gdelt:1",
            actor="PRK",
            target="RUS",
            occurred_on="2024-03-18",
            source='https://example.org/a?b=1&c="d"',
            summary=f"GDELT: NORTH KOREA {description} RUSSIA",
            confidence=0.7,
            weight=weight,
            cameo_code=code,
        )
        expected = prepare(parse_event(coded_dict(fields)))
        assert coded_event(fields) == expected, code
