"""The demo: a curated dataset of real, publicly reported events shipped with the package, a
store built from it, and the tour ``tracker demo`` prints.

The dataset is ``tracker/demo/data/events.jsonl`` (one event a line, in the tracker's own JSON
format; see ``COMPILATION.md`` beside it for how it was compiled). It is read with
:mod:`importlib.resources`, so it works from a wheel, a zip or a source checkout.

>>> from tracker.demo import build_store, load_events
>>> events = load_events()            # validated; a bad line raises DemoDataError naming it
>>> build_store("tracker-demo.db", events)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from events.errors import TrackerError

if TYPE_CHECKING:
    from events.models import EventBase
    from projections.score import Score
    from tracker.api import Tracker
    from tracker.queries import DyadState

DATA_FILE = "events.jsonl"
ID_PREFIX = "demo:"
"""Every demo event id starts with this; a store holding only such events is a demo store."""
DEFAULT_DB = "tracker-demo.db"
BATCH = 25


class DemoDataError(TrackerError):
    """A line of the packaged demo dataset does not validate (a packaging bug)."""


@dataclass(frozen=True, slots=True)
class Moment:
    """A telling date in a pair's history and what happened then."""

    day: date
    caption: str


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    title: str
    moments: tuple[Moment, ...]
    story: tuple[tuple[str, str], ...] = ()
    """(event_id, caption): the events of the story the pair's tour tells, as recorded."""
    not_in_record: tuple[str, ...] = ()
    """What the story involves but the dataset could not source: the tour says so."""


def _m(day: str, caption: str) -> Moment:
    return Moment(date.fromisoformat(day), caption)


PAIRS: tuple[Pair, ...] = (
    Pair(
        "PRK",
        "RUS",
        "North Korea and Russia",
        (
            _m("2000-07-19", "Putin in Pyongyang, the first visit by a Russian leader"),
            _m("2017-12-22", "Russia votes for UN sanctions resolution 2397, its ninth"),
            _m("2019-04-25", "Kim and Putin's first summit, in Vladivostok"),
            _m("2023-09-13", "Vostochny Cosmodrome summit: military cooperation pledged"),
            _m("2024-06-19", "Putin in Pyongyang: strategic partnership treaty signed"),
        ),
        story=(
            (
                "demo:prk-rus:2023-09-07:containers-shipped",
                "munitions shipped for the war in Ukraine",
            ),
            (
                "demo:prk-rus:2023-09-13:military-cooperation-pledge",
                "summit pledges military cooperation",
            ),
            ("demo:prk-rus:2023-09-13:invites-putin", "Kim invites Putin to visit Pyongyang"),
            ("demo:prk-rus:2023-12-30:ballistic-missiles", "ballistic missiles for the war"),
            (
                "demo:prk-rus:2024-02-18:aurus-gift",
                "Putin's gift of a Russian-made Aurus limousine",
            ),
            (
                "demo:prk-rus:2024-03-18:congratulations",
                "Kim congratulates Putin on his fifth term",
            ),
            (
                "demo:prk-rus:2024-03-28:panel-of-experts-veto",
                "Russian veto ends the UN Panel of Experts",
            ),
            ("demo:prk-rus:2024-06-19:pyongyang-summit", "Putin's visit to Pyongyang"),
            ("demo:prk-rus:2024-06-19:treaty", "the strategic partnership treaty signed"),
            (
                "demo:prk-rus:2024-12-04:treaty-in-force",
                "the treaty in force, with its mutual defence",
            ),
        ),
        not_in_record=(
            "the 2000 treaty's entry into force (no date found; recorded as signed until 2024)",
            "Kim's public appearance in the Aurus limousine (only its delivery is recorded)",
            "who conveyed the March 2024 congratulations (the ambassador detail is unsourced)",
        ),
    ),
    Pair(
        "RUS",
        "UKR",
        "Russia and Ukraine",
        (
            _m("2013-12-17", "Moscow summit: a $15bn loan after Kyiv drops the EU deal"),
            _m("2014-03-18", "Crimea annexed, three weeks after the invasion"),
            _m("2022-02-24", "full-scale invasion; Ukraine severs relations"),
        ),
    ),
    Pair(
        "CUB",
        "USA",
        "Cuba and the United States",
        (
            _m("2014-12-17", "Obama and Castro announce the thaw; prisoners freed"),
            _m("2015-07-20", "embassies reopen: diplomatic relations restored"),
            _m("2016-03-21", "Obama in Havana"),
            _m("2017-11-01", "the turn: expulsions, embassy drawdown, UN vote"),
        ),
    ),
    Pair(
        "QAT",
        "SAU",
        "Qatar and Saudi Arabia",
        (
            _m("2017-06-05", "relations severed, border closed, blockade begins"),
            _m("2021-01-05", "Al-Ula summit: relations restored"),
        ),
    ),
)


