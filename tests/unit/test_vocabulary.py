"""The closed event vocabulary: catalogue, CAMEO codes, Goldstein weights, quad classes,
structural effects and coverage of every kind of event the vocabulary must cover (the README's
list under Concepts, Types, in finer detail)."""

from __future__ import annotations

import csv
import typing
from importlib import resources

import pytest

from events.canonical import canonical_dict
from events.errors import InvalidEventError, UnknownCameoCodeError, UnknownTypeError
from events.models import EVENT_CLASSES, Event, parse_event
from events.vocabulary import (
    GENERIC_TYPE,
    Effect,
    QuadClass,
    cameo_code,
    cameo_codes,
    catalogue,
    quad_class_of,
    type_info,
)


def _gdelt_goldstein_table() -> dict[str, float]:
    """The GDELT Goldstein table, parsed here independently of ``events.vocabulary``."""
    text = (
        resources.files("events")
        .joinpath("data", "cameo", "CAMEO.goldsteinscale.txt")
        .read_text(encoding="utf-8")
    )
    rows = csv.reader(text.splitlines(), delimiter="\t")
    header = next(rows)
    assert header == ["CAMEOEVENTCODE", "GOLDSTEINSCALE"]
    return {code.strip(): float(value) for code, value in rows}


GOLDSTEIN = _gdelt_goldstein_table()

CODED_TYPES = [name for name, info in catalogue().items() if info.cameo_code is not None]


def _union_members() -> set[type]:
    union = typing.get_args(Event)[0]
    return set(typing.get_args(union))


# --- the catalogue as a whole -----------------------------------------------------------------


def test_vocabulary_has_at_least_forty_types() -> None:
    assert len(catalogue()) >= 40


def test_catalogue_rows_are_exactly_the_event_classes() -> None:
    assert set(catalogue()) == set(EVENT_CLASSES)


def test_event_union_has_exactly_one_member_per_event_class() -> None:
    assert _union_members() == set(EVENT_CLASSES.values())


def test_each_event_class_is_registered_under_its_own_type_tag() -> None:
    for name, cls in EVENT_CLASSES.items():
        assert cls.model_fields["type"].default == name


def test_every_type_has_a_description() -> None:
    assert [name for name, info in catalogue().items() if not info.description.strip()] == []


def test_generic_cameo_type_is_in_the_catalogue_without_a_fixed_code() -> None:
    info = type_info(GENERIC_TYPE)
    assert (info.name, info.cameo_code, info.weight) == ("cameo", None, None)


# --- weights and quad classes -------------------------------------------------------------------


@pytest.mark.parametrize("name", CODED_TYPES)
def test_default_weight_is_the_gdelt_goldstein_value_of_the_cameo_code(name: str) -> None:
    info = type_info(name)
    assert info.cameo_code in GOLDSTEIN, f"{name}: {info.cameo_code} is not a CAMEO code"
    assert info.weight == GOLDSTEIN[info.cameo_code]


@pytest.mark.parametrize("name", CODED_TYPES)
def test_default_weight_is_on_the_goldstein_scale(name: str) -> None:
    weight = type_info(name).weight
    assert weight is not None and -10.0 <= weight <= 10.0


# Values as published by the GDELT Project (CAMEO.goldsteinscale.txt): a check that the data
# file shipped with the package is that table and not an edited copy.
@pytest.mark.parametrize(
    ("code", "published"),
    [
        ("010", 0.0),
        ("012", -0.4),
        ("042", 1.9),
        ("043", 2.8),
        ("046", 7.0),
        ("051", 3.4),
        ("054", 6.0),
        ("057", 8.0),
        ("062", 7.4),
        ("072", 8.3),
        ("0871", 9.0),
        ("111", -2.0),
        ("112", -2.0),
        ("1312", -5.8),
        ("138", -7.0),
        ("161", -4.0),
        ("163", -8.0),
        ("171", -9.2),
        ("190", -10.0),
        ("191", -9.5),
        ("195", -10.0),
    ],
)
def test_cameo_table_holds_the_published_goldstein_values(code: str, published: float) -> None:
    assert cameo_code(code).goldstein == published


def test_cameo_table_has_every_code_of_the_gdelt_goldstein_file() -> None:
    assert {c: v.goldstein for c, v in cameo_codes().items()} == GOLDSTEIN


