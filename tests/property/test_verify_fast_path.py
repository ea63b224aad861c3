"""verify's fast paths find exactly what its detailed checks find: the one-expression row check
(orjson's parse and re-encoding, the columns, the chain) against :func:`_check_row` on every
row, and the tree check's run-at-a-time comparison against the hash-by-hash one, on logs
tampered with by someone who recomputes the hash chain after each change."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Sequence
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.canonical import canonical_value, dumps
from tracker.audit import Fault, Ticker
from tracker.merkle import Frontier, leaf_hash
from tracker.signed_note import TreeHead
from tracker.store import GENESIS_HASH, Head, Store, chain_hash
from tracker.store.tree import expand
from tracker.transparency import NamedHead, TreeCheck
from tracker.verify import ChainPass, PassResult, _body_columns, _type_codes

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BODY = {
    "actor": "ARG",
    "confidence": 0.7,
    "event_id": "7ed4d57b-1e2f-4b89-814c-343c1027c4d1",
    "occurred_on": "2020-02-29",
    "schema_version": 1,
    "source": "synthetic benchmark data",
    "target": "BVT",
    "type": "seize_property",
}


class Log:
    """The part of a store the chain pass reads, over rows held in memory."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def scan(self) -> Generator[tuple[Any, ...], None, None]:
        yield from self.rows

    def head(self) -> Head:
        last = self.rows[-1] if self.rows else None
        return Head(last[0], last[14], last[12]) if last else Head(0, GENESIS_HASH, None)

    def chain_after(self, seq: int) -> tuple[Any, Any, Any, Any] | None:
        later = [r for r in self.rows if isinstance(r[0], int) and r[0] > seq]
        return (later[0][0], later[0][12], later[0][13], later[0][14]) if later else None


def row(seq: int, body: str, columns: Sequence[Any], stamp: str) -> list[Any]:
    return [seq, *columns, stamp, body, ""]


def rechain(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    """The hashes a forger would store: the chain recomputed over the rows as they are."""
    prev = GENESIS_HASH
    for r in rows:
        try:
            r[14] = chain_hash(prev, r[13], r[0], r[12])
        except (TypeError, AttributeError):
            r[14] = "0" * 64
        prev = r[14] if isinstance(r[14], str) else prev
    return [tuple(r) for r in rows]


def log(n: int) -> list[list[Any]]:
    rows = []
    for i in range(n):
        obj = {**BODY, "event_id": f"e{i}", "confidence": [0.7, 1.0, 0.85][i % 3]}
        columns = _body_columns(obj)
        assert isinstance(columns, tuple)
        rows.append(row(i + 1, dumps(obj), columns, f"2026-01-0{1 + i // 3}T00:00:00.000000Z"))
    return rows


def floats_as_text(x: float) -> list[str]:
    out = [repr(x), f"{x:e}", f"{x:.20f}", f"{x:E}", json.dumps(x)]
    try:
        import orjson

        out.append(orjson.dumps(x).decode())
    except TypeError:
        pass
    return out


_BASE = dumps(BODY)
VARIANTS = [
    json.dumps(BODY, sort_keys=True),
    json.dumps(BODY),
    json.dumps(BODY, sort_keys=True, separators=(",", ":")),
    _BASE.replace("synthetic", "synth\\u00e9tic"),
    _BASE.replace("synthetic", "synthétic"),
    _BASE.replace("synthetic", "synth\\u0065tic"),
    _BASE.replace('{"actor"', '{"actor":"FRA","actor"'),
    _BASE.replace('"actor":"ARG"', '"actor":5'),
    _BASE.replace('"actor":"ARG"', '"actor":5').replace('"target":"BVT"', '"target":6'),
    _BASE.replace('"event_id":"7ed4d57b-1e2f-4b89-814c-343c1027c4d1"', '"event_id":5'),
    _BASE.replace('"occurred_on":"2020-02-29"', '"occurred_on":20200229'),
    _BASE.replace('"occurred_on":"2020-02-29"', '"occurred_on":null'),
    _BASE.replace('"schema_version":1,', ""),
    _BASE.replace('"confidence":0.7', '"confidence":true'),
    _BASE.replace('"type":"seize_property"', '"type":"no_such_type"'),
    _BASE.replace('"type":"seize_property"', '"type":"no_such_type","cameo_code":"1"'),
    _BASE.replace('"target":"BVT",', ""),
    _BASE.replace('"source"', '"weight":1e-05,"source"'),
    _BASE.replace('"source"', '"weight":0.00001,"source"'),
    _BASE.replace('"source"', '"extra":[1e-7,{"a":0.00001}],"source"'),
    _BASE.replace('"source"', '"extra":[1e-07,{"a":1e-05}],"source"'),
    _BASE.replace('"source"', '"weight":1e-7,"source"'),
    _BASE.replace('"source"', '"weight":0.5e-3,"source"').replace("1e2f-", "1e2e-"),
    _BASE + "\n",
    " " + _BASE,
    f"[{_BASE}]",
    "null",
]
"""Bodies near the canonical form: re-spaced, reordered, escaped, numbers written otherwise,
fields missing or of the wrong type, duplicated keys."""


def body_texts() -> st.SearchStrategy[str]:
    """Bodies near the canonical form: re-spaced, reordered, escaped, numbers written
    otherwise, fields missing or of the wrong type, duplicated keys, random edits."""
    base = dumps(BODY)
    number = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1e-3, max_value=1e-3),
        st.integers(-(2**70), 2**70),
    ).flatmap(lambda x: st.sampled_from(floats_as_text(float(x))) | st.just(str(x)))
    respelt = number.map(lambda t: base.replace('"confidence":0.7', f'"confidence":{t}'))
    versions = number.map(lambda t: base.replace('"schema_version":1', f'"schema_version":{t}'))
    variants = st.sampled_from(VARIANTS)
    edits = st.tuples(st.integers(0, len(base) - 1), st.text(max_size=3)).map(
        lambda e: base[: e[0]] + e[1] + base[e[0] + 1 :]
    )
    return st.one_of(variants, variants, variants, respelt, versions, edits)


values = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.sampled_from(["ARG", "BVT", "e0", "seize_property", "2020-02-29", "171", "x"]),
    st.binary(max_size=3),
    st.booleans(),
)


@st.composite
def tampered_logs(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    rows = log(draw(st.integers(1, 6)))
    for _ in range(draw(st.integers(1, 3))):
        r = rows[draw(st.integers(0, len(rows) - 1))]
        what = draw(
            st.sampled_from(
                ["body", "body+columns", "body+columns", "column", "recorded_at", "seq"]
            )
        )
        if what.startswith("body"):
            r[13] = draw(body_texts())
            if what == "body+columns":  # the columns made to agree with the new body
                r[1:12] = lenient_columns(r[13], r[1:12])
        elif what == "column":
            r[draw(st.integers(1, 11))] = draw(values)
        elif what == "recorded_at":
            r[12] = draw(
                st.sampled_from(
                    ["2025-12-31T23:59:59.999999Z", "2026-01-01T00:00:00Z", "2026-01-09", 5]
                )
            )
        else:
            r[0] = draw(st.sampled_from([0, -1, r[0] + 1, r[0] - 1, 2**63 - 1]))
    return rechain(rows)


def lenient_columns(text: str, columns: list[Any]) -> list[Any]:
    """The columns as the body has them, valid or not (so that only verify's own checks of the
    body's fields, not a column that disagrees, can find what is wrong)."""
    try:
        obj = json.loads(text)
    except ValueError:
        return columns
    if not isinstance(obj, dict):
        return columns
    actor, target = obj.get("actor"), obj.get("target")
    try:
        a, b = (actor, target) if actor < target else (target, actor)
    except TypeError:
        a, b = actor, target
    code = obj.get("cameo_code") or (
        _type_codes().get(obj.get("type"), "") if isinstance(obj.get("type"), str) else ""
    )
    return [
        obj.get("event_id"),
        obj.get("type"),
        code,
        actor,
        target,
        a,
        b,
        obj.get("occurred_on"),
        obj.get("confidence", 1.0),
        obj.get("weight"),
        obj.get("refers_to"),
    ]


def run(rows: list[tuple[Any, ...]], *, fast: bool) -> PassResult:
    chain = ChainPass(cast(Store, Log(rows)), None, deep=False, prefix=False, fast=fast)
    return chain.run(Ticker(None))


@settings(SETTINGS, max_examples=400)
@given(rows=tampered_logs())
def test_the_fast_row_check_finds_what_the_detailed_check_finds(
    rows: list[tuple[Any, ...]],
) -> None:
    fast, slow = run(rows, fast=True), run(rows, fast=False)
    assert (fast.verified, fast.rows, fast.faults) == (slow.verified, slow.rows, slow.faults)


@SETTINGS
@given(text=body_texts())
def test_canonical_value_accepts_only_text_that_is_the_dumps_of_its_value(text: str) -> None:
    try:
        value = canonical_value(text)
    except ValueError:
        return
    assert json.loads(text) == value
    assert dumps(json.loads(text)) == text


@pytest.mark.parametrize("columns_agree", [False, True])
@pytest.mark.parametrize("text", VARIANTS)
def test_each_near_canonical_body_is_judged_alike_both_ways(text: str, columns_agree: bool) -> None:
    rows = log(3)
    rows[1][13] = text
    if columns_agree:
        rows[1][1:12] = lenient_columns(text, rows[1][1:12])
    chained = rechain(rows)
    fast, slow = run(chained, fast=True), run(chained, fast=False)
    assert (fast.verified, fast.faults) == (slow.verified, slow.faults)


def test_an_intact_log_passes_both_ways() -> None:
    rows = rechain(log(6))
    assert run(rows, fast=True).verified == run(rows, fast=False).verified == 6


# -- the tree ------------------------------------------------------------------------------


class HashByHash(TreeCheck):
    """The tree check as it was, one event and one stored hash at a time: the reference."""

    def __init__(self, runs: Iterator[tuple[Any, Any]] | None, heads: Sequence[NamedHead]):
        super().__init__(runs, heads)
        self.stored = expand(runs) if runs is not None else None

    def feed(self, first_seq: int, records: Sequence[bytes]) -> None:
        for seq, record in enumerate(records, first_seq):
            hashes = self.frontier.append(leaf_hash(record))
            if self.stored is not None and self.tree_fault is None:
                for position, h in enumerate(hashes, self.next_id):
                    got = next(self.stored, None)
                    if got is None:
                        self.tree_fault = Fault(
                            "tree",
                            "the Merkle tree has no hash for this event: it was added without "
                            "the tree (a forged row?)",
                            seq=seq,
                        )
                        break
                    if got[0] != position or not isinstance(got[1], bytes) or got[1] != h:
                        self.first_bad_leaf = seq
                        self.tree_fault = Fault(
                            "tree",
                            f"stored tree hash {got[0]!r} is not the one this event's record "
                            "makes: the log (or its tree) was rewritten from here",
                            seq=seq,
                        )
                        break
            self.next_id += len(hashes)
            if self.pending:
                self._reached()


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[bytes], list[tuple[Any, Any]], list[int], list[int]]:
    """Records, the stored runs of their tree (tampered with), checkpoint sizes and the
    batch sizes the records are fed in."""
    n = draw(st.integers(0, 40))
    records = [b"record %d" % i for i in range(n)]
    hashes = Frontier().extend([leaf_hash(r) for r in records])
    runs: list[tuple[Any, Any]] = []
    i = 0
    while i < len(hashes):
        k = draw(st.integers(1, 9))
        runs.append((i, b"".join(hashes[i : i + k])))
        i += k
    for _ in range(draw(st.integers(0, 2))):
        if not runs:
            break
        at = draw(st.integers(0, len(runs) - 1))
        start, data = runs[at]
        change = draw(
            st.sampled_from(["flip", "drop", "id", "text", "short", "long", "extra", "empty"])
        )
        if not isinstance(data, bytes) or not data:
            continue
        if change == "flip":
            b = draw(st.integers(0, len(data) - 1))
            runs[at] = (start, data[:b] + bytes([data[b] ^ 1]) + data[b + 1 :])
        elif change == "drop":
            del runs[at]
        elif change == "id":
            runs[at] = (start + draw(st.sampled_from([-1, 1])), data)
        elif change == "text":
            runs[at] = (start, data.hex())
        elif change == "short":
            runs[at] = (start, data[: -draw(st.integers(1, len(data)))])
        elif change == "long":
            runs[at] = (start, data + b"\x00" * draw(st.integers(1, 40)))
        elif change == "extra":
            runs.append((stored_end(runs), b"\x01" * 32 * draw(st.integers(1, 3))))
        else:
            runs.insert(at, (start, b""))
    sizes = draw(st.lists(st.integers(0, n + 2), max_size=3))
    batches = draw(st.lists(st.integers(1, 12), max_size=12))
    return records, runs, sizes, batches


