"""The README's examples run: every `tracker …` line of its ```sh blocks, in order, in one
temporary directory, with the installed console script (as a reader would run them after the
quick start). Also: the demo excerpt at the top matches the real output, the SQL runs against
the demo store, and the Python example runs.

Nothing is skipped silently: a README command that cannot run here must be listed in EXCLUDED
with its reason, and a shell line the runner does not understand fails the test.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
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


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workdir(readme: str, tmp_path_factory: pytest.TempPathFactory) -> Workdir:
    assert TRACKER.exists(), f"the console script is not installed next to {sys.executable}"
    wd = Workdir(tmp_path_factory.mktemp("readme"))
    # the model file the examples name: the README's toml block, whose first line names it
    toml = next(b for b in blocks(readme) if b.lang == "toml")
    name = re.match(r"#\s*(\S+\.toml):", toml.text)
    assert name, "the README's toml block must start with '# FILE.toml: ...'"
    (wd.path / name.group(1)).write_text(toml.text, encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    env.update({"NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"})
    for line in shell_lines(readme):
        for segment in (s.strip() for s in line.split("&&")):
            if segment in NOT_RUN_SEGMENTS or line in EXCLUDED:
                continue
            if segment.startswith("export "):
                key, _, value = segment.removeprefix("export ").partition("=")
                env[key] = shlex.split(value)[0]
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
            wd.runs.append(Run(segment, result.returncode, result.stdout, result.stderr))
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
        if r.returncode != 0
    ]
    assert not failures, "README commands failed:\n" + "\n".join(failures)
    tracebacks = [r.command for r in workdir.runs if "Traceback" in r.stdout + r.stderr]
    assert not tracebacks


def test_every_command_of_the_cli_has_a_readme_example(workdir: Workdir) -> None:
    from tracker.cli import COMMANDS

    shown = {r.command.split()[1] for r in workdir.runs}
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


def test_the_python_example_runs(
    readme: str, workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks(readme) if b.lang == "python").text
    monkeypatch.chdir(workdir.path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    printed = out.getvalue()
    assert "allied" in printed and "QAT–SAU index" in printed
