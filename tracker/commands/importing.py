"""``tracker import``: bulk import of event files (the command; the work is in
:mod:`tracker.importers`)."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from tracker.params import db_option
from tracker.render import Output, output_options, plural, table
from tracker.terminal import echo

FORMAT_CHOICES = ("auto", "jsonl", "csv", "gdelt", "icews", "polecat")


@click.command("import")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES),
    default="auto",
    show_default=True,
    help="Input format; auto tells each file (and zip member) by its content.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows and skip the invalid ones (listed in --report) "
    "instead of aborting on the first.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every skipped invalid row (file, line, reason, field, value, "
    "message) here: JSON Lines, or CSV if the name ends in .csv. Without "
    "--skip-invalid it holds the row that stopped the import.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Validate everything and report what would happen; write nothing.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1_000_000),
    default=None,
    hidden=True,
    help="Events per store append (tuning).",
)
@output_options("import", csv=False)
@db_option
def import_cmd(
    files: tuple[Path, ...],
    fmt: str,
    skip_invalid: bool,
    report: Path | None,
    dry_run: bool,
    batch_size: int | None,
    out: Output,
    db: str,
) -> None:
    """Import events from FILE... (JSON Lines, CSV, GDELT 1.0/2.0, ICEWS; .gz and .zip are
    read directly, every member of a zip); `-` reads standard input.

    All or nothing: the first invalid row stops the import with its file, line, field and
    value, and the log is left unchanged (unless --skip-invalid). Event ids come from the
    source's own ids, so importing the same file twice adds nothing the second time. GDELT
    and ICEWS rows that are not state-to-state events are filtered out and counted.

    \b
    Examples:
      tracker import 20240318.export.CSV.zip
      tracker import events.jsonl --dry-run
      tracker import icews.2015.tab.gz --skip-invalid --report skipped.jsonl
      tracker export - --db tracker.db | tracker import - --db postgresql://me@db/team

    --json prints the summary: {"format_version", "command": "import", "files" [{name,
    format}], "read", "imported", "already_present", "skipped", "filtered", "invalid",
    "replayed", "restamped", "dry_run", "head", "notes", "former_states"}.
    """
    from tracker.api import Tracker
    from tracker.importers import total_bytes
    from tracker.progress import Stages

    if sum(str(f) == "-" for f in files) > 1:
        raise click.BadParameter("'-' (standard input) given twice", param_hint="'FILES...'")
    with (
        contextlib.ExitStack() as stack,
        Tracker(db) as tracker,
        Stages(enabled=None if out.text else False) as stages,
    ):
        files = tuple(_stdin_copy(stack) if str(f) == "-" else f for f in files)
        # reading the files is one stage (bytes), updating checkpoints the next (dyads):
        # import_files hands the stages to the checkpoint update
        stages.stage("importing", total_bytes(files), "bytes")
        summary = tracker.import_files(
            files,
            fmt=fmt,
            skip_invalid=skip_invalid,
            report=report,
            dry_run=dry_run,
            progress=stages,
            batch_size=batch_size,
        )
    if out.emit(summary.to_dict()):
        return
    what = (
        f"{plural(summary.imported, 'new event')} from {plural(summary.read, 'row')} read "
        f"({plural(len(summary.files), 'file')})."
    )
    echo(f"dry run: nothing was written. Would import {what}" if dry_run else f"imported {what}")
    totals = [
        ("read", summary.read),
        ("imported", summary.imported),
        ("already present", summary.already_present),
        ("skipped", summary.skipped),
    ]
    skipped = [
        *((n, f"{reason} (filtered out)") for reason, n in sorted(summary.filtered.items())),
        *((n, f"{reason} (invalid, skipped)") for reason, n in sorted(summary.invalid.items())),
    ]
    for line in _rows_only(totals, right=(1,)):
        echo("  " + line)
    for line in _rows_only(skipped, right=(0,)) if skipped else ():
        echo("    " + line)
    if summary.invalid and report is not None:
        echo(f"  skipped rows are listed in {report}")
    if summary.replayed:
        echo(
            f"  {summary.replayed} export records replayed with their original seq, "
            "recorded_at and hash"
        )
    if summary.restamped:
        echo(
            f"  {summary.restamped} export records imported as new events (fresh seq "
            "and recorded_at: they do not continue this log's chain)"
        )
    for name, detected in summary.files:
        echo(f"  file {name}: {detected}")
    for note in summary.notes:
        echo(f"  note: {note}")
    if summary.former_states:
        counts = ", ".join(f"{code} {n}" for code, n in sorted(summary.former_states.items()))
        echo(
            f"  note: events recorded under states that no longer exist ({counts}): an event is "
            "filed under the state that existed on its date (Russia before 1991-12-26 is the "
            "USSR); see `tracker parties CODE`"
        )
    if summary.head is not None:
        prefix = "head would be" if dry_run else "log head"
        echo(f"  {prefix}: seq {summary.head.seq} hash {summary.head.hash}")


def _rows_only(rows: list[tuple[Any, ...]], right: tuple[int, ...]) -> list[str]:
    """A table's lines without its header and rule: the import summary's aligned counts."""
    return table([""] * len(rows[0]), rows, right=right).splitlines()[2:]


def _stdin_copy(stack: contextlib.ExitStack) -> Path:
    """Standard input (``-``: e.g. ``tracker export - --db a | tracker import - --db b``) in a
    temporary file named ``stdin``, removed at the end: the importers tell the format by the
    content and read files more than once."""
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tracker-import-")))
    path = directory / "stdin"
    with path.open("wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return path
