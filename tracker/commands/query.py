"""Query commands: state, explain, timeline, dyads, model show, rebuild.

This module is over 400 lines because the query commands' options, help texts and renderings
live here.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from tracker.outputs import echo, shorten
from tracker.params import (
    PARTY,
    as_of_option,
    db_option,
    dumps,
    json_option,
    known_at_option,
    load_model,
    model_option,
    period_options,
)


def _open(db: str | Path, model_file: Path | None) -> Any:
    from tracker.api import Tracker

    return Tracker(db, create=False, model=load_model(model_file))


predecessors_option = click.option(
    "--predecessors/--no-predecessors",
    default=True,
    show_default=True,
    help="Include the record of the states A or B continue (Russia: the USSR's).",
)


def _predecessor_lines(entries: list[dict[str, Any]]) -> list[str]:
    """What a query included besides the dyad's own record, said in its output."""
    return [f"  {e['note']} (--no-predecessors to leave it out)" for e in entries]


def _signed(x: float) -> str:
    return f"{x:+.2f}"


@click.command("state")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@as_of_option
@known_at_option
@model_option
@predecessors_option
@json_option
@db_option
def state_cmd(
    a: str,
    b: str,
    as_of: date | None,
    known_at: int | datetime | None,
    model_file: Path | None,
    predecessors: bool,
    as_json: bool,
    db: Path,
) -> None:
    """How A and B get along on a date, and the structural status behind it.

    The index is 100·tanh((stock + flow)/K): the stock is what the status in force is worth
    (it does not fade), the flow the decayed events.

    --json keys: dyad, as_of, known_at, index, score, stock {total, components, terms}, flow
    {total, components}, components (directed flow), last_event_on, days_since_last_event,
    rests_on_structure, label, status, trend, counts, events, last_events, predecessors, mode,
    model_fingerprint.

    A state that continues another (Russia the USSR) is judged on both records unless
    --no-predecessors is given; the output names what it included.
    """
    with _open(db, model_file) as tracker:
        st = tracker.state(a, b, as_of=as_of, known_at=known_at, predecessors=predecessors)
        d = st.to_dict()
    if as_json:
        click.echo(dumps(d))
        return
    x, y = d["dyad"]
    known = "now" if d["known_at"] is None else f"seq {d['known_at']}"
    echo(f"{x}–{y} as of {d['as_of']} (log as known: {known})")
    for line in _predecessor_lines(d["predecessors"]):
        echo(line)
    echo(
        f"  index    {d['index']:+7.1f}  {d['label']}   "
        f"(trend {d['trend']['change']:+.1f} over {d['trend']['window_days']} days)"
    )
    echo(
        f"  score    {_signed(d['score'])} = stock {_signed(d['stock']['total'])} + flow "
        f"{_signed(d['flow']['total'])}"
    )
    echo("  stock    " + _directed(d["stock"]["components"]))
    echo("  flow     " + _directed(d["flow"]["components"]))
    echo("  " + recency_line(d))
    for line in status_lines(d["status"]):
        echo("  " + line)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d["counts"].items())
    echo(f"  events   {d['events']} ({counts})")
    if d["last_events"]:
        echo("  last events:")
        for e in d["last_events"]:
            echo(
                f"    {e['occurred_on']}  {e['type']:<22} {e['actor']}→{e['target']}  "
                f"{shorten(e['summary'], 70)}"
            )
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


