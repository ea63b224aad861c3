"""Progress lines: count, total, rate and time left per stage; each finished stage keeps a line
of its own; nothing is drawn off a terminal or for quick work."""

from __future__ import annotations

import io

import pytest

from tracker.progress import Stages, progress_line


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ("importing", 1 << 20, 4 << 20, "bytes", 2.0),
            "importing    [#####...............] 1.0 MiB / 4.0 MiB  512.0 KiB/s  ETA 0:06",
        ),
        (
            ("verifying", 50_000, 200_000, "events", 10.0),
            "verifying    [#####...............] 50,000 / 200,000 events  5,000 events/s  ETA 0:30",
        ),
        (
            ("checkpoints", 15, 15, "dyads", 1.0),
            "checkpoints  [####################] 15 / 15 dyads  15 dyads/s  finishing…",
        ),
        (("replaying", 7, None, "dyads", 0.0), "replaying    7 dyads  0 dyads/s"),
        (
            ("rebuilding", 3600, 7200, "dyads", 3600.0),
            "rebuilding   [##########..........] 3,600 / 7,200 dyads  1 dyads/s  ETA 1:00:00",
        ),
    ],
)
def test_a_line_shows_count_total_rate_and_time_left(
    args: tuple[str, int, int | None, str, float], expected: str
) -> None:
    assert progress_line(*args) == expected


def test_a_finished_stage_says_how_long_it_took() -> None:
    line = progress_line("importing", 100, 100, "events", 75.0, final=True)
    assert line.endswith("100 / 100 events  1 events/s  done in 1:15")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeMonotonic:
    """Stands in for time.monotonic: it moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_each_stage_keeps_its_own_line_on_a_terminal() -> None:
    out, clock = Tty(), FakeMonotonic()
    with Stages(out, clock=clock, delay=0.5) as stages:
        stages.stage("importing", 1000, "events")
        for _ in range(10):
            clock.now += 0.2
            stages.advance(100)
        stages.stage("checkpoints", 4, "dyads")
        for _ in range(4):
            clock.now += 0.2
            stages.advance(1)
    lines = [part.split("\r")[-1] for part in out.getvalue().split("\n") if part]
    assert lines[0].startswith("importing") and lines[0].endswith("done in 0:02")
    assert "1,000 / 1,000 events" in lines[0]
    assert lines[1].startswith("checkpoints") and "4 / 4 dyads" in lines[1]
    assert "ETA" in out.getvalue()  # while it ran


def test_quick_work_and_pipes_draw_nothing() -> None:
    out, clock = Tty(), FakeMonotonic()
    with Stages(out, clock=clock, delay=0.5) as stages:
        stages.stage("verifying", 10, "events")
        clock.now += 0.1
        stages.advance(10)
    assert out.getvalue() == ""
    piped = io.StringIO()  # not a terminal
    with Stages(piped, clock=clock, delay=0) as stages:
        stages.stage("verifying", 10, "events")
        clock.now += 5
        stages.advance(10)
    assert piped.getvalue() == ""
