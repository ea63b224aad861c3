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

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

DAMAGE: tuple[type[BaseException], ...] = (EOFError, OSError, zipfile.BadZipFile, zlib.error)
"""What reading a damaged or truncated file raises (a gzip stream that ends early raises
``EOFError``; a zip member with a bad CRC ``BadZipFile``; corrupt deflate data ``zlib.error``)."""


class InputError(TrackerError):
    """An input file that cannot be read (missing, damaged, truncated)."""


class Source:
    """One stream of lines: a plain file, the content of a .gz, or one member of a .zip."""

    def __init__(
        self, name: str, stream: IO[bytes] | io.BufferedIOBase, raw: IO[bytes], offset: int
    ) -> None:
        self.name = name
        self._stream = stream
        self._raw = raw
        self._offset = offset
        self.line = 0  # the last line read (for "damaged after line N")
        self.first = stream.readline()  # for format detection; lines() yields it again

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw bytes with the line ending) for every line, first one included."""
        if not self.first:
            return
        self.line = 1
        yield 1, self.first
        n = 1
        for raw in self._stream:
            n += 1
            self.line = n
            yield n, raw

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
                yield Source(str(path), unzipped, raw, offset)
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
                    with archive.open(info) as member:
                        yield Source(f"{path}:{info.filename}", member, raw, offset)
        else:
            yield Source(str(path), raw, raw, offset)
    finally:
        raw.close()


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
