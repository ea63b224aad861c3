"""Where to put a chart's labels so that none overlaps another, the plotted line or the frame.

Pure geometry in display pixels (origin bottom left, as matplotlib's), with no drawing: the
image renderer measures each label's box, asks :class:`Placer` for a spot and draws it there.
The placer is greedy: labels are placed in the order given (the most important first), each at
the nearest candidate spot around its anchor that is

- inside the frame,
- clear of the line (a polyline, tested with matplotlib's path-box intersection),
- clear of every fixed obstacle (the markers) and every label placed before it,
- joined to its anchor by a leader that crosses no other label and no other leader.

A label may offer several texts, longest first (say the full headline, then a short one);
the first that fits anywhere wins, and a label none of whose texts fits is not placed, which
the caller reports rather than draw an overlap.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from events.named import NamedTuple

GAP = 3.0
"""Pixels kept free around every box."""


class Box(NamedTuple):
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def grow(self, by: float) -> Box:
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def overlaps(self, other: Box) -> bool:
        return not (
            self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0
        )

    def within(self, frame: Box) -> bool:
        return (
            self.x0 >= frame.x0
            and self.y0 >= frame.y0
            and self.x1 <= frame.x1
            and self.y1 <= frame.y1
        )

    def distance(self, x: float, y: float) -> float:
        """From a point to the nearest point of the box (0 inside)."""
        dx = max(self.x0 - x, 0.0, x - self.x1)
        dy = max(self.y0 - y, 0.0, y - self.y1)
        return math.hypot(dx, dy)


Segment = tuple[tuple[float, float], tuple[float, float]]


def segment_hits_box(seg: Segment, box: Box) -> bool:
    """Whether a segment passes through a box (Liang–Barsky clipping)."""
    (x0, y0), (x1, y1) = seg
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def segments_cross(s: Segment, t: Segment) -> bool:
    """Whether two segments cross at a point inside both (touching ends do not count)."""

    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(t[0], t[1], s[0]), orient(t[0], t[1], s[1])
    d3, d4 = orient(s[0], s[1], t[0]), orient(s[0], s[1], t[1])
    return d1 * d2 < 0 and d3 * d4 < 0


def leader(anchor: tuple[float, float], box: Box) -> Segment:
    """The leader from the anchor to where the line towards the box's centre meets the box
    (as matplotlib draws an annotation's connector from its box's centre, clipped)."""
    cx, cy = box.centre
    ax, ay = anchor
    dx, dy = ax - cx, ay - cy
    hw, hh = (box.x1 - box.x0) / 2, (box.y1 - box.y0) / 2
    s = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf, 1.0)
    return anchor, (cx + dx * s, cy + dy * s)


@dataclass(frozen=True)
class Placed:
    box: Box
    variant: int
    leader: Segment


DISTANCES = (10, 16, 24, 34, 46, 60, 76, 94, 114, 136, 160, 186, 214, 244, 276, 310, 346, 384)
"""How far from the anchor (pixels) candidate spots are tried, nearest first."""


class Placer:
    """Places boxes one by one; see the module docstring for the rules."""

    def __init__(
        self, frame: Box, line: Any = None, obstacles: Sequence[Box] = (), gap: float = GAP
    ) -> None:
        from matplotlib.transforms import Bbox

        self._bbox = Bbox
        self.frame = frame
        self.line = line
        """A matplotlib Path in display pixels, or None."""
        self.obstacles = list(obstacles)
        self.gap = gap
        self.placed: list[Placed] = []

    def place(
        self, anchor: tuple[float, float], sizes: Sequence[tuple[float, float]], *, up: bool
    ) -> Placed | None:
        """The nearest free spot for the first of ``sizes`` (w, h) that fits anywhere, above
        the anchor first when ``up``; None when none fits."""
        for variant, (w, h) in enumerate(sizes):
            for box in self.candidates(anchor, w, h, up):
                if self._free(anchor, box):
                    placed = Placed(box, variant, leader(anchor, box))
                    self.placed.append(placed)
                    return placed
        return None

    def candidates(self, anchor: tuple[float, float], w: float, h: float, up: bool) -> list[Box]:
        """Every spot tried, in order of preference (nearest first, the preferred side
        winning ties)."""
        ax, ay = anchor
        scored: list[tuple[float, Box]] = []
        shifts = (0.0, -0.25, 0.25, -0.5, 0.5, -0.8, 0.8)
        for d in DISTANCES:
            for sign in (1, -1):
                penalty = 0.0 if (sign == 1) == up else 18.0
                for f in shifts:
                    x0 = ax - w / 2 + f * (w + 8)
                    y0 = ay + d if sign == 1 else ay - d - h
                    box = Box(x0, y0, x0 + w, y0 + h)
                    scored.append((box.distance(ax, ay) + penalty + 6 * abs(f), box))
                for dy in (-h / 2, 0.0, -h, 8.0, -h - 8.0):  # beside the anchor
                    x0 = ax + d if sign == 1 else ax - d - w
                    box = Box(x0, ay + dy, x0 + w, ay + dy + h)
                    scored.append((box.distance(ax, ay) + 10.0, box))
        scored.sort(key=lambda item: item[0])
        return [box for _, box in scored]

    def _free(self, anchor: tuple[float, float], box: Box) -> bool:
        if not box.grow(self.gap).within(self.frame):
            return False
        padded = box.grow(self.gap)
        if any(padded.overlaps(o) for o in self.obstacles):
            return False
        if any(padded.overlaps(p.box.grow(self.gap)) for p in self.placed):
            return False
        if self.line is not None and self.line.intersects_bbox(
            self._bbox.from_extents(*padded), filled=False
        ):
            return False
        lead = leader(anchor, box)
        for p in self.placed:
            if segment_hits_box(lead, p.box.grow(1.0)) or segment_hits_box(p.leader, padded):
                return False
            if segments_cross(lead, p.leader):
                return False
        return True

    def boxes(self) -> Iterator[Box]:
        return (p.box for p in self.placed)
