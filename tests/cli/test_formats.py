"""Every command's machine-readable output is the one docs/formats.md documents.

The expected keys and CSV headers are read from docs/formats.md itself, so the document and
the program cannot drift apart: each command runs through the real CLI (click's CliRunner)
with --json, and, where the document lists rows, with --jsonl and --csv; the JSON carries
format_version and the command's name and exactly the documented keys, every JSON Lines row
the documented row keys, and the CSV parses with the csv module under the documented header.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli import COMMANDS, main

FORMATS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
EVENT = "demo:prk-rus:2024-06-19:treaty"


def documented() -> dict[str, dict[str, list[str]]]:
    """command -> {"json": [...], "jsonl": [...], "csv": [...]} from docs/formats.md."""
    out: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    kinds = {"JSON keys": "json", "JSON Lines rows": "jsonl", "CSV columns": "csv"}
    for line in FORMATS.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### `([a-z -]+)`", line)
        if heading:
            current = out.setdefault(heading.group(1), {})
            continue
        item = re.fullmatch(r"- (JSON keys|JSON Lines rows|CSV columns): (.*)", line)
        if item and current is not None:
            current[kinds[item.group(1)]] = re.findall(r"`([^`]+)`", item.group(2))
    return out


DOC = documented()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The demo store, built by `tracker demo --json` (whose output is checked too)."""
    db = tmp_path_factory.mktemp("formats") / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    return db, json.loads(result.stdout)


@pytest.fixture
def work(tmp_path: Path, demo: tuple[Path, dict[str, object]]) -> Path:
    """A directory with a copy of the demo store (writers write there), an export of it, a
    key pair and a small store of one's own with two events."""
    shutil.copy(demo[0], tmp_path / "demo.db")
    for args in (
        ["export", str(tmp_path / "log.jsonl"), "--db", str(tmp_path / "demo.db")],
        ["keygen", "--out", str(tmp_path / "k")],
        *(
            ["append", "praise", "--actor", "PRK", "--target", "RUS", "--on", day, "--id", id_]
            for day, id_ in (("2024-01-01", "a1"), ("2024-01-02", "a2"))
        ),
    ):
        db = ["--db", str(tmp_path / "mine.db")] if args[0] == "append" else []
        assert CliRunner().invoke(main, [*args, *db]).exit_code == 0
    return tmp_path


# command -> its arguments ({d}: the work directory; the store is {d}/demo.db unless the
# arguments name another)
CASES: dict[str, list[str]] = {
    "append": ["praise", "--actor", "PRK", "--target", "RUS", "--on", "2024-02-01"],
    "log": ["--dyad", "PRK", "RUS", "--since", "2024-06-01"],
    "types": [],
    "parties": ["korea"],
    "import": ["{d}/log.jsonl", "--db", "{d}/copy.db"],
    "state": ["PRK", "RUS", "--as-of", "2024-06-19"],
    "explain": ["RUS", "UKR", "--as-of", "2022-02-24", "--limit", "3"],
    "timeline": ["CUB", "USA", "--from", "2014-12-01", "--to", "2017-12-31", "--every", "quarter"],
    "chart": ["QAT", "SAU"],
    "report": ["PRK", "RUS", "--from", "2022-01-01", "--out", "{d}/r.html"],
    "dyads": ["--as-of", "2017-06-30", "--top", "3"],
    "model show": [],
    "rebuild": [],
    "retract": ["a1", "--reason", "a test", "--db", "{d}/mine.db"],
    "correct": ["a2", "--field", "confidence=0.5", "--reason", "a test", "--db", "{d}/mine.db"],
    "verify": [],
    "replay": [],
    "export": ["{d}/again.jsonl"],
    "keygen": ["--out", "{d}/other"],
    "checkpoint": ["--sign", "{d}/k.key", "--out", "{d}/c.checkpoint"],
    "prove": [EVENT],
    "info": [],
}
NOT_RUN = {
    "demo": "run once by the demo fixture (it builds the store the others read)",
    "init-db": "needs a PostgreSQL superuser; tests/postgres/test_postgres_roles.py runs it",
}
STORELESS = {"types", "parties", "keygen"}


def invoke(name: str, work: Path, *flags: str) -> Result:
    args = [a.replace("{d}", str(work)) for a in CASES[name]]
    if name not in STORELESS and "--db" not in args:
        args += ["--db", str(work / "demo.db")]
    result = CliRunner().invoke(main, [*name.split(), *args, *flags])
    assert result.exit_code == 0, result.output
    return result


