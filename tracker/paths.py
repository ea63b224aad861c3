"""A store file's path as :mod:`pathlib` spells it and sees it, without importing pathlib.

A query opens its store on every run, and ``pathlib`` costs its start-up more than any other
module it can do without (it imports ``urllib.parse``, which imports ``ipaddress``: about a
tenth of a ``tracker state`` process, issue 16). The store's location is therefore carried as
text, spelled exactly as ``str(Path(given))`` spells it (so that every message naming the
store reads as before), and the few questions asked of the file are answered as
``Path.exists``, ``is_file``, ``is_dir`` and ``resolve`` answer them (Python 3.11: the same
errors ignored, the same ones raised). Elsewhere than POSIX, pathlib itself answers.
"""

from __future__ import annotations

import os
import stat
from errno import EBADF, ELOOP, ENOENT, ENOTDIR

_POSIX = os.name == "posix"

_IGNORED_ERRNOS = (ENOENT, ENOTDIR, EBADF, ELOOP)
_IGNORED_WINERRORS = (21, 123, 1921)  # not ready, invalid name, cannot resolve the name
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")


def spelled(given: str | os.PathLike[str]) -> str:
    """``str(pathlib.Path(given))``: repeated and trailing separators and ``.`` parts folded
    away, a leading ``//`` kept (POSIX leaves its meaning to the system), ``.`` for nothing."""
    if not _POSIX:
        from pathlib import Path

        return str(Path(given))
    text = os.fspath(given)
    if not isinstance(text, str):
        raise TypeError(
            "argument should be a str object or an os.PathLike object returning str, "
            f"not {type(text)!r}"
        )
    root = ""
    if text.startswith("/"):
        rest = text.lstrip("/")
        root = "//" if len(text) - len(rest) == 2 else "/"
        text = rest
    return root + "/".join(part for part in text.split("/") if part and part != ".") or "."


def _stat(path: str) -> os.stat_result | None:
    """``os.stat``, or None where pathlib's ``exists``/``is_file``/``is_dir`` answer False
    (no such file or directory, a symlink loop, a name that cannot be encoded); any other
    error is raised, as there."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in _IGNORED_ERRNOS or getattr(exc, "winerror", None) in _IGNORED_WINERRORS:
            return None
        raise
    except ValueError:
        return None


def exists(path: str) -> bool:
    """``Path(path).exists()``."""
    return _stat(path) is not None


def is_file(path: str) -> bool:
    """``Path(path).is_file()``."""
    st = _stat(path)
    return st is not None and stat.S_ISREG(st.st_mode)


def is_dir(path: str) -> bool:
    """``Path(path).is_dir()``."""
    st = _stat(path)
    return st is not None and stat.S_ISDIR(st.st_mode)


def resolved(path: str) -> str:
    """``str(Path(path).resolve())``: the absolute path with symbolic links followed; a
    symlink loop is pathlib's own ``RuntimeError``."""
    if not _POSIX:
        from pathlib import Path

        return str(Path(path).resolve())
    try:
        real = os.path.realpath(path)
    except OSError:
        from pathlib import Path  # it raises what it raises

        return str(Path(path).resolve())
    try:
        os.stat(real)
    except OSError as exc:
        if exc.errno == ELOOP:  # pathlib's RuntimeError, from pathlib
            from pathlib import Path

            return str(Path(path).resolve())
    return real


def parent(path: str) -> str:
    """``str(Path(path).parent)`` of a path as :func:`spelled` spells it."""
    if not _POSIX:
        from pathlib import Path

        return str(Path(path).parent)
    head, sep, _ = path.rpartition("/")
    if not sep:
        return "."
    return head if head.strip("/") else path[: len(path) - len(path.lstrip("/"))] or "/"


def quote(text: str) -> str:
    """``urllib.parse.quote(text)`` (``/`` kept), for a file URI; without importing
    ``urllib.parse`` when the text is ASCII."""
    if not text.isascii():
        from urllib.parse import quote as url_quote

        return url_quote(text)
    return "".join(c if c in _SAFE else f"%{ord(c):02X}" for c in text)
