"""The log's Merkle tree as a third party sees it: tree heads, signed checkpoints, inclusion
proofs, and the check that the log still extends a checkpoint taken earlier.

The store keeps the tree (one leaf per event, the leaf bytes being the record the chain
hashes, see :func:`tracker.store.record_bytes`) in the layout of :mod:`tracker.merkle`; this
module reads it through the ``Store`` protocol's ``tree_hashes`` and hands the results to the
store-free checks of :mod:`tracker.proofs`, the very functions a third party runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from events.errors import TrackerError
from tracker import merkle
from tracker.audit import Fault
from tracker.proofs import check_consistency, check_inclusion, inclusion_document
from tracker.signed_note import SignerKey, TreeHead, VerifierKey, read_checkpoint, sign_checkpoint
from tracker.store import Head, Row, record_bytes

DEFAULT_ORIGIN = "relations-tracker"
"""The origin line of an unsigned checkpoint when none is given (a signed one carries its
key's name, as C2SP tlog-checkpoint recommends)."""


class TreeStore(Protocol):
    """What this module needs of a store (a part of the ``Store`` protocol)."""

    def head(self) -> Head: ...

    def row_by_id(self, event_id: str) -> Row | None: ...

    def tree_hashes(self, ids: Sequence[int]) -> list[bytes]: ...

    def meta(self) -> dict[str, str]: ...


class TransparencyError(TrackerError):
    """A proof or checkpoint that cannot be made (unknown event, a checkpoint the log does not
    extend)."""


def reader(store: TreeStore) -> merkle.HashReader:
    """A :data:`merkle.HashReader` over the store's stored tree hashes."""

    def read(level: int, index: int) -> bytes:
        return store.tree_hashes([merkle.stored_index(level, index)])[0]

    return read


def tree_head(store: TreeStore, origin: str = DEFAULT_ORIGIN, size: int | None = None) -> TreeHead:
    """The head of the tree of the whole log (or of its first ``size`` events)."""
    head_seq = store.head().seq
    n = head_seq if size is None else size
    if not 0 <= n <= head_seq:
        raise TransparencyError(
            f"tree size {n}: the log has {head_seq} events", field="tree_size", value=n
        )
    return TreeHead(origin, n, merkle.root(n, reader(store)))


def checkpoint(
    store: TreeStore, *, signer: SignerKey | None = None, origin: str | None = None
) -> str:
    """The current tree head as a C2SP checkpoint note, signed by ``signer`` if given (its
    origin is then the key's name unless ``origin`` says otherwise)."""
    name = origin or (signer.name if signer else DEFAULT_ORIGIN)
    head = tree_head(store, name)
    created = store.meta().get("created_at")
    if created:  # binds the store's birth certificate: an edited meta row then shows
        head = TreeHead(head.origin, head.size, head.root, (CREATED_AT + created,))
    return sign_checkpoint(head, [signer] if signer else [])


def prove(store: TreeStore, event_id: str, at: TreeHead | None = None) -> dict[str, Any]:
    """The inclusion proof of one event (the JSON document :func:`check_inclusion` reads), in
    the tree of the whole log or, with ``at``, in that checkpoint's tree (which the log must
    still extend)."""
    row = store.row_by_id(event_id)
    if row is None:
        raise TransparencyError(
            f"event_id {event_id!r}: not in the log", field="event_id", value=event_id
        )
    read = reader(store)
    if at is not None:
        extends(store, at)
        if row.seq > at.size:
            raise TransparencyError(
                f"event_id {event_id!r}: at seq {row.seq}, after the checkpoint's tree size "
                f"{at.size} (it was appended later)",
                field="event_id",
                value=event_id,
            )
    size = at.size if at is not None else store.head().seq
    doc = inclusion_document(
        event_id=event_id,
        leaf_index=row.seq - 1,
        tree_size=size,
        root=merkle.root(size, read),
        record=record_bytes(row.body, row.seq, row.recorded_at),
        audit_path=merkle.inclusion_proof(row.seq - 1, size, read),
        origin=at.origin if at is not None else None,
    )
    check_inclusion(doc, at)  # what the third party will run: never hand out a bad proof
    return doc


@dataclass(frozen=True, slots=True)
class Extension:
    """The log extends a checkpoint: the proof from its size to the current head."""

    checkpoint: TreeHead
    head: TreeHead
    proof: tuple[bytes, ...]
    signed_by: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": {
                "origin": self.checkpoint.origin,
                "tree_size": self.checkpoint.size,
                "root": self.checkpoint.root.hex(),
                "signed_by": list(self.signed_by),
            },
            "head": {"tree_size": self.head.size, "root": self.head.root.hex()},
            "consistency_proof": [h.hex() for h in self.proof],
        }


def check_checkpoint(store: TreeStore, note: str, keys: Sequence[VerifierKey] = ()) -> Extension:
    """Check a checkpoint note (its signature, with ``keys``) and that the log extends it:
    a consistency proof from its size to the current head, checked as a third party would.
    A truncated, rewritten or forked log raises :class:`ProofError` naming the tree size."""
    opened = read_checkpoint(note, keys)
    return extends(store, opened.head, opened.signed_by)


