"""A chart of a dyad's index as an image a newsroom could publish (matplotlib, Agg backend).

What it shows, from :class:`tracker.charts.ChartData` only:

- a title with the parties' names and a subtitle saying what the index is (formula, half-life,
  model fingerprint) and over which dates;
- the model's bands as light shading, their names on the right-hand axis;
- armed-conflict periods shaded (active, and ceasefire lighter);
- the numbered event days that moved the score most, each with its date and headline;
- structural changes as markers, one shape and colour per kind, each labelled, with a legend
  entry per kind;
- the end of the record (the last event) marked, and the stretch after it, where the index
  only fades, shaded;
- a credit line: the data, the log head and the model fingerprint.

Labels never overlap each other, the line or the frame: the layout is fixed first, every label
is measured with the renderer, and :class:`tracker.labels.Placer` finds it a free spot. A label
that fits nowhere even in its shortest form is left out and the credit line says how many.

SVG keeps text as ``<text>`` elements (``svg.fonttype = none``) so that it can be searched,
selected and edited; the SVG is reproducible (no date, fixed element ids).

This module is over 400 lines because one figure's layout (bands, shading, marks, labels,
legend) is decided and drawn in one place.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from tracker.charts import (
    IMAGE_SUFFIXES,
    KIND_NAMES,
    KINDS,
    Change,
    ChartData,
    ChartError,
    Mark,
    require_matplotlib,
)
from tracker.labels import Box, Placer

DPI = 100
LINE_COLOUR = "#1f3b73"
MARK_COLOUR = "#b71c1c"
TEXT_COLOUR = "#212121"
MUTED = "#616161"
CONFLICT_COLOUR = "#c62828"
KIND_STYLE: dict[str, tuple[str, str]] = {
    "agreement": ("^", "#2e7d32"),
    "sanctions": ("s", "#d35400"),
    "relations": ("D", "#1565c0"),
    "conflict": ("X", "#c62828"),
}
"""Marker and colour of each kind of structural change."""
RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "relations-tracker",
    "font.family": "DejaVu Sans",
    "axes.unicode_minus": True,
}
MIN_SIZE = (640, 400)
"""The smallest image (pixels) that keeps every element legible."""


@dataclass
class Drawn:
    """A drawn chart, kept for saving and for tests that check its geometry."""

    fig: Any
    ax: Any
    line: Any
    """The index line (a Line2D)."""
    labels: list[Any] = field(default_factory=list)
    """Every placed annotation, in placement order."""
    unplaced: list[str] = field(default_factory=list)
    """The labels that found no free spot (their markers are still drawn)."""


def render_image(
    data: ChartData,
    out: Path,
    *,
    width: int = 1200,
    height: int = 600,
    stream: IO[bytes] | None = None,
) -> None:
    """Write the chart to ``out`` (PNG or SVG by its suffix), ``width`` × ``height`` pixels,
    or into ``stream`` in the format ``out`` names (see :mod:`tracker.outputs`)."""
    suffix = out.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ChartError(
            f"out {str(out)!r}: the file name must end in .png or .svg", field="out", value=str(out)
        )
    require_matplotlib()
    import matplotlib

    with matplotlib.rc_context(RC):
        drawn = draw_chart(data, width=width, height=height)
        try:
            metadata: dict[str, Any] = {"Date": None} if suffix == ".svg" else {"Software": None}
            drawn.fig.savefig(
                out if stream is None else stream, format=suffix[1:], metadata=metadata
            )
        finally:
            import matplotlib.pyplot as plt

            plt.close(drawn.fig)


def draw_chart(data: ChartData, *, width: int = 1200, height: int = 600) -> Drawn:
    """Lay out and draw the chart on a new figure of ``width`` × ``height`` pixels."""
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise ChartError(
            f"image size {width}×{height}: at least {MIN_SIZE[0]}×{MIN_SIZE[1]} pixels",
            field="size",
            value=[width, height],
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    fig.patch.set_facecolor("white")
    try:
        return _Chart(fig, data, width, height).draw()
    except BaseException:
        plt.close(fig)
        raise


class _Chart:
    def __init__(self, fig: Any, data: ChartData, width: int, height: int) -> None:
        self.fig, self.data, self.w, self.h = fig, data, width, height
        self.renderer = fig.canvas.get_renderer()
        self.left, self.right = 58.0, 104.0

    # -- measuring ----------------------------------------------------------------------------

    def size(self, text: str, fontsize: float, **kw: Any) -> tuple[float, float]:
        t = self.fig.text(0, 0, text, fontsize=fontsize, **kw)
        try:
            bb = t.get_window_extent(self.renderer)
        finally:
            t.remove()
        return float(bb.width), float(bb.height)

    def wrap(self, text: str, fontsize: float, width: float, **kw: Any) -> list[str]:
        """Words of ``text`` in lines no wider than ``width`` pixels."""
        lines: list[str] = []
        for word in text.split():
            if lines and self.size(lines[-1] + " " + word, fontsize, **kw)[0] <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines

    def fig_xy(self, x: float, y: float) -> tuple[float, float]:
        """Pixels from the bottom left to figure fractions (which survive SVG's 72 dpi)."""
        return x / self.w, y / self.h

    # -- drawing ------------------------------------------------------------------------------

    def draw(self) -> Drawn:
        top = self.header()
        bottom_lines = self.credit_lines(0)
        bottom = 34.0 + 11.0 * len(bottom_lines)
        ax = self.fig.add_axes(
            (
                self.left / self.w,
                bottom / self.h,
                (self.w - self.left - self.right) / self.w,
                (self.h - top - bottom) / self.h,
            )
        )
        drawn = Drawn(self.fig, ax, None)
        self.axes(ax)
        drawn.line = self.series(ax)
        self.labels(drawn)
        if drawn.unplaced:
            bottom_lines = self.credit_lines(len(drawn.unplaced))
        for i, line in enumerate(reversed(bottom_lines)):
            self.fig.text(
                *self.fig_xy(self.left, 6 + 11 * i), line, fontsize=7, color=MUTED, va="bottom"
            )
        return drawn

    def header(self) -> float:
        """Title, subtitle and legend; returns the pixels they take from the top."""
        d = self.data
        usable = self.w - self.left - 12
        y = 12.0
        title, size = d.headline, 15.0
        while size > 9 and self.size(title, size, fontweight="bold")[0] > usable:
            size -= 0.5
        self.fig.text(
            *self.fig_xy(self.left, self.h - y),
            title,
            fontsize=size,
            fontweight="bold",
            color=TEXT_COLOUR,
            va="top",
        )
        y += self.size(title, size, fontweight="bold")[1] + 6
        span = f"{_day(d.start)} – {_day(d.end)}"
        known = "" if d.known_at is None else f", as the log stood at seq {d.known_at}"
        low, high = (d.bands[-1][0], d.bands[0][0]) if d.bands else ("", "")
        lead = f"Relations index, {span}{known}: −100 ({low}) to +100 ({high})"
        if d.predecessor_notes:
            lead += "; " + "; ".join(d.predecessor_notes)
        for text, size, colour in ((lead, 10.0, "#303030"), (d.model_text, 8.0, MUTED)):
            lines = "\n".join(self.wrap(text, size, usable))
            self.fig.text(
                *self.fig_xy(self.left, self.h - y),
                lines,
                fontsize=size,
                color=colour,
                va="top",
                linespacing=1.3,
            )
            y += self.size(lines, size, linespacing=1.3)[1] + 4
        y += 4
        handles = self.legend_handles()
        for ncol in range(len(handles), 0, -1):
            legend = self.fig.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=self.fig_xy(self.left - 6, self.h - y),
                ncol=ncol,
                frameon=False,
                fontsize=8,
                handlelength=1.8,
                columnspacing=1.4,
                borderaxespad=0,
                borderpad=0.2,
            )
            bb = legend.get_window_extent(self.renderer)
            if bb.width <= self.w - self.left or ncol == 1:
                break
            legend.remove()
        return y + float(bb.height) + 10

    def legend_handles(self) -> list[Any]:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        d = self.data
        handles: list[Any] = [Line2D([], [], color=LINE_COLOUR, lw=1.8, label="index")]
        if d.marks:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    ms=6,
                    mfc=MARK_COLOUR,
                    mec="white",
                    label="largest moves, numbered",
                )
            )
        for kind in KINDS:
            if any(c.kind == kind for c in d.changes):
                marker, colour = KIND_STYLE[kind]
                handles.append(
                    Line2D(
                        [],
                        [],
                        ls="",
                        marker=marker,
                        ms=7,
                        mfc=colour,
                        mec="white",
                        label=KIND_NAMES[kind],
                    )
                )
        states = {p.state for p in d.conflicts}
        if "active" in states:
            handles.append(Patch(fc=CONFLICT_COLOUR, alpha=0.16, label='armed conflict ("at war")'))
        if "ceasefire" in states:
            handles.append(Patch(fc=CONFLICT_COLOUR, alpha=0.06, label="ceasefire"))
        if d.last_event is not None:
            handles.append(
                Line2D([], [], color=MUTED, ls="--", lw=1, label="last event: end of the record")
            )
        return handles

    def credit_lines(self, unplaced: int) -> list[str]:
        text = self.data.credit
        if unplaced:
            text += (
                f" · {unplaced} label{'s' if unplaced > 1 else ''} left out for lack of room "
                "(`tracker chart` in the terminal lists every change)"
            )
        return self.wrap(text, 7, self.w - self.left - 12)

    def axes(self, ax: Any) -> None:
        from matplotlib import dates
        from matplotlib.colors import to_rgb

        d = self.data
        start, end = _num(d.start), _num(d.end)
        ax.set_xlim(start, max(end, start + 1))
        ax.set_ylim(-104, 104)
        ax.set_yticks([-100, -50, 0, 50, 100], ["−100", "−50", "0", "+50", "+100"])
        ax.tick_params(labelsize=8.5, colors="#424242", length=3)
        ax.set_ylabel("index", fontsize=8.5, color="#424242", labelpad=2)
        untyped: Any = dates  # AutoDateLocator and ConciseDateFormatter are untyped
        locator = untyped.AutoDateLocator(minticks=3, maxticks=max(int(self.w / 110), 4))
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(untyped.ConciseDateFormatter(locator, show_offset=False))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_color("#9e9e9e")

        bands = [(label, lower) for label, lower in d.bands]
        ax_height = float(ax.get_window_extent(self.renderer).height)
        mids, names = [], []
        for i, (label, lower) in enumerate(bands):
            upper = 100.0 if i == 0 else min(bands[i - 1][1], 100.0)
            low = max(lower, -100.0)
            if upper <= low:
                continue
            tone = to_rgb(_band_tone(i, len(bands)))
            ax.axhspan(low, upper, color=tone, alpha=0.22, lw=0, zorder=0)
            if (upper - low) / 208 * ax_height >= self.size(label, 8.5)[1] + 1:
                mids.append((low + upper) / 2)  # named where the band is tall enough
                names.append(label)
        right = ax.twinx()
        right.set_ylim(ax.get_ylim())
        right.set_yticks(mids, names)
        right.tick_params(length=0, labelsize=8.5, colors="#424242", pad=6)
        for spine in right.spines.values():
            spine.set_visible(False)
        ax.set_zorder(right.get_zorder() + 1)
        ax.patch.set_visible(False)

        ax.axhline(0, color="#9e9e9e", lw=0.7, ls=":", zorder=1)
        for period in d.conflicts:
            ax.axvspan(
                _num(period.start),
                _num(period.end),
                color=CONFLICT_COLOUR,
                alpha=0.16 if period.state == "active" else 0.06,
                lw=0,
                zorder=0.5,
            )
        if d.last_event is not None and d.start <= d.last_event <= d.end:
            x = _num(d.last_event)
            ax.axvline(x, color=MUTED, ls="--", lw=1, zorder=2)
            if d.last_event < d.end:
                ax.axvspan(x, end, color="#9e9e9e", alpha=0.10, lw=0, zorder=0.6)

    def series(self, ax: Any) -> Any:

        d = self.data
        xs = [_num(p.day) for p in d.points]
        (line,) = ax.plot(
            xs,
            [p.index for p in d.points],
            color=LINE_COLOUR,
            lw=1.8,
            zorder=3,
            solid_joinstyle="round",
        )
        return line

    # -- labels -------------------------------------------------------------------------------

    def labels(self, drawn: Drawn) -> None:
        from matplotlib.path import Path as MPath

        ax, d = drawn.ax, self.data
        to_px = ax.transData.transform
        to_data = ax.transData.inverted().transform
        bb = ax.get_window_extent(self.renderer)
        frame = Box(float(bb.x0), float(bb.y0), float(bb.x1), float(bb.y1))
        line_px = MPath(drawn.line.get_transform().transform(drawn.line.get_xydata()))

        anchors: list[tuple[str, tuple[float, float], list[str], Style, bool]] = []
        obstacles: list[Box] = []
        mark_days = {m.day for m in d.marks}
        for m in d.marks:
            x, y = (float(v) for v in to_px((_num(m.day), m.index)))
            ax.plot(*to_data((x, y)), "o", ms=6, mfc=MARK_COLOUR, mec="white", mew=0.9, zorder=6)
            obstacles.append(Box(x - 4, y - 4, x + 4, y + 4))
            anchors.append((f"mark {m.rank}", (x, y), _mark_texts(m), _MARK_STYLE, m.index < 55))
        end_label = self.end_label(to_px, frame)
        if end_label is not None:
            anchors.append(end_label)
        stacked: dict[date, int] = {}
        spots: list[tuple[Change, float, float]] = []
        for c in sorted(d.changes, key=lambda c: c.day):
            k = stacked.get(c.day, 1 if c.day in mark_days else 0)
            stacked[c.day] = k + 1
            x, y = (float(v) for v in to_px((_num(c.day), c.index)))
            y += k * (-10.0 if c.index > 60 else 10.0)
            marker, colour = KIND_STYLE[c.kind]
            ax.plot(
                *to_data((x, y)),
                ls="",
                marker=marker,
                ms=7,
                mfc=colour,
                mec="white",
                mew=0.8,
                zorder=5,
            )
            obstacles.append(Box(x - 5, y - 5, x + 5, y + 5))
            spots.append((c, x, y))
        groups = _clusters(spots, CLUSTER_PX)
        for group in sorted(groups, key=lambda g: (KINDS.index(g[0][0].kind), g[0][0].day)):
            first, x, y = group[0]
            colour = KIND_STYLE[first.kind][1]
            style = Style(7.0, 0.25, colour, colour, 1.15)
            texts = _change_texts([c for c, _, _ in group])
            anchors.append((f"change {first.kind}", (x, y), texts, style, first.index < 55))

        placer = Placer(frame, line_px, obstacles)
        for _, anchor, texts, style, up in sorted(anchors, key=lambda a: _priority(a[0])):
            fontsize, pad = style.fontsize, style.pad
            pad_px = pad * fontsize * DPI / 72
            sizes = [
                (w + 2 * pad_px, h + 2 * pad_px)
                for w, h in (self.size(t, fontsize, linespacing=style.linespacing) for t in texts)
            ]
            placed = placer.place(anchor, sizes, up=up)
            if placed is None:
                drawn.unplaced.append(texts[-1])
                continue
            drawn.labels.append(self.annotate(ax, anchor, texts[placed.variant], placed.box, style))

    def end_label(
        self, to_px: Any, frame: Box
    ) -> tuple[str, tuple[float, float], list[str], Style, bool] | None:

        d = self.data
        if d.last_event is None or not d.start <= d.last_event <= d.end:
            return None
        x = float(to_px((_num(d.last_event), 0))[0])
        day = _day(d.last_event)
        if d.last_event < d.end:
            after = (
                "the flow has faded: the index\nrests on structure"
                if d.rests_on_structure
                else "since then the event flow fades"
            )
            texts = [f"last event {day}:\n{after}", f"last event {day}"]
        else:
            texts = [f"last event {day}"]
        texts.append("last event")
        return ("end", (x, frame.y1 - 14), texts, _END_STYLE, False)

    def annotate(
        self, ax: Any, anchor: tuple[float, float], text: str, box: Box, style: Style
    ) -> Any:
        xy = ax.transData.inverted().transform(anchor)
        return ax.annotate(
            text,
            xy=(float(xy[0]), float(xy[1])),
            xycoords="data",
            xytext=self.fig_xy(*box.centre),
            textcoords="figure fraction",
            ha="center",
            va="center",
            fontsize=style.fontsize,
            color=style.color,
            linespacing=style.linespacing,
            bbox={
                "boxstyle": f"round,pad={style.pad}",
                "fc": "white",
                "ec": style.edgecolor,
                "lw": 0.6,
            },
            arrowprops={
                "arrowstyle": "-",
                "color": style.edgecolor,
                "lw": 0.6,
                "shrinkA": 0,
                "shrinkB": 2,
            },
            zorder=7,
            annotation_clip=False,
        )


