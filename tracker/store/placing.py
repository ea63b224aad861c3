"""Placing a batch in the log: the backend-independent half of an append.

Every backend appends the same way once it holds its write lock: drop repeats within the
batch (a different body under a repeated id is a conflict), look up which ids are stored
already (same body: a no-op reporting its position; another body: a conflict, nothing
written), read the transaction time, then number and chain the new events after the head.
Only the lookup and the insert speak SQL, so they stay in the backend; the rest is here, once,
so that both backends give the same positions, times and hashes for the same calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tracker.errors import ConflictError, StoreError
from tracker.store.rows import AppendResult, Head, Prepared, Row, chain_hash, format_timestamp

Existing = Mapping[str, tuple[int, str]]
"""The ids of a batch already in the log, each with its seq and stored body."""


def firsts_of(batch: Sequence[Prepared]) -> dict[str, Prepared]:
    """The first event of each id in the batch, in batch order; a repeat with another body is
    a :class:`ConflictError`."""
    firsts: dict[str, Prepared] = {}
    for p in batch:
        seen = firsts.setdefault(p.event_id, p)
        if seen is not p and seen.body != p.body:
            raise ConflictError(
                f"event_id {p.event_id!r}: appears twice in the batch with different content",
                field="event_id",
                value=p.event_id,
            )
    return firsts


def place(
    firsts: dict[str, Prepared],
    existing: Existing,
    head: Head,
    recorded_at: datetime | None,
    clock: Callable[[], datetime] | None,
    hash_at: Callable[[int], str],
) -> tuple[list[Row], dict[str, AppendResult]]:
    """Positions and chain hashes for the new events of a batch; ``hash_at`` reads the stored
    hash of an existing event's position (reported back for the no-ops)."""
    for event_id, (seq, body) in existing.items():
        if body != firsts[event_id].body:
            raise ConflictError(
                f"event_id {event_id!r}: already in the log at seq {seq} with different "
                "content (ids are idempotency keys: use a new id, or a correction)",
                field="event_id",
                value=event_id,
            )
    # an all-duplicate batch writes nothing, so its recorded_at is not checked
    fresh = any(eid not in existing for eid in firsts)
    stamp = transaction_time(head, recorded_at, clock) if fresh else ""
    seq, prev = head.seq, head.hash
    rows: list[Row] = []
    placed: dict[str, AppendResult] = {
        eid: AppendResult(s, eid, hash_at(s), False) for eid, (s, _b) in existing.items()
    }
    new = tuple.__new__  # the named tuples built directly: their generated __new__ is Python
    for p in firsts.values():
        if p.event_id in placed:
            continue
        seq += 1
        prev = chain_hash(prev, p.body, seq, stamp)
        rows.append(new(Row, (seq, *p[:9], stamp, p.body, prev)))
        placed[p.event_id] = new(AppendResult, (seq, p.event_id, prev, True))
    return rows, placed


def results(
    batch: Sequence[Prepared], firsts: dict[str, Prepared], placed: dict[str, AppendResult]
) -> list[AppendResult]:
    """One result per input event, in input order (a repeat within the batch is a no-op)."""
    return [
        placed[p.event_id]
        if firsts[p.event_id] is p
        else AppendResult(placed[p.event_id].seq, p.event_id, placed[p.event_id].hash, False)
        for p in batch
    ]


def transaction_time(
    head: Head, recorded_at: datetime | None, clock: Callable[[], datetime] | None
) -> str:
    """The batch's ``recorded_at``: the one given (never before the head's), else the clock's,
    read under the write lock and never before the head's (another machine's clock may lag)."""
    if recorded_at is not None:
        stamp = format_timestamp(recorded_at)
        if head.recorded_at and stamp < head.recorded_at:
            raise StoreError(
                f"recorded_at {stamp!r}: earlier than the log head's {head.recorded_at!r} "
                "(transaction time never goes backwards)",
                field="recorded_at",
                value=stamp,
            )
        return stamp
    stamp = format_timestamp((clock or _utcnow)())
    return max(stamp, head.recorded_at or stamp)


def insert_params(r: Row) -> tuple[Any, ...]:
    """A row's values in :data:`tracker.store.sql.EVENT_COLUMNS` order (the dyad added)."""
    a, b = (r.actor, r.target) if r.actor < r.target else (r.target, r.actor)
    return (*r[:6], a, b, *r[6:])


def _utcnow() -> datetime:
    return datetime.now(UTC)
