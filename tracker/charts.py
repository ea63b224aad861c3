"""Charts of a dyad's index over time: in the terminal (plotext) or as a PNG/SVG (matplotlib).

:func:`chart_data` asks the facade for everything a chart shows and returns plain frozen data:

- the index sampled every period, plus its value on the days that matter (so that a jump shows
  at its true height, not smoothed away by the sampling);
- *marks*: the N event days that moved the score most, ranked by the day's total immediate
  contribution Σ weight × confidence (what ``explain`` reports for those events on their day);
- *changes*: structural changes (relations, agreements, sanctions, armed conflict), found by
  comparing the dyad's structural status before and after each day with a structural event,
  and the armed-conflict *periods* they imply;
- what a reader needs to trust and reproduce it: the parties' names, the model (its bands and
  fingerprint), the log head and the date of the last event (the end of the record).

The renderers only draw that data: :func:`render_terminal` here (plotext, a base dependency,
so terminal charts always work) and :func:`tracker.chart_image.render_image`
(matplotlib, the optional extra ``relations-tracker[charts]``, imported only for images).

This module is over 400 lines because it assembles every piece of a chart's data and renders
the terminal chart from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from events.dates import EARLIEST
from events.errors import TrackerError
from tracker.render import signed

if TYPE_CHECKING:
    from projections.state import Status
    from tracker.api import KnownAt, Tracker

IMAGE_SUFFIXES = (".png", ".svg")
INSTALL_HINT = "pip install 'relations-tracker[charts]'"
KINDS = ("conflict", "relations", "agreement", "sanctions")
"""The kinds of structural change, in the order a chart gives them room."""
KIND_NAMES = {
    "agreement": "agreement",
    "sanctions": "sanctions",
    "relations": "diplomatic relations",
    "conflict": "armed conflict",
}
KIND_LETTERS = {"agreement": "A", "sanctions": "S", "relations": "R", "conflict": "W"}
"""How structural changes are marked along the bottom of a terminal chart."""


class ChartError(TrackerError):
    """A chart cannot be drawn (no events for the pair, or image support not installed)."""


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    index: float
    label: str


@dataclass(frozen=True, slots=True)
class Change:
    """A structural change on ``day``: ``kind`` is agreement, sanctions, relations or conflict;
    ``what`` says what happened ("treaty in force", "relations severed") and ``name`` names
    the agreement or sanctions regime ("" when there is none)."""

    day: date
    kind: str
    what: str
    name: str = ""
    index: float = 0.0
    """The index that day, where a chart puts the change's marker."""

    @property
    def text(self) -> str:
        return f"{self.what}: {self.name}" if self.name else self.what


@dataclass(frozen=True, slots=True)
class Period:
    """An armed conflict in one state (``active`` or ``ceasefire``) from ``start`` to ``end``
    (``end`` is the chart's last day when it still holds then)."""

    start: date
    end: date
    state: str


@dataclass(frozen=True, slots=True)
class Mark:
    """One of the event days that moved the score most (rank 1 = the largest)."""

    rank: int
    day: date
    index: float
    move: float
    """The day's total immediate contribution: Σ weight × confidence of its events."""
    type: str
    actor: str
    target: str
    summary: str | None
    others: int
    """How many more events the same day (the mark names the largest one)."""


