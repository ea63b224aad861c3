"""Structural status: each transition, driven by one event at a time."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType
from typing import Any

import pytest

from projections.facts import Fact
from projections.state import Status, apply

D1, D2 = date(2020, 1, 1), date(2021, 6, 1)


def fact(
    type_: str, day: date = D1, actor: str = "RUS", target: str = "PRK", **fields: Any
) -> Fact:
    return Fact(
        1, f"{type_}-{day}", type_, actor, target, day, "", 1.0, fields=MappingProxyType(fields)
    )


def run(*facts: Fact) -> Status:
    status = Status()
    for f in facts:
        status = apply(status, f)
    return status


def test_a_new_dyad_has_no_relations_recorded_and_no_conflict() -> None:
    s = Status()
    assert (s.relations, s.conflict, s.agreements, s.sanctions) == ("none recorded", "none", (), ())


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("establish_relations", "established"),
        ("restore_relations", "established"),
        ("downgrade_relations", "downgraded"),
        ("sever_relations", "severed"),
    ],
)
def test_relations_events_set_the_relations_status(kind: str, expected: str) -> None:
    s = run(fact(kind))
    assert (s.relations, s.relations_since) == (expected, D1)


def test_restoring_after_severing_re_establishes_from_the_new_date() -> None:
    s = run(
        fact("establish_relations"),
        fact("sever_relations", D2),
        fact("restore_relations", date(2022, 1, 1)),
    )
    assert (s.relations, s.relations_since) == ("established", date(2022, 1, 1))


def test_a_signed_treaty_is_pending_until_ratified() -> None:
    s = run(fact("sign_treaty", name="CSP"))
    assert [(a.name, a.status, a.since) for a in s.agreements] == [("CSP", "signed", D1)]
    s = apply(s, fact("ratify_treaty", D2, name="CSP"))
    assert [(a.name, a.status, a.since) for a in s.agreements] == [("CSP", "in force", D2)]


def test_signing_an_agreement_in_force_again_changes_nothing() -> None:
    s = run(fact("ratify_treaty", name="CSP"), fact("sign_treaty", D2, name="CSP"))
    assert [(a.status, a.since) for a in s.agreements] == [("in force", D1)]


def test_an_agreement_signed_on_signature_is_in_force() -> None:
    s = run(fact("sign_agreement", name="Debt deal", kind="agreement"))
    assert [(a.name, a.kind, a.status) for a in s.agreements] == [
        ("Debt deal", "agreement", "in force")
    ]


def test_withdrawing_from_an_agreement_ends_it() -> None:
    s = run(
        fact("sign_agreement", name="A"),
        fact("sign_agreement", name="B"),
        fact("withdraw_from_agreement", D2, name="A"),
    )
    assert [a.name for a in s.agreements] == ["B"]


def test_sanctions_are_directed_and_lifted_by_regime() -> None:
    s = run(
        fact("impose_sanctions", regime="R1"),
        fact("impose_sanctions", actor="PRK", target="RUS", regime="R1"),
        fact("lift_sanctions", D2, regime="R1"),
    )
    assert [(x.by, x.on, x.regime) for x in s.sanctions] == [("PRK", "RUS", "R1")]


def test_imposing_the_same_regime_twice_keeps_the_first_date() -> None:
    s = run(fact("impose_sanctions", regime="R1"), fact("impose_sanctions", D2, regime="R1"))
    assert [x.since for x in s.sanctions] == [D1]


def test_an_attack_starts_armed_conflict_and_the_label_becomes_at_war() -> None:
    s = run(fact("military_attack"))
    assert (s.conflict, s.conflict_since, s.at_war) == ("active", D1, True)


def test_a_second_attack_keeps_the_conflicts_start_date() -> None:
    s = run(fact("invasion"), fact("air_strike", D2))
    assert s.conflict_since == D1


def test_a_ceasefire_suspends_and_a_violation_resumes_the_conflict() -> None:
    s = run(fact("military_attack"), fact("ceasefire", D2))
    assert (s.conflict, s.at_war) == ("ceasefire", False)
    s = apply(s, fact("violate_ceasefire", date(2022, 1, 1)))
    assert (s.conflict, s.conflict_since) == ("active", date(2022, 1, 1))


def test_a_peace_agreement_ends_the_conflict_and_enters_into_force() -> None:
    s = run(fact("military_attack"), fact("peace_agreement", D2, name="Peace"))
    assert (s.conflict, s.conflict_since) == ("ended", D2)
    assert [(a.name, a.status) for a in s.agreements] == [("Peace", "in force")]


def test_a_ceasefire_without_a_conflict_changes_nothing() -> None:
    assert run(fact("ceasefire")) == Status()


@pytest.mark.parametrize(
    "kind", ["praise", "accuse", "recall_ambassador", "armed_clash", "threaten_force", "cameo"]
)
def test_non_structural_events_leave_the_status_unchanged(kind: str) -> None:
    assert run(fact(kind)) == Status()


def test_status_round_trips_through_its_json_form() -> None:
    s = run(
        fact("establish_relations"),
        fact("sign_treaty", name="T"),
        fact("impose_sanctions", regime="R"),
        fact("military_attack", D2),
    )
    assert Status.from_dict(s.to_dict()) == s


def test_every_structural_effect_has_its_handler_and_only_those() -> None:
    """The handlers are keyed by the effects' values (see ``HANDLERS``): each member of the
    enumeration finds its handler, and no other key is there."""
    from events.vocabulary import STRUCTURAL_EFFECTS, Effect
    from projections.state import HANDLERS

    assert set(HANDLERS) == set(STRUCTURAL_EFFECTS)
    assert all(HANDLERS.get(effect) is HANDLERS[effect.value] for effect in STRUCTURAL_EFFECTS)
    assert Effect.RETRACTS not in HANDLERS and Effect.CORRECTS not in HANDLERS
