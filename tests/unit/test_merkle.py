"""The Merkle tree matches RFC 6962 / RFC 9162 §2.1 on the published test vectors.

Vectors: the eight leaves, their roots, inclusion and consistency proofs used by the
Certificate Transparency implementations, as kept in transparency-dev/merkle
``proof/verify_test.go`` (commit 02194e9afb6c1d95b5381350007963aa70fff472), and the hasher
vectors of ``rfc6962/rfc6962_test.go`` (commit 78493b07ef9b552e3379abf9e23d4da26fbe797c).
"""

from __future__ import annotations

import hashlib

import pytest

from tracker import merkle
from tracker.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    MerkleError,
    leaf_hash,
    node_hash,
    stored_count,
    stored_index,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (1-based leaf, tree size, audit path)
INCLUSION = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (3, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        2,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (size1, size2, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    return MemoryTree(LEAVES)


@pytest.mark.parametrize(
    ("got", "want"),
    [
        (EMPTY_ROOT, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (leaf_hash(b""), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (leaf_hash(b"L123456"), "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
        (
            node_hash(b"N123", b"N456"),
            "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb",
        ),
    ],
    ids=["empty tree", "empty leaf", "leaf", "node"],
)
def test_hashing_is_rfc6962(got: bytes, want: str) -> None:
    assert got.hex() == want


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) != node_hash(b, a)


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_each_prefix_matches_the_vectors(tree: MemoryTree, size: int) -> None:
    assert tree.root(size) == ROOTS[size - 1]
    assert MemoryTree(LEAVES[:size]).root() == ROOTS[size - 1]


def test_empty_tree_has_the_hash_of_nothing() -> None:
    assert MemoryTree().root() == EMPTY_ROOT
    assert Frontier().root() == hashlib.sha256(b"").digest()


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_vectors_and_verify(
    tree: MemoryTree, leaf: int, size: int, path: list[bytes]
) -> None:
    assert tree.inclusion_proof(leaf - 1, size) == path
    assert verify_inclusion(leaf_hash(LEAVES[leaf - 1]), leaf - 1, size, path, ROOTS[size - 1])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors_and_verify(
    tree: MemoryTree, size1: int, size2: int, proof: list[bytes]
) -> None:
    assert tree.consistency_proof(size1, size2) == proof
    assert verify_consistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], proof)


def _inclusion_probes(
    index: int, size: int, path: list[bytes], root: bytes, leaf: bytes
) -> dict[str, tuple[int, int, list[bytes], bytes, bytes]]:
    probes = {
        "index - 1": (index - 1, size, path, root, leaf),
        "index + 1": (index + 1, size, path, root, leaf),
        "index ^ 2": (index ^ 2, size, path, root, leaf),
        "size * 2": (index, size * 2, path, root, leaf),
        "size // 2": (index, size // 2, path, root, leaf),
        "wrong leaf": (index, size, path, root, leaf_hash(b"WrongLeaf")),
        "empty root": (index, size, path, EMPTY_ROOT, leaf),
        "random root": (index, size, path, SOME_HASH, leaf),
        "trailing root": (index, size, [*path, root], root, leaf),
        "preceding root": (index, size, [root, *path], root, leaf),
        "short hash in path": (index, size, [*path, b""], root, leaf),
    }
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes[f"proof[{i}] bit flipped"] = (index, size, flipped, root, leaf)
    if path:
        probes["last element removed"] = (index, size, path[:-1], root, leaf)
    if len(path) > 1:
        probes["element inserted"] = (index, size, [path[0], SOME_HASH, *path[1:]], root, leaf)
    return probes


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_fail(leaf: int, size: int, path: list[bytes]) -> None:
    probes = _inclusion_probes(leaf - 1, size, path, ROOTS[size - 1], leaf_hash(LEAVES[leaf - 1]))
    passed = [name for name, (i, n, p, r, lh) in probes.items() if verify_inclusion(lh, i, n, p, r)]
    assert passed == []


@pytest.mark.parametrize(("size1", "size2", "proof"), [c for c in CONSISTENCY if c[2]])
def test_corrupted_consistency_proofs_fail(size1: int, size2: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    probes = {
        "size1 - 1": (size1 - 1, size2, r1, r2, proof),
        "size1 + 1": (size1 + 1, size2, r1, r2, proof),
        "size1 ^ 2": (size1 ^ 2, size2, r1, r2, proof),
        "size2 * 2": (size1, size2 * 2, r1, r2, proof),
        "size2 // 2": (size1, size2 // 2, r1, r2, proof),
        "wrong root1": (size1, size2, SOME_HASH, r2, proof),
        "wrong root2": (size1, size2, r1, SOME_HASH, proof),
        "swapped roots": (size1, size2, r2, r1, proof),
        "empty proof": (size1, size2, r1, r2, []),
        "trailing root1": (size1, size2, r1, r2, [*proof, r1]),
        "trailing root2": (size1, size2, r1, r2, [*proof, r2]),
        "preceding root1": (size1, size2, r1, r2, [r1, *proof]),
        "preceding root2": (size1, size2, r1, r2, [r2, *proof]),
        "preceding proof[0]": (size1, size2, r1, r2, [proof[0], *proof]),
        "truncated": (size1, size2, r1, r2, proof[:-1]),
    }
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes[f"proof[{i}] bit flipped"] = (size1, size2, r1, r2, flipped)
    passed = [name for name, args in probes.items() if verify_consistency(*args)]
    assert passed == []


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "verifies"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 5, EMPTY_ROOT, ROOTS[4], [], True),
        (3, 3, ROOTS[2], ROOTS[2], [], True),
        (3, 3, ROOTS[2], ROOTS[3], [], False),
        (3, 3, ROOTS[2], ROOTS[2], [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, ROOTS[0], [EMPTY_ROOT], False),
        (2, 1, ROOTS[1], ROOTS[0], [], False),
        (1, 2, ROOTS[0], ROOTS[1], [], False),
    ],
    ids=[
        "empty to empty",
        "empty to any",
        "same size, same root",
        "same size, other root",
        "same size, non-empty proof",
        "from empty, non-empty proof",
        "back in time",
        "growth with no proof",
    ],
)
def test_consistency_edge_cases(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], verifies: bool
) -> None:
    assert verify_consistency(size1, size2, root1, root2, proof) is verifies


@pytest.mark.parametrize(
    ("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 3)], ids=["0/0", "1/0", "2/1", "-1/3"]
)
def test_inclusion_outside_the_tree_fails(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)


def test_single_leaf_tree_root_is_the_leaf_hash() -> None:
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(b"", 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")


def test_stored_layout_is_append_order() -> None:
    """Each append writes the leaf and the subtrees it completes, at the end of the sequence."""
    t = MemoryTree()
    for n in range(300):
        before = len(t.hashes)
        t.append(n.to_bytes(2, "big"))
        assert before == stored_index(0, n)
        assert len(t.hashes) == stored_count(n + 1)
        assert t.read(0, n) == leaf_hash(n.to_bytes(2, "big"))
    for level in range(1, 8):
        for index in range((300 >> level) - 1):
            left, right = t.read(level - 1, 2 * index), t.read(level - 1, 2 * index + 1)
            assert t.read(level, index) == node_hash(left, right)


def test_frontier_loaded_from_stored_hashes_continues_the_tree() -> None:
    t = MemoryTree(LEAVES[:5])
    resumed = Frontier.load(5, t.read)
    stored = list(t.hashes)
    for data in LEAVES[5:]:
        stored += resumed.append(leaf_hash(data))
    assert resumed.root() == ROOTS[7]
    assert stored == MemoryTree(LEAVES).hashes


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.inclusion_proof(8, 8), "leaf index 8 is not in a tree of 8"),
        (lambda t: t.inclusion_proof(0, 9), "tree size 9: the tree has 8"),
        (lambda t: t.consistency_proof(5, 3), "no consistency proof from tree size 5 to 3"),
        (lambda t: merkle.subtree_hash(1, 4, t.read), "not a subtree"),
        (lambda t: Frontier(3, [SOME_HASH]), "a frontier of 3 leaves has 2 hashes"),
    ],
    ids=["index past the end", "size past the end", "shrinking", "unaligned range", "frontier"],
)
def test_impossible_requests_are_refused(tree: MemoryTree, call: object, message: str) -> None:
    with pytest.raises(MerkleError, match=message):
        call(tree)  # type: ignore[operator]
