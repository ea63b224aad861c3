"""The README's examples run: every `tracker …` line of its ```sh blocks, in order, in one
temporary directory, with the installed console script (as a reader would run them after the
quick start). Also: the demo excerpt at the top matches the real output, the SQL runs against
the demo store, and the Python examples run.

Nothing is skipped silently: a README command that cannot run here must be listed in EXCLUDED
with its reason, and a shell line the runner does not understand fails the test. Besides
`tracker`, the runner knows `cp SRC DST` and `python3 -c CODE` (the proof walk-through damages
a copy of a store with them); a line ending in `# exits N` must exit with status N.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TRACKER = Path(sys.executable).with_name("tracker")

EXCLUDED = {
    # needs a GDELT daily file downloaded from gdeltproject.org (tests/ for the importers
    # cover the GDELT format with small fixtures)
    "tracker import 20240318.export.CSV.zip --db gdelt.db": "needs a downloaded GDELT file",
    # the PostgreSQL section's server, db.example, is an example; the same sequence runs
    # against the local server in tests/postgres/test_postgres_command_sequence.py
    "tracker init-db --db 'postgresql://postgres@db.example/newsroom?schema=relations'": (
        "needs a PostgreSQL server"
    ),
    "tracker export - --db tracker.db | tracker import - --db "
    "'postgresql://alice@db.example/newsroom?schema=relations'": "needs a PostgreSQL server",
    "tracker verify --db 'postgresql://alice@db.example/newsroom?schema=relations'": (
        "needs a PostgreSQL server"
    ),
    "tracker export - --db 'postgresql://bob@db.example/newsroom?schema=relations' | "
    "tracker import - --db copy.db": "needs a PostgreSQL server",
}

NOT_RUN_SEGMENTS = {
    # the quick start: the package (with its dev extra) is already installed in the
    # virtual environment running these tests, which is active for the tracker lines below
    "python3 -m venv .venv": "the tests run in a virtual environment already",
    ". .venv/bin/activate": "the tests run in a virtual environment already",
    "pip install .": "already installed",
    "pip install '.[dev]'": "already installed",
    # the quick start's second line is this very test run
    "python -m pytest": "this is the test suite running now",
}


@dataclass
class Block:
    lang: str
    text: str
    start: int


@dataclass
class Run:
    command: str
    returncode: int
    stdout: str
    stderr: str
    expected: int = 0


@dataclass
class Workdir:
    path: Path
    runs: list[Run] = field(default_factory=list)

    def output_of(self, command: str) -> str:
        return next(r.stdout for r in self.runs if r.command == command)


def blocks(text: str) -> list[Block]:
    return [
        Block(m.group(1), m.group(2), m.start())
        for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    ]


def shell_lines(text: str) -> list[str]:
    """The command lines of the README's sh blocks, in order (comments and blanks dropped)."""
    out = []
    for block in blocks(text):
        if block.lang != "sh":
            continue
        for line in block.text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def expected_status(line: str) -> tuple[str, int]:
    """A line without its trailing ``# exits N`` comment, and N (0 without one)."""
    m = re.fullmatch(r"(.*?)\s+# exits (\d+)", line)
    return (m.group(1), int(m.group(2))) if m else (line, 0)