@click.command("explain")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@as_of_option
@known_at_option
@model_option
@click.option("--limit", type=click.IntRange(min=1), help="Show only the N largest (text).")
@predecessors_option
@json_option
@db_option
def explain_cmd(
    a: str,
    b: str,
    as_of: date | None,
    known_at: int | datetime | None,
    model_file: Path | None,
    limit: int | None,
    predecessors: bool,
    as_json: bool,
    db: Path,
) -> None:
    """The events that make up the A–B score on a date, each with its contribution.

    The structural terms in force (what, since when, weight × diminishing-returns factor) and
    the event contributions (weight × confidence × decay) add up to the score (in mean mode
    the contributions add up to the decayed sum S, and the flow is K·artanh(S/D/10)).
    --json keys: dyad, as_of, known_at, score, stock, flow, index, last_event_on,
    days_since_last_event, model_fingerprint, mode, predecessors, structure (each with what,
    detail, since,
    direction, weight, factor, value, event_id), contributions (each with event_id, seq,
    occurred_on, type, actor, target, summary, weight, confidence, decay, contribution).
    """
    with _open(db, model_file) as tracker:
        d = tracker.explain(
            a, b, as_of=as_of, known_at=known_at, predecessors=predecessors
        ).to_dict()
    if as_json:
        click.echo(dumps(d))
        return
    x, y = d["dyad"]
    echo(
        f"{x}–{y} as of {d['as_of']}: score {_signed(d['score'])}, index "
        f"{d['index']:+.1f}  (model {d['model_fingerprint']})"
    )
    for line in _predecessor_lines(d["predecessors"]):
        echo(line)
    if d["structure"]:
        echo(f"  structure in force (stock {_signed(d['stock'])}):")
    for t in d["structure"]:
        arrow = "" if t["direction"] == "shared" else " " + t["direction"].replace("->", "→")
        since = f" since {t['since']}" if t["since"] else ""
        echo(
            f"  {t['value']:+8.3f}  {t['what']}{arrow}: {shorten(t['detail'], 60)}{since}  "
            f"w={t['weight']:+g} ×{t['factor']:g}"
        )
    items = d["contributions"][:limit] if limit else d["contributions"]
    if d["contributions"]:
        last = d["last_event_on"]
        echo(
            f"  events (flow {_signed(d['flow'])}; last {last}, "
            f"{age(d['days_since_last_event'])} before):"
        )
    for c in items:
        echo(
            f"  {c['contribution']:+8.3f}  {c['occurred_on']}  {c['type']:<22} "
            f"{c['actor']}→{c['target']}  w={c['weight']:+.1f} c={c['confidence']:.2f} "
            f"decay={c['decay']:.3f}  {shorten(c['summary'], 50)}"
        )
    rest = len(d["contributions"]) - len(items)
    if rest:
        echo(f"  … and {rest} smaller contributions (--limit to change)")
    total = sum(c["contribution"] for c in d["contributions"])
    stock = sum(t["value"] for t in d["structure"])
    if d["mode"] == "sum":
        echo(
            f"  structure {_signed(stock)} + events {_signed(total)} = score {_signed(d['score'])}"
        )
    else:
        echo(
            f"  structure {_signed(stock)}; events' decayed sum {_signed(total)} (mean mode: "
            f"flow {_signed(d['flow'])})"
        )


