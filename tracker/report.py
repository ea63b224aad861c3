"""`tracker report`: one self-contained HTML page about a pair that works offline.

The page holds the chart as inline SVG (text kept as text), the state at the end of the period
and at its telling dates (the days that moved the index most, and the last event), the events
of those days with their sources, the structural record (changes in the period and the status
at its end), and what makes the page reproducible: the scoring model with its fingerprint and
the log head it was drawn from. It has no script, loads nothing (no fonts, styles or images
from anywhere: everything is inline) and prints cleanly.

:func:`report_data` asks the facade for everything; :func:`render_report` turns that into the
page, escaping every string that comes from the log.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.charts import KIND_NAMES, ChartData, chart_data
from tracker.render import signed

if TYPE_CHECKING:
    from tracker.api import KnownAt, Tracker

REPORT_FORMAT = 1
"""Bumped when the page's structure changes (it is in a <meta> element)."""


@dataclass(frozen=True)
class Moment:
    """The state on one telling date, and why the date tells."""

    day: date
    index: float
    label: str
    trend: float
    why: str


@dataclass(frozen=True)
class DayEvents:
    """One of the days that moved the index most, with every event of that day."""

    rank: int
    day: date
    move: float
    index: float
    events: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ReportData:
    chart: ChartData
    moments: tuple[Moment, ...]
    days: tuple[DayEvents, ...]
    status: dict[str, Any]
    """The structural status at the end of the period (``Status.to_dict()``)."""
    model: dict[str, Any]
    generated_on: date


def report_data(
    tracker: Tracker,
    a: str,
    b: str,
    *,
    start: date | None = None,
    end: date | None = None,
    top: int = 8,
    known_at: KnownAt = None,
    predecessors: bool = True,
) -> ReportData:
    """Everything the page shows, through the facade only (``predecessors``: as in
    :meth:`Tracker.state`)."""
    chart = chart_data(
        tracker,
        a,
        b,
        start=start,
        end=end,
        every="month",
        top=top,
        known_at=known_at,
        predecessors=predecessors,
    )
    pa, pb = chart.dyad

    def moment(day: date, why: str) -> Moment:
        st = tracker.state(pa, pb, as_of=day, known_at=known_at, predecessors=predecessors)
        return Moment(day, st.score.index, st.score.label, st.trend, why)

    telling: dict[date, str] = {}
    for m in sorted(chart.marks, key=lambda m: m.day):
        telling[m.day] = f"#{m.rank} largest move: " + (m.summary or m.type)
    if chart.last_event is not None and chart.start <= chart.last_event <= chart.end:
        telling.setdefault(chart.last_event, "the last event of the record")
    moments = [moment(day, why) for day, why in sorted(telling.items())]
    moments.append(moment(chart.end, "the end of the period"))

    days = []
    for m in sorted(chart.marks, key=lambda m: m.rank):
        events = [
            {
                "seq": s.seq,
                "event_id": s.event.event_id,
                "type": s.event.type,
                "actor": s.event.actor,
                "target": s.event.target,
                "summary": s.event.summary,
                "source": s.event.source,
                "confidence": s.event.confidence,
            }
            for s in tracker.events(dyad=(pa, pb), since=m.day, until=m.day, known_at=known_at)
        ]
        days.append(DayEvents(m.rank, m.day, m.move, m.index, tuple(events)))

    end_state = tracker.state(pa, pb, as_of=chart.end, known_at=known_at, predecessors=predecessors)
    return ReportData(
        chart,
        tuple(moments),
        tuple(days),
        end_state.score.status.to_dict(),
        tracker.model.to_dict(),
        tracker.today(),
    )


def chart_svg(data: ChartData, *, width: int = 1100, height: int = 560) -> str:
    """The chart as an inline ``<svg>`` element (no XML prolog, sized by the page's CSS)."""
    from tracker import chart_image

    buffer = io.BytesIO()
    chart_image.render_image(data, Path("chart.svg"), width=width, height=height, stream=buffer)
    text = buffer.getvalue().decode("utf-8")
    return text[text.index("<svg") :]