def test_every_command_is_documented_and_checked_here() -> None:
    names = {name for name in COMMANDS if name != "model"} | {"model show"}
    assert set(DOC) == names
    assert set(CASES) | set(NOT_RUN) == names
    assert all("json" in formats for formats in DOC.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_carries_the_format_version_and_the_documented_keys(name: str, work: Path) -> None:
    d = json.loads(invoke(name, work, "--json").stdout)
    assert (d.pop("format_version"), d.pop("command")) == (1, name)
    assert set(d) == set(DOC[name]["json"])


def test_demo_json_is_its_summary(demo: tuple[Path, dict[str, object]]) -> None:
    d = dict(demo[1])
    assert (d.pop("format_version"), d.pop("command")) == (1, "demo")
    assert set(d) == set(DOC["demo"]["json"])
    assert d["events"] == d["head"]["seq"] > 200  # type: ignore[index]


ROWS = sorted(name for name, formats in DOC.items() if "jsonl" in formats)
TABLES = sorted(name for name, formats in DOC.items() if "csv" in formats)


@pytest.mark.parametrize("name", ROWS)
def test_json_lines_rows_have_the_documented_keys(name: str, work: Path) -> None:
    if name == "verify":
        damage(work / "demo.db")
    rows = [json.loads(line) for line in invoke_rows(name, work, "--jsonl").splitlines()]
    assert rows, "no rows to check"
    assert set(DOC[name]["jsonl"]) <= set(rows[0])


@pytest.mark.parametrize("name", TABLES)
def test_csv_parses_and_has_the_documented_header(name: str, work: Path) -> None:
    if name == "verify":
        damage(work / "demo.db")
    out = invoke_rows(name, work, "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == DOC[name]["csv"]
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)


def invoke_rows(name: str, work: Path, flag: str) -> str:
    """The command's rows; verify lists faults, so it runs on a damaged store (exit 1)."""
    if name != "verify":
        return invoke(name, work, flag).stdout
    result = CliRunner().invoke(main, ["verify", "--db", str(work / "demo.db"), flag])
    assert result.exit_code == 1, result.output
    return result.stdout


def damage(db: Path) -> None:
    """Drop an append-only trigger: verify reports it as a fault."""
    with sqlite3.connect(db) as con:
        con.execute("DROP TRIGGER events_no_delete")


def test_explain_json_honours_the_limit(work: Path) -> None:
    d = json.loads(invoke("explain", work, "--json").stdout)
    args = ["explain", "RUS", "UKR", "--as-of", "2022-02-24", "--db", str(work / "demo.db")]
    full = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert len(d["contributions"]) == 3 and d["limit"] == 3
    assert d["omitted"] == len(full["contributions"]) - 3 > 0
    assert d["contributions"] == full["contributions"][:3]
    assert d["events_total"] == full["events_total"]


def test_explain_csv_values_add_up_to_the_score(work: Path) -> None:
    args = ["explain", "RUS", "UKR", "--as-of", "2022-02-24", "--db", str(work / "demo.db")]
    d = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, [*args, "--csv"]).stdout)))
    assert {r["kind"] for r in rows} == {"structure", "event"}
    assert sum(float(r["value"]) for r in rows) == pytest.approx(d["score"], abs=1e-9)


def test_two_output_flags_together_are_a_usage_error(work: Path) -> None:
    result = CliRunner().invoke(
        main, ["timeline", "PRK", "RUS", "--json", "--csv", "--db", str(work / "demo.db")]
    )
    assert result.exit_code == 2
    assert "--json and --csv cannot be combined" in result.output


def test_terminal_chart_with_json_describes_instead_of_drawing(work: Path) -> None:
    d = json.loads(invoke("chart", work, "--json").stdout)
    assert d["output"]["format"] == "terminal" and d["output"]["file"] is None
    assert d["points"] and d["marks"] and d["dyad"] == ["QAT", "SAU"]


def test_checkpoint_and_prove_with_json_still_write_their_files(work: Path) -> None:
    d = json.loads(invoke("checkpoint", work, "--json").stdout)
    assert (work / "c.checkpoint").read_text(encoding="utf-8") == d["note"]
    assert d["signed_by"] == ["k"] and d["size"] > 200
    out = work / "p.json"
    proof = json.loads(
        CliRunner()
        .invoke(main, ["prove", EVENT, "--out", str(out), "--json", "--db", str(work / "demo.db")])
        .stdout
    )["proof"]
    assert json.loads(out.read_text(encoding="utf-8")) == proof