@dataclass(frozen=True)
class Style:
    fontsize: float
    pad: float
    """The box's padding, in units of the font size (matplotlib's boxstyle pad)."""
    color: str
    edgecolor: str
    linespacing: float


_MARK_STYLE = Style(7.5, 0.3, TEXT_COLOUR, "#9e9e9e", 1.2)
_END_STYLE = Style(7.0, 0.25, MUTED, MUTED, 1.15)


def _priority(what: str) -> float:
    """The order labels are given room: the three largest moves, then changes of relations
    and armed conflict, the end of the record, the other moves, agreements, sanctions."""
    kind, _, rest = what.partition(" ")
    if kind == "mark":
        rank = int(rest)
        return rank if rank <= 3 else 10 + rank
    if kind == "end":
        return 5
    return {"conflict": 4, "relations": 4.5, "agreement": 50, "sanctions": 60}[rest]


def _num(day: date) -> float:
    """A date as matplotlib's day number (its date2num is untyped)."""
    from matplotlib import dates

    convert: Any = dates.date2num
    return float(convert(day))


def _band_tone(i: int, n: int) -> str:
    """Light tones from green (the warmest band) to red (the coldest), grey in the middle."""
    tones = ["#7cb342", "#aed581", "#dce775", "#e0e0e0", "#ffb74d", "#e57373"]
    if n <= 1:
        return tones[3]
    return tones[round(i * (len(tones) - 1) / (n - 1))]


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


