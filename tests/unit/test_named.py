"""events.named.NamedTuple builds the class typing.NamedTuple builds, without checking the
annotations: same fields, defaults, methods, docstring, repr, pickling and refusals."""

from __future__ import annotations

import collections
import copy
import inspect
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


def _new_code(cls: type) -> tuple[object, ...]:
    code = cls.__new__.__code__  # type: ignore[misc]
    return (code.co_code, code.co_varnames, code.co_names, code.co_consts, code.co_flags,
            code.co_argcount, code.co_filename, code.co_name)  # fmt: skip


def test_new_is_the_code_namedtuple_compiles_for_every_arity() -> None:
    """``__new__`` is a precompiled template renamed, not compiled per class: for 0 to 20
    fields (past the templates: compiled as namedtuple does) it is namedtuple's code, with its
    signature, defaults, globals and messages."""
    for n in range(21):
        names = [f"f{i}" for i in range(n)]
        ns = {"__annotations__": dict.fromkeys(names, "int"), "__module__": __name__}
        if n:
            ns[names[-1]] = -1
        ours = type(NamedTuple)(f"N{n}", (NamedTuple,), ns)
        theirs = collections.namedtuple(f"N{n}", names, defaults=[-1] if n else [])
        assert _new_code(ours) == _new_code(theirs)
        for attr in ("__name__", "__qualname__", "__doc__", "__defaults__", "__module__"):
            assert getattr(ours.__new__, attr) == getattr(theirs.__new__, attr), (n, attr)
        assert ours.__new__.__globals__ == theirs.__new__.__globals__
        assert list(vars(ours))[:11] == list(vars(theirs))[:11]
        assert ours(*range(n)) == tuple(range(n)) == ours._make(range(n))
        assert ours(**{k: 7 for k in names}) == (7,) * n
        assert repr(ours(*range(n))) == repr(theirs(*range(n)))
        assert ours._field_defaults == theirs._field_defaults
        assert inspect.signature(ours) == inspect.signature(theirs).replace(
            parameters=[
                p.replace(annotation="int") for p in inspect.signature(theirs).parameters.values()
            ]
        )
    with pytest.raises(TypeError, match=r"Point.__new__\(\) missing 1 required positional"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="Got unexpected field names"):
        Point(1)._replace(z=2)  # type: ignore[call-arg]
    assert pickle.loads(pickle.dumps(Point(1, label="q"))) == Point(1, None, "q")
    assert copy.deepcopy(Point(2)) == Point(2) and Point(3).__match_args__ == ("x", "y", "label")
