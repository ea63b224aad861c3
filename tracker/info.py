"""``tracker info``: what a store holds, at a glance, read through one read-only snapshot.

Its tables and their row counts, its schema version and size (from the backend's
:meth:`~tracker.store.protocol.Store.describe`: ``sqlite-utils`` introspection for a file, the
catalogue for PostgreSQL), the log head (position, chain hash, transaction time), the root of
the Merkle tree over the log and the scoring model the derived tables were computed with.
Nothing is written: a store on read-only media can be described.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.store import Head, read_snapshot
from tracker.store.protocol import StoreDescription


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What :func:`info` found (``to_dict`` is what ``--json`` prints)."""

    description: StoreDescription
    head: Head
    tree_root: str
    """The hex root of the RFC 6962 tree over the whole log (what a checkpoint signs)."""
    model_fingerprint: str | None
    """The fingerprint of the model the checkpoints were computed with (None: none yet)."""
    layout: str | None
    """The layout of the derived tables (None: not created yet)."""

    def to_dict(self) -> dict[str, Any]:
        """What ``tracker info --json`` prints (besides ``format_version`` and ``command``);
        its ``tables`` are the rows of ``--jsonl`` and ``--csv``."""
        d = self.description
        return {
            "store": d.name,
            "backend": d.backend,
            "schema_version": d.schema_version,
            "size_bytes": d.size_bytes,
            "tables": [{"name": name, "rows": rows} for name, rows in d.tables.items()],
            "head": {
                "seq": self.head.seq,
                "hash": self.head.hash,
                "recorded_at": self.head.recorded_at,
            },
            "tree": {"size": self.head.seq, "root": self.tree_root},
            "model_fingerprint": self.model_fingerprint,
            "derived_layout": self.layout,
        }


def info(path: str | Path) -> StoreInfo:
    """Describe the store at ``path`` (a file or a ``postgresql://`` URL), read-only."""
    from tracker.transparency import tree_head

    with read_snapshot(path) as store:
        description = store.describe()
        head = store.head()
        root = tree_head(store).root.hex()
        meta = store.projection_meta()
    return StoreInfo(description, head, root, meta.get("fingerprint"), meta.get("layout"))
