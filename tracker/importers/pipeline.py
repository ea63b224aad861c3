"""Bulk import: the tracker's own JSON Lines and CSV, GDELT 1.0/2.0, ICEWS and POLECAT event files.

One streaming pipeline serves every format::

    file (.gz / .zip read directly) -> lines -> format reader -> Item | Skip
        -> batches of ``batch_size`` prepared events -> Store.append (inside one transaction)

- Streaming: files are read line by line and written in batches, so memory does not grow
  with the file size.
- All-or-nothing: every batch is appended inside one ``Store.transaction()``; the first bad
  row aborts the import with its file, line, field and value, and the log is left as it was.
  With ``skip_invalid`` bad rows are skipped instead and each is written to the report.
- Rows a format filters out by design (GDELT/ICEWS rows that are not state-to-state events)
  are not errors: they are counted by reason in the summary and not written to the report.
- Idempotent: event ids come from the source's own ids, and re-appending an identical event
  is a no-op, so importing the same file twice adds nothing the second time.
- An export's head line (:mod:`tracker.export_head`) is checked at the end of its file, inside
  the transaction: replayed into an empty store, the imported log's tree head (size, root,
  chain head) must be the carried one; imported as new events, the file's records must make
  it. A mismatch aborts the import, naming both heads.
- ``dry_run`` runs everything, appends included, inside the transaction and then rolls it
  back: the summary is exact and nothing is written.

Formats are told apart by content (:func:`detect`), per file and per zip member.

This module is over 400 lines because one import run (batching, replaying an export, skipping,
aborting, the report) is one state machine.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, Any

from events.errors import TrackerError
from tracker import limits
from tracker.errors import ConflictError, StoreError
from tracker.export_head import CarriedHead, RecordTree, difference
from tracker.importers.inputs import DAMAGE, InputError, Source, file_size, open_sources
from tracker.importers.reader import HeadLine, ImportFormatError, Item, Reader, Skip
from tracker.store import Head, Store, chain_hash
from tracker.store.rows import parse_timestamp

FORMATS = ("jsonl", "csv", "gdelt", "icews", "polecat")
DEFAULT_BATCH_SIZE = 4_000
"""Events per store append. Each batch's rows and their derived rows are held at once; at 1M
events 4,000 left the peak at 87 MB against 95 MB with 10,000 (until 2026-12-02), in the same
time (79.5 s and 80.8 s): the per-batch work (head, tree frontier, search index statement) is
small beside the rows'."""


class ImportAbortedError(TrackerError):
    """A bad row (or damaged file) stopped an all-or-nothing import; nothing was written.
    ``skippable``: skipping invalid rows would have let the import go on."""

    skippable = False


@dataclass(slots=True)
class ImportSummary:
    """What an import did. ``read`` = ``imported`` + ``already_present`` + every skip."""

    files: list[tuple[str, str]] = field(default_factory=list)  # (source name, format)
    read: int = 0
    imported: int = 0
    already_present: int = 0
    filtered: Counter[str] = field(default_factory=Counter)  # by reason (not errors)
    invalid: Counter[str] = field(default_factory=Counter)  # by reason (skipped errors)
    replayed: int = 0  # export records written with their original seq, time and hash
    restamped: int = 0  # export records written as new events (fresh seq and time)
    dry_run: bool = False
    head: Head | None = None
    notes: list[str] = field(default_factory=list)  # e.g. the aggregation mode chosen
    former_states: Counter[str] = field(default_factory=Counter)
    """Events read that are recorded under a state that no longer exists, by its code (the
    USSR for "Russia" in 1985: see :func:`events.parties.place`)."""

    @property
    def skipped(self) -> int:
        return sum(self.filtered.values()) + sum(self.invalid.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [{"name": n, "format": f} for n, f in self.files],
            "read": self.read,
            "imported": self.imported,
            "already_present": self.already_present,
            "skipped": self.skipped,
            "filtered": dict(sorted(self.filtered.items())),
            "invalid": dict(sorted(self.invalid.items())),
            "replayed": self.replayed,
            "restamped": self.restamped,
            "dry_run": self.dry_run,
            "head": None if self.head is None else {"seq": self.head.seq, "hash": self.head.hash},
            "notes": list(self.notes),
            "former_states": dict(sorted(self.former_states.items())),
        }


# -- format detection --------------------------------------------------------------------------


