"""Progress of long commands on standard error: one line per stage, with the count done, the
total, the rate and the time left, redrawn in place on a terminal.

A command reports *stages* (``stage("importing", total, "bytes")``) and *steps*
(``advance(n)``); when a stage ends its line is left showing the final count and the time it
took, so that a slow phase such as updating checkpoints after an import shows as its own
line instead of a bar stuck at 100 %. Nothing is drawn when standard error is not a terminal,
nor for work that finishes within :data:`DELAY` seconds (no flicker on small stores).

The library only calls plain callbacks (``progress(n)``) or, for staged work, any object with
``stage`` and ``advance`` methods; this module is the terminal side.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import IO, Protocol


class Reporter(Protocol):
    """What library code with stages reports to (:class:`Stages` is one)."""

    def stage(self, name: str, total: int | None, unit: str) -> None: ...

    def advance(self, n: int = 1) -> None: ...


DELAY = 0.5
"""Seconds of work before anything is drawn (``TRACKER_PROGRESS_DELAY`` overrides it)."""
REDRAW = 0.1
"""Seconds between redraws."""
BAR = 20


def _amount(n: float, unit: str) -> str:
    if unit == "bytes":
        for size, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if n >= size:
                return f"{n / size:.1f} {name}"
        return f"{n:.0f} B"
    return f"{n:,.0f}"


def _clock(seconds: float) -> str:
    whole = max(round(seconds), 0)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_line(
    name: str, done: int, total: int | None, unit: str, elapsed: float, *, final: bool = False
) -> str:
    """One stage's line: ``importing  [#####.....]  1.2 MiB / 4.8 MiB  3.1 MiB/s  ETA 0:01``
    while it runs, ``… done in 0:04`` when it has ended."""
    rate = done / elapsed if elapsed > 0 else 0.0
    shown_unit = "" if unit == "bytes" else f" {unit}"
    count = _amount(done, unit) + (f" / {_amount(total, unit)}" if total else "") + shown_unit
    speed = f"{_amount(rate, unit)}{'' if unit == 'bytes' else ' ' + unit}/s"
    if total:
        fraction = min(done / total, 1.0)
        bar = "[" + "#" * round(fraction * BAR) + "." * (BAR - round(fraction * BAR)) + "] "
    else:
        fraction, bar = 0.0, ""
    if final:
        return f"{name:<12} {bar}{count}  {speed}  done in {_clock(elapsed)}"
    eta = ""
    if total and rate > 0 and done < total:
        eta = f"  ETA {_clock((total - done) / rate)}"
    elif total and done >= total:
        eta = "  finishing…"
    return f"{name:<12} {bar}{count}  {speed}{eta}"


class Stages:
    """Staged progress on a stream (standard error by default); silent off a terminal."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        delay: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        env = os.environ.get("TRACKER_PROGRESS_DELAY")
        self.delay = delay if delay is not None else float(env) if env else DELAY
        self.started = clock()
        self.name = ""
        self.total: int | None = None
        self.unit = ""
        self.done = 0
        self.stage_start = self.started
        self.drawn_at: float | None = None
        self.width = 0

    def stage(self, name: str, total: int | None, unit: str) -> None:
        """End the current stage (its line stays) and start the next."""
        self._finish()
        self.name, self.total, self.unit, self.done = name, total, unit, 0
        self.stage_start = self.clock()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        if not self.enabled or now - self.started < self.delay:
            return
        if self.drawn_at is None or now - self.drawn_at >= REDRAW:
            self._draw(progress_line(self.name, self.done, self.total, self.unit, self._elapsed()))

    def __call__(self, n: int) -> None:
        """So that a stage can be handed to the library as a plain ``progress(n)`` callback."""
        self.advance(n)

    def close(self) -> None:
        self._finish()

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _elapsed(self) -> float:
        return self.clock() - self.stage_start

    def _draw(self, line: str) -> None:
        pad = " " * max(self.width - len(line), 0)
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self.width = len(line)
        self.drawn_at = self.clock()

    def _finish(self) -> None:
        if self.name and self.drawn_at is not None:  # a stage that showed keeps its last line
            self._draw(
                progress_line(
                    self.name, self.done, self.total, self.unit, self._elapsed(), final=True
                )
            )
            self.stream.write("\n")
            self.stream.flush()
        self.name, self.drawn_at, self.width = "", None, 0
