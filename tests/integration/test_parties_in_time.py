"""The party-date rules apply to new events only: a log keeps reading the events it holds, and
a correction may not move an event to another state."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support import Clock, run_installed

from events.errors import TrackerError
from events.models import AS_RECORDED, parse_event
from tracker.api import Tracker
from tracker.store.rows import prepare

LEGACY = {
    "type": "praise",
    "event_id": "legacy-1",
    "actor": "RUS",
    "target": "PRK",
    "occurred_on": "1985-03-11",
}


def test_a_stored_event_that_the_rules_would_now_place_elsewhere_is_read_as_recorded(
    tmp_path: Path,
) -> None:
    """A log written before the lifespans table knew the USSR holds "RUS" in 1985: it stays
    readable, verifiable and replayable, exactly as recorded."""
    db = tmp_path / "legacy.db"
    with Tracker(db, clock=Clock()) as t:
        t.store.append([prepare(parse_event(LEGACY, parties_mode=AS_RECORDED))])
        [stored] = list(t.events())
        assert (stored.event.actor, stored.event.target) == ("RUS", "PRK")
    done: subprocess.CompletedProcess[str] = run_installed("verify", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_new_events_are_placed_but_stored_ones_are_not(tmp_path: Path) -> None:
    assert parse_event(LEGACY).actor == "SUN"
    assert parse_event(LEGACY, parties_mode=AS_RECORDED).actor == "RUS"


def test_a_correction_may_not_move_an_event_into_a_predecessor_state(tmp_path: Path) -> None:
    with Tracker(tmp_path / "t.db", clock=Clock()) as t:
        t.append({**LEGACY, "occurred_on": "2000-01-01"})
        with pytest.raises(TrackerError) as info:
            t.correct("legacy-1", {"occurred_on": "1985-03-11"}, reason="wrong year")
        assert "recorded under Soviet Union (SUN)" in str(info.value)
        assert "retract the event and append it anew" in str(info.value)
        assert t.head().seq == 1