def detect(first_line: bytes, name: str) -> str:
    """The format of a source, from its first line.

    ``{`` -> jsonl (polecat for a PLOVER JSON record); tab-separated with ``Event ID`` and
    ``CAMEO Code`` columns (in any case, ``_`` for spaces) -> icews, with ``Event ID``,
    ``Event Type`` and ``Actor Country`` -> polecat;
    57, 58 or 61 tab-separated fields starting with a numeric id -> gdelt; comma-separated
    with a ``type`` column -> csv.
    """
    text = first_line.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
    if text.lstrip().startswith("{"):
        return "polecat" if _is_plover_json(text) else "jsonl"
    if "\t" in text:
        cols = text.split("\t")
        names = {c.strip().strip('"').casefold().replace("_", " ") for c in cols}
        if {"event id", "cameo code"} <= names:  # also readr-style event_id, cameo_code
            return "icews"
        if "Event ID" in cols and "Event Type" in cols and "Actor Country" in cols:
            return "polecat"
        if len(cols) in (57, 58, 61) and cols[0].isdigit():
            return "gdelt"
    if "," in text or text.strip() == "type":
        header = next(csv.reader([text]), [])
        if "type" in (c.strip() for c in header):
            return "csv"
    raise ImportFormatError(
        f"{name}: cannot tell the format from its first line ({text[:60]!r}); "
        "name its format: jsonl, csv, gdelt, icews or polecat",
        field="format",
        value=name,
    )


def _is_plover_json(text: str) -> bool:
    """A PLOVER JSON record (``event`` and ``actor`` lists), not the tracker's own JSON."""
    try:
        obj = limits.loads(text)
    except ValueError:
        return False
    return isinstance(obj, dict) and isinstance(obj.get("event"), list) and "actor" in obj


def reader_for(fmt: str) -> Reader:
    if fmt == "jsonl":
        from tracker.importers.jsonl import read as read_jsonl

        return read_jsonl
    if fmt == "csv":
        from tracker.importers.csvfile import read as read_csv

        return read_csv
    if fmt == "gdelt":
        from tracker.importers.gdelt import read as read_gdelt

        return read_gdelt
    if fmt == "icews":
        from tracker.importers.icews import read as read_icews

        return read_icews
    if fmt == "polecat":
        from tracker.importers.polecat import read as read_polecat

        return read_polecat
    raise ImportFormatError(
        f"format {fmt!r}: not one of auto, {', '.join(FORMATS)}", field="format", value=fmt
    )


# -- the skip report ---------------------------------------------------------------------------

REPORT_FIELDS = ("file", "line", "reason", "field", "value", "message")


class Report:
    """Every skipped invalid row, one record each: JSON Lines, or CSV if the name ends .csv.

    Written through :class:`tracker.outputs.AtomicOutput`: checked before the import starts
    (never the store or an input), built in a temporary file, and put in place by
    :meth:`publish` just before the import commits; :meth:`retract` takes it back when the
    import fails after all, so a report and a failed import are never both left behind.
    """

    def __init__(
        self, path: Path | None, *, store: Path | None = None, inputs: Sequence[Path] = ()
    ) -> None:
        from tracker.outputs import AtomicOutput

        self.path = path
        self._out = (
            AtomicOutput(path, field="report", store=store, inputs=inputs)
            if path is not None
            else None
        )
        self._file: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> Report:
        if self._out is not None and self.path is not None:
            self._out.open()
            self._file = self._out.stream
            if self.path.suffix.lower() == ".csv":
                self._csv = csv.writer(self._file)
                self._guarded(self._csv.writerow, REPORT_FIELDS)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._out is not None and not self._out.published:
            self._out.discard()

    def publish(self) -> None:
        if self._out is not None:
            self._out.publish()

    def retract(self) -> None:
        if self._out is not None:
            self._out.retract()

    def _guarded(self, write: Callable[[Any], Any], data: Any) -> None:
        # a failing report is an output error, never blamed on the input being read
        try:
            write(data)
        except OSError as exc:
            assert self._out is not None
            raise self._out.wrap(exc) from None

    def write(self, source: str, skip: Skip) -> None:
        if self._file is None or skip.error is None:
            return
        err = skip.error
        value = err.value
        if not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        record = (source, skip.line, skip.reason, err.field, value, err.message)
        if self._csv is not None:
            self._guarded(self._csv.writerow, ["" if v is None else v for v in record])
        else:
            self._guarded(
                self._file.write,
                json.dumps(dict(zip(REPORT_FIELDS, record, strict=True)), ensure_ascii=False)
                + "\n",
            )


# -- the pipeline ------------------------------------------------------------------------------


