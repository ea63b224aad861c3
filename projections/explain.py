"""Explanations: which events make up a score at a date, and by how much."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from projections.facts import Fact, weight_of
from projections.model import ScoringModel


@dataclass(frozen=True, slots=True)
class Contribution:
    fact: Fact
    weight: float
    decay: float
    contribution: float
    """weight × confidence × decay: this event's share of the dyad score at the date."""


def contributions(facts: Iterable[Fact], day: date, model: ScoringModel) -> list[Contribution]:
    """Each effective event on or before ``day`` with its contribution at ``day``, largest
    magnitude first. They add up to the dyad score (the sum of both directed components)."""
    out = []
    for f in facts:
        if f.day > day:
            continue
        w = weight_of(f, model.weights)
        k = model.decay((day - f.day).days)
        out.append(Contribution(f, w, k, w * f.confidence * k))
    out.sort(key=lambda c: (-abs(c.contribution), c.fact.seq))
    return out
