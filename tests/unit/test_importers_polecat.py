"""The POLECAT / PLOVER reader on fixtures built from the PLOVER codebook, and its data table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from events.models import EVENT_CLASSES, parse_event
from events.vocabulary import cameo_codes, catalogue
from tracker.api import prepare
from tracker.importers import NOT_STATE_TO_STATE, ImportFormatError, Item, Skip, detect
from tracker.importers.inputs import open_sources
from tracker.importers.polecat import mapping_for, mappings, read

DATA = Path(__file__).parents[1] / "data" / "polecat"
TSV = DATA / "polecat.sample.txt"
JSONL = DATA / "plover.sample.jsonl"
CODEBOOK_MODES = {
    "AGREE": [],
    "CONSULT": ["visit", "third-party", "multilateral", "phone"],
    "SUPPORT": [],
    "CONCEDE": [],
    "COOPERATE": [],
    "AID": [],
    "RETREAT": ["withdraw", "release", "disarm", "ceasefire", "access", "resign"],
    "REQUEST": ["assist", "change", "yield", "meet"],
    "ACCUSE": ["disapprove", "investigate", "allege"],
    "REJECT": ["assist", "change", "yield", "meet"],
    "THREATEN": ["restrict", "arrest", "relations", "expel", "territory", "violence"],
    "PROTEST": ["demo", "riot", "strike", "hunger", "boycott", "obstruct", "vandalize"],
    "SANCTION": ["convict", "expel", "withdraw", "discontinue"],
    "MOBILIZE": ["troops", "weapons", "police", "militia"],
    "COERCE": [
        "seize",
        "restrict",
        "censor",
        "curfew",
        "martial-law",
        "arrest",
        "deport",
        "withhold",
        "misinformation",
        "cyber",
    ],
    "ASSAULT": [
        "abduct",
        "beat",
        "torture",
        "sexual",
        "targeted",
        "destroy",
        "primitive",
        "firearms",
        "explosives",
        "suicide-attack",
        "aerial",
        "drone",
        "heavy-weapons",
        "crowd-control",
        "unconventional",
    ],
}
"""Every event type of the PLOVER codebook (DRAFT 2.0) with the modes of its mode table."""


def rows_of(path: Path) -> list[Item | Skip]:
    out: list[Item | Skip] = []
    for src in open_sources(path):
        out.extend(read(src))
    return out


def bodies(rows: list[Item | Skip]) -> dict[str, dict[str, object]]:
    return {
        json.loads(r.prepared.body)["event_id"]: json.loads(r.prepared.body)
        for r in rows
        if isinstance(r, Item)
    }


def test_the_table_has_every_type_and_mode_of_the_codebook_exactly_once() -> None:
    expected = {(t, "") for t in CODEBOOK_MODES} | {
        (t, m) for t, modes in CODEBOOK_MODES.items() for m in modes
    }
    assert set(mappings()) == expected


@pytest.mark.parametrize("key", sorted(mappings()), ids=lambda k: f"{k[0]}/{k[1] or '-'}")
def test_each_row_maps_to_a_non_structural_type_with_a_known_code(key: tuple[str, str]) -> None:
    m = mappings()[key]
    info = catalogue()[m.type]
    assert not info.effects, "coded data never changes structure"
    required = [
        k
        for k, f in EVENT_CLASSES[m.type].specific_fields().items()
        if f.is_required() and k != "cameo_code"
    ]
    assert required == []
    assert m.cameo_code in cameo_codes()
    if m.type != "cameo":
        assert info.cameo_code == m.cameo_code
    assert -10 <= m.weight <= 10


@pytest.mark.parametrize(
    ("kind", "sign"),
    [
        ("AGREE", 1),
        ("CONSULT", 1),
        ("SUPPORT", 1),
        ("COOPERATE", 1),
        ("AID", 1),
        ("RETREAT", 1),
        ("ACCUSE", -1),
        ("REJECT", -1),
        ("THREATEN", -1),
        ("PROTEST", -1),
        ("SANCTION", -1),
        ("MOBILIZE", -1),
        ("COERCE", -1),
        ("ASSAULT", -1),
    ],
)
def test_weights_have_the_sign_of_the_quad_category(kind: str, sign: int) -> None:
    for (t, _), m in mappings().items():
        if t == kind:
            assert m.weight * sign > 0, m


@pytest.mark.parametrize(
    ("kind", "modes", "expected"),
    [
        ("CONSULT", ["visit"], ("visit", "042", 4.0)),
        ("consult", ["Phone"], ("phone_call", "041", 1.5)),
        ("ASSAULT", ["beat", "primitive"], ("cameo", "182", -7.5)),
        ("ASSAULT", ["unheard-of", "aerial"], ("cameo", "195", -9.5)),
        ("ASSAULT", ["heavy_weapons"], ("cameo", "194", -9.5)),
        ("ASSAULT", [], ("cameo", "180", -9.0)),
        ("SANCTION", ["discontinue"], ("cameo", "163", -6.0)),
        ("RETREAT", ["ceasefire"], ("cameo", "0871", 7.5)),
    ],
)
def test_a_type_and_its_modes_map_to_the_first_mode_the_table_knows(
    kind: str, modes: list[str], expected: tuple[str, str, float]
) -> None:
    m = mapping_for(kind, modes)
    assert (m.type, m.cameo_code, m.weight) == expected


def test_the_fixture_keeps_eight_rows_as_nine_events() -> None:
    rows = rows_of(TSV)
    skipped = [(r.line, r.reason, r.error) for r in rows if isinstance(r, Skip)]
    assert skipped == [
        (4, NOT_STATE_TO_STATE, None),
        (5, NOT_STATE_TO_STATE, None),
        (6, NOT_STATE_TO_STATE, None),
    ]
    got = bodies(rows)
    assert {k: (b["actor"], b["target"], b["type"]) for k, b in got.items()} == {
        "polecat:a0001_1/USA-RUS": ("USA", "RUS", "accuse"),
        "polecat:a0001_1/FRA-RUS": ("FRA", "RUS", "accuse"),
        "polecat:a0002_1": ("JPN", "USA", "visit"),
        "polecat:a0006_1": ("XKX", "SRB", "cameo"),
        "polecat:a0007_1": ("IND", "CHN", "cameo"),
        "polecat:a0008_1": ("GBR", "BLR", "cameo"),
        "polecat:a0009_1": ("DEU", "TUR", "cameo"),
        "polecat:a0010_1": ("RUS", "UKR", "cameo"),
        "polecat:a0011_1": ("BRA", "VEN", "threaten_force"),
    }


def test_the_original_codes_and_the_table_weight_are_kept_in_the_body() -> None:
    got = bodies(rows_of(TSV))
    aerial = got["polecat:a0010_1"]
    assert aerial["summary"] == "POLECAT ASSAULT/aerial [military]: Russian Air Force -> Ukraine"
    assert (aerial["cameo_code"], aerial["weight"], aerial["confidence"]) == ("195", -9.5, 0.5)
    assert got["polecat:a0006_1"]["summary"].startswith(
        "POLECAT REJECT/meet [diplomatic; territory]"
    )
    assert got["polecat:a0011_1"]["summary"].endswith(
        "Ministro da Defesa (São Paulo) -> Government of Venezuela"
    )


def test_every_kept_row_is_byte_identical_to_the_validated_model() -> None:
    for path in (TSV, JSONL):
        for row in rows_of(path):
            if isinstance(row, Item):
                assert prepare(parse_event(json.loads(row.prepared.body))) == row.prepared


def test_the_codebooks_plover_json_example_imports() -> None:
    got = bodies(rows_of(JSONL))
    assert got["polecat:PHOXv1-20160724-0042"] == {
        "actor": "USA",
        "target": "CAN",
        "type": "consult",
        "confidence": 0.5,
        "weight": 2.5,
        "event_id": "polecat:PHOXv1-20160724-0042",
        "occurred_on": "2016-07-24",
        "schema_version": 1,
        "summary": "POLECAT CONSULT: USA -> CAN",
    }
    assert got["polecat:PHOXv1-20160724-0043"]["source"] == "Example Gazette"


def test_both_layouts_are_detected_by_content() -> None:
    assert detect(TSV.read_bytes().splitlines()[0], "x") == "polecat"
    assert detect(JSONL.read_bytes().splitlines()[0], "x") == "polecat"
    assert detect(b'{"type": "praise", "actor": "PRK"}', "x") == "jsonl"


def _edited(tmp_path: Path, column: str, value: str, line: int = 2) -> Path:
    lines = TSV.read_bytes().split(b"\n")
    header = lines[0].decode().split("\t")
    fields = lines[line - 1].decode("utf-8").split("\t")
    fields[header.index(column)] = value
    path = tmp_path / "edited.txt"
    path.write_bytes(lines[0] + b"\n" + "\t".join(fields).encode() + b"\n")
    return path


@pytest.mark.parametrize(
    ("column", "value", "field", "words"),
    [
        ("Event Type", "DANCE", "Event Type", "not a PLOVER event type"),
        ("Event Type", "ACCUSE; REJECT", "Event Type", "one event type"),
        ("Event Date", "01/03/2023", "Event Date", "YYYY-MM-DD"),
        ("Actor Country", "Narnia", "Actor Country", "unknown country"),
        ("Recipient Country", "Korea", "Recipient Country", "ambiguous"),
        ("Event ID", "a b", "Event ID", "letters, digits"),
        ("Actor Country", "SUN", "Actor Country", "1922-12-30 to 1991-12-25"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_column_and_value(
    tmp_path: Path, column: str, value: str, field: str, words: str
) -> None:
    [row] = rows_of(_edited(tmp_path, column, value))
    assert isinstance(row, Skip) and row.error is not None
    assert row.error.field == field and words in row.error.message
    assert repr(value) in row.error.message


def test_a_file_without_the_polecat_columns_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("Event ID\tEvent Date\tEvent Type\n1\t2023-01-01\tAID\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="Actor Country"):
        rows_of(path)


def test_ids_come_from_the_source_so_they_are_stable() -> None:
    first = [r.prepared.event_id for r in rows_of(TSV) if isinstance(r, Item)]
    assert first == [r.prepared.event_id for r in rows_of(TSV) if isinstance(r, Item)]
    assert all(re.fullmatch(r"polecat:a00\d\d_1(/[A-Z]{3}-[A-Z]{3})?", i) for i in first)


def test_plovers_own_country_codes_are_non_states_or_known_parties() -> None:
    from events.parties import parties
    from tracker.importers.polecat import country_codes

    own = country_codes()
    assert {c for c, p in own.items() if p is None} == {
        "IGO",
        "UNO",
        "EUR",
        "NGO",
        "ISM",
        "IMG",
        "MNC",
    }
    assert all(p in parties() for p in own.values() if p is not None)
    assert own["KOS"] == "XKX"


def test_a_byte_that_is_not_utf8_is_refused_naming_the_column_line_and_byte(
    tmp_path: Path,
) -> None:
    # the Latin-1 spelling of "São Paulo" in row a0011_1 (line 12), as some exports have it
    path = tmp_path / "latin1.txt"
    path.write_bytes(TSV.read_bytes().replace("São".encode(), b"S\xe3o"))
    rows = rows_of(path)
    [bad] = [r for r in rows if isinstance(r, Skip) and r.error is not None]
    assert bad.line == 12 and bad.reason == "not UTF-8"
    assert bad.error is not None and bad.error.field == "Actor Name"
    assert "not valid UTF-8 text at byte 88" in bad.error.message
    assert "iconv -f latin1" in bad.error.message
    assert "polecat:a0011_1" not in {r.prepared.event_id for r in rows if isinstance(r, Item)}


def test_a_header_or_plover_record_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    header = tmp_path / "header.txt"
    header.write_bytes(TSV.read_bytes().replace(b"Event Date", b"Event D\xe1te", 1))
    with pytest.raises(ImportFormatError, match="header: not valid UTF-8 text at byte"):
        rows_of(header)
    record = tmp_path / "plover.jsonl"
    record.write_bytes(JSONL.read_bytes().replace(b"Example Gazette", b"Ex\xffmple", 1))
    [bad] = [r for r in rows_of(record) if isinstance(r, Skip) and r.error is not None]
    assert bad.error is not None and bad.error.field == "line"
    assert "not valid UTF-8" in bad.error.message
