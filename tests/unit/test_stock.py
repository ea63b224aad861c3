"""The structural stock B: terms from the status in force, diminishing returns, directions."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.model import DEFAULT_MODEL, parse_model
from projections.score import Score
from projections.state import Agreement, Sanction, Status
from projections.stock import SHARED, stock, terms

DAY = date(2020, 1, 1)


def sanctions(n: int, by: str = "UN", on: str = "PRK") -> tuple[Sanction, ...]:
    return tuple(Sanction(by, on, f"R{i}", DAY, f"s{i}") for i in range(n))


def agreements(n: int, kind: str, status: str = "in force") -> tuple[Agreement, ...]:
    return tuple(Agreement(f"{kind} {i}", kind, status, DAY, f"a{i}") for i in range(n))


def test_no_status_is_no_stock() -> None:
    assert stock(Status(), DEFAULT_MODEL, "PRK").total == 0.0
    assert terms(Status(), DEFAULT_MODEL) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status(relations="established"), 4.0),
        (Status(relations="downgraded"), -6.0),
        (Status(relations="severed"), -15.0),
        (Status(conflict="active"), -40.0),
        (Status(conflict="ceasefire"), -15.0),
        (Status(conflict="ended"), 0.0),
        (Status(agreements=agreements(1, "mutual defence")), 30.0),
        (Status(agreements=agreements(1, "mutual defence", "signed")), 7.5),
        (Status(agreements=agreements(1, "an unlisted kind")), 4.0),
        (Status(agreements=agreements(1, "Friendship")), 10.0),  # kinds ignore case
    ],
)
def test_each_term_has_its_documented_default(status: Status, expected: float) -> None:
    assert stock(status, DEFAULT_MODEL, "PRK").total == expected


def test_nine_resolutions_weigh_less_than_twice_one() -> None:
    one = stock(Status(sanctions=sanctions(1)), DEFAULT_MODEL, "PRK").total
    nine = stock(Status(sanctions=sanctions(9)), DEFAULT_MODEL, "PRK").total
    assert one == -6.0
    assert nine == pytest.approx(-6.0 * (2 - 0.5**8))
    assert 2 * one < nine < one


def test_diminishing_returns_apply_per_kind_and_per_direction() -> None:
    s = Status(
        agreements=agreements(6, "declaration") + agreements(1, "trade"),
        sanctions=sanctions(2, "USA", "PRK") + sanctions(1, "PRK", "USA"),
    )
    b = stock(s, DEFAULT_MODEL, "PRK")
    assert b.shared == pytest.approx(3.0 * (2 - 0.5**5) + 5.0)
    assert (b.ab, b.ba) == (-6.0, -9.0)  # PRK on USA; USA on PRK, twice
    directions = {t.direction for t in terms(s, DEFAULT_MODEL)}
    assert directions == {SHARED, "USA->PRK", "PRK->USA"}


@given(
    n=st.integers(0, 30),
    kind=st.sampled_from(sorted(DEFAULT_MODEL.agreements)),
    returns=st.floats(0, 0.9),
)
def test_a_group_never_weighs_more_than_its_largest_term_over_1_minus_returns(
    n: int, kind: str, returns: float
) -> None:
    model = parse_model(f"[structure]\nreturns = {returns!r}")
    b = stock(Status(agreements=agreements(n, kind)), model, "A").total
    largest = model.agreement_weight(kind)
    assert abs(b) <= abs(largest) / (1 - returns) + 1e-9
    if n:
        assert abs(b) >= abs(largest) - 1e-9


@given(
    relations=st.sampled_from(["none recorded", "established", "downgraded", "severed"]),
    conflict=st.sampled_from(["none", "active", "ceasefire", "ended"]),
    n_agreements=st.integers(0, 5),
    n_sanctions=st.integers(0, 5),
)
def test_the_terms_add_up_to_the_stock(
    relations: str, conflict: str, n_agreements: int, n_sanctions: int
) -> None:
    s = Status(
        relations=relations,
        conflict=conflict,
        agreements=agreements(n_agreements, "treaty"),
        sanctions=sanctions(n_sanctions, "PRK", "UN"),
    )
    b = stock(s, DEFAULT_MODEL, "PRK")
    assert math.fsum(t.value for t in terms(s, DEFAULT_MODEL)) == pytest.approx(b.total)
    assert b.ba == 0.0 and (b.ab < 0) == (n_sanctions > 0)


def test_a_score_is_an_immutable_value() -> None:
    score = Score(date(2024, 1, 1), index=12.5)
    with pytest.raises(AttributeError):
        score.index = 0.0  # type: ignore[misc]
    assert score == Score(date(2024, 1, 1), index=12.5) and hash(score) == hash(
        Score(score.day, index=12.5)
    )
