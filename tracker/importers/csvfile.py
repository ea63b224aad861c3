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


def _text(src: Source) -> Iterator[str]:
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
        yield text.lstrip("\ufeff") if line == 1 else text


def read(src: Source) -> Iterator[Item | Skip]:
    records = csv.reader(_text(src))
    header = [h.strip() for h in next(records, [])]
    if not header:
        return
    known = _all_fields()
    for column in header:
        if column not in known:
            raise ImportFormatError(
                f"column {column!r}: not an event field (the header names envelope fields "
                "such as type, actor, target, occurred_on and type-specific fields)",
                field="column",
                value=column,
                line=1,
                source=src.name,
            )
    if "type" not in header:
        raise ImportFormatError(
            "header: no 'type' column", field="column", value=None, line=1, source=src.name
        )
    if len(set(header)) != len(header):
        twice = sorted({c for c in header if header.count(c) > 1})
        raise ImportFormatError(
            f"column {twice[0]!r}: appears twice in the header",
            field="column",
            value=twice[0],
            line=1,
            source=src.name,
        )
    width = len(header)
    while True:
        line = records.line_num + 1
        try:
            row = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Skip(
                line,
                "malformed CSV",
                TrackerError(f"line: malformed CSV ({exc})", field="line", value=None),
            )
            continue
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
