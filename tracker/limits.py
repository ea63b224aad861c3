"""The documented limits on input files, and the checks that enforce them.

An import, or ``verify --against``, reads files it did not write. Without bounds a single
hostile file costs unbounded memory or time: a 1 MB gzip holding one 1 GB line, a JSON value
nested 100,000 levels deep, a small archive that inflates to gigabytes of blank lines. So:

- a line (one record) is at most :data:`MAX_LINE_BYTES` (1 MiB);
- a JSON value is nested at most :data:`MAX_JSON_DEPTH` (32) levels deep;
- a compressed input inflates to at most :data:`MAX_INFLATION` (100) times the compressed bytes
  read so far, once past :data:`INFLATION_FLOOR` (4 MiB): real event files compress 5 to 15
  times; a decompression bomb, about a thousand;
- text fields have their own lengths (a summary 2,000 characters, a name 300, an id 200:
  see :mod:`events.models`).

Each limit, when hit, is one message naming the file, the line and the limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from events.errors import TrackerError

MAX_LINE_BYTES = 1 << 20
MAX_JSON_DEPTH = 32
MAX_INFLATION = 100
INFLATION_FLOOR = 4 << 20


class LimitError(TrackerError):
    """An input exceeds one of the documented limits."""


def line_too_long(line: int) -> LimitError:
    return LimitError(
        f"longer than {MAX_LINE_BYTES:,} bytes, the limit for one record (is this the right file?)",
        field="line",
        value=None,
        line=line,
    )


def inflated_too_much(compressed: int, inflated: int) -> LimitError:
    return LimitError(
        f"inflates more than {MAX_INFLATION} times ({compressed:,} compressed bytes gave "
        f"{inflated:,} so far): refused as a likely decompression bomb",
        field="file",
        value=None,
    )


def check_inflation(compressed: int, inflated: int) -> None:
    if inflated > INFLATION_FLOOR and inflated > MAX_INFLATION * max(compressed, 1):
        raise inflated_too_much(compressed, inflated)


def too_deep(text: str) -> int | None:
    """Where (a character offset) a JSON text first nests deeper than the limit, or None.
    Brackets inside strings are not counted; the offset is into the text as given."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return match.start()
        elif token == "]" or token == "}":
            depth -= 1
    return None


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= i <= 0x39 else 0x78 for i in range(256))
_LONG_DIGITS = b"0" * 19


def _has_long_digits(text: str) -> bool:
    """Whether ``text`` holds 19 ASCII digits in a row. (A JSON number is written in ASCII
    digits only; other digits can only be in a string, which both parsers read alike.) One
    C pass over the UTF-8 bytes with every digit made ``0``: a regular expression searching
    for ``\\d{19}`` took twenty times as long, a twentieth of a whole import."""
    return _LONG_DIGITS in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO)


_fast_loads: Any = None


def _orjson_loads(text: str) -> Any:
    global _fast_loads
    if _fast_loads is None:  # imported on first use: only importers parse JSON lines
        from orjson import loads

        _fast_loads = loads
    return _fast_loads(text)


def loads(text: str) -> Any:
    """``json.loads`` within :data:`MAX_JSON_DEPTH`: a deeper value raises the same
    ``json.JSONDecodeError`` as bad JSON, at the bracket that went too deep. The depth is
    counted only for a text with many brackets, so an ordinary line costs two ``count``s."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        at = too_deep(text)
        if at is not None:
            raise json.JSONDecodeError(
                f"nested more than {MAX_JSON_DEPTH} levels deep (the limit)", text, at
            )
    if not _has_long_digits(text):
        # orjson parses about three times faster and gives the same values, except that it
        # reads an integer beyond 64 bits as a float (hence the 19-digit guard) and refuses
        # what json accepts (NaN, lone surrogates, overflowing floats): then json decides
        try:
            return _orjson_loads(text)
        except ValueError:
            pass
    try:
        return json.loads(text)
    except RecursionError:  # defensive: the depth check above should have caught it
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
