"""What the log stores of an event, and the mapping between the two in both directions.

An event (a pydantic model from :mod:`events.models`) becomes a :class:`Prepared` row (its
canonical body plus the indexed envelope columns) with :func:`prepare`; the store gives it a
position, a transaction time and a chain hash, and hands back :class:`Row`; :func:`decode`
turns a row back into a :class:`StoredEvent`. Every backend stores exactly these values, so
the chain (and an export) is the same whichever backend wrote it.

The chain: ``hash = sha256(previous hash || record)`` where the previous hash of seq 1 is
:data:`GENESIS_HASH` and the record is the canonical JSON ``{"event":BODY,"recorded_at":..,
"seq":N}`` (:func:`record_bytes`). Transaction times are UTC with microseconds, fixed width
(:data:`TIMESTAMP_FORMAT`), so text order is time order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from events.canonical import canonical_dict, dumps
from events.named import NamedTuple
from tracker.errors import StoreError

if TYPE_CHECKING:
    import re

    from events.models import EventBase

GENESIS_HASH = "0" * 64
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EXPORT_KEYS = frozenset({"event", "hash", "recorded_at", "seq"})
"""The keys of one export record (``tracker export``, ``log --json``)."""

KnownAt = int | datetime | None
"""Transaction time: a log position (seq) or a UTC moment; None = the log as it is now."""


class Prepared(NamedTuple):
    """An event reduced to what the log stores, before it has a position."""

    event_id: str
    type: str
    code: str
    actor: str
    target: str
    occurred_on: str
    confidence: float
    weight: float | None
    refers_to: str | None
    body: str


class Row(NamedTuple):
    """A stored event as the log holds it (no model construction: cheap for bulk reads)."""

    seq: int
    event_id: str
    type: str
    code: str
    actor: str
    target: str
    occurred_on: str
    confidence: float
    weight: float | None
    refers_to: str | None
    recorded_at: str
    body: str
    hash: str


ORDERS = ("seq", "occurred", "latest")
"""Row orders: log order, valid-time order (then seq), newest by valid time first."""


class RowFilter(NamedTuple):
    """Which rows of the log :meth:`Store.rows <tracker.store.protocol.Store.rows>` returns:
    every filter given must hold (the default value selects the whole log, in log order).

    ``dyad`` is either order of the two parties; dates are ISO text or :class:`date`;
    ``max_seq`` = the log as it stood at that position (transaction time); ``search``: words
    of the event's summary or source (:mod:`tracker.store.search` says exactly how they
    match); ``order``: one of :data:`ORDERS`."""

    actor: str | None = None
    target: str | None = None
    dyad: tuple[str, str] | None = None
    types: Sequence[str] = ()
    exclude_types: Sequence[str] = ()
    refers_to: str | None = None
    since: date | str | None = None
    until: date | str | None = None
    max_seq: int | None = None
    search: str | None = None
    limit: int | None = None
    order: str = "seq"


ALL_ROWS = RowFilter()


class Head(NamedTuple):
    seq: int
    hash: str
    recorded_at: str | None

    def to_dict(self) -> dict[str, Any]:
        """The log head as every command's JSON names it: ``{"seq", "hash"}``."""
        return {"seq": self.seq, "hash": self.hash}


EMPTY_HEAD = Head(0, GENESIS_HASH, None)


class AppendResult(NamedTuple):
    seq: int
    event_id: str
    hash: str
    created: bool

    def to_dict(self) -> dict[str, Any]:
        """What ``append``, ``retract`` and ``correct`` print with ``--json``."""
        return self._asdict()


class StoredEvent(NamedTuple):
    """An event with its place in the log."""

    seq: int
    recorded_at: str
    hash: str
    event: EventBase

    def to_record(self) -> dict[str, Any]:
        """The export / ``log --jsonl`` form: canonical event plus seq, recorded_at and hash."""
        from events.canonical import canonical_dict

        return {
            "event": canonical_dict(self.event),
            "hash": self.hash,
            "recorded_at": self.recorded_at,
            "seq": self.seq,
        }

    def to_dict(self) -> dict[str, Any]:
        """The same record (one source for the API and ``log --json``)."""
        return self.to_record()


EVENT_ROW = (
    "seq",
    "recorded_at",
    "occurred_on",
    "type",
    "actor",
    "target",
    "event_id",
    "confidence",
    "weight",
    "refers_to",
    "summary",
    "source",
    "hash",
)
"""The flat form of a log record (``log --csv``, :meth:`tracker.api.Tracker.events_frame`):
the event's envelope beside its seq, recorded_at and hash."""