def test_every_cameo_code_has_a_description() -> None:
    assert [c for c, v in cameo_codes().items() if not v.description] == []


def test_cameo_descriptions_are_decoded_text_not_mojibake() -> None:
    garbled = {
        c: v.description
        for c, v in cameo_codes().items()
        if "Ã" in v.description or "\x92" in v.description
    }
    assert garbled == {}


def _expected_quad(code: str) -> QuadClass:
    root = int(code[:2])
    if 1 <= root <= 5:
        return QuadClass.VERBAL_COOPERATION
    if 6 <= root <= 8:
        return QuadClass.MATERIAL_COOPERATION
    if 9 <= root <= 13:
        return QuadClass.VERBAL_CONFLICT
    assert 14 <= root <= 20
    return QuadClass.MATERIAL_CONFLICT


@pytest.mark.parametrize("name", CODED_TYPES)
def test_quad_class_follows_the_cameo_root(name: str) -> None:
    info = type_info(name)
    assert info.cameo_code is not None
    assert info.quad_class == _expected_quad(info.cameo_code)


@pytest.mark.parametrize(
    ("code", "quad"),
    [
        ("010", QuadClass.VERBAL_COOPERATION),
        ("057", QuadClass.VERBAL_COOPERATION),
        ("060", QuadClass.MATERIAL_COOPERATION),
        ("0871", QuadClass.MATERIAL_COOPERATION),
        ("090", QuadClass.VERBAL_CONFLICT),
        ("139", QuadClass.VERBAL_CONFLICT),
        ("140", QuadClass.MATERIAL_CONFLICT),
        ("204", QuadClass.MATERIAL_CONFLICT),
    ],
)
def test_quad_class_boundaries(code: str, quad: QuadClass) -> None:
    assert quad_class_of(code) == quad


def test_every_cameo_code_quad_class_follows_its_root() -> None:
    wrong = [c for c, v in cameo_codes().items() if v.quad_class != _expected_quad(c)]
    assert wrong == []


def test_vocabulary_spans_all_four_quad_classes() -> None:
    assert {info.quad_class for info in catalogue().values()} >= set(QuadClass)


def test_quad_class_labels_read_as_words() -> None:
    assert QuadClass.MATERIAL_CONFLICT.label == "material conflict"
    assert int(QuadClass.VERBAL_COOPERATION) == 1


# --- key types are coded as CAMEO codes them ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("statement", "010"),
        ("praise", "051"),
        ("congratulate", "051"),
        ("visit", "042"),
        ("host_visit", "043"),
        ("negotiate", "046"),
        ("establish_relations", "054"),
        ("sign_agreement", "057"),
        ("sign_treaty", "057"),
        ("ratify_treaty", "057"),
        ("economic_aid", "071"),
        ("military_aid", "072"),
        ("humanitarian_aid", "073"),
        ("lift_sanctions", "085"),
        ("ceasefire", "0871"),
        ("accuse", "112"),
        ("protest", "114"),
        ("threaten_force", "138"),
        ("show_of_force", "150"),
        ("sever_relations", "161"),
        ("impose_sanctions", "163"),
        ("expel_diplomats", "174"),
        ("blockade", "191"),
        ("military_attack", "190"),
        ("air_strike", "195"),
        ("violate_ceasefire", "196"),
    ],
)
def test_key_type_has_its_cameo_code(name: str, code: str) -> None:
    assert type_info(name).cameo_code == code


# --- coverage of the kinds of event the README lists ----------------------------------------

