"""Record-keeping rules checked inside the append transaction: a retraction or correction must
refer to an event that exists (earlier in the log or in the same batch) and is not retracted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from projections.facts import CORRECT, RECORD_TYPES, RETRACT
from tracker.errors import StoreError
from tracker.store import Row


class RecordError(StoreError):
    """A retraction or correction that refers to nothing valid."""


def check_references(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Raise (rolling the append back) if a record-keeping row refers to nothing valid."""
    for row in rows:
        if row.type not in RECORD_TYPES:
            continue
        ref = row.refers_to or ""
        original = conn.execute(
            "SELECT seq, type, actor, target FROM events WHERE event_id = ? AND seq < ?",
            (ref, row.seq),
        ).fetchone()
        if original is None:
            raise RecordError(
                f"refers_to {ref!r}: no such event in the log", field="refers_to", value=ref
            )
        if original[1] in RECORD_TYPES:
            raise RecordError(
                f"refers_to {ref!r}: is itself a {original[1]}; refer to the original event",
                field="refers_to",
                value=ref,
            )
        if (original[2], original[3]) != (row.actor, row.target):
            raise RecordError(
                f"refers_to {ref!r}: the event is {original[2]}->{original[3]}, "
                f"not {row.actor}->{row.target}",
                field="refers_to",
                value=ref,
            )
        retracted = conn.execute(
            "SELECT seq FROM events WHERE type = ? AND refers_to = ? AND seq < ?",
            (RETRACT, ref, row.seq),
        ).fetchone()
        if retracted is not None:
            verb = "retract" if row.type == RETRACT else "correct"
            raise RecordError(
                f"refers_to {ref!r}: already retracted at seq {retracted[0]}; cannot {verb} it",
                field="refers_to",
                value=ref,
            )
        if row.type == CORRECT:
            _check_correction(conn, row, ref)


def _check_correction(conn: sqlite3.Connection, row: Row, ref: str) -> None:
    """The corrected event must still be a valid event of its type."""
    from events.models import CHECK, parse_event

    current = json.loads(
        conn.execute("SELECT body FROM events WHERE event_id = ?", (ref,)).fetchone()[0]
    )
    for (body,) in conn.execute(
        "SELECT body FROM events WHERE type = ? AND refers_to = ? AND seq < ? ORDER BY seq",
        (CORRECT, ref, row.seq),
    ):
        current.update(json.loads(body)["changes"])
    current.update(json.loads(row.body)["changes"])
    parse_event(current, parties_mode=CHECK)