def headline(text: str | None, limit: int) -> str:
    """The summary cut to at most ``limit`` characters, never mid-word: at the end of a clause
    ("; ", ", whose" …) when one ends late enough, else after whole words with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    for sep in ("; ", ", whose ", ", which ", ", after ", ": "):
        cut = text.rfind(sep, 0, limit + 1)
        if cut >= limit // 3:
            return text[:cut]
    room = text[:limit]  # the ellipsis takes the place of the space after the last word
    words = room.rsplit(" ", 1)[0].rstrip(",;:") if " " in room else ""
    return words + "…"


def _mark_texts(m: Mark) -> list[str]:
    head = f"{m.rank}   {_day(m.day)}"
    more = f"(+{m.others} more that day)" if m.others else ""
    full = [head, *textwrap.wrap(headline(m.summary or m.type, 96), 32)]
    texts = ["\n".join([*full, more] if more else full)]
    texts.append("\n".join([head, *textwrap.wrap(headline(m.summary or m.type, 60), 32)]))
    texts.append("\n".join([head, headline(m.summary or m.type, 30)]))
    texts += [head, str(m.rank)]
    return texts


CLUSTER_PX = 90.0
"""Changes of the same kind and wording closer than this (pixels) share one label."""


def _clusters(
    spots: list[tuple[Change, float, float]], reach: float
) -> list[list[tuple[Change, float, float]]]:
    """Runs of changes saying the same thing (``what``), each within ``reach`` pixels of the
    one before: UN sanctions resolutions a few months apart read as one label."""
    groups: list[list[tuple[Change, float, float]]] = []
    open_: dict[str, list[tuple[Change, float, float]]] = {}
    for spot in spots:
        c, x, _ = spot
        group = open_.get(c.what)
        if group is not None and x - group[-1][1] <= reach:
            group.append(spot)
            continue
        group = [spot]
        groups.append(group)
        open_[c.what] = group
    return groups


def _change_texts(changes: list[Change]) -> list[str]:
    """Label texts for one change or a run of alike changes, longest first."""
    first, last = changes[0], changes[-1]
    what = first.what
    if len(changes) > 1:
        span = first.day.strftime("%b %Y")
        if last.day.strftime("%b %Y") != span:
            span += " – " + last.day.strftime("%b %Y")
        what = f"{what} (×{len(changes)}, {span})"
    names = _join_names([c.name for c in changes if c.name])
    texts = []
    if names:
        texts.append("\n".join(textwrap.wrap(f"{what}: {headline(names, 70)}", 32)))
        texts.append("\n".join(textwrap.wrap(f"{what}: {headline(names, 34)}", 32)))
    texts.append("\n".join(textwrap.wrap(what, 32)))
    if len(changes) > 1:
        texts.append(f"{first.what} ×{len(changes)}")
    return texts


def _join_names(names: list[str]) -> str:
    """Names sharing leading words written once: "UN Security Council Resolution 2270, 2321"."""
    unique = list(dict.fromkeys(names))
    if len(unique) <= 1:
        return unique[0] if unique else ""
    split = [n.split() for n in unique]
    common = 0
    while all(len(w) > common + 1 and w[common] == split[0][common] for w in split):
        common += 1
    if not common:
        return "; ".join(unique)
    return " ".join(split[0][:common]) + " " + ", ".join(" ".join(w[common:]) for w in split)
