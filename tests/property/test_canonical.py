"""The canonical serialisation: deterministic bytes that decode back to an equal event."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.canonical import canonical_bytes, canonical_dict, canonical_text, decode
from events.errors import InvalidEventError
from events.models import EVENT_CLASSES, EventBase, parse_event
from events.parties import lifespans, parties
from events.vocabulary import cameo_codes

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

PARTY_CODES = sorted(set(parties()) - set(lifespans()))
"""Parties that exist on every date (states with a lifespan have their own tests)."""
EVENT_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:@/+#=-]{0,39}"


def _stripped_text(max_size: int) -> st.SearchStrategy[str]:
    # control characters are refused in stored text (tested apart)
    chars = st.characters(exclude_categories=("Cc", "Cs"))
    return st.text(chars, min_size=1, max_size=max_size).map(str.strip).filter(bool)


names = _stripped_text(60)
texts = _stripped_text(120)
event_ids = st.from_regex(EVENT_ID_PATTERN, fullmatch=True)
money = st.floats(min_value=0, max_value=1e13, allow_nan=False, allow_infinity=False)

# one strategy per type-specific field name; a new field needs a line here
FIELD_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "location": names,
    "occasion": names,
    "body": names,
    "name": names,
    "kind": names,
    "regime": names,
    "measures": texts,
    "reason": texts,
    "veto": st.booleans(),
    "value_usd": money,
    "items": st.lists(names, max_size=4),
    "count": st.integers(min_value=1, max_value=10_000),
    "cameo_code": st.sampled_from(sorted(cameo_codes())),
    "refers_to": event_ids,
    "changes": st.dictionaries(
        st.sampled_from(["summary", "source", "confidence", "occurred_on", "weight"]),
        st.one_of(
            texts,
            st.floats(min_value=-10, max_value=10, allow_nan=False),
            st.integers(-5, 5),
            st.booleans(),
            st.none(),
        ),
        min_size=1,
        max_size=3,
    ),
}


@st.composite
def event_data(draw: st.DrawFn, type_name: str | None = None) -> dict[str, Any]:
    """A plain mapping for a valid event of any type (or the given one)."""
    name = type_name or draw(st.sampled_from(sorted(EVENT_CLASSES)))
    cls = EVENT_CLASSES[name]
    actor = draw(st.sampled_from(PARTY_CODES))
    target = draw(st.sampled_from(PARTY_CODES).filter(lambda c: c != actor))
    data: dict[str, Any] = {
        "type": name,
        "actor": actor,
        "target": target,
        "occurred_on": draw(
            st.dates(min_value=date(1800, 1, 1), max_value=date(2100, 12, 31))
        ).isoformat(),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "event_id": event_ids,
        "source": texts,
        "summary": texts,
        "confidence": st.floats(min_value=0, max_value=1),
        "weight": st.floats(min_value=-10, max_value=10),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    for key, field in cls.specific_fields().items():
        if key not in FIELD_STRATEGIES:
            assert not field.is_required(), f"no strategy for required field {name}.{key}"
            continue
        if field.is_required() or draw(st.booleans()):
            data[key] = draw(FIELD_STRATEGIES[key])
    return data


events = event_data().map(parse_event)


def _reencode(data: bytes) -> bytes:
    """An independent canonical encoder: sorted keys, no whitespace, UTF-8. The bytes are
    decoded strictly as UTF-8 first (``json.loads`` of bytes would also accept UTF-16/32)."""
    return json.dumps(
        json.loads(data.decode("utf-8")),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


# --- round trips --------------------------------------------------------------------------------


@SETTINGS
@given(events)
def test_decoding_canonical_bytes_gives_an_equal_event(event: EventBase) -> None:
    decoded = decode(canonical_bytes(event))
    assert decoded == event
    assert type(decoded) is type(event)


@SETTINGS
@given(events)
def test_canonical_bytes_are_identical_after_a_round_trip(event: EventBase) -> None:
    data = canonical_bytes(event)
    assert canonical_bytes(decode(data)) == data


@SETTINGS
@given(events)
def test_decoding_canonical_text_gives_an_equal_event(event: EventBase) -> None:
    assert decode(canonical_text(event)) == event


@pytest.mark.parametrize("type_name", sorted(EVENT_CLASSES))
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_type_round_trips(type_name: str, data: st.DataObject) -> None:
    event = parse_event(data.draw(event_data(type_name)))
    assert decode(canonical_bytes(event)) == event


# --- the form of the bytes ----------------------------------------------------------------------


@SETTINGS
@given(events)
def test_canonical_bytes_have_sorted_keys_and_no_whitespace(event: EventBase) -> None:
    data = canonical_bytes(event)
    assert _reencode(data) == data


@SETTINGS
@given(event_data())
def test_equal_input_in_any_key_order_gives_equal_bytes(data: dict[str, Any]) -> None:
    data.setdefault("event_id", "fixed-id")
    shuffled = dict(reversed(list(data.items())))
    assert canonical_bytes(parse_event(data)) == canonical_bytes(parse_event(shuffled))


def test_non_ascii_text_is_stored_as_utf8_not_escaped() -> None:
    summary = "Ким Чен Ын поздравил Путина — 祝贺再次当选 ✓"
    event = parse_event(
        {
            "type": "congratulate",
            "actor": "North Korea",
            "target": "Russia",
            "occurred_on": "2024-03-18",
            "summary": summary,
            "event_id": "e1",
        }
    )
    data = canonical_bytes(event)
    assert summary.encode("utf-8") in data
    assert b"\\u" not in data


def test_canonical_bytes_of_a_known_event() -> None:
    event = parse_event(
        {
            "type": "sign_treaty",
            "actor": "Russia",
            "target": "North Korea",
            "occurred_on": "2024-06-19",
            "event_id": "t1",
            "confidence": 0.9,
            "name": "Comprehensive Strategic Partnership",
        }
    )
    assert canonical_bytes(event) == (
        b'{"actor":"RUS","confidence":0.9,"event_id":"t1","kind":"treaty",'
        b'"name":"Comprehensive Strategic Partnership","occurred_on":"2024-06-19",'
        b'"schema_version":1,"target":"PRK","type":"sign_treaty"}'
    )


@pytest.mark.parametrize(
    ("field", "type_name", "extra"),
    [
        ("weight", "praise", {}),
        ("confidence", "praise", {}),
        ("value_usd", "economic_aid", {}),
    ],
)
def test_equal_events_differing_only_in_the_sign_of_zero_give_identical_bytes(
    field: str, type_name: str, extra: dict[str, Any]
) -> None:
    base = {
        "type": type_name,
        "actor": "PRK",
        "target": "RUS",
        "occurred_on": "2024-03-18",
        "event_id": "z1",
        **extra,
    }
    negative = parse_event({**base, field: -0.0})
    positive = parse_event({**base, field: 0.0})
    assert negative == positive
    assert canonical_bytes(negative) == canonical_bytes(positive)
    assert f'"{field}":0.0'.encode() in canonical_bytes(negative)


@SETTINGS
@given(events)
def test_equal_events_give_identical_bytes(event: EventBase) -> None:
    rebuilt = parse_event(json.loads(json.dumps(event.model_dump(mode="json"))))
    assert rebuilt == event
    assert canonical_bytes(rebuilt) == canonical_bytes(event)


def test_absent_optional_fields_are_omitted() -> None:
    event = parse_event(
        {
            "type": "praise",
            "actor": "PRK",
            "target": "RUS",
            "occurred_on": "2024-03-18",
            "event_id": "e1",
        }
    )
    body = canonical_dict(event)
    assert "summary" not in body and "source" not in body and "weight" not in body
    assert b"null" not in canonical_bytes(event)


def test_dates_are_iso_strings() -> None:
    event = parse_event(
        {
            "type": "praise",
            "actor": "PRK",
            "target": "RUS",
            "occurred_on": date(2024, 3, 8),
            "event_id": "e1",
        }
    )
    assert b'"occurred_on":"2024-03-08"' in canonical_bytes(event)


def test_an_alias_and_its_code_give_the_same_bytes() -> None:
    by_name = parse_event(
        {
            "type": "praise",
            "actor": "North Korea",
            "target": "Russia",
            "occurred_on": "2024-03-18",
            "event_id": "e1",
        }
    )
    by_code = parse_event(
        {
            "type": "praise",
            "actor": "PRK",
            "target": "RUS",
            "occurred_on": "2024-03-18",
            "event_id": "e1",
        }
    )
    assert canonical_bytes(by_name) == canonical_bytes(by_code)


@pytest.mark.parametrize("data", [b"not json", b"{", b"\xff\xfe", b""])
def test_decoding_malformed_bytes_is_an_invalid_event_error(data: bytes) -> None:
    with pytest.raises(InvalidEventError):
        decode(data)


def test_decoding_a_json_array_is_an_invalid_event_error() -> None:
    with pytest.raises(InvalidEventError):
        decode(b"[]")


def test_decoding_an_invalid_body_names_the_field() -> None:
    with pytest.raises(InvalidEventError) as info:
        decode(b'{"type":"praise","actor":"PRK","target":"RUS","occurred_on":"2024-02-30"}')
    assert info.value.field == "occurred_on"
