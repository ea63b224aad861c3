"""Control characters: refused in stored text, made visible in text output.

A summary or a name is one line of text to be read. A control character in it is never
meant: a NUL truncates it in C tools, an escape sequence (``ESC[2J``, an OSC title) acts on the
terminal that shows it. So inputs refuse them, and text output writes any that an older log
holds as visible escapes.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""C0 controls (tab and newline included: stored text is one line), DEL and C1 controls."""

TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""What a terminal would act on rather than show: the controls above except tab and newline,
and the Unicode line separators and bidirectional controls (which can reorder a line)."""


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character of :data:`CONTROL`. ASCII text holds one exactly
    when it is not printable (ASCII's only unprintable characters are its controls), which
    ``str.isprintable`` tells in a third of the time of the regular expression."""
    if text.isascii():
        return not text.isprintable()
    return CONTROL.search(text) is not None


def control_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (its first control character and where), or None."""
    if text.isascii() and text.isprintable():
        return None
    found = CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return f"contains a control character (U+{code:04X}) at position {found.start() + 1}"
