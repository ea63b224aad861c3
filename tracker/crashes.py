"""The last resort: what a user sees when something unexpected fails, instead of a traceback.

A traceback shown to a user is a bug, but bugs happen; when one does, the user needs three
facts: what failed, whether their log was changed, and where the details went. The store
counts its commits here (:func:`record_commit`), so the message can say "the log is unchanged"
truthfully: an unexpected error inside a write rolls its transaction back, and a command that
committed nothing left the log as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a reader that stopped early

_commits = 0


def record_commit() -> None:
    """Called by a store each time a transaction that wrote to the log commits."""
    global _commits
    _commits += 1


def commits() -> int:
    return _commits


def log_state(before: int) -> str:
    """Whether the log changed since ``commits()`` was ``before``, in words."""
    if commits() == before:
        return "the log is unchanged"
    return "the log may have changed (run `tracker verify`)"


class Terminated(BaseException):
    """SIGTERM, raised as an exception so that every cleanup path runs (temporary files are
    removed, the open transaction is rolled back)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def install_signal_handlers() -> None:
    """Turn SIGTERM into :class:`Terminated` (SIGINT is already ``KeyboardInterrupt``)."""
    import contextlib
    import importlib

    # the C module behind ``signal``, which adds only enumerations of its constants (building
    # them costs about 3 % of a query's start-up, issue 16); the handler is the same either way
    try:
        signals = importlib.import_module("_signal")
    except ImportError:  # (another Python)
        signals = importlib.import_module("signal")
    with contextlib.suppress(ValueError, OSError):  # not the main thread (test runners)
        signals.signal(signals.SIGTERM, _on_sigterm)


def save_traceback(exc: BaseException, command: str) -> str | None:
    """Write the full traceback to a file in the temporary directory; its path, or None."""
    import os
    import sys
    import tempfile
    import traceback
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        fd, path = tempfile.mkstemp(prefix=f"tracker-crash-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"tracker {command}\nargv: {sys.argv!r}\n\n")
            out.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


def crash_message(exc: BaseException, command: str, before: int, saved: str | None) -> str:
    """The one line printed for an unexpected error."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = f"the full traceback is in {saved}" if saved else "the traceback could not be saved"
    return (
        f"internal error in `tracker {command}` ({what}); {log_state(before)}; {where} "
        "(or run again with --debug to show it). This is a bug: please report it."
    )


def silence_stdout() -> None:
    """Point standard output at /dev/null after its reader went away (``tracker log | head``),
    so that the interpreter's final flush does not raise a second BrokenPipeError."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
