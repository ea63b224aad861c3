"""Dates as users write them: the one strict parser every input path uses."""

from __future__ import annotations

import re
from datetime import date

EARLIEST = date(1900, 1, 1)
"""The earliest date a query accepts (events may be older; questions about them may not)."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(text: str) -> date:
    """Exactly ``YYYY-MM-DD`` (ASCII digits) naming a real calendar day, else ``ValueError``.

    ``date.fromisoformat`` alone also takes ISO week dates (``2024-W12-1`` is read as
    2024-03-18) and compact forms (``20240318``), which a user typing a date never means.
    """
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a real calendar date ({exc})") from None
