"""Validating a batch at once gives, item for item, what validating each alone gives: the same
events, or the same errors (field, value and message)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events.errors import TrackerError
from events.models import AS_RECORDED, PLACE, EventBase, parse_event, parse_events
from tests.property.test_canonical import event_data

BREAKAGES: list[tuple[str, Any]] = [
    ("actor", "Nowhere Land"),
    ("confidence", 2.5),
    ("occurred_on", "18/03/2024"),
    ("type", "no_such_type"),
    ("weight", "heavy"),
    ("unexpected_field", 1),
    ("event_id", " "),
    ("cameo_code", "9999"),  # refused by a validator's own error, not pydantic's
]


@st.composite
def items(draw: st.DrawFn) -> Any:
    data = draw(event_data())
    data.setdefault("event_id", f"id-{draw(st.integers(0, 10**9))}")  # else a random default
    if draw(st.integers(0, 5)) == 0:  # about one in six broken
        field, value = draw(st.sampled_from(BREAKAGES))
        data = {**data, field: value}
        if field == "cameo_code":
            data = {k: data[k] for k in ("event_id", "actor", "target", "occurred_on")}
            data |= {"type": "cameo", "cameo_code": value}
    if draw(st.integers(0, 40)) == 0:
        return draw(st.sampled_from([None, 5, "text", ["a list"]]))
    return data


def one_at_a_time(item: Any, mode: str) -> EventBase | TrackerError:
    try:
        return parse_event(item, parties_mode=mode)
    except TrackerError as exc:
        return exc


def _same(x: EventBase | TrackerError, y: EventBase | TrackerError) -> bool:
    if isinstance(x, TrackerError) or isinstance(y, TrackerError):
        return (
            type(x) is type(y)
            and str(x) == str(y)
            and getattr(x, "field", None) == getattr(y, "field", None)
            and getattr(x, "value", None) == getattr(y, "value", None)
        )
    return type(x) is type(y) and x == y


@settings(max_examples=150, deadline=None)
@given(st.lists(items(), max_size=12), st.sampled_from([PLACE, AS_RECORDED]))
def test_a_batch_validates_exactly_as_its_items_one_at_a_time(batch: list[Any], mode: str) -> None:
    expected = [one_at_a_time(item, mode) for item in batch]
    got = parse_events(batch, parties_mode=mode)
    assert len(got) == len(expected)
    for x, y in zip(got, expected, strict=True):
        assert _same(x, y)


def test_a_valid_batch_builds_the_very_same_models() -> None:
    batch = [
        {"type": "praise", "actor": "USA", "target": "RUS", "occurred_on": "2024-01-02"},
        {
            "type": "sign_treaty",
            "actor": "France",
            "target": "DEU",
            "occurred_on": "2024-01-03",
            "name": "Treaty",
            "event_id": "t-1",
            "confidence": -0.0,
        },
    ]
    got = parse_events(batch)
    assert [type(e).__name__ for e in got] == ["Praise", "SignTreaty"]
    assert got[1] == parse_event(batch[1])
    assert got[0].event_id != parse_event(batch[0]).event_id  # a fresh id each time, as alone