@dataclass(frozen=True, slots=True)
class ChartData:
    dyad: tuple[str, str]
    start: date
    end: date
    every: str
    points: tuple[Point, ...]
    changes: tuple[Change, ...]
    marks: tuple[Mark, ...]
    fingerprint: str
    names: tuple[str, str] = ("", "")
    """The parties' names, in the order of ``dyad``."""
    conflicts: tuple[Period, ...] = ()
    last_event: date | None = None
    """The last event of the pair on or before ``end`` (the end of the record)."""
    events: int = 0
    """How many events of the pair, not retracted, on or before ``end``."""
    head: tuple[int, str] = (0, "")
    """The log head (seq, hash) the chart was drawn from."""
    known_at: int | None = None
    """The log position the chart reads as of (None: the whole log)."""
    bands: tuple[tuple[str, float], ...] = ()
    """The model's bands (label, lower bound), highest first."""
    model_text: str = ""
    """One line saying what the index is under this model."""
    store: str = ""
    """The store's file name, for the credit line."""
    rests_on_structure: bool = False
    """At ``end`` the event flow has faded: the reading rests on the structure in force."""
    predecessors: tuple[tuple[str, str], ...] = ()
    """The predecessor dyads whose record the chart includes (Russia's: the USSR's)."""
    predecessor_notes: tuple[str, ...] = ()
    """One sentence per included dyad ("includes the record of PRK–SUN (…)")."""
    with_predecessors: bool = True
    """Drawn with continuity (the default) or, with ``--no-predecessors``, the pair's own record."""

    def to_dict(self) -> dict[str, Any]:
        """What the chart shows, as JSON (``chart --json``): its points, numbered event days,
        structural changes and armed-conflict periods, and where the numbers come from."""
        return {
            "dyad": list(self.dyad),
            "names": list(self.names),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "every": self.every,
            "known_at": self.known_at,
            "head": {"seq": self.head[0], "hash": self.head[1]},
            "model_fingerprint": self.fingerprint,
            "events": self.events,
            "last_event_on": self.last_event.isoformat() if self.last_event else None,
            "rests_on_structure": self.rests_on_structure,
            "points": [
                {"as_of": p.day.isoformat(), "index": p.index, "label": p.label}
                for p in self.points
            ],
            "marks": [
                {
                    "rank": m.rank,
                    "occurred_on": m.day.isoformat(),
                    "index": m.index,
                    "move": m.move,
                    "type": m.type,
                    "actor": m.actor,
                    "target": m.target,
                    "summary": m.summary,
                    "others": m.others,
                }
                for m in self.marks
            ],
            "changes": [
                {
                    "occurred_on": c.day.isoformat(),
                    "kind": c.kind,
                    "what": c.what,
                    "name": c.name,
                    "index": c.index,
                }
                for c in self.changes
            ],
            "conflict_periods": [
                {"start": c.start.isoformat(), "end": c.end.isoformat(), "state": c.state}
                for c in self.conflicts
            ],
        }

    @property
    def title(self) -> str:
        a, b = self.dyad
        return f"{a}–{b} index, {self.start.isoformat()} … {self.end.isoformat()}"

    @property
    def headline(self) -> str:
        """The parties' names, for an image's title."""
        a, b = (name or code for name, code in zip(self.names, self.dyad, strict=True))
        return f"{a} and {b}"

    @property
    def credit(self) -> str:
        """Where the numbers come from and how to reproduce them."""
        seq, digest = self.head
        known = "" if self.known_at is None else f" as known at seq {self.known_at}"
        included = "".join(f" and {x}–{y}" for x, y in self.predecessors)
        return (
            f"Data: {self.events} events of {self.dyad[0]}–{self.dyad[1]}{included} in "
            f"{self.store or 'the log'}{known} · log head seq {seq} {digest[:16]} · "
            f"model {self.fingerprint} · relations-tracker"
        )


# -- data ----------------------------------------------------------------------------------------


