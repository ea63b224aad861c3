"""Timelines: a dyad's index sampled at regular dates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from projections.model import ScoringModel
from projections.periods import PERIODS
from projections.score import Checkpoint, Score, latest, score_at


def dates(start: date, end: date, every: str) -> Iterator[date]:
    """``start``, then every period after it, up to and including ``end``."""
    if every not in PERIODS:
        raise ValueError(f"every {every!r}: must be one of {', '.join(PERIODS)}")
    months = {"month": 1, "quarter": 3, "year": 12}.get(every)
    i = 0
    while True:
        if months is None:
            d = start + timedelta(days=i * (7 if every == "week" else 1))
        else:
            total = start.month - 1 + i * months
            year, month = start.year + total // 12, total % 12 + 1
            d = date(year, month, min(start.day, _days_in(year, month)))
        if d > end:
            return
        yield d
        i += 1


def _days_in(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def sample(
    checkpoints: Sequence[Checkpoint], points: Sequence[date], model: ScoringModel, party_a: str
) -> list[Score]:
    """The dyad's score at each date, from its checkpoints (in day order)."""
    return [score_at(latest(checkpoints, d), d, model, party_a) for d in points]


def conflict_periods(checkpoints: Sequence[Checkpoint]) -> list[tuple[date, date | None]]:
    """The periods of active armed conflict, as (start, end) with end None while still
    active at the last checkpoint: the shading of a chart. A ceasefire or the conflict's end
    closes a period; fighting that resumes opens a new one."""
    out: list[tuple[date, date | None]] = []
    start: date | None = None
    for c in checkpoints:
        active = c.status.at_war
        if active and start is None:
            start = c.status.conflict_since or c.day
        elif not active and start is not None:
            out.append((start, c.status.conflict_since or c.day))
            start = None
    if start is not None:
        out.append((start, None))
    return out
