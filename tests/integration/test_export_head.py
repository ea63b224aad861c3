"""An export carries its tree head; import, ``verify --against`` and the store-free verifier
each check it, and name where a tampered export parts from the log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from events.canonical import dumps
from tracker.api import Tracker
from tracker.export import export_file
from tracker.importers import ImportAbortedError, import_into
from tracker.proofs import ProofError, check_export
from tracker.store import Store, chain_hash, read_snapshot
from tracker.transparency import tree_head
from tracker.verify import verify

StoreFactory = Callable[[], Store]

N = 12


def _events(n: int, tag: str = "") -> list[dict[str, object]]:
    pairs = [("PRK", "RUS"), ("RUS", "UKR"), ("CUB", "USA")]
    return [
        {
            "event_id": f"e{i}{tag}",
            "type": "praise" if i % 3 else "criticize",
            "actor": pairs[i % 3][0],
            "target": pairs[i % 3][1],
            "occurred_on": f"20{10 + i % 14:02d}-0{1 + i % 9}-1{i % 10}",
            "summary": f"event {i}",
        }
        for i in range(1, n + 1)
    ]


@pytest.fixture
def original(tmp_path: Path) -> Path:
    db = tmp_path / "original.db"
    with Tracker(db) as t:
        t.append_many(_events(N // 2))
        t.append_many(_events(N - N // 2, tag="b"))
    return db


@pytest.fixture
def exported(original: Path, tmp_path: Path) -> list[str]:
    target = tmp_path / "export.jsonl"
    export_file(original, target)
    return target.read_text(encoding="utf-8").splitlines()


def _head(db: Path) -> tuple[int, bytes, str]:
    with read_snapshot(db) as store:
        return store.head().seq, tree_head(store).root, store.head().hash


# -- the tamper cases: (name, change to the lines, then where each checker must see it) ------


def _truncate(lines: list[str]) -> list[str]:
    return lines[:-1]


def _drop_middle(lines: list[str]) -> list[str]:
    return lines[:5] + lines[6:]  # line 6 is seq 5


def _edit_body(lines: list[str]) -> list[str]:
    record = json.loads(lines[3])  # seq 3
    record["event"]["summary"] = "doctored"
    return [*lines[:3], dumps(record), *lines[4:]]


def _rewrite(lines: list[str]) -> list[str]:
    """Seq 3 doctored and every later hash recomputed: a chain that checks."""
    out, prev = [lines[0]], "0" * 64
    for line in lines[1:]:
        record = json.loads(line)
        if record["seq"] == 3:
            record["event"]["summary"] = "doctored"
        prev = record["hash"] = chain_hash(
            prev, dumps(record["event"]), record["seq"], record["recorded_at"]
        )
        out.append(dumps(record))
    return out


def _edit_head(lines: list[str]) -> list[str]:
    head = json.loads(lines[0])
    head["tree_head"]["root"] = "ab" * 32
    return [dumps(head), *lines[1:]]


def _forge_row(lines: list[str]) -> list[str]:
    last = json.loads(lines[-1])
    event = {**last["event"], "event_id": "forged", "summary": "never happened"}
    seq = last["seq"] + 1
    forged = {
        "event": event,
        "hash": chain_hash(last["hash"], dumps(event), seq, last["recorded_at"]),
        "recorded_at": last["recorded_at"],
        "seq": seq,
    }
    return [*lines, dumps(forged)]


Tamper = Callable[[list[str]], list[str]]
Case = tuple[Tamper, tuple[int, str], tuple[int | None, int | None, str], tuple[int, str]]
# (tamper, import: (line, needle), verify --against: (seq, line, needle), check_export: (line,
# needle)); line 1 is the head line, so seq k is on line k + 1
CASES: dict[str, Case] = {
    "truncated last line": (
        _truncate,
        (1, f"the export is truncated, seq {N} (tree size {N}) onwards is missing"),
        (N, None, "missing tail: export.jsonl ends after 11 records, though its tree head"),
        (1, f"seq {N} (tree size {N}) onwards is missing"),
    ),
    "dropped middle line": (
        _drop_middle,
        (6, "seq 6: expected 5"),
        (5, 6, "missing record: the file lacks seq 5"),
        (6, "seq 6, expected 5"),
    ),
    "edited body": (
        _edit_body,
        (4, "does not match the chain"),
        (3, 4, "changed record: event.summary: store 'event 3', file 'doctored'"),
        (4, "seq 3: the hash does not chain"),
    ),
    "rewritten chain": (
        _rewrite,
        (1, "the same size but another root"),
        (3, 4, "changed record: event.summary"),
        (1, "the same size but another root"),
    ),
    "edited head line": (
        _edit_head,
        (1, "the same size but another root"),
        (None, 1, f"tree head: the export's tree head (line 1) is size {N}, root " + "ab" * 32),
        (1, "root " + "ab" * 32),
    ),
    "forged row appended": (
        _forge_row,
        (N + 2, f"seq {N + 1}: beyond the export's tree head (line 1: size {N})"),
        (N + 1, N + 2, "extra rows: the file goes on after the store's last event"),
        (N + 2, f"seq {N + 1} is beyond the export's tree head"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_import_refuses_a_tampered_export_at_the_right_position(
    case: str, exported: list[str], tmp_path: Path
) -> None:
    tamper, (line, needle), _verify, _check = CASES[case]
    path = tmp_path / "tampered.jsonl"
    path.write_text("\n".join(tamper(exported)) + "\n", encoding="utf-8")
    copy = tmp_path / "copy.db"
    with Tracker(copy) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([path])
    assert info.value.line == line, info.value
    assert needle in str(info.value) and "nothing was imported" in str(info.value)
    with Tracker(copy) as t:
        assert t.head().seq == 0  # rolled back


@pytest.mark.parametrize("case", list(CASES))
def test_import_into_a_non_empty_store_refuses_a_tampered_export_and_leaves_it_unchanged(
    case: str, exported: list[str], tmp_path: Path
) -> None:
    tamper, (line, _needle), _verify, _check = CASES[case]
    path = tmp_path / "tampered.jsonl"
    path.write_text("\n".join(tamper(exported)) + "\n", encoding="utf-8")
    other = tmp_path / "other.db"
    with Tracker(other) as t:
        t.append_many(_events(2, tag="-other"))
    before = other.read_bytes()
    with Tracker(other) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([path], skip_invalid=True)  # an export with a head is whole or nothing
    assert info.value.line == line, info.value
    assert other.read_bytes() == before


@pytest.mark.parametrize("case", list(CASES))
def test_verify_against_names_the_first_divergent_position(
    case: str, original: Path, exported: list[str], tmp_path: Path
) -> None:
    tamper, _import, (seq, line, needle), _check = CASES[case]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(tamper(exported)) + "\n", encoding="utf-8")
    [fault] = verify(original, against=path).faults
    assert (fault.kind, fault.seq, fault.line) == ("against", seq, line), fault
    assert needle in fault.message


@pytest.mark.parametrize("case", list(CASES))
def test_the_store_free_verifier_checks_the_carried_head(case: str, exported: list[str]) -> None:
    tamper, _import, _verify, (line, needle) = CASES[case]
    with pytest.raises(ProofError) as info:
        check_export(line + "\n" for line in tamper(exported))
    assert info.value.line == line and needle in str(info.value), info.value


def test_an_untampered_export_passes_every_check(
    original: Path, exported: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "export.jsonl"
    checked = check_export(line + "\n" for line in exported)
    size, root, chain = _head(original)
    assert (checked.size, checked.root, checked.chain_head, checked.carried) == (
        size,
        root,
        chain,
        True,
    )
    report = verify(original, against=path)
    assert report.ok and any("is the tree of its records" in n for n in report.notes)
    with Tracker(tmp_path / "copy.db") as t:
        summary = t.import_files([path])
    assert any("tree head (size 12" in n and "matches the imported log" in n for n in summary.notes)


def test_an_export_without_a_head_line_still_imports_and_says_so(
    original: Path, exported: list[str], tmp_path: Path
) -> None:
    """Exports written before the head line existed (and ``log --json``) are the records only."""
    old = tmp_path / "old.jsonl"
    old.write_text("\n".join(exported[1:]) + "\n", encoding="utf-8")
    copy = tmp_path / "copy.db"
    with Tracker(copy) as t:
        summary = t.import_files([old])
    assert summary.replayed == N
    assert any("carries no tree head" in n for n in summary.notes)
    assert _head(copy) == _head(original)
    assert check_export(old.read_text().splitlines(keepends=True)).carried is False
    assert verify(original, against=old).ok


def test_two_exports_joined_are_refused(exported: list[str], tmp_path: Path) -> None:
    joined = tmp_path / "joined.jsonl"
    joined.write_text("\n".join(exported + exported) + "\n", encoding="utf-8")
    with Tracker(tmp_path / "c.db") as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([joined])
    assert info.value.line == N + 2 and "first line of an export" in str(info.value)
    with pytest.raises(ProofError, match=f"line {N + 2}: a tree head line belongs on the first"):
        check_export(x + "\n" for x in exported + exported)


def test_verify_against_tells_a_missing_tail_from_extra_rows_both_ways(
    original: Path, tmp_path: Path
) -> None:
    """The file shorter than the store (an earlier export: --prefix accepts it) and the store
    shorter than the file (the file's head covers the rows the store lacks)."""
    earlier = tmp_path / "earlier.jsonl"
    export_file(original, earlier, known_at=8)
    [fault] = verify(original, against=earlier).faults
    assert (fault.seq, fault.line) == (9, None)
    assert fault.message.startswith("missing tail: the store has this event and more")
    assert verify(original, against=earlier, prefix=True).ok

    shorter = tmp_path / "shorter.db"
    with Tracker(shorter) as t:
        t.import_files([earlier])
    later = tmp_path / "later.jsonl"
    export_file(original, later)
    [fault] = verify(shorter, against=later).faults
    assert (fault.seq, fault.line) == (9, 10)
    assert "extra rows" in fault.message and "4 records from line 10" in fault.message
    assert "the store lacks the file's tail" in fault.message


def test_a_truncated_export_is_not_accepted_as_a_prefix(
    original: Path, exported: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(exported[:-3]) + "\n", encoding="utf-8")
    [fault] = verify(original, against=path, prefix=True).faults
    assert (fault.seq, fault.line) == (N - 2, 1) and "truncated" in fault.message


def test_sqlite_export_imports_into_either_backend_with_the_same_head(
    original: Path, tmp_path: Path, store_factory: StoreFactory
) -> None:
    path = tmp_path / "export.jsonl"
    export_file(original, path)
    carried = json.loads(path.read_text().splitlines()[0])["tree_head"]
    store = store_factory()
    summary = import_into(store, [path])
    assert summary.replayed == N
    head = store.head()
    assert (head.seq, tree_head(store).root.hex(), head.hash) == (
        carried["size"],
        carried["root"],
        carried["chain_head"],
    )
    size, root, chain = _head(original)
    assert (size, root.hex(), chain) == (carried["size"], carried["root"], carried["chain_head"])


def test_a_mismatching_head_rolls_back_the_import_in_either_backend(
    exported: list[str], tmp_path: Path, store_factory: StoreFactory
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(_edit_head(exported)) + "\n", encoding="utf-8")
    store = store_factory()
    with pytest.raises(ImportAbortedError, match="the same size but another root"):
        import_into(store, [path])
    assert store.head().seq == 0