KIND_TO_TYPE = {
    "statements": "statement",
    "praise": "praise",
    "congratulations": "congratulate",
    "appeals": "appeal",
    "invitations": "invitation",
    "intent to meet": "intent_to_meet",
    "visits made": "visit",
    "visits hosted": "host_visit",
    "summits": "summit",
    "negotiations": "negotiate",
    "agreements signed": "sign_agreement",
    "treaties signed": "sign_treaty",
    "treaties ratified": "ratify_treaty",
    "agreements withdrawn from": "withdraw_from_agreement",
    "diplomatic cooperation": "diplomatic_cooperation",
    "economic cooperation": "economic_cooperation",
    "military cooperation": "military_cooperation",
    "economic aid": "economic_aid",
    "military aid": "military_aid",
    "humanitarian aid": "humanitarian_aid",
    "arms transfers": "arms_transfer",
    "support at international bodies": "support_at_international_body",
    "establishing diplomatic relations": "establish_relations",
    "restoring diplomatic relations": "restore_relations",
    "downgrading diplomatic relations": "downgrade_relations",
    "severing diplomatic relations": "sever_relations",
    "recalling ambassadors": "recall_ambassador",
    "expelling diplomats": "expel_diplomats",
    "criticism": "criticize",
    "accusation": "accuse",
    "rejection": "reject",
    "demands": "demand",
    "threats": "threaten",
    "protests": "protest",
    "shows of force": "show_of_force",
    "sanctions imposed": "impose_sanctions",
    "sanctions lifted": "lift_sanctions",
    "coercion: seizure": "seize_property",
    "coercion: blockade": "blockade",
    "coercion: cyber operations": "cyber_operation",
    "armed clashes": "armed_clash",
    "attacks": "military_attack",
    "ceasefires": "ceasefire",
    "peace agreements": "peace_agreement",
}


@pytest.mark.parametrize(("kind", "name"), sorted(KIND_TO_TYPE.items()))
def test_each_listed_kind_of_event_is_covered_by_a_type(kind: str, name: str) -> None:
    assert name in catalogue(), f"no type for {kind!r}"
    assert name in EVENT_CLASSES


def test_a_veto_cast_for_the_other_side_is_expressible() -> None:
    event = parse_event(
        {
            "type": "support_at_international_body",
            "actor": "RUS",
            "target": "PRK",
            "occurred_on": "2024-03-28",
            "body": "UN Security Council",
            "veto": True,
        }
    )
    assert getattr(event, "veto") is True  # noqa: B009 - the field is type-specific


def test_an_arms_transfer_may_list_items_and_value() -> None:
    event = parse_event(
        {
            "type": "arms_transfer",
            "actor": "PRK",
            "target": "RUS",
            "occurred_on": "2023-10-01",
            "items": ["artillery shells"],
            "value_usd": 1.5e9,
        }
    )
    assert getattr(event, "items") == ("artillery shells",)  # noqa: B009
    assert getattr(event, "value_usd") == 1.5e9  # noqa: B009


def test_an_arms_transfer_needs_no_items_or_value() -> None:
    event = parse_event(
        {"type": "arms_transfer", "actor": "PRK", "target": "RUS", "occurred_on": "2023-10-01"}
    )
    assert event.type == "arms_transfer"
    assert getattr(event, "items") == ()  # noqa: B009 - the fields are type-specific
    assert getattr(event, "value_usd") is None  # noqa: B009
    assert "value_usd" not in canonical_dict(event)  # an absent value is not stored as null


# --- structural effects -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "effects"),
    [
        ("establish_relations", {Effect.ESTABLISHES_RELATIONS}),
        ("restore_relations", {Effect.ESTABLISHES_RELATIONS}),
        ("downgrade_relations", {Effect.DOWNGRADES_RELATIONS}),
        ("sever_relations", {Effect.SEVERS_RELATIONS}),
        ("sign_agreement", {Effect.AGREEMENT_IN_FORCE}),
        ("sign_treaty", {Effect.AGREEMENT_SIGNED}),
        ("ratify_treaty", {Effect.AGREEMENT_IN_FORCE}),
        ("withdraw_from_agreement", {Effect.AGREEMENT_ENDED}),
        ("impose_sanctions", {Effect.SANCTIONS_IMPOSED}),
        ("lift_sanctions", {Effect.SANCTIONS_LIFTED}),
        ("military_attack", {Effect.CONFLICT_STARTS}),
        ("invasion", {Effect.CONFLICT_STARTS}),
        ("ceasefire", {Effect.CEASEFIRE}),
        ("peace_agreement", {Effect.AGREEMENT_IN_FORCE, Effect.CONFLICT_ENDS}),
    ],
)
def test_structural_type_has_its_effects(name: str, effects: set[Effect]) -> None:
    assert set(type_info(name).effects) == effects


@pytest.mark.parametrize(
    "name",
    [
        "statement",
        "praise",
        "congratulate",
        "visit",
        "summit",
        "criticize",
        "accuse",
        "threaten_force",
        "show_of_force",
        "recall_ambassador",
        "expel_diplomats",
        "economic_aid",
        "arms_transfer",
        "armed_clash",
        GENERIC_TYPE,
    ],
)
def test_non_structural_type_has_no_effects(name: str) -> None:
    assert type_info(name).effects == ()


