"""No command may destroy data through an output path, and none may show a traceback.

Issue 13: every command that writes a file refuses the store (and its -wal/-shm), an input of
the same command and non-regular files, writes beside the target and renames at the end; an
unexpected error is one line and exit 70; Ctrl-C is exit 130; stored control characters reach
the terminal as visible escapes.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.outputs import (
    AtomicOutput,
    OutputError,
    OutputExistsError,
    check_output,
    sweep_stale,
)
from tracker.terminal import printable

GOOD = '{"type":"praise","actor":"PRK","target":"RUS","occurred_on":"2024-03-18"}\n'
BAD = '{"type":"bogus","actor":"PRK","target":"RUS","occurred_on":"2024-03-18"}\n'


@pytest.fixture
def workdir(rich_store: Path, tmp_path: Path) -> dict[str, Path]:
    """The rich store, an input file, and links to both."""
    inp = tmp_path / "in.jsonl"
    inp.write_text(GOOD + BAD, encoding="utf-8")
    paths = {"db": rich_store, "in": inp}
    (tmp_path / "store-link.db").symlink_to(rich_store)
    os.link(rich_store, tmp_path / "store-hard.db")
    (tmp_path / "in-link.jsonl").symlink_to(inp)
    os.link(inp, tmp_path / "in-hard.jsonl")
    (tmp_path / "wal-link").symlink_to(Path(str(rich_store) + "-wal"))
    for name in ("store-link.db", "store-hard.db", "in-link.jsonl", "in-hard.jsonl", "wal-link"):
        paths[name] = tmp_path / name
    return paths


# (case id, argv with {db}/{in}/{out} placeholders, the target of the output)
PROTECTED_TARGETS = ["db", "store-link.db", "store-hard.db", "wal-link"]
INPUT_TARGETS = ["in", "in-link.jsonl", "in-hard.jsonl"]
WRITERS = {
    "import-report": ["import", "{in}", "--db", "{db}", "--report", "{out}"],
    "import-report-skip": ["import", "{in}", "--db", "{db}", "--skip-invalid", "--report", "{out}"],
    "import-report-dry-run": ["import", "{in}", "--db", "{db}", "--dry-run", "--report", "{out}"],
    "replay-report": ["replay", "--db", "{db}", "--report", "{out}"],
    "export": ["export", "{out}", "--db", "{db}"],
    "export-force": ["export", "{out}", "--db", "{db}", "--force"],
}


def _argv(template: list[str], paths: dict[str, Path], out: str) -> list[str]:
    return [a.format(db=paths["db"], out=out, **{"in": paths["in"]}) for a in template]


def reads_input(writer: str) -> bool:
    """Whether a writer's command reads an input file (only import does)."""
    return "{in}" in WRITERS[writer]


# every writer meets each protected target; a writer that reads an input also meets its input
OUTPUT_CASES = [
    (writer, target)
    for writer in sorted(WRITERS)
    for target in PROTECTED_TARGETS + (INPUT_TARGETS if reads_input(writer) else [])
]


@pytest.mark.parametrize(
    ("writer", "target"), OUTPUT_CASES, ids=[f"{w}-{t}" for w, t in OUTPUT_CASES]
)
def test_an_output_that_is_the_store_or_an_input_is_refused_and_nothing_changes(
    writer: str,
    target: str,
    workdir: dict[str, Path],
    run_cli: Callable[..., Any],
    hash_file: Callable[[Path], str],
) -> None:
    before = {k: hash_file(workdir[k]) for k in ("db", "in")}
    result = run_cli(*_argv(WRITERS[writer], workdir, str(workdir[target])))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "is the store" in result.output or "is an input" in result.output, result.output
    assert {k: hash_file(workdir[k]) for k in ("db", "in")} == before


