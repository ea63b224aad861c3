"""Input lines parse to exactly what ``json.loads`` makes of them, whichever parser reads them
(``tracker.limits.loads`` tries orjson first), bad lines failing the same way."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracker import limits

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson would read those as floats
    | st.floats()  # NaN and infinities included: json writes and reads them, orjson refuses
    | st.text()  # lone surrogates included
    | st.integers(min_value=10**17, max_value=10**20)  # around the 19-digit guard
    | st.text("0123456789\u0660\u0669\uff10\uff19", min_size=15, max_size=25)  # any digits
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with types (1 is not 1.0, nor True) and NaN equal to itself."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(values)
@example(2**64)
@example(1234567890123456789)
@example(0.1234567890123456789)
@example("\u0661" * 25)
@example(["123456789\u0661" * 3, 123456789012345678])
@example("\ud800" + "1" * 19)
def test_a_line_parses_to_what_json_loads_makes_of_it(value: Any) -> None:
    text = json.dumps(value)
    assert _same(limits.loads(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    ['{"a":1', '{"a":1}x', '{"a":"x\ty"}', "\ufeff{}", "[1,,2]", '{"a":01}'],
    ids=[
        "unclosed",
        "trailing text",
        "raw tab in a string",
        "byte order mark",
        "empty item",
        "leading zero",
    ],
)
def test_a_bad_line_fails_with_json_s_own_message(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        limits.loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert str(ours.value) == str(theirs.value)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("0123456789\u0661\uff11a\ud800é")) | st.text())
@example("1" * 19)
@example("1" * 18 + "\u0661")
@example("\ud800" + "9" * 19)
def test_the_long_number_guard_finds_exactly_19_ascii_digits_in_a_row(text: str) -> None:
    assert limits._has_long_digits(text) == (re.search("[0-9]{19}", text) is not None)
