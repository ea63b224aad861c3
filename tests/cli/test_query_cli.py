"""The query commands through click's CliRunner on a small real store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.api import Tracker
from tracker.cli import main

EVENTS = [
    {
        "type": "sign_treaty",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "2024-06-19",
        "name": "CSP Treaty",
        "event_id": "t1",
        "summary": "Putin and Kim sign the treaty",
    },
    {
        "type": "ratify_treaty",
        "actor": "RUS",
        "target": "PRK",
        "occurred_on": "2024-12-04",
        "name": "CSP Treaty",
        "event_id": "t2",
    },
    {
        "type": "congratulate",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-18",
        "event_id": "c1",
    },
    {
        "type": "impose_sanctions",
        "actor": "USA",
        "target": "PRK",
        "occurred_on": "2024-01-10",
        "regime": "OFAC",
        "event_id": "s1",
    },
    {
        "type": "military_attack",
        "actor": "RUS",
        "target": "UKR",
        "occurred_on": "2022-02-24",
        "event_id": "w1",
    },
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "q.db"
    with Tracker(path) as t:
        t.append_many(EVENTS)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_state_json_has_the_documented_keys(db: Path) -> None:
    code, out = run(
        "state", "North Korea", "Russia", "--as-of", "2025-01-01", "--json", "--db", str(db)
    )
    assert code == 0
    d = json.loads(out)
    assert {
        "dyad",
        "as_of",
        "index",
        "score",
        "stock_components",
        "flow_components",
        "structure",
        "label",
        "status",
        "trend",
        "model_fingerprint",
        "known_at",
        "last_events",
        "counts",
        "stock",
        "flow",
        "last_event_on",
        "days_since_last_event",
        "rests_on_structure",
    } <= set(d)
    assert d["dyad"] == ["PRK", "RUS"]
    assert [a["status"] for a in d["status"]["agreements"]] == ["in force"]
    assert d["index"] > 0


def test_state_shows_stock_flow_and_how_old_the_record_is(db: Path) -> None:
    code, out = run("state", "PRK", "RUS", "--as-of", "2026-12-01", "--json", "--db", str(db))
    assert code == 0
    d = json.loads(out)
    assert (d["last_event_on"], d["days_since_last_event"]) == ("2024-12-04", 727)
    assert d["rests_on_structure"] is True
    assert d["stock"] == 5.0  # one treaty in force (kind "treaty")
    assert [t["what"] for t in d["structure"]] == ["agreement"]
    assert set(d["stock_components"]) == {"PRK->RUS", "RUS->PRK", "shared"}
    assert set(d["flow_components"]) == {"PRK->RUS", "RUS->PRK"}
    assert d["score"] == pytest.approx(d["stock"] + d["flow"], abs=1e-12)
    _, text = run("state", "PRK", "RUS", "--as-of", "2026-12-01", "--db", str(db))
    assert "score    +" in text and "= stock +5.00 + flow" in text
    assert "last event 2024-12-04, 2.0 years before 2026-12-01" in text
    assert "the reading rests on structure" in text


def test_a_fresh_record_does_not_rest_on_structure(db: Path) -> None:
    _, out = run("state", "PRK", "RUS", "--as-of", "2025-01-01", "--json", "--db", str(db))
    d = json.loads(out)
    assert (d["days_since_last_event"], d["rests_on_structure"]) == (28, False)
    _, text = run("state", "PRK", "RUS", "--as-of", "2025-01-01", "--db", str(db))
    assert "last event 2024-12-04, 28 days before 2025-01-01" in text
    assert "rests on structure" not in text


def test_directed_sanctions_are_stock_of_their_direction(db: Path) -> None:
    _, out = run("state", "USA", "PRK", "--as-of", "2024-02-01", "--json", "--db", str(db))
    d = json.loads(out)
    assert d["stock_components"] == {"PRK->USA": 0.0, "USA->PRK": -6.0, "shared": 0.0}
    assert d["structure"][0]["direction"] == "USA->PRK"


def test_dyads_and_timeline_say_when_the_record_ends(db: Path) -> None:
    _, out = run("dyads", "--as-of", "2026-12-01", "--json", "--db", str(db))
    entry = next(e for e in json.loads(out)["warmest"] if e["dyad"] == ["PRK", "RUS"])
    assert entry["last_event_on"] == "2024-12-04" and entry["rests_on_structure"] is True
    assert entry["score"] == pytest.approx(entry["stock"] + entry["flow"])
    _, text = run("dyads", "--as-of", "2026-12-01", "--db", str(db))
    assert "last event 2024-12-04 (2.0 years before), rests on structure" in text
    code, out = run(
        "timeline",
        "RUS",
        "UKR",
        "--from",
        "2022-01-01",
        "--every",
        "year",
        "--json",
        "--db",
        str(db),
    )
    assert code == 0
    d = json.loads(out)
    assert d["last_event_on"] == "2022-02-24"
    assert d["conflict_periods"] == [{"start": "2022-02-24", "end": None}]
    assert [p["last_event_on"] for p in d["points"]] == [
        None,
        "2022-02-24",
        "2022-02-24",
        "2022-02-24",
        "2022-02-24",
    ]
    assert all(p["stock"] == -40.0 for p in d["points"][1:])  # the war, whatever the news
    _, text = run(
        "timeline", "RUS", "UKR", "--from", "2022-01-01", "--every", "year", "--db", str(db)
    )
    assert "end of the record: last event 2022-02-24" in text


def test_explain_lists_structural_terms_beside_the_events(db: Path) -> None:
    _, text = run("explain", "RUS", "UKR", "--as-of", "2026-12-01", "--db", str(db))
    assert "structure in force (stock -40.00):" in text
    assert "armed conflict: active since 2022-02-24  w=-40 ×1" in text
    assert "structure -40.00 + events" in text


def test_state_is_the_same_in_either_order(db: Path) -> None:
    _, one = run("state", "PRK", "RUS", "--as-of", "2025-01-01", "--json", "--db", str(db))
    _, two = run("state", "RUS", "PRK", "--as-of", "2025-01-01", "--json", "--db", str(db))
    assert one == two


def test_state_before_any_event_is_neutral_with_no_relations(db: Path) -> None:
    _, out = run("state", "PRK", "RUS", "--as-of", "2000-01-01", "--json", "--db", str(db))
    d = json.loads(out)
    assert (d["index"], d["label"], d["status"]["relations"]["status"]) == (
        0.0,
        "neutral",
        "none recorded",
    )


def test_state_shows_at_war_once_armed_conflict_starts(db: Path) -> None:
    _, out = run("state", "RUS", "UKR", "--as-of", "2022-03-01", "--json", "--db", str(db))
    assert json.loads(out)["label"] == "at war"


def test_state_known_at_sees_only_what_was_recorded_then(db: Path) -> None:
    _, out = run(
        "state", "PRK", "RUS", "--as-of", "2025-01-01", "--known-at", "1", "--json", "--db", str(db)
    )
    d = json.loads(out)
    assert d["known_at"] == 1
    assert [a["status"] for a in d["status"]["agreements"]] == ["signed"]


def test_state_text_names_label_and_model(db: Path) -> None:
    code, out = run("state", "PRK", "RUS", "--as-of", "2025-01-01", "--db", str(db))
    assert code == 0
    assert "PRK–RUS as of 2025-01-01" in out and "model    sha256:" in out


def test_explain_contributions_add_up_to_the_score(db: Path) -> None:
    code, out = run("explain", "PRK", "RUS", "--as-of", "2025-01-01", "--json", "--db", str(db))
    assert code == 0
    d = json.loads(out)
    assert {"event_id", "seq", "occurred_on", "type", "weight", "contribution"} <= set(
        d["contributions"][0]
    )
    events = sum(c["contribution"] for c in d["contributions"])
    structure = sum(t["value"] for t in d["structure"])
    assert events + structure == pytest.approx(d["score"], abs=1e-9)
    assert structure == pytest.approx(d["stock"], abs=1e-12) and d["structure"]


def test_timeline_csv_has_one_row_per_period(db: Path) -> None:
    code, out = run(
        "timeline",
        "PRK",
        "RUS",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--every",
        "quarter",
        "--csv",
        "--db",
        str(db),
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["as_of", "index", "label"]  # the whole header: test_formats.py
    assert [row[0] for row in rows[1:]] == [
        "2024-01-01",
        "2024-04-01",
        "2024-07-01",
        "2024-10-01",
    ]


def test_timeline_json_points(db: Path) -> None:
    _, out = run(
        "timeline",
        "PRK",
        "RUS",
        "--from",
        "2024-06-01",
        "--to",
        "2024-06-30",
        "--every",
        "week",
        "--json",
        "--db",
        str(db),
    )
    d = json.loads(out)
    assert d["every"] == "week" and len(d["points"]) == 5


def test_dyads_ranks_warmest_and_coldest(db: Path) -> None:
    code, out = run("dyads", "--as-of", "2025-01-01", "--json", "--db", str(db))
    assert code == 0
    d = json.loads(out)
    assert d["warmest"][0]["dyad"] == ["PRK", "RUS"]
    assert d["coldest"][0]["dyad"] in (["RUS", "UKR"], ["PRK", "USA"])


def test_dyads_party_filter(db: Path) -> None:
    _, out = run("dyads", "--as-of", "2025-01-01", "--party", "USA", "--json", "--db", str(db))
    d = json.loads(out)
    assert {tuple(e["dyad"]) for e in d["warmest"]} == {("PRK", "USA")}


def test_model_show_prints_the_fingerprint(db: Path) -> None:
    code, out = run("model", "show", "--json", "--db", str(db))
    assert code == 0
    assert json.loads(out)["model_fingerprint"].startswith("sha256:")


def test_a_model_file_changes_the_fingerprint_and_the_numbers(db: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.toml"
    model.write_text("half_life_days = 30\n")
    _, base = run("state", "PRK", "RUS", "--as-of", "2025-01-01", "--json", "--db", str(db))
    _, other = run(
        "state",
        "PRK",
        "RUS",
        "--as-of",
        "2025-01-01",
        "--json",
        "--model",
        str(model),
        "--db",
        str(db),
    )
    a, b = json.loads(base), json.loads(other)
    assert a["model_fingerprint"] != b["model_fingerprint"]
    assert a["score"] != b["score"]


def test_rebuild_reports_the_dyads(db: Path) -> None:
    code, out = run("rebuild", "--db", str(db))
    assert code == 0 and "3 dyads" in out


@pytest.mark.parametrize(
    ("args", "needle", "status"),
    [
        (["state", "PRK", "PRK"], "differ", 1),
        (["state", "PRK", "Narnia"], "Narnia", 2),
        (["state", "PRK", "RUS", "--as-of", "1899-12-31"], "1899-12-31", 2),
        (["state", "PRK", "RUS", "--as-of", "2999-01-01"], "2999-01-01", 2),
        (["state", "PRK", "RUS", "--as-of", "2024-13-01"], "2024-13-01", 2),
        (["state", "PRK", "RUS", "--known-at", "yesterday"], "yesterday", 2),
        (
            ["timeline", "PRK", "RUS", "--from", "2024-05-01", "--to", "2024-01-01"],
            "2024-05-01",
            2,
        ),
        (["timeline", "PRK", "RUS", "--every", "fortnight"], "fortnight", 2),
        (["dyads", "--top", "0"], "--top", 2),
    ],
)
def test_bad_query_arguments_are_clear_errors(
    db: Path, args: list[str], needle: str, status: int
) -> None:
    code, out = run(*args, "--db", str(db))
    assert code == status, out
    assert needle in out
    assert "Traceback" not in out


def test_querying_a_missing_store_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    code, out = run("state", "PRK", "RUS", "--db", str(missing))
    assert code == 1 and "no tracker store" in out
    assert not missing.exists()


def test_the_cli_offers_exactly_the_timeline_periods() -> None:
    from projections.timeline import PERIODS
    from tracker.params import PERIODS as CLI_PERIODS

    assert CLI_PERIODS == PERIODS
