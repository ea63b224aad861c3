"""The ``state`` command, and the pieces of its rendering the other query commands share.

Apart from :mod:`tracker.commands.query` so that ``tracker state``, the command people run
most, builds only its own click command at start-up (issue 16's start-up target).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from tracker.params import (
    PARTY,
    as_of_option,
    db_option,
    known_at_option,
    load_model,
    model_option,
    predecessors_option,
)
from tracker.render import Output, output_options, print_table, signed
from tracker.terminal import echo, shorten

if TYPE_CHECKING:
    from pathlib import Path


def _open(db: str, model_file: Path | None) -> Any:
    from tracker.api import Tracker

    return Tracker(db, create=False, model=load_model(model_file))


def _predecessor_lines(entries: list[dict[str, Any]]) -> list[str]:
    """What a query included besides the dyad's own record, said in its output."""
    return [f"  {e['note']} (--no-predecessors to leave it out)" for e in entries]


def _signed(x: float) -> str:
    return signed(x, 2)


def _state_row(d: Mapping[str, Any]) -> dict[str, Any]:
    return {**d, "trend": d["trend"]["change"]}


@click.command("state")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@as_of_option
@known_at_option
@model_option
@predecessors_option
@output_options("state")
@db_option
def state_cmd(
    a: str,
    b: str,
    as_of: date | None,
    known_at: int | datetime | None,
    model_file: Path | None,
    predecessors: bool,
    out: Output,
    db: str,
) -> None:
    """How A and B get along on a date, and the structural status behind it.

    The index is 100·tanh((stock + flow)/K): the stock is what the status in force is worth
    (it does not fade), the flow the decayed events.

    --json keys: dyad, as_of, known_at, index, label, score, stock, stock_components,
    structure (the stock's terms), flow, flow_components, last_event_on,
    days_since_last_event, rests_on_structure, status, trend, counts, events, last_events,
    predecessors, mode, model_fingerprint (docs/formats.md); --csv one row of them.

    A state that continues another (Russia the USSR) is judged on both records unless
    --no-predecessors is given; the output names what it included.
    """
    from tracker.queries import STATE_COLUMNS

    with _open(db, model_file) as tracker:
        st = tracker.state(a, b, as_of=as_of, known_at=known_at, predecessors=predecessors)
        d = st.to_dict()
    if out.emit(d, [d], STATE_COLUMNS, csv_row=_state_row):
        return
    x, y = d["dyad"]
    known = "now" if d["known_at"] is None else f"seq {d['known_at']}"
    echo(f"{x}–{y} as of {d['as_of']} (log as known: {known})")
    for line in _predecessor_lines(d["predecessors"]):
        echo(line)
    echo(
        f"  index    {signed(d['index']):>7}  {d['label']}   "
        f"(trend {signed(d['trend']['change'])} over {d['trend']['window_days']} days)"
    )
    echo(
        f"  score    {_signed(d['score'])} = stock {_signed(d['stock'])} + flow "
        f"{_signed(d['flow'])}"
    )
    echo("  stock    " + _directed(d["stock_components"]))
    echo("  flow     " + _directed(d["flow_components"]))
    echo("  " + recency_line(d))
    for line in status_lines(d["status"]):
        echo("  " + line)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d["counts"].items())
    echo(f"  events   {d['events']} ({counts})")
    if d["last_events"]:
        echo("  last events:")
        rows = [
            (e["occurred_on"], e["type"], f"{e['actor']}→{e['target']}", shorten(e["summary"], 70))
            for e in d["last_events"]
        ]
        print_table(("occurred", "type", "parties", "summary"), rows, indent="    ")
    echo(f"  model    {d['model_fingerprint']} ({d['mode']})")


def _directed(components: dict[str, float]) -> str:
    return ", ".join(f"{k.replace('->', '→')} {_signed(v)}" for k, v in components.items())


def recency_line(d: dict[str, Any]) -> str:
    """How old the pair's last event is, and whether the reading now rests on structure."""
    if d["last_event_on"] is None:
        return "record   no events on or before this date: the reading rests on structure"
    days = d["days_since_last_event"]
    text = f"record   last event {d['last_event_on']}, {age(days)} before {d['as_of']}"
    if d["rests_on_structure"]:
        text += "; the flow has faded: the reading rests on structure"
    return text


def age(days: int) -> str:
    """A duration in words: '0 days', '40 days', '2.0 years'."""
    if days < 365:
        return f"{days} day" + ("" if days == 1 else "s")
    return f"{days / 365.25:.1f} years"


def status_lines(status: dict[str, Any]) -> list[str]:
    rel = status["relations"]
    lines = [f"relations {rel['status']}" + (f" since {rel['since']}" if rel["since"] else "")]
    for ag in status["agreements"]:
        lines.append(f"agreement {ag['name']} ({ag['kind']}): {ag['status']} since {ag['since']}")
    for s in status["sanctions"]:
        lines.append(f"sanctions {s['by']} on {s['on']}: {s['regime']} since {s['since']}")
    war = status["armed_conflict"]
    lines.append(f"conflict  {war['status']}" + (f" since {war['since']}" if war["since"] else ""))
    return lines