def chart_data(
    tracker: Tracker,
    a: str,
    b: str,
    *,
    start: date | None = None,
    end: date | None = None,
    every: str = "month",
    top: int = 5,
    known_at: KnownAt = None,
    predecessors: bool = True,
) -> ChartData:
    """Everything a chart of the A–B index shows, through the facade only; ``predecessors``
    as in :meth:`Tracker.state` (the record of the states A and B continue counts too)."""
    from events.parties import party
    from events.vocabulary import STRUCTURAL_EFFECTS, type_info
    from projections.state import Status

    def state_on(day: date) -> Any:
        return tracker.state(a, b, as_of=day, known_at=known_at, predecessors=predecessors)

    samples = tracker.timeline(
        a, b, start=start, end=end, every=every, known_at=known_at, predecessors=predecessors
    )
    first, last = samples[0].day, end or tracker.today()
    if samples[-1].day < last:  # the period steps may stop short of the last date
        samples.append(state_on(last).score)
    explanation = tracker.explain(a, b, as_of=last, known_at=known_at, predecessors=predecessors)
    dyad = explanation.dyad
    if not explanation.items:
        raise ChartError(
            f"{dyad[0]}–{dyad[1]}: no events in the log for this pair"
            + ("" if known_at is None else " at that known_at"),
            field="dyad",
            value=list(dyad),
        )
    by_day: dict[date, list[tuple[Any, float]]] = {}
    for ref, weight, confidence, _decay, _contribution in explanation.items:
        if first <= ref.occurred_on <= last:
            by_day.setdefault(ref.occurred_on, []).append((ref, weight * confidence))
    moves = {day: math.fsum(x for _, x in items) for day, items in by_day.items()}
    structural = sorted(
        day
        for day, items in by_day.items()
        if any(set(type_info(ref.type).effects) & STRUCTURAL_EFFECTS for ref, _ in items)
    )
    ranked = sorted(by_day, key=lambda d: (-abs(moves[d]), -d.toordinal()))[:top]
    scores = {day: state_on(day).score for day in sorted(set(structural) | set(ranked))}

    changes: list[Change] = []
    before = Status()
    if first > EARLIEST:
        before = state_on(first - timedelta(days=1)).score.status
    conflict = (before.conflict, first)
    periods: list[Period] = []
    for day in structural:
        after = scores[day].status
        changes += [
            Change(day, kind, what, name, scores[day].index)
            for kind, what, name in status_changes(before, after)
        ]
        if after.conflict != conflict[0]:
            if conflict[0] in ("active", "ceasefire"):
                periods.append(Period(conflict[1], day, conflict[0]))
            conflict = (after.conflict, day)
        before = after
    if conflict[0] in ("active", "ceasefire"):
        periods.append(Period(conflict[1], last, conflict[0]))

    marks = []
    for rank, day in enumerate(ranked, 1):
        ref, _ = max(by_day[day], key=lambda item: (abs(item[1]), -item[0].seq))
        marks.append(
            Mark(
                rank,
                day,
                scores[day].index,
                moves[day],
                ref.type,
                ref.actor,
                ref.target,
                ref.summary,
                len(by_day[day]) - 1,
            )
        )

    merged = {s.day: Point(s.day, s.index, s.label) for s in samples}
    merged.update({d: Point(d, s.index, s.label) for d, s in scores.items()})
    points = tuple(merged[d] for d in sorted(merged))
    model = tracker.model
    head = tracker.head()
    end_score = samples[-1]
    last_event = getattr(end_score, "last_event_on", None) or max(
        ref.occurred_on for ref, *_ in explanation.items
    )
    return ChartData(
        dyad,
        first,
        last,
        every,
        points,
        tuple(changes),
        tuple(marks),
        model.fingerprint,
        names=(party(dyad[0]).name, party(dyad[1]).name),
        conflicts=tuple(periods),
        last_event=last_event,
        events=len(explanation.items),
        head=(head.seq, head.hash),
        known_at=tracker.known_seq(known_at),
        bands=tuple((band.label, band.lower) for band in model.bands),
        model_text=model_summary(model),
        store=tracker.name,
        rests_on_structure=bool(getattr(end_score, "faded", False)),
        predecessors=explanation.lineage.included if explanation.lineage else (),
        predecessor_notes=tuple(explanation.lineage.notes()) if explanation.lineage else (),
        with_predecessors=predecessors,
    )


def model_summary(model: Any) -> str:
    """What the index is, in one line (the chart's subtitle)."""
    stock = any(getattr(model, "structure", {}).values()) or any(
        getattr(model, "agreements", {}).values()
    )
    flow = (
        "F the events' Goldstein weights × confidence"
        if model.mode == "sum"
        else "F from the events' decayed, confidence-weighted mean Goldstein value"
    )
    formula = f"100·tanh((B + F)/{model.scale:g})" if stock else f"100·tanh(F/{model.scale:g})"
    parts = [f"Index = {formula}", f"{flow}, each fading by half in {model.half_life_days:g} days"]
    if stock:
        parts.append("B the structure in force (relations, agreements, sanctions, conflict)")
    return ", ".join(parts) + f" · scoring model {model.fingerprint}"


def status_changes(before: Status, after: Status) -> list[tuple[str, str, str]]:
    """What changed between two structural statuses, as (kind, what, name) triples."""
    out: list[tuple[str, str, str]] = []
    if after.relations != before.relations:
        out.append(("relations", f"diplomatic relations {after.relations}", ""))
    old = {ag.name: ag for ag in before.agreements}
    new = {ag.name: ag for ag in after.agreements}
    for name, ag in new.items():
        if name not in old or old[name].status != ag.status:
            out.append(("agreement", f"{ag.kind} {ag.status}", name))
    for name, ag in old.items():
        if name not in new:
            out.append(("agreement", f"{ag.kind} ended", name))
    old_s = {(s.by, s.on, s.regime) for s in before.sanctions}
    new_s = {(s.by, s.on, s.regime) for s in after.sanctions}
    for by, on, regime in sorted(new_s - old_s):
        out.append(("sanctions", f"sanctions {by} on {on}", regime))
    for by, on, regime in sorted(old_s - new_s):
        out.append(("sanctions", f"sanctions lifted, {by} on {on}", regime))
    if after.conflict != before.conflict:
        out.append(("conflict", f"armed conflict {after.conflict}", ""))
    return out


# -- text legend ---------------------------------------------------------------------------------


