"""`tracker append`, `log`, `types` and `parties` through click's CliRunner on real stores."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tracker.api import Tracker
from tracker.cli import main

FileState = Callable[[Path], dict[str, str]]

OK = ["praise", "--actor", "North Korea", "--target", "Russia", "--on", "2024-03-18"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the working directory's ./tracker.db or the caller's TRACKER_DB."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_DB", raising=False)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def ok(*args: str, env: dict[str, str] | None = None) -> str:
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A closed store holding one event, ``e1``."""
    path = tmp_path / "store.db"
    with Tracker(path, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)) as t:
        t.append(
            {
                "type": "congratulate",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2024-03-18",
                "event_id": "e1",
                "source": "KCNA",
            }
        )
    return path


# --- append ------------------------------------------------------------------------------------


def test_append_prints_seq_and_id(tmp_path: Path) -> None:
    out = ok("append", *OK, "--id", "kcna-1", "--db", str(tmp_path / "a.db"))
    assert out.strip() == "appended seq 1 id kcna-1"


def test_append_generates_an_id_when_none_is_given(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    first = ok("append", *OK, "--db", db).split()
    second = ok("append", *OK, "--db", db).split()
    assert first[:3] == ["appended", "seq", "1"] and second[:3] == ["appended", "seq", "2"]
    assert first[-1] != second[-1]


def test_append_json_output_has_seq_id_hash_and_created(tmp_path: Path) -> None:
    out = ok("append", *OK, "--id", "e1", "--json", "--db", str(tmp_path / "a.db"))
    data = json.loads(out)
    assert set(data) == {
        "format_version",
        "command",
        "seq",
        "event_id",
        "hash",
        "created",
        "notes",
    }
    assert (data["seq"], data["event_id"], data["created"]) == (1, "e1", True)
    assert len(data["hash"]) == 64


def test_append_json_hash_is_the_head_hash(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    data = json.loads(ok("append", *OK, "--json", "--db", str(db)))
    with Tracker(db) as t:
        assert t.head().hash == data["hash"]


def test_reappending_an_identical_event_reports_it_and_writes_nothing(
    store: Path, file_state: FileState
) -> None:
    before = file_state(store)
    out = ok(
        "append",
        "congratulate",
        "--actor",
        "DPRK",
        "--target",
        "Russian Federation",
        "--on",
        "2024-03-18",
        "--source",
        "KCNA",
        "--id",
        "e1",
        "--db",
        str(store),
    )
    assert "already present at seq 1 id e1" in out
    assert "nothing written" in out
    assert file_state(store) == before


def test_reappending_with_json_says_not_created(store: Path) -> None:
    out = ok(
        "append",
        "congratulate",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-03-18",
        "--source",
        "KCNA",
        "--id",
        "e1",
        "--json",
        "--db",
        str(store),
    )
    assert json.loads(out)["created"] is False
    assert json.loads(out)["seq"] == 1


def test_append_stores_every_option(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    ok(
        "append",
        "arms_transfer",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2023-10-01",
        "--source",
        "Reuters",
        "--summary",
        "Снаряды — shells",
        "--confidence",
        "0.7",
        "--weight",
        "5.5",
        "--id",
        "at1",
        "--field",
        "items=shells",
        "--field",
        "items=missiles",
        "--field",
        "value_usd=1000000",
        "--db",
        db,
    )
    [record] = json_lines(ok("log", "--jsonl", "--db", db))
    assert record["event"] == {
        "type": "arms_transfer",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2023-10-01",
        "source": "Reuters",
        "summary": "Снаряды — shells",
        "confidence": 0.7,
        "weight": 5.5,
        "event_id": "at1",
        "items": ["shells", "missiles"],
        "value_usd": 1000000.0,
        "schema_version": 1,
    }


def test_append_type_specific_fields(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    ok(
        "append",
        "support_at_international_body",
        "--actor",
        "RUS",
        "--target",
        "PRK",
        "--on",
        "2024-03-28",
        "--field",
        "body=UN Security Council",
        "--field",
        "veto=true",
        "--db",
        db,
    )
    [record] = json_lines(ok("log", "--jsonl", "--db", db))
    assert record["event"]["body"] == "UN Security Council"
    assert record["event"]["veto"] is True


# --- bad input ---------------------------------------------------------------------------------


def _with(base: list[str], **options: str) -> list[str]:
    args = list(base)
    for key, value in options.items():
        flag = "--" + key
        args[args.index(flag) + 1] = value
    return args


TREATY = ["sign_treaty", "--actor", "RUS", "--target", "PRK", "--on", "2024-06-19"]

BAD_APPENDS = [
    pytest.param(["praize", *OK[1:]], ["TYPE", "'praize'", "praise"], 2, id="unknown-type"),
    pytest.param(_with(OK, actor="Rusia"), ["--actor", "'Rusia'", "RUS"], 2, id="unknown-actor"),
    pytest.param(_with(OK, target="Narnia"), ["--target", "'Narnia'"], 2, id="unknown-target"),
    pytest.param(_with(OK, on="2024/03/18"), ["--on", "'2024/03/18'"], 2, id="slashed-date"),
    pytest.param(_with(OK, on="2024-02-30"), ["--on", "'2024-02-30'"], 2, id="impossible-date"),
    pytest.param(_with(OK, on="20240318"), ["--on", "'20240318'"], 2, id="numeric-date"),
    pytest.param(_with(OK, on="yesterday"), ["--on", "'yesterday'"], 2, id="prose-date"),
    pytest.param([*OK, "--confidence", "1.5"], ["--confidence", "1.5"], 2, id="confidence-1.5"),
    pytest.param(
        [*OK, "--confidence", "-0.5"], ["--confidence", "-0.5"], 2, id="confidence-negative"
    ),
    pytest.param(
        [*OK, "--confidence", "high"], ["--confidence", "'high'"], 2, id="confidence-not-a-number"
    ),
    pytest.param([*OK, "--weight", "11"], ["--weight", "11"], 2, id="weight-out-of-range"),
    pytest.param([*OK, "--field", "colour=red"], ["--field", "'colour'"], 2, id="unknown-field"),
    pytest.param([*OK, "--field", "colour"], ["--field", "'colour'"], 2, id="field-without-value"),
    pytest.param(TREATY, ["name", "sign_treaty"], 1, id="treaty-without-name"),
    pytest.param(
        ["impose_sanctions", *OK[1:]],
        ["regime", "impose_sanctions"],
        1,
        id="sanctions-without-regime",
    ),
    pytest.param(
        ["support_at_international_body", *OK[1:]], ["body"], 1, id="support-without-body"
    ),
    pytest.param(
        ["expel_diplomats", *OK[1:], "--field", "count=many"],
        ["count", "'many'"],
        1,
        id="bad-field-value",
    ),
    pytest.param(
        ["cameo", *OK[1:], "--field", "cameo_code=999"],
        ["cameo_code", "'999'"],
        1,
        id="unknown-cameo-code",
    ),
    pytest.param(_with(OK, target="DPRK"), ["target", "'PRK'"], 1, id="actor-equals-target"),
    pytest.param([*OK, "--id", "bad id"], ["event_id", "'bad id'"], 1, id="bad-event-id"),
    pytest.param(
        ["congratulate", *OK[1:], "--id", "e1"],
        ["event_id", "'e1'"],
        1,
        id="conflicting-content-under-known-id",
    ),
]


def _assert_clean_failure(result: Result, expected: list[str], code: int) -> None:
    """One ``Error:`` line holding every expected text, exit ``code`` (2: click refused an
    argument; 1: the library refused the event or the store), and nothing else printed."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    for text in expected:
        assert text in errors[0], f"{text!r} not in {errors[0]!r}"
    others = [
        line
        for line in result.output.splitlines()
        if line.strip() and not line.startswith(("Error:", "Usage:", "Try "))
    ]
    assert others == [], result.output


@pytest.mark.parametrize(("args", "expected", "code"), BAD_APPENDS)
def test_bad_append_fails_cleanly_and_leaves_the_store_unchanged(
    store: Path, file_state: FileState, args: list[str], expected: list[str], code: int
) -> None:
    before = file_state(store)
    result = run("append", *args, "--db", str(store))
    _assert_clean_failure(result, expected, code)
    assert file_state(store) == before


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [p for p in BAD_APPENDS if p.id != "conflicting-content-under-known-id"],
)
def test_bad_append_to_a_missing_store_creates_no_file(
    tmp_path: Path, args: list[str], expected: list[str], code: int
) -> None:
    db = tmp_path / "never.db"
    result = run("append", *args, "--db", str(db))
    _assert_clean_failure(result, expected, code)
    assert not db.exists()


def _text_file(path: Path) -> None:
    path.write_text("not a database\n" * 100)


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()


def _newer_store(path: Path) -> None:
    with Tracker(path) as t:
        t.append({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"})
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()


def _damaged_store(path: Path) -> None:
    with Tracker(path) as t:
        t.append({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"})
    page = 4096
    data = path.read_bytes()
    assert len(data) > page
    path.write_bytes(data[:page] + b"\xa5" * (len(data) - page))  # every page after the first


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(_text_file, ["--db"], id="text-file"),
        pytest.param(_damaged_store, ["--db", "damaged"], id="damaged-store"),
        pytest.param(
            _foreign_sqlite, ["--db", "not a relations-tracker store"], id="another-apps-sqlite"
        ),
        pytest.param(_newer_store, ["schema", "99"], id="newer-schema"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["append", *OK], id="append"),
        pytest.param(["log"], id="log"),
        pytest.param(["log", "--jsonl"], id="log-json"),
    ],
)
def test_a_file_that_is_not_our_store_is_refused_and_left_unchanged(
    tmp_path: Path,
    file_state: FileState,
    make: Callable[[Path], None],
    expected: list[str],
    command: list[str],
) -> None:
    db = tmp_path / "target.db"
    make(db)
    before = file_state(db)
    result = run(*command, "--db", str(db))
    _assert_clean_failure(result, [*expected], 1)
    if "--db" in expected:
        assert f"'{db}'" in result.output
    assert file_state(db) == before


def test_a_directory_as_db_is_refused(tmp_path: Path) -> None:
    result = run("append", *OK, "--db", str(tmp_path))
    _assert_clean_failure(result, ["--db", f"'{tmp_path}' is a directory"], 2)


def test_a_db_in_a_missing_directory_fails_naming_the_path(tmp_path: Path) -> None:
    db = tmp_path / "no" / "such" / "dir" / "x.db"
    result = run("append", *OK, "--db", str(db))
    _assert_clean_failure(result, ["--db", f"'{db}'"], 1)
    assert not db.parent.exists()


# --- log ---------------------------------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.db"
    with Tracker(path, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)) as t:
        t.append_many(
            [
                {
                    "type": "congratulate",
                    "actor": "PRK",
                    "target": "RUS",
                    "occurred_on": "2024-03-18",
                    "event_id": "c1",
                    "summary": "Kim congratulates",
                },
                {
                    "type": "visit",
                    "actor": "RUS",
                    "target": "PRK",
                    "occurred_on": "2024-06-18",
                    "event_id": "v1",
                },
                {
                    "type": "sign_treaty",
                    "actor": "RUS",
                    "target": "PRK",
                    "occurred_on": "2024-06-19",
                    "event_id": "t1",
                    "name": "CSP Treaty",
                },
                {
                    "type": "impose_sanctions",
                    "actor": "USA",
                    "target": "PRK",
                    "occurred_on": "2024-01-10",
                    "event_id": "s1",
                    "regime": "OFAC",
                },
                {
                    "type": "criticize",
                    "actor": "USA",
                    "target": "RUS",
                    "occurred_on": "2024-07-01",
                    "event_id": "x1",
                },
                {
                    "type": "praise",
                    "actor": "PRK",
                    "target": "CHN",
                    "occurred_on": "2024-10-01",
                    "event_id": "p1",
                },
            ]
        )
    return path


def _ids(history: Path, *args: str) -> list[str]:
    return [
        r["event"]["event_id"]
        for r in json_lines(ok("log", "--jsonl", *args, "--db", str(history)))
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["c1", "v1", "t1", "s1", "x1", "p1"], id="all-in-log-order"),
        pytest.param(["--actor", "North Korea"], ["c1", "p1"], id="actor"),
        pytest.param(["--target", "PRK"], ["v1", "t1", "s1"], id="target"),
        pytest.param(["--actor", "USA", "--target", "Russia"], ["x1"], id="actor-and-target"),
        pytest.param(["--dyad", "PRK", "RUS"], ["c1", "v1", "t1"], id="dyad"),
        pytest.param(["--dyad", "Russia", "DPRK"], ["c1", "v1", "t1"], id="dyad-other-order"),
        pytest.param(["--type", "sign_treaty"], ["t1"], id="type"),
        pytest.param(["--type", "visit", "--type", "praise"], ["v1", "p1"], id="two-types"),
        pytest.param(["--since", "2024-06-18"], ["v1", "t1", "x1", "p1"], id="since-inclusive"),
        pytest.param(["--until", "2024-03-18"], ["c1", "s1"], id="until-inclusive"),
        pytest.param(
            ["--since", "2024-06-01", "--until", "2024-06-30"], ["v1", "t1"], id="since-and-until"
        ),
        pytest.param(["--limit", "2"], ["c1", "v1"], id="limit"),
        pytest.param(["--dyad", "PRK", "RUS", "--limit", "1"], ["c1"], id="dyad-and-limit"),
        pytest.param(["--actor", "CHN"], [], id="nothing-matches"),
    ],
)
def test_log_filters(history: Path, args: list[str], expected: list[str]) -> None:
    assert _ids(history, *args) == expected


def test_log_json_lines_have_event_hash_recorded_at_and_seq(history: Path) -> None:
    records = json_lines(ok("log", "--jsonl", "--db", str(history)))
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5, 6]
    for r in records:
        assert set(r) == {"event", "hash", "recorded_at", "seq"}
        assert len(r["hash"]) == 64
        assert r["recorded_at"] == "2026-01-01T00:00:00.000000Z"
    assert records[2]["event"] == {
        "type": "sign_treaty",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "2024-06-19",
        "event_id": "t1",
        "name": "CSP Treaty",
        "kind": "treaty",
        "confidence": 1.0,
        "schema_version": 1,
    }


def test_log_json_last_hash_is_the_head(history: Path) -> None:
    records = json_lines(ok("log", "--jsonl", "--db", str(history)))
    with Tracker(history) as t:
        assert records[-1]["hash"] == t.head().hash


def test_log_json_writes_non_ascii_as_utf8(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    ok("append", *OK, "--summary", "Ким Чен Ын — 祝贺", "--db", db)
    out = ok("log", "--jsonl", "--db", db)
    assert "Ким Чен Ын — 祝贺" in out
    assert "\\u" not in out


def test_log_table_shows_one_row_per_event(history: Path) -> None:
    lines = ok("log", "--db", str(history)).splitlines()
    assert lines[0].split()[:3] == ["seq", "occurred", "type"]
    rows = lines[2:]
    assert len(rows) == 6
    assert rows[0].split()[:4] == ["1", "2024-03-18", "congratulate", "PRK→RUS"]
    assert "Kim congratulates" in rows[0]


def test_log_of_an_empty_result_says_so(history: Path) -> None:
    assert "no events match" in ok("log", "--actor", "CHN", "--db", str(history))


def test_log_since_after_until_is_a_usage_error(history: Path) -> None:
    result = run("log", "--since", "2024-06-01", "--until", "2024-01-01", "--db", str(history))
    _assert_clean_failure(result, ["--since"], 2)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--actor", "Narnia"], ["--actor", "'Narnia'"], id="unknown-actor"),
        pytest.param(["--type", "praize"], ["--type", "'praize'"], id="unknown-type"),
        pytest.param(["--since", "2024-13-01"], ["--since", "'2024-13-01'"], id="bad-since"),
        pytest.param(["--limit", "0"], ["--limit", "0"], id="zero-limit"),
        pytest.param(["--dyad", "PRK"], ["--dyad"], id="dyad-with-one-party"),
    ],
)
def test_log_bad_filter_fails_cleanly(
    history: Path, file_state: FileState, args: list[str], expected: list[str]
) -> None:
    before = file_state(history)
    _assert_clean_failure(run("log", *args, "--db", str(history)), expected, 2)
    assert file_state(history) == before


def test_log_of_a_missing_store_fails_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    result = run("log", "--db", str(db))
    _assert_clean_failure(result, ["--db", f"'{db}'"], 1)
    assert not db.exists()


# --- the database location ---------------------------------------------------------------------


def test_tracker_db_environment_variable_is_honoured(tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    env = {"TRACKER_DB": str(db)}
    ok("append", *OK, "--id", "env1", env=env)
    assert db.exists()
    assert not (tmp_path / "tracker.db").exists()
    assert _ids_env(env) == ["env1"]


def _ids_env(env: dict[str, str]) -> list[str]:
    return [r["event"]["event_id"] for r in json_lines(ok("log", "--jsonl", env=env))]


def test_db_option_overrides_the_environment_variable(tmp_path: Path) -> None:
    env_db, opt_db = tmp_path / "env.db", tmp_path / "opt.db"
    ok("append", *OK, "--db", str(opt_db), env={"TRACKER_DB": str(env_db)})
    assert opt_db.exists() and not env_db.exists()


def test_default_store_is_tracker_db_in_the_working_directory(tmp_path: Path) -> None:
    ok("append", *OK)
    assert (tmp_path / "tracker.db").exists()
    assert len(json_lines(ok("log", "--jsonl"))) == 1


# --- types -------------------------------------------------------------------------------------


def test_types_json_lists_the_vocabulary() -> None:
    entries = json.loads(ok("types", "--json"))["types"]
    assert len(entries) >= 40
    for entry in entries:
        assert {"type", "cameo_code", "weight", "quad_class", "fields"} <= set(entry)
    names = [e["type"] for e in entries]
    assert len(names) == len(set(names))


def test_types_json_gives_code_weight_and_quad_class() -> None:
    entries = {e["type"]: e for e in json.loads(ok("types", "--json"))["types"]}
    assert (
        entries["impose_sanctions"]["cameo_code"],
        entries["impose_sanctions"]["weight"],
        entries["impose_sanctions"]["quad_class"],
    ) == ("163", -8.0, 4)
    assert (
        entries["congratulate"]["cameo_code"],
        entries["congratulate"]["weight"],
        entries["congratulate"]["quad_class"],
    ) == ("051", 3.4, 1)
    coded = [e for e in entries.values() if e["cameo_code"] is not None]
    assert all(-10 <= e["weight"] <= 10 and e["quad_class"] in (1, 2, 3, 4) for e in coded)


def test_types_json_lists_each_types_fields_and_whether_required() -> None:
    entries = {e["type"]: e for e in json.loads(ok("types", "--json"))["types"]}
    treaty = {f["name"]: f["required"] for f in entries["sign_treaty"]["fields"]}
    assert treaty["name"] is True
    assert {f["name"]: f["required"] for f in entries["arms_transfer"]["fields"]} == {
        "items": False,
        "value_usd": False,
    }
    assert entries["praise"]["fields"] == []


def test_types_table_lists_every_type() -> None:
    out = ok("types")
    entries = json.loads(ok("types", "--json"))["types"]
    listed = {line.split()[0] for line in out.splitlines()[2:] if line.strip()}
    assert listed == {e["type"] for e in entries}


# --- parties -----------------------------------------------------------------------------------


def test_parties_resolves_north_korea_to_prk() -> None:
    out = ok("parties", "north korea")
    assert out.splitlines()[0].split()[0] == "PRK"


def test_parties_json_puts_the_resolved_party_first() -> None:
    found = json.loads(ok("parties", "DPRK", "--json"))["parties"]
    assert found[0]["code"] == "PRK"
    assert set(found[0]) == {"code", "name", "kind", "since", "until", "continues"}


def test_parties_lists_organisations() -> None:
    found = json.loads(ok("parties", "NATO", "--json"))["parties"]
    assert found[0] == {
        "code": "NATO",
        "name": "North Atlantic Treaty Organization",
        "kind": "organisation",
        "since": None,
        "until": None,
        "continues": None,
    }


def test_parties_show_when_a_state_existed_and_what_it_continues() -> None:
    [ussr] = json.loads(ok("parties", "USSR", "--json"))["parties"][:1]
    assert (ussr["code"], ussr["kind"], ussr["since"], ussr["until"]) == (
        "SUN",
        "former",
        "1922-12-30",
        "1991-12-25",
    )
    [russia] = json.loads(ok("parties", "RUS", "--json"))["parties"][:1]
    assert (russia["since"], russia["continues"]) == ("1991-12-26", "SUN")
    assert "[1991-12-26, continues SUN]" in ok("parties", "RUS")


def test_parties_without_a_query_lists_every_party() -> None:
    found = json.loads(ok("parties", "--json"))["parties"]
    codes = {p["code"] for p in found}
    assert len(found) >= 249
    assert {"PRK", "RUS", "USA", "UN", "EU", "NATO", "AU", "ASEAN"} <= codes


def test_parties_unknown_name_fails_with_suggestions() -> None:
    result = run("parties", "Rusia")
    _assert_clean_failure(result, ["'Rusia'", "RUS"], 1)
