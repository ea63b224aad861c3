"""Which aggregation mode a store's data calls for: ``sum`` for curated logs, ``mean`` for
bulk coded data (GDELT, ICEWS, POLECAT).

Raw decayed sums over machine-coded news measure how much is written about a pair more than
how the pair gets along: half a day of GDELT saturates most dyads at ±100 in ``sum`` mode. A
store therefore records its model when it is created, and a store whose first events come from
a coded-data import is created in ``mean`` mode (the decayed, confidence-weighted mean
Goldstein value, which volume does not move). Coded data imported into an existing ``sum``
store is kept as it is, and the import says what to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.checkpoints import Projector
    from tracker.store import Store

CODED_FORMATS = frozenset({"gdelt", "icews", "polecat"})
"""Import formats of machine-coded event data."""

MEAN_MODE_SET = (
    "new store for coded {fmt} data: aggregation mode set to mean (the decayed mean Goldstein "
    "value, which the volume of coverage does not inflate); model {fingerprint}"
)
SUM_MODE_WARNING = (
    "coded {fmt} data in a store that sums events: bulk coded data saturates summed scores; "
    "to volume-normalise run `tracker rebuild --mode mean`"
)


def mode_for_source(store: Store, projector: Projector, fmt: str) -> str | None:
    """Called with the format of each source before its rows are read (inside the import's
    transaction). Sets an empty store to ``mean`` mode for coded data; returns a note for the
    import summary, or None."""
    if fmt not in CODED_FORMATS:
        return None
    if projector.model.mode == "mean":
        return None
    if store.count() == 0:
        projector.adopt(projector.model.replace(mode="mean"))
        return MEAN_MODE_SET.format(fmt=fmt, fingerprint=projector.model.fingerprint)
    return SUM_MODE_WARNING.format(fmt=fmt)