class _DryRun(Exception):
    """Raised at the end of a dry run to roll the transaction back."""


def check_inputs(paths: Sequence[str | Path], fmt: str = "auto") -> list[Path]:
    """The input files, checked before anything is opened: an unknown format or a missing
    file fails first."""
    if fmt != "auto":
        reader_for(fmt)
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            what = "not a regular file" if path.exists() else "no such file"
            raise InputError(f"{path}: {what}", field="file", value=str(path))
    return files


def import_into(
    store: Store,
    files: Sequence[Path],
    *,
    fmt: str = "auto",
    skip_invalid: bool = False,
    report: Report | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    clock: Callable[[], datetime] | None = None,
    on_format: Callable[[str], str | None] | None = None,
) -> ImportSummary:
    """Import ``files`` into ``store`` in one transaction; see the module docstring.

    ``on_format`` is called with the format of each source before its rows are read (inside
    the transaction); a note it returns goes into the summary (once).

    ``report`` receives the skipped rows (built with :class:`Report` before anything is
    opened, so that it is checked first); ``progress`` is called with the number of bytes (of
    the files on disk) read since its last call; ``clock`` supplies transaction time.
    """
    run = _Run(
        store,
        clock=clock,
        skip_invalid=skip_invalid,
        batch_size=batch_size,
        progress=progress,
    )
    run.report = report if report is not None else Report(None)
    run.on_format = on_format
    run.summary.dry_run = dry_run
    with run.report:
        try:
            with store.transaction():
                offset = 0
                for path in files:
                    run.file(path, fmt, offset)
                    offset += file_size(path)
                if dry_run:
                    run.summary.head = store.head()
                    raise _DryRun
                run.report.publish()  # complete before the commit; retracted if it fails
        except _DryRun:
            run.report.publish()
        except ImportAbortedError:
            run.report.publish()  # it names the row that stopped the import
            raise
        except BaseException:
            run.report.retract()
            raise
    if not dry_run:
        run.summary.head = store.head()
    return run.summary


def total_bytes(paths: Sequence[str | Path]) -> int:
    """The size on disk of the input files: the length of a progress bar."""
    return sum(file_size(Path(p)) for p in paths)


@cache
def _former_states() -> frozenset[str]:
    from events.parties import parties

    return frozenset(p.code for p in parties().values() if p.kind == "former")


