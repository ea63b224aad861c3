"""Event models: the envelope, typed bodies, validation messages, immutability, ids."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from events.errors import InvalidEventError
from events.models import EVENT_CLASSES, SCHEMA_VERSION, Event, EventBase, parse_event

BASE: dict[str, Any] = {
    "type": "praise",
    "actor": "PRK",
    "target": "RUS",
    "occurred_on": "2024-03-18",
}


_DROP = object()


def _event(**changes: Any) -> dict[str, Any]:
    """The base event with some fields changed (``_DROP`` removes one)."""
    data = {**BASE, **changes}
    return {k: v for k, v in data.items() if v is not _DROP}


# --- a valid event -----------------------------------------------------------------------------


def test_valid_event_parses_into_its_typed_class() -> None:
    event = parse_event(_event())
    assert type(event) is EVENT_CLASSES["praise"]
    assert (event.type, event.actor, event.target) == ("praise", "PRK", "RUS")
    assert event.occurred_on == date(2024, 3, 18)


def test_party_names_are_stored_as_codes() -> None:
    event = parse_event(_event(actor="North Korea", target="Russian Federation"))
    assert (event.actor, event.target) == ("PRK", "RUS")


def test_envelope_defaults() -> None:
    event = parse_event(_event())
    assert event.confidence == 1.0
    assert event.weight is None
    assert event.source is None and event.summary is None
    assert event.schema_version == SCHEMA_VERSION == 1


def test_dates_may_be_given_as_date_objects() -> None:
    assert parse_event(_event(occurred_on=date(2024, 2, 29))).occurred_on == date(2024, 2, 29)


def test_confidence_bounds_are_inclusive() -> None:
    assert parse_event(_event(confidence=0)).confidence == 0.0
    assert parse_event(_event(confidence=1)).confidence == 1.0


def test_weight_bounds_are_inclusive() -> None:
    assert parse_event(_event(weight=-10)).weight == -10.0
    assert parse_event(_event(weight=10)).weight == 10.0


def test_caller_supplied_event_id_is_kept() -> None:
    assert parse_event(_event(event_id="kcna-2024-03-18/1")).event_id == "kcna-2024-03-18/1"


def test_dyad_is_the_unordered_pair_in_code_order() -> None:
    a = parse_event(_event(actor="RUS", target="PRK"))
    b = parse_event(_event(actor="PRK", target="RUS"))
    assert a.dyad == b.dyad == ("PRK", "RUS")


def test_event_union_parses_by_type_tag() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(Event)
    event = adapter.validate_python({**BASE, "type": "sign_treaty", "name": "Treaty X"})
    assert type(event) is EVENT_CLASSES["sign_treaty"]


@pytest.mark.parametrize(
    ("type_name", "fields"),
    [
        ("sign_treaty", {"name": "Treaty on Comprehensive Strategic Partnership"}),
        ("impose_sanctions", {"regime": "EO 13722", "measures": "asset freeze"}),
        ("support_at_international_body", {"body": "UN Security Council", "veto": True}),
        ("expel_diplomats", {"count": 3}),
        ("military_aid", {"items": ["shells", "missiles"], "value_usd": 1000000}),
        ("congratulate", {"occasion": "re-election"}),
        ("summit", {"location": "Pyongyang"}),
    ],
)
def test_type_specific_fields_are_accepted(type_name: str, fields: dict[str, Any]) -> None:
    event = parse_event({**BASE, "type": type_name, **fields})
    for key, value in fields.items():
        got = getattr(event, key)
        assert (list(got) if isinstance(got, tuple) else got) == value


# --- bad input: each error names the field and the value -------------------------------------

BAD_ENVELOPES = [
    pytest.param({"target": "PRK"}, "target", "PRK", id="actor-equals-target"),
    pytest.param(
        {"actor": "Russia", "target": "RUS"}, "target", "RUS", id="actor-equals-target-by-alias"
    ),
    pytest.param({"occurred_on": "2024-02-30"}, "occurred_on", "2024-02-30", id="impossible-date"),
    pytest.param({"occurred_on": "2023-02-29"}, "occurred_on", "2023-02-29", id="not-a-leap-year"),
    pytest.param({"occurred_on": "2024/01/01"}, "occurred_on", "2024/01/01", id="slashed-date"),
    pytest.param({"occurred_on": 20240101}, "occurred_on", 20240101, id="numeric-date"),
    pytest.param({"occurred_on": "2024-1-1"}, "occurred_on", "2024-1-1", id="unpadded-date"),
    pytest.param({"occurred_on": "18 March 2024"}, "occurred_on", "18 March 2024", id="prose-date"),
    pytest.param({"confidence": 1.5}, "confidence", 1.5, id="confidence-above-one"),
    pytest.param({"confidence": -0.1}, "confidence", -0.1, id="confidence-below-zero"),
    pytest.param({"confidence": "high"}, "confidence", "high", id="confidence-not-a-number"),
    pytest.param({"weight": 10.5}, "weight", 10.5, id="weight-above-ten"),
    pytest.param({"weight": -11}, "weight", -11, id="weight-below-minus-ten"),
    pytest.param({"colour": "red"}, "colour", "red", id="unknown-field"),
    pytest.param({"event_id": ""}, "event_id", "", id="empty-event-id"),
    pytest.param({"event_id": "has space"}, "event_id", "has space", id="event-id-with-space"),
    pytest.param(
        {"event_id": "-leading-dash"}, "event_id", "-leading-dash", id="event-id-leading-dash"
    ),
    pytest.param({"event_id": "x" * 201}, "event_id", "x" * 201, id="event-id-too-long"),
    pytest.param({"actor": "Narnia"}, "actor", "Narnia", id="unknown-actor"),
    pytest.param({"target": "Wakanda"}, "target", "Wakanda", id="unknown-target"),
    pytest.param({"schema_version": 2}, "schema_version", 2, id="unknown-schema-version"),
    pytest.param({"summary": ""}, "summary", "", id="empty-summary"),
]


@pytest.mark.parametrize(("changes", "field", "value"), BAD_ENVELOPES)
def test_bad_envelope_is_rejected_naming_field_and_value(
    changes: dict[str, Any], field: str, value: Any
) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event(_event(**changes))
    err = info.value
    assert err.field == field
    assert err.value == value
    assert field in str(err)
    assert repr(value) in str(err)


@pytest.mark.parametrize("missing", ["actor", "target", "occurred_on"])
def test_missing_envelope_field_is_rejected_naming_it(missing: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event(_event(**{missing: _DROP}))
    assert info.value.field == missing
    assert missing in str(info.value)


@pytest.mark.parametrize(
    ("type_name", "field"),
    [
        ("sign_treaty", "name"),
        ("ratify_treaty", "name"),
        ("sign_agreement", "name"),
        ("peace_agreement", "name"),
        ("withdraw_from_agreement", "name"),
        ("impose_sanctions", "regime"),
        ("lift_sanctions", "regime"),
        ("support_at_international_body", "body"),
        ("veto", "body"),
        ("cameo", "cameo_code"),
    ],
)
def test_missing_type_specific_field_is_rejected_naming_field_and_type(
    type_name: str, field: str
) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event({**BASE, "type": type_name})
    assert info.value.field == field
    assert field in str(info.value)
    assert type_name in str(info.value)


@pytest.mark.parametrize(
    ("type_name", "fields", "field"),
    [
        ("sign_treaty", {"name": ""}, "name"),
        ("expel_diplomats", {"count": 0}, "count"),
        ("expel_diplomats", {"count": "several"}, "count"),
        ("arms_transfer", {"value_usd": -1}, "value_usd"),
        ("support_at_international_body", {"body": "UNSC", "veto": "perhaps"}, "veto"),
    ],
)
def test_bad_type_specific_value_is_rejected_naming_the_field(
    type_name: str, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event({**BASE, "type": type_name, **fields})
    assert info.value.field == field
    assert field in str(info.value)


def test_field_of_another_type_is_rejected() -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event(_event(regime="EO 13722"))
    assert info.value.field == "regime"
    assert "praise" in str(info.value)


def test_non_mapping_input_is_rejected() -> None:
    with pytest.raises(InvalidEventError):
        parse_event(["praise"])  # type: ignore[arg-type]


def test_error_message_is_one_line() -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_event(_event(occurred_on="2024-02-30"))
    assert "\n" not in str(info.value)


# --- immutability and ids ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "USA"),
        ("confidence", 0.5),
        ("occurred_on", date(2020, 1, 1)),
        ("event_id", "other"),
    ],
)
def test_models_are_frozen(field: str, value: Any) -> None:
    event = parse_event(_event(event_id="e1"))
    before = event.model_dump()
    with pytest.raises(ValidationError):
        setattr(event, field, value)
    assert event.model_dump() == before


def test_events_are_hashable_and_equal_by_value() -> None:
    a = parse_event(_event(event_id="e1"))
    b = parse_event(_event(event_id="e1"))
    assert a == b
    assert hash(a) == hash(b)


def test_generated_event_ids_are_unique() -> None:
    ids = {parse_event(_event()).event_id for _ in range(2000)}
    assert len(ids) == 2000


def test_generated_event_ids_are_valid_event_ids() -> None:
    event_id = parse_event(_event()).event_id
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:@/+#=-]{0,199}", event_id)
    assert parse_event(_event(event_id=event_id)).event_id == event_id


def test_every_event_class_derives_from_the_envelope() -> None:
    assert all(issubclass(cls, EventBase) for cls in EVENT_CLASSES.values())


def test_errors_survive_pickling_with_their_fields() -> None:
    import pickle

    from events.errors import UnknownPartyError

    err = UnknownPartyError(
        "party 'Narnia': unknown", field="actor", value="Narnia", suggestions=["Armenia (ARM)"]
    ).at(line=3, source="f.jsonl")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is UnknownPartyError
    assert (str(back), back.field, back.value, back.line, back.suggestions) == (
        str(err),
        "actor",
        "Narnia",
        3,
        ["Armenia (ARM)"],
    )


def test_importing_the_models_compiles_no_validator_until_a_type_is_used() -> None:
    """Start-up of the write path: the classes exist (their fields can be read) but each one's
    validator is built on first use, in a fresh interpreter."""
    import subprocess
    import sys

    probe = (
        "from events.models import EVENT_CLASSES, parse_event\n"
        "assert not any(c.__pydantic_complete__ for c in EVENT_CLASSES.values())\n"
        "assert 'body' in EVENT_CLASSES['veto'].specific_fields()\n"
        "e = parse_event({'type': 'praise', 'actor': 'PRK', 'target': 'RUS',"
        " 'occurred_on': '2024-03-18'})\n"
        "assert e.type == 'praise'\n"
        "print(sorted(n for n, c in EVENT_CLASSES.items() if c.__pydantic_complete__))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['praise']"  # only the type that was used
