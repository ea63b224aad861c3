"""A span that ends before it starts is a usage error (exit 2) on every command that takes one,
named by its first flag, and is refused before the store is opened (or created)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main

SPANS = [
    (["timeline", "PRK", "RUS", "--from", "2020-01-02", "--to", "2020-01-01"], "--from"),
    (["chart", "PRK", "RUS", "--from", "2020-01-02", "--to", "2020-01-01"], "--from"),
    (
        ["report", "PRK", "RUS", "--from", "2020-01-02", "--to", "2020-01-01", "--out", "r.html"],
        "--from",
    ),
    (["log", "--since", "2020-01-02", "--until", "2020-01-01"], "--since"),
]


@pytest.mark.parametrize(("args", "flag"), SPANS, ids=[a[0] for a, _ in SPANS])
def test_a_backwards_span_is_a_usage_error_naming_both_ends(
    args: list[str], flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "absent.db"
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert f"{flag} 2020-01-02 is after" in result.output and "2020-01-01" in result.output
    assert "Traceback" not in result.output
    assert not db.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "flag"), SPANS, ids=[a[0] for a, _ in SPANS])
def test_a_one_day_span_is_accepted(args: list[str], flag: str, tmp_path: Path) -> None:
    same = [("2020-01-01" if a == "2020-01-02" else a) for a in args]
    result = CliRunner().invoke(main, [*same, "--db", str(tmp_path / "absent.db")])
    assert "is after" not in result.output
