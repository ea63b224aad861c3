"""Parties: ISO 3166-1 alpha-3 country codes, a short list of organisations, and the names and
aliases people actually type.

Country names and official names come from ``pycountry`` (the ISO 3166 database as packaged by
Debian's iso-codes). The codes themselves are also listed in ``data/iso3166_alpha3.csv``
(generated from pycountry; a test keeps the two equal) so that resolving an exact code, the
common case on every query, does not pay for importing pycountry.
``data/extra_parties.csv`` adds organisations (UN, EU, NATO, ...) and Kosovo (``XKX``,
the user-assigned code in common use); ``data/aliases.csv`` adds common names ("North Korea",
"UK", ...). Two-letter ISO codes are deliberately *not* accepted: ``AU`` is the African Union
here, not Australia.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from typing import NamedTuple

from events.errors import UnknownPartyError, field_message
from events.vocabulary import read_data


class Party(NamedTuple):
    code: str
    name: str
    kind: str  # "country", "state" (not in ISO 3166) or "organisation"


_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "D.P.R.K." and "dprk" are the same."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().replace("’", "'").replace("`", "'").replace(".", "")
    text = _SPACES.sub(" ", text.replace("-", " ")).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


def _data(name: str) -> list[dict[str, str]]:
    text = read_data(name)
    return list(csv.DictReader(io.StringIO(text)))


@cache
def parties() -> dict[str, Party]:
    """Every party the tracker accepts, keyed by code."""
    out: dict[str, Party] = {}
    for row in _data("iso3166_alpha3.csv"):
        out[row["code"]] = Party(row["code"], row["name"], "country")
    for row in _data("extra_parties.csv"):
        out[row["code"]] = Party(row["code"], row["name"], row["kind"])
    return out


@cache
def _index() -> dict[str, str]:
    import pycountry

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(normalise(value), country.alpha_3)
    for row in _data("extra_parties.csv"):
        for value in [row["code"], row["name"], *filter(None, row["aliases"].split(";"))]:
            index[normalise(value)] = row["code"]
    for row in _data("aliases.csv"):
        index[normalise(row["alias"])] = row["code"]
    return index


@cache
def resolve(text: str) -> str:
    """The party code for a code, name or alias; unknown input raises with suggestions."""
    exact = text.strip().upper()
    if exact in parties():
        return exact
    code = _index().get(normalise(text))
    if code is None:
        suggestions = suggest(text)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownPartyError(
            field_message("party", text, "unknown country or organisation" + hint),
            field="party",
            value=text,
            suggestions=suggestions,
        )
    return code


def suggest(text: str, n: int = 4) -> list[str]:
    """Close matches as "Name (CODE)", best first."""
    import difflib

    key = normalise(text)
    index = _index()
    names = difflib.get_close_matches(key, list(index), n=n * 3, cutoff=0.6)
    names += [k for k in index if key and len(key) >= 3 and key in k and k not in names]
    seen: list[str] = []
    for name in names:
        code = index[name]
        label = f"{parties()[code].name} ({code})"
        if label not in seen:
            seen.append(label)
    return seen[:n]


def search(query: str) -> list[Party]:
    """Parties whose code, name or an alias contains ``query`` (exact resolution first)."""
    key = normalise(query)
    found: list[str] = []
    exact = _index().get(key)
    if exact:
        found.append(exact)
    for name, code in _index().items():
        if key in name and code not in found:
            found.append(code)
    return [parties()[c] for c in found]


def party(code: str) -> Party:
    return parties()[resolve(code)]
