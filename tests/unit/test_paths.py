"""``tracker.paths`` answers as :mod:`pathlib` does: the store's location is spelled, resolved
and looked at without importing it (issue 16), so every message naming a store reads as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker import paths

PIECES = st.sampled_from(["", "/", "//", "///", ".", "..", "a", "b.db", " x", "é", "-shm", "~"])
SPELLINGS = st.lists(PIECES, max_size=8).map("".join)


@given(SPELLINGS)
def test_a_path_is_spelled_as_pathlib_spells_it(text: str) -> None:
    assert paths.spelled(text) == str(Path(text))
    assert paths.spelled(Path(text)) == str(Path(text))


@given(SPELLINGS)
def test_the_parent_of_a_spelled_path_is_pathlibs(text: str) -> None:
    spelled = str(Path(text))
    assert paths.parent(spelled) == str(Path(spelled).parent)


@given(st.text())
def test_a_file_uri_is_quoted_as_urllib_quotes_it(text: str) -> None:
    try:
        expected = quote(text)
    except UnicodeEncodeError:  # (a lone surrogate: the same error either way)
        with pytest.raises(UnicodeEncodeError):
            paths.quote(text)
        return
    assert paths.quote(text) == expected


def test_bytes_are_refused_as_pathlib_refuses_them() -> None:
    with pytest.raises(TypeError) as ours:
        paths.spelled(b"x.db")  # type: ignore[arg-type]
    with pytest.raises(TypeError) as theirs:
        Path(b"x.db")  # type: ignore[arg-type]
    assert str(ours.value) == str(theirs.value)


def test_files_directories_and_missing_paths_are_seen_as_pathlib_sees_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "file.db").write_text("")
    (tmp_path / "dir").mkdir()
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "link.db").symlink_to(tmp_path / "file.db")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    names = ["file.db", "dir", "loop", "link.db", "dangling", "missing", "file.db/under", "a\0b"]
    for name in names:
        text = str(tmp_path / name)
        path = Path(text)
        assert paths.exists(text) == path.exists(), name
        assert paths.is_file(text) == path.is_file(), name
        assert paths.is_dir(text) == path.is_dir(), name
        if name in ("loop", "a\0b"):
            continue
        assert paths.resolved(text) == str(path.resolve()), name


def test_a_symlink_loop_resolves_to_pathlibs_own_error(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(RuntimeError) as theirs:
        (tmp_path / "loop").resolve()
    with pytest.raises(RuntimeError) as ours:
        paths.resolved(str(tmp_path / "loop"))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_directory_raises_as_pathlib_raises(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(PermissionError):
            (locked / "x.db").exists()
        with pytest.raises(PermissionError):
            paths.exists(str(locked / "x.db"))
    finally:
        locked.chmod(0o700)
