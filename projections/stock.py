"""The structural stock B(t): what the status in force is worth, term by term.

Events are a flow that fades; structure is a stock that does not. B(t) is a pure function of
the structural status in force at t (and the model), so the as-of query stays one indexed
lookup (the checkpoint, which carries the status) plus arithmetic::

    B = w(relations) + w(conflict) + Σ_groups Σ_n returns^(n-1) · w_n

Agreements are grouped by kind and sanctions regimes by direction (who on whom); within a
group the terms are taken largest first and the n-th counts ``returns^(n-1)`` of its weight,
so that nine resolutions or six declarations cannot swamp the rest (a group weighs at most
``1 / (1 - returns)`` times its largest term). A signed agreement not yet in force counts
``signed_fraction`` of its kind's weight.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from events.named import NamedTuple
from projections.model import ScoringModel
from projections.state import Status

SHARED = "shared"
"""The direction of a term that belongs to the pair, not to one side (relations, agreements,
armed conflict); sanctions are directed ``"A->B"``."""


class Term(NamedTuple):
    """One structural term of the stock."""

    what: str
    """``relations``, ``agreement``, ``sanctions`` or ``armed conflict``."""
    detail: str
    """The status (``established`` ...), the agreement's name or the sanctions regime."""
    since: date | None
    direction: str
    """``shared`` or ``"A->B"`` for a directed term."""
    weight: float
    """The term's full weight in the model."""
    factor: float
    """Diminishing-returns factor (and the signed fraction): its share of the weight."""
    event_id: str | None = None

    @property
    def value(self) -> float:
        return self.weight * self.factor

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "detail": self.detail,
            "since": self.since.isoformat() if self.since else None,
            "direction": self.direction,
            "weight": self.weight,
            "factor": self.factor,
            "value": self.value,
            "event_id": self.event_id,
        }


class Stock(NamedTuple):
    """B split by direction: the directed sanctions of A on B and of B on A, and the rest."""

    ab: float = 0.0
    ba: float = 0.0
    shared: float = 0.0

    @property
    def total(self) -> float:
        return self.ab + self.shared + self.ba


NO_STOCK = Stock()


def terms(status: Status, model: ScoringModel) -> list[Term]:
    """Every non-zero structural term of ``status``, in a fixed order: relations, armed
    conflict, agreements (largest first), sanctions by direction."""
    out: list[Term] = []
    if status.relations in ("established", "downgraded", "severed"):
        w = model.weight(f"relations_{status.relations}")
        out.append(Term("relations", status.relations, status.relations_since, SHARED, w, 1.0))
    if status.conflict in ("active", "ceasefire"):
        w = model.weight(f"conflict_{status.conflict}")
        out.append(Term("armed conflict", status.conflict, status.conflict_since, SHARED, w, 1.0))
    agreements = sorted(
        (
            (
                a.kind.strip().lower(),
                model.agreement_weight(a.kind)
                * (1.0 if a.status == "in force" else model.signed_fraction),
                a,
            )
            for a in status.agreements
        ),
        key=lambda t: (t[0], -abs(t[1]), t[2].name),
    )
    agreement_terms: list[Term] = []
    for _kind, group in groupby(agreements, key=lambda t: t[0]):
        for n, (kind, _value, a) in enumerate(group):
            share = 1.0 if a.status == "in force" else model.signed_fraction
            w = model.agreement_weight(kind)
            detail = a.name if a.status == "in force" else f"{a.name} (signed, not in force)"
            factor = share * model.returns**n
            agreement_terms.append(
                Term("agreement", detail, a.since, SHARED, w, factor, a.event_id)
            )
    out.extend(sorted(agreement_terms, key=lambda t: (-abs(t.value), t.detail)))
    sanctions = sorted(status.sanctions, key=lambda s: (s.by, s.on, s.since, s.regime))
    w = model.weight("sanctions")
    for (by, on), group_s in groupby(sanctions, key=lambda s: (s.by, s.on)):
        for n, s in enumerate(group_s):
            direction = f"{by}->{on}"
            out.append(
                Term("sanctions", s.regime, s.since, direction, w, model.returns**n, s.event_id)
            )
    return [t for t in out if t.value != 0.0]


def stock(status: Status, model: ScoringModel, party_a: str) -> Stock:
    """B by direction for the dyad whose first party (in code order) is ``party_a``.

    The same terms as :func:`terms`, summed in the same order, so the explanation and the
    number agree exactly."""
    if not status.agreements and not status.sanctions and status == _EMPTY:
        return NO_STOCK
    cache = model.memo
    key = ("stock", status, party_a)
    found = cache.get(key)
    if found is None:
        if len(cache) > _MEMO_LIMIT:
            cache.clear()
        found = cache[key] = _stock(status, model, party_a)
    return found


_MEMO_LIMIT = 4096
"""Distinct statuses remembered per model (a dyad's status changes only on structural events,
so queries meet few of them; the memo only saves recomputing the same sum)."""


def _stock(status: Status, model: ScoringModel, party_a: str) -> Stock:
    ab = ba = shared = 0.0
    for t in terms(status, model):
        if t.direction == SHARED:
            shared += t.value
        elif t.direction.startswith(party_a + "->"):
            ab += t.value
        else:
            ba += t.value
    return Stock(ab, ba, shared)


_EMPTY = Status()
