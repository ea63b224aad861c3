"""Helpers shared by test modules (importable because tests/ is on sys.path via its conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Transaction time that advances one second per reading (first reading 00:00:01)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now
