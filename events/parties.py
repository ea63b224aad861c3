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

States that no longer exist are parties too (``data/former_states.csv``: the USSR ``SUN``,
Yugoslavia ``YUG``, ... with their ISO 3166-3 codes), and ``data/lifespans.csv`` says when a
state existed and which state it continues (Russia continues the USSR). An event is recorded
under the state that existed on its date (:func:`place`): "Russia" in 1985 is the USSR, with a
note; a state named outside its lifetime is an error naming the dates. A party without a row
in ``lifespans.csv`` is taken to exist on every date.

A name that stands for more than one party ("Korea", "Congo") is listed in
``data/ambiguous.csv`` and is an error that names the candidates, never a silent guess.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from events.datafiles import read_data
from events.errors import AmbiguousPartyError, PartyDateError, UnknownPartyError, field_message
from events.named import NamedTuple


class Party(NamedTuple):
    code: str
    name: str
    kind: str  # "country", "state" (not in ISO 3166-1), "former" (ISO 3166-3) or "organisation"


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "D.P.R.K." and "dprk" are the same."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().replace("’", "'").replace("`", "'").replace(".", "")
    text = re.sub(r"\s+", " ", text.replace("-", " ")).strip()  # (compiled on first use)
    if text.startswith("the "):
        text = text[4:]
    return text


def _data(name: str) -> list[dict[str, str]]:
    import csv  # here, not at the top: a query reads its tables with _columns
    import io

    text = read_data(name)
    return list(csv.DictReader(io.StringIO(text)))


def _columns(name: str, count: int) -> list[dict[str, str]]:
    """The first ``count`` columns of a table's rows, as :func:`_data` reads them, read without
    the csv module (its import and its per-row reader are a share of a query's start-up):
    for the tables whose first columns are never quoted and whose values hold no line break
    (a test compares the two readings of each table read here)."""
    lines = read_data(name).splitlines()
    header = lines[0].split(",")[:count]
    return [
        dict(zip(header, line.split(",", count)[:count], strict=True)) for line in lines[1:] if line
    ]


PARTY_TABLES = ("iso3166_alpha3.csv", "extra_parties.csv", "former_states.csv")
"""The tables of :func:`parties`, each with its code in the first column."""


@cache
def codes() -> frozenset[str]:
    """The codes of :func:`parties`, without their names: resolving an exact code (both parties
    of every query) builds no party, only each row's text up to its first comma (the tables'
    first column: see :func:`_columns`; a test checks that these are the parties' codes)."""
    found: set[str] = set()
    for table in PARTY_TABLES:
        found.update(line.partition(",")[0] for line in read_data(table).splitlines()[1:] if line)
    return frozenset(found)


@cache
def parties() -> dict[str, Party]:
    """Every party the tracker accepts, keyed by code."""
    out: dict[str, Party] = {}
    for row in _data("iso3166_alpha3.csv"):
        out[row["code"]] = Party(row["code"], row["name"], "country")
    for row in _data("extra_parties.csv"):
        out[row["code"]] = Party(row["code"], row["name"], row["kind"])
    for row in _data("former_states.csv"):
        out[row["code"]] = Party(row["code"], row["name"], "former")
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
    for table in ("extra_parties.csv", "former_states.csv"):
        for row in _data(table):
            for value in [row["code"], row["name"], *filter(None, row["aliases"].split(";"))]:
                index[normalise(value)] = row["code"]
    for row in _data("aliases.csv"):
        index[normalise(row["alias"])] = row["code"]
    return index


@cache
def resolve(text: str) -> str:
    """The party code for a code, name or alias; unknown input raises with suggestions."""
    exact = text.strip().upper()
    if exact in codes():
        return exact
    candidates = ambiguous().get(normalise(text))
    if candidates:
        labels = [f"{label} ({code})" for code, label in candidates]
        raise AmbiguousPartyError(
            field_message("party", text, "ambiguous: " + " or ".join(labels) + "?"),
            field="party",
            value=text,
            suggestions=labels,
        )
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


