"""Query commands: explain, timeline, dyads, model show, rebuild (``state`` is in
:mod:`tracker.commands.state`, whose rendering pieces these share)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from tracker.commands.state import (
    _open,
    _predecessor_lines,
    _signed,
    age,
)
from tracker.params import (
    PARTY,
    as_of_option,
    check_span,
    db_option,
    known_at_option,
    load_model,
    model_option,
    period_options,
    predecessors_option,
)
from tracker.render import Output, output_options, plural, print_table, signed
from tracker.terminal import echo, shorten


@click.command("explain")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@as_of_option
@known_at_option
@model_option
@click.option("--limit", type=click.IntRange(min=1), help="Only the N largest event contributions.")
@predecessors_option
@output_options("explain", jsonl=True)
@db_option
def explain_cmd(
    a: str,
    b: str,
    as_of: date | None,
    known_at: int | datetime | None,
    model_file: Path | None,
    limit: int | None,
    predecessors: bool,
    out: Output,
    db: str,
) -> None:
    """The events that make up the A–B score on a date, each with its contribution.

    The structural terms in force (what, since when, weight × diminishing-returns factor) and
    the event contributions (weight × confidence × decay) add up to the score (in mean mode
    the contributions add up to the decayed sum S, and the flow is K·artanh(S/D/10)).
    --json keys: dyad, as_of, known_at, score, stock, flow, index, last_event_on,
    days_since_last_event, model_fingerprint, mode, predecessors, structure (each with what,
    detail, since, direction, weight, factor, value, event_id), events_total, limit, omitted,
    contributions (the --limit largest, each with event_id, seq, occurred_on, type, actor,
    target, summary, weight, confidence, decay, contribution). --jsonl and --csv: one row per
    structural term and per contribution (EXPLAIN_COLUMNS; in sum mode the value column adds
    up to the score).
    """
    from tracker.explanation import EXPLAIN_COLUMNS

    with _open(db, model_file) as tracker:
        explained = tracker.explain(a, b, as_of=as_of, known_at=known_at, predecessors=predecessors)
    d = explained.to_dict(limit)
    if out.emit(d, explain_rows(d), EXPLAIN_COLUMNS):
        return
    x, y = d["dyad"]
    echo(
        f"{x}–{y} as of {d['as_of']}: score {_signed(d['score'])}, index "
        f"{signed(d['index'])}  (model {d['model_fingerprint']})"
    )
    for line in _predecessor_lines(d["predecessors"]):
        echo(line)
    if d["structure"]:
        echo(f"  structure in force (stock {_signed(d['stock'])}):")
    for t in d["structure"]:
        arrow = "" if t["direction"] == "shared" else " " + t["direction"].replace("->", "→")
        since = f" since {t['since']}" if t["since"] else ""
        echo(
            f"  {signed(t['value'], 3):>8}  {t['what']}{arrow}: {shorten(t['detail'], 60)}{since}  "
            f"w={t['weight']:+g} ×{t['factor']:g}"
        )
    items = d["contributions"]
    if items:
        last = d["last_event_on"]
        echo(
            f"  events (flow {_signed(d['flow'])}; last {last}, "
            f"{age(d['days_since_last_event'])} before):"
        )
    rows = [
        (
            signed(c["contribution"], 3),
            c["occurred_on"],
            c["type"],
            f"{c['actor']}→{c['target']}",
            signed(c["weight"]),
            f"{c['confidence']:.2f}",
            f"{c['decay']:.3f}",
            shorten(c["summary"], 50),
        )
        for c in items
    ]
    if rows:
        header = ("contribution", "occurred", "type", "parties", "w", "c", "decay", "summary")
        print_table(header, rows, right=(0, 4, 5, 6), indent="    ")
    if d["omitted"]:
        echo(f"  … and {d['omitted']} smaller contributions (--limit to change)")
    total = d["events_total"]
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


def explain_rows(d: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The structural terms (kind ``structure``) and then the event contributions (kind
    ``event``), each with its ``value``: in sum mode the values add up to the score."""
    return [
        *({"kind": "structure", **t} for t in d["structure"]),
        *({"kind": "event", **c, "value": c["contribution"]} for c in d["contributions"]),
    ]