DEVICES = ["/dev/full", "/dev/null"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_device_is_never_written(
    writer: str, device: str, workdir: dict[str, Path], run_cli: Callable[..., Any]
) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    result = run_cli(*_argv(WRITERS[writer], workdir, device))
    assert result.exit_code == 1, result.output
    assert "not a regular file" in result.output


def test_a_chart_image_over_a_link_to_the_store_is_refused(
    workdir: dict[str, Path], run_cli: Callable[..., Any], hash_file: Callable[[Path], str]
) -> None:
    pytest.importorskip("matplotlib")
    link = workdir["db"].parent / "c.png"
    link.symlink_to(workdir["db"])
    before = hash_file(workdir["db"])
    result = run_cli("chart", "PRK", "RUS", "--out", str(link), "--db", str(workdir["db"]))
    assert result.exit_code == 1, result.output
    assert "is the store" in result.output
    assert hash_file(workdir["db"]) == before


def test_a_chart_image_over_its_own_model_file_is_refused(
    workdir: dict[str, Path], run_cli: Callable[..., Any]
) -> None:
    pytest.importorskip("matplotlib")
    model = workdir["db"].parent / "m.svg"
    model.write_text("scale = 40\n", encoding="utf-8")
    argv = ["chart", "PRK", "RUS", "--out", str(model), "--model", str(model)]
    result = run_cli(*argv, "--db", str(workdir["db"]))
    assert result.exit_code == 1, result.output
    assert "is an input" in result.output
    assert model.read_text(encoding="utf-8") == "scale = 40\n"


def test_a_report_is_written_whole_and_leaves_no_temporary_file(
    workdir: dict[str, Path], run_cli: Callable[..., Any]
) -> None:
    out = workdir["db"].parent / "skipped.jsonl"
    argv = ["import", str(workdir["in"]), "--db", str(workdir["db"]), "--skip-invalid"]
    result = run_cli(*argv, "--report", str(out))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["value"] for r in records] == ["bogus"]
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_report_that_cannot_be_completed_rolls_the_import_back(
    workdir: dict[str, Path],
    run_cli: Callable[..., Any],
    hash_file: Callable[[Path], str],
    dump_store: Callable[[Path], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the disk fills up as the report is synced, after the good rows were appended
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = workdir["db"].parent / "skipped.jsonl"
    out.write_text("the previous report\n", encoding="utf-8")
    dump = dump_store(workdir["db"])
    argv = ["import", str(workdir["in"]), "--db", str(workdir["db"]), "--skip-invalid"]
    result = run_cli(*argv, "--report", str(out))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert result.exit_code == 1, result.output
    assert "disk full" in result.output and "in.jsonl" not in result.output
    assert dump_store(workdir["db"]) == dump
    assert out.read_text(encoding="utf-8") == "the previous report\n"
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_export_keeps_the_previous_file(
    rich_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., Any]
) -> None:
    target = tmp_path / "log.jsonl"
    target.write_text("previous\n", encoding="utf-8")
    monkeypatch.setattr(os, "replace", _raise(OSError(errno.EIO, "Input/output error")))
    result = run_cli("export", str(target), "--force", "--db", str(rich_store))
    assert result.exit_code == 1, result.output
    assert "cannot be written" in result.output
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _raise(exc: BaseException) -> Callable[..., None]:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise exc

    return fail


def test_an_atomic_output_discards_its_work_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), AtomicOutput(target, field="out") as out:
        out.stream.write("half of the new content")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_atomic_output_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    with AtomicOutput(target, field="out") as out:
        out.stream.write("new")
        out.publish()
    assert target.read_text(encoding="utf-8") == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_writing_through_a_link_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with AtomicOutput(link, field="out") as out:
        out.stream.write("new")
        out.publish()
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("", "not a file name"),
        ("-", "standard output is not allowed"),
        ("{tmp}", "is a directory"),
        ("{tmp}/no/such/dir/x", "no such directory"),
    ],
)
def test_check_output_names_why_a_path_cannot_be_written(
    target: str, reason: str, tmp_path: Path
) -> None:
    with pytest.raises(OutputError, match=reason) as err:
        check_output(target.format(tmp=tmp_path), field="out")
    assert err.value.field == "out"


def test_standard_output_is_allowed_where_the_command_says_so() -> None:
    assert check_output("-", field="file", allow_stdout=True) is None


# -- writers killed outright, outputs that must not replace, private modes ---------------------

# runs `tracker ARGS...` after the prelude; the patched step says "ready" and waits to be killed
_KILLABLE = """
import os, sys, time
{prelude}
def _wait(*args, **kwargs):
    sys.stderr.write("ready\\n"); sys.stderr.flush(); time.sleep(120)
{patch}
from tracker.cli import main
sys.argv = ["tracker", *sys.argv[1:]]
main()
"""
KILL_POINTS = {
    # (prelude, patch): where the writer is when it is killed
    "unnamed-before-publish": (
        "",
        "import tracker.outputs as o; o.AtomicOutput.publish = _wait",
    ),
    "named-before-rename": (
        "",
        "import tracker.outputs as o; _link = o.AtomicOutput._link_unnamed\n"
        "o.AtomicOutput._link_unnamed = lambda self: (_link(self), _wait())[0]",
    ),
    "no-unnamed-files": (
        "del os.O_TMPFILE  # as on a system or file system without them",
        "import tracker.outputs as o; o.AtomicOutput.publish = _wait",
    ),
}


