"""Shared fixtures: a fixed transaction clock and a store in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracker.api import Tracker


class FixedClock:
    """A clock that advances one second per reading, so transaction times are predictable."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        moment = self.now
        self.now += timedelta(seconds=1)
        return moment


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def tracker(db_path: Path, clock: Callable[[], datetime]) -> Iterator[Tracker]:
    with Tracker(db_path, clock=clock) as t:
        yield t
