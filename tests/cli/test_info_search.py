"""`tracker info` (what a store holds) and `tracker log --search` (full-text search over the
events' summaries and sources, through the store's derived FTS5 index)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.api import Tracker
from tracker.cli import main
from tracker.transparency import tree_head

EVENTS = [
    {
        "type": "sign_treaty",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "2024-06-19",
        "name": "Comprehensive Strategic Partnership",
        "summary": "Putin and Kim sign the strategic partnership treaty",
        "source": "KCNA",
        "event_id": "t1",
    },
    {
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-06-20",
        "summary": "Kim praises the treaty",
        "event_id": "p1",
    },
    {
        "type": "praise",
        "actor": "CUB",
        "target": "USA",
        "occurred_on": "2015-07-20",
        "summary": "Embassies reopen",
        "source": "Reuters: a treaty-free thaw",
        "event_id": "c1",
    },
]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "mine.db"
    with Tracker(path) as t:
        t.append_many(EVENTS)
    return path


def ids_of(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [json.loads(line)["event"]["event_id"] for line in result.output.splitlines()]


# -- log --search ----------------------------------------------------------------------------


def test_log_search_lists_the_events_whose_summary_or_source_match(db: Path) -> None:
    assert ids_of(run("log", "--search", "treaty", "--jsonl", "--db", str(db))) == [
        "t1",
        "p1",
        "c1",
    ]
    assert ids_of(run("log", "--search", "kim treaty", "--jsonl", "--db", str(db))) == ["t1", "p1"]
    phrase = run("log", "--search", '"partnership treaty"', "--jsonl", "--db", str(db))
    assert ids_of(phrase) == ["t1"]


def test_log_search_keeps_the_other_filters_and_the_table(db: Path) -> None:
    result = run("log", "--search", "treaty", "--dyad", "PRK", "RUS", "--db", str(db))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["seq", "occurred"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2"]


def test_log_search_of_nothing_found_says_so(db: Path) -> None:
    result = run("log", "--search", "sanctions", "--db", str(db))
    assert result.exit_code == 0 and result.output.strip() == "no events match"


@pytest.mark.parametrize(
    ("text", "why"),
    [('"open phrase', "a double quote is not closed"), ("--- ...", "no word to search for")],
)
def test_log_search_text_that_cannot_be_searched_is_a_usage_error(
    db: Path, text: str, why: str
) -> None:
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = run("log", "--search", text, "--db", str(db))
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--search': {text!r}: {why}" in result.output
    assert "Traceback" not in result.output
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_dropped_search_index_is_rebuilt_from_the_log(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE events_fts")
    conn.commit()
    conn.close()
    # the next writable open builds it again from the log
    assert ids_of(run("log", "--search", "kim", "--jsonl", "--db", str(db))) == ["t1", "p1"]
    result = run("verify", "--db", str(db))
    assert result.exit_code == 0, result.output


def test_rebuild_refills_the_search_index(db: Path) -> None:
    assert run("rebuild", "--db", str(db)).exit_code == 0
    assert ids_of(run("log", "--search", "embassies", "--jsonl", "--db", str(db))) == ["c1"]


def test_verify_accepts_the_search_index_and_still_flags_a_foreign_table(db: Path) -> None:
    assert run("verify", "--db", str(db)).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIRTUAL TABLE events_fts2 USING fts5(x)")
    conn.commit()
    conn.close()
    result = run("verify", "--db", str(db))
    assert result.exit_code == 1
    assert "unexpected table events_fts2" in result.output


# -- info ------------------------------------------------------------------------------------


def test_info_json_names_the_tables_rows_head_tree_and_model(db: Path) -> None:
    result = run("info", "--json", "--db", str(db))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    with Tracker(db, create=False) as t:
        head, root, model = t.head(), tree_head(t.store).root.hex(), t.model.fingerprint
    assert doc["format_version"] == 1 and doc["command"] == "info"
    assert (doc["backend"], doc["schema_version"], doc["store"]) == ("sqlite", 2, str(db))
    rows = {t["name"]: t["rows"] for t in doc["tables"]}
    assert rows["events"] == 3 and rows["events_fts"] == 3 and rows["meta"] == 3
    assert rows["checkpoints"] == 3  # one per dyad and day with events
    assert not any(name.startswith("events_fts_") for name in rows)  # FTS5's own tables
    assert doc["head"] == {"seq": 3, "hash": head.hash, "recorded_at": head.recorded_at}
    assert doc["tree"] == {"size": 3, "root": root}
    assert doc["model_fingerprint"] == model
    assert doc["size_bytes"] >= db.stat().st_size


def test_info_text_and_csv_say_the_same(db: Path) -> None:
    text = run("info", "--db", str(db))
    assert text.exit_code == 0, text.output
    doc = json.loads(run("info", "--json", "--db", str(db)).output)
    as_csv = run("info", "--csv", "--db", str(db))
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.output)))
    assert rows[0] == ["name", "rows"]
    assert rows[1:] == [[t["name"], str(t["rows"])] for t in doc["tables"]]
    head = doc["head"]
    assert f"seq 3, hash {head['hash']}" in text.output
    assert doc["tree"]["root"] in text.output and doc["model_fingerprint"] in text.output
    listing = text.output.split("\n\n")[1].splitlines()
    assert listing[0].split() == ["table", "rows"]
    assert [line.split() for line in listing[2:]] == [[n, f"{int(r):,}"] for n, r in rows[1:]]


def test_info_reads_only(db: Path) -> None:
    db.chmod(0o444)
    try:
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        assert run("info", "--db", str(db)).exit_code == 0
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    finally:
        db.chmod(0o644)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--json", "--csv"], 2, "--json and --csv cannot be combined"),
        (["--db", "{tmp}/missing.db"], 1, "no tracker store there"),
    ],
)
def test_info_errors(tmp_path: Path, args: list[str], code: int, needle: str) -> None:
    result = run("info", *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == code, result.output
    assert needle in result.output
    assert not (tmp_path / "missing.db").exists()


def test_info_and_search_on_postgresql(pg_url: str) -> None:
    with Tracker(pg_url) as t:
        t.append_many(EVENTS)
    result = run("info", "--json", "--db", pg_url)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    rows = {t["name"]: t["rows"] for t in doc["tables"]}
    assert doc["backend"] == "postgresql" and rows["events"] == 3 and doc["head"]["seq"] == 3
    assert doc["size_bytes"] > 0
    assert ids_of(run("log", "--search", "kim treaty", "--jsonl", "--db", pg_url)) == ["t1", "p1"]


def test_a_store_read_only_without_a_search_index_says_so(db: Path) -> None:
    from tracker.errors import StoreError
    from tracker.store import RowFilter, SQLiteStore

    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE events_fts")
    conn.commit()
    conn.close()
    store = SQLiteStore(db, readonly=True)
    try:
        with pytest.raises(StoreError, match="has no search index yet"):
            list(store.rows(RowFilter(search="kim")))
        assert [r.event_id for r in store.rows()] == ["t1", "p1", "c1"]  # the rest still reads
    finally:
        store.close()
