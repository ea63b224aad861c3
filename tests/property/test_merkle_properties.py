"""Random logs: the stored-hash tree agrees with the RFC's recursive definition, every proof it
makes verifies, and any single-byte change to a leaf, a stored node or a proof is caught."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    inclusion_proof,
    leaf_hash,
    node_hash,
    stored_count,
    stored_index,
    verify_consistency,
    verify_inclusion,
)
from tracker.merkle import root as merkle_root

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

logs = st.lists(st.binary(max_size=24), min_size=1, max_size=70)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, literally: the naive fold the fast paths are compared with."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def _flip(data: bytes, at: int, mask: int) -> bytes:
    at %= len(data)
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


@SETTINGS
@given(logs, st.data())
def test_root_of_every_prefix_is_the_recursive_definition(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MemoryTree(leaves)
    size = data.draw(st.integers(0, len(leaves)))
    assert tree.root(size) == mth(leaves[:size])
    assert tree.root() == mth(leaves)


@SETTINGS
@given(logs)
def test_every_inclusion_proof_verifies(leaves: list[bytes]) -> None:
    tree = MemoryTree(leaves)
    for size in {len(leaves), max(1, len(leaves) // 2)}:
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)


@SETTINGS
@given(logs, st.data())
def test_every_consistency_proof_between_random_sizes_verifies(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MemoryTree(leaves)
    size2 = data.draw(st.integers(0, len(leaves)))
    size1 = data.draw(st.integers(0, size2))
    proof = tree.consistency_proof(size1, size2)
    assert verify_consistency(size1, size2, mth(leaves[:size1]), mth(leaves[:size2]), proof)


@SETTINGS
@given(logs, st.data())
def test_a_changed_leaf_byte_fails_its_proof(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    original = leaves[index]
    if original:
        changed = _flip(original, data.draw(st.integers(0, 255)), data.draw(st.integers(1, 255)))
    else:
        changed = b"\x00"
    proof = tree.inclusion_proof(index)
    assert not verify_inclusion(leaf_hash(changed), index, len(leaves), proof, tree.root())
    assert mth([*leaves[:index], changed, *leaves[index + 1 :]]) != tree.root()


@SETTINGS
@given(logs, st.data())
def test_a_changed_stored_node_byte_fails_every_proof_that_uses_it(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MemoryTree(leaves)
    size, root = len(leaves), tree.root()
    position = data.draw(st.integers(0, stored_count(size) - 1))
    damaged = list(tree.hashes)
    damaged[position] = _flip(
        damaged[position], data.draw(st.integers(0, 31)), data.draw(st.integers(1, 255))
    )

    def read(level: int, index: int) -> bytes:
        return damaged[stored_index(level, index)]

    failures = 0
    for index in range(size):
        proof = inclusion_proof(index, size, read)
        verified = verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
        assert verified == (proof == tree.inclusion_proof(index))
        failures += not verified
    # a node no audit path uses is the root itself (a power-of-two tree): the root read from
    # the damaged hashes differs instead
    assert failures or merkle_root(size, read) != root
    assert failures or position == stored_count(size) - 1


@SETTINGS
@given(logs, st.data())
def test_a_changed_proof_byte_fails(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree(leaves)
    size2 = len(leaves)
    index = data.draw(st.integers(0, size2 - 1))
    path = tree.inclusion_proof(index)
    if path:
        at = data.draw(st.integers(0, len(path) - 1))
        bad = list(path)
        bad[at] = _flip(bad[at], data.draw(st.integers(0, 31)), data.draw(st.integers(1, 255)))
        assert not verify_inclusion(leaf_hash(leaves[index]), index, size2, bad, tree.root())
    size1 = data.draw(st.integers(1, size2))
    proof = tree.consistency_proof(size1, size2)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[at] = _flip(bad[at], data.draw(st.integers(0, 31)), data.draw(st.integers(1, 255)))
        assert not verify_consistency(size1, size2, tree.root(size1), tree.root(), bad)
