"""The Merkle tree over the log: RFC 6962 / RFC 9162 §2.1 hashing, roots, inclusion and
consistency proofs, and the append-only layout the store keeps the tree's hashes in.

Pure: no database, file or clock. Hashes are 32-byte ``bytes``.

Hashing (RFC 9162 §2.1.1): a leaf is ``SHA-256(0x00 || leaf bytes)``, an interior node
``SHA-256(0x01 || left || right)``, the empty tree ``SHA-256("")``; a tree of ``n > 1`` leaves
splits at the largest power of two smaller than ``n``.

Stored layout: the hash of every *complete* subtree (``2**level`` leaves starting at leaf
``index * 2**level``), numbered in the order the hashes become known as leaves are appended
(the layout Go's ``golang.org/x/mod/sumdb/tlog`` uses). Leaf ``n`` is stored at
``2n - popcount(n)``, followed by the subtrees it completes, lowest first; a tree of ``n``
leaves holds ``2n - popcount(n)`` hashes. So an append writes ``1 + trailing_zeros(n + 1)``
hashes (two on average) to the end of an append-only sequence and reads only the frontier,
and any proof reads O(log n) stored hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from events.errors import TrackerError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

HashReader = Callable[[int, int], bytes]
"""``read(level, index)``: the stored hash of the complete subtree of ``2**level`` leaves
starting at leaf ``index * 2**level``."""


class MerkleError(TrackerError):
    """A tree size, leaf index or range that does not exist (a caller's mistake, not damage)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def leaf_hashes(records: Iterable[bytes]) -> list[bytes]:
    """:func:`leaf_hash` of each record, in one loop (the bulk paths: import and verify)."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + data).digest() for data in records]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# -- the stored layout ------------------------------------------------------------------------


def stored_index(level: int, index: int) -> int:
    """Position of subtree ``(level, index)`` in the stored sequence of hashes."""
    last_leaf = ((index + 1) << level) - 1
    return 2 * last_leaf - last_leaf.bit_count() + level


def stored_count(size: int) -> int:
    """How many hashes a tree of ``size`` leaves stores."""
    return 2 * size - size.bit_count()


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """``(level, index)`` of the maximal complete subtrees of a tree of ``size`` leaves, left to
    right: the only stored hashes an append needs."""
    nodes: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


class Frontier:
    """The right edge of a tree (a compact range over ``[0, size)``): enough to append a leaf
    and to compute the root, in O(log n) time and space."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise MerkleError(
                f"a frontier of {size} leaves has {max(size, 0).bit_count()} hashes, "
                f"not {len(hashes)}"
            )
        self.size = size
        self.hashes = list(hashes)

    @classmethod
    def load(cls, size: int, read: HashReader) -> Frontier:
        return cls(size, [read(level, index) for level, index in frontier_nodes(size)])

    def append(self, leaf: bytes) -> list[bytes]:
        """Add one leaf hash; return the hashes to store, in stored order (the leaf, then each
        subtree it completes). (``verify`` calls it once per event: the loop of
        :meth:`extend`, for one leaf.)"""
        stack, out, h, m = self.hashes, [leaf], leaf, self.size
        while m & 1:
            h = hashlib.sha256(b"\x01" + stack.pop() + h).digest()
            out.append(h)
            m >>= 1
        stack.append(h)
        self.size += 1
        return out

    def extend(self, leaves: Iterable[bytes]) -> list[bytes]:
        """Add leaf hashes in order; return the hashes to store, in stored order. (The
        append path of bulk imports: one loop, hashing inlined.)"""
        sha256, stack, out = hashlib.sha256, self.hashes, []
        n = self.size
        for leaf in leaves:
            out.append(leaf)
            h, m = leaf, n
            while m & 1:
                h = sha256(b"\x01" + stack.pop() + h).digest()
                out.append(h)
                m >>= 1
            stack.append(h)
            n += 1
        self.size = n
        return out

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)


# -- subtree hashes and proofs over stored hashes ---------------------------------------------


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n > 1``): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(lo: int, hi: int, read: HashReader) -> bytes:
    """MTH of leaves ``[lo, hi)`` from stored complete subtrees, for the ranges the RFC's
    recursion produces: the whole tree's prefix (``lo == 0``) or a right part whose start is
    a multiple of a power of two at least its length."""
    if not 0 <= lo < hi:
        raise MerkleError(f"leaf range [{lo}, {hi}) is empty or negative")
    if lo and (lo & -lo) < hi - lo:
        raise MerkleError(f"leaf range [{lo}, {hi}) is not a subtree of an RFC 6962 tree")
    parts: list[bytes] = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        parts.append(read(level, lo >> level))
        lo += 1 << level
    h = parts[-1]
    for left in reversed(parts[:-1]):
        h = node_hash(left, h)
    return h


def root(size: int, read: HashReader) -> bytes:
    """The root of the first ``size`` leaves (any size up to what is stored)."""
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, read)


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise MerkleError(f"leaf index {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(subtree_hash(lo + k, hi, read))
            hi = lo + k
        else:
            path.append(subtree_hash(lo, lo + k, read))
            lo += k
    path.reverse()  # the recursion appends outermost first; the proof lists leaf side first
    return path


def consistency_proof(size1: int, size2: int, read: HashReader) -> list[bytes]:
    """Proof that the tree of ``size1`` leaves is a prefix of the tree of ``size2`` leaves
    (RFC 9162 §2.1.4.1); empty when ``size1`` is 0 or equal to ``size2``."""
    if not 0 <= size1 <= size2:
        raise MerkleError(f"no consistency proof from tree size {size1} to {size2}")
    if size1 in (0, size2):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, size2, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(subtree_hash(lo + k, hi, read))
            hi = lo + k
        else:
            proof.append(subtree_hash(lo, lo + k, read))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(subtree_hash(lo, hi, read))
    proof.reverse()
    return proof


# -- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) --------------------------------------------


def _well_formed(hashes: Iterable[bytes]) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to, or None if the proof's shape cannot be right."""
    if not 0 <= index < size or not _well_formed([leaf, *proof]):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``(size, root)``."""
    return root_from_inclusion(leaf, index, size, proof) == root_hash


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(size1, root1)`` is a prefix of ``(size2, root2)``."""
    if not 0 <= size1 <= size2 or not _well_formed([root1, root2, *proof]):
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof  # every tree extends the empty one
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# -- an in-memory tree (for verifiers working from an exported log, and for tests) ------------


class MemoryTree:
    """A tree held as its stored-hash sequence in a list: the same layout the store writes."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.hashes: list[bytes] = []
        self.frontier = Frontier()
        for data in leaves:
            self.append(data)

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, data: bytes) -> None:
        """Add a leaf by its bytes (hashed here)."""
        self.hashes += self.frontier.append(leaf_hash(data))

    def read(self, level: int, index: int) -> bytes:
        return self.hashes[stored_index(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return self.frontier.root() if size is None else root(self._size(size), self.read)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._size(size), self.read)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(size1, self._size(size2), self.read)

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise MerkleError(f"tree size {size}: the tree has {self.size} leaves")
        return size