def render_report(data: ReportData, svg: str) -> str:
    """The page, as one HTML string."""
    c = data.chart
    a, b = c.dyad
    title = f"{c.headline}: relations {c.start.isoformat()} … {c.end.isoformat()}"
    seq, digest = c.head
    known = "" if c.known_at is None else f", as the log stood at seq {c.known_at}"
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="relations-tracker report {REPORT_FORMAT}">',
        # nothing may be fetched: a strict policy makes any slip an error, not a request
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(c.headline)} <span class=codes>{escape(a)}–{escape(b)}</span></h1>",
        f"<p class=sub>Relations from {_d(c.start)} to {_d(c.end)}{escape(known)}. "
        + "".join(f"{escape(n[0].upper() + n[1:])}. " for n in c.predecessor_notes)
        + f"{escape(c.model_text)}.</p>",
        "</header>",
        "<main>",
        '<section id="chart" aria-label="chart">',
        f"<figure class=chart>{svg}<figcaption>{escape(c.credit)}</figcaption></figure>",
        "</section>",
        _state_section(data),
        _events_section(data),
        _structure_section(data),
        _reproduce_section(data),
        "</main>",
        f"<footer>Generated on {_d(data.generated_on)} by relations-tracker from log head seq "
        f"{seq} ({escape(digest)}).</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _d(day: date) -> str:
    return f'<time datetime="{day.isoformat()}">{day.isoformat()}</time>'


def _state_section(data: ReportData) -> str:
    c = data.chart
    end = data.moments[-1]
    rows = "".join(
        f"<tr><td>{_d(m.day)}</td><td class=num>{signed(m.index)}</td>"
        f"<td><span class=label>{escape(m.label)}</span></td><td class=num>{signed(m.trend)}</td>"
        f"<td>{escape(m.why)}</td></tr>"
        for m in data.moments
    )
    stale = ""
    if c.last_event is not None and c.last_event < c.end:
        days = (c.end - c.last_event).days
        stale = (
            f"<p class=note>The last event was on {_d(c.last_event)}, {days} days before the end "
            "of the period: since then the index only fades"
            + (", and the reading rests on structure." if data.status else ".")
            + "</p>"
        )
    return (
        '<section id="state"><h2>State</h2>'
        f"<p class=lead>On {_d(end.day)} the index is <strong>{signed(end.index)}</strong>, "
        f"<span class=label>{escape(end.label)}</span> (trend {signed(end.trend)} over "
        f"{data.model.get('trend_window_days', 90)} days).</p>{stale}"
        "<table><thead><tr><th>date</th><th>index</th><th>label</th><th>trend</th>"
        f"<th>why this date</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _events_section(data: ReportData) -> str:
    items = []
    for day in data.days:
        events = "".join(
            "<li>"
            f"<span class=etype>{escape(e['type'])}</span> {escape(e['actor'])}→"
            f"{escape(e['target'])}: {escape(e['summary'] or '')}"
            f"<div class=source>Source: {escape(e['source'] or 'not given')} · seq {e['seq']} · "
            f"id <code>{escape(e['event_id'])}</code>"
            + (f" · confidence {e['confidence']:g}" if e["confidence"] != 1 else "")
            + "</div></li>"
            for e in day.events
        )
        items.append(
            f"<li><h3>#{day.rank} {_d(day.day)} <span class=move>{signed(day.move)}</span> → index "
            f"{signed(day.index)}</h3><ul class=events>{events}</ul></li>"
        )
    return (
        '<section id="events"><h2>The events that moved the index</h2>'
        "<p>The days with the largest immediate contribution (Σ weight × confidence), "
        "largest first, with every event of the day and its source.</p>"
        f"<ol class=days>{''.join(items)}</ol></section>"
    )


def _structure_section(data: ReportData) -> str:
    c = data.chart
    changes = "".join(
        f"<tr><td>{_d(ch.day)}</td><td>{escape(KIND_NAMES.get(ch.kind, ch.kind))}</td>"
        f"<td>{escape(ch.text)}</td></tr>"
        for ch in c.changes
    )
    st = data.status
    rel = st["relations"]
    conflict = st["armed_conflict"]
    lines = [
        f"<li>Diplomatic relations: {escape(rel['status'])}"
        + (f" since {escape(rel['since'])}" if rel["since"] else "")
        + "</li>",
        f"<li>Armed conflict: {escape(conflict['status'])}"
        + (f" since {escape(conflict['since'])}" if conflict["since"] else "")
        + "</li>",
    ]
    lines += [
        f"<li>{escape(ag['kind'])} {escape(ag['status'])} since {escape(ag['since'])}: "
        f"{escape(ag['name'])}</li>"
        for ag in st["agreements"]
    ]
    lines += [
        f"<li>Sanctions {escape(s['by'])} on {escape(s['on'])} since {escape(s['since'])}: "
        f"{escape(s['regime'])}</li>"
        for s in st["sanctions"]
    ]
    periods = "".join(
        f"<li>{escape(p.state)} from {_d(p.start)} to {_d(p.end)}</li>" for p in c.conflicts
    )
    return (
        '<section id="structure"><h2>Structural record</h2>'
        f"<h3>Status on {_d(c.end)}</h3><ul>{''.join(lines)}</ul>"
        + (f"<h3>Armed conflict in the period</h3><ul>{periods}</ul>" if periods else "")
        + "<h3>Changes in the period</h3>"
        + (
            "<table><thead><tr><th>date</th><th>kind</th><th>change</th></tr></thead>"
            f"<tbody>{changes}</tbody></table>"
            if changes
            else "<p>None.</p>"
        )
        + "</section>"
    )


def _reproduce_section(data: ReportData) -> str:
    c = data.chart
    seq, digest = c.head
    model = "".join(
        f"<tr><th>{escape(str(k))}</th><td><code>{escape(_value(v))}</code></td></tr>"
        for k, v in sorted(data.model.items())
    )
    known = "" if c.known_at is None else f" --known-at {c.known_at}"
    known += "" if c.with_predecessors else " --no-predecessors"
    command = (
        f"tracker report {c.dyad[0]} {c.dyad[1]} --from {c.start.isoformat()} "
        f"--to {c.end.isoformat()}{known} --db {c.store or 'STORE'} --out report.html"
    )
    return (
        '<section id="reproduce"><h2>Reproduce</h2>'
        f"<p>Log head: seq <strong>{seq}</strong>, hash <code>{escape(digest)}</code> "
        f"({c.events} events of this pair up to {_d(c.end)}). Scoring model "
        f"<code>{escape(c.fingerprint)}</code>. <code>tracker verify</code> on the store prints "
        "the same head; this command draws this page again:</p>"
        f"<pre><code>{escape(command)}</code></pre>"
        f"<table class=model><tbody>{model}</tbody></table></section>"
    )


def _value(v: Any) -> str:
    import json

    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)