def _temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_an_export_killed_mid_write_leaves_the_old_file_and_the_next_write_cleans_up(
    point: str, rich_store: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    target = tmp_path / "log.jsonl"
    target.write_text("previous\n", encoding="utf-8")
    prelude, patch = KILL_POINTS[point]
    code = _KILLABLE.format(prelude=prelude, patch=patch)
    argv = ["export", str(target), "--force", "--db", str(rich_store)]
    with subprocess.Popen(
        [sys.executable, "-c", code, *argv], stderr=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stderr is not None
        for line in iter(writer.stderr.readline, ""):  # (other lines, e.g. warnings, first)
            if line == "ready\n":
                break
        else:
            pytest.fail(f"the writer ended before the point it was to be killed at ({point})")
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == "previous\n"
    left = _temporaries(tmp_path)
    if point == "unnamed-before-publish":
        assert left == []  # an unnamed file dies with its process
    else:
        assert left and all(n.startswith(f".log.jsonl.{writer.pid}.") for n in left)
    result = run_cli(*argv)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") != "previous\n"
    assert _temporaries(tmp_path) == []


def test_only_temporaries_of_writers_that_no_longer_run_are_swept(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with subprocess.Popen([sys.executable, "-c", "pass"]) as gone:
        gone.wait()
    stale = tmp_path / f".out.txt.{gone.pid}.ab12cd.tmp"
    running = tmp_path / f".out.txt.{os.getpid()}.ef34gh.tmp"
    other_target = tmp_path / f".other.txt.{gone.pid}.ab12cd.tmp"
    for path in (stale, running, other_target):
        path.write_text("half", encoding="utf-8")
    assert sweep_stale(target) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, other_target.name])


def test_an_output_that_must_not_replace_refuses_a_file_created_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with AtomicOutput(target, field="out", replace=False) as out:
        out.stream.write("mine")
        target.write_text("someone else's", encoding="utf-8")  # after the check, before publish
        with pytest.raises(OutputExistsError, match="already exists"):
            out.publish()
    assert target.read_text(encoding="utf-8") == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.txt"]


def test_an_output_with_a_private_mode_has_it_from_the_start(tmp_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: the mode must not depend on it
    try:
        with AtomicOutput(tmp_path / "secret", field="out", mode=0o600) as out:
            assert out._fd is not None
            assert stat.S_IMODE(os.fstat(out._fd).st_mode) == 0o600  # before a byte is written
            out.stream.write("key")
            out.publish()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("existing-key", "already exists (refusing to overwrite a key)"),
        ("existing-public", "already exists (refusing to overwrite a key)"),
        ("dangling-link", "already exists (a link to"),
        ("directory", "is a directory"),
        ("no-directory", "no such directory"),
    ],
)
def test_keygen_refuses_what_outputs_refuse_and_writes_nothing(
    setup: str, words: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    base = tmp_path / "ourlog"
    if setup == "existing-key":
        Path(f"{base}.key").write_text("old key\n", encoding="utf-8")
    elif setup == "existing-public":
        Path(f"{base}.pub").write_text("old key\n", encoding="utf-8")
    elif setup == "dangling-link":
        Path(f"{base}.key").symlink_to(tmp_path / "elsewhere")
    elif setup == "directory":
        Path(f"{base}.key").mkdir()
    else:
        base = tmp_path / "missing" / "ourlog"
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("keygen", "--out", str(base))
    assert result.exit_code == 1, result.output
    assert words in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert all(
        p.read_text(encoding="utf-8") == "old key\n"
        for p in tmp_path.glob("ourlog.*")
        if p.is_file()
    )


def test_keygen_writes_a_private_key_no_one_else_can_read_whatever_the_umask(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    old = os.umask(0)
    try:
        result = run_cli("keygen", "--out", str(tmp_path / "ourlog"))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "ourlog.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ourlog.pub").stat().st_mode) == 0o666  # (umask 0)
    assert _temporaries(tmp_path) == []


