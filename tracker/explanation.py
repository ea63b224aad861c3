"""What ``explain`` answers: the events that make up a score at a date, and by how much.

Apart from :mod:`tracker.queries`, whose other results it sits beside in meaning, so that a
``state`` or ``score`` query does not build this class at start-up (a frozen dataclass costs
about a millisecond to create; issue 16's start-up target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projections.model import ScoringModel
    from projections.stock import Term
    from tracker.lineage import Lineage


@dataclass(frozen=True)
class Explanation:
    dyad: tuple[str, str]
    as_of: date
    known_at: int | None
    score: float
    index: float
    model: ScoringModel
    items: tuple[tuple[Any, float, float, float, float], ...] = ()
    """(event, weight, confidence, decay, contribution) per event; the event is a
    :class:`tracker.queries.EventRef` (not imported: that module imports this one)."""
    structure: tuple[Term, ...] = ()
    """The structural terms of the stock in force on ``as_of``."""
    stock: float = 0.0
    flow: float = 0.0
    last_event_on: date | None = None
    lineage: Lineage | None = None

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """As JSON; with ``limit`` only the ``limit`` largest contributions (``omitted`` says
        how many are left out; the structure is always complete)."""
        shown = self.items[:limit] if limit else self.items
        return {
            "dyad": list(self.dyad),
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at,
            "score": self.score,
            "stock": self.stock,
            "flow": self.flow,
            "index": self.index,
            "last_event_on": self.last_event_on.isoformat() if self.last_event_on else None,
            "days_since_last_event": (
                (self.as_of - self.last_event_on).days if self.last_event_on else None
            ),
            "model_fingerprint": self.model.fingerprint,
            "mode": self.model.mode,
            "structure": [t.to_dict() for t in self.structure],
            "predecessors": self.lineage.to_dict() if self.lineage else [],
            "limit": limit,
            "omitted": len(self.items) - len(shown),
            "events_total": math.fsum(x for *_, x in self.items),
            "contributions": [
                {**ref.to_dict(), "weight": w, "confidence": c, "decay": k, "contribution": x}
                for ref, w, c, k, x in shown
            ],
        }

    def to_frame(self) -> Any:
        """The event contributions as a pandas DataFrame (see :mod:`tracker.frames`)."""
        from tracker.frames import frame

        return frame(self.to_dict()["contributions"], CONTRIBUTION_COLUMNS)


CONTRIBUTION_COLUMNS = (
    "occurred_on",
    "seq",
    "event_id",
    "type",
    "actor",
    "target",
    "weight",
    "confidence",
    "decay",
    "contribution",
    "summary",
)

EXPLAIN_COLUMNS = (
    "kind",
    "what",
    "since",
    "direction",
    *CONTRIBUTION_COLUMNS[:7],
    "factor",
    "confidence",
    "decay",
    "value",
    "detail",
    "summary",
)
"""The CSV rows of ``explain``: structural terms and event contributions, one ``value``
column that adds up to the score."""
