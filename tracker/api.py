"""The Python facade: the one object the CLI (and any script) talks to.

>>> from tracker import Tracker
>>> with Tracker("relations.db") as t:
...     t.append({"type": "praise", "actor": "PRK", "target": "RUS",
...               "occurred_on": "2024-03-18"})

This module is over 400 lines because it is the one facade: every method is a short call into
the library, and splitting them would scatter the API a script sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from events.errors import TrackerError
from events.parties import resolve
from tracker.queries import check_date
from tracker.store import (
    AppendResult,
    Head,
    KnownAt,
    Row,
    StoredEvent,
    decode,
    exists,
    is_url,
    location,
    open_store,
    prepare,
    spelled,
    store_name,
)
from tracker.store.rows import RowFilter, to_event

if TYPE_CHECKING:
    from pathlib import Path

    from events.models import EventBase
    from projections.model import ScoringModel
    from projections.score import Score
    from tracker.checkpoints import Projector
    from tracker.explanation import Explanation
    from tracker.importers import ImportSummary
    from tracker.lineage import Lineage
    from tracker.progress import Reporter
    from tracker.queries import DyadState, Queries, Ranking, Timeline
    from tracker.store import Store

__all__ = ["KnownAt", "StoredEvent", "Tracker"]

_R = TypeVar("_R")


def _check_references(store: Store, rows: Sequence[Row]) -> None:
    """:func:`tracker.records.check_references`, the append hook of every store the facade
    opens, imported at the first append: a query opens its store but never appends."""
    from tracker.records import check_references

    check_references(store, rows)


class Tracker:
    """A relations-tracker store on disk.

    ``clock`` supplies transaction time (UTC, timezone-aware); tests pass a fixed one.
    ``create=False`` makes opening a missing file an error instead of creating a store.
    """

    def __init__(
        self,
        path: str | Path = "tracker.db",
        *,
        clock: Callable[[], datetime] | None = None,
        create: bool = True,
        model: ScoringModel | None = None,
    ) -> None:
        self._where = spelled(path)
        self.clock = clock
        self._create = create
        self._model = model
        self._store: Store | None = None
        self._projector: Projector | None = None
        self._query_cache: Queries | None = None

    @property
    def path(self) -> Path | str:
        """The store: an SQLite file's :class:`~pathlib.Path`, or a ``postgresql://`` URL
        (:func:`tracker.store.location`). Kept as text and made on use: a query opens its
        store by name without importing pathlib (issue 16's start-up target)."""
        return location(self._where)

    @property
    def name(self) -> str:
        """What reports call the store: the file's name, or its URL (password masked)."""
        path = self.path
        return store_name(path) if isinstance(path, str) else path.name

    @property
    def store(self) -> Store:
        """The open store, with the append hooks that keep checkpoints current."""
        if self._store is None:
            from tracker.checkpoints import Projector

            store = open_store(self._where, create=self._create)
            try:
                self._projector = Projector(store)
            except BaseException:
                store.close()
                raise
            store.listeners[:0] = [_check_references, self._projector]
            self._store = store
        return self._store

    @property
    def projector(self) -> Projector:
        _ = self.store
        assert self._projector is not None
        return self._projector

    @property
    def model(self) -> ScoringModel:
        """The scoring model queries use: the one given, else the store's."""
        return self._model or self.projector.model

    def today(self) -> date:
        return (self.clock() if self.clock else datetime.now(UTC)).date()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appending -------------------------------------------------------------------------

    def append(
        self, event: EventBase | Mapping[str, Any], *, recorded_at: datetime | None = None
    ) -> AppendResult:
        """Append one event (a model or a plain mapping that validates into one)."""
        return self.append_many([event], recorded_at=recorded_at)[0]

    def append_many(
        self,
        events: Iterable[EventBase | Mapping[str, Any]],
        *,
        recorded_at: datetime | None = None,
    ) -> list[AppendResult]:
        """Append a batch atomically: every event is validated before anything is written."""
        prepared = [prepare(to_event(e)) for e in events]
        if not prepared:
            return []
        return self.store.append(prepared, recorded_at=recorded_at, clock=self.clock)

    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        fmt: str = "auto",
        skip_invalid: bool = False,
        report: str | Path | None = None,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        batch_size: int | None = None,
    ) -> ImportSummary:
        """Bulk-import event files (JSON Lines, CSV, GDELT, ICEWS; .gz and .zip read directly)
        in one all-or-nothing transaction; see :mod:`tracker.importers`. ``progress`` is told
        the bytes read; when it is a :class:`tracker.progress.Reporter` it is also told of the
        checkpoint update that follows, as a stage of its own."""
        from pathlib import Path

        from tracker.importers import DEFAULT_BATCH_SIZE, Report, check_inputs, import_into

        files = check_inputs(paths, fmt)
        # the report is checked before anything is opened: never the store or an input
        checked = Report(
            Path(report) if report is not None else None,
            store=None if is_url(self._where) else Path(self._where),
            inputs=files,
        )
        options: dict[str, Any] = {
            "fmt": fmt,
            "skip_invalid": skip_invalid,
            "report": checked,
            "dry_run": dry_run,
            "progress": progress,
            "batch_size": batch_size or DEFAULT_BATCH_SIZE,
            "clock": self.clock,
        }
        if dry_run and not exists(self.path):
            # a dry run creates nothing: it runs against a scratch store
            import tempfile

            with (
                tempfile.TemporaryDirectory() as scratch,
                Tracker(Path(scratch) / "dry-run.db", clock=self.clock) as stand_in,
            ):
                return import_into(
                    stand_in.store, files, on_format=stand_in._aggregation_note, **options
                )
        new_store = not exists(self.path)
        if hasattr(progress, "stage"):
            self.projector.reporter = cast("Reporter", progress)
        try:
            return import_into(self.store, files, on_format=self._aggregation_note, **options)
        except BaseException:
            if new_store and not dry_run:
                self._discard_if_empty()
            raise

    def _aggregation_note(self, fmt: str) -> str | None:
        from tracker.aggregation import mode_for_source

        return mode_for_source(self.store, self.projector, fmt)

    def _discard_if_empty(self) -> None:
        """An import that failed into a store it created leaves no file behind (if the store is
        still empty: nobody else has written to it meanwhile)."""
        try:
            if self.store.count() != 0:
                return
        except TrackerError:
            return
        self.close()
        path = self.path
        if not isinstance(path, str):  # (a PostgreSQL schema is left: DDL is the owner's)
            for suffix in ("", "-wal", "-shm", "-journal"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------

    def head(self) -> Head:
        """Position and hash of the last event (seq 0 and 64 zeros for an empty log)."""
        return self.store.head()

    def rows(self, **filters: Any) -> Iterator[Row]:
        """Raw stored rows (no model construction); filters as for :meth:`events`."""
        return self.store.rows(RowFilter(**filters))

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
        known_at: KnownAt = None,
        search: str | None = None,
    ) -> Iterator[StoredEvent]:
        """Stored events matching every filter given, in log order; with ``known_at`` only
        those recorded by then (seq <= the position it stands for); ``search``: words of the
        summary or source (:mod:`tracker.store.search`)."""
        for row in self.store.rows(
            RowFilter(
                actor=actor,
                target=target,
                dyad=dyad,
                types=types,
                since=since,
                until=until,
                limit=limit,
                max_seq=self.known_seq(known_at),
                search=search,
            )
        ):
            yield decode(row)

    def events_frame(self, **filters: Any) -> Any:
        """The stored events matching ``filters`` (as for :meth:`events`) as a pandas
        DataFrame, one row an event: the columns of ``log --csv`` (see :mod:`tracker.frames`)."""
        from tracker.frames import frame
        from tracker.store.rows import EVENT_ROW, event_row

        return frame((event_row(s.to_record()) for s in self.events(**filters)), EVENT_ROW)

    # -- corrections -------------------------------------------------------------------------

    def retract(
        self,
        event_id: str,
        *,
        reason: str,
        recorded_at: datetime | None = None,
        new_id: str | None = None,
    ) -> AppendResult:
        """Append a retraction of ``event_id``; the original stays in the log."""
        return self._record("retract", event_id, {"reason": reason}, recorded_at, new_id)

    def correct(
        self,
        event_id: str,
        changes: Mapping[str, Any],
        *,
        reason: str,
        recorded_at: datetime | None = None,
        new_id: str | None = None,
    ) -> AppendResult:
        """Append a correction of some fields of ``event_id``; projections use the new values."""
        return self._record(
            "correct", event_id, {"reason": reason, "changes": dict(changes)}, recorded_at, new_id
        )

    def _record(
        self,
        kind: str,
        event_id: str,
        extra: dict[str, Any],
        recorded_at: datetime | None,
        new_id: str | None,
    ) -> AppendResult:
        from tracker.records import RecordError

        original = self.store.row_by_id(event_id)
        if original is None:
            raise RecordError(
                f"event_id {event_id!r}: no such event in the log", field="event_id", value=event_id
            )
        data: dict[str, Any] = {
            "type": kind,
            "actor": original.actor,
            "target": original.target,
            "occurred_on": original.occurred_on,
            "refers_to": event_id,
            **extra,
        }
        if new_id:
            data["event_id"] = new_id
        return self.append(data, recorded_at=recorded_at)

    # -- queries ---------------------------------------------------------------------------

    def known_seq(self, known_at: KnownAt) -> int | None:
        """The log position a ``known_at`` stands for (None: the whole log)."""
        return self.store.known_seq(known_at)

    def _queries(self) -> Queries:
        """The query object for this store and model, reused across calls (queries are
        answered from the store as it is at each call)."""
        q = self._query_cache
        if q is None or q.store is not self.store or q.model is not self.model:
            from tracker.queries import Queries

            q = self._query_cache = Queries(self.store, self.model, self.projector.model)
        q.forget_head()
        return q

    def _as_of(self, as_of: date | None) -> date:
        today = self.today()
        day = as_of or today
        check_date("as_of", day, today)
        return day

    def _pair(
        self,
        ask: Callable[[str, str, date, int | None, bool], _R],
        a: str,
        b: str,
        as_of: date | None,
        known_at: KnownAt,
        predecessors: bool,
    ) -> _R:
        """One pair query: the parties resolved to codes, the date checked, ``known_at`` made a
        log position (what :meth:`state`, :meth:`score` and :meth:`explain` share)."""
        return ask(_code(a), _code(b), self._as_of(as_of), self.known_seq(known_at), predecessors)

    def state(
        self,
        a: str,
        b: str,
        *,
        as_of: date | None = None,
        known_at: KnownAt = None,
        predecessors: bool = True,
    ) -> DyadState:
        """How A and B get along on ``as_of`` (default today), as the log stood at
        ``known_at`` (default now). With ``predecessors`` (the default) the record of the
        states A and B continue counts too (Russia: the USSR's; see :mod:`tracker.lineage`)."""
        return self._pair(self._queries().state, a, b, as_of, known_at, predecessors)

    def score(
        self,
        a: str,
        b: str,
        *,
        as_of: date | None = None,
        known_at: KnownAt = None,
        predecessors: bool = True,
    ) -> Score:
        """Only the numbers (index, label, directed components) on ``as_of``: the cheapest
        as-of query, one indexed lookup plus a decay."""
        return self._pair(self._queries().score, a, b, as_of, known_at, predecessors)

    def explain(
        self,
        a: str,
        b: str,
        *,
        as_of: date | None = None,
        known_at: KnownAt = None,
        predecessors: bool = True,
    ) -> Explanation:
        """The events that make up the score on ``as_of``, each with its contribution."""
        return self._pair(self._queries().explain, a, b, as_of, known_at, predecessors)

    def lineage(self, a: str, b: str, *, known_at: KnownAt = None) -> Lineage | None:
        """The predecessor dyads whose record a query about A–B includes (None: none)."""
        return self._queries().lineage(_code(a), _code(b), self.known_seq(known_at))

    def timeline(
        self,
        a: str,
        b: str,
        *,
        start: date | None = None,
        end: date | None = None,
        every: str = "month",
        known_at: KnownAt = None,
        predecessors: bool = True,
    ) -> Timeline:
        """The index sampled every period from ``start`` (default: the dyad's first event, or
        its predecessors' if it has none) to ``end`` (default today)."""
        from events.dates import EARLIEST
        from tracker.queries import QueryError, dyad_key

        a, b = _code(a), _code(b)
        end = self._as_of(end)
        if start is None:
            # the dyad's own first event; a predecessor's only when the dyad has none (the
            # predecessors' record is folded in either way)
            line = self.lineage(a, b, known_at=known_at) if predecessors else None
            first = None
            for d in (dyad_key(a, b), *(line.included if line else ())):
                first = self.store.first_day(*d)
                if first:
                    break
            start = max(date.fromisoformat(first) if first else end, EARLIEST)
        else:
            start = self._as_of(start)
        if start > end:
            raise QueryError(
                f"from {start.isoformat()!r}: after to {end.isoformat()!r}",
                field="from",
                value=start.isoformat(),
            )
        return self._queries().timeline(
            a, b, start, end, every, self.known_seq(known_at), predecessors
        )

    def conflict_periods(
        self, a: str, b: str, *, known_at: KnownAt = None
    ) -> list[tuple[date, date | None]]:
        """The periods of active armed conflict between A and B, as (start, end) in valid
        time; end None while the conflict is still active (charts shade these)."""
        return self._queries().conflict_periods(_code(a), _code(b), self.known_seq(known_at))

    def dyads(
        self,
        *,
        as_of: date | None = None,
        party: str | None = None,
        known_at: KnownAt = None,
        predecessors: bool = True,
    ) -> Ranking:
        """Every dyad's score on ``as_of``, warmest first: a list of ``(dyad, score)``.

        With ``predecessors`` (the default) continuity applies as in :meth:`state`: a dyad of
        a state that had ended by ``as_of`` is listed under the state continuing it (PRK–SUN
        as part of PRK–RUS after 1991), each score is :meth:`score`'s for that pair, and the
        result's ``lineages`` and ``left_out`` say what was included and what not listed. The
        result has ``to_dict()`` (what ``dyads --json`` prints) and ``to_frame()``."""
        return self._queries().dyads(
            self._as_of(as_of),
            _code(party) if party else None,
            self.known_seq(known_at),
            predecessors,
        )

    def rebuild(self, model: ScoringModel | None = None, *, progress: Any = None) -> int:
        """Drop and recompute every checkpoint from the log alone (optionally with a new
        model, which becomes the store's model); returns the number of dyads. ``progress``
        (a :class:`tracker.progress.Reporter`) is told of each dyad."""
        from tracker.checkpoints import Projector

        store = self.store
        with store.transaction():
            projector = Projector(store, model or self.projector.model)
            projector.reporter = progress
            count = projector.rebuild()
        self.close()
        return count


def _code(party: str) -> str:
    return resolve(party)