# -- the last-resort handler -------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_exit_70_and_the_traceback_is_saved(
    rich_store: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.api import Tracker

    monkeypatch.setattr(Tracker, "events", _raise(RuntimeError("boom")))
    result = run_cli("log", "--db", str(rich_store))
    assert result.exit_code == 70
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert "internal error in `tracker log`" in lines[0] and "the log is unchanged" in lines[0]
    saved = Path(lines[0].split("the full traceback is in ")[1].split(" ")[0])
    try:
        assert "RuntimeError: boom" in saved.read_text(encoding="utf-8")
        assert "Traceback" in saved.read_text(encoding="utf-8")
    finally:
        saved.unlink()


def test_debug_shows_the_traceback(
    rich_store: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.api import Tracker

    monkeypatch.setattr(Tracker, "events", _raise(RuntimeError("boom")))
    result = run_cli("--debug", "log", "--db", str(rich_store))
    assert result.exit_code == 70
    assert "Traceback" in result.output and "RuntimeError: boom" in result.output


def test_ctrl_c_exits_130_and_says_the_log_is_unchanged(
    rich_store: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    hash_file: Callable[[Path], str],
    tmp_path: Path,
) -> None:
    from tracker.store import SQLiteStore as Store

    real_append = Store.append
    calls: list[int] = []

    def interrupted(self: Store, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_append(self, *args, **kwargs)

    monkeypatch.setattr(Store, "append", interrupted)
    inp = tmp_path / "many.jsonl"
    lines = [GOOD.replace("2024-03-18", f"2024-03-{d:02d}") for d in range(1, 29)]
    inp.write_text("".join(lines), encoding="utf-8")
    before = hash_file(rich_store)
    result = run_cli("import", str(inp), "--db", str(rich_store), "--batch-size", "5")
    assert result.exit_code == 130, result.output
    assert "interrupted; the log is unchanged" in result.output
    assert "Aborted" not in result.output
    assert hash_file(rich_store) == before


# -- control characters in text output ----------------------------------------------------------

HOSTILE = "calm\x1b[2J\x1b]0;pwned\x07 words\u202e\x9b"


@pytest.mark.parametrize(
    "argv",
    [
        ["log"],
        ["state", "PRK", "RUS", "--as-of", "2024-03-20"],
        ["explain", "PRK", "RUS", "--as-of", "2024-03-20"],
    ],
    ids=["log", "state", "explain"],
)
def test_stored_control_characters_are_shown_escaped(
    argv: list[str], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    from events.models import AS_RECORDED, parse_event
    from tracker.api import Tracker

    db = tmp_path / "t.db"
    data = {
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-19",
        "summary": HOSTILE,
    }
    with Tracker(db) as t:
        # new input refuses control characters; a log written before that may hold them
        t.append(parse_event(data, parties_mode=AS_RECORDED))
    result = run_cli(*argv, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\u202e" not in result.output and "\x9b" not in result.output
    assert "\\x1b[2J" in result.output
    as_json = run_cli(*argv, "--json", "--db", str(db))
    assert as_json.exit_code == 0
    assert HOSTILE in as_json.output or json.dumps(HOSTILE, ensure_ascii=False)[1:-1] in (
        as_json.output
    )


def test_printable_leaves_ordinary_text_alone() -> None:
    text = "Kim–Putin summit, 평양 «Pyongyang»\tand a tab"
    assert printable(text) == text
    assert printable("a\x00b\x7fc") == "a\\x00b\\x7fc"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["a", " ", "\n", "\t", "\r", "\x1b", "\x9b", "\u00a0", "\u200b"]),
            st.sampled_from(["\u061c", "\u200e", "\u2028", "\u2029", "\u202e", "\u2066", "é"]),
            st.characters(),
        ),
        max_size=8,
    ).map("".join)
)
def test_printable_escapes_exactly_what_the_terminal_pattern_matches(text: str) -> None:
    from events.text import TERMINAL_UNSAFE

    expected = TERMINAL_UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )
    assert printable(text) == expected


def test_new_text_with_control_characters_is_refused(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    db = tmp_path / "t.db"
    argv = ["append", "praise", "--actor", "PRK", "--target", "RUS", "--on", "2024-03-19"]
    result = run_cli(*argv, "--summary", HOSTILE, "--db", str(db))
    assert result.exit_code == 1, result.output
    assert "control character (U+001B)" in result.output
    assert not db.exists()
