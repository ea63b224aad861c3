"""Fields given as text (``key=value`` on a command line, a CSV cell): which fields of a type
hold lists, and a correction's changes parsed and checked by the event model itself.

The model is the one place that knows what a field accepts (numbers, ranges, dates, flags,
lengths); nothing here re-implements a conversion: each value goes through a pydantic
``TypeAdapter`` of the field's own annotation and constraints, with the event classes' config.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from events.errors import InvalidEventError, field_message


@cache
def list_fields(type_name: str) -> frozenset[str]:
    """The type-specific fields of ``type_name`` that hold several values (``items`` ...);
    empty for an unknown type."""
    from events.models import EVENT_CLASSES

    cls = EVENT_CLASSES.get(type_name)
    if cls is None:
        return frozenset()
    return frozenset(k for k, f in cls.specific_fields().items() if _is_list(f.annotation))


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        return True
    return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))


@cache
def _adapter(type_name: str, key: str) -> Any:
    from typing import Annotated

    from pydantic import ConfigDict, TypeAdapter

    from events.models import event_class

    cls = event_class(type_name)
    info = cls.model_fields[key]
    config = ConfigDict(
        str_strip_whitespace=True, allow_inf_nan=False, strict=False, validate_default=False
    )
    field_type: Any = Annotated[info.annotation, info]
    return TypeAdapter(field_type, config=config)


def correction_changes(type_name: str, pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``key=value`` pairs as the changes of a correction of a ``type_name`` event, each value
    validated by the field's own model annotation and written in its JSON form.

    A list field collects repeats (none given: cleared to empty); an empty value clears an
    optional field. Raises :class:`InvalidEventError` naming the field and value: an
    immutable or unknown field, a field given twice, a required field cleared, a bad value.
    """
    from pydantic import ValidationError

    from events.models import IMMUTABLE_FIELDS, event_class

    model_fields = event_class(type_name).model_fields
    allowed = sorted(k for k in model_fields if k not in IMMUTABLE_FIELDS)
    lists = list_fields(type_name)
    texts: dict[str, Any] = {}
    for key, raw in pairs:
        value = raw.strip()
        if key in IMMUTABLE_FIELDS:
            raise InvalidEventError(
                f"{key!r} cannot be corrected (retract the event and append a new one)",
                field=key,
                value=value,
            )
        if key not in model_fields:
            raise InvalidEventError(
                f"{key!r} is not a field of {type_name!r} events (correctable: "
                f"{', '.join(allowed)})",
                field=key,
                value=value,
            )
        if key in lists:
            items = texts.setdefault(key, [])
            if value:
                items.append(value)
            continue
        if key in texts:
            raise InvalidEventError(f"{key!r} given twice", field=key, value=value)
        info = model_fields[key]
        if value == "" and (info.is_required() or info.default is not None):
            raise InvalidEventError(
                f"{key}: cannot be cleared (every {type_name!r} event has one); give a value",
                field=key,
                value=value,
            )
        texts[key] = None if value == "" else value
    out: dict[str, Any] = {}
    for key, text in texts.items():
        if text is None:
            out[key] = None
            continue
        adapter = _adapter(type_name, key)
        try:
            out[key] = adapter.dump_python(adapter.validate_python(text), mode="json")
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            value = text if not isinstance(text, list) else ";".join(text)
            raise InvalidEventError(
                field_message(key, value, reason.removeprefix("Value error, ")),
                field=key,
                value=text,
            ) from None
    return out


__all__ = ["correction_changes", "list_fields"]
