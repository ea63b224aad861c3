"""The Python facade: the one object the CLI (and any script) talks to.

>>> from tracker import Tracker
>>> with Tracker("relations.db") as t:
...     t.append({"type": "praise", "actor": "PRK", "target": "RUS",
...               "occurred_on": "2024-03-18"})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from events.models import EventBase
from tracker.store import AppendResult, Head, Prepared, Row, Store


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event with its place in the log."""

    seq: int
    recorded_at: str
    hash: str
    event: EventBase

    def to_record(self) -> dict[str, Any]:
        """The export / ``log --json`` form: canonical event plus seq, recorded_at and hash."""
        from events.canonical import canonical_dict

        return {"event": canonical_dict(self.event), "hash": self.hash,
                "recorded_at": self.recorded_at, "seq": self.seq}


def prepare(event: EventBase) -> Prepared:
    """What the log stores of an event (its canonical body plus the indexed columns)."""
    from events.canonical import canonical_text

    return Prepared(
        event_id=event.event_id, type=event.type, code=event.code, actor=event.actor,
        target=event.target, occurred_on=event.occurred_on.isoformat(),
        confidence=event.confidence, weight=event.weight,
        refers_to=getattr(event, "refers_to", None), body=canonical_text(event))


def to_event(item: EventBase | Mapping[str, Any]) -> EventBase:
    if isinstance(item, EventBase):
        return item
    from events.models import parse_event

    return parse_event(dict(item))


class Tracker:
    """A relations-tracker store on disk.

    ``clock`` supplies transaction time (UTC, timezone-aware); tests pass a fixed one.
    ``create=False`` makes opening a missing file an error instead of creating a store.
    """

    def __init__(self, path: str | Path = "tracker.db", *,
                 clock: Callable[[], datetime] | None = None, create: bool = True) -> None:
        self.path = Path(path)
        self.clock = clock
        self._create = create
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.path, create=self._create)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appending -------------------------------------------------------------------------

    def append(self, event: EventBase | Mapping[str, Any], *,
               recorded_at: datetime | None = None) -> AppendResult:
        """Append one event (a model or a plain mapping that validates into one)."""
        return self.append_many([event], recorded_at=recorded_at)[0]

    def append_many(self, events: Iterable[EventBase | Mapping[str, Any]], *,
                    recorded_at: datetime | None = None) -> list[AppendResult]:
        """Append a batch atomically: every event is validated before anything is written."""
        prepared = [prepare(to_event(e)) for e in events]
        if not prepared:
            return []
        return self.store.append(prepared, recorded_at=recorded_at, clock=self.clock)

    # -- reading ---------------------------------------------------------------------------

    def head(self) -> Head:
        """Position and hash of the last event (seq 0 and 64 zeros for an empty log)."""
        return self.store.head()

    def rows(self, **filters: Any) -> Iterator[Row]:
        """Raw stored rows (no model construction); filters as for :meth:`events`."""
        return self.store.rows(**filters)

    def events(
        self,
        *,
        actor: str | None = None,
        target: str | None = None,
        dyad: tuple[str, str] | None = None,
        types: Sequence[str] = (),
        since: date | None = None,
        until: date | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEvent]:
        """Stored events matching every filter given, in log order."""
        from events.canonical import decode

        for row in self.store.rows(actor=actor, target=target, dyad=dyad, types=types,
                                   since=since, until=until, limit=limit):
            yield StoredEvent(row.seq, row.recorded_at, row.hash, decode(row.body))
