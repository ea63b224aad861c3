"""The tree head an export carries, and the running check that a file's records make it.

``tracker export`` writes one line before the records::

    {"format":"relations-tracker export","tree_head":{"chain_head":H,"root":R,"size":N},"version":1}

``size`` is the number of records (the last seq, the Merkle tree's size), ``root`` the
hex RFC 6962 root of their tree and ``chain_head`` the last record's chain hash. It comes
first, not last, so that cutting lines off the end of a file leaves a head that no longer
matches: a trailing head would go with the lines cut off, and what is left would look like an
export of an older version (those, without a head, still import: their records are checked by
the hash chain alone). ``import``, ``verify --against`` and :func:`tracker.proofs.check_export`
each check it.

Pure: no database, file or clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from events.canonical import dumps
from events.errors import TrackerError
from tracker import merkle
from tracker.store.rows import GENESIS_HASH, chain_hash, record_bytes

FORMAT = "relations-tracker export"
VERSION = 1
HEAD_KEYS = frozenset({"format", "tree_head", "version"})
"""The keys of the head line (a record has :data:`tracker.store.rows.EXPORT_KEYS`)."""
_HEX = re.compile(r"[0-9a-f]{64}")


class ExportHeadError(TrackerError):
    """A head line that is malformed, misplaced, or not what the records make."""


@dataclass(frozen=True, slots=True)
class CarriedHead:
    """The tree head an export's first line carries."""

    size: int
    root: bytes
    chain_head: str
    line: int = 1

    def record(self) -> str:
        """The head line's canonical JSON (without the newline)."""
        return dumps(
            {
                "format": FORMAT,
                "tree_head": {
                    "chain_head": self.chain_head,
                    "root": self.root.hex(),
                    "size": self.size,
                },
                "version": VERSION,
            }
        )

    def describe(self) -> str:
        return f"size {self.size}, root {self.root.hex()}, chain head {self.chain_head}"


def is_head(obj: Any) -> bool:
    """Whether a parsed line is meant as a head line (then :func:`parse_head` checks it)."""
    return isinstance(obj, dict) and "tree_head" in obj


def parse_head(obj: dict[str, Any], line: int) -> CarriedHead:
    """The head a line carries, or :class:`ExportHeadError` naming the field that is wrong."""

    def bad(field: str, value: Any, why: str) -> ExportHeadError:
        return ExportHeadError(
            f"tree head {field} {value!r}: {why}", field=field, value=value, line=line
        )

    if set(obj) != HEAD_KEYS:
        raise bad("keys", sorted(obj), f"expected {sorted(HEAD_KEYS)}")
    if obj["format"] != FORMAT:
        raise bad("format", obj["format"], f"expected {FORMAT!r}")
    if obj["version"] != VERSION or type(obj["version"]) is not int:
        raise bad("version", obj["version"], f"this version reads version {VERSION}")
    head = obj["tree_head"]
    if not isinstance(head, dict) or set(head) != {"chain_head", "root", "size"}:
        raise bad("tree_head", head, "expected an object with chain_head, root and size")
    size, root, chain = head["size"], head["root"], head["chain_head"]
    if type(size) is not int or size < 0:
        raise bad("size", size, "must be a whole number >= 0")
    for name, value in (("root", root), ("chain_head", chain)):
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            raise bad(name, value, "must be 64 lowercase hex digits")
    return CarriedHead(size, bytes.fromhex(root), chain, line)


class RecordTree:
    """The hash chain and the Merkle tree of records taken in order from seq 1: what a
    file's records make, to hold against the head it carries."""

    __slots__ = ("chain", "frontier")

    def __init__(self) -> None:
        self.frontier = merkle.Frontier()
        self.chain = GENESIS_HASH

    @property
    def size(self) -> int:
        return self.frontier.size

    def add(self, body: str, seq: int, recorded_at: str) -> str:
        """Take the next record; returns its chain hash (the caller compares the stated one)."""
        record = record_bytes(body, seq, recorded_at)
        self.frontier.append(merkle.leaf_hash(record))
        self.chain = chain_hash(self.chain, body, seq, recorded_at)
        return self.chain

    def head(self) -> CarriedHead:
        return CarriedHead(self.size, self.frontier.root(), self.chain)


def difference(carried: CarriedHead, actual: CarriedHead, what: str) -> str | None:
    """None when ``actual`` (what ``what`` makes: "the imported log", "its records") is the
    carried head; else a sentence naming the expected and the actual head and, where the sizes
    tell it, the first position at which they part."""
    if carried.size == actual.size and (carried.root, carried.chain_head) == (
        actual.root,
        actual.chain_head,
    ):
        return None
    if actual.size < carried.size:
        where = (
            f"{what} stops at seq {actual.size}: the export is truncated, seq "
            f"{actual.size + 1} (tree size {actual.size + 1}) onwards is missing"
        )
    elif actual.size > carried.size:
        where = (
            f"{what} goes on to seq {actual.size}: rows were added after the export was "
            f"written, from seq {carried.size + 1} (tree size {carried.size + 1})"
        )
    else:
        where = (
            f"the same size but another root: a record was changed (and the chain rewritten) "
            f"or the head line (line {carried.line}) was edited"
        )
    return (
        f"the export's tree head (line {carried.line}) is {carried.describe()}; {what} has "
        f"{actual.describe()}: {where}"
    )


__all__ = [
    "FORMAT",
    "HEAD_KEYS",
    "VERSION",
    "CarriedHead",
    "ExportHeadError",
    "RecordTree",
    "difference",
    "is_head",
    "parse_head",
]