# -- the dataset ---------------------------------------------------------------------------------


def dataset_text() -> str:
    """The packaged dataset, as text."""
    return resources.files(__name__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")


def load_events() -> list[EventBase]:
    """Every event of the dataset, validated; the first bad line raises :class:`DemoDataError`
    naming the line, the field and the value."""
    from events.models import parse_event

    events: list[EventBase] = []
    for number, line in enumerate(dataset_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DemoDataError(
                f"not valid JSON ({exc.msg})", line=number, source=DATA_FILE
            ) from None
        try:
            events.append(parse_event(data))
        except TrackerError as exc:
            raise DemoDataError(
                exc.message, field=exc.field, value=exc.value, line=number, source=DATA_FILE
            ) from None
    return events


# -- the store -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Existing:
    """What is at a path ``tracker demo`` is asked to write.

    ``kind``: ``absent``; ``demo`` (a tracker store holding only demo events); ``store`` (a
    tracker store with other events: ``foreign`` of them); ``other`` (any other file);
    ``directory``.
    """

    kind: Literal["absent", "demo", "store", "other", "directory"]
    events: int = 0
    foreign: int = 0


def inspect_target(path: str | Path) -> Existing:
    """Classify ``path`` without changing it (the file is opened read-only)."""
    from tracker.errors import TrackerError
    from tracker.store import read_snapshot

    path = Path(path)
    if path.is_dir():
        return Existing("directory")
    if not path.exists():
        return Existing("absent")
    try:
        with read_snapshot(path) as store:
            total = store.count()
            foreign = store.count_without_prefix(ID_PREFIX)
    except TrackerError:
        return Existing("other")
    return Existing("demo" if foreign == 0 else "store", total, foreign)


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def build_store(
    path: str | Path,
    events: Sequence[EventBase],
    *,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> None:
    """Build a fresh store at ``path`` from ``events`` (already validated).

    The store is written beside ``path`` under a temporary name, in one transaction (appended
    a batch at a time, calling ``progress(n)`` after each), and moved over ``path`` only when
    complete: whatever was at ``path`` stays intact if anything fails. The caller decides
    whether ``path`` may be replaced (see :func:`inspect_target`).
    """
    from tracker.api import Tracker

    path = Path(path)
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
    for leftover in (tmp, *_sidecars(tmp)):
        leftover.unlink(missing_ok=True)
    try:
        with Tracker(tmp) as tracker, tracker.store.transaction():
            for start in range(0, len(events), batch):
                chunk = events[start : start + batch]
                tracker.append_many(chunk)
                if progress is not None:
                    progress(len(chunk))
        for stale in _sidecars(path):  # the old store's journal must not meet the new file
            stale.unlink(missing_ok=True)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, *_sidecars(tmp)):
            leftover.unlink(missing_ok=True)


# -- the tour ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairTour:
    pair: Pair
    events: int
    first: date
    last: date
    moments: tuple[tuple[Moment, Score], ...]
    now: DyadState
    end: DyadState
    """The state on the pair's last event day (the end of its record)."""
    story: tuple[tuple[date, str, str, str], ...] = ()
    """(day, type, actor→target, caption) of each story event, from the store."""


def pair_tour(tracker: Tracker, pair: Pair) -> PairTour:
    """The pair's state at its telling dates, at the end of its record, and today."""
    rows = list(tracker.rows(dyad=(pair.a, pair.b)))
    if not rows:
        raise DemoDataError(
            f"{pair.a}–{pair.b}: no events in the store", field="dyad", value=[pair.a, pair.b]
        )
    days = sorted(date.fromisoformat(r.occurred_on) for r in rows)
    moments = tuple((m, tracker.state(pair.a, pair.b, as_of=m.day).score) for m in pair.moments)
    by_id = {r.event_id: r for r in rows}
    story = []
    for event_id, caption in pair.story:
        row = by_id.get(event_id)
        if row is None:
            raise DemoDataError(
                f"{pair.a}–{pair.b}: story event {event_id!r} is not in the store",
                field="event_id",
                value=event_id,
            )
        arrow = f"{row.actor}→{row.target}"
        story.append((date.fromisoformat(row.occurred_on), row.type, arrow, caption))
    return PairTour(
        pair,
        len(rows),
        days[0],
        days[-1],
        moments,
        tracker.state(pair.a, pair.b),
        tracker.state(pair.a, pair.b, as_of=days[-1]),
        tuple(story),
    )
