"""Where a command finds its store: `--db` before the command or after it (the later one
wins), else TRACKER_DB, else the default file; the same for every command, `demo` included."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.demo import build_store, inspect_target, load_events


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("global-db") / "demo.db"
    build_store(path, load_events())
    return path


def invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env={"TRACKER_DB": "", **(env or {})})
    return result.exit_code, result.output


MISSING = "no tracker store there"


@pytest.mark.parametrize(
    "args, env, used",
    [
        (["--db", "{demo}", "state", "PRK", "RUS"], {}, "demo"),
        (["state", "PRK", "RUS", "--db", "{demo}"], {}, "demo"),
        (["--db", "{missing}", "state", "PRK", "RUS", "--db", "{demo}"], {}, "demo"),
        (["--db", "{demo}", "state", "PRK", "RUS", "--db", "{missing}"], {}, "missing"),
        (["state", "PRK", "RUS"], {"TRACKER_DB": "{demo}"}, "demo"),
        (["--db", "{missing}", "state", "PRK", "RUS"], {"TRACKER_DB": "{demo}"}, "missing"),
        (["state", "PRK", "RUS", "--db", "{demo}"], {"TRACKER_DB": "{missing}"}, "demo"),
        (["--db", "{demo}", "log", "--limit", "1"], {}, "demo"),
        (["--db", "{demo}", "verify"], {}, "demo"),
    ],
    ids=[
        "before",
        "after",
        "after-wins-over-before",
        "later-missing-wins",
        "env",
        "before-wins-over-env",
        "after-wins-over-env",
        "log",
        "verify",
    ],
)
def test_the_store_is_the_last_db_given_else_tracker_db(
    demo_db: Path, tmp_path: Path, args: list[str], env: dict[str, str], used: str
) -> None:
    names = {"{demo}": str(demo_db), "{missing}": str(tmp_path / "missing.db")}
    code, output = invoke(
        [names.get(a, a) for a in args], {k: names.get(v, v) for k, v in env.items()}
    )
    if used == "demo":
        assert code == 0, output
        assert MISSING not in output
    else:
        assert code == 1 and MISSING in output and "missing.db" in output, output
    assert not (tmp_path / "missing.db").exists()  # a query never creates a store


@pytest.mark.parametrize(
    "args, env, built",
    [
        (["demo"], {"TRACKER_DB": "from-env.db"}, "from-env.db"),
        (["--db", "before.db", "demo"], {"TRACKER_DB": "from-env.db"}, "before.db"),
        (["--db", "before.db", "demo", "--db", "after.db"], {}, "after.db"),
        (["demo"], {}, "tracker-demo.db"),
    ],
    ids=["env", "before-over-env", "after-over-before", "default"],
)
def test_demo_builds_where_every_other_command_looks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    built: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke(args, env)
    assert code == 0, output
    assert inspect_target(tmp_path / built).kind == "demo"
    assert [p.name for p in tmp_path.glob("*.db")] == [built]  # and no other store


def test_demo_still_refuses_a_real_store_named_by_tracker_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke(
        ["append", "praise", "--actor", "PRK", "--target", "RUS", "--on", "2024-01-01"],
        {"TRACKER_DB": "mine.db"},
    )
    assert code == 0, output
    before = (tmp_path / "mine.db").read_bytes()
    code, output = invoke(["demo"], {"TRACKER_DB": "mine.db"})
    assert code == 1 and "refusing to overwrite 'mine.db'" in output
    assert (tmp_path / "mine.db").read_bytes() == before
