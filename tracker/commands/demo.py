"""`tracker demo`: build a store from real history and tour it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import click

from tracker.commands.charts import terminal_columns, use_color
from tracker.params import DEMO_DB, store_option
from tracker.render import Output, output_options, plural, signed
from tracker.terminal import echo, printable

TOUR_CHART_HEIGHT = 18


# -- demo ----------------------------------------------------------------------------------------


@click.command("demo")
@store_option(
    default=DEMO_DB,
    help="Where to build the demo store (it never replaces a store that is not a demo store).",
)
@click.option(
    "--force", is_flag=True, help="Replace the file at --db even if it is not a demo store."
)
@output_options("demo", csv=False)
def demo_cmd(db: str, force: bool, out: Output) -> None:
    """Build a store from a curated dataset of real events, then take a short tour of it.

    The store holds over 200 publicly reported events: North Korea–Russia from the 2000 friendship
    treaty to the 2024 strategic partnership treaty, and three contrasting pairs (Russia–Ukraine,
    Cuba–United States, Qatar–Saudi Arabia). The tour shows each pair's state at telling
    dates, the events behind the North Korea–Russia score, a chart, and commands to try next.

    The store is --db (before or after `demo`), else TRACKER_DB, else ./tracker-demo.db. An
    existing demo store there (one holding only demo events) is replaced, and the command says
    so. Any other file (your own store, or a demo store you have appended to) is left alone
    unless you pass --force.

    --json prints a summary instead of the tour: {"format_version", "command": "demo",
    "store", "replaced", "events", "pairs", "head", "model_fingerprint", "tour" [{dyad,
    title, events, first_event_on, last_event_on, today {as_of, index, label, ...}}]}.
    """
    from tracker.store import is_url

    if is_url(db):  # a postgresql:// URL: the demo replaces files only
        raise click.BadParameter(
            "the demo builds an SQLite file, and never replaces a database. To put the demo "
            "events into PostgreSQL: tracker demo --db demo.db && tracker export - --db demo.db "
            "| tracker import - --db URL",
            param_hint="'--db'",
        )
    _demo(Path(db), force, out)


def _demo(db: Path, force: bool, out: Output) -> None:
    """The demo at the file ``db``."""
    from tracker import demo

    existing = demo.inspect_target(db)
    if existing.kind == "directory":
        raise click.BadParameter(
            f"{str(db)!r} is a directory; give a file name", param_hint="'--db'"
        )
    if not db.parent.is_dir():
        raise click.BadParameter(
            f"{str(db)!r}: no directory {str(db.parent)!r}", param_hint="'--db'"
        )
    if existing.kind in ("store", "other") and not force:
        what = (
            f"a tracker store holding {plural(existing.foreign, 'event')} not from the demo data"
            if existing.kind == "store"
            else "not a demo store"
        )
        raise click.ClickException(
            f"refusing to overwrite {str(db)!r}: it is {what}. Choose another --db, "
            "or pass --force to replace it."
        )
    events = demo.load_events()  # validate everything before touching the disk
    if existing.kind == "demo" and out.text:
        echo(
            f"Replacing the demo store {str(db)!r} ({plural(existing.events, 'event')})"
            " with a fresh one."
        )
    elif existing.kind != "absent" and out.text:
        echo(f"Replacing {str(db)!r} (--force).")
    try:
        with click.progressbar(
            length=len(events), label=f"Building {db}", file=sys.stderr, show_pos=True
        ) as bar:
            demo.build_store(db, events, progress=bar.update)
    except OSError as exc:
        raise click.ClickException(f"cannot write {str(db)!r}: {exc.strerror or exc}") from None
    if not out.emit(_summary(db, existing.kind)):
        _tour(db)


def _summary(db: Path, replaced: str) -> dict[str, Any]:
    """What ``demo --json`` prints: the store built and each toured pair's state today."""
    from tracker import demo
    from tracker.api import Tracker

    with Tracker(db, create=False) as tracker:
        tours = [demo.pair_tour(tracker, pair) for pair in demo.PAIRS]
        return {
            "store": str(db),
            "replaced": None if replaced == "absent" else replaced,
            "events": tracker.head().seq,
            "pairs": len(tracker.dyads(as_of=tracker.today())),
            "head": tracker.head().to_dict(),
            "model_fingerprint": tracker.model.fingerprint,
            "tour": [
                {
                    "dyad": [t.pair.a, t.pair.b],
                    "title": t.pair.title,
                    "events": t.events,
                    "first_event_on": t.first.isoformat(),
                    "last_event_on": t.last.isoformat(),
                    "today": t.now.score.to_dict(),
                }
                for t in tours
            ],
        }


