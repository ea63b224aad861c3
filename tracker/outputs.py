"""Output safety: every file a command writes goes through here.

A careless path must never destroy data. So, before any work starts, an output is refused when
it is (after resolving links, compared by device and inode) the store, one of its ``-wal`` /
``-shm`` / ``-journal`` files, or an input of the same command, and when it exists but is not a
regular file (a directory, a device such as ``/dev/full``, a pipe); ``-`` (standard output) is
allowed where the command says so. The content is then written to a temporary file beside the
destination and renamed over it only when the command has succeeded: a failure at any point
leaves the destination as it was. On Linux the temporary file is unnamed (``O_TMPFILE``) until
the rename, so even a killed process leaves nothing behind; elsewhere it is a hidden
``.NAME.PID.XXXX.tmp`` removed on every failure path the process lives through. A process
killed outright (SIGKILL, a power cut) while it held such a name leaves it behind: the next
write of the same NAME removes every ``.NAME.PID.*.tmp`` whose process no longer runs on this
machine. An output that must not replace a file (``replace=False``) is put in place with a
link, which fails if the name was taken meanwhile; one with a ``mode`` (a private key: 0600)
has that mode from the moment it is created.

This module is over 400 lines because one output's life (checks, temporary file, publication,
clean-up of what killed writers left) is one state machine. Text for the terminal is escaped
in :mod:`tracker.terminal`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, TypedDict, Unpack

from events.errors import TrackerError, field_message

if TYPE_CHECKING:
    from pathlib import Path

STDOUT = "-"
STORE_SIDECARS = {
    "": "the store itself (writing it would destroy the log)",
    "-wal": "the store's write-ahead log",
    "-shm": "the store's shared-memory file",
    "-journal": "the store's rollback journal",
}
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class OutputError(TrackerError):
    """An output that must not, or cannot, be written; the destination is left as it was."""


class OutputExistsError(OutputError):
    """The destination exists and the caller did not ask to replace it."""


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class Rules(TypedDict, total=False):
    """What an output must not be, and may be: ``store`` (it and its sidecars are refused),
    ``inputs`` (the command's own inputs, refused), ``allow_stdout`` (``-`` is standard
    output; default no) and ``replace`` (an existing regular file is replaced; default yes)."""

    store: str | Path | None
    inputs: Iterable[str | Path]
    allow_stdout: bool
    replace: bool


def check_output(target: str | Path, *, field: str, **rules: Unpack[Rules]) -> Path | None:
    """The real path an output will be written to (None for standard output), or an
    :class:`OutputError` saying why it must not be written. ``field`` names the output in
    messages (``report``, ``file``, ``out``); ``rules``: see :class:`Rules`."""
    from pathlib import Path  # here: a query only prints

    store = rules.get("store")
    inputs = rules.get("inputs", ())
    allow_stdout = rules.get("allow_stdout", False)
    replace = rules.get("replace", True)
    text = str(target)
    if text == STDOUT:
        if allow_stdout:
            return None
        raise OutputError(
            field_message(field, text, "standard output is not allowed here; give a file name"),
            field=field,
            value=text,
        )
    if not text or "\0" in text:
        raise OutputError(field_message(field, text, "not a file name"), field=field, value=text)
    real = Path(os.path.realpath(target))
    protected: list[tuple[Path, str]] = []
    if store is not None:
        base = os.path.realpath(store)
        protected += [(Path(base + suffix), what) for suffix, what in STORE_SIDECARS.items()]
    for item in inputs:
        protected.append((Path(os.path.realpath(item)), f"an input of this command ({item})"))
    mine = _identity(real)
    for path, what in protected:
        if real == path or (mine is not None and mine == _identity(path)):
            raise OutputError(field_message(field, text, f"is {what}"), field=field, value=text)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(
            field_message(field, text, f"cannot be checked ({exc.strerror or exc})"),
            field=field,
            value=text,
        ) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(field_message(field, text, "is a directory"), field=field, value=text)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(
                field_message(
                    field,
                    text,
                    "is not a regular file (a device, pipe or socket); only regular files"
                    + (" and '-' (standard output)" if allow_stdout else "")
                    + " are written",
                ),
                field=field,
                value=text,
            )
        if not replace:
            raise OutputExistsError(
                field_message(field, text, "already exists"), field=field, value=text
            )
    elif not replace and os.path.islink(text):  # a dangling link is a name already taken
        raise OutputExistsError(
            field_message(field, text, f"already exists (a link to {os.readlink(text)!r})"),
            field=field,
            value=text,
        )
    if not real.parent.is_dir():
        raise OutputError(
            field_message(field, text, f"no such directory {str(real.parent)!r}"),
            field=field,
            value=text,
        )
    return real


def _link_fd(fd: int, name: str) -> None:
    """Give an open unnamed file a name: ``linkat(AT_EMPTY_PATH)``, else through /proc."""
    import ctypes

    at_fdcwd, at_empty_path = -100, 0x1000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.linkat(fd, b"", at_fdcwd, os.fsencode(name), at_empty_path) == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), name)
    except (AttributeError, OSError) as exc:
        if isinstance(exc, FileExistsError):
            raise
    os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)


class AtomicOutput:
    """A checked output, written to a temporary file and renamed into place by :meth:`publish`.

    Use as a context manager: leaving the block without ``publish()`` (an error, Ctrl-C)
    discards the temporary file and leaves the destination untouched::

        with AtomicOutput(path, field="file", store=db) as out:
            out.stream.write(...)
            out.publish()
    """

    def __init__(
        self,
        target: str | Path,
        *,
        field: str,
        binary: bool = False,
        mode: int | None = None,
        **rules: Unpack[Rules],
    ) -> None:
        self.target = str(target)
        self.field = field
        self.binary = binary
        self.replace = rules.get("replace", True)
        self.mode = mode  # None: as a new file (0666 less the umask), or the replaced file's
        self.dest = check_output(target, field=field, **rules)
        self.published = False
        self._fd: int | None = None
        self._named: str | None = None  # the temporary file's name, when it has one
        self._stream: IO[Any] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> AtomicOutput:
        self.open()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.published:
            self.discard()
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise self.disk_full() from None

    def open(self) -> None:
        """Create the temporary file (a no-op for standard output)."""
        if self.dest is None or self._fd is not None:
            return
        directory = str(self.dest.parent)
        sweep_stale(self.dest)
        create = 0o666 if self.mode is None else self.mode
        try:
            try:
                self._fd = os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, create)
            except (AttributeError, OSError):  # not Linux, or a file system without it
                self._fd, self._named = _named_temporary(self.dest)  # (mode 0600)
                if self.mode is None:
                    umask = os.umask(0)
                    os.umask(umask)
                    os.fchmod(self._fd, 0o666 & ~umask)
            if self.mode is not None:
                os.fchmod(self._fd, self.mode)
            elif self.dest.exists():  # a replaced file keeps its permissions
                os.fchmod(self._fd, stat.S_IMODE(os.stat(self.dest).st_mode))
        except OSError as exc:
            self.discard()
            raise self._error(exc, "cannot be written") from None

    @property
    def stream(self) -> IO[Any]:
        """The file to write to: binary if asked for, else UTF-8 text with ``\\n`` endings."""
        if self._stream is None:
            if self.dest is None:
                self._stream = sys.stdout.buffer if self.binary else sys.stdout
            else:
                self.open()
                assert self._fd is not None
                raw = os.fdopen(self._fd, "wb", closefd=False)
                self._stream = (
                    raw
                    if self.binary
                    else io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=False)
                )
        return self._stream

    def publish(self) -> None:
        """Make the content the destination's, all at once (flushed and synced first)."""
        if self.published:
            return
        try:
            if self._stream is not None:
                self._stream.flush()
            if self.dest is None:
                self.published = True
                return
            self.open()
            assert self._fd is not None
            os.fsync(self._fd)
            if self.replace:
                if self._named is None:
                    self._named = self._link_unnamed()
                os.replace(self._named, self.dest)
                self._named = None
            else:
                self._put_new()
            self.published = True
            try:  # the rename itself survives a power cut
                dir_fd = os.open(str(self.dest.parent), os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            except OSError:
                pass
        except FileExistsError:
            self.discard()
            raise OutputExistsError(
                field_message(self.field, self.target, "already exists (created meanwhile)"),
                field=self.field,
                value=self.target,
            ) from None
        except OSError as exc:
            self.discard()
            raise self._error(exc, "cannot be written") from None
        finally:
            if self.published:
                self._close()

    def discard(self) -> None:
        """Drop the temporary file (the destination stays as it was)."""
        self._close()
        if self._named is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._named)
            self._named = None

    def retract(self) -> None:
        """Undo: before :meth:`publish` drop the temporary file; after it, remove the
        published file (used when the work the output describes was rolled back)."""
        if self.published and self.dest is not None:
            self.dest.unlink(missing_ok=True)
            self.published = False
        self.discard()

    # -- internals -------------------------------------------------------------------------

    def _put_new(self) -> None:
        """Give the content the destination's name only if that name is still free (a link
        fails with ``FileExistsError`` where a rename would replace the file)."""
        assert self._fd is not None and self.dest is not None
        if self._named is None:
            try:
                _link_fd(self._fd, str(self.dest))
                return
            except FileExistsError:
                raise
            except OSError:
                self._named = self._copy_out()
        try:
            os.link(self._named, self.dest)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: check, then rename
            if os.path.lexists(self.dest):
                raise FileExistsError(errno.EEXIST, "File exists", str(self.dest)) from None
            os.replace(self._named, self.dest)
        else:
            os.unlink(self._named)
        self._named = None

    def _link_unnamed(self) -> str:
        """Give the unnamed temporary file a hidden name beside the destination."""
        assert self._fd is not None and self.dest is not None
        for attempt in range(100):
            name = str(self.dest.parent / f".{self.dest.name}.{os.getpid()}.{attempt}.tmp")
            try:
                _link_fd(self._fd, name)
                return name
            except FileExistsError:
                continue
            except OSError:
                return self._copy_out()
        raise OSError(errno.EEXIST, "no free temporary name")

    def _copy_out(self) -> str:
        """Where an unnamed file cannot be linked (no /proc): copy it to a named one."""
        assert self._fd is not None and self.dest is not None
        fd, name = _named_temporary(self.dest)
        try:
            offset = 0
            while chunk := os.pread(self._fd, 1 << 20, offset):
                os.write(fd, chunk)
                offset += len(chunk)
            os.fchmod(fd, stat.S_IMODE(os.fstat(self._fd).st_mode))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise
        os.close(fd)
        return name

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and self.dest is not None:
            with contextlib.suppress(OSError):
                stream.close()  # closefd=False: the descriptor is closed below
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def disk_full(self) -> OutputError:
        return OutputError(
            field_message(
                self.field, self.target, "disk full while writing it; nothing was written"
            ),
            field=self.field,
            value=self.target,
        )

    def _error(self, exc: OSError, what: str) -> OutputError:
        if exc.errno in DISK_FULL:
            return self.disk_full()
        return OutputError(
            field_message(self.field, self.target, f"{what} ({exc.strerror or exc})"),
            field=self.field,
            value=self.target,
        )

    def wrap(self, exc: OSError) -> OutputError:
        """An OSError met while writing the stream, as a message about this output."""
        return self._error(exc, "cannot be written")


def _named_temporary(dest: Path) -> tuple[int, str]:
    """A new hidden ``.NAME.PID.XXXX.tmp`` beside ``dest`` (mode 0600), open for writing."""
    import tempfile  # here: queries print through this module, and never get here

    return tempfile.mkstemp(prefix=f".{dest.name}.{os.getpid()}.", suffix=".tmp", dir=dest.parent)


def _process_runs(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):  # no such process number
        return False
    except OSError:  # (e.g. another user's process)
        return True
    return True


def sweep_stale(dest: Path) -> list[Path]:
    """Remove the temporary files that writers of ``dest`` killed outright left beside it
    (``.NAME.PID.*.tmp`` whose process no longer runs); the paths removed."""
    from pathlib import Path

    pattern = re.compile(rf"\.{re.escape(dest.name)}\.(\d+)\.[^/]*\.tmp")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(dest.parent))
    except OSError:
        return removed
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or _process_runs(int(found.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed
