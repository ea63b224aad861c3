"""``verify --against``: an exported log read alongside the store, record by record.

The first position where the two part is named with what differs: a changed record, a record
missing from the file or one it has extra, the store's tail missing from the file, or rows in
the file after the store's last event. A file with a head line (:mod:`tracker.export_head`)
must also make the tree head it carries; that tells a truncated file from an export taken
earlier, and rows added to the file from a store that lost its tail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from events.canonical import dumps
from events.errors import TrackerError
from tracker import limits
from tracker.audit import AuditError, Fault
from tracker.export_head import CarriedHead, RecordTree, difference, is_head, parse_head
from tracker.importers.inputs import is_empty_line, skip_empty_lines
from tracker.limits import MAX_LINE_BYTES
from tracker.store.rows import EXPORT_KEYS


class Against:
    """An exported log read alongside the store, one record per stored event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.file: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise AuditError(
                f"against {str(path)!r}: cannot read ({exc})", field="against", value=str(path)
            ) from None
        self.line = 0
        self.records = 0
        self.stopped = False
        self.head: CarriedHead | None = None
        self.made = RecordTree()  # the tree of the records that matched the store's

    def close(self) -> None:
        self.file.close()

    def next(self) -> tuple[int, dict[str, Any] | str] | None:
        """(line number, record or why the line is bad), or None at the end of the file."""
        if self.stopped:
            return None
        limit = MAX_LINE_BYTES + 1
        while raw := self.file.readline(limit):
            self.line += 1
            if len(raw) == limit and not raw.endswith(b"\n"):
                self.stopped = True  # (the rest of that line is not read: /dev/zero never ends)
                return self.line, f"longer than {MAX_LINE_BYTES:,} bytes, the limit for a record"
            if not raw.strip():
                if is_empty_line(raw, limit):  # a flood of them is skipped a buffer at a time
                    self.line += skip_empty_lines(self.file)
                continue
            try:
                rec = limits.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                self.records += 1
                return self.line, "not UTF-8 text"
            except ValueError as exc:
                self.records += 1
                return self.line, f"not valid JSON ({exc})"
            if is_head(rec):
                if self.records or self.head is not None:
                    return self.line, "a tree head line after the first line (two exports joined?)"
                try:
                    self.head = parse_head(rec, self.line)
                except TrackerError as exc:
                    return self.line, exc.message
                continue
            self.records += 1
            if not isinstance(rec, dict) or set(rec) != EXPORT_KEYS:
                keys = sorted(rec) if isinstance(rec, dict) else type(rec).__name__
                return self.line, (
                    f"not an export record (keys {keys}; expected {sorted(EXPORT_KEYS)})"
                )
            return self.line, rec
        return None

    def compare(self, seq: int, recorded_at: Any, body: Any, stored_hash: Any) -> Fault | None:
        fault = self._compare(seq, recorded_at, body, stored_hash)
        if fault is None and self.head is not None:
            self.made.add(body, seq, recorded_at)
        return fault

    def _compare(self, seq: int, recorded_at: Any, body: Any, stored_hash: Any) -> Fault | None:
        item = self.next()
        if item is None:
            head = self.head
            if head is not None and head.size >= seq:
                why = (
                    f"missing tail: {self.path.name} ends after {self.records} records, though "
                    f"its tree head (line {head.line}) is of size {head.size}: the file was "
                    f"truncated; the store has this event and more after the end"
                )
            else:
                why = (
                    f"missing tail: the store has this event and more after the end of "
                    f"{self.path.name} ({self.records} records)"
                )
            return Fault("against-end", why, seq=seq)
        line, rec = item
        if isinstance(rec, str):
            return Fault("against", rec, seq=seq, line=line)
        got = rec["seq"]
        if got != seq:
            if isinstance(got, int) and not isinstance(got, bool) and got > seq:
                gap = f"seq {seq}" if got == seq + 1 else f"seq {seq} to {got - 1}"
                why = f"missing record: the file lacks {gap} (it has seq {got} where the store "
                why += f"has {seq})"
            elif isinstance(got, int) and not isinstance(got, bool) and got < seq:
                why = (
                    f"extra record: the file has seq {got} again where the store has {seq} (a "
                    "record repeated, or out of order)"
                )
            else:
                why = f"changed record: the file has seq {got!r} where the store has {seq}"
            return Fault("against", why, seq=seq, line=line)
        if not isinstance(rec["event"], dict):
            return Fault("against", "event is not a JSON object", seq=seq, line=line)
        try:
            file_body = dumps(rec["event"])
        except ValueError as exc:
            return Fault(
                "against", f"event cannot be written canonically ({exc})", seq=seq, line=line
            )
        if file_body != body:
            why = _body_difference(body, rec["event"])
            return Fault("against", f"changed record: {why}", seq=seq, line=line)
        if rec["recorded_at"] != recorded_at:
            return Fault(
                "against",
                f"changed record: recorded_at: store {recorded_at!r}, file {rec['recorded_at']!r}",
                seq=seq,
                line=line,
            )
        if rec["hash"] != stored_hash:
            return Fault(
                "against",
                f"changed record: hash: store {stored_hash!r}, file {rec['hash']!r}",
                seq=seq,
                line=line,
            )
        return None

    def head_fault(self) -> Fault | None:
        """With every record compared equal: a head line that is not what the records make."""
        head = self.head
        if head is None:
            return None
        made = self.made.head()
        why = difference(head, made, "the tree of its records")
        if why is None:
            return None
        seq = min(head.size, made.size) + 1 if head.size != made.size else None
        return Fault("against", f"tree head: {why}", seq=seq, line=head.line)

    def head_note(self) -> str | None:
        if self.head is None:
            return None
        return (
            f"{self.path.name}: its tree head (line {self.head.line}: size {self.head.size}, "
            f"root {self.head.root.hex()}) is the tree of its records"
        )

    def trailing(self, head_seq: int) -> Fault | None:
        """After the store's last event: rows the file has beyond it, else the head check."""
        item = self.next()
        if item is None:
            return self.head_fault()
        line, rec = item
        seq = rec.get("seq") if isinstance(rec, dict) else None
        extra = 1
        while self.next() is not None:
            extra += 1
        why = (
            f"extra rows: the file goes on after the store's last event (seq {head_seq}): "
            f"{extra} record{'s' * (extra != 1)} from line {line} (seq {seq!r}) not in the store"
        )
        head = self.head
        if head is not None and head.size > head_seq:
            why += (
                f"; the file's tree head (line {head.line}, size {head.size}) covers them: the "
                "store lacks the file's tail (it was truncated, or the export is of a later log)"
            )
        elif head is not None:
            why += (
                f"; they are beyond the file's own tree head (line {head.line}, size "
                f"{head.size}): added to the file after it was exported"
            )
        return Fault("against", why, seq=seq if isinstance(seq, int) else head_seq + 1, line=line)


def _body_difference(stored: Any, event: dict[str, Any]) -> str:
    try:
        mine = json.loads(stored)
    except (TypeError, ValueError):
        return "event differs (the stored body is not valid JSON)"
    if not isinstance(mine, dict):
        return "event differs (the stored body is not a JSON object)"
    for key in sorted(set(mine) | set(event)):
        if mine.get(key, "<absent>") != event.get(key, "<absent>"):
            return (
                f"event.{key}: store {mine.get(key, '<absent>')!r}, file "
                f"{event.get(key, '<absent>')!r}"
            )
    return "event differs in representation (e.g. 1 vs 1.0)"
