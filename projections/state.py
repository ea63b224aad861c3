"""Structural status: what only structural events change and what never decays.

Each structural effect has one handler in :data:`HANDLERS`; a new effect is one function and
one table entry. Status values are immutable and serialise to canonical JSON for checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from events.named import NamedTuple
from projections.facts import Fact


class Agreement(NamedTuple):
    name: str
    kind: str
    status: str  # "signed" (awaiting ratification) or "in force"
    since: date
    event_id: str


class Sanction(NamedTuple):
    by: str
    on: str
    regime: str
    since: date
    event_id: str


class Status(NamedTuple):
    relations: str = "none recorded"  # none recorded | established | downgraded | severed
    relations_since: date | None = None
    agreements: tuple[Agreement, ...] = ()
    sanctions: tuple[Sanction, ...] = ()
    conflict: str = "none"  # none | active | ceasefire | ended
    conflict_since: date | None = None

    @property
    def at_war(self) -> bool:
        return self.conflict == "active"

    def to_dict(self) -> dict[str, Any]:
        return {
            "relations": {"status": self.relations, "since": _iso(self.relations_since)},
            "agreements": [
                {
                    "name": a.name,
                    "kind": a.kind,
                    "status": a.status,
                    "since": a.since.isoformat(),
                    "event_id": a.event_id,
                }
                for a in self.agreements
            ],
            "sanctions": [
                {
                    "by": s.by,
                    "on": s.on,
                    "regime": s.regime,
                    "since": s.since.isoformat(),
                    "event_id": s.event_id,
                }
                for s in self.sanctions
            ],
            "armed_conflict": {"status": self.conflict, "since": _iso(self.conflict_since)},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Status:
        return cls(
            relations=d["relations"]["status"],
            relations_since=_day(d["relations"]["since"]),
            agreements=tuple(
                Agreement(
                    a["name"], a["kind"], a["status"], date.fromisoformat(a["since"]), a["event_id"]
                )
                for a in d["agreements"]
            ),
            sanctions=tuple(
                Sanction(
                    s["by"], s["on"], s["regime"], date.fromisoformat(s["since"]), s["event_id"]
                )
                for s in d["sanctions"]
            ),
            conflict=d["armed_conflict"]["status"],
            conflict_since=_day(d["armed_conflict"]["since"]),
        )


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _day(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _relations(value: str) -> Callable[[Status, Fact], Status]:
    def handler(status: Status, fact: Fact) -> Status:
        if status.relations == value:
            return status
        return status._replace(relations=value, relations_since=fact.day)

    return handler


def _agreement(value: str) -> Callable[[Status, Fact], Status]:
    def handler(status: Status, fact: Fact) -> Status:
        name = str(fact.fields.get("name", ""))
        others = tuple(a for a in status.agreements if a.name != name)
        old = next((a for a in status.agreements if a.name == name), None)
        if value == "signed" and old is not None:
            return status  # signing again changes nothing; in force stays in force
        kind = str(fact.fields.get("kind") or (old.kind if old else "agreement"))
        return status._replace(
            agreements=tuple(
                sorted((*others, Agreement(name, kind, value, fact.day, fact.event_id)))
            )
        )

    return handler


def _agreement_ended(status: Status, fact: Fact) -> Status:
    name = fact.fields.get("name")
    return status._replace(agreements=tuple(a for a in status.agreements if a.name != name))


def _sanctions_imposed(status: Status, fact: Fact) -> Status:
    regime = str(fact.fields.get("regime", ""))
    if any((s.by, s.on, s.regime) == (fact.actor, fact.target, regime) for s in status.sanctions):
        return status
    new = Sanction(fact.actor, fact.target, regime, fact.day, fact.event_id)
    return status._replace(sanctions=tuple(sorted((*status.sanctions, new))))


def _sanctions_lifted(status: Status, fact: Fact) -> Status:
    regime = fact.fields.get("regime")
    return status._replace(
        sanctions=tuple(
            s
            for s in status.sanctions
            if (s.by, s.on, s.regime) != (fact.actor, fact.target, regime)
        )
    )


def _conflict(
    value: str, only_from: tuple[str, ...] | None = None
) -> Callable[[Status, Fact], Status]:
    def handler(status: Status, fact: Fact) -> Status:
        if status.conflict == value or (only_from and status.conflict not in only_from):
            return status
        return status._replace(conflict=value, conflict_since=fact.day)

    return handler


HANDLERS: dict[str, Callable[[Status, Fact], Status]] = {
    "establishes_relations": _relations("established"),
    "downgrades_relations": _relations("downgraded"),
    "severs_relations": _relations("severed"),
    "agreement_signed": _agreement("signed"),
    "agreement_in_force": _agreement("in force"),
    "agreement_ended": _agreement_ended,
    "sanctions_imposed": _sanctions_imposed,
    "sanctions_lifted": _sanctions_lifted,
    "conflict_starts": _conflict("active"),
    "ceasefire": _conflict("ceasefire", only_from=("active",)),
    "conflict_ends": _conflict("ended", only_from=("active", "ceasefire")),
}
"""Structural effect -> how it changes the status. Record-keeping effects are not here. Keyed by
the :class:`~events.vocabulary.Effect` values, which the members equal and hash as (a
``StrEnum``): the table is built without importing the vocabulary, which a state query read
from its checkpoint never needs (a test checks that every structural effect has its entry)."""


@cache
def structural_types() -> frozenset[str]:
    """The types whose events can change a status (the rest leave it as it is)."""
    from events.vocabulary import catalogue  # here, not at the top: see HANDLERS

    return frozenset(
        name for name, info in catalogue().items() if any(e in HANDLERS for e in info.effects)
    )


def apply(status: Status, fact: Fact) -> Status:
    """The status after one event (events without structural effects leave it unchanged)."""
    for effect in fact.effects:
        handler = HANDLERS.get(effect)
        if handler is not None:
            status = handler(status, fact)
    return status
