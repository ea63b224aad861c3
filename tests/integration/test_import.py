"""Bulk import through the Python API into real stores: all-or-nothing, skip reports,
idempotence, compressed inputs, dry runs, and the export -> import round trip."""

from __future__ import annotations

import csv
import gzip
import json
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Clock

from tracker.api import Tracker
from tracker.errors import TrackerError
from tracker.importers import NOT_STATE_TO_STATE, ImportAbortedError

DATA = Path(__file__).parents[1] / "data"
GDELT = DATA / "gdelt" / "events.csv"
ICEWS = DATA / "icews" / "events.20140318.tab"
GDELT_LINES = GDELT.read_text(encoding="utf-8").splitlines()
FileState = Callable[[Path], dict[str, str]]


def open_tracker(path: Path) -> Tracker:
    return Tracker(path, clock=Clock())


def events_table(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def checkpoints_table(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM checkpoints ORDER BY party_a, party_b, day").fetchall()
    finally:
        conn.close()


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Path]:
    """A store that already holds two events (so "unchanged" means something)."""
    db = tmp_path / "seeded.db"
    with open_tracker(db) as t:
        t.append(
            {
                "type": "praise",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2024-03-18",
                "event_id": "p1",
            }
        )
        t.append(
            {
                "type": "criticize",
                "actor": "USA",
                "target": "PRK",
                "occurred_on": "2024-03-19",
                "event_id": "c1",
            }
        )
    yield db


def gdelt_with_bad_row(tmp_path: Path, line: int, column: int, value: str) -> Path:
    """The real sample with one row edited (1-based line, 0-based column)."""
    lines = list(GDELT_LINES)
    fields = lines[line - 1].split("\t")
    fields[column] = value
    lines[line - 1] = "\t".join(fields)
    path = tmp_path / "edited.export.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kept_line(n: int) -> int:
    """The 1-based line number of the n-th state-to-state row of the sample."""
    seen = 0
    for i, text in enumerate(GDELT_LINES, 1):
        f = text.split("\t")
        if f[7] and f[17] and f[7] != f[17] and not {f[7], f[17]} & {"AFR", "EUR", "MEA", "WST"}:
            seen += 1
            if seen == n:
                return i
    raise AssertionError(n)


# -- GDELT sample, idempotence -------------------------------------------------------------


def test_the_gdelt_sample_imports_125_events_and_a_second_import_adds_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "t.db"
    with open_tracker(db) as t:
        first = t.import_files([GDELT])
        head = t.head()
        second = t.import_files([GDELT])
        assert t.head() == head
    assert (first.read, first.imported, first.already_present) == (710, 125, 0)
    assert first.filtered == {NOT_STATE_TO_STATE: 585} and not first.invalid
    assert (second.read, second.imported, second.already_present) == (710, 0, 125)
    assert first.head == second.head == head and head.seq == 125
    assert len(events_table(db)) == 125


def test_checkpoints_after_an_import_equal_a_rebuild(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with open_tracker(db) as t:
        t.import_files([GDELT, ICEWS], batch_size=16)
    imported = checkpoints_table(db)
    assert imported
    with open_tracker(db) as t:
        t.rebuild()
    assert checkpoints_table(db) == imported


def test_several_files_and_formats_in_one_import(tmp_path: Path) -> None:
    flat = tmp_path / "mine.jsonl"
    flat.write_text(
        json.dumps(
            {
                "type": "congratulate",
                "actor": "North Korea",
                "target": "Russia",
                "occurred_on": "2024-03-18",
                "event_id": "kcna-1",
                "occasion": "re-election",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    with open_tracker(tmp_path / "t.db") as t:
        summary = t.import_files([GDELT, ICEWS, flat])
    assert summary.imported == 125 + 10 + 1
    assert [f for _, f in summary.files] == ["gdelt", "icews", "jsonl"]
    assert summary.read == summary.imported + summary.already_present + summary.skipped


def test_batch_size_does_not_change_what_is_imported(tmp_path: Path) -> None:
    with open_tracker(tmp_path / "a.db") as a, open_tracker(tmp_path / "b.db") as b:
        a.import_files([GDELT])
        b.import_files([GDELT], batch_size=7)
    strip = [(r[0], r[1], r[13]) for r in events_table(tmp_path / "a.db")]
    assert strip == [(r[0], r[1], r[13]) for r in events_table(tmp_path / "b.db")]


# -- all or nothing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        (1, "20161301", "SQLDATE"),  # bad date
        (7, "ZZZ", "Actor1CountryCode"),  # unknown country
        (26, "9999", "EventCode"),  # bad code
        (30, "-12.5", "GoldsteinScale"),
    ],
)
def test_one_bad_row_aborts_the_whole_import_and_leaves_the_log_unchanged(
    tmp_path: Path, seeded: Path, file_state: FileState, column: int, value: str, field: str
) -> None:
    line = kept_line(100)
    path = gdelt_with_bad_row(tmp_path, line, column, value)
    before = file_state(seeded)
    rows_before = events_table(seeded)
    with open_tracker(seeded) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([path], batch_size=10)  # 9 batches were appended before the bad row
    err = info.value
    assert (err.source, err.line, err.field, err.value) == (str(path), line, field, value)
    message = str(err)
    assert str(path) in message and f"line {line}" in message
    assert field in message and repr(value) in message and "unchanged" in message
    assert events_table(seeded) == rows_before
    assert file_state(seeded) == before


def test_a_wrong_column_count_aborts(tmp_path: Path, seeded: Path) -> None:
    path = tmp_path / "short.CSV"
    path.write_text(
        GDELT_LINES[0] + "\n" + "\t".join(GDELT_LINES[1].split("\t")[:40]) + "\n", encoding="utf-8"
    )
    with open_tracker(seeded) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([path], fmt="gdelt")
    assert (info.value.line, info.value.field, info.value.value) == (2, "columns", 40)
    assert "line 2" in str(info.value) and "columns 40" in str(info.value)
    assert len(events_table(seeded)) == 2


def test_a_truncated_gzip_aborts_naming_the_file_and_line(
    tmp_path: Path, seeded: Path, file_state: FileState
) -> None:
    data = gzip.compress(GDELT.read_bytes())
    path = tmp_path / "events.csv.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    before = file_state(seeded)
    with open_tracker(seeded) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([path], batch_size=10)
    message = str(info.value)
    assert str(path) in message and "truncated" in message and "after line" in message
    assert info.value.source == str(path)
    assert file_state(seeded) == before


def test_a_conflicting_id_aborts_with_its_line(tmp_path: Path, seeded: Path) -> None:
    path = tmp_path / "conflict.jsonl"
    path.write_text(
        json.dumps(
            {
                "type": "praise",
                "actor": "CHN",
                "target": "RUS",
                "occurred_on": "2024-01-01",
                "event_id": "new-1",
            }
        )
        + "\n"
        + json.dumps(
            {
                "type": "praise",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2024-03-18",
                "event_id": "p1",
                "summary": "edited",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    with open_tracker(seeded) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([path])
    assert (info.value.line, info.value.field, info.value.value) == (2, "event_id", "p1")
    assert len(events_table(seeded)) == 2


def test_an_aborted_import_into_a_new_store_leaves_no_file(tmp_path: Path) -> None:
    path = gdelt_with_bad_row(tmp_path, kept_line(3), 1, "2016")
    db = tmp_path / "new.db"
    with open_tracker(db) as t, pytest.raises(ImportAbortedError):
        t.import_files([path])
    assert not db.exists() and not (tmp_path / "new.db-wal").exists()


# -- skipping invalid rows ----------------------------------------------------------------


@pytest.mark.parametrize("report_name", ["skipped.jsonl", "skipped.csv"])
def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(
    tmp_path: Path, report_name: str
) -> None:
    lines = list(GDELT_LINES)
    bad = {kept_line(1): (1, "20160231"), kept_line(50): (17, "QQQ"), kept_line(125): (26, "0000")}
    for line, (column, value) in bad.items():
        fields = lines[line - 1].split("\t")
        fields[column] = value
        lines[line - 1] = "\t".join(fields)
    lines.append("only\tthree\tcolumns")
    path = tmp_path / "edited.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / report_name
    with open_tracker(tmp_path / "t.db") as t:
        summary = t.import_files(
            [path], fmt="gdelt", skip_invalid=True, report=report, batch_size=20
        )
    assert summary.imported == 122
    assert summary.invalid == {
        "invalid SQLDATE": 1,
        "invalid Actor2CountryCode": 1,
        "invalid EventCode": 1,
        "wrong column count": 1,
    }
    assert summary.filtered == {NOT_STATE_TO_STATE: 585}
    records: list[dict[str, Any]]
    if report_name.endswith(".csv"):
        with open(report, encoding="utf-8", newline="") as f:
            records = list(csv.DictReader(f))
        lines_reported = [int(r["line"]) for r in records]
    else:
        records = [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines()]
        lines_reported = [r["line"] for r in records]
    assert lines_reported == [*sorted(bad), 711]
    assert {r["file"] for r in records} == {str(path)}
    first = records[0]
    assert (first["reason"], first["field"], first["value"]) == (
        "invalid SQLDATE",
        "SQLDATE",
        "20160231",
    )
    assert "20160231" in first["message"]


def test_skip_invalid_skips_conflicts_and_reports_them(tmp_path: Path, seeded: Path) -> None:
    path = tmp_path / "conflict.jsonl"
    good = {
        "type": "praise",
        "actor": "CHN",
        "target": "RUS",
        "occurred_on": "2024-01-01",
        "event_id": "new-1",
    }
    clash = {
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-18",
        "event_id": "p1",
        "summary": "edited",
    }
    same = {
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-18",
        "event_id": "p1",
    }
    path.write_text("\n".join(json.dumps(x) for x in (good, clash, same)) + "\n", encoding="utf-8")
    report = tmp_path / "r.jsonl"
    with open_tracker(seeded) as t:
        summary = t.import_files([path], skip_invalid=True, report=report)
    assert (summary.imported, summary.already_present) == (1, 1)
    assert summary.invalid == {"conflicting event_id": 1}
    [record] = [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines()]
    assert (record["line"], record["field"], record["value"]) == (2, "event_id", "p1")


# -- dry run, compressed inputs --------------------------------------------------------------


def test_a_dry_run_reports_exactly_and_writes_nothing(
    tmp_path: Path, seeded: Path, file_state: FileState
) -> None:
    before = file_state(seeded)
    with open_tracker(seeded) as t:
        dry = t.import_files([GDELT, ICEWS], dry_run=True, batch_size=10)
    assert file_state(seeded) == before
    assert dry.dry_run and dry.head is not None and dry.head.seq == 2 + 135
    with open_tracker(seeded) as t:
        real = t.import_files([GDELT, ICEWS])
    assert (dry.read, dry.imported, dry.filtered) == (real.read, real.imported, real.filtered)


def test_a_dry_run_against_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "nothing.db"
    with open_tracker(db) as t:
        summary = t.import_files([GDELT], dry_run=True)
    assert summary.imported == 125
    assert list(tmp_path.iterdir()) == []


def test_gz_and_zip_inputs_import_like_the_plain_files(tmp_path: Path) -> None:
    gz = tmp_path / "20160728.export.CSV.gz"
    gz.write_bytes(gzip.compress(GDELT.read_bytes()))
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(GDELT, "20160728.export.CSV")
        z.write(ICEWS, "icews/events.tab")
    with open_tracker(tmp_path / "gz.db") as t:
        from_gz = t.import_files([gz])
    with open_tracker(tmp_path / "zip.db") as t:
        from_zip = t.import_files([archive])
    assert from_gz.imported == 125
    assert from_zip.imported == 135
    assert [f for _, f in from_zip.files] == ["gdelt", "icews"]
    bodies = [r[13] for r in events_table(tmp_path / "gz.db")]
    assert bodies == [r[13] for r in events_table(tmp_path / "zip.db")][:125]


def test_progress_reports_every_byte_once(tmp_path: Path) -> None:
    gz = tmp_path / "e.csv.gz"
    gz.write_bytes(gzip.compress(GDELT.read_bytes()))
    seen: list[int] = []
    with open_tracker(tmp_path / "t.db") as t:
        t.import_files([GDELT, gz], progress=seen.append, batch_size=10)
    assert sum(seen) == GDELT.stat().st_size + gz.stat().st_size
    assert all(n > 0 for n in seen) and len(seen) > 2


# -- the export -> import round trip -------------------------------------------------------


def export_lines(db: Path) -> list[str]:
    """What `tracker log --jsonl` prints (one record per line)."""
    from tracker.render import dumps

    with Tracker(db, create=False) as t:
        return [dumps(s.to_record()) for s in t.events()]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


_PARTIES = ["PRK", "RUS", "USA", "CHN", "UKR", "XKX", "EU"]
_events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "praise",
                "criticize",
                "visit",
                "cameo",
                "sign_treaty",
                "impose_sanctions",
                "military_attack",
                "arms_transfer",
            ]
        ),
        "pair": st.sampled_from([(a, b) for a in _PARTIES for b in _PARTIES if a != b]),
        "day": st.dates(
            min_value=datetime(1990, 1, 1).date(), max_value=datetime(2025, 12, 31).date()
        ),
        "confidence": st.sampled_from([0.3, 0.5, 1.0]),
        "weight": st.none() | st.floats(-10, 10),
        "summary": st.none()
        | st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
            lambda s: s.strip() == s
        ),
    }
)


def _event(n: int, d: dict[str, Any]) -> dict[str, Any]:
    e: dict[str, Any] = {
        "type": d["type"],
        "actor": d["pair"][0],
        "target": d["pair"][1],
        "occurred_on": d["day"].isoformat(),
        "event_id": f"e{n}",
        "confidence": d["confidence"],
    }
    if d["weight"] is not None:
        e["weight"] = d["weight"]
    if d["summary"]:
        e["summary"] = d["summary"]
    extra: dict[str, dict[str, Any]] = {
        "cameo": {"cameo_code": "0311"},
        "sign_treaty": {"name": f"Treaty {n}"},
        "impose_sanctions": {"regime": "export controls"},
        "arms_transfer": {"items": ["shells", "rockets"]},
    }
    e.update(extra.get(d["type"], {}))
    return e


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(_events, min_size=1, max_size=30),
    batches=st.lists(st.integers(1, 6), min_size=1, max_size=10),
    retract=st.lists(st.integers(0, 29), max_size=3),
    batch_size=st.integers(1, 8),
)
def test_export_then_import_into_an_empty_store_reproduces_the_log(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[dict[str, Any]],
    batches: list[int],
    retract: list[int],
    batch_size: int,
) -> None:
    tmp = tmp_path_factory.mktemp("roundtrip")
    original = tmp / "original.db"
    with open_tracker(original) as t:
        data = [_event(n, d) for n, d in enumerate(events)]
        i = 0
        for size in batches * (len(data) // max(sum(batches), 1) + 1):
            if i >= len(data):
                break
            t.append_many(data[i : i + size])
            i += size
        done: set[str] = set()
        for n in retract:
            event_id = f"e{n % len(data)}"
            if event_id not in done:
                done.add(event_id)
                t.retract(event_id, reason="wrongly reported")
        t.correct("e0", {"summary": "corrected"}, reason="typo") if "e0" not in done else None
    lines = export_lines(original)
    export = write_lines(tmp / "export.jsonl", lines)

    copy = tmp / "copy.db"
    with open_tracker(copy) as t:
        summary = t.import_files([export], batch_size=batch_size)
        assert summary.replayed == summary.imported == len(lines)
        assert summary.restamped == 0
    assert events_table(copy) == events_table(original)
    assert checkpoints_table(copy) == checkpoints_table(original)
    assert export_lines(copy) == lines
    # and again: nothing to add
    with open_tracker(copy) as t:
        again = t.import_files([export])
    assert (again.imported, again.already_present) == (0, len(lines))


def test_an_export_in_two_parts_replays_both(tmp_path: Path) -> None:
    original = tmp_path / "o.db"
    with open_tracker(original) as t:
        t.import_files([GDELT], batch_size=40)
    lines = export_lines(original)
    first = write_lines(tmp_path / "part1.jsonl", lines[:60])
    second = write_lines(tmp_path / "part2.jsonl", lines[60:])
    with open_tracker(tmp_path / "c.db") as t:
        summary = t.import_files([first, second])
    assert summary.replayed == 125
    assert events_table(tmp_path / "c.db") == events_table(original)


def test_an_export_into_a_non_empty_store_is_imported_as_new_events(
    tmp_path: Path, seeded: Path
) -> None:
    original = tmp_path / "o.db"
    with open_tracker(original) as t:
        t.import_files([ICEWS])
    export = write_lines(tmp_path / "x.jsonl", export_lines(original))
    with open_tracker(seeded) as t:
        summary = t.import_files([export])
        assert (summary.imported, summary.restamped, summary.replayed) == (10, 10, 0)
        assert t.head().seq == 12
    bodies = [r[13] for r in events_table(seeded)[2:]]
    assert bodies == [r[13] for r in events_table(original)]


@pytest.mark.parametrize(
    ("line", "change", "field"),
    [
        (1, {"event": {"summary": "doctored"}}, "hash"),
        (5, {"event": {"weight": 9.5}}, "hash"),
        (5, {"recorded_at": "2030-01-01T00:00:00.000000Z"}, "hash"),
        (5, {"seq": 6}, "seq"),
    ],
)
def test_an_altered_export_stops_at_the_altered_line(
    tmp_path: Path, line: int, change: dict[str, Any], field: str
) -> None:
    original = tmp_path / "o.db"
    with open_tracker(original) as t:
        t.import_files([GDELT], batch_size=3)
    records = [json.loads(x) for x in export_lines(original)]
    record = records[line - 1]
    for key, value in change.items():
        if isinstance(value, dict):
            record[key].update(value)
        else:
            record[key] = value
    export = write_lines(tmp_path / "x.jsonl", [json.dumps(r) for r in records])
    copy = tmp_path / "copy.db"
    with open_tracker(copy) as t, pytest.raises(ImportAbortedError) as info:
        t.import_files([export], skip_invalid=True)  # a replay is never partial
    assert (info.value.line, info.value.field) == (line, field)
    assert f"line {line}" in str(info.value)
    assert not copy.exists()


def test_the_importer_never_reads_the_shared_data_directory() -> None:
    for path in Path(__file__).parents[2].joinpath("tracker").rglob("*.py"):
        assert "shared/data" not in path.read_text(encoding="utf-8"), path


def test_an_unreadable_report_path_is_a_clear_error(tmp_path: Path) -> None:
    with (
        open_tracker(tmp_path / "t.db") as t,
        pytest.raises(TrackerError, match=r"^report .*no such directory"),
    ):
        t.import_files([GDELT], report=tmp_path / "missing-dir" / "r.jsonl")


def test_the_sample_copy_is_complete() -> None:
    # the sample is a verbatim copy: 710 lines, 201 of them with 57 columns
    assert len(GDELT_LINES) == 710
    assert sum(1 for x in GDELT_LINES if len(x.split("\t")) == 57) == 201


def test_an_unknown_cameo_code_in_a_batch_is_that_lines_error(tmp_path: Path) -> None:
    """Hand-written events with ids are validated in batches; a code the CAMEO table lacks is
    refused by a validator of its own, and must still be the error of its line (named, and
    skipped with ``skip_invalid``) rather than escaping the batch."""
    good = {"type": "statement", "actor": "USA", "target": "CHN", "occurred_on": "2020-01-01"}
    bad = {**good, "type": "cameo", "cameo_code": "9999", "occurred_on": "2020-01-02"}
    path = tmp_path / "events.jsonl"
    path.write_text(
        "".join(json.dumps({**e, "event_id": f"e{i}"}) + "\n" for i, e in enumerate([good, bad])),
        encoding="utf-8",
    )
    before = path.read_bytes()
    with open_tracker(tmp_path / "t.db") as t:
        with pytest.raises(ImportAbortedError) as aborted:
            t.import_files([path])
        assert "line 2" in str(aborted.value) and "9999" in str(aborted.value)
        assert t.store.head().seq == 0
        summary = t.import_files([path], skip_invalid=True)
    assert (summary.imported, summary.invalid) == (1, {"invalid cameo_code": 1})
    assert path.read_bytes() == before
