"""``verify --against``: an exported log read alongside the store, record by record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from events.canonical import dumps
from tracker import limits
from tracker.audit import AuditError, Fault
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
            self.records += 1
            try:
                rec = limits.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                return self.line, "not UTF-8 text"
            except ValueError as exc:
                return self.line, f"not valid JSON ({exc})"
            if not isinstance(rec, dict) or set(rec) != EXPORT_KEYS:
                keys = sorted(rec) if isinstance(rec, dict) else type(rec).__name__
                return self.line, (
                    f"not an export record (keys {keys}; expected {sorted(EXPORT_KEYS)})"
                )
            return self.line, rec
        return None

    def compare(self, seq: int, recorded_at: Any, body: Any, stored_hash: Any) -> Fault | None:
        item = self.next()
        if item is None:
            return Fault(
                "against-end",
                f"the store has this event and more after the end "
                f"of {self.path.name} ({self.records} records)",
                seq=seq,
            )
        line, rec = item
        if isinstance(rec, str):
            return Fault("against", rec, seq=seq, line=line)
        if rec["seq"] != seq:
            return Fault(
                "against",
                f"file has seq {rec['seq']!r} where the store has {seq}",
                seq=seq,
                line=line,
            )
        if not isinstance(rec["event"], dict):
            return Fault("against", "event is not a JSON object", seq=seq, line=line)
        try:
            file_body = dumps(rec["event"])
        except ValueError as exc:
            return Fault(
                "against", f"event cannot be written canonically ({exc})", seq=seq, line=line
            )
        if file_body != body:
            return Fault("against", _body_difference(body, rec["event"]), seq=seq, line=line)
        if rec["recorded_at"] != recorded_at:
            return Fault(
                "against",
                f"recorded_at: store {recorded_at!r}, file {rec['recorded_at']!r}",
                seq=seq,
                line=line,
            )
        if rec["hash"] != stored_hash:
            return Fault(
                "against", f"hash: store {stored_hash!r}, file {rec['hash']!r}", seq=seq, line=line
            )
        return None

    def trailing(self, head_seq: int) -> Fault | None:
        item = self.next()
        if item is None:
            return None
        line, rec = item
        seq = rec.get("seq") if isinstance(rec, dict) else None
        return Fault(
            "against",
            f"the file goes on after the store's last event (seq "
            f"{head_seq}): record seq {seq!r} is not in the store",
            seq=seq if isinstance(seq, int) else None,
            line=line,
        )


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
