"""The canonical serialisation: the exact bytes that are stored and hashed.

JSON with sorted keys, no insignificant whitespace, UTF-8 (not ASCII escapes), ISO dates,
absent optional fields omitted and no NaN or infinity. Python's float ``repr`` is the shortest
round-tripping form, so the same event gives the same bytes on every machine.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from events.errors import InvalidEventError

if TYPE_CHECKING:  # models (pydantic) load only when an event is built or decoded
    from events.models import EventBase

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def dumps(obj: Any) -> str:
    """Canonical JSON text for any JSON-able value."""
    return _ENCODER.encode(obj)


def canonical_dict(event: EventBase) -> dict[str, Any]:
    body: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    if "changes" in body:
        # a correction's values are free-form; the models' own float fields are already
        # normalised when validated
        body["changes"] = _positive_zero(body["changes"])
    return body


def _positive_zero(value: Any) -> Any:
    """-0.0 equals 0.0, so equal events must not differ in bytes by the sign of a zero."""
    if isinstance(value, float):
        return 0.0 if value == 0 else value
    if isinstance(value, dict):
        return {k: _positive_zero(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_positive_zero(v) for v in value]
    return value


def canonical_text(event: EventBase) -> str:
    return dumps(canonical_dict(event))


def canonical_bytes(event: EventBase) -> bytes:
    return canonical_text(event).encode("utf-8")


def decode(data: bytes | str) -> EventBase:
    """The event a canonical body encodes (any JSON object in the vocabulary is accepted)."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEventError(
            f"event body is not valid JSON ({exc})", field="body", value=data[:80]
        ) from None
    from events.models import AS_RECORDED, parse_event

    return parse_event(obj, parties_mode=AS_RECORDED)
