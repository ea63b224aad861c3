"""States that no longer exist, end to end with the installed `tracker` script: events are
recorded under the state that existed on their date, and a continuing state's queries include
its predecessor's record unless told not to."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import run_installed

RELATIONS_1948 = [
    "append",
    "establish_relations",
    "--actor",
    "Russia",
    "--target",
    "North Korea",
    "--on",
    "1948-10-12",
    "--id",
    "ussr-dprk-1948",
]


def tracker(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result: subprocess.CompletedProcess[str] = run_installed(*args, cwd=cwd)
    return result


def ok(*args: str, cwd: Path) -> str:
    done = tracker(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with the USSR–DPRK relations of 1948 (appended as "Russia") and a 2024
    praise between North Korea and Russia."""
    out = ok(*RELATIONS_1948, "--db", "t.db", cwd=tmp_path)
    assert out.splitlines() == [
        "note: Russian Federation (RUS) exists from 1991-12-26: an event on 1948-10-12 is "
        "recorded under Soviet Union (SUN), which it continues",
        "appended seq 1 id ussr-dprk-1948",
    ]
    ok(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-03-18",
        "--id",
        "p1",
        "--db",
        "t.db",
        cwd=tmp_path,
    )
    return tmp_path


def test_russia_in_1948_is_recorded_as_the_soviet_union(store: Path) -> None:
    [first, _] = [
        json.loads(x) for x in ok("log", "--jsonl", "--db", "t.db", cwd=store).splitlines()
    ]
    assert (first["event"]["actor"], first["event"]["target"]) == ("SUN", "PRK")
    again = json.loads(ok(*RELATIONS_1948, "--json", "--db", "t.db", cwd=store))
    assert again["created"] is False and again["notes"][0].startswith("Russian Federation (RUS)")


def test_state_of_the_continuing_dyad_includes_the_predecessors_record(store: Path) -> None:
    text = ok("state", "North Korea", "Russia", "--as-of", "2024-12-31", "--db", "t.db", cwd=store)
    assert (
        "includes the record of PRK–SUN (Russian Federation (RUS) continues Soviet Union (SUN))"
        in text
    )
    assert "relations established since 1948-10-12" in text
    d = json.loads(
        ok("state", "PRK", "RUS", "--as-of", "2024-12-31", "--json", "--db", "t.db", cwd=store)
    )
    relations = d["status"]["relations"]
    assert (relations["status"], relations["since"]) == ("established", "1948-10-12")
    assert [p["dyad"] for p in d["predecessors"]] == [["PRK", "SUN"]]
    assert d["events"] == 2
    assert [e["actor"] for e in d["last_events"]] == ["PRK", "SUN"]


def test_no_predecessors_leaves_the_predecessors_record_out(store: Path) -> None:
    d = json.loads(
        ok(
            "state",
            "PRK",
            "RUS",
            "--as-of",
            "2024-12-31",
            "--no-predecessors",
            "--json",
            "--db",
            "t.db",
            cwd=store,
        )
    )
    assert d["predecessors"] == [] and d["events"] == 1
    assert d["status"]["relations"]["status"] != "established"
    text = ok("state", "PRK", "RUS", "--no-predecessors", "--db", "t.db", cwd=store)
    assert "includes the record" not in text


def test_explain_and_timeline_include_and_name_the_predecessor(store: Path) -> None:
    d = json.loads(
        ok("explain", "PRK", "RUS", "--as-of", "2024-12-31", "--json", "--db", "t.db", cwd=store)
    )
    assert [(c["actor"], c["type"]) for c in d["contributions"]] == [
        ("PRK", "praise"),
        ("SUN", "establish_relations"),
    ]
    assert d["predecessors"][0]["dyad"] == ["PRK", "SUN"]
    t = json.loads(
        ok(
            "timeline",
            "PRK",
            "RUS",
            "--every",
            "year",
            "--from",
            "1948-10-12",
            "--to",
            "1950-12-31",
            "--json",
            "--db",
            "t.db",
            cwd=store,
        )
    )
    assert t["points"][0]["as_of"] == "1948-10-12" and t["points"][0]["index"] > 0
    assert t["predecessors"][0]["dyad"] == ["PRK", "SUN"]
    alone = json.loads(
        ok(
            "timeline",
            "PRK",
            "RUS",
            "--from",
            "1948-10-12",
            "--to",
            "1950-12-31",
            "--every",
            "year",
            "--no-predecessors",
            "--json",
            "--db",
            "t.db",
            cwd=store,
        )
    )
    assert all(p["index"] == 0 for p in alone["points"]) and alone["predecessors"] == []