@click.command("timeline")
@click.argument("a", type=PARTY)
@click.argument("b", type=PARTY)
@period_options
@known_at_option
@model_option
@output_options("timeline", jsonl=True)
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
    out: Output,
    predecessors: bool,
    db: str,
) -> None:
    """The A–B index sampled every period.

    --json prints {"format_version", "command": "timeline", "dyad", "from", "to", "every",
    "known_at", "model_fingerprint", "mode", "last_event_on", "predecessors",
    "conflict_periods": [{"start", "end"}], "points": [{"as_of", "index", "label", "score",
    "stock", "flow", "last_event_on", "days_since_last_event", "rests_on_structure"}]};
    --jsonl and --csv the points. Points after the last event show the stock and a fading
    flow: the text output marks where the record ends.
    """
    check_span(start, end)
    from tracker.queries import SCORE_COLUMNS

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
    d = points.to_dict()
    notes = _predecessor_lines(d["predecessors"])
    if not out.text:
        for text in notes if out.fmt == "csv" else ():
            click.echo(text.strip(), err=True)
        out.emit(d, d["points"], SCORE_COLUMNS)
        return
    for text in notes:
        echo(text.strip())
    last = d["last_event_on"]
    marked = False
    for r in d["points"]:
        if last and not marked and r["as_of"] > last:
            echo(
                f"—— end of the record: last event {last}; later points rest on "
                "structure and a fading flow ——"
            )
            marked = True
        bar = _bar(r["index"])
        echo(f"{r['as_of']}  {signed(r['index']):>6}  {r['label']:<9} {bar}")


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
@output_options("dyads", jsonl=True)
@db_option
def dyads_cmd(
    as_of: date | None,
    party: str | None,
    top: int,
    known_at: int | datetime | None,
    predecessors: bool,
    model_file: Path | None,
    out: Output,
    db: str,
) -> None:
    """The warmest and coldest pairs on a date.

    Continuity applies as in `state`: a pair of a state that had ended by the date is listed
    under the state continuing it (PRK–SUN within PRK–RUS after 1991), and a pair of a state
    that ended with nothing continuing it is not listed; --no-predecessors lists every pair as
    recorded.

    --json prints {"format_version", "command": "dyads", "as_of", "known_at", "party",
    "model_fingerprint", "mode", "dyads": [every pair, warmest first], "warmest": [the --top
    warmest], "coldest": [the --top coldest], "left_out": [{"dyad", "why"}]}, each entry
    {"rank", "dyad", "as_of", "index", "label", "score", "stock", "flow", "last_event_on",
    "days_since_last_event", "rests_on_structure", "predecessors"}; --jsonl and --csv every
    pair, warmest first.
    """
    from tracker.queries import RANK_COLUMNS

    with _open(db, model_file) as tracker:
        ranked = tracker.dyads(
            as_of=as_of, party=party, known_at=known_at, predecessors=predecessors
        )
    d = {**ranked.to_dict(top), "party": party}
    if out.emit(d, d["dyads"], RANK_COLUMNS):
        return
    day = d["as_of"]
    if not d["dyads"]:
        echo("no pairs with events on or before " + day)
    for title in ("warmest", "coldest") if d["dyads"] else ():
        echo(f"{title} on {day}:")
        rows = []
        for e in d[title]:
            note = f"last event {e['last_event_on']} ({age(e['days_since_last_event'])} before)"
            if e["rests_on_structure"]:
                note += ", rests on structure"
            if e["predecessors"]:
                note += "; " + "; ".join(p["note"] for p in e["predecessors"])
            rows.append((f"{e['dyad'][0]}–{e['dyad'][1]}", signed(e["index"]), e["label"], note))
        print_table(("pair", "index", "label", "record"), rows, right=(1,))
    for entry in d["left_out"]:
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
@output_options("model show")
@db_option
def model_show_cmd(model_file: Path | None, out: Output, db: str) -> None:
    """The model in force (the store's, or --model FILE) and its fingerprint.

    --json {"format_version", "command": "model show", "model_fingerprint", "source", and the
    model's parameters (mode, half_life_days, scale, hysteresis, trend_window_days,
    faded_half_lives, bands, weights, structure)}; --csv one "key,value" row per parameter
    (nested keys joined with dots: structure.agreements.treaty).
    """
    from projections.model import DEFAULT_MODEL
    from tracker.store import exists, store_name

    model = load_model(model_file)
    source = str(model_file) if model_file else "built-in defaults"
    if model is None and exists(db):
        with _open(db, None) as tracker:
            model = tracker.model
            source = f"store {store_name(db)}"
    model = model or DEFAULT_MODEL
    d = {"model_fingerprint": model.fingerprint, "source": source, **model.to_dict()}
    if out.emit(d, _parameters(d), ("key", "value")):
        return
    echo(f"model {d['model_fingerprint']}  ({source})")
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


def _parameters(d: Mapping[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """A nested mapping as (dotted key, value) rows; lists stay whole."""
    rows: list[dict[str, Any]] = []
    for key, value in d.items():
        if isinstance(value, Mapping):
            rows += _parameters(value, f"{prefix}{key}.")
        else:
            rows.append({"key": prefix + key, "value": value})
    return rows


@click.command("rebuild")
@model_option
@click.option(
    "--mode",
    type=click.Choice(["sum", "mean"]),
    help="Aggregation mode of the rebuilt model: sum (curated logs) or mean (bulk coded data).",
)
@output_options("rebuild", csv=False)
@db_option
def rebuild_cmd(model_file: Path | None, mode: str | None, out: Output, db: str) -> None:
    """Drop every checkpoint and recompute them from the log alone.

    With --model FILE the checkpoints are rebuilt with that model, which becomes the store's;
    --mode changes only the aggregation mode of the store's (or that) model. --json
    {"format_version", "command": "rebuild", "pairs", "head", "mode", "model_fingerprint"}.
    """
    from tracker.api import Tracker

    model = load_model(model_file)
    with Tracker(db, create=False) as tracker:
        if mode is not None:
            model = (model or tracker.model).replace(mode=mode)
        from tracker.progress import Stages

        with Stages(enabled=False if not out.text else None) as stages:
            n = tracker.rebuild(model, progress=stages)
    with Tracker(db, create=False) as tracker:
        rebuilt, head = tracker.model, tracker.head()
    d = {
        "pairs": n,
        "head": head.to_dict(),
        "mode": rebuilt.mode,
        "model_fingerprint": rebuilt.fingerprint,
    }
    if out.emit(d):
        return
    echo(f"rebuilt checkpoints of {plural(n, 'dyad')} from the log (model {rebuilt.fingerprint})")
