"""Text for a terminal: every human-readable line a command prints goes through :func:`echo`
(control characters made visible), and :func:`shorten` is the one way a cell or a summary is cut.

Apart from :mod:`tracker.outputs` (the files a command writes) so that a query, which only
prints, does not load the atomic-output machinery (issue 16's start-up target).
"""

from __future__ import annotations

from typing import Any


def printable(text: str) -> str:
    """``text`` with every control character written as a visible escape (``\\x1b``,
    ``\\u202e``), so that stored data cannot clear a screen, set a title or reorder a line.
    Only text output uses this; stored bytes and JSON are left as they are."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        # every character TERMINAL_UNSAFE matches is one str.isprintable refuses: nothing to
        # escape, and a query's start-up does not compile the pattern (issue 16)
        return text
    from events.text import TERMINAL_UNSAFE

    return TERMINAL_UNSAFE.sub(_escape, text)


def shorten(text: str | None, width: int) -> str:
    """``text`` on one line (runs of whitespace made one space), cut to ``width`` characters
    with an ellipsis when longer: the one way a table cell or a summary is shortened."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _escape(match: Any) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` for human-readable text: control characters made visible."""
    import click

    click.echo(printable(str(message)), err=err, nl=nl)
