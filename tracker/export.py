"""``export``: the log as JSON Lines, for a third party (and for ``import`` into another store).

First a head line carrying the log's tree head (size, Merkle root and chain head: see
:mod:`tracker.export_head`), then one record per event in seq order, each the canonical
JSON of ``{"event": {...canonical event...}, "hash": .., "recorded_at": .., "seq": ..}``
(what ``tracker log --json`` prints, compactly). The chain and the tree are checked while
writing: a broken log is not exported, nor one whose stored Merkle tree is not the tree of its
records (the head line is written from the stored tree before the records, and the records' own
tree must end at its root). Records are written from the stored bytes with ``str`` formatting,
not by re-encoding each event: the stored body already is the canonical JSON, and this is the
hot path of exporting a big log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from events.canonical import dumps
from events.errors import TrackerError
from tracker import merkle
from tracker.audit import AuditError, Progress, Ticker, canonical_body
from tracker.export_head import CarriedHead
from tracker.store import GENESIS_HASH, Store, read_snapshot, record_bytes


@dataclass(frozen=True, slots=True)
class ExportResult:
    events: int
    head_seq: int
    head_hash: str
    known_at: int | None
    root: bytes = merkle.EMPTY_ROOT
    """The Merkle root of the exported records (the head line carries it)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "known_at": self.known_at,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "root": self.root.hex(),
        }


def export(
    path: str | Path,
    out: IO[str],
    *,
    known_at: int | datetime | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the log (up to ``known_at``) to ``out`` as JSON Lines: the head line, then one
    canonical ``{"event", "hash", "recorded_at", "seq"}`` record per event, in seq order.

    The chain and the tree are recomputed while writing; a broken log raises
    :class:`AuditError` naming the first bad position (part of the output may have been
    written: write to a temporary file, as :func:`export_file` does).
    """
    ticker = Ticker(progress)
    with read_snapshot(path) as store:
        limit = store.known_seq(known_at)
        size = store.head().seq if limit is None else limit
        carried = _stored_head(store, size)
        out.write(carried.record() + "\n")
        frontier, leaf_hash = merkle.Frontier(), merkle.leaf_hash
        prev, expected = GENESIS_HASH, 1
        for seq, recorded_at, body, stored_hash in store.chain(limit):
            why = _export_fault(seq, expected, recorded_at, body, stored_hash, prev)
            if why is not None:
                raise AuditError(
                    f"seq {seq}: {why}; refusing to export a broken log",
                    field="seq",
                    value=seq,
                )
            out.write(
                f'{{"event":{body},"hash":{dumps(stored_hash)},'
                f'"recorded_at":{dumps(recorded_at)},"seq":{seq}}}\n'
            )
            frontier.append(leaf_hash(record_bytes(body, seq, recorded_at)))
            prev, expected = stored_hash, seq + 1
            ticker.tick()
        ticker.done()
        made = CarriedHead(frontier.size, frontier.root(), prev)
        if made != carried:
            raise AuditError(
                f"the stored tree head is {carried.describe()}, the log's records make "
                f"{made.describe()}; refusing to export (run `tracker verify`)",
                field="tree",
                value=carried.root.hex(),
            )
        return ExportResult(expected - 1, expected - 1, prev, limit, made.root)


def _stored_head(store: Store, size: int) -> CarriedHead:
    """The tree head of the first ``size`` events as the store holds it (its stored tree and
    the chain hash at ``size``)."""
    from tracker.transparency import reader

    try:
        root = merkle.root(size, reader(store))
        row = store.chain_after(size - 1) if size else None
    except TrackerError as exc:
        raise AuditError(
            f"the stored Merkle tree cannot be read ({exc.message}); refusing to export",
            field="tree",
            value=size,
        ) from None
    return CarriedHead(size, root, str(row[3]) if row is not None else GENESIS_HASH)


def _export_fault(
    seq: Any, expected: int, recorded_at: Any, body: Any, stored_hash: Any, prev: str
) -> str | None:
    if seq != expected:
        return f"expected position {expected}"
    if not (
        isinstance(recorded_at, str) and isinstance(body, str) and isinstance(stored_hash, str)
    ):
        return "a column is not text"
    computed = hashlib.sha256(
        prev.encode("ascii") + record_bytes(body, seq, recorded_at)
    ).hexdigest()
    if computed != stored_hash:
        return "hash mismatch"
    _obj, why = canonical_body(body)
    return why


def export_file(
    path: str | Path,
    target: str | Path,
    *,
    known_at: int | datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """:func:`export` into a file, atomically: a temporary file beside it, renamed at the end
    (an error leaves no partial file). An existing file is replaced only with ``force``."""
    from tracker.outputs import AtomicOutput

    with AtomicOutput(target, field="file", store=path, replace=force) as out:
        result = export(path, out.stream, known_at=known_at, progress=progress)
        out.publish()
    return result


__all__ = ["ExportResult", "export", "export_file"]