@click.command("timeline")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@period_options
@known_at_option
@model_option
@json_option
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="CSV output: date,index,label,score,stock,flow,last_event_on.",
)
@predecessors_option
@db_option
def timeline_cmd(
    a: str,
    b: str,
    start: date | None,
    end: date | None,
    every: str,
    known_at: int | datetime | None,
    model_file: Path | None,
    as_json: bool,
    as_csv: bool,
    predecessors: bool,
    db: Path,
) -> None:
    """The A–B index sampled every period.

    --json prints {"dyad", "every", "model_fingerprint", "last_event_on", "predecessors",
    "conflict_periods":
    [{"start", "end"}], "points": [{"date", "index", "label", "score", "stock", "flow",
    "last_event_on", "days_since_last_event"}]}. Points after the last event show the stock
    and a fading flow: the text output marks where the record ends.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv cannot be combined")
    with _open(db, model_file) as tracker:
        points = tracker.timeline(
            a,
            b,
            start=start,
            end=end,
            every=every,
            known_at=known_at,
            predecessors=predecessors,
        )
        line = tracker.lineage(a, b, known_at=known_at) if predecessors else None
        included = line.to_dict() if line else []
        fingerprint = tracker.model.fingerprint
        wars = tracker.conflict_periods(a, b, known_at=known_at)
    rows = [point_dict(p) for p in points]
    last = next((r["last_event_on"] for r in reversed(rows) if r["last_event_on"]), None)
    if as_json:
        click.echo(
            dumps(
                {
                    "dyad": sorted([a, b]),
                    "every": every,
                    "model_fingerprint": fingerprint,
                    "last_event_on": last,
                    "predecessors": included,
                    "conflict_periods": [
                        {"start": s.isoformat(), "end": e.isoformat() if e else None}
                        for s, e in wars
                    ],
                    "points": rows,
                }
            )
        )
    elif as_csv:
        for text in _predecessor_lines(included):
            click.echo(text.strip(), err=True)
        echo("date,index,label,score,stock,flow,last_event_on")
        for r in rows:
            echo(
                f"{r['date']},{r['index']:.6f},{r['label']},{r['score']:.6f},"
                f"{r['stock']:.6f},{r['flow']:.6f},{r['last_event_on'] or ''}"
            )
    else:
        for text in _predecessor_lines(included):
            echo(text.strip())
        marked = False
        for r in rows:
            if last and not marked and r["date"] > last:
                echo(
                    f"—— end of the record: last event {last}; later points rest on "
                    "structure and a fading flow ——"
                )
                marked = True
            bar = _bar(r["index"])
            echo(f"{r['date']}  {r['index']:+6.1f}  {r['label']:<9} {bar}")


def point_dict(p: Any) -> dict[str, Any]:
    """A timeline point or ranked score as JSON: the numbers and how old the record is."""
    return {
        "date": p.day.isoformat(),
        "index": p.index,
        "label": p.label,
        "score": p.score,
        "stock": p.stock.total,
        "flow": p.flow,
        "last_event_on": p.last_event_on.isoformat() if p.last_event_on else None,
        "days_since_last_event": p.days_since_last_event,
    }


def _bar(index: float, half: int = 25) -> str:
    n = round(abs(index) / 100 * half)
    left = (" " * (half - n) + "█" * n) if index < 0 else " " * half
    right = "█" * n if index > 0 else ""
    return f"{left}|{right}"


@click.command("dyads")
@as_of_option
@click.option("--party", type=PARTY, help="Only pairs that include this party.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many of the warmest and of the coldest pairs.",
)
@known_at_option
@predecessors_option
@model_option
@json_option
@db_option
def dyads_cmd(
    as_of: date | None,
    party: str | None,
    top: int,
    known_at: int | datetime | None,
    predecessors: bool,
    model_file: Path | None,
    as_json: bool,
    db: Path,
) -> None:
    """The warmest and coldest pairs on a date.

    Continuity applies as in `state`: a pair of a state that had ended by the date is listed
    under the state continuing it (PRK–SUN within PRK–RUS after 1991), and a pair of a state
    that ended with nothing continuing it is not listed; --no-predecessors lists every pair as
    recorded.

    --json prints {"as_of", "model_fingerprint", "warmest": [...], "coldest": [...],
    "left_out": [{"dyad", "why"}]}, each entry {"dyad", "index", "label", "score", "stock",
    "flow", "last_event_on", "days_since_last_event", "rests_on_structure", "predecessors"}.
    """
    with _open(db, model_file) as tracker:
        ranked = tracker.dyads(
            as_of=as_of, party=party, known_at=known_at, predecessors=predecessors
        )
        fingerprint = tracker.model.fingerprint
        day = (as_of or tracker.today()).isoformat()
    entries = [
        {
            "dyad": list(k),
            "index": s.index,
            "label": s.label,
            "score": s.score,
            "stock": s.stock.total,
            "flow": s.flow,
            "last_event_on": s.last_event_on.isoformat() if s.last_event_on else None,
            "days_since_last_event": s.days_since_last_event,
            "rests_on_structure": s.faded,
            "predecessors": ranked.lineages[k].to_dict() if k in ranked.lineages else [],
        }
        for k, s in ranked
    ]
    warm = entries[:top]
    cold = list(reversed(entries[-top:]))
    left_out = [{"dyad": list(k), "why": why} for k, why in ranked.left_out]
    if as_json:
        click.echo(
            dumps(
                {
                    "as_of": day,
                    "model_fingerprint": fingerprint,
                    "warmest": warm,
                    "coldest": cold,
                    "left_out": left_out,
                }
            )
        )
        return
    if not entries:
        echo("no pairs with events on or before " + day)
    for title, group in (("warmest", warm), ("coldest", cold)) if entries else ():
        echo(f"{title} on {day}:")
        for e in group:
            note = f"last event {e['last_event_on']} ({age(e['days_since_last_event'])} before)"
            if e["rests_on_structure"]:
                note += ", rests on structure"
            if e["predecessors"]:
                note += "; " + "; ".join(p["note"] for p in e["predecessors"])
            echo(f"  {e['dyad'][0]}–{e['dyad'][1]}  {e['index']:+6.1f}  {e['label']:<9} {note}")
    for entry in left_out:
        echo(f"not listed: {entry['dyad'][0]}–{entry['dyad'][1]}: {entry['why']}")
    if ranked.lineages:
        echo(
            "pairs of a state that continues another include its record, as `state` does "
            "(--no-predecessors lists each pair as recorded)"
        )


@click.group("model")
def model_group() -> None:
    """The scoring model."""


@model_group.command("show")
@model_option
@json_option
@db_option
def model_show_cmd(model_file: Path | None, as_json: bool, db: str | Path) -> None:
    """The model in force (the store's, or --model FILE) and its fingerprint."""
    from projections.model import DEFAULT_MODEL
    from tracker.store import exists, store_name

    model = load_model(model_file)
    source = str(model_file) if model_file else "built-in defaults"
    if model is None and exists(db):
        with _open(db, None) as tracker:
            model = tracker.model
            source = f"store {store_name(db)}"
    model = model or DEFAULT_MODEL
    d = {"fingerprint": model.fingerprint, "source": source, **model.to_dict()}
    if as_json:
        click.echo(dumps(d))
        return
    echo(f"model {d['fingerprint']}  ({source})")
    for key in ("mode", "half_life_days", "scale", "hysteresis", "trend_window_days"):
        echo(f"  {key:<18} {d[key]}")
    echo("  bands             " + ", ".join(f"{b['label']} ≥ {b['lower']:g}" for b in d["bands"]))
    echo(
        "  weights           "
        + (", ".join(f"{k}={v:g}" for k, v in d["weights"].items()) or "CAMEO/Goldstein defaults")
    )
    st = d["structure"]
    scalars = ", ".join(
        f"{k}={v:g}" for k, v in st.items() if k not in ("agreements", "returns", "signed_fraction")
    )
    echo(f"  structure         {scalars}")
    echo("  agreements        " + ", ".join(f"{k}={v:g}" for k, v in st["agreements"].items()))
    echo(
        f"  returns           {st['returns']:g} (diminishing, per group); signed_fraction "
        f"{st['signed_fraction']:g}; faded_half_lives {d['faded_half_lives']:g}"
    )


@click.command("rebuild")
@model_option
@click.option(
    "--mode",
    type=click.Choice(["sum", "mean"]),
    help="Aggregation mode of the rebuilt model: sum (curated logs) or mean (bulk coded data).",
)
@db_option
def rebuild_cmd(model_file: Path | None, mode: str | None, db: Path) -> None:
    """Drop every checkpoint and recompute them from the log alone.

    With --model FILE the checkpoints are rebuilt with that model, which becomes the store's;
    --mode changes only the aggregation mode of the store's (or that) model.
    """
    from dataclasses import replace

    from tracker.api import Tracker

    model = load_model(model_file)
    with Tracker(db, create=False) as tracker:
        if mode is not None:
            model = replace(model or tracker.model, mode=mode)
        from tracker.progress import Stages

        with Stages() as stages:
            n = tracker.rebuild(model, progress=stages)
    with Tracker(db, create=False) as tracker:
        fingerprint = tracker.model.fingerprint
    echo(f"rebuilt checkpoints of {n} dyads from the log (model {fingerprint})")
