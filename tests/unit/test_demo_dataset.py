"""The packaged demo dataset: every line validates, is sourced and summarised, and covers the
four pairs the tour shows."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from events.models import parse_event
from events.vocabulary import type_info
from tracker.api import Tracker
from tracker.demo import ID_PREFIX, PAIRS, build_store, dataset_text, load_events
from tracker.queries import dyad_key


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in dataset_text().splitlines() if line.strip()]


def test_every_line_validates_through_parse_event(records: list[dict[str, Any]]) -> None:
    for number, record in enumerate(records, 1):
        event = parse_event(dict(record))
        assert event.event_id == record["event_id"], f"line {number}"


def test_load_events_returns_every_event(records: list[dict[str, Any]]) -> None:
    assert [e.event_id for e in load_events()] == [r["event_id"] for r in records]


def test_every_event_has_a_source_and_a_summary(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert str(record.get("source", "")).strip(), record["event_id"]
        assert str(record.get("summary", "")).strip(), record["event_id"]


def test_at_least_150_events(records: list[dict[str, Any]]) -> None:
    assert len(records) >= 150


def test_ids_are_unique_and_marked_as_demo(records: list[dict[str, Any]]) -> None:
    ids = [r["event_id"] for r in records]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert all(i.startswith(ID_PREFIX) for i in ids)


def test_the_four_pairs_of_the_tour_are_present(records: list[dict[str, Any]]) -> None:
    pairs = Counter(dyad_key(r["actor"], r["target"]) for r in records)
    for pair in PAIRS:
        assert pairs[dyad_key(pair.a, pair.b)] >= 20, (pair.a, pair.b)
    assert pairs[("PRK", "RUS")] >= 60  # the heart of the dataset


def test_the_pair_segment_of_each_id_names_its_pair(records: list[dict[str, Any]]) -> None:
    for r in records:
        a, b = dyad_key(r["actor"], r["target"])
        assert r["event_id"].split(":")[1] == f"{a}-{b}".lower(), r["event_id"]


def test_the_file_is_sorted_by_date_then_id(records: list[dict[str, Any]]) -> None:
    keys = [(r["occurred_on"], r["event_id"]) for r in records]
    assert keys == sorted(keys)


def test_agreement_names_match_across_signing_force_and_end(records: list[dict[str, Any]]) -> None:
    """An end or entry into force names an agreement that was signed (or is signed that day),
    so that the structural status can follow it."""
    signed = {r["name"] for r in records if r["type"] in ("sign_treaty", "sign_agreement")}
    for r in records:
        if r["type"] in ("ratify_treaty", "withdraw_from_agreement"):
            assert r["name"] in signed, r["event_id"]


def test_the_issue_events_are_in_the_dataset(records: list[dict[str, Any]]) -> None:
    """The North Korea–Russia events the issue asks for by name."""
    by_day = {(r["occurred_on"], r["type"]) for r in records if r["event_id"][5:12] == "prk-rus"}
    for day, kind in [
        ("2024-03-18", "congratulate"),
        ("2023-09-13", "summit"),
        ("2023-09-13", "invitation"),
        ("2024-06-19", "sign_treaty"),
        ("2024-03-28", "support_at_international_body"),
        ("2024-02-18", "diplomatic_cooperation"),
    ]:
        assert (day, kind) in by_day, (day, kind)
    veto = [r for r in records if r["occurred_on"] == "2024-03-28"]
    assert veto and veto[0].get("veto") is True


def test_dates_are_real_and_not_in_the_future(records: list[dict[str, Any]]) -> None:
    for r in records:
        # the earliest is the USSR-DPRK relations of 1948, which PRK-RUS inherits
        assert date(1945, 1, 1) <= date.fromisoformat(r["occurred_on"]) <= date.today()
        assert type_info(r["type"]).name == r["type"]


def test_the_structural_status_follows_the_documented_history(tmp_path: Path) -> None:
    """The fixes noted in COMPILATION.md hold: treaties end, relations and war turn on the
    right days."""
    db = tmp_path / "demo.db"
    build_store(db, load_events())

    def status(a: str, b: str, day: str) -> Any:
        with Tracker(db, create=False) as t:
            return t.state(a, b, as_of=date.fromisoformat(day)).score.status

    def agreements(s: Any) -> dict[str, str]:
        return {ag.name.split(" between ")[0]: ag.status for ag in s.agreements}

    assert status("PRK", "RUS", "2000-01-01").relations == "established"  # USSR, 1948
    prk = agreements(status("PRK", "RUS", "2024-12-31"))
    assert prk["Treaty on Comprehensive Strategic Partnership"] == "in force"
    assert "Treaty on Friendship, Good-Neighbourliness and Cooperation" not in prk
    assert (
        agreements(status("PRK", "RUS", "2024-07-01"))[
            "Treaty on Comprehensive Strategic Partnership"
        ]
        == "signed"
    )
    assert "Treaty on Friendship, Cooperation and Partnership" in agreements(
        status("RUS", "UKR", "2018-12-05")
    )
    assert "Treaty on Friendship, Cooperation and Partnership" not in agreements(
        status("RUS", "UKR", "2018-12-06")
    )
    war = status("RUS", "UKR", "2022-02-24")
    assert (war.conflict, war.relations) == ("active", "severed")
    assert status("QAT", "SAU", "2017-06-05").relations == "severed"
    assert status("QAT", "SAU", "2021-01-05").relations == "established"
    assert status("CUB", "USA", "2015-07-20").relations == "established"
    assert status("CUB", "USA", "2017-11-09").relations == "downgraded"


def test_issue_12_holds_on_a_fresh_demo_store_as_of_2026_12_01(tmp_path: Path) -> None:
    """The "Resolved when" readings of issue 12, as `state --json` gives them."""
    db = tmp_path / "demo.db"
    build_store(db, load_events())
    today = date(2026, 12, 1)
    with Tracker(db, create=False) as t:
        got = {pair: t.state(*pair, as_of=today).to_dict() for pair in PAIRS_OF_ISSUE_12}
    assert got[("PRK", "RUS")]["label"] in ("friendly", "allied")
    assert got[("RUS", "UKR")]["label"] == "at war" and got[("RUS", "UKR")]["index"] <= -30
    assert got[("QAT", "SAU")]["label"] != "hostile"
    assert got[("CUB", "USA")]["label"] not in ("friendly", "allied")
    for d in got.values():
        assert d["last_event_on"] is not None and d["days_since_last_event"] > 0
        assert d["rests_on_structure"] is True
        stock = sum(term["value"] for term in d["structure"])
        assert abs(stock - d["stock"]) < 1e-9
        assert abs(d["stock"] + d["flow"] - d["score"]) < 1e-9
    assert got[("PRK", "RUS")]["last_event_on"] == "2024-12-04"
    assert got[("PRK", "RUS")]["days_since_last_event"] == 727


PAIRS_OF_ISSUE_12 = (("PRK", "RUS"), ("RUS", "UKR"), ("QAT", "SAU"), ("CUB", "USA"))


def test_multilateral_sanctions_are_imposed_by_the_un_and_votes_are_flow(
    records: list[dict[str, Any]],
) -> None:
    """The nine Security Council resolutions are UN sanctions on the DPRK; each Russian vote
    for one is an event of Russia toward the DPRK that changes no status."""
    un = [r for r in records if r["type"] == "impose_sanctions" and r["actor"] == "UN"]
    assert len(un) == 9 and {r["target"] for r in un} == {"PRK"}
    assert not [
        r
        for r in records
        if r["type"] == "impose_sanctions" and {r["actor"], r["target"]} == {"PRK", "RUS"}
    ]
    votes = [
        r for r in records if r["event_id"].startswith("demo:prk-rus:") and "unsc-" in r["event_id"]
    ]
    assert {r["event_id"].split(":")[-1] for r in votes} >= {
        r["event_id"].split(":")[-1] for r in un
    }
    assert all(type_info(r["type"]).effects == () for r in votes)


def test_the_2024_veto_is_an_event_and_the_un_sanctions_stay_in_force(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    build_store(db, load_events())
    with Tracker(db, create=False) as t:
        veto = t.state("PRK", "RUS", as_of=date(2024, 3, 28)).last_events[0]
        un = t.state("PRK", "UN", as_of=date(2026, 12, 1)).score.status
    assert veto.type == "support_at_international_body"
    assert len(un.sanctions) == 9 and {s.by for s in un.sanctions} == {"UN"}