def event_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A log record (:meth:`StoredEvent.to_record`) made flat: its event's fields beside seq,
    recorded_at and hash."""
    return {**record["event"], **{k: record[k] for k in ("seq", "recorded_at", "hash")}}


# -- event -> row -> event -----------------------------------------------------------------------


def prepare(event: EventBase) -> Prepared:
    """What the log stores of an event (its canonical body plus the indexed columns)."""
    body = canonical_dict(event)
    return tuple.__new__(  # (built directly: the named tuple's generated __new__ is Python)
        Prepared,
        (
            event.event_id,
            event.type,
            event.code,
            event.actor,
            event.target,
            # the body's date is pydantic's ISO form of the same date: ``isoformat()``
            body["occurred_on"],
            event.confidence,
            event.weight,
            # (read through __dict__: pydantic's __getattr__ for a missing field is slow)
            event.__dict__.get("refers_to"),
            dumps(body),
        ),
    )


def to_event(item: EventBase | Mapping[str, Any]) -> EventBase:
    """A model as given, or the one a plain mapping validates into."""
    from events.models import EventBase, parse_event

    if isinstance(item, EventBase):
        return item
    return parse_event(dict(item))


def decode(row: Row) -> StoredEvent:
    """The stored event a row holds (its body validated back into a model)."""
    from events.canonical import decode as decode_body

    return StoredEvent(row.seq, row.recorded_at, row.hash, decode_body(row.body))


# -- transaction time and the chain ------------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    """Transaction times are UTC with microseconds, fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise StoreError(
            f"recorded_at {moment.isoformat()!r}: must be timezone-aware",
            field="recorded_at",
            value=moment.isoformat(),
        )
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def check_known_at(known_at: int | datetime, head: Head, now: datetime) -> str | None:
    """Refuse a transaction time the log cannot answer for, naming the head: a position
    beyond it, a moment on a day after ``now``'s (a date means the end of that day) or one
    outside the range of timestamps. Returns the moment as a stored stamp (None for a seq).
    Every backend's ``known_seq`` calls this, so they refuse the same things alike."""
    where = f"the log head is seq {head.seq}" + (
        f", recorded at {head.recorded_at}" if head.recorded_at else ""
    )
    if isinstance(known_at, int):
        if known_at < 0:
            raise StoreError(
                f"known_at {known_at}: a log position is >= 0", field="known_at", value=known_at
            )
        if known_at > head.seq:
            raise StoreError(
                f"known_at {known_at}: beyond the end of the log ({where})",
                field="known_at",
                value=known_at,
            )
        return None
    try:
        stamp = format_timestamp(known_at)
    except (OverflowError, ValueError):
        raise StoreError(
            f"known_at {known_at.isoformat()!r}: outside the range of UTC timestamps",
            field="known_at",
            value=known_at.isoformat(),
        ) from None
    if stamp[:10] > format_timestamp(now)[:10]:
        raise StoreError(
            f"known_at {stamp!r}: in the future (the log cannot know it yet; {where})",
            field="known_at",
            value=stamp,
        )
    return stamp


@cache
def timestamp_pattern() -> re.Pattern[str]:
    """The text form of :data:`TIMESTAMP_FORMAT`, for checking stored or imported stamps
    (compiled on first use, not at import: a query checks none)."""
    import re

    return re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def parse_timestamp(stamp: str) -> datetime:
    """The moment a stored stamp stands for (raises ``ValueError`` if it is not one)."""
    return datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def is_timestamp(stamp: object) -> bool:
    """Whether ``stamp`` is a well-formed stored transaction time (a real moment)."""
    if not isinstance(stamp, str) or not timestamp_pattern().fullmatch(stamp):
        return False
    try:
        parse_timestamp(stamp)
    except ValueError:
        return False
    return True


def record_bytes(body: str, seq: int, recorded_at: str) -> bytes:
    """Canonical JSON of ``{"event": body, "recorded_at": .., "seq": ..}`` (keys sorted)."""
    return f'{{"event":{body},"recorded_at":"{recorded_at}","seq":{seq}}}'.encode()


_sha256: Any = None


def chain_hash(previous: str, body: str, seq: int, recorded_at: str) -> str:
    global _sha256
    if _sha256 is None:  # imported on first use, not at the top: queries never hash
        from hashlib import sha256

        _sha256 = sha256
    return _sha256(previous.encode("ascii") + record_bytes(body, seq, recorded_at)).hexdigest()  # type: ignore[no-any-return]
