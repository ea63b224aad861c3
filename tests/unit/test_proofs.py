"""The store-free verifier: inclusion proofs, consistency and exported logs checked from their
texts alone, and every kind of tampering named."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from events.canonical import dumps
from tracker.merkle import MemoryTree
from tracker.proofs import (
    ProofError,
    check_consistency,
    check_export,
    check_inclusion,
    inclusion_document,
)
from tracker.signed_note import TreeHead
from tracker.store import GENESIS_HASH, record_bytes

ORIGIN = "example.org/log"


def _events(n: int, *, tag: str = "") -> list[dict[str, Any]]:
    return [{"event_id": f"e{i}{tag}", "type": "praise", "n": i} for i in range(1, n + 1)]


def _export(events: list[dict[str, Any]]) -> list[str]:
    """Export lines as ``tracker export`` writes them (chained)."""
    lines, prev = [], GENESIS_HASH
    for seq, event in enumerate(events, start=1):
        stamp = f"2026-01-01T00:00:{seq % 60:02d}.000000Z"
        prev = hashlib.sha256(prev.encode() + record_bytes(dumps(event), seq, stamp)).hexdigest()
        lines.append(dumps({"event": event, "hash": prev, "recorded_at": stamp, "seq": seq}) + "\n")
    return lines


def _records(lines: list[str]) -> list[bytes]:
    out = []
    for line in lines:
        rec = json.loads(line)
        out.append(record_bytes(dumps(rec["event"]), rec["seq"], rec["recorded_at"]))
    return out


def _head(lines: list[str], size: int | None = None) -> TreeHead:
    tree = MemoryTree(_records(lines))
    size = tree.size if size is None else size
    return TreeHead(ORIGIN, size, tree.root(size))


def _proof(lines: list[str], index: int, size: int | None = None) -> dict[str, Any]:
    records = _records(lines)
    tree = MemoryTree(records)
    size = tree.size if size is None else size
    return inclusion_document(
        event_id=f"e{index + 1}",
        leaf_index=index,
        tree_size=size,
        root=tree.root(size),
        record=records[index],
        audit_path=tree.inclusion_proof(index, size),
    )


LINES = _export(_events(11))


def test_an_inclusion_proof_checks_against_its_checkpoint() -> None:
    proved = check_inclusion(_proof(LINES, 4), _head(LINES))
    assert (proved.leaf_index, proved.tree_size, proved.event_id) == (4, 11, "e5")


def test_the_proof_document_is_json() -> None:
    doc = _proof(LINES, 0)
    assert check_inclusion(json.loads(json.dumps(doc))).leaf_index == 0
    assert set(doc) == {
        "event_id",
        "leaf_index",
        "tree_size",
        "root",
        "leaf_hash",
        "record",
        "audit_path",
    }


def _altered(field: str, value: Any) -> dict[str, Any]:
    doc = _proof(LINES, 4)
    doc[field] = value(doc[field]) if callable(value) else value
    return doc


def _flip_hex(h: str) -> str:
    return ("1" if h[0] == "0" else "0") + h[1:]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_altered("record", lambda r: r.replace('"n":5', '"n":6')), "does not hash to leaf_hash"),
        (_altered("leaf_hash", _flip_hex), "does not hash to leaf_hash"),
        (_altered("audit_path", lambda p: [_flip_hex(p[0]), *p[1:]]), "audit path does not lead"),
        (_altered("audit_path", lambda p: p[:-1]), "audit path does not lead"),
        (_altered("root", _flip_hex), "audit path does not lead"),
        (_altered("tree_size", 6), "audit path does not lead"),
        (_altered("tree_size", 4), "leaf_index 4 is not in a tree of 4"),
        (_altered("leaf_index", 5), "at seq 5, not at leaf 5"),
        (_altered("leaf_index", -1), "not a non-negative integer"),
        (_altered("root", "zz"), "not a 64-digit hex hash"),
        (_altered("audit_path", "x"), "is not a list"),
    ],
    ids=[
        "record",
        "leaf hash",
        "path element",
        "path shortened",
        "root",
        "tree size",
        "tree too small",
        "leaf index",
        "negative index",
        "root not hex",
        "path not a list",
    ],
)
def test_an_altered_inclusion_proof_fails(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ProofError, match=message):
        check_inclusion(doc)


def test_an_inclusion_proof_for_another_size_or_root_does_not_check_against_a_checkpoint() -> None:
    with pytest.raises(ProofError, match="made for tree size 11, the checkpoint is of size 8"):
        check_inclusion(_proof(LINES, 4), _head(LINES, 8))
    forked = _export([*_events(4), *_events(11, tag="x")[4:]])
    with pytest.raises(ProofError, match="diverges"):
        check_inclusion(_proof(forked, 2), _head(LINES))


def test_consistency_between_heads_of_one_log_checks() -> None:
    tree = MemoryTree(_records(LINES))
    check_consistency(_head(LINES, 5), _head(LINES), tree.consistency_proof(5))


def test_consistency_names_truncation_and_divergence() -> None:
    tree = MemoryTree(_records(LINES))
    with pytest.raises(ProofError, match=r"truncated .*tree size 6"):
        check_consistency(_head(LINES), _head(LINES, 5), [])
    forked = _export([*_events(3), *_events(11, tag="x")[3:]])
    with pytest.raises(ProofError, match="diverges from it at or before tree size 5"):
        check_consistency(_head(LINES, 5), _head(forked), tree.consistency_proof(5))


def test_an_export_extending_the_checkpoint_checks() -> None:
    result = check_export(LINES, _head(LINES, 6))
    assert (result.size, result.root, result.checkpoint_size) == (11, _head(LINES).root, 6)
    assert result.chain_head == json.loads(LINES[-1])["hash"]


def test_an_empty_export_extends_the_empty_checkpoint() -> None:
    empty = TreeHead(ORIGIN, 0, hashlib.sha256(b"").digest())
    assert check_export([], empty).size == 0


def test_a_truncated_export_fails() -> None:
    with pytest.raises(ProofError, match="fewer than the checkpoint's 11: truncated"):
        check_export(LINES[:9], _head(LINES))


def test_a_rewritten_and_rechained_export_passes_the_chain_but_fails_the_checkpoint() -> None:
    events = _events(11)
    events[2]["n"] = 99
    rewritten = _export(events)
    assert check_export(rewritten).size == 11  # the chain alone is fine
    with pytest.raises(ProofError, match=r"line 8: .*diverges .* tree size 8"):
        check_export(rewritten, _head(LINES, 8))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([*LINES[:3], LINES[3].replace('"n":4', '"n":5')], "line 4: seq 4: the hash does not"),
        ([*LINES[:3], *LINES[4:]], "line 4: seq 5, expected 4"),
        ([*LINES[:2], "not json\n"], "line 3: not valid JSON"),
        ([*LINES[:2], '{"seq": 3}\n'], "line 3: not an export record"),
    ],
    ids=["edited record", "missing record", "not JSON", "not a record"],
)
def test_a_damaged_export_names_its_first_bad_line(lines: list[str], message: str) -> None:
    with pytest.raises(ProofError, match=message):
        check_export(lines)
