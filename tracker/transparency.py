"""The log's Merkle tree as a third party sees it: tree heads, signed checkpoints, inclusion
proofs, and the check that the log still extends a checkpoint taken earlier.

The store keeps the tree (one leaf per event, the leaf bytes being the record the chain
hashes, see :func:`tracker.store.record_bytes`) in the layout of :mod:`tracker.merkle`; this
module reads it through the ``Store`` protocol's ``tree_hashes`` and hands the results to the
store-free checks of :mod:`tracker.proofs`, the very functions a third party runs.
"""

from __future__ import annotations

import itertools
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
from tracker.store.tree import expand

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
    each checkpoint's root with the recomputed root at its size.

    The stored runs are compared a stretch of bytes at a time while they are well formed (a
    run of whole hashes starting where the last one ended); at the first stretch that differs,
    and from the first odd run on, hash by hash with :func:`tracker.store.tree.expand`, so the
    fault names the first bad position and its event exactly as a hash-by-hash pass would."""

    def __init__(
        self, stored: Iterator[tuple[Any, Any]] | None, heads: Sequence[NamedHead]
    ) -> None:
        from tracker.merkle import Frontier

        self.frontier = Frontier()
        self.runs = stored
        """The stored ``(id, run)`` rows not yet read (None: the store has no tree)."""
        self.stored: Iterator[tuple[Any, Any]] | None = None
        """Once compared hash by hash: the ``(position, hash)`` pairs not yet compared."""
        self.run, self.run_at = b"", 0
        """The well-formed run being compared, and the byte offset reached in it."""
        self.next_id = 0
        self.tree_fault: Fault | None = None
        self.first_bad_leaf: int | None = None
        self.pending = sorted(heads, key=lambda h: h.head.size)
        self.diverged: list[tuple[NamedHead, bytes]] = []
        self.matched: list[NamedHead] = []
        self._reached()

    def feed(self, first_seq: int, records: Sequence[bytes]) -> None:
        """The next verified events, seq ``first_seq`` on, by their record bytes
        (:func:`tracker.store.record_bytes`, which the chain pass has just hashed)."""
        done = 0
        while done < len(records):
            end = len(records)
            if self.pending:  # stop at the next checkpoint's size to compare its root
                end = min(end, done + max(1, self.pending[0].head.size - self.frontier.size))
            hashes = b"".join(self.frontier.extend(merkle.leaf_hashes(records[done:end])))
            if self.runs is not None and self.tree_fault is None:
                self._compare(first_seq + done, hashes)
            self.next_id += len(hashes) // merkle.HASH_SIZE
            done = end
            if self.pending:
                self._reached()

    def _compare(self, first_seq: int, hashes: bytes) -> None:
        """Compare ``hashes`` (positions ``next_id`` on, made by the events from seq
        ``first_seq``) with the stored ones."""
        assert self.runs is not None
        size, done, view = merkle.HASH_SIZE, 0, memoryview(hashes)
        while done < len(hashes) and self.stored is None:
            position = self.next_id + done // size
            if self.run_at == len(self.run):
                got = next(self.runs, None)
                data = bytes(got[1]) if got and isinstance(got[1], memoryview) else None
                data = got[1] if got and isinstance(got[1], bytes) else data
                if got is None or got[0] != position or not data or len(data) % size:
                    self.stored = expand(itertools.chain([got] if got else [], self.runs))
                    self.run, self.run_at = b"", 0
                    break
                self.run, self.run_at = data, 0
            k = min(len(hashes) - done, len(self.run) - self.run_at)
            if view[done : done + k] != memoryview(self.run)[self.run_at : self.run_at + k]:
                rest = [(position, self.run[self.run_at :])]
                self.stored = expand(itertools.chain(rest, self.runs))
                self.run, self.run_at = b"", 0
                break
            done, self.run_at = done + k, self.run_at + k
        if self.stored is not None:
            self._compare_each(first_seq, view[done:], self.next_id + done // size)

    def _compare_each(self, first_seq: int, hashes: memoryview, start: int) -> None:
        """Hash by hash: ``hashes`` are those at positions ``start`` on (of events from seq
        ``first_seq``); the first that the stored tree lacks or differs in is the fault."""
        assert self.stored is not None
        leaf = first_seq - 1  # the event (leaf index) whose append made the hash at position
        for k in range(0, len(hashes), merkle.HASH_SIZE):
            position = start + k // merkle.HASH_SIZE
            while merkle.stored_count(leaf + 1) <= position:
                leaf += 1
            seq = leaf + 1
            got = next(self.stored, None)
            if got is None:
                self.tree_fault = Fault(
                    "tree",
                    "the Merkle tree has no hash for this event: it was added without the "
                    "tree (a forged row?)",
                    seq=seq,
                )
                return
            if (
                got[0] != position
                or not isinstance(got[1], bytes)
                or got[1] != bytes(hashes[k : k + merkle.HASH_SIZE])
            ):
                self.first_bad_leaf = seq
                self.tree_fault = Fault(
                    "tree",
                    f"stored tree hash {got[0]!r} is not the one this event's record makes: "
                    "the log (or its tree) was rewritten from here",
                    seq=seq,
                )
                return

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
        if self.runs is not None and self.tree_fault is None and verified == head_seq:
            left = self.stored or expand(self.runs)  # the stored hashes not compared
            extra = (len(self.run) - self.run_at) // merkle.HASH_SIZE + sum(1 for _ in left)
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
