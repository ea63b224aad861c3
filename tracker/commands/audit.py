"""Corrections and audit commands: retract, correct, verify, replay, export.

The audit commands read the store read-only and never change it; the work is in
:mod:`tracker.audit`.

This module is over 400 lines because five commands' options, help texts and rendering live
here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tracker.params import KEY_VALUE, db_option, known_at_option
from tracker.render import Output, document, dumps, output_options, plural
from tracker.terminal import echo


@contextmanager
def _progress(count: int, label: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """Progress on stderr (a terminal only, and only for work that takes a while): the count
    of events done, the rate and the time left."""
    if quiet:
        yield None
        return
    from tracker.progress import Stages

    with Stages() as stages:
        stages.stage(label, count, "events")
        yield stages


def _print_append(result: Any, out: Output, what: str, event_id: str) -> None:
    if out.emit({**result.to_dict(), "refers_to": event_id}):
        return
    if result.created:
        echo(f"{what} {event_id}: appended seq {result.seq} id {result.event_id}")
    else:
        echo(f"already present at seq {result.seq} id {result.event_id} (nothing written)")


# -- retract / correct -------------------------------------------------------------------------


@click.command("retract")
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event is withdrawn (kept in the log).")
@click.option(
    "--id", "new_id", help="Id of the retraction itself (idempotency key); generated if omitted."
)
@output_options("retract", csv=False)
@db_option
def retract_cmd(event_id: str, reason: str, new_id: str | None, out: Output, db: str) -> None:
    """Withdraw event EVENT_ID by appending a retraction that refers to it.

    The original stays in the log (nothing is ever deleted); projections leave it out from
    the retraction's position on, and `--known-at` earlier still sees it. Retracting an event
    twice is an error.

    \b
    Example:
      tracker retract demo:prk-rus:2000-02-09:ivanov-visit --reason "duplicate report"
    """
    from tracker.api import Tracker

    with Tracker(db, create=False) as tracker:
        result = tracker.retract(event_id, reason=reason, new_id=new_id)
    _print_append(result, out, "retracted", event_id)


@click.command("correct")
@click.argument("event_id")
@click.option(
    "--field",
    "fields",
    multiple=True,
    required=True,
    type=KEY_VALUE,
    help="A corrected field, key=value (repeat for several; repeat a list field "
    "such as items for each element; key= clears an optional field).",
)
@click.option("--reason", required=True, help="Why the event is corrected (kept in the log).")
@click.option(
    "--id", "new_id", help="Id of the correction itself (idempotency key); generated if omitted."
)
@output_options("correct", csv=False)
@db_option
def correct_cmd(
    event_id: str,
    fields: tuple[tuple[str, str], ...],
    reason: str,
    new_id: str | None,
    out: Output,
    db: str,
) -> None:
    """Correct some fields of event EVENT_ID by appending a correction that refers to it.

    The original stays in the log; projections use the corrected values from the
    correction's position on. Correctable: occurred_on, source, summary, confidence, weight
    and the type's own fields (see `tracker types`); type, event_id, actor and target cannot
    be corrected (retract the event and append a new one). Numbers are parsed for numeric
    fields (confidence, weight, value_usd, count ...).

    \b
    Example:
      tracker correct 7f3c... --field confidence=0.6 --field occurred_on=2024-03-19 \\
        --reason "KCNA dated the message a day later"
    """
    from tracker.api import Tracker
    from tracker.records import RecordError

    with Tracker(db, create=False) as tracker:
        original = tracker.store.row_by_id(event_id)
        if original is None:
            raise RecordError(
                f"event_id {event_id!r}: no such event in the log", field="event_id", value=event_id
            )
        if original.type in ("retract", "correct"):
            raise RecordError(
                f"event_id {event_id!r}: is a {original.type}, not an event that "
                "can be corrected; refer to the original event",
                field="event_id",
                value=event_id,
            )
        changes = parse_changes(original.type, fields)
        result = tracker.correct(event_id, changes, reason=reason, new_id=new_id)
    _print_append(result, out, "corrected", event_id)


def parse_changes(type_name: str, pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``--field key=value`` pairs as a correction's changes, validated by the event model
    (:func:`events.fields.correction_changes`); a bad one is a usage error naming it."""
    from events.errors import TrackerError
    from events.fields import correction_changes

    try:
        return correction_changes(type_name, pairs)
    except TrackerError as exc:
        raise click.BadParameter(exc.message, param_hint="'--field'") from None


