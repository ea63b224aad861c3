"""The CAMEO country table and the EventCode -> type rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from events.errors import UnknownPartyError
from events.models import EVENT_CLASSES
from events.parties import parties, resolve
from events.vocabulary import cameo_codes, catalogue
from tracker.importers.cameo import country_party, country_table, type_for_code

DOC = Path(__file__).parents[2] / "events" / "data" / "cameo_countries.md"
REGIONS = (
    "AFR",
    "ASA",
    "BLK",
    "CRB",
    "CAU",
    "EEU",
    "EUR",
    "LAM",
    "MEA",
    "NAF",
    "SAF",
    "SAM",
    "SAS",
    "SEA",
    "WAF",
    "WST",
    "WSB",
    "GZS",
)


def test_every_mapped_party_resolves_to_itself() -> None:
    for row in country_table().values():
        if row.party is not None:
            assert resolve(row.party) == row.party, row


def test_codes_in_the_table_are_not_silently_iso_codes_of_something_else() -> None:
    for code, row in country_table().items():
        if row.party is None:
            assert code not in parties(), f"{code} is a party; a region must not shadow it"


@pytest.mark.parametrize("code", REGIONS)
def test_regions_are_not_states(code: str) -> None:
    assert country_party(code) is None


@pytest.mark.parametrize(
    ("code", "party"),
    [
        ("USA", "USA"),
        ("RUS", "RUS"),
        ("PRK", "PRK"),
        ("PSE", "PSE"),
        ("TWN", "TWN"),
        ("VAT", "VAT"),
        ("ZAF", "ZAF"),
        ("CAF", "CAF"),
        ("ROM", "ROU"),
        ("ZAR", "COD"),
        ("KSV", "XKX"),
        ("XKX", "XKX"),
        ("SUN", "RUS"),
    ],
)
def test_states(code: str, party: str) -> None:
    assert country_party(code) == party


@pytest.mark.parametrize("code", ["ZZZ", "usa", "US", "EU", "NATO", "OAS", ""])
def test_unknown_codes_and_organisations_are_errors(code: str) -> None:
    with pytest.raises(UnknownPartyError) as info:
        country_party(code)
    assert info.value.value == code


def test_the_markdown_names_every_code_of_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code in country_table():
        assert code in text, code


def test_every_cameo_code_gets_a_non_structural_type_without_required_fields() -> None:
    for code in cameo_codes():
        name = type_for_code(code)
        info = catalogue()[name]
        assert not info.effects
        required = [
            k
            for k, f in EVENT_CLASSES[name].specific_fields().items()
            if f.is_required() and not (name == "cameo" and k == "cameo_code")
        ]
        assert not required, (code, name)
        if name != "cameo":
            assert info.cameo_code == code


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("010", "statement"),
        ("036", "intent_to_meet"),
        ("043", "host_visit"),
        ("051", "praise"),
        ("053", "cameo"),
        ("054", "cameo"),
        ("057", "cameo"),
        ("072", "military_aid"),
        ("085", "cameo"),
        ("0871", "cameo"),
        ("112", "accuse"),
        ("129", "cameo"),
        ("161", "recall_ambassador"),
        ("163", "cameo"),
        ("190", "cameo"),
        ("193", "armed_clash"),
        ("0311", "cameo"),
    ],
)
def test_code_to_type(code: str, name: str) -> None:
    assert type_for_code(code) == name
