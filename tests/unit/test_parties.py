"""Parties: ISO 3166-1 alpha-3 codes, organisations, and the names and aliases people type."""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources

import pycountry
import pytest

from events.errors import AmbiguousPartyError, PartyDateError, UnknownPartyError
from events.parties import (
    lifespans,
    parties,
    party,
    place,
    predecessors,
    resolve,
    search,
    suggest,
)


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
        ("Soviet Union", "SUN"),
        ("USSR", "SUN"),
        ("Yugoslavia", "YUG"),
        ("Serbia and Montenegro", "SCG"),
        ("Czechoslovakia", "CSK"),
        ("East Germany", "DDR"),
        ("South Yemen", "YMD"),
        ("Zaire", "COD"),
        ("Burma", "MMR"),
        ("Democratic Republic of Congo", "COD"),
        ("Republic of Congo", "COG"),
        ("Congo-Brazzaville", "COG"),
        ("the former Yugoslav Republic of Macedonia", "MKD"),
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


# -- ambiguous names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("Korea", ["North Korea (PRK)", "South Korea (KOR)"]),
        ("korea", ["North Korea (PRK)", "South Korea (KOR)"]),
        ("Congo", ["Democratic Republic of the Congo (COD)", "Republic of the Congo (COG)"]),
        ("the Congo", ["Democratic Republic of the Congo (COD)", "Republic of the Congo (COG)"]),
        ("Virgin Islands", ["British Virgin Islands (VGB)", "United States Virgin Islands (VIR)"]),
    ],
)
def test_an_ambiguous_name_is_an_error_listing_every_candidate(
    name: str, candidates: list[str]
) -> None:
    with pytest.raises(AmbiguousPartyError) as info:
        resolve(name)
    assert info.value.suggestions == candidates
    assert str(info.value) == f"party {name!r}: ambiguous: {' or '.join(candidates)}?"


def test_every_candidate_of_an_ambiguous_name_is_a_party() -> None:
    from events.parties import ambiguous

    for name, found in ambiguous().items():
        assert len(found) >= 2, name
        assert all(code in parties() for code, _ in found), name


# -- states that no longer exist ----------------------------------------------------------------


def test_former_states_carry_their_iso_3166_3_codes() -> None:
    text = resources.files("events").joinpath("data", "former_states.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    historic = {c.alpha_3: c.alpha_4 for c in pycountry.historic_countries}
    assert {r["code"]: r["iso3166_3"] for r in rows} == {
        r["code"]: historic[r["code"]] for r in rows
    }
    assert all(parties()[r["code"]].kind == "former" for r in rows)


def test_every_former_state_has_a_lifespan_that_ended() -> None:
    formers = [p.code for p in parties().values() if p.kind == "former"]
    assert formers
    for code in formers:
        span = lifespans()[code]
        assert span.since is not None and span.until is not None and span.since < span.until


def test_lifespans_name_known_parties_and_continuators_follow_their_predecessor() -> None:
    for span in lifespans().values():
        assert span.code in parties()
        assert all(s in parties() for s in span.successors)
        if span.continues:
            before = lifespans()[span.continues]
            assert before.until is not None and span.since is not None
            assert (span.since - before.until).days == 1, span


@pytest.mark.parametrize(
    ("code", "day", "placed"),
    [
        ("SUN", date(1985, 3, 11), "SUN"),
        ("SUN", date(1991, 12, 25), "SUN"),
        ("RUS", date(1991, 12, 26), "RUS"),
        ("RUS", date(1985, 3, 11), "SUN"),
        ("RUS", date(1948, 10, 12), "SUN"),
        ("SRB", date(2004, 1, 1), "SCG"),
        ("SRB", date(1995, 1, 1), "YUG"),
        ("SCG", date(1999, 1, 1), "YUG"),
        ("DEU", date(1950, 1, 1), "DEU"),
        ("PRK", date(1948, 10, 12), "PRK"),
    ],
)
def test_an_event_is_recorded_under_the_state_that_existed_on_its_date(
    code: str, day: date, placed: str
) -> None:
    assert place(code, day).code == placed


def test_a_continuator_named_before_it_existed_gets_a_note() -> None:
    placed = place("RUS", date(1985, 3, 11))
    assert placed.note == (
        "Russian Federation (RUS) exists from 1991-12-26: an event on 1985-03-11 is recorded "
        "under Soviet Union (SUN), which it continues"
    )
    assert place("RUS", date(2000, 1, 1)).note is None


@pytest.mark.parametrize(
    ("code", "day", "words"),
    [
        ("SUN", date(2000, 1, 1), ["1922-12-30 to 1991-12-25", "2000-01-01", "(RUS) continues it"]),
        ("SUN", date(1900, 1, 1), ["1922-12-30 to 1991-12-25", "1900-01-01"]),
        ("CSK", date(1995, 1, 1), ["1918-10-28 to 1992-12-31", "successors: Czechia (CZE)"]),
        ("CZE", date(1985, 1, 1), ["from 1993-01-01", "on that date: Czechoslovakia (CSK)"]),
        ("MNE", date(2000, 1, 1), ["from 2006-06-03", "on that date: Yugoslavia (YUG)"]),
        ("DDR", date(1991, 1, 1), ["1949-10-07 to 1990-10-02"]),
        ("RUS", date(1900, 1, 1), ["from 1991-12-26", "1900-01-01"]),
    ],
)
def test_a_state_named_outside_its_lifetime_is_an_error_naming_the_dates(
    code: str, day: date, words: list[str]
) -> None:
    with pytest.raises(PartyDateError) as info:
        place(code, day)
    for word in words:
        assert word in str(info.value)


def test_predecessors_are_the_chain_of_continued_states_nearest_first() -> None:
    assert predecessors("RUS") == ("SUN",)
    assert predecessors("SRB") == ("SCG", "YUG")
    assert predecessors("CZE") == ()
    assert predecessors("PRK") == ()
