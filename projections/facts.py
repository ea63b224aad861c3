"""Facts: the slice of an event that projections need, and the record-keeping rules.

Projections fold ``Fact`` objects rather than pydantic models, so that a replay of millions of
trusted stored rows need not rebuild a model per row; :func:`fact_from_event` and the store's
row reader give identical facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from events.envelope import ENVELOPE_FIELDS
from events.named import NamedTuple

if TYPE_CHECKING:
    from events.vocabulary import Effect

RETRACT = "retract"
CORRECT = "correct"
RECORD_TYPES = frozenset({RETRACT, CORRECT})

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Fact(NamedTuple):
    seq: int
    event_id: str
    type: str
    actor: str
    target: str
    day: date
    code: str
    confidence: float
    weight: float | None = None
    summary: str | None = None
    fields: Mapping[str, Any] = _EMPTY
    """Type-specific fields (treaty name, sanctions regime, ``refers_to``, ``changes`` ...)."""

    @property
    def effects(self) -> tuple[Effect, ...]:
        return _effects()[self.type]

    @property
    def quad_root(self) -> int:
        return int(self.code[:2]) if self.code else 0


BY_SEQ = attrgetter("seq")
BY_DAY_SEQ = attrgetter("day", "seq")
"""Sort keys of facts (log order; valid-time order), C-level: a replay sorts every fact twice."""
_TYPE = attrgetter("type")
_EVENT_ID = attrgetter("event_id")


# The vocabulary is imported where it is first needed, not at the top: a state query read from
# its checkpoint asks it nothing, and its import (the enumerations, the csv module) is a share
# of that query's start-up (issue 16).


@cache
def _effects() -> dict[str, tuple[Effect, ...]]:
    from events.vocabulary import catalogue

    return {name: info.effects for name, info in catalogue().items()}


@cache
def _goldstein() -> dict[str, float]:
    from events.vocabulary import cameo_codes

    return {code: c.goldstein for code, c in cameo_codes().items()}


@cache
def _type_code(name: str) -> str:
    """The CAMEO code of a vocabulary type ("" for one without: the generic type, the
    record-keeping types); an unknown type raises (and is not cached)."""
    from events.vocabulary import type_info

    return type_info(name).cameo_code or ""


def fact_from_body(seq: int, body: Mapping[str, Any]) -> Fact:
    """A fact from a canonical event body (a JSON object)."""
    code = body.get("cameo_code") or _type_code(body["type"])
    return Fact(
        seq=seq,
        event_id=body["event_id"],
        type=body["type"],
        actor=body["actor"],
        target=body["target"],
        day=date.fromisoformat(body["occurred_on"]),
        code=code,
        confidence=float(body.get("confidence", 1.0)),
        weight=body.get("weight"),
        summary=body.get("summary"),
        fields=MappingProxyType({k: v for k, v in body.items() if k not in ENVELOPE_FIELDS}),
    )


def weight_of(fact: Fact, overrides: Mapping[str, float]) -> float:
    """The event's explicit weight, else the model's override for its type, else the
    Goldstein value of its CAMEO code."""
    if fact.weight is not None:
        return fact.weight
    if overrides and fact.type in overrides:
        return overrides[fact.type]
    return _goldstein().get(fact.code, 0.0) if fact.code else 0.0


def _corrected(fact: Fact, changes: Mapping[str, Any]) -> Fact:
    updates: dict[str, Any] = {}
    extra = dict(fact.fields)
    for key, value in changes.items():
        if key == "occurred_on":
            updates["day"] = date.fromisoformat(value)
        elif key == "confidence":
            updates["confidence"] = float(value)
        elif key == "weight":
            updates["weight"] = None if value is None else float(value)
        elif key == "summary":
            updates["summary"] = value
        elif key == "cameo_code":
            updates["code"] = value
        elif key != "source":
            extra[key] = value
    return fact._replace(fields=MappingProxyType(extra), **updates)


def effective(facts: Iterable[Fact]) -> list[Fact]:
    """The events as the record now stands: retracted ones left out, corrections applied in
    log order; record-keeping events themselves are not returned. Result in (day, seq) order."""
    facts = list(facts)
    if RECORD_TYPES.isdisjoint(map(_TYPE, facts)) and len(set(map(_EVENT_ID, facts))) == len(
        facts
    ):  # nothing retracted or corrected, no id twice: every fact as it is (C-level checks)
        return sorted(facts, key=BY_DAY_SEQ)
    current: dict[str, Fact] = {}
    for fact in sorted(facts, key=BY_SEQ):
        if fact.type == RETRACT:
            current.pop(fact.fields.get("refers_to", ""), None)
        elif fact.type == CORRECT:
            ref = fact.fields.get("refers_to", "")
            if ref in current:
                current[ref] = _corrected(current[ref], fact.fields.get("changes", {}))
        else:
            current[fact.event_id] = fact
    return sorted(current.values(), key=BY_DAY_SEQ)
