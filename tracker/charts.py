"""Charts of a dyad's index over time: in the terminal (plotext) or as a PNG/SVG (matplotlib).

:func:`chart_data` asks the facade for everything a chart shows and returns plain frozen data:

- the index sampled every period, plus its value on the days that matter (so that a jump shows
  at its true height, not smoothed away by the sampling);
- *marks*: the N event days that moved the score most, ranked by the day's total immediate
  contribution Σ weight × confidence (what ``explain`` reports for those events on their day);
- *changes*: structural changes (relations, agreements, sanctions, armed conflict), found by
  comparing the dyad's structural status before and after each day with a structural event.

The renderers only draw that data. plotext is a base dependency (terminal charts always work);
matplotlib is the optional extra ``relations-tracker[charts]`` and is imported only for image
output, with the non-interactive Agg backend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from events.errors import TrackerError

if TYPE_CHECKING:
    from projections.state import Status
    from tracker.api import KnownAt, Tracker

IMAGE_SUFFIXES = (".png", ".svg")
INSTALL_HINT = "pip install 'relations-tracker[charts]'"
KIND_COLORS = {"agreement": "green", "sanctions": "orange", "relations": "blue", "conflict": "red"}
"""How structural changes are coloured in images."""
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
    """A structural change on ``day``: ``kind`` is agreement, sanctions, relations or conflict."""

    day: date
    kind: str
    text: str


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

    @property
    def title(self) -> str:
        a, b = self.dyad
        return f"{a}–{b} index, {self.start.isoformat()} … {self.end.isoformat()}"


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
) -> ChartData:
    """Everything a chart of the A–B index shows, through the facade only."""
    from events.vocabulary import STRUCTURAL_EFFECTS, type_info
    from projections.state import Status

    samples = tracker.timeline(a, b, start=start, end=end, every=every, known_at=known_at)
    first, last = samples[0].day, end or tracker.today()
    if samples[-1].day < last:  # the period steps may stop short of the last date
        samples.append(tracker.state(a, b, as_of=last, known_at=known_at).score)
    explanation = tracker.explain(a, b, as_of=last, known_at=known_at)
    dyad = explanation.dyad
    if not explanation.items:
        raise ChartError(
            f"{dyad[0]}–{dyad[1]}: no events in the log for this pair"
            + ("" if known_at is None else " at that --known-at"),
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
    scores = {
        day: tracker.state(a, b, as_of=day, known_at=known_at).score
        for day in sorted(set(structural) | set(ranked))
    }

    changes: list[Change] = []
    before = Status()
    if structural and first > date(1900, 1, 1):
        before = tracker.state(
            a, b, as_of=first - timedelta(days=1), known_at=known_at
        ).score.status
    for day in structural:
        after = scores[day].status
        changes += [Change(day, kind, text) for kind, text in status_changes(before, after)]
        before = after

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
    return ChartData(
        dyad, first, last, every, points, tuple(changes), tuple(marks), tracker.model.fingerprint
    )


def status_changes(before: Status, after: Status) -> list[tuple[str, str]]:
    """What changed between two structural statuses, as (kind, text) pairs."""
    out: list[tuple[str, str]] = []
    if after.relations != before.relations:
        out.append(("relations", f"diplomatic relations {after.relations}"))
    old = {ag.name: ag for ag in before.agreements}
    new = {ag.name: ag for ag in after.agreements}
    for name, ag in new.items():
        if name not in old or old[name].status != ag.status:
            out.append(("agreement", f"{ag.kind} {ag.status}: {name}"))
    for name, ag in old.items():
        if name not in new:
            out.append(("agreement", f"{ag.kind} ended: {name}"))
    old_s = {(s.by, s.on, s.regime) for s in before.sanctions}
    new_s = {(s.by, s.on, s.regime) for s in after.sanctions}
    for by, on, regime in sorted(new_s - old_s):
        out.append(("sanctions", f"sanctions {by} on {on}: {regime}"))
    for by, on, regime in sorted(old_s - new_s):
        out.append(("sanctions", f"sanctions lifted, {by} on {on}: {regime}"))
    if after.conflict != before.conflict:
        out.append(("conflict", f"armed conflict {after.conflict}"))
    return out


# -- text legend ---------------------------------------------------------------------------------


def clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def mark_line(m: Mark, width: int = 100) -> str:
    more = f" (+{m.others} more)" if m.others else ""
    head = (
        f"{m.rank:>2}  {m.day.isoformat()}  {m.move:+5.1f} → index {m.index:+6.1f}  "
        f"{m.type} {m.actor}→{m.target}: "
    )
    return head + clip(m.summary, max(width - len(head) - len(more), 24)) + more


def legend_lines(data: ChartData, *, width: int = 100, changes: bool = True) -> list[str]:
    """The text under a terminal chart: numbered marks, then the structural changes."""
    lines = []
    if data.marks:
        lines.append(
            f"numbers: the {len(data.marks)} event days that moved the score most "
            "(Σ weight×confidence → index)"
        )
        lines += ["  " + mark_line(m, width - 2) for m in data.marks]
    if data.changes:
        kinds = ", ".join(
            f"{KIND_LETTERS[k]} {k}" for k in KIND_LETTERS if any(c.kind == k for c in data.changes)
        )
        lines.append(
            f"letters along the bottom: {len(data.changes)} structural changes "
            f"({kinds})"
            + ("" if changes else f"; `tracker chart {data.dyad[0]} {data.dyad[1]}` lists them")
        )
    if changes:
        lines += [
            f"  {KIND_LETTERS.get(c.kind, '?')}  {c.day.isoformat()}  {clip(c.text, width - 17)}"
            for c in data.changes
        ]
    return lines


# -- terminal ------------------------------------------------------------------------------------


def render_terminal(
    data: ChartData, *, width: int = 100, height: int = 20, color: bool = False
) -> str:
    """The chart as text (``width`` × ``height`` terminal cells) with plotext 5 or 6."""
    import plotext

    xs = [p.day.toordinal() for p in data.points]
    ys = [p.index for p in data.points]
    ticks, labels = date_ticks(data.start, data.end, max(width // 12, 2))
    plot = _Plotext5(plotext) if hasattr(plotext, "plot") else _Plotext6(plotext)
    plot.setup(width, height, data.title + f"  (model {data.fingerprint})")
    plot.ticks([t.toordinal() for t in ticks], labels, (xs[0], xs[-1]))
    plot.hline(0.0)
    plot.line(xs, ys)
    letters: dict[int, str] = {}
    for c in data.changes:
        x, letter = c.day.toordinal(), KIND_LETTERS.get(c.kind, "?")
        if letter not in letters.get(x, ""):
            letters[x] = letters.get(x, "") + letter
    for x, text in letters.items():
        plot.text(x, -92.0, text)
    for m in data.marks:
        plot.text(m.day.toordinal(), max(min(m.index, 96.0), -96.0), str(m.rank))
    return plot.build(color)


class _Plotext6:
    """plotext 6.x: an object API on ``plotext.figure``."""

    def __init__(self, module: Any) -> None:
        self.f = module.figure
        self.f.clear()

    def setup(self, width: int, height: int, title: str) -> None:
        self.f.plot_size(width, height)
        self.f.title(title)
        self.f.ruler("y").lim(-100, 100)
        self.f.ruler("y").ticks([-100, -50, 0, 50, 100], ["-100", "-50", "0", "+50", "+100"])

    def ticks(self, ticks: list[int], labels: list[str], lim: tuple[int, int]) -> None:
        self.f.ruler("x").lim(lim[0], max(lim[1], lim[0] + 1))
        self.f.ruler("x").ticks(ticks, labels)

    def hline(self, y: float) -> None:
        self.f.line(y, orientation="horizontal", style="dotted")

    def line(self, xs: Sequence[int], ys: Sequence[float]) -> None:
        self.f.draw(self.f.signal(list(xs), list(ys), marker="braille"))

    def text(self, x: int, y: float, label: str) -> None:
        self.f.draw(self.f.text(x, y, label))

    def build(self, color: bool) -> str:
        if not color:
            self.f.theme("colorless")
        text: str = self.f.build().string(colorless=not color)
        self.f.clear()
        return text.rstrip("\n")


class _Plotext5:
    """plotext 5.x: module-level functions on one implicit figure."""

    def __init__(self, module: Any) -> None:
        self.p = module
        self.p.clear_figure()

    def setup(self, width: int, height: int, title: str) -> None:
        self.p.plotsize(width, height)
        self.p.title(title)
        self.p.ylim(-100, 100)
        self.p.yticks([-100, -50, 0, 50, 100], ["-100", "-50", "0", "+50", "+100"])

    def ticks(self, ticks: list[int], labels: list[str], lim: tuple[int, int]) -> None:
        self.p.xlim(lim[0], max(lim[1], lim[0] + 1))
        self.p.xticks(ticks, labels)

    def hline(self, y: float) -> None:
        self.p.hline(y)

    def line(self, xs: Sequence[int], ys: Sequence[float]) -> None:
        self.p.plot(list(xs), list(ys), marker="braille")

    def text(self, x: int, y: float, label: str) -> None:
        self.p.text(label, x, y)

    def build(self, color: bool) -> str:
        if not color:
            self.p.theme("clear")
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


def render_image(
    data: ChartData,
    out: Path,
    *,
    width: int = 1200,
    height: int = 600,
    stream: IO[bytes] | None = None,
) -> None:
    """Write the chart to ``out`` (PNG or SVG by its suffix), ``width`` × ``height`` pixels;
    with ``stream``, into that file instead (named ``out``: see :mod:`tracker.outputs`)."""
    suffix = out.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ChartError(
            f"out {str(out)!r}: the file name must end in .png or .svg", field="out", value=str(out)
        )
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import date2num as _date2num
    from matplotlib.lines import Line2D

    date2num = cast(Any, _date2num)  # untyped in matplotlib

    dpi = 100
    fig, ax = plt.subplots(figsize=(width / dpi, height / dpi), dpi=dpi)
    try:
        ax.xaxis_date()
        xs = [float(date2num(p.day)) for p in data.points]
        ax.plot(
            xs,
            [p.index for p in data.points],
            color="#1f3b73",
            linewidth=1.4,
            label="index",
            zorder=3,
        )
        ax.axhline(0, color="#888888", linewidth=0.8, linestyle=":")
        ax.set_ylim(-105, 105)
        for c in data.changes:
            ax.axvline(
                float(date2num(c.day)),
                color=KIND_COLORS.get(c.kind, "gray"),
                linewidth=0.8,
                alpha=0.55,
                linestyle="--",
                zorder=1,
            )
        for m, (dy, ha) in zip(data.marks, _placements(data), strict=True):
            ax.annotate(
                f"{m.rank}. {m.day.isoformat()}\n{clip(m.summary or m.type, 38)}",
                xy=(float(date2num(m.day)), m.index),
                xytext=(0, dy),
                textcoords="offset points",
                ha=ha,
                fontsize=7,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#999999", "alpha": 0.9},
                arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.7},
                zorder=4,
            )
            ax.plot(
                [float(date2num(m.day))], [m.index], "o", color="#c0392b", markersize=4, zorder=5
            )
        kinds = sorted({c.kind for c in data.changes})
        handles = [Line2D([], [], color="#1f3b73", label="index")]
        handles += [
            Line2D([], [], color=KIND_COLORS.get(k, "gray"), linestyle="--", label=f"{k} change")
            for k in kinds
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
        ax.set_title(data.title, fontsize=11)
        ax.set_ylabel("index (−100 … +100)")
        ax.grid(axis="y", alpha=0.25)
        fig.text(
            0.99,
            0.01,
            f"model {data.fingerprint} · relations-tracker",
            ha="right",
            fontsize=7,
            color="#777777",
        )
        fig.autofmt_xdate()
        fig.tight_layout()
        metadata: dict[str, Any] = {"Date": None} if suffix == ".svg" else {}
        fig.savefig(out if stream is None else stream, format=suffix[1:], metadata=metadata)
    finally:
        plt.close(fig)


def _placements(data: ChartData) -> list[tuple[int, str]]:
    """Offsets (points) and alignments for the mark labels, staggered so that labels of marks
    close in time do not overlap: above the line when the index is low, below when high."""
    span = max((data.end - data.start).days, 1)
    placed: list[tuple[float, bool, int]] = []
    out: list[tuple[int, str]] = []
    for m in data.marks:
        x = (m.day - data.start).days / span
        up = m.index < 40
        level = next(
            lv
            for lv in range(len(data.marks) + 1)
            if not any(abs(x - px) < 0.17 and pu == up and pl == lv for px, pu, pl in placed)
        )
        placed.append((x, up, level))
        dy = 30 + 30 * level
        ha = "left" if x < 0.08 else "right" if x > 0.92 else "center"
        out.append((dy if up else -dy - 8, ha))
    return out