CSS = """
:root{color-scheme:light;--ink:#212121;--muted:#616161;--rule:#e0e0e0;--accent:#1f3b73}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1180px;padding:24px 28px 48px;font:15px/1.5 "DejaVu Sans",
system-ui,sans-serif;color:var(--ink);background:#fff}
h1{font-size:28px;margin:0 0 4px}h1 .codes{color:var(--muted);font-weight:normal;font-size:18px}
h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid var(--accent);padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.sub,.note,figcaption,footer,.source{color:var(--muted)}
.sub{margin:0 0 12px}.lead{font-size:17px}
figure.chart{margin:0}figure.chart svg{width:100%;height:auto;display:block}
figcaption{font-size:12px;margin-top:4px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--rule);vertical-align:top}
td:first-child{white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.label{background:#eef2f8;border-radius:3px;padding:0 5px}
ol.days{padding-left:0;list-style:none}ul.events{margin:0 0 8px;padding-left:20px}
.etype{font-family:"DejaVu Sans Mono",monospace;font-size:13px}
.source{font-size:12px}.move{color:var(--accent)}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:13px}
pre{background:#f5f5f5;padding:8px 10px;overflow-x:auto}
table.model th{width:220px;font-weight:normal;color:var(--muted)}
footer{margin-top:40px;font-size:12px;border-top:1px solid var(--rule);padding-top:8px}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}}
"""