def test_event_exposes_its_type_effects() -> None:
    event = parse_event(
        {
            "type": "impose_sanctions",
            "actor": "USA",
            "target": "PRK",
            "occurred_on": "2016-03-16",
            "regime": "EO 13722",
        }
    )
    assert event.effects == (Effect.SANCTIONS_IMPOSED,)


# --- unknown types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("praize", "praise"),
        ("congratulat", "congratulate"),
        ("impose_sanction", "impose_sanctions"),
        ("sever_relation", "sever_relations"),
    ],
)
def test_unknown_type_suggests_close_names(typo: str, suggestion: str) -> None:
    with pytest.raises(UnknownTypeError) as info:
        type_info(typo)
    assert suggestion in str(info.value)
    assert (info.value.field, info.value.value) == ("type", typo)


def test_unknown_type_with_no_close_name_points_to_the_type_list() -> None:
    with pytest.raises(UnknownTypeError, match="'zzzzzz'"):
        type_info("zzzzzz")


def test_parsing_an_unknown_type_is_an_error_naming_it() -> None:
    with pytest.raises(UnknownTypeError, match=r"praize.*praise"):
        parse_event(
            {"type": "praize", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"}
        )


def test_parsing_an_event_without_a_type_is_an_error_naming_the_field() -> None:
    with pytest.raises(UnknownTypeError) as info:
        parse_event({"actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"})
    assert info.value.field == "type"


# --- the generic cameo type ---------------------------------------------------------------------


def _cameo(code: str, **extra: object) -> dict[str, object]:
    return {
        "type": "cameo",
        "actor": "ISR",
        "target": "IRN",
        "occurred_on": "2024-04-19",
        "cameo_code": code,
        **extra,
    }


@pytest.mark.parametrize(
    ("code", "weight", "quad"),
    [
        ("042", 1.9, QuadClass.VERBAL_COOPERATION),
        ("0871", 9.0, QuadClass.MATERIAL_COOPERATION),
        ("1312", -5.8, QuadClass.VERBAL_CONFLICT),
        ("195", -10.0, QuadClass.MATERIAL_CONFLICT),
    ],
)
def test_cameo_event_weight_defaults_to_its_code_goldstein_value(
    code: str, weight: float, quad: QuadClass
) -> None:
    event = parse_event(_cameo(code))
    assert event.code == code
    assert event.default_weight == weight == GOLDSTEIN[code]
    assert event.quad_class == quad


def test_cameo_event_explicit_weight_overrides_the_default() -> None:
    assert parse_event(_cameo("195", weight=-3.5)).default_weight == -3.5


@pytest.mark.parametrize("code", ["999", "0000", "21", "1", "00000", "abc", "19a", ""])
def test_cameo_event_rejects_unknown_codes(code: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event(_cameo(code))
    assert info.value.field == "cameo_code"
    assert repr(code) in str(info.value)


def test_cameo_event_requires_a_code() -> None:
    data = _cameo("190")
    del data["cameo_code"]
    with pytest.raises(InvalidEventError) as info:
        parse_event(data)
    assert info.value.field == "cameo_code"


def test_unknown_cameo_code_lookup_names_the_code() -> None:
    with pytest.raises(UnknownCameoCodeError) as info:
        cameo_code("999")
    assert (info.value.field, info.value.value) == ("cameo_code", "999")


@pytest.mark.parametrize("name", sorted(set(CODED_TYPES)))
def test_typed_event_weight_defaults_to_its_type_weight(name: str) -> None:
    cls = EVENT_CLASSES[name]
    required = {k for k, f in cls.specific_fields().items() if f.is_required()}
    values = {"name": "Treaty", "regime": "Regime", "body": "UN Security Council"}
    if not required <= set(values):
        pytest.skip(f"{name} needs fields {sorted(required - set(values))}")
    event = parse_event(
        {
            "type": name,
            "actor": "PRK",
            "target": "RUS",
            "occurred_on": "2024-01-01",
            **{k: values[k] for k in required},
        }
    )
    assert event.default_weight == type_info(name).weight
    assert event.code == type_info(name).cameo_code