@cache
def ambiguous() -> dict[str, tuple[tuple[str, str], ...]]:
    """Names that stand for several parties (normalised name -> (code, label) candidates)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in _data("ambiguous.csv"):
        out.setdefault(normalise(row["name"]), []).append((row["code"], row["label"]))
    return {name: tuple(found) for name, found in out.items()}


# -- states in time ---------------------------------------------------------------------------


class Lifespan(NamedTuple):
    """When a state existed (either end open) and the state it continues, if any."""

    code: str
    since: date | None
    until: date | None
    continues: str | None
    successors: tuple[str, ...]

    def covers(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (
            self.until is None or day <= self.until
        )

    def span(self) -> str:
        start = self.since.isoformat() if self.since else "?"
        return f"{start} to {self.until.isoformat()}" if self.until else start


class Placement(NamedTuple):
    """The party an event on a given day is recorded under, and why, if not the one named."""

    code: str
    note: str | None = None


@cache
def lifespans() -> dict[str, Lifespan]:
    """``data/lifespans.csv`` by code."""
    out: dict[str, Lifespan] = {}
    for row in _columns("lifespans.csv", 5):  # (code, since, until, continues, successors)
        out[row["code"]] = Lifespan(
            row["code"],
            date.fromisoformat(row["since"]) if row["since"] else None,
            date.fromisoformat(row["until"]) if row["until"] else None,
            row["continues"] or None,
            tuple(filter(None, row["successors"].split(";"))),
        )
    return out


@cache
def dated() -> frozenset[str]:
    """The codes :func:`place` may move or refuse on some date: those with a lifespan bounded
    at either end. Any other code is placed under itself on every date (``Placement(code)``),
    so a bulk import looks only these up."""
    return frozenset(
        code
        for code, span in lifespans().items()
        if span.since is not None or span.until is not None
    )


def label(code: str) -> str:
    """ "Soviet Union (SUN)": how messages name a party."""
    known = parties().get(code)
    return f"{known.name} ({code})" if known else code


def place(code: str, day: date) -> Placement:
    """The party an event dated ``day`` is recorded under: ``code`` itself while it exists;
    before that, the state it continues, if that existed on ``day`` (with a note saying so).
    A state named outside its lifetime otherwise raises ``PartyDateError`` naming its dates."""
    span = lifespans().get(code)
    if span is None or span.covers(day):
        return _as_named(code)
    if span.since is not None and day < span.since and span.continues:
        try:
            earlier = place(span.continues, day)
        except PartyDateError:
            earlier = None
        if earlier is not None:
            return Placement(
                earlier.code,
                f"{label(code)} exists from {span.since.isoformat()}: an event on "
                f"{day.isoformat()} is recorded under {label(earlier.code)}, which it continues",
            )
    raise PartyDateError(
        field_message("party", code, _lifetime_reason(span, day)), field="party", value=code
    )


@cache
def _as_named(code: str) -> Placement:
    """``Placement(code)``, one per code: an import places both parties of every event."""
    return Placement(code)


def _lifetime_reason(span: Lifespan, day: date) -> str:
    tense = "existed" if span.until is not None else "exists"
    reason = f"{label(span.code)} {tense} from {span.span()}, not on {day.isoformat()}"
    if span.since is not None and day < span.since:
        before: list[str] = []
        for other in lifespans().values():
            if span.code in other.successors:
                try:
                    found = place(other.code, day).code
                except PartyDateError:
                    continue
                if found not in before:
                    before.append(found)
        if before:
            reason += f"; on that date: {', '.join(label(c) for c in before)}"
    elif span.until is not None and day > span.until:
        later = [s.code for s in lifespans().values() if s.continues == span.code]
        if later:
            reason += f"; {', '.join(label(c) for c in later)} continues it"
        elif span.successors:
            reason += f"; its successors: {', '.join(label(c) for c in span.successors)}"
    return reason


@cache
def predecessors(code: str) -> tuple[str, ...]:
    """The states ``code`` continues, nearest first (Serbia: Serbia and Montenegro, then
    Yugoslavia): a query about a continuing state can include their record. (Cached: every
    as-of query asks it for both parties.)"""
    chain: list[str] = []
    span = lifespans().get(code)
    while span is not None and span.continues and span.continues not in chain:
        chain.append(span.continues)
        span = lifespans().get(span.continues)
    return tuple(chain)
