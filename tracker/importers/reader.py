"""Reader plumbing shared by every format: what a reader yields, and decoding its text.

A reader turns one :class:`~tracker.importers.inputs.Source` into a stream of :class:`Item`
(a row that became a prepared event) and :class:`Skip` (a row that did not: filtered out by
design, or invalid with the error that says which field and value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from events.errors import TrackerError
from tracker.export_head import CarriedHead
from tracker.importers.inputs import Source
from tracker.store.rows import Prepared

NOT_STATE_TO_STATE = "not a state-to-state event"
SPLIT_ROW = "; a line break inside a field splits its row in two"
"""Said of a tab-separated row with too few fields: the usual cause is a raw line break."""


class ImportFormatError(TrackerError):
    """The format of an input cannot be told, or its header is wrong."""


@dataclass(slots=True)
class Item:
    """A row that became an event. Export records also carry the position they had."""

    line: int
    prepared: Prepared
    seq: int | None = None
    recorded_at: str | None = None
    hash: str | None = None


@dataclass(slots=True)
class Skip:
    """A row that did not become an event: filtered out by design (``error`` is None) or
    invalid (``error`` says which field and value, and why)."""

    line: int
    reason: str
    error: TrackerError | None = None


@dataclass(slots=True)
class HeadLine:
    """The head line of an export (its first line): the tree head its records must make."""

    line: int
    head: CarriedHead


Reader = Callable[[Source], Iterator[Item | Skip | HeadLine]]


def decode_error(
    raw: bytes,
    exc: UnicodeDecodeError,
    columns: Sequence[str] | None = None,
    *,
    what: str = "line",
    hint: str = "",
) -> TrackerError:
    """The error for a line that is not UTF-8, naming the byte where it fails, and for a
    tab-separated row (``columns``: its header, or ``()`` when it has none) the column that
    holds it; ``what`` names a line that is not a row (``header``)."""
    near = raw[max(0, exc.start - 10) : exc.start + 10]
    if columns is None:
        return TrackerError(
            f"{what}: not valid UTF-8 text at byte {exc.start} ({near!r}){hint}",
            field=what,
            value=None,
        )
    index = raw.count(b"\t", 0, exc.start)
    column = columns[index] if index < len(columns) and columns[index] else f"column {index + 1}"
    return TrackerError(
        f"{column}: not valid UTF-8 text at byte {exc.start} of the line ({near!r}){hint}",
        field=column,
        value=None,
    )


def text_lines(src: Source) -> Iterator[tuple[int, str | Skip]]:
    """(line number, text) for every line of a source; a line that is not UTF-8 comes as a
    :class:`Skip` instead of its text."""
    for line, raw in src.lines():
        try:
            yield line, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield line, Skip(line, "not UTF-8", decode_error(raw, exc))
