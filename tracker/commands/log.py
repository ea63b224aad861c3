"""Commands that write to and read the log itself: append, log, types (``parties`` is in
:mod:`tracker.commands.parties`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from tracker.params import (
    DATE,
    EVENT_TYPE,
    KEY_VALUE,
    PARTY,
    allow_future_option,
    check_span,
    db_option,
    known_at_option,
    refuse_future,
)
from tracker.render import Output, output_options, print_table, signed
from tracker.terminal import echo, shorten


def _specific_fields(type_name: str, pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Turn ``--field key=value`` pairs into body fields; list fields may repeat."""
    from events.fields import list_fields
    from events.models import event_class

    fields = event_class(type_name).specific_fields()
    lists = list_fields(type_name)
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key not in fields:
            allowed = ", ".join(sorted(fields)) or "none"
            raise click.BadParameter(
                f"{key!r} is not a field of {type_name!r} events (its fields: {allowed})",
                param_hint="'--field'",
            )
        if key in lists:
            out.setdefault(key, []).append(value)
        elif key in out:
            raise click.BadParameter(f"{key!r} given twice", param_hint="'--field'")
        else:
            out[key] = value
    return out


@click.command("append")
@click.argument("type_name", metavar="TYPE", type=EVENT_TYPE)
@click.option("--actor", required=True, type=PARTY, help="Who acts (code, name or alias).")
@click.option("--target", required=True, type=PARTY, help="Who is acted upon.")
@click.option(
    "--on",
    "occurred_on",
    required=True,
    type=DATE,
    help="When it happened (valid time), YYYY-MM-DD.",
)
@click.option("--source", help="Who reported it: outlet, headline or URL.")
@click.option("--summary", help="One line saying what happened.")
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="How sure the report is, 0-1.",
)
@click.option(
    "--weight",
    type=click.FloatRange(-10, 10),
    help="Explicit Goldstein value instead of the type's default.",
)
@click.option("--id", "event_id", help="Event id (idempotency key); generated if omitted.")
@allow_future_option
@click.option(
    "--field",
    "fields",
    multiple=True,
    type=KEY_VALUE,
    help="A type-specific field, key=value (repeat for several; see `tracker types`).",
)
@output_options("append", csv=False)
@db_option
def append_cmd(
    type_name: str,
    actor: str,
    target: str,
    occurred_on: date,
    source: str | None,
    summary: str | None,
    confidence: float,
    weight: float | None,
    event_id: str | None,
    allow_future: bool,
    fields: tuple[tuple[str, str], ...],
    out: Output,
    db: str,
) -> None:
    """Append one event of type TYPE to the log and print its position.

    Re-sending an event with the same --id and content is a no-op that reports where it is.

    \b
    Example:
      tracker append congratulate --actor "North Korea" --target Russia --on 2024-03-18 \\
        --source "KCNA" --field occasion="Putin's re-election"
    """
    from events.models import parse_event
    from tracker.api import Tracker

    refuse_future(occurred_on, allowed=allow_future, option="--on")
    data: dict[str, Any] = {
        "type": type_name,
        "actor": actor,
        "target": target,
        "occurred_on": occurred_on.isoformat(),
        "confidence": confidence,
    }
    for key, value in (
        ("source", source),
        ("summary", summary),
        ("weight", weight),
        ("event_id", event_id),
    ):
        if value is not None:
            data[key] = value
    data.update(_specific_fields(type_name, fields))
    event = parse_event(data)  # validate before the store is even opened
    notes = placement_notes((actor, target), occurred_on)
    with Tracker(db) as tracker:
        result = tracker.append(event)
    if out.emit({**result.to_dict(), "notes": notes}):
        return
    for note in notes:
        echo(f"note: {note}")
    if result.created:
        echo(f"appended seq {result.seq} id {result.event_id}")
    else:
        echo(f"already present at seq {result.seq} id {result.event_id} (nothing written)")


