"""Opening import files: plain, gzip or zip (every member file), read line by line.

Compression is recognised by content (the gzip and zip magic numbers), not by the file name.
Nothing is read into memory whole: a source is a binary line iterator, and its position in the
file on disk drives the progress bar.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

from events.errors import TrackerError
from tracker.limits import MAX_LINE_BYTES, check_inflation, line_too_long

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

DAMAGE: tuple[type[BaseException], ...] = (EOFError, OSError, zipfile.BadZipFile, zlib.error)
"""What reading a damaged or truncated file raises (a gzip stream that ends early raises
``EOFError``; a zip member with a bad CRC ``BadZipFile``; corrupt deflate data ``zlib.error``)."""


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
        self.first = self._readline(1)  # for format detection; lines() yields it again

    def _readline(self, n: int) -> bytes:
        raw = self._stream.readline(MAX_LINE_BYTES + 1)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise line_too_long(n).at(source=self.name)
        return raw

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw bytes with the line ending) for every line, first one included."""
        if not self.first:
            return
        self.line = 1
        yield 1, self.first
        n = 1
        readline = self._stream.readline
        limit = MAX_LINE_BYTES + 1
        while raw := readline(limit):
            n += 1
            self.line = n
            if len(raw) == limit and not raw.endswith(b"\n"):
                raise line_too_long(n).at(source=self.name)
            if self._compressed and not n & 0x3FFF:
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
