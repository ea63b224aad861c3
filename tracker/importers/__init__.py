"""Bulk import: the tracker's own JSON Lines and CSV, GDELT 1.0/2.0 and ICEWS event files.

This package only re-exports. The pipeline (detection, batching, the all-or-nothing
transaction, the skip report) is :mod:`tracker.importers.pipeline`; what a reader yields is
:mod:`tracker.importers.reader`; opening files (.gz, .zip) is :mod:`tracker.importers.inputs`;
one module per format (:mod:`.jsonl`, :mod:`.csvfile`, :mod:`.gdelt`, :mod:`.icews`, with the
CAMEO coding shared by the last two in :mod:`.cameo`). Importers depend on the store's
protocol (:mod:`tracker.store`), never on the facade.
"""

from __future__ import annotations

from tracker.importers.pipeline import (
    DEFAULT_BATCH_SIZE,
    FORMATS,
    ImportAbortedError,
    ImportSummary,
    Report,
    check_inputs,
    detect,
    import_into,
    reader_for,
    total_bytes,
)
from tracker.importers.reader import NOT_STATE_TO_STATE, ImportFormatError, Item, Reader, Skip

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FORMATS",
    "NOT_STATE_TO_STATE",
    "ImportAbortedError",
    "ImportFormatError",
    "ImportSummary",
    "Item",
    "Reader",
    "Report",
    "Skip",
    "check_inputs",
    "detect",
    "import_into",
    "reader_for",
    "total_bytes",
]