def _tour(db: Path) -> None:
    from tracker import demo
    from tracker.api import Tracker

    width = min(max(terminal_columns(), 72), 110)
    with Tracker(db, create=False) as tracker:
        head = tracker.head()
        model = tracker.model
        tours = [demo.pair_tour(tracker, pair) for pair in demo.PAIRS]
        # the pairs as recorded (the USSR's among them), not as a ranking regroups them
        dyads = len(tracker.dyads(as_of=tracker.today(), predecessors=False))
        core = tours[0]
        explanation = tracker.explain(core.pair.a, core.pair.b, as_of=core.last)
        chart = _chart_text(tracker, core.pair.a, core.pair.b, width)

    bands = ", ".join(f"{b.label} ≥ {b.lower:g}" for b in model.bands[:-1])
    echo(
        f"Built {db}: {plural(head.seq, 'real event')} between {dyads} pairs of parties "
        f"(log head seq {head.seq}, hash {head.hash[:12]}…)."
    )
    echo(
        f"Scoring model {model.fingerprint}: index = 100·tanh((B + S)/{model.scale:g}), the "
        f"stock B of the structure in force plus the flow S of events, each fading by half "
        f"every {model.half_life_days:g} days."
    )
    echo(
        f"Labels: {bands}, else {model.bands[-1].label}; "
        '"at war" while an armed conflict is active.'
    )
    for number, t in enumerate(tours):
        echo("")
        _pair_section(t, width)
        if number == 0:
            _core_extras(t, explanation, chart, width)
    _next_steps(db)


def _pair_section(t: Any, width: int) -> None:
    p = t.pair
    title = (
        f"━━ {p.a}–{p.b}  {p.title}: {plural(t.events, 'event')}, "
        f"{t.first.isoformat()} … {t.last.isoformat()} "
    )
    echo(title + "━" * max(width - len(title), 3))
    echo(f"  {'date':<10}  {'index':>6}  {'label':<9}  what happened")
    for moment, score in t.moments:
        day = moment.day.isoformat()
        echo(f"  {day}  {signed(score.index):>6}  {score.label:<9}  {moment.caption}")
    end = t.end.score
    echo(
        f"  {t.last.isoformat()}  {signed(end.index):>6}  {end.label:<9}  "
        "the last event of this pair in the demo data"
    )
    now = t.now.score
    echo(f"  {'today':<10}  {signed(now.index):>6}  {now.label:<9}  {_now_caption(now)}")
    echo(f"  structure in force today (stock {signed(now.stock.total)}):")
    for line in _structure(now.status, width - 4):
        echo("    " + line)
    if t.story:
        echo("  the story, as recorded:")
        for day, kind, arrow, caption in t.story:
            echo(f"    {day.isoformat()}  {kind:<29} {arrow}  {caption}")
    for gap in p.not_in_record:
        echo(f"  not in the record: {gap}")


def _now_caption(now: Any) -> str:
    """What today's reading rests on: how old the record is, and stock against flow."""
    from tracker.commands.state import age

    days = now.days_since_last_event
    if days is None:
        return "no events recorded: the reading rests on structure"
    text = f"last event {age(days)} ago; stock {signed(now.stock.total)}, flow {signed(now.flow)}"
    return text + (": rests on structure" if now.faded else "")


