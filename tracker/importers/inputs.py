"""Opening import files: plain, gzip or zip (every member file), read line by line.

Compression is recognised by content (the gzip and zip magic numbers), not by the file name.
Nothing is read into memory whole: a source is a binary line iterator, and its position in the
file on disk drives the progress bar.

Empty lines (nothing but line-break bytes) are never yielded: every format ignores them, and a
file of nothing else (a flood of blank lines, plain or compressed) is skipped a buffer at a
time instead of a line at a time, so it costs about as much as reading its bytes. Line numbers
still count them.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO

from events.errors import TrackerError
from tracker.limits import MAX_LINE_BYTES, check_inflation, line_too_long

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

DAMAGE: tuple[type[BaseException], ...] = (EOFError, OSError, zipfile.BadZipFile, zlib.error)
"""What reading a damaged or truncated file raises (a gzip stream that ends early raises
``EOFError``; a zip member with a bad CRC ``BadZipFile``; corrupt deflate data ``zlib.error``)."""


_EMPTY_STARTS = (b"\n", b"\r")
_PEEK = 1 << 16


def skip_empty_lines(
    stream: IO[bytes] | io.BufferedIOBase, each: Callable[[int], None] | None = None
) -> int:
    """Consume the empty lines at the stream's position, a buffer at a time (its ``peek``, and
    C-speed byte scans), calling ``each`` with the count so far after every buffer; how many
    there were (0 for a stream without ``peek``). A line of nothing but ``\r`` is empty too:
    every format ignores it. (Empty lines cannot carry a value: a quoted CSV field that spans
    them holds a line break, which text fields refuse anyway.)"""
    peek = getattr(stream, "peek", None)
    if peek is None:
        return 0
    skipped = 0
    while True:
        buffered: bytes = peek(_PEEK)
        blank = len(buffered) - len(buffered.lstrip(b"\r\n"))
        end = buffered.rfind(b"\n", 0, blank) + 1  # whole lines only
        if not end:
            return skipped
        skipped += buffered.count(b"\n", 0, end)
        stream.read(end)
        if each is not None:
            each(skipped)
        if end < len(buffered):
            return skipped


def is_empty_line(raw: bytes, limit: int) -> bool:
    """Whether a line read with ``readline(limit)`` holds nothing but line-break bytes."""
    return raw[:1] in _EMPTY_STARTS and len(raw) < limit and not raw.strip(b"\r\n")


class InputError(TrackerError):
    """An input file that cannot be read (missing, damaged, truncated)."""


class Source:
    """One stream of lines: a plain file, the content of a .gz, or one member of a .zip.

    Lines are read within :data:`tracker.limits.MAX_LINE_BYTES`, and a compressed stream
    within :data:`tracker.limits.MAX_INFLATION`, so that memory and time stay bounded by the
    size of the file on disk whatever it holds.
    """

    def __init__(
        self,
        name: str,
        stream: IO[bytes] | io.BufferedIOBase,
        raw: IO[bytes],
        offset: int,
        *,
        compressed: bool = False,
    ) -> None:
        self.name = name
        self._stream = stream
        self._raw = raw
        self._offset = offset
        self._compressed = compressed
        self.line = 0  # the last line read (for "damaged after line N")
        # the first line that is not empty, for format detection; lines() yields it again
        self.first_line = 1 + self._skip_empty(0)
        self.first = self._readline(self.first_line)

    def _readline(self, n: int) -> bytes:
        raw = self._stream.readline(MAX_LINE_BYTES + 1)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise line_too_long(n).at(source=self.name)
        return raw

    def _skip_empty(self, line: int) -> int:
        """Consume the empty lines after file line ``line`` (see :func:`skip_empty_lines`),
        checking a compressed stream's inflation as it goes; how many there were."""

        def check(skipped: int) -> None:
            self.line = line + skipped
            self._check_inflation()

        return skip_empty_lines(self._stream, check if self._compressed else None)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw bytes with the line ending) for every line that is not empty,
        the first one included."""
        if not self.first:
            return
        n = self.first_line
        self.line = n
        yield n, self.first
        readline = self._stream.readline
        limit = MAX_LINE_BYTES + 1
        checked = n
        while raw := readline(limit):
            n += 1
            if is_empty_line(raw, limit):
                n += self._skip_empty(n)
                self.line = n
                if self._compressed and n - checked > 0x3FFF:
                    checked = n
                    self._check_inflation()
                continue
            self.line = n
            if len(raw) == limit and not raw.endswith(b"\n"):
                raise line_too_long(n).at(source=self.name)
            if self._compressed and n - checked > 0x3FFF:
                checked = n
                self._check_inflation()
            yield n, raw
        if self._compressed:
            self._check_inflation()

    def _check_inflation(self) -> None:
        try:
            inflated, compressed = self._stream.tell(), self._raw.tell()
        except (OSError, ValueError):
            return
        try:
            check_inflation(compressed, inflated)
        except TrackerError as exc:
            raise exc.at(line=self.line, source=self.name) from None

    def position(self) -> int:
        """Bytes of the file on disk consumed so far, counted across all input files."""
        try:
            return self._offset + self._raw.tell()
        except (OSError, ValueError):
            return self._offset


def open_sources(path: Path, offset: int = 0) -> Generator[Source, None, None]:
    """The sources in one input file: itself, its decompressed content, or each zip member."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed in finally, after the caller is done
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror or exc})", field="file", value=str(path)
        ) from None
    try:
        magic = raw.read(4)
        raw.seek(0)
        if magic[:2] == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield Source(str(path), unzipped, raw, offset, compressed=True)
        elif magic in ZIP_MAGICS:
            try:
                archive = zipfile.ZipFile(raw)
            except (zipfile.BadZipFile, OSError) as exc:
                raise InputError(
                    f"{path}: not a readable zip archive ({exc})", field="file", value=str(path)
                ) from None
            with archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    name = f"{path}:{info.filename}"
                    _check_member(info, name)
                    try:
                        member = archive.open(info)
                    except (RuntimeError, NotImplementedError) as exc:
                        raise InputError(
                            f"{name}: cannot be read ({exc})", field="file", value=name
                        ) from None
                    with member:
                        yield Source(name, member, raw, offset, compressed=True)
        else:
            yield Source(str(path), raw, raw, offset)
    finally:
        raw.close()


READABLE_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    """Refuse, before reading, a zip member that is encrypted, compressed in a way this
    Python cannot read, or declared to inflate like a decompression bomb."""
    if info.flag_bits & 0x1:
        raise InputError(
            f"{name}: the zip member is encrypted (decrypt the archive first)",
            field="file",
            value=name,
        )
    if info.compress_type not in READABLE_METHODS:
        raise InputError(
            f"{name}: compressed with zip method {info.compress_type}, which cannot be read "
            f"(readable: {', '.join(READABLE_METHODS.values())}); recompress the archive",
            field="file",
            value=name,
        )
    try:
        check_inflation(info.compress_size, info.file_size)
    except TrackerError as exc:
        raise exc.at(source=name) from None


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