# -- verify ------------------------------------------------------------------------------------

FAULT_COLUMNS = ("kind", "seq", "line", "message")


@click.command("verify")
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also compare the store with an exported log (tracker export), record by "
    "record: same seqs, bodies, recorded_at and hashes.",
)
@click.option(
    "--prefix",
    is_flag=True,
    help="With --against: accept a store that has more events after the file's "
    "last one (an export taken earlier).",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also validate every body as its typed event and every retraction and "
    "correction reference, and run SQLite's full integrity_check (slower).",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint taken earlier (tracker checkpoint): the log must extend it. Repeatable.",
)
@click.option(
    "--key",
    "key_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The public key (NAME.pub) that must have signed each --checkpoint. Repeatable.",
)
@output_options("verify", jsonl=True)
@db_option
@click.pass_context
def verify_cmd(
    ctx: click.Context,
    against: Path | None,
    prefix: bool,
    deep: bool,
    checkpoint_files: tuple[Path, ...],
    key_files: tuple[Path, ...],
    out: Output,
    db: str,
) -> None:
    """Check that the log is intact: recompute the hash chain and the Merkle tree from the
    first event, and check the file itself.

    Reports the first broken position and why (hash mismatch, gap or duplicate in seq, a body
    that is not canonical or does not match its columns, transaction time going backwards, a
    stored tree hash that the records do not make), and any missing or altered append-only
    trigger, unexpected table, view, index or trigger, damaged page (PRAGMA quick_check;
    integrity_check with --deep), or wrong meta / projection_meta row. With --checkpoint, the
    log must extend each checkpoint (a consistency proof from its tree size to the head); a
    truncated, rewritten or forked log fails and names the tree size where it diverges. Prints
    the head seq and hash when intact. Exit status 0 when intact, 1 on any fault. Reads the
    store read-only (a store on read-only media can be verified).

    --json keys: store, ok, events, verified, head {seq, hash}, faults [{kind, message, seq,
    line}], first_bad_seq, against, against_lines, notes; --jsonl and --csv the faults
    (kind, seq, line, message), none when intact.
    """
    from tracker.audit import count_events
    from tracker.signed_note import VerifierKey, read_key_text
    from tracker.verify import verify

    if prefix and against is None:
        raise click.UsageError("--prefix only makes sense with --against FILE")
    if key_files and not checkpoint_files:
        raise click.UsageError("--key only makes sense with --checkpoint FILE")
    keys = [VerifierKey.parse(read_key_text(k, "key")) for k in key_files]
    notes = [(str(f), read_key_text(f, "checkpoint")) for f in checkpoint_files]
    with _progress(count_events(db), "verifying", not out.text) as progress:
        report = verify(
            db,
            against=against,
            deep=deep,
            prefix=prefix,
            progress=progress,
            checkpoints=notes,
            keys=keys,
        )
    d = report.to_dict()
    if not out.emit(d, d["faults"], FAULT_COLUMNS):
        _verify_text(report, deep=deep, against=against)
    if not report.ok:
        ctx.exit(1)


def _verify_text(report: Any, *, deep: bool, against: Path | None) -> None:
    if report.ok:
        echo(
            f"intact: {report.events} events, chain verified from seq 1 to "
            f"{report.verified}" + (" (deep)" if deep else "")
        )
        if against is not None:
            echo(f"matches {against} ({report.against_lines} records)")
        for note in report.notes:
            echo(f"note: {note}")
        echo(f"head seq {report.head_seq} hash {report.head_hash}")
    else:
        for fault in report.faults:
            echo(f"FAULT {fault}")
        first = report.first
        if first is not None:
            echo(
                f"first bad position: seq {first.seq}; chain verified up to seq "
                f"{report.verified} of {report.head_seq}"
            )
        echo(f"head seq {report.head_seq} hash {report.head_hash} (as stored)")


# -- replay ------------------------------------------------------------------------------------

REPLAY_COLUMNS = (
    "party_a",
    "party_b",
    "result",
    "checkpoints",
    "stored_checkpoints",
    "day",
    "column",
    "stored",
    "replayed",
)