def clip(text: str | None, width: int) -> str:
    """Text shortened for a chart's legend (see :func:`tracker.terminal.shorten`)."""
    from tracker.terminal import shorten

    return shorten(text, width)


def mark_line(m: Mark, width: int = 100) -> str:
    """One numbered day, at most ``width`` characters."""
    more = f" (+{m.others} more)" if m.others else ""
    head = (
        f"{m.rank:>2}  {m.day.isoformat()}  {signed(m.move):>5} → index {signed(m.index):>6}  "
        f"{m.type} {m.actor}→{m.target}: "
    )
    room = width - len(head) - len(more)
    if room < 12:  # narrow: the summary on its own, under the numbers
        return clip(head.rstrip(": ") + more, width)
    return head + clip(m.summary, room) + more


def legend_lines(data: ChartData, *, width: int = 100, changes: bool = True) -> list[str]:
    """The text under a terminal chart, no line wider than ``width``: the predecessors'
    record it includes, numbered marks, then the structural changes."""
    import textwrap

    lines = [line for note in data.predecessor_notes for line in textwrap.wrap(note, width)]
    if data.marks:
        lines += textwrap.wrap(
            f"numbers: the {len(data.marks)} event days that moved the score most "
            "(Σ weight×confidence → index)",
            width,
        )
        lines += ["  " + mark_line(m, width - 2) for m in data.marks]
    if data.changes:
        kinds = ", ".join(
            f"{KIND_LETTERS[k]} {k}" for k in KIND_LETTERS if any(c.kind == k for c in data.changes)
        )
        lines += textwrap.wrap(
            f"letters along the bottom: {len(data.changes)} structural changes ({kinds})"
            + ("" if changes else f"; `tracker chart {data.dyad[0]} {data.dyad[1]}` lists them"),
            width,
        )
    if changes:
        lines += [
            f"  {KIND_LETTERS.get(c.kind, '?')}  {c.day.isoformat()}  "
            + clip(c.text, max(width - 17, 1))
            for c in data.changes
        ]
    return lines


# -- terminal ------------------------------------------------------------------------------------

TERMINAL_COLOURS = {
    "line": 33,
    "mark": 127,
    "agreement": 34,
    "sanctions": 166,
    "relations": 33,
    "conflict": 160,
    "zero": 244,
}
"""256-colour codes, each readable on a dark and on a light background (no pure white, black
or yellow); the frame, ticks and title keep the terminal's own foreground colour."""


