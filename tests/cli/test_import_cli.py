"""`tracker import` through click's CliRunner on real files and stores."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tracker.cli import main

DATA = Path(__file__).parents[1] / "data"
GDELT = DATA / "gdelt" / "events.csv"
ICEWS = DATA / "icews" / "events.20140318.tab"
FileState = Callable[[Path], dict[str, str]]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_DB", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def counts(output: str) -> dict[str, int]:
    out = {}
    for line in output.splitlines():
        parts = line.strip().rsplit(None, 1)
        if (
            len(parts) == 2
            and parts[1].isdigit()
            and parts[0] in ("read", "imported", "already present", "skipped")
        ):
            out[parts[0]] = int(parts[1])
    return out


def test_import_gdelt_prints_a_summary_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    first = ok("import", str(GDELT), "--db", "t.db")
    assert counts(first) == {"read": 710, "imported": 125, "already present": 0, "skipped": 585}
    assert "585  not a state-to-state event (filtered out)" in first
    assert f"file {GDELT}: gdelt" in first and "log head: seq 125" in first
    second = ok("import", str(GDELT), "--db", "t.db")
    assert counts(second) == {"read": 710, "imported": 0, "already present": 125, "skipped": 585}
    log = ok("log", "--db", "t.db", "--jsonl")
    assert len(log.splitlines()) == 125


def test_json_summary(tmp_path: Path) -> None:
    summary = json.loads(ok("import", str(GDELT), str(ICEWS), "--db", "t.db", "--json"))
    assert summary["imported"] == 135 and summary["read"] == 722
    assert summary["filtered"] == {"not a state-to-state event": 587}
    assert summary["invalid"] == {} and summary["dry_run"] is False
    assert [f["format"] for f in summary["files"]] == ["gdelt", "icews"]
    assert summary["head"]["seq"] == 135


def bad_gdelt(tmp_path: Path) -> tuple[Path, int]:
    lines = GDELT.read_text(encoding="utf-8").splitlines()
    line = next(i for i, x in enumerate(lines, 1) if x.startswith("564111704\t"))
    fields = lines[line - 1].split("\t")
    fields[1] = "20160732"
    lines[line - 1] = "\t".join(fields)
    path = tmp_path / "bad.export.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, line


def test_a_bad_row_is_one_clear_error_and_the_log_is_unchanged(
    tmp_path: Path, file_state: FileState
) -> None:
    ok("import", str(ICEWS), "--db", "t.db")
    before = file_state(tmp_path / "t.db")
    path, line = bad_gdelt(tmp_path)
    result = run("import", str(path), "--db", "t.db")
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith(f"Error: {path}, line {line}: SQLDATE '20160732': ")
    assert "not a real calendar date" in message and "unchanged" in message
    assert "--skip-invalid" in message
    assert len(message.splitlines()) == 1
    assert file_state(tmp_path / "t.db") == before


def test_skip_invalid_with_a_report(tmp_path: Path) -> None:
    path, line = bad_gdelt(tmp_path)
    output = ok("import", str(path), "--db", "t.db", "--skip-invalid", "--report", "r.jsonl")
    assert counts(output)["imported"] == 124
    assert "1  invalid SQLDATE (invalid, skipped)" in output
    assert "skipped rows are listed in r.jsonl" in output
    [record] = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert record == {
        "file": str(path),
        "line": line,
        "reason": "invalid SQLDATE",
        "field": "SQLDATE",
        "value": "20160732",
        "message": record["message"],
    }


def test_csv_report(tmp_path: Path) -> None:
    path, line = bad_gdelt(tmp_path)
    ok("import", str(path), "--db", "t.db", "--skip-invalid", "--report", "r.csv")
    text = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert text[0] == "file,line,reason,field,value,message"
    assert text[1].startswith(f"{path},{line},invalid SQLDATE,SQLDATE,20160732,")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    output = ok("import", str(GDELT), "--db", "t.db", "--dry-run")
    assert output.startswith("dry run: nothing was written. Would import 125 new events")
    assert "head would be: seq 125" in output
    assert not (tmp_path / "t.db").exists()


def test_zip_and_gz(tmp_path: Path) -> None:
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(GDELT, "a.CSV")
        z.write(ICEWS, "b.tab")
    gz = tmp_path / "c.tab.gz"
    gz.write_bytes(gzip.compress(ICEWS.read_bytes()))
    output = ok("import", str(archive), str(gz), "--db", "t.db")
    assert counts(output) == {"read": 734, "imported": 135, "already present": 10, "skipped": 589}
    assert f"file {archive}:a.CSV: gdelt" in output and f"file {gz}: icews" in output


def test_truncated_gz(tmp_path: Path) -> None:
    data = gzip.compress(GDELT.read_bytes())
    gz = tmp_path / "cut.CSV.gz"
    gz.write_bytes(data[:-200])
    result = run("import", str(gz), "--db", "t.db")
    assert result.exit_code == 1
    assert f"Error: {gz}: damaged or truncated data after line" in result.output
    assert not (tmp_path / "t.db").exists()


def records(output: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in output.splitlines()]


def test_log_json_into_an_empty_store_gives_the_same_log(tmp_path: Path) -> None:
    ok(
        "append",
        "congratulate",
        "--actor",
        "North Korea",
        "--target",
        "Russia",
        "--on",
        "2024-03-18",
        "--id",
        "kcna-1",
        "--field",
        "occasion=re-election",
        "--db",
        "a.db",
    )
    ok("import", str(ICEWS), "--db", "a.db")
    ok(
        "append",
        "sign_treaty",
        "--actor",
        "RUS",
        "--target",
        "PRK",
        "--on",
        "2024-06-19",
        "--field",
        "name=Comprehensive Strategic Partnership",
        "--db",
        "a.db",
    )
    exported = ok("log", "--jsonl", "--db", "a.db")
    (tmp_path / "export.jsonl").write_text(exported, encoding="utf-8")
    output = ok("import", "export.jsonl", "--db", "b.db")
    assert "12 export records replayed with their original seq, recorded_at and hash" in output
    assert ok("log", "--jsonl", "--db", "b.db") == exported
    again = ok("import", "export.jsonl", "--db", "a.db")
    assert counts(again)["already present"] == 12


def test_an_altered_export_names_its_line(tmp_path: Path) -> None:
    ok("import", str(ICEWS), "--db", "a.db")
    rows = records(ok("log", "--jsonl", "--db", "a.db"))
    rows[3]["event"]["weight"] = 10.0
    (tmp_path / "x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run("import", "x.jsonl", "--db", "b.db")
    assert result.exit_code == 1
    assert result.output.startswith("Error: x.jsonl, line 4: hash ")
    assert not (tmp_path / "b.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["import"],  # no file
        ["import", "missing.csv"],  # no such file
        ["import", str(GDELT), "--format", "xml"],  # not a format
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args, "--db", "t.db")
    assert result.exit_code == 2, result.output


def test_an_undetectable_file_asks_for_format(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    result = run("import", "notes.txt", "--db", "t.db")
    assert result.exit_code == 1 and "--format" in result.output


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    result = run("import", str(ICEWS), "--format", "gdelt", "--db", "t.db")
    assert result.exit_code == 1
    assert "line 1: columns 20: expected 57 or 58" in result.output


def test_help_lists_import() -> None:
    assert "import" in ok("--help")
    text = ok("import", "--help")
    for option in ("--format", "--skip-invalid", "--report", "--dry-run", "--db"):
        assert option in text


POLECAT = DATA / "polecat" / "polecat.sample.txt"


@pytest.mark.parametrize("fmt", [[], ["--format", "polecat"]], ids=["detected", "explicit"])
def test_import_polecat_is_idempotent(fmt: list[str]) -> None:
    first = ok("import", str(POLECAT), *fmt, "--db", "t.db")
    # 11 rows; the compound actor (USA and France) is read as two events
    assert counts(first) == {"read": 12, "imported": 9, "already present": 0, "skipped": 3}
    assert "3  not a state-to-state event (filtered out)" in first
    second = ok("import", str(POLECAT), *fmt, "--db", "t.db")
    assert counts(second) == {"read": 12, "imported": 0, "already present": 9, "skipped": 3}


@pytest.mark.parametrize(
    "name", ["readr-extract.tsv", "events.2018.sample.tab"], ids=["readr", "dataverse"]
)
def test_real_icews_quirks_import_without_skip_invalid(name: str) -> None:
    out = ok("import", str(DATA / "icews" / name), "--db", "t.db")
    assert counts(out) == {"read": 8, "imported": 6, "already present": 0, "skipped": 2}
    assert "2  not a state-to-state event (filtered out)" in out
