"""The tracker's own JSON Lines (both forms) and CSV readers, and format detection."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from events.canonical import canonical_dict, dumps
from events.models import parse_event
from tracker.importers import ImportFormatError, Item, Skip, detect
from tracker.importers.csvfile import read as read_csv
from tracker.importers.inputs import open_sources
from tracker.importers.jsonl import derived_id
from tracker.importers.jsonl import read as read_jsonl

GDELT = Path(__file__).parents[1] / "data" / "gdelt" / "events.csv"
ICEWS = Path(__file__).parents[1] / "data" / "icews" / "events.20140318.tab"
PRAISE = {
    "type": "praise",
    "actor": "North Korea",
    "target": "Russia",
    "occurred_on": "2024-03-18",
    "source": "KCNA",
}


def jsonl_rows(path: Path) -> list[Item | Skip]:
    return [r for src in open_sources(path) for r in read_jsonl(src)]


def csv_rows(path: Path) -> list[Item | Skip]:
    return [r for src in open_sources(path) for r in read_csv(src)]


def lines(tmp_path: Path, *objs: object, name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs), encoding="utf-8"
    )
    return path


# -- hand-written JSON Lines -------------------------------------------------------------------


def test_a_flat_event_with_an_id_keeps_it(tmp_path: Path) -> None:
    [row] = jsonl_rows(lines(tmp_path, {**PRAISE, "event_id": "kcna-1"}))
    assert isinstance(row, Item)
    assert row.prepared.event_id == "kcna-1"
    assert (row.prepared.actor, row.prepared.target) == ("PRK", "RUS")


def test_without_an_id_the_id_is_the_content_hash(tmp_path: Path) -> None:
    first, second, third = jsonl_rows(
        lines(
            tmp_path,
            PRAISE,
            {**PRAISE, "actor": "PRK", "target": "RUS"},
            {**PRAISE, "source": "Rodong Sinmun"},
        )
    )
    assert isinstance(first, Item) and isinstance(second, Item) and isinstance(third, Item)
    # aliases resolve before hashing: the same event written two ways has one id
    assert first.prepared.event_id == second.prepared.event_id
    assert first.prepared.event_id != third.prepared.event_id
    assert first.prepared.event_id.startswith("sha256:") and len(first.prepared.event_id) == 39
    body = canonical_dict(parse_event({**PRAISE, "event_id": "x"}))
    del body["event_id"]
    import hashlib

    digest = hashlib.sha256(dumps(body).encode()).hexdigest()[:32]
    assert first.prepared.event_id == "sha256:" + digest == derived_id(PRAISE)


@pytest.mark.parametrize(
    ("line", "reason", "field"),
    [
        ('{"type": "praise", "actor": "PRK"', "not valid JSON", "line"),
        ("[1, 2]", "not a JSON object", "line"),
        (
            '{"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-02-30"}',
            "invalid occurred_on",
            "occurred_on",
        ),
        (
            '{"type": "praise", "actor": "Atlantis", "target": "RUS", "occurred_on": "2024-02-01"}',
            "invalid actor",
            "actor",
        ),
        (
            '{"type": "flatter", "actor": "PRK", "target": "RUS", "occurred_on": "2024-02-01"}',
            "invalid type",
            "type",
        ),
        (
            '{"type": "cameo", "cameo_code": "999", "actor": "PRK", "target": "RUS", '
            '"occurred_on": "2024-02-01"}',
            "invalid cameo_code",
            "cameo_code",
        ),
    ],
)
def test_bad_lines_are_invalid_rows_with_line_and_field(
    tmp_path: Path, line: str, reason: str, field: str
) -> None:
    rows = jsonl_rows(lines(tmp_path, {**PRAISE, "event_id": "ok"}, "", line))
    assert isinstance(rows[0], Item)
    [bad] = rows[1:]
    assert isinstance(bad, Skip) and bad.error is not None
    assert bad.line == 3  # the blank line 2 is ignored but counted
    assert bad.reason == reason and bad.error.field == field


# -- export form -------------------------------------------------------------------------------


def export_record(seq: int, **event: object) -> dict[str, object]:
    body = canonical_dict(parse_event({**PRAISE, "event_id": f"e{seq}", **event}))
    return {
        "event": body,
        "hash": "a" * 64,
        "recorded_at": "2026-01-01T00:00:00.000000Z",
        "seq": seq,
    }


def test_export_records_carry_their_position(tmp_path: Path) -> None:
    [row] = jsonl_rows(lines(tmp_path, export_record(7)))
    assert isinstance(row, Item)
    assert (row.seq, row.recorded_at, row.hash) == (7, "2026-01-01T00:00:00.000000Z", "a" * 64)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seq": 0}, "seq"),
        ({"seq": "1"}, "seq"),
        ({"hash": "xyz"}, "hash"),
        ({"recorded_at": "2026-01-01 00:00:00"}, "recorded_at"),
        ({"recorded_at": "2026-13-01T00:00:00.000000Z"}, "recorded_at"),
        ({"event": {"type": "praise"}}, "event"),
    ],
)
def test_bad_export_metadata(tmp_path: Path, change: dict[str, object], field: str) -> None:
    [row] = jsonl_rows(lines(tmp_path, {**export_record(1), **change}))
    assert isinstance(row, Skip) and row.error is not None and row.error.field == field


def test_a_file_uses_one_form(tmp_path: Path) -> None:
    rows = jsonl_rows(lines(tmp_path, export_record(1), {**PRAISE, "event_id": "x"}))
    assert isinstance(rows[0], Item)
    assert isinstance(rows[1], Skip) and rows[1].reason == "mixed forms"


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_with_envelope_and_type_specific_columns(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "type,event_id,actor,target,occurred_on,source,confidence,weight,items,value_usd,"
        "name,veto,body\n"
        "arms_transfer,a1,Russia,North Korea,2024-01-05,Reuters,0.8,,artillery shells; "
        "rockets,1000000,,,\n"
        "sign_treaty,t1,PRK,RUS,2024-06-19,KCNA,,,,,Comprehensive Strategic Partnership,,\n"
        'support_at_international_body,v1,RUS,PRK,2024-03-28,"UN, New York",,,,,,true,'
        "UN Security Council\n"
        "praise,,PRK,RUS,2024-03-18,KCNA,,2.5,,,,,\n",
        encoding="utf-8",
    )
    rows = csv_rows(path)
    assert all(isinstance(r, Item) for r in rows), rows
    bodies = [json.loads(r.prepared.body) for r in rows if isinstance(r, Item)]
    assert bodies[0]["items"] == ["artillery shells", "rockets"]
    assert bodies[0]["confidence"] == 0.8 and bodies[0]["value_usd"] == 1000000.0
    assert bodies[1]["name"] == "Comprehensive Strategic Partnership"
    assert bodies[2]["veto"] is True and bodies[2]["source"] == "UN, New York"
    assert bodies[3]["weight"] == 2.5 and bodies[3]["event_id"].startswith("sha256:")
    assert [r.line for r in rows] == [2, 3, 4, 5]


def test_csv_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "type,actor,target,occurred_on,name\n"
        "praise,PRK,RUS,2024-03-18,\n"
        "praise,PRK,RUS,2024-03-18,Treaty\n"
        "sign_treaty,PRK,RUS,2024-06-19,\n"
        "praise,PRK,RUS\n",
        encoding="utf-8",
    )
    rows = csv_rows(path)
    assert isinstance(rows[0], Item)
    assert isinstance(rows[1], Skip) and rows[1].error is not None
    assert (rows[1].line, rows[1].error.field) == (3, "name")  # not a field of praise
    assert isinstance(rows[2], Skip) and rows[2].error is not None
    assert (rows[2].line, rows[2].error.field) == (4, "name")  # required for treaties
    assert isinstance(rows[3], Skip) and rows[3].reason == "wrong column count"


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("type,actor,target,when", "when"),
        ("actor,target,occurred_on", None),
        ("type,actor,actor,occurred_on", "actor"),
    ],
)
def test_a_bad_csv_header_is_refused(tmp_path: Path, header: str, column: str | None) -> None:
    path = tmp_path / "events.csv"
    path.write_text(header + "\npraise,PRK,RUS,2024-01-01\n", encoding="utf-8")
    with pytest.raises(ImportFormatError) as info:
        csv_rows(path)
    assert info.value.line == 1 and info.value.value == column


# -- detection and compressed inputs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "fmt"),
    [
        (b'{"type": "praise"}\n', "jsonl"),
        (b'\xef\xbb\xbf{"event": {}}\n', "jsonl"),
        (b"type,actor,target,occurred_on\n", "csv"),
        (ICEWS.read_bytes().splitlines(keepends=True)[0], "icews"),
        (GDELT.read_bytes().splitlines(keepends=True)[0], "gdelt"),
    ],
)
def test_detect(first: bytes, fmt: str) -> None:
    assert detect(first, "f") == fmt


@pytest.mark.parametrize("first", [b"hello world\n", b"a\tb\tc\n", b"x,y\n"])
def test_undetectable_input_asks_for_format(first: bytes) -> None:
    with pytest.raises(ImportFormatError, match="name its format"):
        detect(first, "f")


def test_gzip_and_zip_sources(tmp_path: Path) -> None:
    gz = tmp_path / "events.csv.gz"
    gz.write_bytes(gzip.compress(GDELT.read_bytes()))
    [src] = list(open_sources(gz))
    assert src.name == str(gz)
    archive = tmp_path / "both.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(GDELT, "gdelt/events.csv")
        z.writestr("gdelt/", "")
        z.write(ICEWS, "icews.tab")
    names = []
    for src in open_sources(archive):
        names.append(src.name)
        assert sum(1 for _ in src.lines()) > 10
    assert names == [f"{archive}:gdelt/events.csv", f"{archive}:icews.tab"]


def test_events_validated_in_batches_come_out_in_line_order_with_their_own_errors(
    tmp_path: Path,
) -> None:
    from tracker.importers.jsonl import BATCH, prepare_flat

    good = [{**PRAISE, "event_id": f"id-{i}"} for i in range(BATCH + 3)]
    objs: list[object] = [
        *good[:5],
        {**PRAISE, "event_id": "bad-actor", "actor": "Atlantis"},
        {**PRAISE, "source": "no id: derived"},
        "not json",
        *good[5:],
        {**PRAISE, "event_id": "bad-date", "occurred_on": "18/03/2024"},
    ]
    rows = jsonl_rows(lines(tmp_path, *objs))
    assert [r.line for r in rows] == list(range(1, len(objs) + 1))
    bad = {"bad-actor", "bad-date"}
    for obj, row in zip(objs, rows, strict=True):
        if isinstance(obj, dict) and obj.get("event_id") not in bad:
            assert isinstance(row, Item)
            assert row.prepared == prepare_flat(obj)
        else:
            assert isinstance(row, Skip)
    skips = [r for r in rows if isinstance(r, Skip)]
    assert [(s.line, s.error.field if s.error else None) for s in skips] == [
        (6, "actor"),
        (8, "line"),
        (len(objs), "occurred_on"),
    ]
