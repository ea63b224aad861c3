"""Parties: ISO 3166-1 alpha-3 codes, organisations, and the names and aliases people type."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from events.errors import UnknownPartyError
from events.parties import parties, party, resolve, search, suggest


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("North Korea", "PRK"),
        ("DPRK", "PRK"),
        ("Democratic People's Republic of Korea", "PRK"),
        ("d.p.r.k.", "PRK"),
        ("Russia", "RUS"),
        ("Russian Federation", "RUS"),
        ("US", "USA"),
        ("USA", "USA"),
        ("United States", "USA"),
        ("UK", "GBR"),
        ("Britain", "GBR"),
        ("United Kingdom", "GBR"),
        ("South Korea", "KOR"),
        ("China", "CHN"),
        ("Iran", "IRN"),
        ("Syria", "SYR"),
        ("Vietnam", "VNM"),
        ("Turkey", "TUR"),
        ("Türkiye", "TUR"),
        ("Côte d'Ivoire", "CIV"),
        ("Kosovo", "XKX"),
    ],
)
def test_name_or_alias_resolves_to_its_code(name: str, code: str) -> None:
    assert resolve(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("UN", "UN"),
        ("United Nations", "UN"),
        ("EU", "EU"),
        ("European Union", "EU"),
        ("NATO", "NATO"),
        ("AU", "AU"),
        ("African Union", "AU"),
        ("ASEAN", "ASEAN"),
    ],
)
def test_organisation_resolves_to_its_code(name: str, code: str) -> None:
    assert resolve(name) == code
    assert parties()[code].kind == "organisation"


def test_au_is_the_african_union_not_australia() -> None:
    assert resolve("AU") == "AU"
    assert resolve("Australia") == "AUS"


@pytest.mark.parametrize(
    "name",
    [
        "north korea",
        "NORTH KOREA",
        "NoRtH kOrEa",
        "dprk",
        "Dprk",
        "  North   Korea  ",
        "D.P.R.K.",
        "north-korea",
    ],
)
def test_resolution_ignores_case_spacing_and_punctuation(name: str) -> None:
    assert resolve(name) == "PRK"


@pytest.mark.parametrize("code", ["PRK", "prk", "RUS", "rus", "FRA", "fra"])
def test_alpha3_code_resolves_to_itself_in_any_case(code: str) -> None:
    assert resolve(code) == code.upper()


def test_every_party_code_resolves_to_itself() -> None:
    wrong = {code: resolve(code) for code in parties() if resolve(code) != code}
    assert wrong == {}


def test_every_alias_in_the_data_table_points_at_a_known_party() -> None:
    text = resources.files("events").joinpath("data", "aliases.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert rows, "alias table is empty"
    unknown = [r for r in rows if r["code"] not in parties()]
    assert unknown == []
    wrong = [
        (r["alias"], resolve(r["alias"]), r["code"])
        for r in rows
        if resolve(r["alias"]) != r["code"]
    ]
    assert wrong == []


@pytest.mark.parametrize("code", ["FR", "DE", "GB"])
def test_two_letter_iso_codes_are_not_accepted(code: str) -> None:
    with pytest.raises(UnknownPartyError):
        resolve(code)


@pytest.mark.parametrize("name", ["Narnia", "Wakanda", "Gaza Strip Republic", ""])
def test_unknown_name_raises_unknown_party_error_naming_it(name: str) -> None:
    with pytest.raises(UnknownPartyError) as info:
        resolve(name)
    assert info.value.field == "party"
    assert info.value.value == name
    assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("typo", "code"),
    [
        ("Rusia", "RUS"),
        ("Nort Korea", "PRK"),
        ("Germny", "DEU"),
        ("Untied Kingdom", "GBR"),
    ],
)
def test_unknown_name_suggests_the_closest_party_first(typo: str, code: str) -> None:
    with pytest.raises(UnknownPartyError) as info:
        resolve(typo)
    assert info.value.suggestions, "no suggestions"
    assert info.value.suggestions[0].endswith(f"({code})")
    assert f"({code})" in str(info.value)


def test_suggestions_are_distinct_and_bounded() -> None:
    found = suggest("Korea Republik", n=3)
    assert len(found) <= 3
    assert len(found) == len(set(found))


def test_party_gives_code_name_and_kind() -> None:
    p = party("north korea")
    assert p.code == "PRK"
    assert p.kind == "country"
    assert "Korea" in p.name


def test_search_puts_the_exact_resolution_first() -> None:
    found = search("north korea")
    assert found[0].code == "PRK"


def test_search_finds_parties_by_part_of_a_name() -> None:
    codes = {p.code for p in search("korea")}
    assert {"PRK", "KOR"} <= codes
