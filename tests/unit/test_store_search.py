"""Full-text search over summaries and sources, through the ``Store`` protocol: every backend
finds the same events for the same text (SQLite through its FTS5 index, PostgreSQL through
regular expressions), and the text never reaches SQL except as a bound parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from events.models import parse_event
from tracker.store import RowFilter, Store, prepare
from tracker.store.rows import Prepared
from tracker.store.search import SearchError, fts5_query, terms

T0 = datetime(2026, 1, 1, tzinfo=UTC)

EVENTS: list[dict[str, Any]] = [
    {
        "summary": "Putin and Kim sign the Comprehensive Strategic Partnership treaty",
        "source": "KCNA",
    },
    {"summary": "Russia vetoes new UN sanctions on North Korea", "source": "Reuters"},
    {"summary": "Sanctioned banks reconnected", "source": "TASS: U.S. objects"},
    {"summary": "Kim's visit to the Vostochny Cosmodrome"},
    {"source": "Yonhap: strategic talks in Seoul", "actor": "KOR", "target": "USA"},
    {"summary": "drop table; -- ' or 1=1"},
]


def _event(n: int, fields: dict[str, Any]) -> Prepared:
    data = {
        "event_id": f"e{n}",
        "type": "praise",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": f"2024-01-{n:02d}",
        **fields,
    }
    return prepare(parse_event(data))


@pytest.fixture
def searchable(store: Store) -> Store:
    store.append([_event(n, f) for n, f in enumerate(EVENTS, start=1)], recorded_at=T0)
    return store


def found(store: Store, text: str, **filters: Any) -> list[str]:
    return [r.event_id for r in store.rows(RowFilter(search=text, **filters))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("treaty", ["e1"], id="a-word"),
        pytest.param("TREATY", ["e1"], id="case-is-ignored"),
        pytest.param("sanction", [], id="a-word-is-whole"),
        pytest.param("sanction*", ["e2", "e3"], id="a-prefix"),
        pytest.param("kim treaty", ["e1"], id="every-word-must-match"),
        pytest.param("kim", ["e1", "e4"], id="kim-s-is-kim-then-s"),
        pytest.param('"strategic partnership"', ["e1"], id="a-phrase"),
        pytest.param('"partnership strategic"', [], id="a-phrase-keeps-its-order"),
        pytest.param('"comprehensive strat"*', ["e1"], id="a-phrase-with-a-prefix"),
        pytest.param("strategic", ["e1", "e5"], id="summary-or-source"),
        pytest.param("yonhap seoul", ["e5"], id="the-source-alone"),
        pytest.param("U.S.", ["e3"], id="punctuation-separates-words"),
        pytest.param("Kim's", ["e4"], id="an-apostrophe-phrase"),
        pytest.param("reuters vetoes", ["e2"], id="words-across-summary-and-source"),
        pytest.param("kim OR treaty", [], id="no-operators-or-is-a-word"),
        pytest.param("' or 1=1 --", ["e6"], id="sql-text-is-only-words"),
        pytest.param("nothing-like-this", [], id="no-match"),
    ],
)
def test_a_search_finds_the_events_whose_text_has_every_term(
    searchable: Store, text: str, expected: list[str]
) -> None:
    assert found(searchable, text) == expected


def test_a_search_combines_with_the_other_filters_and_orders(searchable: Store) -> None:
    assert found(searchable, "strategic", dyad=("RUS", "PRK")) == ["e1"]
    assert found(searchable, "sanction*", order="latest") == ["e3", "e2"]
    assert found(searchable, "sanction*", limit=1) == ["e2"]
    assert found(searchable, "sanction*", max_seq=2) == ["e2"]


def test_new_events_are_found_as_soon_as_they_are_appended(searchable: Store) -> None:
    searchable.append([_event(7, {"summary": "A new treaty on fisheries"})], recorded_at=T0)
    assert found(searchable, "treaty") == ["e1", "e7"]


def test_a_corrected_summary_is_found_through_its_correction(searchable: Store) -> None:
    correction = {
        "event_id": "c1",
        "type": "correct",
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-01-04",
        "refers_to": "e4",
        "changes": {"summary": "Kim tours the Vostochny launch site"},
        "reason": "wording",
    }
    searchable.append([prepare(parse_event(correction))], recorded_at=T0)
    assert found(searchable, "launch site") == ["c1"]


def test_the_search_table_dropped_and_rebuilt_finds_the_same(searchable: Store) -> None:
    before = found(searchable, "sanction*")
    searchable.rebuild_search()
    assert found(searchable, "sanction*") == before


@pytest.mark.parametrize(
    ("text", "why"),
    [
        pytest.param('"strategic partnership', "double quote is not closed", id="open-quote"),
        pytest.param("*** --", "no word to search for", id="no-word"),
        pytest.param("", "no word to search for", id="empty"),
    ],
)
def test_text_with_nothing_to_search_is_an_error_naming_it(
    searchable: Store, text: str, why: str
) -> None:
    with pytest.raises(SearchError) as caught:
        list(searchable.rows(RowFilter(search=text)))
    assert why in caught.value.message and repr(text) in caught.value.message
    assert caught.value.field == "search"


def test_the_fts5_query_quotes_every_term_so_no_user_syntax_is_parsed() -> None:
    # a bare term with punctuation inside is the phrase of its words (as in the text)
    query = fts5_query(terms('NEAR(a b) "x y"* -c col:d'))
    assert query == '"NEAR a" "b" "x y" * "c" "col d"'
