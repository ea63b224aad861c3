"""Hostile input files, format by format: each is refused with a message naming what is wrong,
exit status 1, and the store and the input byte for byte as they were.

Every input format (the tracker's JSON Lines and CSV, ICEWS, POLECAT and PLOVER, GDELT) meets
the same hostile edits of a valid file: control characters (NUL, ESC, C1) in a text field, a
text field longer than its limit, ISO week and impossible dates, bad UTF-8, a record longer
than the line limit, and the same containers (gzip, zip, damaged, encrypted and unreadable zip
members, a decompression bomb). The tab-separated formats also meet a raw line break inside a
field. Bounds checked: JSON nesting depth, and ``verify --against`` a device that never ends.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracker.importers import FORMATS as IMPORT_FORMATS
from tracker.limits import INFLATION_FLOOR, MAX_JSON_DEPTH, MAX_LINE_BYTES

DATA = Path(__file__).parents[1] / "data"
ICEWS = (DATA / "icews" / "events.20140318.tab").read_text(encoding="utf-8").splitlines()[:2]
POLECAT = (DATA / "polecat" / "polecat.sample.txt").read_text(encoding="utf-8").splitlines()[:2]
PLOVER = (DATA / "polecat" / "plover.sample.jsonl").read_text(encoding="utf-8").splitlines()[1]
# two rows of the GDELT 1.0 sample: one filtered out (no second country), then a kept one
# (CHN -> USA, 2016-07-27): the format is told from the first line, the edits fall on the second
GDELT = [
    row
    for row in (DATA / "gdelt" / "events.csv").read_text(encoding="utf-8").splitlines()
    if row.startswith(("564111654\t", "564111714\t"))
]

ROW = {
    "type": "praise",
    "actor": "PRK",
    "target": "RUS",
    "occurred_on": "2024-03-18",
    "summary": "calm words",
    "source": "KCNA",
}
# format -> (name, valid text, the text field's value, the date's value)
FORMATS: dict[str, tuple[str, str, str, str]] = {
    "jsonl": ("in.jsonl", json.dumps(ROW) + "\n", "calm words", "2024-03-18"),
    "csv": (
        "in.csv",
        "type,actor,target,occurred_on,summary,source\npraise,PRK,RUS,2024-03-18,calm words,KCNA\n",
        "calm words",
        "2024-03-18",
    ),
    "icews": ("in.tab", "\n".join(ICEWS) + "\n", "Example Wire", "2014-03-18"),
    "polecat": ("in.txt", "\n".join(POLECAT) + "\n", "Example Wire", "2023-03-01"),
    "plover": ("in.jsonl", PLOVER + "\n", "Example Gazette", "2016-07-24"),
    "gdelt": ("in.export.CSV", "\n".join(GDELT) + "\n", "UNITED STATES", "20160727"),
}
TAB_SEPARATED = ("icews", "polecat", "gdelt")
HOSTILE_TEXT = {
    "nul": "calm\x00words",
    "escape": "calm\x1b[2Jwords",
    "osc-title": "calm\x1b]0;pwned\x07",
    "c1": "calm\x9bwords",
    "newline": "calm\rwords",
}
HOSTILE_DATES = ["2024-W12-1", "2024-02-30", "2024-3-18", "20240318", "２０２４-03-18"]
GDELT_DATES = ["2024W121", "20240230", "2024318", "2024-03-18", "２０２４0318"]  # (SQLDATE)
UTF8_NEEDLES = {  # a tab-separated row names the column holding the bad byte
    "icews": "Publisher: not valid UTF-8 text at byte",
    "polecat": "Source: not valid UTF-8 text at byte",
    "gdelt": "column 17: not valid UTF-8 text at byte",  # (Actor2Name: GDELT has no header)
}
OVERLONG = "x" * 5000  # longer than any text field may be (a summary: 2,000 characters)


def _in_json(value: str) -> str:
    return json.dumps(value)[1:-1]


def _cases() -> list[tuple[str, str, bytes, list[str]]]:
    """(case id, file name, content, texts the message must contain)."""
    cases: list[tuple[str, str, bytes, list[str]]] = []
    for fmt, (name, text, field_value, day) in FORMATS.items():
        is_json = fmt in ("jsonl", "plover")
        for kind, bad in HOSTILE_TEXT.items():
            edited = text.replace(field_value, _in_json(bad) if is_json else bad, 1)
            # (a raw CR outside quotes is where Python's csv module sees a broken row)
            needle = "malformed CSV" if (fmt, kind) == ("csv", "newline") else "control character"
            cases.append((f"{fmt}-text-{kind}", name, edited.encode(), [needle]))
        overlong = text.replace(field_value, OVERLONG, 1)
        cases.append((f"{fmt}-text-overlong", name, overlong.encode(), ["characters"]))
        if fmt in TAB_SEPARATED:  # a raw line break splits the row: too few fields
            for kind, brk in {"lf": "\n", "crlf": "\r\n"}.items():
                edited = text.replace(field_value, f"calm{brk}words", 1)
                cases.append((f"{fmt}-raw-{kind}", name, edited.encode(), ["columns"]))
        for bad_day in GDELT_DATES if fmt == "gdelt" else HOSTILE_DATES:
            edited = text.replace(day, bad_day, 1)
            cases.append((f"{fmt}-date-{bad_day}", name, edited.encode(), ["line"]))
        body = text.encode()
        bad_utf8 = body.replace(field_value.encode(), b"Ex\xffmple", 1)
        cases.append((f"{fmt}-bad-utf8", name, bad_utf8, [UTF8_NEEDLES.get(fmt, "UTF-8")]))
        long_line = body + b"x" * (MAX_LINE_BYTES + 10) + b"\n"
        cases.append((f"{fmt}-long-line", name, long_line, ["limit for one record"]))
        cases.append((f"{fmt}-gzip-long-line", name + ".gz", gzip.compress(long_line), ["limit"]))
        cases.append(
            (f"{fmt}-gzip-truncated", name + ".gz", gzip.compress(body)[:-12], ["damaged"])
        )
        cases.append(
            (f"{fmt}-zip-encrypted", name + ".zip", _zip(body, encrypted=True), ["encrypt"])
        )
        cases.append((f"{fmt}-zip-method", name + ".zip", _zip(body, method=99), ["method 99"]))
        cases.append((f"{fmt}-zip-crc", name + ".zip", _zip(body, corrupt=True), ["damaged"]))
        bomb = body + b"\n" * (INFLATION_FLOOR * 2)
        cases.append((f"{fmt}-gzip-bomb", name + ".gz", gzip.compress(bomb, 9), ["bomb"]))
        cases.append((f"{fmt}-zip-bomb", name + ".zip", _zip(bomb), ["bomb"]))
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    for depth_case, value in {
        "array": deep,
        "object": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "in-field": json.dumps({**ROW, "summary": json.loads("[" * 5 + "]" * 5)})[:-1]
        + ', "x": '
        + deep
        + "}",
    }.items():
        content = (json.dumps(ROW) + "\n" + value + "\n").encode()
        cases.append((f"jsonl-deep-{depth_case}", "in.jsonl", content, ["levels deep"]))
    return cases


def _zip(
    data: bytes, *, encrypted: bool = False, method: int | None = None, corrupt: bool = False
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("member", data)
    raw = bytearray(buf.getvalue())
    central = raw.find(b"PK\x01\x02")
    if encrypted:
        raw[6] |= 1
        raw[central + 8] |= 1
    if method is not None:
        raw[8] = raw[central + 10] = method
    if corrupt:
        raw[30 + len("member") + 2] ^= 0xFF  # a byte of the compressed data
    return bytes(raw)


CASES = _cases()


def test_every_import_format_meets_the_hostile_edits() -> None:
    here = {c[0].split("-")[0] for c in CASES}
    read_by = {fmt: "polecat" if fmt == "plover" else fmt for fmt in here}  # one reader for both
    assert set(read_by.values()) == set(IMPORT_FORMATS)


@pytest.mark.parametrize(
    ("name", "content", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_hostile_file_is_refused_and_nothing_changes(
    name: str,
    content: bytes,
    needles: list[str],
    rich_store: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    hash_file: Callable[[Path], str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = (hash_file(rich_store), hash_file(path))
    result = run_cli("import", str(path), "--db", str(rich_store))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    assert (hash_file(rich_store), hash_file(path)) == before


def test_the_valid_files_the_edits_start_from_are_accepted(
    rich_store: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    for fmt, (name, text, _field, _day) in FORMATS.items():
        path = tmp_path / fmt / name
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        result = run_cli("import", str(path), "--db", str(rich_store))
        assert result.exit_code == 0, (fmt, result.output)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_verify_against_a_device_that_never_ends_stops_at_the_line_limit(
    device: str, rich_store: Path, run_cli: Callable[..., Any]
) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    result = run_cli("verify", "--against", device, "--db", str(rich_store))
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_import_of_a_device_is_refused(rich_store: Path, run_cli: Callable[..., Any]) -> None:
    result = run_cli("import", "/dev/zero", "--db", str(rich_store))
    assert result.exit_code == 1, result.output
    assert "/dev/zero: not a regular file" in result.output