def stored_end(runs: list[tuple[Any, Any]]) -> int:
    start, data = runs[-1]
    return int(start) + len(data) // 32


def check(
    kind: type[TreeCheck],
    records: list[bytes],
    runs: list[tuple[Any, Any]] | None,
    sizes: list[int],
    batches: list[int],
) -> tuple[Any, ...]:
    roots = {s: merkle_root_of(records[:s], flip=s % 2 == 1) for s in sizes}
    heads = [NamedHead(f"c{i}", TreeHead("o", s, roots[s])) for i, s in enumerate(sizes)]
    tree = kind(iter(runs) if runs is not None else None, heads)
    i = 0
    for b in [*batches, len(records)]:
        if i < len(records):
            tree.feed(i + 1, records[i : i + b])
            i += b
    faults = tree.finish(len(records), len(records))
    return faults, tree.first_bad_leaf, [h.name for h in tree.matched]


def merkle_root_of(records: list[bytes], *, flip: bool) -> bytes:
    frontier = Frontier()
    frontier.extend([leaf_hash(r) for r in records])
    root = frontier.root()
    return bytes([root[0] ^ 1]) + root[1:] if flip else root


@SETTINGS
@given(tree=trees())
def test_the_run_at_a_time_tree_check_finds_what_the_hash_by_hash_check_finds(
    tree: tuple[list[bytes], list[tuple[Any, Any]], list[int], list[int]],
) -> None:
    records, runs, sizes, batches = tree
    assert check(TreeCheck, records, runs, sizes, batches) == check(
        HashByHash, records, runs, sizes, batches
    )
    assert check(TreeCheck, records, None, sizes, batches) == check(
        HashByHash, records, None, sizes, batches
    )
