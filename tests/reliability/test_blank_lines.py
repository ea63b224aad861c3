"""A flood of empty lines costs about what reading its bytes costs, in every input format and
container, and line numbers still count every line.

Every format ignores empty lines, so the reader skips a run of them a buffer at a time instead
of a line at a time (issue 13: a file of blank lines took minutes). What must not change: the
row after the flood is read, its errors name its real line, and the format of a file that
starts with empty lines is still told from its first real line.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability.test_hostile_input import FORMATS

from tracker.importers.inputs import Source

FLOOD = 200_000
EMPTY = b"\n" * FLOOD + b"\r\n" * FLOOD + b"\r\r\n" * 10  # every kind of empty line
BAD_DAY = {"gdelt": "20240230"}  # (SQLDATE is written YYYYMMDD)


def _flooded(fmt: str) -> tuple[bytes, int]:
    """The valid file of ``fmt`` with a flood before its first line and before its last, whose
    date is made impossible; and the line number of that last line."""
    _name, text, _field, day = FORMATS[fmt]
    lines = [line.encode() + b"\n" for line in text.splitlines()]
    last = lines[-1].replace(day.encode(), BAD_DAY.get(fmt, "2024-02-30").encode(), 1)
    content = EMPTY + b"".join(lines[:-1]) + EMPTY + last
    return content, content.count(b"\n")


def _contained(content: bytes, container: str) -> bytes:
    if container == "gz":
        return gzip.compress(content)
    if container == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("member", content)
        return buf.getvalue()
    return content


@pytest.mark.parametrize("container", ["plain", "gz", "zip"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_row_after_a_flood_of_empty_lines_is_named_by_its_real_line(
    fmt: str,
    container: str,
    rich_store: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    hash_file: Callable[[Path], str],
) -> None:
    content, line = _flooded(fmt)
    name = FORMATS[fmt][0] + ("" if container == "plain" else f".{container}")
    path = tmp_path / name
    path.write_bytes(_contained(content, container))
    before = hash_file(rich_store)
    result = run_cli("import", str(path), "--db", str(rich_store))
    assert result.exit_code == 1, result.output
    assert f"line {line}:" in result.output, result.output
    assert "Traceback" not in result.output
    assert hash_file(rich_store) == before


class _CountingReader(io.BufferedReader):
    """A file that counts the lines asked of it one at a time."""

    readlines_asked = 0

    def readline(self, size: int | None = -1) -> bytes:
        self.readlines_asked += 1
        return super().readline(size)


class _CountingGzip(gzip.GzipFile):
    readlines_asked = 0

    def readline(self, size: int | None = -1) -> bytes:
        self.readlines_asked += 1
        return super().readline(size)


@pytest.mark.parametrize("container", ["plain", "gz"])
def test_a_flood_of_empty_lines_is_read_a_buffer_at_a_time(container: str) -> None:
    content = b'{"a": 1}\n' + EMPTY + b'{"b": 2}\n' + EMPTY
    stream: _CountingReader | _CountingGzip
    if container == "gz":
        stream = _CountingGzip(fileobj=io.BytesIO(gzip.compress(content)), mode="rb")
    else:
        stream = _CountingReader(io.BytesIO(content))  # type: ignore[arg-type]
    src = Source("flood", stream, stream, 0, compressed=container == "gz")  # type: ignore[arg-type]
    lines = list(src.lines())
    assert [n for n, _raw in lines] == [1, 2 * FLOOD + 12]
    # not one per line (800,022 lines): at most about one per buffer of 8 KiB
    assert stream.readlines_asked <= len(content) // 8192 + 10


def test_a_file_that_starts_with_empty_lines_is_still_told_by_its_first_line(
    rich_store: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    for fmt, (name, text, _field, _day) in FORMATS.items():
        path = tmp_path / fmt / name
        path.parent.mkdir()
        path.write_bytes(b"\n\r\n\n" + text.encode())
        result = run_cli("import", str(path), "--db", str(rich_store))
        assert result.exit_code == 0, (fmt, result.output)
        assert f": {'polecat' if fmt == 'plover' else fmt}" in result.output, result.output


def test_verify_against_an_export_with_a_flood_of_empty_lines_finds_it_intact(
    rich_store: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    export = tmp_path / "log.jsonl"
    assert run_cli("export", str(export), "--db", str(rich_store)).exit_code == 0
    records = export.read_bytes().splitlines(keepends=True)
    half = len(records) // 2
    export.write_bytes(EMPTY + b"".join(records[:half]) + EMPTY + b"".join(records[half:]))
    result = run_cli("verify", "--against", str(export), "--db", str(rich_store))
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