def render_terminal(
    data: ChartData, *, width: int = 100, height: int = 20, color: bool = False
) -> str:
    """The chart as text, exactly ``width`` columns and ``height`` rows (plotext 5 or 6),
    whether or not the output is a terminal."""
    import plotext

    xs = [p.day.toordinal() for p in data.points]
    ys = [p.index for p in data.points]
    ticks, labels = date_ticks(data.start, data.end, max(width // 12, 2))
    letters: dict[int, tuple[str, str]] = {}
    for c in data.changes:
        x, letter = c.day.toordinal(), KIND_LETTERS.get(c.kind, "?")
        text, kind = letters.get(x, ("", c.kind))
        if letter not in text:
            letters[x] = (text + letter, kind)
    texts = [(x, -92.0, text, kind) for x, (text, kind) in letters.items()]
    texts += [
        (m.day.toordinal(), max(min(m.index, 96.0), -96.0), str(m.rank), "mark") for m in data.marks
    ]
    plot = _Plotext5(plotext) if hasattr(plotext, "plot") else _Plotext6(plotext)
    title = f"{data.title}  (model {data.fingerprint})"
    if len(title) > width:
        title = clip(data.title, width)
    plot.setup(width, height, title, color)
    plot.ticks([t.toordinal() for t in ticks], labels, (xs[0], xs[-1]))
    plot.hline(0.0, (xs[0], xs[-1]), width)
    plot.line(xs, ys)
    for x, y, text, kind in texts:
        plot.text(x, y, text, kind)
    return plot.build(color)


class _Plotext6:
    """plotext 6.x: an object API on ``plotext.figure``; a theme without colours for the
    frame, the line's colour from its sequence, each label coloured by itself."""

    def __init__(self, module: Any) -> None:
        self.m = module
        self.f = module.figure
        self.f.clear()

    def setup(self, width: int, height: int, title: str, color: bool) -> None:
        self.m.terminal.limit(False, False)  # the size asked for, not the terminal's (or 80×24)
        self.f.plot_size(width, height)
        self.color = color
        if color:
            self.m.add_theme("relations-tracker", sequence=[TERMINAL_COLOURS["line"]])
            self.f.theme("relations-tracker")
        else:
            self.f.theme("colorless")
        self.f.title(title)
        self.f.ruler("y").lim(-100, 100)
        self.f.ruler("y").ticks([-100, -50, 0, 50, 100], ["-100", "-50", "0", "+50", "+100"])

    def ticks(self, ticks: list[int], labels: list[str], lim: tuple[int, int]) -> None:
        self.f.ruler("x").lim(lim[0], max(lim[1], lim[0] + 1))
        self.f.ruler("x").ticks(ticks, labels)

    def hline(self, y: float, lim: tuple[int, int], width: int) -> None:
        """A dotted line at ``y``: one marker per column (plotext's own line() paints a white
        background, which a dark terminal shows as a bar)."""
        mark: Any = "┈"
        if self.color:
            mark = self.m.colorize("┈").fill(self.m.pixel(foreground=TERMINAL_COLOURS["zero"]))
        span = max(lim[1] - lim[0], 1)
        xs = [lim[0] + span * i / (2 * width) for i in range(2 * width + 1)]
        self.f.draw(self.f.signal(xs, [y] * len(xs), marker=mark))

    def line(self, xs: Sequence[int], ys: Sequence[float]) -> None:
        self.f.draw(self.f.signal(list(xs), list(ys), marker="braille"))

    def text(self, x: int, y: float, label: str, kind: str) -> None:
        if self.color:
            pixel = self.m.pixel(foreground=TERMINAL_COLOURS[kind])
            self.f.draw(self.f.text(x, y, self.m.colorize(label).fill(pixel)))
        else:
            self.f.draw(self.f.text(x, y, label))

    def build(self, color: bool) -> str:
        text: str = self.f.build().string(colorless=not color)
        self.f.clear()
        return text.rstrip("\n")


class _Plotext5:
    """plotext 5.x: module-level functions on one implicit figure."""

    def __init__(self, module: Any) -> None:
        self.p = module
        self.p.clear_figure()
        self.color = False

    def setup(self, width: int, height: int, title: str, color: bool) -> None:
        if hasattr(self.p, "limitsize"):
            self.p.limitsize(False, False)  # the size asked for, not the terminal's
        self.p.plotsize(width, height)
        self.p.theme("clear")  # the terminal's own colours for frame and text
        self.color = color
        self.p.title(title)
        self.p.ylim(-100, 100)
        self.p.yticks([-100, -50, 0, 50, 100], ["-100", "-50", "0", "+50", "+100"])

    def ticks(self, ticks: list[int], labels: list[str], lim: tuple[int, int]) -> None:
        self.p.xlim(lim[0], max(lim[1], lim[0] + 1))
        self.p.xticks(ticks, labels)

    def hline(self, y: float, lim: tuple[int, int], width: int) -> None:
        self.p.hline(y)

    def _colour(self, kind: str) -> dict[str, Any]:
        return {"color": TERMINAL_COLOURS[kind]} if self.color else {}

    def line(self, xs: Sequence[int], ys: Sequence[float]) -> None:
        self.p.plot(list(xs), list(ys), marker="braille", **self._colour("line"))

    def text(self, x: int, y: float, label: str, kind: str) -> None:
        self.p.text(label, x, y, **self._colour(kind))

    def build(self, color: bool) -> str:
        text = str(self.p.build())
        self.p.clear_figure()
        if not color and hasattr(self.p, "uncolorize"):
            text = self.p.uncolorize(text)
        return text.rstrip("\n")


def date_ticks(start: date, end: date, most: int) -> tuple[list[date], list[str]]:
    """At most ``most`` round dates between ``start`` and ``end``, with short labels."""
    span = (end - start).days
    if span >= 3 * 365:
        first, last = start.year + (start > date(start.year, 1, 1)), end.year
        step = next(
            (s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (last - first) // s + 1 <= most), 100
        )
        years = range(first + (-first) % step, last + 1, step)
        return [date(y, 1, 1) for y in years], [str(y) for y in years]
    months = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        if date(y, m, 1) >= start:
            months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if not months:
        return [start], [start.isoformat()]
    step = next((s for s in (1, 2, 3, 6, 12) if len(months[::s]) <= most), 12)
    picked = months[::step]
    return picked, [d.strftime("%Y-%m") for d in picked]


# -- images --------------------------------------------------------------------------------------


def require_matplotlib() -> None:
    """Fail early, with the command to run, when image output is asked for without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ChartError(
            "image output (--out FILE.png|.svg) needs matplotlib, which is not "
            f"installed: {INSTALL_HINT}",
            field="out",
        ) from None
