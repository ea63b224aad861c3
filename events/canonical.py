"""The canonical serialisation: the exact bytes that are stored and hashed.

JSON with sorted keys, no insignificant whitespace, UTF-8 (not ASCII escapes), ISO dates,
absent optional fields omitted and no NaN or infinity. Python's float ``repr`` is the shortest
round-tripping form, so the same event gives the same bytes on every machine.

The standard library's encoder defines the bytes; ``orjson`` writes them about five times
faster and is used wherever its output is known to be identical: values that are plain JSON
(str, int, bool, None, dict with str keys, list, tuple) and floats that are finite and either 0
or of magnitude at least 1e-4 (below that, orjson writes ``1e-7`` and ``0.0000999`` where
Python writes ``1e-07`` and ``9.99e-05``). Integers beyond 64 bits, non-str keys and anything
else orjson refuses fall back to the standard encoder, so the result (or the error) is always
the standard one; a property test compares the two on random values.
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


_orjson: Any = None


def _orjson_module() -> Any:
    """orjson, imported on first use: queries, which only read, never need it."""
    global _orjson
    if _orjson is None:
        import orjson

        _orjson = orjson
    return _orjson


def _orjson_bytes(obj: Any) -> bytes | None:
    """orjson's encoding of ``obj`` where it is known to equal the standard one, else None."""
    if not _identical_in_orjson(obj):
        return None
    orjson = _orjson_module()
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)  # type: ignore[no-any-return]
    except TypeError:  # an integer beyond 64 bits, a non-str key (orjson.JSONEncodeError)
        return None


def dumps(obj: Any) -> str:
    """Canonical JSON text for any JSON-able value."""
    fast = _orjson_bytes(obj)
    return _ENCODER.encode(obj) if fast is None else fast.decode("utf-8")


def dumps_bytes(obj: Any) -> bytes:
    """Canonical JSON as UTF-8 bytes (what is hashed)."""
    fast = _orjson_bytes(obj)
    return _ENCODER.encode(obj).encode("utf-8") if fast is None else fast


def canonical_value(text: str) -> Any:
    """The value ``text`` encodes, when a fast exact check shows ``dumps(value) == text``
    (``text`` is canonical JSON); ``ValueError`` when it is not, or when this check cannot tell
    (the caller then decides with ``json.loads`` and :func:`dumps`).

    orjson parses and re-encodes the text. Its output is the standard encoder's except for
    floats of magnitude below 1e-4 (see the module docstring): orjson writes those with an
    ``e-`` exponent or as ``0.0000...``, so a text holding neither string holds none of them
    and orjson's encoding of the value is the canonical one; any other text takes the full
    :func:`_identical_in_orjson` pass. (orjson parses no NaN or infinity and no integer
    beyond 64 bits as an integer, so those never re-encode to the text.)"""
    orjson = _orjson_module()
    value = orjson.loads(text)
    if orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode() == text and (
        ("e-" not in text and "0.0000" not in text) or _identical_in_orjson(value)
    ):
        return value
    raise ValueError("not canonical (or not decided by the fast check)")


def _identical_in_orjson(value: Any) -> bool:
    """True if orjson writes ``value`` exactly as the standard encoder does (or refuses it)."""
    t = type(value)
    if t is dict:
        for item in value.values():
            t = type(item)
            if t is str or t is int or t is bool or item is None:
                continue
            if t is float:
                if item - item != 0.0 or (item != 0.0 and -1e-4 < item < 1e-4):
                    return False
            elif not _identical_in_orjson(item):
                return False
        return True
    if t is list or t is tuple:
        return all(_identical_in_orjson(item) for item in value)
    if t is float:
        return value - value == 0.0 and not (value != 0.0 and -1e-4 < value < 1e-4)
    return t is str or t is int or t is bool or value is None


def canonical_dict(event: EventBase) -> dict[str, Any]:
    # ``event.model_dump(mode="json", exclude_none=True)``: the serializer called directly,
    # with model_dump's defaults, costs a third less (model_dump only passes its arguments on)
    body: dict[str, Any] = event.__pydantic_serializer__.to_python(
        event, mode="json", exclude_none=True
    )
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
    return dumps_bytes(canonical_dict(event))


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