def placement_notes(codes: tuple[str, ...], day: date) -> list[str]:
    """Why a party named for an event is not the one it is recorded under (Russia in 1985 is
    recorded as the USSR)."""
    from events.parties import place

    return [n for n in (place(code, day).note for code in codes) if n]


@click.command("log")
@click.option("--actor", type=PARTY, help="Only events by this party.")
@click.option("--target", type=PARTY, help="Only events aimed at this party.")
@click.option(
    "--dyad",
    nargs=2,
    type=PARTY,
    metavar="A B",
    help="Only events between A and B (either direction).",
)
@click.option("--type", "types", multiple=True, type=EVENT_TYPE, help="Only this type (repeat).")
@click.option("--since", type=DATE, help="Occurred on or after this date.")
@click.option("--until", type=DATE, help="Occurred on or before this date.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events.")
@click.option(
    "--search",
    metavar="TEXT",
    callback=lambda _ctx, _param, value: _search_text(value),
    help='Only events whose summary or source has these words (word* a prefix, "a phrase").',
)
@click.option(
    "--records",
    type=click.Choice(["show", "hide", "only"]),
    default="show",
    show_default=True,
    help="Retractions and corrections: list them, leave them out, or list only them.",
)
@known_at_option
@output_options("log", jsonl=True)
@db_option
def log_cmd(
    actor: str | None,
    target: str | None,
    dyad: tuple[str, str] | None,
    types: tuple[str, ...],
    since: date | None,
    until: date | None,
    limit: int | None,
    search: str | None,
    records: str,
    known_at: int | datetime | None,
    out: Output,
    db: str,
) -> None:
    """List stored events in log order.

    A retraction or correction is listed with the event it refers to (its seq and id), what it
    changes and why; an event that was later retracted or corrected says so, and by which
    seq. --records hide leaves the records out, --records only lists nothing else.

    --known-at lists only the events recorded by then (a seq, or a UTC timestamp); records
    made later are then neither listed nor marked.

    --search lists only the events whose summary or source holds every word given, as whole
    words, ignoring case and punctuation: `--search "sanction* veto"`; a word ending in *
    is a prefix, words in double quotes a phrase (no operators: AND, OR, NOT are words).

    --jsonl prints one record per line, the records `tracker export` writes:
    {"event": {...canonical event...}, "hash": ..., "recorded_at": ..., "seq": ...};
    --json {"format_version", "command": "log", "known_at", "records": [...]}; --csv the
    columns of tracker.store.rows.EVENT_ROW (docs/formats.md).
    """
    from tracker.api import Tracker

    check_span(since, until, first="--since", last="--until")
    from events.vocabulary import catalogue
    from projections.facts import RECORD_TYPES

    if records == "only":
        types = tuple(t for t in types if t in RECORD_TYPES) or tuple(sorted(RECORD_TYPES))
    elif records == "hide":
        types = tuple(t for t in (types or catalogue()) if t not in RECORD_TYPES)
    filters: dict[str, Any] = {
        "actor": actor,
        "target": target,
        "dyad": dyad or None,
        "since": since,
        "until": until,
        "known_at": known_at,
    }
    with Tracker(db, create=False) as tracker:
        stored = list(tracker.events(types=types, limit=limit, search=search, **filters))
        if not out.text:  # JSON and CSV are data, not text to escape
            from tracker.store.rows import EVENT_ROW as EVENT_COLUMNS
            from tracker.store.rows import event_row

            listed = [item.to_dict() for item in stored]
            body = {"known_at": tracker.known_seq(known_at), "records": listed}
            out.emit(body, listed, EVENT_COLUMNS, csv_row=event_row)
            return
        # a record carries its original's parties and date, so the same filters find it
        later = list(tracker.events(types=sorted(RECORD_TYPES), **filters))
        seqs = {s.event.event_id: s.seq for s in stored}
        for record in later:
            ref = str(getattr(record.event, "refers_to", ""))
            if ref not in seqs:
                row = tracker.store.row_by_id(ref)
                seqs[ref] = row.seq if row else 0
    fates: dict[str, list[str]] = {}
    for record in later:
        verb = "retracted" if record.event.type == "retract" else "corrected"
        fates.setdefault(str(getattr(record.event, "refers_to", "")), []).append(
            f"{verb} at seq {record.seq}"
        )
    rows: list[tuple[str, ...]] = [
        (
            str(s.seq),
            s.event.occurred_on.isoformat(),
            s.event.type,
            f"{s.event.actor}→{s.event.target}",
            _what(s.event, seqs),
            ", ".join(fates.get(s.event.event_id, [])),
        )
        for s in stored
    ]
    if not rows:
        echo("no events match")
        return
    header: tuple[str, ...] = (
        "seq",
        "occurred",
        "type",
        "actor→target",
        "summary",
        "later records",
    )
    if not any(r[-1] for r in rows):
        header, rows = header[:-1], [r[:-1] for r in rows]
    print_table(header, rows, right=(0,))


