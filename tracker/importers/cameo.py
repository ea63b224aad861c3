"""What coded event data (GDELT, ICEWS) means in the tracker's terms: CAMEO country codes to
parties, CAMEO event codes to vocabulary types, and the canonical body of a coded event.

Country codes
    ``events/data/cameo_countries.csv`` lists every code of GDELT's ``CAMEO.country.txt`` that
    is *not* simply the code of a party: regions and sub-state areas (no party: "not a
    state") and GDELT's own or outdated codes for states (``MTN`` Montenegro, ``ROM``
    Romania). Any other code maps to itself if it is the code of a country, state or former
    state party (the USSR ``SUN``); anything else is an unknown code (an error). The event's
    date then decides the state it is recorded under (:func:`dated_party`). See
    ``cameo_countries.md``.

Event codes
    An EventCode maps to the vocabulary type whose CAMEO code equals it exactly, when that type
    has no effect (structural or record-keeping) and no required type-specific field; where
    several types qualify, the first in catalogue order wins (036 -> ``intent_to_meet``, 043 ->
    ``host_visit``, 051 -> ``praise``, 072 -> ``military_aid``, 161 -> ``recall_ambassador``).
    Every other code becomes the generic ``cameo`` type with ``cameo_code`` = EventCode.
    Structural types are never produced from coded data: one miscoded row must not flip a
    relationship's status (start a war, end a treaty); only curated events do that.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from json.encoder import encode_basestring

from events import parties
from events.dates import parse_iso_date
from events.errors import PartyDateError, TrackerError, UnknownPartyError, field_message
from events.named import NamedTuple
from events.text import has_control
from tracker.store.rows import Prepared

GENERIC = "cameo"
_MAX_TEXT = 2000  # events.models.Text


@dataclass(frozen=True, slots=True)
class CameoCountry:
    code: str
    party: str | None  # None: not a state (region, sub-state area, dissolved state)
    kind: str
    name: str
    note: str


@cache
def country_table() -> dict[str, CameoCountry]:
    """The documented exceptions: CAMEO country codes that are not plain ISO alpha-3 codes."""
    text = (
        resources.files("events")
        .joinpath("data", "cameo_countries.csv")
        .read_text(encoding="utf-8")
    )
    out: dict[str, CameoCountry] = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["cameo_code"]] = CameoCountry(
            row["cameo_code"], row["party"] or None, row["kind"], row["name"], row["note"]
        )
    return out


@cache
def _state_codes() -> frozenset[str]:
    return frozenset(
        p.code
        for p in parties.parties().values()
        if p.kind in ("country", "state", "former") and len(p.code) == 3
    )


@lru_cache(maxsize=4096)
def country_party(code: str) -> str | None:
    """The party a CAMEO country code stands for; ``None`` if it is not a state (a region such
    as ``EUR``, a sub-state area such as ``WSB``, a dissolved state). An unknown code raises
    ``UnknownPartyError`` (field ``country``)."""
    known = country_table().get(code)
    if known is not None:
        return known.party
    if code in _state_codes():
        return code
    raise UnknownPartyError(
        field_message(
            "country",
            code,
            "not a CAMEO country code known to the tracker (ISO "
            "3166-1 or 3166-3 alpha-3, or listed in events/data/cameo_countries.csv)",
        ),
        field="country",
        value=code,
        suggestions=[],
    )


def dated_party(code: str, day: str, column: str) -> str:
    """The party ``code`` stands for on ``day`` (ISO date): the state it continues before it
    existed (RUS in 1985 is the USSR), or a ``FieldError`` naming the column and the dates."""
    if code not in parties.dated():
        return code  # (a party of every date: what place() returns for it)
    try:
        return parties.place(code, date.fromisoformat(day)).code
    except PartyDateError as exc:
        raise bad(column, code, exc.message.split(": ", 1)[-1]) from None


def type_for_code(code: str) -> str:
    """The vocabulary type an event coded ``code`` gets (see the module docstring)."""
    return _code_types().get(code, GENERIC)


@cache
def _code_types() -> dict[str, str]:
    from events.models import EVENT_CLASSES
    from events.vocabulary import catalogue

    out: dict[str, str] = {}
    for info in catalogue().values():
        if info.cameo_code is None or info.effects or info.cameo_code in out:
            continue
        if any(f.is_required() for f in EVENT_CLASSES[info.name].specific_fields().values()):
            continue
        out[info.cameo_code] = info.name
    return out


@cache
def code_table() -> dict[str, tuple[str, str]]:
    """EventCode -> (type, description) for every code in the tracker's CAMEO table."""
    from events.vocabulary import cameo_codes

    return {
        code: (type_for_code(code), c.description.strip() or f"CAMEO {code}")
        for code, c in cameo_codes().items()
    }


# -- parsing helpers shared by the coded formats --------------------------------------------


class FieldError(TrackerError):
    """A bad value in a named column of a coded row."""


def bad(column: str, value: object, reason: str) -> FieldError:
    return FieldError(field_message(column, value, reason), field=column, value=value)