def extends(store: TreeStore, old: TreeHead, signed_by: tuple[str, ...] = ()) -> Extension:
    head_seq = store.head().seq
    read = reader(store)
    new = TreeHead(old.origin, head_seq, merkle.root(head_seq, read))
    # a shorter log is named truncated by check_consistency before any proof is needed
    proof = merkle.consistency_proof(old.size, head_seq, read) if head_seq >= old.size else []
    check_consistency(old, new, proof)
    return Extension(old, new, tuple(proof), signed_by)


# -- from a store file (what the commands call) ----------------------------------------------


def checkpoint_file(
    path: str | Path, *, signer: SignerKey | None = None, origin: str | None = None
) -> str:
    """:func:`checkpoint` of the store at ``path``, read-only (works on read-only media)."""
    from tracker.store import read_snapshot

    with read_snapshot(path) as store:
        return checkpoint(store, signer=signer, origin=origin)


def prove_file(path: str | Path, event_id: str, at: TreeHead | None = None) -> dict[str, Any]:
    """:func:`prove` in the store at ``path``, read-only."""
    from tracker.store import read_snapshot

    with read_snapshot(path) as store:
        return prove(store, event_id, at)


# -- verify's tree pass ----------------------------------------------------------------------

CREATED_AT = "created_at "
"""Prefix of the checkpoint extension line that binds the store's ``meta.created_at``."""


@dataclass(frozen=True, slots=True)
class NamedHead:
    """A checkpoint given to ``verify``: where it came from, its head, who signed it."""

    name: str
    head: TreeHead
    signed_by: tuple[str, ...] = ()

    def created_at(self) -> str | None:
        return next(
            (e.removeprefix(CREATED_AT) for e in self.head.extensions if e.startswith(CREATED_AT)),
            None,
        )


class TreeCheck:
    """Fed every verified row in log order by ``verify``'s chain pass: recomputes the Merkle
    tree from the records (O(log n) memory), compares each hash with the stored tree, and
    each checkpoint's root with the recomputed root at its size."""

    def __init__(
        self, stored: Iterator[tuple[Any, Any]] | None, heads: Sequence[NamedHead]
    ) -> None:
        from tracker.merkle import Frontier

        self.frontier = Frontier()
        self.stored = stored
        self.next_id = 0
        self.tree_fault: Fault | None = None
        self.first_bad_leaf: int | None = None
        self.pending = sorted(heads, key=lambda h: h.head.size)
        self.diverged: list[tuple[NamedHead, bytes]] = []
        self.matched: list[NamedHead] = []
        self._reached()

    def feed(self, seq: int, record: bytes) -> None:
        """The next verified event, by its record bytes (:func:`tracker.store.record_bytes`,
        which the chain pass has just hashed)."""
        hashes = self.frontier.append(merkle.leaf_hash(record))
        stored = self.stored
        if stored is not None and self.tree_fault is None:
            for position, h in enumerate(hashes, self.next_id):
                got = next(stored, None)
                if got is None:
                    self.tree_fault = Fault(
                        "tree",
                        "the Merkle tree has no hash for this event: it was added without the "
                        "tree (a forged row?)",
                        seq=seq,
                    )
                    break
                if got[0] != position or not isinstance(got[1], bytes) or got[1] != h:
                    self.first_bad_leaf = seq
                    self.tree_fault = Fault(
                        "tree",
                        f"stored tree hash {got[0]!r} is not the one this event's record makes: "
                        "the log (or its tree) was rewritten from here",
                        seq=seq,
                    )
                    break
        self.next_id += len(hashes)
        if self.pending:
            self._reached()

    def _reached(self) -> None:
        while self.pending and self.pending[0].head.size == self.frontier.size:
            named = self.pending.pop(0)
            got = self.frontier.root()
            if got == named.head.root:
                self.matched.append(named)
            else:
                self.diverged.append((named, got))

    def finish(self, head_seq: int, verified: int) -> list[Fault]:
        faults = [self.tree_fault] if self.tree_fault is not None else []
        if self.stored is not None and self.tree_fault is None and verified == head_seq:
            extra = sum(1 for _ in self.stored)
            if extra:
                faults.append(
                    Fault(
                        "tree",
                        f"the Merkle tree holds {extra} hashes more than the log's {head_seq} "
                        "events make: events were removed from the end",
                        seq=head_seq + 1,
                    )
                )
        for named, got in self.diverged:
            size = named.head.size
            at = (
                f"it diverges at tree size {self.first_bad_leaf}"
                if self.first_bad_leaf is not None and self.first_bad_leaf <= size
                else f"it diverges at or before tree size {size}"
            )
            faults.append(
                Fault(
                    "checkpoint",
                    f"checkpoint {named.name}: the log's first {size} events make root "
                    f"{got.hex()[:16]}…, not the checkpoint's {named.head.root.hex()[:16]}…: "
                    f"the log was rewritten or forked; {at}",
                    seq=self.first_bad_leaf if self.first_bad_leaf is not None else size,
                )
            )
        for named in self.pending:
            size = named.head.size
            if head_seq < size:
                faults.append(
                    Fault(
                        "checkpoint",
                        f"checkpoint {named.name} is of tree size {size}, the log has "
                        f"{head_seq} events: truncated, it diverges at tree size "
                        f"{head_seq + 1}",
                        seq=head_seq + 1,
                    )
                )
            else:
                faults.append(
                    Fault(
                        "checkpoint",
                        f"checkpoint {named.name} (tree size {size}) cannot be checked: the "
                        f"chain is broken after seq {verified}",
                    )
                )
        return faults
