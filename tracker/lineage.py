"""Continuity in queries: a state's predecessors' record counted as its own.

Russia continues the USSR (``events/data/lifespans.csv``), so "how do North Korea and Russia
get along?" should see the diplomatic relations the USSR established with North Korea in 1948.
Events stay recorded under the state that existed on their date (PRK–SUN in 1948); a query
about a dyad whose parties continue other states also folds the dyads of those predecessors,
their parties renamed to the continuing states, and says so in its answer. The caller can turn
this off (then only the dyad's own record counts).

Rankings (``dyads``) regroup the stored dyads on the date asked about (:func:`regroup`): a
dyad of a state that had ended by then is listed under the state continuing it (PRK–SUN under
PRK–RUS after 25 December 1991), scored with the same fold as ``state``; a dyad of a state that
ended with nothing continuing it is left out, and says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from typing import Any

from events.dyad import dyad_of
from events.named import NamedTuple
from events.parties import label, lifespans, predecessors
from projections.facts import Fact


class Lineage(NamedTuple):
    """The predecessor dyads a query about ``dyad`` includes, and how their parties map."""

    dyad: tuple[str, str]
    included: tuple[tuple[str, str], ...]
    rename: dict[str, str]
    """predecessor code -> the continuing party of the dyad asked about"""

    def rename_fact(self, fact: Fact) -> Fact:
        """A predecessor dyad's fact as a fact of the continuing dyad."""
        actor = self.rename.get(fact.actor, fact.actor)
        target = self.rename.get(fact.target, fact.target)
        return (
            fact
            if (actor, target) == (fact.actor, fact.target)
            else fact._replace(actor=actor, target=target)
        )

    def notes(self) -> list[str]:
        """One sentence per included dyad: whose record it is and why it counts."""
        out = []
        for x, y in self.included:
            why = "; ".join(
                f"{label(self.rename[c])} continues {label(c)}" for c in (x, y) if c in self.rename
            )
            out.append(f"includes the record of {x}–{y} ({why})")
        return out

    def to_dict(self) -> list[dict[str, Any]]:
        return [
            {"dyad": list(d), "note": note}
            for d, note in zip(self.included, self.notes(), strict=True)
        ]


def candidates(a: str, b: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Every predecessor dyad of A–B (any pair of A or a state A continues with B or a state B
    continues, other than A–B itself), and the renaming of predecessors to A and B."""
    before_a, before_b = predecessors(a), predecessors(b)
    if not before_a and not before_b:  # (most pairs: every as-of query asks)
        return [], {}
    rename = {p: a for p in before_a} | {p: b for p in before_b}
    pairs: list[tuple[str, str]] = []
    for x in (a, *before_a):
        for y in (b, *before_b):
            if x != y and {x, y} != {a, b}:
                pairs.append(dyad_of(x, y))
    return pairs, rename


def lineage(a: str, b: str, has_events: Callable[[tuple[str, str]], bool]) -> Lineage | None:
    """The predecessor dyads of A–B that have events (None: there are none to include)."""
    pairs, rename = candidates(a, b)
    if not pairs:
        return None
    included = tuple(p for p in pairs if has_events(p))
    return Lineage(dyad_of(a, b), included, rename) if included else None


def merged(line: Lineage, facts: Iterable[Fact]) -> list[Fact]:
    """Facts of the dyad and its predecessors, renamed to the dyad's parties (for folds)."""
    return [line.rename_fact(f) for f in facts]


# -- rankings: the stored dyads regrouped on a date --------------------------------------------


@cache
def _continuators() -> dict[str, str]:
    return {span.continues: code for code, span in lifespans().items() if span.continues}


def standing_for(code: str, day: date) -> str | None:
    """The party that stands for ``code`` on ``day``: ``code`` while it exists (or when its
    lifetime is not recorded); after it ended, the state continuing it (Russia for the USSR from
    1991-12-26), and so on; None when it ended and no state continues it."""
    seen: set[str] = set()
    while code not in seen:
        seen.add(code)
        span = lifespans().get(code)
        if span is None or span.until is None or day <= span.until:
            return code
        later = _continuators().get(code)
        if later is None:
            return None
        code = later
    return None  # (a cycle in the data: nothing sensible stands for it)


class Regrouped(NamedTuple):
    """Stored dyads as a ranking on one date lists them."""

    groups: dict[tuple[str, str], list[tuple[str, str]]]
    """listed dyad -> the stored dyads whose record it includes (itself among them if stored)"""
    gone: list[tuple[tuple[str, str], str]]
    """stored dyads left out, each with why"""


def regroup(dyads: Iterable[tuple[str, str]], day: date) -> Regrouped:
    """Each stored dyad under the dyad standing for it on ``day`` (see :func:`standing_for`)."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    gone: list[tuple[tuple[str, str], str]] = []
    for dyad in dyads:
        x, y = (standing_for(c, day) for c in dyad)
        if x is None or y is None:
            ended = next(c for c, now in zip(dyad, (x, y), strict=True) if now is None)
            span = lifespans()[ended]
            assert span.until is not None
            gone.append(
                (
                    dyad,
                    f"{label(ended)} ended on {span.until.isoformat()} and no state continues it",
                )
            )
        elif x == y:
            gone.append((dyad, f"{label(x)} continues both"))
        else:
            groups.setdefault(dyad_of(x, y), []).append(dyad)
    return Regrouped(groups, gone)