class _Run:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] | None,
        skip_invalid: bool,
        batch_size: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.skip_invalid = skip_invalid
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.report = Report(None)
        self.summary = ImportSummary()
        self.on_format: Callable[[str], str | None] | None = None
        self.pending: list[Item] = []
        self.source = ""
        self.reported = 0
        # export records: "verbatim" (original seq/time/hash) or "new"; None before the first
        self.export_mode: str | None = None
        self.chain: tuple[int, str, str] = (0, "", "")  # last replayed seq, hash, recorded_at
        self.carried: CarriedHead | None = None  # the source's head line, if it has one
        self.made = RecordTree()  # what the records of a source with a head line make

    # -- per file / per source -------------------------------------------------------------

    def file(self, path: Path, fmt: str, offset: int) -> None:
        src: Source | None = None
        try:
            with closing(open_sources(path, offset)) as sources:
                for src in sources:
                    self.source_(src, fmt)
        except DAMAGE as exc:
            name = src.name if src is not None else str(path)
            line = src.line if src is not None else 0
            raise ImportAbortedError(
                f"damaged or truncated data after line {line} ({exc}); nothing was imported "
                "(the log is unchanged)",
                field="file",
                value=name,
                source=name,
            ) from None
        self._progress(offset + file_size(path))

    def source_(self, src: Source, fmt: str) -> None:
        self.source = src.name
        self.export_mode = None
        self.carried, self.made = None, RecordTree()
        chosen = detect(src.first, src.name) if fmt == "auto" and src.first else fmt
        if fmt == "auto" and not src.first:
            chosen = "empty"
        self.summary.files.append((src.name, chosen))
        if chosen == "empty":
            return
        if self.on_format is not None:
            note = self.on_format(chosen)
            if note is not None and note not in self.summary.notes:
                self.summary.notes.append(note)
        reader = reader_for(chosen)
        batch_size = self.batch_size
        pending = self.pending
        former = _former_states()
        for row in reader(src):
            if type(row) is HeadLine:
                self.carried = row.head
                continue
            self.summary.read += 1
            if type(row) is Item:
                for code in (row.prepared.actor, row.prepared.target):
                    if code in former:
                        self.summary.former_states[code] += 1
                if row.seq is not None:
                    self._export_record(row)
                    pending = self.pending
                    continue
                pending.append(row)
                if len(pending) >= batch_size:
                    self.flush()
                    pending = self.pending
                    self._progress(src.position())
            else:
                assert isinstance(row, Skip)
                self._skip(row)
                pending = self.pending
        self.flush()
        self._check_head(src.name)

    def _progress(self, position: int) -> None:
        if self.progress is not None and position > self.reported:
            self.progress(position - self.reported)
            self.reported = position

    # -- skipping and aborting -------------------------------------------------------------

    def _skip(self, skip: Skip) -> None:
        if skip.error is None:
            self.summary.filtered[skip.reason] += 1
            return
        whole = (
            self.export_mode == "verbatim" or self.carried is not None or "tree head" in skip.reason
        )
        if not self.skip_invalid or whole:
            self.report.write(self.source, skip)
            raise self._abort(skip.error, skip.line, replaying=whole)
        self.summary.invalid[skip.reason] += 1
        self.report.write(self.source, skip)

    def _abort(
        self, err: TrackerError, line: int | None, *, replaying: bool = False
    ) -> ImportAbortedError:
        hint = "; an export is replayed whole or not at all" if replaying else ""
        aborted = ImportAbortedError(
            f"{err.message}; nothing was imported (the log is unchanged){hint}",
            field=err.field,
            value=err.value,
            line=line,
            source=self.source,
        )
        aborted.skippable = not (self.skip_invalid or replaying)
        return aborted

    # -- the tracker's own export records ------------------------------------------------

    def _export_record(self, item: Item) -> None:
        """Replay an export record with its original position if it continues the log's chain,
        else append it as a new event (fresh seq and transaction time)."""
        assert item.seq is not None and item.recorded_at is not None and item.hash is not None
        if self.carried is not None and item.seq > self.carried.size:
            raise self._abort(
                TrackerError(
                    f"seq {item.seq}: beyond the export's tree head (line {self.carried.line}: "
                    f"size {self.carried.size}): a row was added after the export was written",
                    field="seq",
                    value=item.seq,
                ),
                item.line,
                replaying=True,
            )
        if self.export_mode is None:
            self.flush()
            head = self.store.head()
            if item.seq == head.seq + 1 and item.hash == chain_hash(
                head.hash, item.prepared.body, item.seq, item.recorded_at
            ):
                self.export_mode = "verbatim"
                self.chain = (head.seq, head.hash, head.recorded_at or "")
            elif head.seq == 0 and item.seq == 1:
                raise self._abort(
                    TrackerError(
                        f"hash {item.hash!r}: does not match the chain recomputed from the record "
                        "(the export was altered, or is damaged)",
                        field="hash",
                        value=item.hash,
                    ),
                    item.line,
                    replaying=True,
                )
            else:
                self.export_mode = "new"
        if self.export_mode == "new":
            if self.carried is not None:
                self._check_record(item)
            self.pending.append(Item(item.line, item.prepared))
            if len(self.pending) >= self.batch_size:
                self.flush()
            return
        seq, prev, stamp = self.chain
        if item.seq != seq + 1:
            raise self._abort(
                TrackerError(
                    f"seq {item.seq}: expected {seq + 1} (records must follow each other to be "
                    f"replayed: seq {seq + 1} is missing or out of place)",
                    field="seq",
                    value=item.seq,
                ),
                item.line,
                replaying=True,
            )
        if item.recorded_at < stamp:
            raise self._abort(
                TrackerError(
                    f"recorded_at {item.recorded_at!r}: earlier than the previous record's "
                    f"{stamp!r}",
                    field="recorded_at",
                    value=item.recorded_at,
                ),
                item.line,
                replaying=True,
            )
        expected = chain_hash(prev, item.prepared.body, item.seq, item.recorded_at)
        if item.hash != expected:
            raise self._abort(
                TrackerError(
                    f"hash {item.hash!r}: does not match the chain recomputed from the records "
                    f"(expected {expected!r}: the export was altered, or is damaged)",
                    field="hash",
                    value=item.hash,
                ),
                item.line,
                replaying=True,
            )
        self.chain = (item.seq, expected, item.recorded_at)
        if self.pending and (
            self.pending[0].recorded_at != item.recorded_at or len(self.pending) >= self.batch_size
        ):
            self.flush()
        self.pending.append(item)

    def _check_record(self, item: Item) -> None:
        """A record of an export with a head line, imported as a new event: it must follow the
        previous one (seq and chain), as in the file the head was written for."""
        assert item.seq is not None and item.recorded_at is not None
        made = self.made
        if item.seq != made.size + 1:
            why = f"seq {item.seq}: expected {made.size + 1} (a record is missing or out of place)"
            raise self._abort(
                TrackerError(why, field="seq", value=item.seq), item.line, replaying=True
            )
        if made.add(item.prepared.body, item.seq, item.recorded_at) != item.hash:
            raise self._abort(
                TrackerError(
                    f"hash {item.hash!r}: does not match the chain recomputed from the records "
                    "(the export was altered, or is damaged)",
                    field="hash",
                    value=item.hash,
                ),
                item.line,
                replaying=True,
            )

    def _check_head(self, name: str) -> None:
        """At the end of a source with a head line: replayed, the log's tree head must be the
        carried one; imported as new events, the file's records must make it."""
        carried = self.carried
        if carried is None:
            if self.export_mode is not None:
                self.summary.notes.append(
                    f"{name} carries no tree head (an export from an earlier version, or "
                    "`tracker log --json`): its records were checked by their hash chain only"
                )
            return
        if self.export_mode == "verbatim":
            actual, what = self._log_head(), "the imported log"
        else:
            actual, what = self.made.head(), "the tree of its records"
        why = difference(carried, actual, what)
        if why is not None:
            raise self._abort(
                TrackerError(why, field="tree_head", value=carried.root.hex()),
                carried.line,
                replaying=True,
            )
        self.summary.notes.append(
            f"{name}: the export's tree head (size {carried.size}, root {carried.root.hex()}) "
            f"matches {what}"
        )

    def _log_head(self) -> CarriedHead:
        from tracker import merkle

        head = self.store.head()

        def read(level: int, index: int) -> bytes:
            return self.store.tree_hashes([merkle.stored_index(level, index)])[0]

        return CarriedHead(head.seq, merkle.root(head.seq, read), head.hash)

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        stamp = batch[0].recorded_at
        recorded_at = parse_timestamp(stamp) if stamp is not None else None
        while batch:
            try:
                results = self.store.append(
                    [i.prepared for i in batch], recorded_at=recorded_at, clock=self.clock
                )
            except StoreError as exc:
                culprit = _culprit(self.store, batch, exc)
                if culprit is None or stamp is not None:
                    aborted = self._abort(
                        exc, culprit.line if culprit else None, replaying=stamp is not None
                    )
                    if culprit is None:  # the store's refusal (read-only, busy): no row to skip
                        aborted.skippable = False
                    raise aborted from None
                reason = (
                    "conflicting event_id"
                    if isinstance(exc, ConflictError)
                    else f"invalid {exc.field}"
                )
                self._skip(Skip(culprit.line, reason, exc))
                batch = [i for i in batch if i is not culprit]
                continue
            created = sum(1 for r in results if r.created)
            if stamp is not None:  # replayed: every record must land where it was
                for item, result in zip(batch, results, strict=True):
                    if not result.created or result.hash != item.hash:
                        raise self._abort(
                            TrackerError(
                                f"event_id {item.prepared.event_id!r}: already in the log at seq "
                                f"{result.seq}, so the export cannot be replayed at its original "
                                "positions",
                                field="event_id",
                                value=item.prepared.event_id,
                            ),
                            item.line,
                            replaying=True,
                        )
                self.summary.replayed += len(batch)
            elif self.export_mode == "new":
                self.summary.restamped += created
            self.summary.imported += created
            self.summary.already_present += len(results) - created
            return


def _culprit(store: Store, batch: list[Item], exc: StoreError) -> Item | None:
    """The row a store error is about: the first whose content differs from what the log
    (or, for an id new to the log, the batch's first row with that id) holds under its id;
    or the row with a bad reference."""
    if exc.field == "event_id":
        same = [i for i in batch if i.prepared.event_id == exc.value]
        if not same:
            return None
        stored = store.row_by_id(str(exc.value))
        reference = stored.body if stored is not None else same[0].prepared.body
        return next((i for i in same if i.prepared.body != reference), None)
    if exc.field == "refers_to":
        return next((i for i in batch if i.prepared.refers_to == exc.value), None)
    return None


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FORMATS",
    "ImportAbortedError",
    "ImportSummary",
    "Report",
    "check_inputs",
    "detect",
    "import_into",
    "reader_for",
    "total_bytes",
]
