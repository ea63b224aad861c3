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
LOOKUP = Path(__file__).parents[2] / "events" / "data" / "cameo" / "CAMEO.country.txt"
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
        ("TMP", "TLS"),
        ("MTN", "MNE"),
        ("IMY", "IMN"),
        ("XKX", "XKX"),
        ("SUN", "SUN"),
        ("YUG", "YUG"),
        ("CSK", "CSK"),
    ],
)
def test_states(code: str, party: str) -> None:
    assert country_party(code) == party


@pytest.mark.parametrize("code", ["ZZZ", "usa", "US", "EU", "NATO", "OAS", "", "KSV", "ZAR"])
def test_unknown_codes_and_organisations_are_errors(code: str) -> None:
    with pytest.raises(UnknownPartyError) as info:
        country_party(code)
    assert info.value.value == code


def _gdelt_lookup() -> dict[str, str]:
    lines = (LOOKUP.read_text(encoding="ascii")).splitlines()
    assert lines[0] == "CODE\tLABEL"
    return dict(line.split("\t") for line in lines[1:])


def test_every_code_of_gdelts_country_lookup_is_a_party_or_listed() -> None:
    lookup = _gdelt_lookup()
    assert len(lookup) == 261
    unmapped = [c for c in lookup if c not in parties() and c not in country_table()]
    assert unmapped == []


def test_the_table_lists_only_codes_of_gdelts_lookup_that_are_not_party_codes() -> None:
    lookup = _gdelt_lookup()
    assert [c for c in country_table() if c not in lookup] == []
    assert [c for c in country_table() if c in parties()] == []


def test_the_table_names_each_code_as_gdelts_lookup_does() -> None:
    lookup = _gdelt_lookup()
    assert {c: row.name for c, row in country_table().items()} == {
        c: lookup[c] for c in country_table()
    }


GDELT_TYPOS = {"Columbia": "COL", "Runion": "REU"}
"""Labels of GDELT's lookup that are misspelt there (Colombia, Réunion)."""


def test_each_gdelt_state_code_is_the_party_its_label_names() -> None:
    """GDELT's label for a code, read as a name, gives the same party as the code: no code is
    silently taken for another state ("MTN" Montenegro is MNE, not a party named MTN)."""
    wrong = []
    for code, label in _gdelt_lookup().items():
        party = country_party(code)
        if party is None:
            continue
        named = GDELT_TYPOS.get(label) or resolve(label)
        if named != party:
            wrong.append((code, label, party, named))
    assert wrong == []


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