def _search_text(value: str | None) -> str | None:
    """``--search`` is refused as a usage error when it holds nothing to search for."""
    from tracker.store.search import problem

    why = None if value is None else problem(value)
    if why is not None:
        raise click.BadParameter(f"{value!r}: {why}")
    return value


def _what(event: Any, seqs: dict[str, int]) -> str:
    """The summary column: for a record, what it refers to, what it changes and why."""
    ref = getattr(event, "refers_to", None)
    if ref is None:
        return shorten(event.summary or event.source, 60)
    where = f"seq {seqs[ref]} ({ref})" if seqs.get(ref) else str(ref)
    if event.type == "retract":
        return shorten(f"retracts {where}: {event.reason}", 90)
    changes = ", ".join(f"{k}={v}" for k, v in sorted(event.changes.items()))
    return shorten(f"corrects {where}: {changes}; {event.reason}", 90)


TYPES_COLUMNS = (
    "type",
    "cameo_code",
    "weight",
    "quad_class",
    "quad_class_label",
    "effects",
    "fields",
    "description",
)


@click.command("types")
@output_options("types", jsonl=True)
def types_cmd(out: Output) -> None:
    """The event vocabulary: CAMEO code, default weight, quad class, effects, fields.

    --json {"format_version", "command": "types", "types": [{type, cameo_code, weight,
    quad_class, quad_class_label, effects, description, fields [{name, required}]}]};
    --jsonl those entries, --csv the columns of TYPES_COLUMNS (effects and fields as JSON).
    """
    from events.models import EVENT_CLASSES
    from events.vocabulary import catalogue

    entries: list[dict[str, Any]] = []
    for info in catalogue().values():
        fields = EVENT_CLASSES[info.name].specific_fields()
        entries.append(
            {
                "type": info.name,
                "cameo_code": info.cameo_code,
                "weight": info.weight,
                "quad_class": int(info.quad_class) if info.quad_class else None,
                "quad_class_label": info.quad_class.label if info.quad_class else None,
                "effects": [str(e) for e in info.effects],
                "description": info.description,
                "fields": [{"name": k, "required": f.is_required()} for k, f in fields.items()],
            }
        )
    if out.emit({"types": entries}, entries, TYPES_COLUMNS):
        return
    rows: list[tuple[str, ...]] = []
    for e in entries:
        shown = ", ".join(f["name"] + ("" if f["required"] else "?") for f in e["fields"])
        rows.append(
            (
                e["type"],
                e["cameo_code"] or "any",
                "" if e["weight"] is None else signed(e["weight"]),
                e["quad_class_label"] or "by code",
                " ".join(e["effects"]),
                shown,
            )
        )
    header = ("type", "cameo", "weight", "quad class", "effects", "fields (?=optional)")
    print_table(header, rows, right=(2,))
