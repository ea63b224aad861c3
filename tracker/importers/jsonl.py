"""The tracker's own JSON Lines, in two forms (a file uses one; blank lines are ignored).

Export form
    What ``tracker log --json`` (and ``export``) prints, one record per line::

        {"event": {...canonical event...}, "hash": "...", "recorded_at": "...", "seq": 1}

    ``export`` puts a head line first (:mod:`tracker.export_head`): the tree head the records
    must make, checked at the end of the file (a file without one, from an earlier version or
    from ``log --json``, is checked by its hash chain alone). A head line anywhere but first is
    an error.

    If the first record continues the log's hash chain (into an empty store: seq 1 from the
    genesis hash), the file is *replayed*: every record keeps its seq and recorded_at, so the
    store ends with the same chain head hash, and each record's hash is checked against the
    recomputed chain as it is read (a mismatch stops the import at that line). Otherwise (a
    store that already has other events, or a filtered export) the records are imported as new
    events with fresh seq and recorded_at; the summary says which happened.

Hand-written form
    One flat event object per line, as ``tracker append`` would build it::

        {"type": "praise", "actor": "North Korea", "target": "Russia",
         "occurred_on": "2024-03-18", "source": "KCNA", "event_id": "kcna-2024-03-18-1"}

    ``event_id`` is the idempotency key. Without one, the id is derived from the content:
    ``sha256:`` + the first 32 hex digits of the SHA-256 of the event's canonical JSON without
    its ``event_id`` (parties resolved, defaults filled in), so re-importing the same line is a
    no-op and two lines with the same content are one event.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from events.errors import TrackerError
from tracker import limits
from tracker.export_head import is_head, parse_head
from tracker.importers.inputs import Source
from tracker.importers.reader import HeadLine, Item, Skip, text_lines
from tracker.store.rows import EXPORT_KEYS, Prepared, is_timestamp

_HASH = re.compile(r"[0-9a-f]{64}")


def derived_id(data: dict[str, Any]) -> str:
    """The content id of an event given without ``event_id`` (see the module docstring)."""
    from events.canonical import canonical_dict, dumps
    from events.models import parse_event

    body = canonical_dict(parse_event({**data, "event_id": "x"}))
    del body["event_id"]
    return "sha256:" + hashlib.sha256(dumps(body).encode("utf-8")).hexdigest()[:32]


def prepare_flat(data: dict[str, Any]) -> Prepared:
    """Validate one hand-written event (deriving its id if it has none) into its stored form."""
    from events.models import parse_event
    from tracker.store.rows import prepare

    if data.get("event_id") in (None, ""):
        data = {**data, "event_id": derived_id(data)}
    return prepare(parse_event(data))


BATCH = 512
"""Hand-written events validated together (one compiled pass: ``events.models.parse_events``)."""


def read(src: Source) -> Iterator[Item | Skip | HeadLine]:
    export: bool | None = None
    pending: list[tuple[int, dict[str, Any]]] = []
    for line, text in text_lines(src):
        if isinstance(text, Skip):
            yield from _validated(pending)
            yield text
            continue
        if not text.strip():
            continue
        try:
            obj = limits.loads(text)
        except ValueError as exc:
            yield from _validated(pending)
            yield Skip(
                line,
                "not valid JSON",
                TrackerError(
                    f"line: not valid JSON ({getattr(exc, 'msg', exc)} at column "
                    f"{getattr(exc, 'colno', '?')})",
                    field="line",
                    value=text.strip()[:80],
                ),
            )
            continue
        if not isinstance(obj, dict):
            yield from _validated(pending)
            yield Skip(
                line,
                "not a JSON object",
                TrackerError(
                    f"line: must be a JSON object, not {type(obj).__name__}",
                    field="line",
                    value=text.strip()[:80],
                ),
            )
            continue
        if is_head(obj):
            yield from _validated(pending)
            if export is not None:
                yield Skip(
                    line,
                    "misplaced tree head",
                    TrackerError(
                        f"line: a tree head belongs on the first line of an export, not on line "
                        f"{line} (were two exports joined?)",
                        field="line",
                        value=text.strip()[:80],
                    ),
                )
                continue
            export = True
            try:
                yield HeadLine(line, parse_head(obj, line))
            except TrackerError as exc:
                yield Skip(line, "invalid tree head", exc)
            continue
        is_export = set(obj) == EXPORT_KEYS
        if export is None:
            export = is_export
        elif is_export != export:
            yield from _validated(pending)
            yield Skip(
                line,
                "mixed forms",
                TrackerError(
                    "line: the file mixes export records and hand-written events (use one form "
                    "per file)",
                    field="line",
                    value=text.strip()[:80],
                ),
            )
            continue
        if not is_export and obj.get("event_id") not in (None, ""):
            pending.append((line, obj))  # validated in batches, yielded in line order
            if len(pending) >= BATCH:
                yield from _validated(pending)
            continue
        yield from _validated(pending)
        try:
            yield _export_item(line, obj) if is_export else Item(line, prepare_flat(obj))
        except TrackerError as exc:
            yield Skip(line, f"invalid {exc.field or 'event'}", exc)
    yield from _validated(pending)


def _validated(pending: list[tuple[int, dict[str, Any]]]) -> list[Item | Skip]:
    """The pending hand-written events (each with its id) as items, or skips naming the line;
    empties ``pending``."""
    from events.models import parse_events
    from tracker.store.rows import prepare

    if not pending:
        return []
    out: list[Item | Skip] = []
    for (line, _obj), event in zip(pending, parse_events([o for _l, o in pending]), strict=True):
        try:
            if isinstance(event, TrackerError):
                raise event
            out.append(Item(line, prepare(event)))
        except TrackerError as exc:
            out.append(Skip(line, f"invalid {exc.field or 'event'}", exc))
    pending.clear()
    return out


def _export_item(line: int, obj: dict[str, Any]) -> Item:
    seq, stamp, digest, event = obj["seq"], obj["recorded_at"], obj["hash"], obj["event"]
    if type(seq) is not int or seq < 1:
        raise TrackerError(f"seq {seq!r}: must be a whole number >= 1", field="seq", value=seq)
    if not is_timestamp(stamp):
        raise TrackerError(
            f"recorded_at {stamp!r}: must be a UTC time written YYYY-MM-DDTHH:MM:SS.ffffffZ",
            field="recorded_at",
            value=stamp,
        )
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise TrackerError(
            f"hash {digest!r}: must be 64 lowercase hex digits", field="hash", value=digest
        )
    if not isinstance(event, dict) or not event.get("event_id"):
        raise TrackerError(
            "event: must be an event object with its event_id",
            field="event",
            value=event if not isinstance(event, dict) else None,
        )
    from events.models import AS_RECORDED, parse_event
    from tracker.store.rows import prepare

    return Item(line, prepare(parse_event(event, parties_mode=AS_RECORDED)), seq, stamp, digest)
