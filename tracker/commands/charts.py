"""`tracker chart` (the index over time, in the terminal or as an image) and `tracker report`
(one self-contained HTML page about a pair)."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import click

from tracker.params import (
    PARTY,
    QUERY_DATE,
    check_span,
    db_option,
    known_at_option,
    load_model,
    model_option,
    period_options,
    predecessors_option,
)
from tracker.render import Output, output_options, plural
from tracker.terminal import echo


def use_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def terminal_columns(default: int = 100) -> int:
    return shutil.get_terminal_size((default, 24)).columns


# -- chart ---------------------------------------------------------------------------------------


@click.command("chart")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@period_options
@click.option(
    "--top",
    type=click.IntRange(0, 20),
    default=5,
    show_default=True,
    help="How many of the event days that moved the score most to number.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an image instead: FILE.png or FILE.svg (needs matplotlib: "
    "pip install 'relations-tracker[charts]').",
)
@click.option(
    "--width",
    type=click.IntRange(min=1),
    help="Terminal columns (default: the terminal's, at most 160), or image pixels (default 1200).",
)
@click.option(
    "--height",
    type=click.IntRange(min=1),
    help="Terminal rows (default 20), or image pixels (default 600).",
)
@known_at_option
@predecessors_option
@model_option
@output_options("chart", csv=False, name="out_format")
@db_option
def chart_cmd(
    a: str,
    b: str,
    start: date | None,
    end: date | None,
    every: str,
    top: int,
    out: Path | None,
    width: int | None,
    height: int | None,
    known_at: int | datetime | None,
    predecessors: bool,
    model_file: Path | None,
    out_format: Output,
    db: str,
) -> None:
    """The A–B index over time, with the events that moved it most numbered and structural
    changes (relations, agreements, sanctions, armed conflict) as vertical lines.

    Drawn in the terminal, or written to --out FILE.png / FILE.svg. --json prints what the
    chart shows instead of drawing it in the terminal (with --out: after writing the image):
    {"format_version", "command": "chart", "output" {format, file, width, height}, "dyad",
    "names", "from", "to", "every", "known_at", "head", "model_fingerprint", "events",
    "last_event_on", "rests_on_structure", "points", "marks", "changes", "conflict_periods"}.

    \b
    Example:
      tracker chart "North Korea" Russia --from 2022-01-01 --db tracker-demo.db
    """
    check_span(start, end)
    from tracker import charts
    from tracker.api import Tracker

    if out is not None:
        if out.suffix.lower() not in charts.IMAGE_SUFFIXES:
            raise click.BadParameter(
                f"{str(out)!r}: the file name must end in .png or .svg", param_hint="'--out'"
            )
        _check_size(width, height, (640, 20000), (400, 20000), "pixels")
        charts.require_matplotlib()
        if not out.parent.is_dir():
            raise click.BadParameter(
                f"{str(out)!r}: no directory {str(out.parent)!r}", param_hint="'--out'"
            )
    else:
        _check_size(width, height, (40, 1000), (10, 500), "terminal cells")
    from tracker.outputs import AtomicOutput

    output = (
        AtomicOutput(
            out, field="out", store=db, inputs=[model_file] if model_file else [], binary=True
        )
        if out is not None
        else None
    )
    model = load_model(model_file)
    with Tracker(db, create=False, model=model) as tracker:
        data = charts.chart_data(
            tracker,
            a,
            b,
            start=start,
            end=end,
            every=every,
            top=top,
            known_at=known_at,
            predecessors=predecessors,
        )
    if out is None or output is None:
        columns = width or min(max(terminal_columns(), 60), 160)
        drawn = {"format": "terminal", "file": None, "width": columns, "height": height or 20}
        if out_format.emit({"output": drawn, **data.to_dict()}):
            return
        click.echo(
            charts.render_terminal(data, width=columns, height=height or 20, color=use_color())
        )
        for line in charts.legend_lines(data, width=columns):
            echo(line)
        return
    from tracker import chart_image

    pixels = (width or 1200, height or 600)
    with output:
        chart_image.render_image(data, out, width=pixels[0], height=pixels[1], stream=output.stream)
        output.publish()
    image = out.suffix.lower().lstrip(".")
    drawn = {"format": image, "file": str(out), "width": pixels[0], "height": pixels[1]}
    if out_format.emit({"output": drawn, **data.to_dict()}):
        return
    echo(
        f"wrote {out} ({plural(len(data.points), 'point')}, "
        f"{plural(len(data.marks), 'numbered event')}, "
        f"{plural(len(data.changes), 'structural change')}; model {data.fingerprint})"
    )


def _check_size(
    width: int | None,
    height: int | None,
    w_range: tuple[int, int],
    h_range: tuple[int, int],
    unit: str,
) -> None:
    for name, value, (low, high) in (("width", width, w_range), ("height", height, h_range)):
        if value is not None and not low <= value <= high:
            raise click.BadParameter(
                f"{value} is outside {low}..{high} {unit}", param_hint=f"'--{name}'"
            )


# -- report --------------------------------------------------------------------------------------


@click.command("report")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@click.option(
    "--from", "start", type=QUERY_DATE, help="First date (default: the pair's first event)."
)
@click.option("--to", "end", type=QUERY_DATE, help="Last date (default today).")
@click.option(
    "--top",
    type=click.IntRange(1, 20),
    default=8,
    show_default=True,
    help="How many of the days that moved the index most to show with their events.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (- for standard output).",
)
@known_at_option
@predecessors_option
@model_option
@output_options("report", csv=False, name="out_format")
@db_option
def report_cmd(
    a: str,
    b: str,
    start: date | None,
    end: date | None,
    top: int,
    out: Path,
    known_at: int | datetime | None,
    predecessors: bool,
    model_file: Path | None,
    out_format: Output,
    db: str,
) -> None:
    """One self-contained HTML page about A and B that works offline: the chart, the state
    now and at telling dates, the events that moved the index with their sources, the
    structural record, and the model fingerprint and log head that make it reproducible.

    Needs matplotlib for the chart (pip install 'relations-tracker[charts]'). --json (with a
    file --out) prints {"format_version", "command": "report", "file", "bytes", "dyad",
    "from", "to", "moments", "days", "events", "changes", "head", "model_fingerprint"}.

    \b
    Example:
      tracker report PRK RUS --from 2022-01-01 --out prk-rus.html --db tracker-demo.db
    """
    from tracker import charts, report
    from tracker.api import Tracker
    from tracker.outputs import AtomicOutput

    check_span(start, end)
    charts.require_matplotlib()
    output = AtomicOutput(
        out,
        field="out",
        store=db,
        inputs=[model_file] if model_file else [],
        allow_stdout=True,
    )
    model = load_model(model_file)
    with Tracker(db, create=False, model=model) as tracker:
        data = report.report_data(
            tracker,
            a,
            b,
            start=start,
            end=end,
            top=top,
            known_at=known_at,
            predecessors=predecessors,
        )
    page = report.render_report(data, report.chart_svg(data.chart))
    with output:
        output.stream.write(page)
        output.publish()
    if str(out) == "-":
        return
    events = sum(len(d.events) for d in data.days)
    size = len(page.encode("utf-8"))
    summary = {
        "file": str(out),
        "bytes": size,
        "dyad": list(data.chart.dyad),
        "from": data.chart.start.isoformat(),
        "to": data.chart.end.isoformat(),
        "moments": len(data.moments),
        "days": len(data.days),
        "events": events,
        "changes": len(data.chart.changes),
        "head": {"seq": data.chart.head[0], "hash": data.chart.head[1]},
        "model_fingerprint": data.chart.fingerprint,
    }
    if not out_format.emit(summary):
        echo(
            f"wrote {out} ({size // 1024} KiB: chart, "
            f"{plural(len(data.moments), 'date')}, {plural(events, 'event')} on "
            f"{plural(len(data.days), 'day')}, "
            f"{plural(len(data.chart.changes), 'structural change')}; "
            f"log head seq {data.chart.head[0]}, model {data.chart.fingerprint})"
        )
