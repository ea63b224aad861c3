"""Checking the log's proofs without its store: what a third party runs.

Everything here is a pure function of texts and values (no database, file or clock), so that
anyone holding a published checkpoint can check, from what the log's keeper hands them:

- an **inclusion proof** (the JSON ``tracker prove`` prints): the event's record hashes to the
  leaf, and the audit path leads from it to the checkpoint's root
  (:func:`check_inclusion`);
- a **checkpoint**: it is a well-formed tlog-checkpoint, signed by the key expected
  (:func:`tracker.signed_note.read_checkpoint`);
- a **consistency proof** between two tree heads (:func:`check_consistency`);
- an **exported log** (the JSON Lines ``tracker export`` writes): every record chains to the
  previous one, the records make the tree head the file carries on its first line, and the
  tree extends the checkpoint (:func:`check_export`).

Each raises :class:`ProofError` naming what failed, or returns what was proved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from events.canonical import dumps
from events.errors import TrackerError
from tracker import merkle
from tracker.export_head import CarriedHead, ExportHeadError, difference, is_head, parse_head
from tracker.signed_note import TreeHead
from tracker.store import GENESIS_HASH, record_bytes
from tracker.store.rows import EXPORT_KEYS


class ProofError(TrackerError):
    """A proof, checkpoint or exported log that does not prove what it claims."""


def _hash_field(doc: Mapping[str, Any], name: str) -> bytes:
    value = doc.get(name)
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != merkle.HASH_SIZE:
        raise ProofError(
            f"proof field {name!r}: {value!r} is not a 64-digit hex hash", field=name, value=value
        )
    return raw


def _int_field(doc: Mapping[str, Any], name: str) -> int:
    value = doc.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(
            f"proof field {name!r}: {value!r} is not a non-negative integer",
            field=name,
            value=value,
        )
    return value


# -- inclusion -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inclusion:
    """What an inclusion proof proved: the record at ``leaf_index`` of the tree
    ``(tree_size, root)``."""

    leaf_index: int
    tree_size: int
    root: bytes
    leaf_hash: bytes
    record: str | None
    event_id: str | None


def inclusion_document(
    *,
    event_id: str,
    leaf_index: int,
    tree_size: int,
    root: bytes,
    record: bytes,
    audit_path: Sequence[bytes],
    origin: str | None = None,
) -> dict[str, Any]:
    """The JSON form of an inclusion proof (what ``tracker prove`` prints)."""
    doc: dict[str, Any] = {
        "event_id": event_id,
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "root": root.hex(),
        "leaf_hash": merkle.leaf_hash(record).hex(),
        "record": record.decode("utf-8"),
        "audit_path": [h.hex() for h in audit_path],
    }
    if origin is not None:
        doc["origin"] = origin
    return doc


def check_inclusion(doc: Mapping[str, Any], checkpoint: TreeHead | None = None) -> Inclusion:
    """Check an inclusion proof document; with ``checkpoint``, also that it proves inclusion in
    that published tree (same size and root).

    A path binds the root, not the size (leaf 4's path is the same in trees of 9 to 16 leaves
    that share their first 8), so a proof means something only against a trusted tree head.
    """
    if not isinstance(doc, Mapping):
        raise ProofError("proof: not a JSON object", field="proof", value=type(doc).__name__)
    index = _int_field(doc, "leaf_index")
    size = _int_field(doc, "tree_size")
    root = _hash_field(doc, "root")
    leaf = _hash_field(doc, "leaf_hash")
    path_value = doc.get("audit_path")
    if not isinstance(path_value, list):
        raise ProofError(
            f"proof field 'audit_path': {path_value!r} is not a list",
            field="audit_path",
            value=path_value,
        )
    path = [_hash_field({"audit_path": h}, "audit_path") for h in path_value]
    record = doc.get("record")
    if record is not None:
        if not isinstance(record, str):
            raise ProofError("proof field 'record': not a string", field="record")
        if merkle.leaf_hash(record.encode("utf-8")) != leaf:
            raise ProofError(
                "proof: the record does not hash to leaf_hash (the event was altered)",
                field="record",
                value=record[:80],
            )
        _check_record_position(record, index)
    if index >= size:
        raise ProofError(
            f"proof: leaf_index {index} is not in a tree of {size} leaves",
            field="leaf_index",
            value=index,
        )
    if not merkle.verify_inclusion(leaf, index, size, path, root):
        raise ProofError(
            f"proof: the audit path does not lead from leaf {index} to the root of the tree "
            f"of {size} leaves",
            field="audit_path",
            value=index,
        )
    if checkpoint is not None:
        if size != checkpoint.size:
            raise ProofError(
                f"proof: made for tree size {size}, the checkpoint is of size "
                f"{checkpoint.size} (ask for a proof against that checkpoint)",
                field="tree_size",
                value=size,
            )
        if root != checkpoint.root:
            raise ProofError(
                f"proof: its root {root.hex()} is not the checkpoint's root "
                f"{checkpoint.root.hex()} at tree size {size}: the log diverges from the "
                "checkpoint",
                field="root",
                value=root.hex(),
            )
    event_id = doc.get("event_id")
    return Inclusion(
        index, size, root, leaf, record, event_id if isinstance(event_id, str) else None
    )


def _check_record_position(record: str, index: int) -> None:
    try:
        obj = json.loads(record)
    except ValueError:
        raise ProofError("proof field 'record': not JSON", field="record") from None
    seq = obj.get("seq") if isinstance(obj, dict) else None
    if seq != index + 1:
        raise ProofError(
            f"proof: the record is at seq {seq!r}, not at leaf {index} (seq {index + 1})",
            field="record",
            value=seq,
        )


# -- consistency -----------------------------------------------------------------------------


def check_consistency(old: TreeHead, new: TreeHead, proof: Sequence[bytes]) -> None:
    """Check that the tree ``new`` extends the tree ``old``."""
    if new.size < old.size:
        raise ProofError(
            f"tree size {new.size} is smaller than the checkpoint's {old.size}: the log was "
            f"truncated (the first missing leaf is at tree size {new.size + 1})",
            field="tree_size",
            value=new.size,
        )
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise ProofError(
            f"the tree of size {new.size} does not extend the checkpoint of size {old.size}: "
            f"the log diverges from it at or before tree size {old.size}",
            field="root",
            value=new.root.hex(),
        )


# -- exported logs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportCheck:
    """What an exported log proved: its records chain, and make the tree ``(size, root)``."""

    size: int
    root: bytes
    chain_head: str
    checkpoint_size: int | None
    carried: bool = False
    """Whether the file carried a tree head (an export's first line), and its records made it."""


def check_export(lines: Iterable[str], checkpoint: TreeHead | None = None) -> ExportCheck:
    """Recompute the hash chain and the Merkle tree of an exported log, line by line; require
    the tree head the first line carries (if any: exports of earlier versions have none) to be
    what the records make; with ``checkpoint``, also require the first ``checkpoint.size``
    records to make its root.

    The first bad line is named: a record out of sequence, a broken chain, a record beyond the
    carried head, or (at the checkpoint's size) a root that differs; a file that stops short of
    its carried head is named truncated, with the first missing seq."""
    tree = merkle.MemoryTree()
    prev, seq, number = GENESIS_HASH, 0, 0
    carried: CarriedHead | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if seq == 0 and carried is None and (head := _head_line(line, number)) is not None:
            carried = head
            continue
        body, recorded_at, stored_hash, got_seq = _export_record(line, number)
        if carried is not None and got_seq > carried.size:
            raise ProofError(
                f"line {number}: seq {got_seq} is beyond the export's tree head (line "
                f"{carried.line}: size {carried.size}): a row was added after the export was "
                "written",
                field="seq",
                value=got_seq,
                line=number,
            )
        if got_seq != seq + 1:
            raise ProofError(
                f"line {number}: seq {got_seq}, expected {seq + 1}",
                field="seq",
                value=got_seq,
                line=number,
            )
        seq = got_seq
        record = record_bytes(body, seq, recorded_at)
        computed = hashlib.sha256(prev.encode("ascii") + record).hexdigest()
        if computed != stored_hash:
            raise ProofError(
                f"line {number}: seq {seq}: the hash does not chain from the previous record",
                field="hash",
                value=stored_hash,
                line=number,
            )
        prev = stored_hash
        tree.append(record)
        if checkpoint is not None and tree.size == checkpoint.size:
            _check_root_at(tree, checkpoint, number)
    if checkpoint is not None and tree.size < checkpoint.size:
        raise ProofError(
            f"the export has {tree.size} records, fewer than the checkpoint's {checkpoint.size}: "
            f"truncated (the first missing leaf is at tree size {tree.size + 1})",
            field="tree_size",
            value=tree.size,
        )
    if checkpoint is not None and checkpoint.size == 0:
        _check_root_at(tree, checkpoint, number)
    if carried is not None:
        why = difference(
            carried, CarriedHead(tree.size, tree.root(), prev), "the tree of its records"
        )
        if why is not None:
            raise ProofError(
                why,
                field="tree_head",
                value=tree.size + 1 if tree.size < carried.size else carried.root.hex(),
                line=carried.line,
            )
    return ExportCheck(
        tree.size,
        tree.root(),
        prev,
        checkpoint.size if checkpoint is not None else None,
        carried is not None,
    )


def _head_line(line: str, number: int) -> CarriedHead | None:
    """The tree head of an export's first line, or None if the line is a record."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None  # (named by the record check)
    if not is_head(obj):
        return None
    try:
        return parse_head(obj, number)
    except ExportHeadError as exc:
        raise ProofError(
            f"line {number}: {exc.message}", field=exc.field, value=exc.value, line=number
        ) from None


def _check_root_at(tree: merkle.MemoryTree, checkpoint: TreeHead, number: int) -> None:
    got = tree.root(checkpoint.size)
    if got != checkpoint.root:
        raise ProofError(
            f"line {number}: the first {checkpoint.size} records make root {got.hex()}, not the "
            f"checkpoint's {checkpoint.root.hex()}: the log diverges from the checkpoint at or "
            f"before tree size {checkpoint.size}",
            field="root",
            value=got.hex(),
            line=number,
        )


def _export_record(line: str, number: int) -> tuple[str, str, str, int]:
    try:
        rec = json.loads(line)
    except ValueError as exc:
        raise ProofError(
            f"line {number}: not valid JSON ({exc})", field="line", line=number
        ) from None
    if is_head(rec):
        raise ProofError(
            f"line {number}: a tree head line belongs on the first line (two exports joined?)",
            field="line",
            line=number,
        )
    if not isinstance(rec, dict) or set(rec) != EXPORT_KEYS:
        raise ProofError(
            f"line {number}: not an export record (expected the keys {sorted(EXPORT_KEYS)})",
            field="line",
            line=number,
        )
    seq, recorded_at, stored_hash, event = (
        rec["seq"],
        rec["recorded_at"],
        rec["hash"],
        rec["event"],
    )
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise ProofError(f"line {number}: seq {seq!r} is not an integer", field="seq", line=number)
    if not (isinstance(recorded_at, str) and isinstance(stored_hash, str)):
        raise ProofError(
            f"line {number}: recorded_at and hash must be strings", field="line", line=number
        )
    if not isinstance(event, dict):
        raise ProofError(f"line {number}: event is not a JSON object", field="event", line=number)
    try:
        body = dumps(event)
    except ValueError as exc:
        raise ProofError(
            f"line {number}: event cannot be written canonically ({exc})",
            field="event",
            line=number,
        ) from None
    return body, recorded_at, stored_hash, seq
