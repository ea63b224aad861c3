"""The retract, correct, verify, replay and export commands, and `log --known-at`, through
the click command line."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tracker.api import Tracker
from tracker.cli import main

Run = Callable[..., Result]


@pytest.fixture
def store(tracker: Tracker, db_path: Path) -> Path:
    tracker.append_many(
        [
            {
                "event_id": "p1",
                "type": "praise",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2024-03-18",
            },
            {
                "event_id": "p2",
                "type": "criticize",
                "actor": "RUS",
                "target": "PRK",
                "occurred_on": "2024-04-01",
                "weight": -3.0,
            },
            {
                "event_id": "p3",
                "type": "arms_transfer",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": "2023-09-13",
                "items": ["shells"],
            },
            {
                "event_id": "p4",
                "type": "expel_diplomats",
                "actor": "UKR",
                "target": "RUS",
                "occurred_on": "2021-01-01",
            },
            {
                "event_id": "p5",
                "type": "support_at_international_body",
                "actor": "RUS",
                "target": "PRK",
                "occurred_on": "2024-03-28",
                "body": "UNSC",
            },
        ]
    )
    tracker.close()
    return db_path


@pytest.fixture
def run(store: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, [*args, "--db", str(store)])

    return invoke


def body(store: Path, event_id: str) -> dict[str, Any]:
    conn = sqlite3.connect(store)
    (text,) = conn.execute("SELECT body FROM events WHERE event_id = ?", (event_id,)).fetchone()
    conn.close()
    result: dict[str, Any] = json.loads(text)
    return result


def test_help_lists_the_audit_commands() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for name in ("retract", "correct", "verify", "replay", "export"):
        assert name in out


# -- retract -------------------------------------------------------------------------------------


def test_retract_appends_a_retraction_and_is_idempotent_with_an_id(run: Run, store: Path) -> None:
    result = run("retract", "p1", "--reason", "duplicate", "--id", "r-p1")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "retracted p1: appended seq 6 id r-p1"
    again = run("retract", "p1", "--reason", "duplicate", "--id", "r-p1", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output) == {
        "format_version": 1,
        "command": "retract",
        "seq": 6,
        "event_id": "r-p1",
        "created": False,
        "refers_to": "p1",
        "hash": json.loads(again.output)["hash"],
    }
    assert body(store, "r-p1")["refers_to"] == "p1"
    # the original is still in the log, and the state before the retraction is still known
    log = run("log", "--jsonl")
    assert [json.loads(x)["event"]["event_id"] for x in log.output.splitlines()] == [
        "p1",
        "p2",
        "p3",
        "p4",
        "p5",
        "r-p1",
    ]
    now = json.loads(run("state", "PRK", "RUS", "--as-of", "2024-06-01", "--json").output)
    then = json.loads(
        run("state", "PRK", "RUS", "--as-of", "2024-06-01", "--known-at", "5", "--json").output
    )
    assert now["index"] < then["index"]


def test_retract_json_output(run: Run) -> None:
    result = run("retract", "p2", "--reason", "wrong outlet", "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["seq"] == 6 and d["created"] is True and d["refers_to"] == "p2"


# -- correct -------------------------------------------------------------------------------------


def test_correct_parses_each_kind_of_value(run: Run, store: Path) -> None:
    r1 = run(
        "correct",
        "p3",
        "--field",
        "confidence=0.75",
        "--field",
        "items=shells",
        "--field",
        "items=missiles",
        "--field",
        "value_usd=2000000",
        "--reason",
        "BBC",
        "--id",
        "c1",
    )
    r2 = run("correct", "p4", "--field", "count=12", "--reason", "Reuters", "--id", "c2")
    r3 = run("correct", "p5", "--field", "veto=true", "--reason", "record", "--id", "c3")
    r4 = run(
        "correct",
        "p2",
        "--field",
        "weight=",
        "--field",
        "occurred_on=2024-04-02",
        "--reason",
        "default weight",
        "--id",
        "c4",
        "--json",
    )
    for r in (r1, r2, r3, r4):
        assert r.exit_code == 0, r.output
    assert body(store, "c1")["changes"] == {
        "confidence": 0.75,
        "items": ["shells", "missiles"],
        "value_usd": 2000000.0,
    }
    assert body(store, "c2")["changes"] == {"count": 12}
    assert body(store, "c3")["changes"] == {"veto": True}
    assert body(store, "c4")["changes"] == {"weight": None, "occurred_on": "2024-04-02"}
    assert json.loads(r4.output)["refers_to"] == "p2"
    assert "corrected p3: appended seq 6 id c1" in r1.output
    # the projections use the corrected content
    explained = json.loads(run("explain", "PRK", "RUS", "--as-of", "2024-06-01", "--json").output)
    p2 = next(c for c in explained["contributions"] if c["event_id"] == "p2")
    assert p2["occurred_on"] == "2024-04-02" and p2["weight"] != -3.0


def test_correct_refuses_immutable_and_unknown_fields_naming_them(run: Run) -> None:
    immutable = run("correct", "p1", "--field", "target=USA", "--reason", "x")
    unknown = run("correct", "p1", "--field", "items=x", "--reason", "x")
    assert immutable.exit_code == unknown.exit_code == 2
    assert "'target' cannot be corrected" in immutable.output
    assert "'items' is not a field of 'praise' events" in unknown.output


# -- verify --------------------------------------------------------------------------------------


def test_verify_prints_the_head_when_intact(run: Run, store: Path) -> None:
    result = run("verify")
    with Tracker(store) as t:
        head = t.head()
    assert result.exit_code == 0, result.output
    assert "intact: 5 events" in result.output
    assert f"head seq 5 hash {head.hash}" in result.output
    d = json.loads(run("verify", "--json", "--deep").output)
    assert d["ok"] is True and d["head"] == {"seq": 5, "hash": head.hash}


def test_verify_names_the_first_bad_position_and_exits_non_zero(run: Run, store: Path) -> None:
    conn = sqlite3.connect(store, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = replace(body, '2023-09-13', '2023-09-14') WHERE seq = 3")
    conn.close()
    result = run("verify")
    assert result.exit_code == 1
    assert "FAULT trigger: trigger events_no_update is missing" in result.output
    assert "FAULT hash: seq 3: hash mismatch" in result.output
    assert "first bad position: seq 3; chain verified up to seq 2 of 5" in result.output
    d = json.loads(run("verify", "--json").output)
    assert d["ok"] is False and d["first_bad_seq"] == 3


def test_verify_against_an_export(run: Run, tmp_path: Path) -> None:
    exported = tmp_path / "log.jsonl"
    assert run("export", str(exported)).exit_code == 0
    ok = run("verify", "--against", str(exported))
    assert ok.exit_code == 0 and "matches" in ok.output
    run("retract", "p1", "--reason", "later")
    newer = run("verify", "--against", str(exported))
    assert newer.exit_code == 1 and "seq 6" in newer.output
    assert run("verify", "--against", str(exported), "--prefix").exit_code == 0


# -- replay --------------------------------------------------------------------------------------


def test_replay_reports_each_dyad_and_the_model(run: Run, store: Path, tmp_path: Path) -> None:
    report = tmp_path / "replay.json"
    result = run("replay", "--report", str(report))
    with Tracker(store) as t:
        fingerprint = t.model.fingerprint
    assert result.exit_code == 0, result.output
    assert fingerprint in result.output
    assert "PRK–RUS  ok" in result.output and "2 dyads: 2 ok" in result.output
    d = json.loads(report.read_text())
    assert d["ok"] is True and d["model_fingerprint"] == fingerprint
    assert [x["dyad"] for x in d["dyads"]] == [["PRK", "RUS"], ["RUS", "UKR"]]
    assert json.loads(run("replay", "--json").output)["summary"] == {"pairs": 2, "ok": 2}


def test_replay_divergence_exits_non_zero(run: Run, store: Path) -> None:
    conn = sqlite3.connect(store, isolation_level=None)
    conn.execute("UPDATE checkpoints SET label = 'allied' WHERE party_b = 'UKR'")
    conn.close()
    result = run("replay")
    assert result.exit_code == 1
    assert "RUS–UKR  differs: first on 2021-01-01, column label" in result.output
    assert "DIVERGENCE" in result.output


def test_replay_known_at_says_nothing_was_compared(run: Run) -> None:
    run("retract", "p1", "--reason", "later")
    result = run("replay", "--known-at", "3")
    assert result.exit_code == 0, result.output
    assert "no comparison is possible" in result.output
    assert "PRK–RUS  as known then" in result.output


# -- export and log --known-at --------------------------------------------------------------------


def test_export_to_a_file_and_to_stdout(run: Run, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    result = run("export", str(target))
    assert result.exit_code == 0 and "exported 5 events" in result.output
    log = run("log", "--jsonl").output.splitlines()
    head, *records = target.read_text().splitlines()
    assert json.loads(head)["tree_head"]["size"] == 5
    assert [json.loads(x) for x in records] == [json.loads(x) for x in log]
    assert run("export", str(target)).exit_code == 1  # exists
    assert run("export", str(target), "--force", "--known-at", "2").exit_code == 0
    assert len(target.read_text().splitlines()) == 1 + 2
    stdout = CliRunner().invoke(main, ["export", "-", "--db", str(store)])
    assert stdout.exit_code == 0
    assert len(stdout.stdout.splitlines()) == 1 + 5
    assert "exported 5 events" in stdout.stderr


def test_log_known_at_lists_only_what_was_recorded_then(run: Run, store: Path) -> None:
    run("retract", "p1", "--reason", "later")
    assert len(run("log", "--jsonl").output.splitlines()) == 6
    assert len(run("log", "--jsonl", "--known-at", "3").output.splitlines()) == 3
    assert len(run("log", "--jsonl", "--known-at", "0").output.splitlines()) == 0
    with Tracker(store) as t:
        *_, fifth = t.rows(max_seq=5)
    at = run("log", "--jsonl", "--known-at", fifth.recorded_at)
    assert [json.loads(x)["seq"] for x in at.output.splitlines()] == [1, 2, 3, 4, 5]