def _structure(status: Any, width: int) -> list[str]:
    from tracker.charts import clip

    relations = "not in the record" if status.relations == "none recorded" else status.relations
    lines = [
        f"diplomatic relations: {relations}"
        + (f" since {status.relations_since.isoformat()}" if status.relations_since else "")
    ]
    if status.conflict != "none":
        lines.append(f"armed conflict: {status.conflict} since {status.conflict_since.isoformat()}")
    in_force = [a for a in status.agreements if a.status == "in force"]
    signed = [a for a in status.agreements if a.status != "in force"]
    for group, word in ((in_force, "in force"), (signed, "signed, not in force")):
        if group:
            latest = max(group, key=lambda a: a.since)
            more = f" and {len(group) - 1} more" if len(group) > 1 else ""
            lines.append(
                clip(
                    f"agreements {word}: {latest.name} (since {latest.since.isoformat()}){more}",
                    width,
                )
            )
    if status.sanctions:
        sides = sorted({f"{s.by} on {s.on}" for s in status.sanctions})
        latest_s = max(status.sanctions, key=lambda s: s.since)
        lines.append(
            clip(
                f"sanctions in force: {len(status.sanctions)} ({', '.join(sides)}), "
                f"latest {latest_s.regime}",
                width,
            )
        )
    return lines


def _core_extras(t: Any, explanation: Any, chart: str, width: int) -> None:
    from tracker.charts import clip

    p = t.pair
    echo("")
    echo(
        f"  What makes up the {p.a}–{p.b} score on {t.last.isoformat()} "
        f"(score {signed(explanation.score, 2)} = stock {signed(explanation.stock, 2)} + flow "
        f"{signed(explanation.flow, 2)}, index {signed(explanation.index)}):"
    )
    for term in explanation.structure:
        head = f"    {signed(term.value, 2):>6}  {term.what} in force since {_iso(term.since)}: "
        echo(head + clip(term.detail, max(width - len(head), 30)))
    echo("    and the five largest event contributions:")
    for ref, _weight, _confidence, _decay, contribution in explanation.items[:5]:
        head = (
            f"    {signed(contribution, 2):>6}  {ref.occurred_on.isoformat()}  {ref.type} "
            f"{ref.actor}→{ref.target}: "
        )
        echo(head + clip(ref.summary, max(width - len(head), 30)))
    echo(
        f"    (`tracker explain {p.a} {p.b} --as-of {t.last.isoformat()}` lists the "
        f"{len(explanation.structure)} structural terms and all {len(explanation.items)} "
        "events; together they add up to the score)"
    )
    echo("")
    click.echo(chart)  # its colours are ours; the legend is escaped in _chart_text


def _iso(day: Any) -> str:
    return day.isoformat() if day else "?"


def _chart_text(tracker: Any, a: str, b: str, width: int) -> str:
    """The tour's chart; a chart failure never stops the tour (it says why instead)."""
    from tracker import charts

    try:
        data = charts.chart_data(tracker, a, b, top=5)
        text = charts.render_terminal(
            data, width=width, height=TOUR_CHART_HEIGHT, color=use_color()
        )
        legend = charts.legend_lines(data, width=width, changes=False)
    except Exception as exc:  # the tour goes on without its chart, never a traceback
        return f"  (the chart could not be drawn here: {exc}; try `tracker chart {a} {b}`)"
    return "\n".join([text, *(printable(line) for line in legend)])


def _next_steps(db: Path) -> None:
    opt = "" if str(db) == DEMO_DB else f" --db {shlex.quote(str(db))}"
    env = shlex.quote(str(db))
    echo("")
    echo("Try next (all read the demo store; `export TRACKER_DB=" + env + "` saves typing --db):")
    for line in (
        f"tracker state PRK RUS --as-of 2024-06-19 --db {env}",
        f"tracker explain RUS UKR --as-of 2022-02-24 --limit 5 --db {env}",
        f"tracker timeline CUB USA --from 2014-12-01 --to 2017-12-31 --every quarter --db {env}",
        f"tracker chart QAT SAU --db {env}",
        f"tracker chart PRK RUS --out prk-rus.png --db {env}   "
        "(images need: pip install 'relations-tracker[charts]')",
        f"tracker log --dyad PRK RUS --since 2024-01-01 --db {env}",
        f"tracker dyads --as-of 2017-06-30 --db {env}",
        f"tracker demo{opt}   (rebuilds this store from scratch)",
    ):
        echo("  " + line)
