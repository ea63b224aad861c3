"""The shortcuts of the bulk paths answer exactly as the reference they stand in for: the
control-character check (``str.isprintable`` for ASCII text, the regular expression
otherwise) and the placement of a party on a date (a party of every date is not looked up)."""

from __future__ import annotations

from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from events import parties
from events.errors import PartyDateError
from events.text import CONTROL, control_problem, has_control


def _reference_problem(text: str) -> str | None:
    found = CONTROL.search(text)
    if found is None:
        return None
    return (
        f"contains a control character (U+{ord(found.group()):04X}) at position {found.start() + 1}"
    )


texts = (
    st.text()
    | st.text(st.characters(max_codepoint=0xA0))
    | st.text(st.sampled_from("a \t\x7f\x85é"))
)


@settings(max_examples=500, deadline=None)
@given(texts)
@example("plain ascii")
@example("tab\there")
@example("del\x7f")
@example("c1\x85")
@example("\u2028 line separator")
def test_the_control_check_answers_as_the_regular_expression(text: str) -> None:
    assert has_control(text) == (CONTROL.search(text) is not None)
    assert control_problem(text) == _reference_problem(text)


def _placed(code: str, day: date) -> tuple[str, str | None] | str:
    try:
        placed = parties.place(code, day)
    except PartyDateError as exc:
        return exc.message
    return placed.code, placed.note


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(parties.parties())), st.dates())
def test_a_party_left_unlooked_up_is_placed_under_itself_on_every_date(
    code: str, day: date
) -> None:
    if code not in parties.dated():
        assert _placed(code, day) == (code, None)


@settings(max_examples=300, deadline=None)
@given(st.dates())
@example(date(1, 1, 1))
@example(date(999, 12, 31))
@example(date(9999, 12, 31))
def test_the_stored_date_column_is_the_iso_form_of_the_event_s_date(day: date) -> None:
    from events.models import parse_event
    from tracker.store.rows import prepare

    timeless = [code for code in sorted(parties.parties()) if code not in parties.dated()]
    event = parse_event(
        {"type": "praise", "actor": timeless[0], "target": timeless[1], "occurred_on": day}
    )
    assert prepare(event).occurred_on == day.isoformat()