def _run_other(segment: str, cwd: Path, env: dict[str, str]) -> Run | None:
    """The non-tracker commands the README may use, or None for any other."""
    args = shlex.split(segment)
    if args[0] == "cp" and len(args) == 3:
        shutil.copyfile(cwd / args[1], cwd / args[2])
        return Run(segment, 0, "", "")
    if args[:2] == ["python3", "-c"] and len(args) == 3:
        result = subprocess.run(
            [sys.executable, "-c", args[2]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Run(segment, result.returncode, result.stdout, result.stderr)
    return None


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workdir(readme: str, tmp_path_factory: pytest.TempPathFactory) -> Workdir:
    assert TRACKER.exists(), f"the console script is not installed next to {sys.executable}"
    wd = Workdir(tmp_path_factory.mktemp("readme"))
    # the model files the examples name: the README's toml blocks, whose first lines name them
    for toml in (b for b in blocks(readme) if b.lang == "toml"):
        name = re.match(r"#\s*(\S+\.toml):", toml.text)
        assert name, "each toml block of the README must start with '# FILE.toml: ...'"
        (wd.path / name.group(1)).write_text(toml.text, encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    env.update({"NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"})
    for full_line in shell_lines(readme):
        line, expected = expected_status(full_line)
        for segment in (s.strip() for s in line.split("&&")):
            if segment in NOT_RUN_SEGMENTS or line in EXCLUDED:
                continue
            if segment.startswith("export "):
                key, _, value = segment.removeprefix("export ").partition("=")
                env[key] = shlex.split(value)[0]
                continue
            other = None if segment.startswith("tracker ") else _run_other(segment, wd.path, env)
            if other is not None:
                wd.runs.append(other)
                continue
            assert segment.startswith("tracker "), (
                f"README shell line {segment!r}: not a tracker command; run it here or list "
                "it in EXCLUDED / NOT_RUN_SEGMENTS with a reason"
            )
            args = shlex.split(segment)[1:]
            result = subprocess.run(
                [str(TRACKER), *args],
                cwd=wd.path,
                env=env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=300,
                check=False,
            )
            wd.runs.append(Run(segment, result.returncode, result.stdout, result.stderr, expected))
    return wd


def test_the_exclusions_are_still_in_the_readme(readme: str) -> None:
    lines = shell_lines(readme)
    for command in EXCLUDED:
        assert command in lines, f"EXCLUDED lists {command!r}, which the README no longer has"
    segments = {s.strip() for line in lines for s in line.split("&&")}
    assert set(NOT_RUN_SEGMENTS) <= segments


def test_the_quick_start_is_exactly_two_commands(readme: str) -> None:
    quick = readme.split("## Quick start", 1)[1]
    first = next(b for b in blocks(quick) if b.lang == "sh")
    assert first.text.splitlines() == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install . && tracker demo",
        "pip install '.[dev]' && python -m pytest",
    ]


def test_every_readme_command_runs(workdir: Workdir) -> None:
    assert len(workdir.runs) >= 30
    failures = [
        f"{r.command}\n  exit {r.returncode}: {r.stderr.strip()[-500:]}"
        for r in workdir.runs
        if r.returncode != r.expected
    ]
    assert not failures, "README commands failed:\n" + "\n".join(failures)
    tracebacks = [r.command for r in workdir.runs if "Traceback" in r.stdout + r.stderr]
    assert not tracebacks


def test_every_command_of_the_cli_has_a_readme_example(workdir: Workdir) -> None:
    from tracker.cli import COMMANDS

    shown = {r.command.split()[1] for r in workdir.runs if r.command.startswith("tracker ")}
    assert set(COMMANDS) <= shown, set(COMMANDS) - shown


def test_the_images_are_written(workdir: Workdir) -> None:
    for name in ("rus-ukr.png", "cub-usa.svg"):
        assert (workdir.path / name).stat().st_size > 5000


def _normal(line: str) -> str:
    return re.sub(r"hash [0-9a-f]{12}…", "hash …", line.rstrip())


def test_the_demo_excerpt_is_real_output(readme: str, workdir: Workdir) -> None:
    marker = readme.index("<!-- demo-excerpt")
    excerpt = next(b for b in blocks(readme) if b.start > marker)
    output = {_normal(line) for line in workdir.output_of("tracker demo").splitlines()}
    shown = [line for line in excerpt.text.splitlines() if line.strip() not in ("", "…")]
    assert len(shown) >= 15
    missing = [line for line in shown if _normal(line) not in output]
    assert not missing, "README excerpt lines not in the demo output:\n" + "\n".join(missing)


def test_the_sql_examples_run_on_the_demo_store(readme: str, workdir: Workdir) -> None:
    sql = next(b for b in blocks(readme) if b.lang == "sql")
    conn = sqlite3.connect(f"file:{workdir.path / 'tracker-demo.db'}?mode=ro", uri=True)
    try:
        statements = [s.strip() for s in sql.text.split(";") if s.strip()]
        assert len(statements) >= 3
        for statement in statements:
            assert conn.execute(statement).fetchall(), statement
    finally:
        conn.close()


def test_the_python_examples_run(
    readme: str, workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Python block of the Python API section runs, in order, on the demo store."""
    codes = [
        b.text for b in blocks(readme) if b.lang == "python" and "tracker.proofs" not in b.text
    ]
    assert len(codes) >= 3
    monkeypatch.chdir(workdir.path)
    printed = []
    for code in codes:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
        printed.append(out.getvalue())
    api, frames, audits = printed[:3]
    assert "allied" in api and "QAT–SAU index" in api and "'as_of': '2014-12-01'" in api
    assert "as_of" in frames and "party_a" in frames and "contribution" in frames
    assert audits.startswith("True {")


def _run(workdir: Workdir, start: str) -> Run:
    return next(r for r in workdir.runs if r.command.startswith(start))


def test_the_proof_walkthrough_passes_the_log_and_fails_the_tampered_copy(
    workdir: Workdir,
) -> None:
    intact = _run(workdir, "tracker verify --db copy.db --checkpoint")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "signed by example.org/relations): the log extends it" in intact.stdout
    tampered = _run(workdir, "tracker verify --db tampered.db --checkpoint")
    assert tampered.returncode == 1
    assert "the log has 200 events: truncated, it diverges at tree size 201" in tampered.stdout
    # the example's DELETE cuts the tree exactly where the log is cut (position 397 = the
    # 200th event's leaf starts a stored run), so only the checkpoint can tell
    assert "hashes more than the log's" not in tampered.stdout
    assert (workdir.path / "ourlog.key").stat().st_mode & 0o777 == 0o600


def test_the_third_party_verifier_example_runs(
    readme: str, workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks(readme) if b.lang == "python" and "tracker.proofs" in b.text)
    monkeypatch.chdir(workdir.path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.text, str(README), "exec"), {"__name__": "readme_verifier"})
    printed = out.getvalue().splitlines()
    events = _run(workdir, "tracker verify --db copy.db --checkpoint").stdout.split()[1]
    assert printed == [
        f"demo:prk-rus:2024-06-19:treaty is in the log of {events} events",
        f"the export extends the checkpoint: {events} records",
    ]


def _command_rows(text: str) -> dict[str, str]:
    """The README's command table: command name -> its row."""
    rows: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"\| `([a-z-]+(?: show)?)\b", line)
        if m:
            rows.setdefault(m.group(1), line)
    return rows


def test_the_command_table_lists_every_command_with_its_options(readme: str) -> None:
    """Each command's row names each of its options (the global --db, --help and hidden tuning
    options aside), so the table cannot fall behind the code."""
    import click

    from tracker.cli import main

    rows = _command_rows(readme)
    ctx = click.Context(main)
    missing: dict[str, list[str]] = {}
    commands: list[tuple[str, click.Command]] = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            commands += [(f"{name} {sub}", command.commands[sub]) for sub in command.commands]
        else:
            commands.append((name, command))
    for name, command in commands:
        row = rows.get(name, "")
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden or "--db" in param.opts:
                continue
            shown = param.secondary_opts or param.opts  # a --x/--no-x pair: its "no" side
            if not any(re.search(re.escape(o) + r"(?![\w-])", row) for o in shown):
                missing.setdefault(name, []).append("/".join(shown))
    assert missing == {}