def test_the_soviet_union_after_1991_is_an_error_naming_its_dates(store: Path) -> None:
    before = (store / "t.db").read_bytes()
    done = tracker(
        "append",
        "praise",
        "--actor",
        "Soviet Union",
        "--target",
        "PRK",
        "--on",
        "2000-01-01",
        "--db",
        "t.db",
        cwd=store,
    )
    assert done.returncode == 1
    assert "1922-12-30 to 1991-12-25, not on 2000-01-01" in done.stderr
    assert "Russian Federation (RUS) continues it" in done.stderr
    assert "Traceback" not in done.stderr
    assert (store / "t.db").read_bytes() == before


def test_an_ambiguous_name_is_a_usage_error_listing_the_candidates(store: Path) -> None:
    done = tracker("state", "Korea", "Russia", "--db", "t.db", cwd=store)
    assert done.returncode == 2
    assert "'Korea': ambiguous: North Korea (PRK) or South Korea (KOR)?" in done.stderr


def test_imported_events_are_recorded_under_the_state_of_their_date(tmp_path: Path) -> None:
    lines = [
        {
            "type": "praise",
            "actor": "Russia",
            "target": "Cuba",
            "occurred_on": "1985-03-11",
            "event_id": "i1",
        },
        {
            "type": "criticize",
            "actor": "Soviet Union",
            "target": "USA",
            "occurred_on": "1983-09-05",
            "event_id": "i2",
        },
        {
            "type": "visit",
            "actor": "Serbia",
            "target": "Russia",
            "occurred_on": "1999-06-01",
            "event_id": "i3",
        },
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    summary = ok("import", str(path), "--db", "h.db", cwd=tmp_path)
    assert "events recorded under states that no longer exist (SUN 2, YUG 1)" in summary
    got = [
        json.loads(x)["event"]
        for x in ok("log", "--jsonl", "--db", "h.db", cwd=tmp_path).splitlines()
    ]
    assert [(e["actor"], e["target"]) for e in got] == [
        ("SUN", "CUB"),
        ("SUN", "USA"),
        ("YUG", "RUS"),
    ]
    d = json.loads(
        ok("state", "SRB", "RUS", "--as-of", "2000-01-01", "--json", "--db", "h.db", cwd=tmp_path)
    )
    assert [p["dyad"] for p in d["predecessors"]] == [["RUS", "YUG"]]
    assert d["events"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {"type": "praise", "actor": "Czechia", "target": "USA", "occurred_on": "1985-01-01"}
        )
        + "\n",
        encoding="utf-8",
    )
    done = tracker("import", str(bad), "--db", "h.db", cwd=tmp_path)
    assert done.returncode == 1
    assert "line 1" in done.stderr and "on that date: Czechoslovakia (CSK)" in done.stderr


def test_timeline_starts_at_the_dyads_own_first_event_else_its_predecessors(
    tmp_path: Path,
) -> None:
    ok(*RELATIONS_1948, "--db", "only.db", cwd=tmp_path)
    t = json.loads(
        ok("timeline", "PRK", "RUS", "--every", "year", "--json", "--db", "only.db", cwd=tmp_path)
    )
    assert t["points"][0]["as_of"] == "1948-10-12"
    ok(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-03-18",
        "--db",
        "only.db",
        cwd=tmp_path,
    )
    t = json.loads(
        ok("timeline", "PRK", "RUS", "--every", "year", "--json", "--db", "only.db", cwd=tmp_path)
    )
    assert t["points"][0]["as_of"] == "2024-03-18"
    assert t["points"][0]["index"] > 0