@click.command("replay")
@known_at_option
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the full report (JSON) to this file.",
)
@output_options("replay", jsonl=True)
@db_option
@click.pass_context
def replay_cmd(
    ctx: click.Context,
    known_at: int | datetime | None,
    report_file: Path | None,
    out: Output,
    db: str,
) -> None:
    """Rebuild every projection from the log alone and compare with the stored checkpoints.

    The rebuild runs in a scratch database (the store is only read), with the store's scoring
    model, whose fingerprint is in the report. Each dyad is ok or differs (first differing
    day and column; floats must be bit-identical). Exit status 1 on any divergence.

    With --known-at, the log is replayed as it stood then; the stored checkpoints reflect the
    current log, so nothing can be compared, and each dyad's state then is reported instead.

    --json (and --report) keys: store, ok, compared, known_at, head {seq, hash}, replayed_to,
    model_fingerprint, model, summary, faults, notes, dyads [{dyad, result, checkpoints,
    stored_checkpoints, day, column, stored, replayed, state}]; --jsonl and --csv the dyads
    (REPLAY_COLUMNS).
    """
    from tracker.outputs import AtomicOutput
    from tracker.replay import replay

    output = (
        AtomicOutput(report_file, field="report", store=db) if report_file is not None else None
    )
    from tracker.progress import Stages

    with Stages(enabled=None if out.text else False) as stages:
        report = replay(db, known_at=known_at, progress=stages)
    d = report.to_dict()
    if output is not None:
        with output:
            output.stream.write(dumps(document("replay", d)) + "\n")
            output.publish()
    if not out.emit(d, d["dyads"], REPLAY_COLUMNS):
        _replay_text(report, d)
    if not report.ok:
        ctx.exit(1)


def _replay_text(report: Any, d: dict[str, Any]) -> None:
    verb = "compared with the stored checkpoints" if report.compared else "not compared (see note)"
    echo(
        f"replayed {report.replayed_to} events with model "
        f"{report.model_fingerprint} into a scratch store; {verb}"
    )
    for note in report.notes:
        echo(f"note: {note}")
    for fault in report.faults:
        echo(f"FAULT {fault}")
    for dy in report.dyads:
        echo(f"  {dy.dyad[0]}–{dy.dyad[1]}  {dy.describe()}")
    summary = ", ".join(f"{v} {k}" for k, v in d["summary"].items() if k != "pairs")
    echo(
        plural(len(report.dyads), "dyad")
        + (f": {summary}" if summary else "")
        + ("" if report.ok else "  DIVERGENCE")
    )


# -- export ------------------------------------------------------------------------------------


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@known_at_option
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@output_options("export", csv=False)
@db_option
def export_cmd(
    file: Path, known_at: int | datetime | None, force: bool, out: Output, db: Path
) -> None:
    """Write the log to FILE as JSON Lines (`-` for standard output).

    First the tree head, {"format": "relations-tracker export", "tree_head": {"chain_head",
    "root", "size"}, "version": 1}; then one line per event, in seq order, each the canonical
    JSON (keys sorted, no spaces, UTF-8) of {"event": {...the canonical event...}, "hash":
    ..., "recorded_at": ..., "seq": ...}, the same records `tracker log --jsonl` prints. With
    --known-at, only the events recorded by then. Importing the file into an empty store
    (`tracker import FILE`) reproduces the chain and the tree head, and checks that it does;
    `tracker verify --against FILE` checks a store against it.

    The chain and the tree are checked while writing and a broken log is not exported; the
    file is written to a temporary name and renamed at the end, so an error leaves no partial
    file. --json prints {"format_version", "command": "export", "file", "events", "known_at",
    "head"} (on standard error when FILE is `-`).
    """
    from tracker.audit import count_events
    from tracker.export import export, export_file

    if str(file) == "-":
        result = export(db, sys.stdout, known_at=known_at)
        if out.text:
            echo(
                f"exported {plural(result.events, 'event')} (head seq {result.head_seq} hash "
                f"{result.head_hash})",
                err=True,
            )
        else:
            click.echo(dumps(document("export", {"file": "-", **result.to_dict()})), err=True)
        return
    from tracker.outputs import OutputExistsError

    try:
        with _progress(count_events(db), "exporting", not out.text) as progress:
            result = export_file(db, file, known_at=known_at, force=force, progress=progress)
    except OutputExistsError as exc:
        raise click.ClickException(f"{exc} (use --force to replace it)") from None
    if out.emit({"file": str(file), **result.to_dict()}):
        return
    echo(
        f"exported {plural(result.events, 'event')} to {file} (head seq {result.head_seq} "
        f"hash {result.head_hash})"
    )
