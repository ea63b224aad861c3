"""events.named.NamedTuple builds the class typing.NamedTuple builds, without checking the
annotations: same fields, defaults, methods, docstring, repr, pickling and refusals."""

from __future__ import annotations

import pickle
import typing
from typing import get_type_hints

import pytest

from events.named import NamedTuple


class Point(NamedTuple):
    """A point."""

    x: int
    y: float | None = None
    label: str = "p"

    def doubled(self) -> Point:
        return self._replace(x=self.x * 2)

    @property
    def named(self) -> bool:
        return bool(self.label)


class TypingPoint(typing.NamedTuple):
    """A point."""

    x: int
    y: float | None = None
    label: str = "p"


def test_a_class_is_the_named_tuple_typing_would_build() -> None:
    p = Point(1)
    assert p == (1, None, "p") and isinstance(p, tuple)
    assert Point._fields == TypingPoint._fields
    assert Point._field_defaults == TypingPoint._field_defaults
    assert repr(Point(1, 2.0)) == repr(TypingPoint(1, 2.0)).replace("TypingPoint", "Point")
    assert Point.__doc__ == "A point." and Point.__module__ == __name__
    assert Point.__qualname__ == "Point"
    assert p.doubled() == Point(2) and p.named
    assert Point(x=3)._asdict() == {"x": 3, "y": None, "label": "p"}
    assert pickle.loads(pickle.dumps(Point(4, 0.5))) == Point(4, 0.5)
    assert get_type_hints(Point) == get_type_hints(TypingPoint)


def test_a_field_without_a_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="Non-default namedtuple field b"):

        class Bad(NamedTuple):
            a: int = 0
            b: int


def test_the_named_tuple_methods_cannot_be_overwritten() -> None:
    with pytest.raises(AttributeError, match="_asdict"):

        class Bad(NamedTuple):
            a: int

            def _asdict(self) -> dict[str, int]:
                return {}