@lru_cache(maxsize=65536)
def yyyymmdd(text: str, column: str) -> str:
    """``YYYYMMDD`` as an ISO date, or a ``FieldError`` naming the column."""
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise bad(column, text, "not a date written YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError as exc:
        raise bad(column, text, f"not a real calendar date ({exc})") from None


@lru_cache(maxsize=65536)
def iso_date(text: str, column: str) -> str:
    """``YYYY-MM-DD`` as an ISO date, or a ``FieldError`` naming the column."""
    try:
        return parse_iso_date(text).isoformat()
    except ValueError as exc:
        raise bad(column, text, str(exc)) from None


def scale(text: str, column: str) -> float:
    """A Goldstein value: a finite number in [-10, 10] (``-2`` and ``-2.0`` alike)."""
    try:
        value = float(text)
    except ValueError:
        raise bad(column, text, "not a number") from None
    if not math.isfinite(value) or not -10 <= value <= 10:
        raise bad(column, text, "must be a number from -10 to 10 (the Goldstein scale)")
    return value


# -- the canonical body, built directly -------------------------------------------------------


class Coded(NamedTuple):
    """What a coded row (GDELT, ICEWS, POLECAT) says of an event, checked by its reader."""

    type_name: str
    event_id: str
    actor: str
    target: str
    occurred_on: str
    source: str | None
    summary: str | None
    confidence: float
    weight: float
    cameo_code: str


def coded_event(row: Coded) -> Prepared:
    """The stored form of a coded event, byte-identical to
    ``prepare(parse_event(coded_dict(row)))`` (tests check this on many rows).

    Readers guarantee what they checked already: ``event_id`` is a valid id, ``actor`` and
    ``target`` are distinct party codes, ``occurred_on`` is an ISO date, ``cameo_code`` is in
    the CAMEO table and maps to ``type_name``, ``weight`` is a finite Goldstein value and
    ``confidence`` is in [0, 1]. Free text (``source``, ``summary``) is checked here: the fast
    path is taken only when pydantic would keep it unchanged, and only for types whose body
    the template reproduces (:func:`_fast_types`); otherwise the event goes through
    ``parse_event``, which strips the text or raises the usual ``InvalidEventError``.
    """
    source, summary = row.source, row.summary
    if (
        row.type_name in _fast_types()
        and (source is None or (0 < len(source) <= _MAX_TEXT and source == source.strip()))
        and (summary is None or (0 < len(summary) <= _MAX_TEXT and summary == summary.strip()))
        and (source is None or not has_control(source))
        and (summary is None or not has_control(summary))
    ):
        return _template(row)
    return slow_coded_event(row)


def _template(row: Coded) -> Prepared:
    """The canonical body written directly (keys in sorted order, as ``canonical_text``)."""
    type_name, event_id, actor, target, occurred_on, source, summary, confidence, weight, code = row
    weight += 0.0  # pydantic stores -0.0 as 0.0
    code_key = f',"cameo_code":"{code}"' if type_name == GENERIC else ""
    source_key = "" if source is None else ',"source":' + encode_basestring(source)
    summary_key = "" if summary is None else ',"summary":' + encode_basestring(summary)
    body = (
        f'{{"actor":"{actor}"{code_key},"confidence":{confidence!r},'
        f'"event_id":"{event_id}","occurred_on":"{occurred_on}","schema_version":1'
        f'{source_key}{summary_key},"target":"{target}","type":"{type_name}",'
        f'"weight":{weight!r}}}'
    )
    return tuple.__new__(  # (built directly: the named tuple's generated __new__ is Python)
        Prepared,
        (event_id, type_name, code, actor, target, occurred_on, confidence, weight, None, body),
    )


@cache
def _fast_types() -> frozenset[str]:
    """The types whose body :func:`_template` reproduces exactly, checked once against the
    model on a probe event per type. A type with a defaulted field (``military_aid`` has
    ``items: []``), or a field added to the models later, falls back to ``parse_event``."""
    from events.vocabulary import cameo_codes

    fast: set[str] = set()
    for code in cameo_codes():
        probe = Coded(
            type_for_code(code), "probe:1", "USA", "RUS", "2000-01-02", "a source", "a summary",
            0.5, 1.5, code,
        )  # fmt: skip
        if _template(probe) == slow_coded_event(probe):
            fast.add(probe.type_name)
    return frozenset(fast)


def coded_dict(row: Coded) -> dict[str, object]:
    """The plain mapping a coded event validates from (the reference for the fast path)."""
    data: dict[str, object] = {
        "type": row.type_name,
        "event_id": row.event_id,
        "actor": row.actor,
        "target": row.target,
        "occurred_on": row.occurred_on,
        "confidence": row.confidence,
        "weight": row.weight,
    }
    if row.type_name == GENERIC:
        data["cameo_code"] = row.cameo_code
    if row.source is not None:
        data["source"] = row.source
    if row.summary is not None:
        data["summary"] = row.summary
    return data


def slow_coded_event(row: Coded) -> Prepared:
    """The stored form through the event model (validation, text stripping)."""
    from events.models import parse_event
    from tracker.store.rows import prepare

    return prepare(parse_event(coded_dict(row)))
