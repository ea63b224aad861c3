"""What the three audits share: their error, progress reporting, and the canonical-body check.

The audits themselves are :mod:`tracker.verify` (prove the log intact),
:mod:`tracker.replay` (prove every number follows from it) and :mod:`tracker.export` (hand it
to a third party). Each reads the store through :func:`tracker.store.read_snapshot`: a
read-only connection inside one read transaction (a consistent snapshot even while other
processes append) that can never write to the user's file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.canonical import dumps
from events.errors import TrackerError
from tracker.store import read_snapshot

Progress = Callable[[int], None]
"""Called with the number of rows processed since the previous call."""

PROGRESS_EVERY = 4096


class AuditError(TrackerError):
    """An audit cannot be carried out (or an export refused): the message says why."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One thing wrong. ``seq`` is the log position concerned (None for file-level faults)."""

    kind: str
    """meta | schema | trigger | seq | hash | time | body | column | reference | against"""
    message: str
    seq: int | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "seq": self.seq, "line": self.line}

    def __str__(self) -> str:
        where = f"seq {self.seq}: " if self.seq is not None else ""
        if self.line is not None:
            where += f"line {self.line}: "
        return f"{self.kind}: {where}{self.message}"


class Ticker:
    """Calls ``progress`` every :data:`PROGRESS_EVERY` rows and once at the end."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.pending = 0

    def tick(self) -> None:
        self.pending += 1
        if self.progress is not None and self.pending >= PROGRESS_EVERY:
            self.progress(self.pending)
            self.pending = 0

    def ticks(self, n: int) -> None:
        """``n`` rows at once (what :meth:`tick` does ``n`` times, for a hot loop that counts
        them itself)."""
        self.pending += n
        if self.progress is not None and self.pending >= PROGRESS_EVERY:
            self.progress(self.pending)
            self.pending = 0

    def done(self) -> None:
        if self.progress is not None and self.pending:
            self.progress(self.pending)
            self.pending = 0


def count_events(path: str | Path) -> int:
    """The log's length (its head seq), read cheaply; 0 when it cannot be told."""
    try:
        with read_snapshot(path, checked=False) as store:
            return store.head().seq
    except (TrackerError, TypeError, ValueError):
        return 0


def canonical_body(body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(parsed object, None) for a canonical JSON object, else (parsed or None, why not)."""
    if not isinstance(body, str):
        return None, f"body is {type(body).__name__}, not text"
    try:
        obj = json.loads(body)
    except ValueError as exc:
        return None, f"body is not valid JSON ({exc})"
    if not isinstance(obj, dict):
        return None, f"body is a JSON {type(obj).__name__}, not an object"
    try:
        canonical = dumps(obj)
    except ValueError as exc:
        return obj, f"body cannot be written canonically ({exc})"
    if canonical != body:
        return obj, "body is not in canonical form (sorted keys, no spaces, UTF-8)"
    return obj, None
