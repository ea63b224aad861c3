"""The tracker's own CSV: a header, then one event per record (RFC 4180 quoting, UTF-8).

Columns are envelope fields (``type``, ``event_id``, ``actor``, ``target``, ``occurred_on``,
``source``, ``summary``, ``confidence``, ``weight``) plus any type-specific fields (``name``,
``kind``, ``regime``, ``body``, ``items``, ...); ``type`` is required, the others as the type
requires. An empty cell means "not given". List fields (``items``) hold their values separated
by ``;``. Booleans are ``true``/``false``. Ids are derived from the content when ``event_id``
is missing or empty, exactly as for hand-written JSON Lines (see :mod:`.jsonl`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import cache

from events.errors import TrackerError
from events.fields import list_fields
from tracker.importers.inputs import Source
from tracker.importers.jsonl import prepare_flat
from tracker.importers.reader import ImportFormatError, Item, Skip


@cache
def _all_fields() -> frozenset[str]:
    from events.models import EVENT_CLASSES

    return frozenset(f for cls in EVENT_CLASSES.values() for f in cls.model_fields)


class _Lines:
    """The source's lines as text for ``csv.reader``, noting where each record starts: the
    source leaves out empty lines, so the reader's own count (``line_num``) is not the line
    number in the file."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.start = 0  # the file line of the first line fed since mark()
        self._marked = True

    def mark(self) -> None:
        self._marked = True

    def __iter__(self) -> Iterator[str]:
        src = self.src
        for line, raw in src.lines():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportFormatError(
                    f"not valid UTF-8 text at byte {exc.start}",
                    field="line",
                    value=None,
                    line=line,
                    source=src.name,
                ) from None
            if self._marked:
                self.start, self._marked = line, False
            yield text.lstrip("\ufeff") if line == src.first_line else text


def read(src: Source) -> Iterator[Item | Skip]:
    lines = _Lines(src)
    records = csv.reader(iter(lines))
    header = [h.strip() for h in next(records, [])]
    if not header:
        return
    at = lines.start
    known = _all_fields()
    for column in header:
        if column not in known:
            raise ImportFormatError(
                f"column {column!r}: not an event field (the header names envelope fields "
                "such as type, actor, target, occurred_on and type-specific fields)",
                field="column",
                value=column,
                line=at,
                source=src.name,
            )
    if "type" not in header:
        raise ImportFormatError(
            "header: no 'type' column", field="column", value=None, line=at, source=src.name
        )
    if len(set(header)) != len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise ImportFormatError(
            f"column {twice[0]!r}: appears twice in the header",
            field="column",
            value=twice[0],
            line=at,
            source=src.name,
        )
    width = len(header)
    while True:
        lines.mark()
        try:
            row = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            line = lines.start
            yield Skip(
                line,
                "malformed CSV",
                TrackerError(f"line: malformed CSV ({exc})", field="line", value=None),
            )
            continue
        line = lines.start
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            yield Skip(
                line,
                "wrong column count",
                TrackerError(
                    f"columns {len(row)}: expected {width} (as in the header)",
                    field="columns",
                    value=len(row),
                ),
            )
            continue
        data: dict[str, object] = {
            k: v for k, v in zip(header, row, strict=True) if v.strip() != ""
        }
        for key in list_fields(str(data.get("type", ""))) & data.keys():
            data[key] = [part.strip() for part in str(data[key]).split(";") if part.strip()]
        try:
            yield Item(line, prepare_flat(data))
        except TrackerError as exc:
            yield Skip(line, f"invalid {exc.field or 'event'}", exc)
