"""Record-keeping rules checked inside the append transaction: a retraction or correction must
refer to an event that exists (earlier in the log or in the same batch) and is not retracted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from projections.facts import CORRECT, RECORD_TYPES, RETRACT
from tracker.errors import StoreError
from tracker.store import Row, RowFilter

if TYPE_CHECKING:
    from tracker.store import Store


class RecordError(StoreError):
    """A retraction or correction that refers to nothing valid."""


def reference_fault(
    kind: str,
    ref: str,
    actor: str,
    target: str,
    original: tuple[str, str, str] | None,
    retracted_at: int | None,
) -> str | None:
    """The rules, in one place: why a ``kind`` (retract or correct) record of ``actor`` ->
    ``target`` may not refer to ``ref``, given the original event's ``(type, actor,
    target)`` (None: no earlier event has that id) and the seq of an earlier retraction of
    it (None: not retracted); None if it may."""
    if original is None:
        return f"refers_to {ref!r}: no such event in the log"
    if original[0] in RECORD_TYPES:
        return f"refers_to {ref!r}: is itself a {original[0]}; refer to the original event"
    if original[1:] != (actor, target):
        return (
            f"refers_to {ref!r}: the event is {original[1]}->{original[2]}, not {actor}->{target}"
        )
    if retracted_at is not None:
        verb = "retract" if kind == RETRACT else "correct"
        return f"refers_to {ref!r}: already retracted at seq {retracted_at}; cannot {verb} it"
    return None


def check_references(store: Store, rows: Sequence[Row]) -> None:
    """Raise (rolling the append back) if a record-keeping row refers to nothing valid."""
    for row in rows:
        if row.type not in RECORD_TYPES:
            continue
        ref = row.refers_to or ""
        found = store.row_by_id(ref)
        original = found if found is not None and found.seq < row.seq else None
        retraction = next(
            store.rows(RowFilter(types=[RETRACT], refers_to=ref, max_seq=row.seq - 1, limit=1)),
            None,
        )
        why = reference_fault(
            row.type,
            ref,
            row.actor,
            row.target,
            (original.type, original.actor, original.target) if original else None,
            retraction.seq if retraction else None,
        )
        if why is not None:
            raise RecordError(why, field="refers_to", value=ref)
        if row.type == CORRECT and original is not None:
            _check_correction(store, row, original)


class ReferenceRules:
    """The same rules applied while streaming the log in order (``verify --deep``): what it
    has seen so far stands in for the store's lookups."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, str, str]] = {}  # event_id -> (type, actor, target)
        self.retracted: dict[str, int] = {}  # event_id -> seq of its retraction

    def check(
        self, seq: int, event_id: str, kind: str, actor: str, target: str, ref: str | None
    ) -> str | None:
        """Why the event at ``seq`` (the next in log order) breaks a rule (None if not)."""
        if event_id in self.seen:
            return f"event_id {event_id!r}: appears twice in the log"
        if kind in RECORD_TYPES:
            key = str(ref)
            why = reference_fault(
                kind, key, actor, target, self.seen.get(key), self.retracted.get(key)
            )
            if why is not None:
                return why
            if kind == RETRACT:
                self.retracted[key] = seq
        self.seen[event_id] = (kind, actor, target)
        return None


def _check_correction(store: Store, row: Row, original: Row) -> None:
    """The corrected event must still be a valid event of its type."""
    from events.models import CHECK, parse_event

    current = json.loads(original.body)
    earlier_corrections = RowFilter(
        types=[CORRECT], refers_to=original.event_id, max_seq=row.seq - 1
    )
    for earlier in store.rows(earlier_corrections):
        current.update(json.loads(earlier.body)["changes"])
    current.update(json.loads(row.body)["changes"])
    parse_event(current, parties_mode=CHECK)
