"""The fast canonical encoder (orjson where it agrees) gives exactly the standard library's bytes
or, where the standard library refuses a value, the same error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from events.canonical import canonical_bytes, canonical_dict, dumps, dumps_bytes
from events.models import EventBase, parse_event
from tests.property.test_canonical import event_data

STANDARD = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: beyond 64 bits too
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats()  # NaN and infinities included: both must refuse them
    | st.floats(min_value=-1e-3, max_value=1e-3)  # the range where orjson's format differs
    | st.floats(min_value=1e15, max_value=1e17)
    | st.text()
    | st.text(st.characters(codec="utf-8", max_codepoint=0x40))  # escapes: control characters
)
keys = st.text() | st.text(st.characters(max_codepoint=0x7F), max_size=3)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=20,
)


def _standard(value: Any) -> str | type[BaseException]:
    try:
        return STANDARD.encode(value)
    except (ValueError, TypeError) as exc:
        return type(exc)


@settings(max_examples=1000, deadline=None)
@given(json_values)
@example(1e-07)
@example(9.99e-05)
@example({"weight": 1e-05, "a": [2**70, -0.0]})
@example({"b": 1, "a": {"z": 0.0001, "y": 1e16}})
@example({1: "int key"})
@example({"s": '\x00\x1f\x7f\u2028\ufeff é ☃ \U0001f600 \\ "'})
def test_dumps_is_byte_identical_to_the_standard_encoder(value: Any) -> None:
    expected = _standard(value)
    if isinstance(expected, str):
        assert dumps(value) == expected
        assert dumps_bytes(value) == expected.encode("utf-8")
    else:
        with pytest.raises(expected):
            dumps(value)
        with pytest.raises(expected):
            dumps_bytes(value)


def test_a_lone_surrogate_fails_to_encode_as_utf8_as_before() -> None:
    assert dumps({"s": "\ud800"}) == STANDARD.encode({"s": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        dumps_bytes({"s": "\ud800"})


@settings(max_examples=300, deadline=None)
@given(event_data())
def test_event_bodies_are_byte_identical_to_the_standard_encoder(data: dict[str, Any]) -> None:
    event: EventBase = parse_event(data)
    expected = STANDARD.encode(canonical_dict(event)).encode("utf-8")
    assert canonical_bytes(event) == expected
