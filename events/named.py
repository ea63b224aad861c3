"""``NamedTuple`` for the classes a query's start-up builds: the same class, made faster.

``class Row(NamedTuple): seq: int ...`` written with this module's ``NamedTuple`` is what
:class:`typing.NamedTuple` makes of it (a :func:`collections.namedtuple` with the class body's
defaults, methods and docstring), and type checkers see :class:`typing.NamedTuple` itself. The
difference is the cost: ``typing`` checks every annotation at class creation (with ``from
__future__ import annotations`` it compiles each one into a ``ForwardRef``), about twice the
cost of the named tuple itself; this one keeps the annotations as written (strings, which
:func:`typing.get_type_hints` resolves as before). A ``tracker state`` process builds some 30 of
these classes before it does any work, so start-up is where this shows (issue 16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["NamedTuple"]

if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from collections import namedtuple

    # what typing.NamedTupleMeta refuses to let a class body define, and what it does not copy
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source"}
    )  # fmt: skip
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _Meta(type):
        def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
            if not bases:  # the base class itself
                return super().__new__(mcls, name, bases, ns)
            if bases != (_Base,):
                raise TypeError("can only inherit from a NamedTuple type and Generic")
            annotations = ns.get("__annotations__", {})
            fields = list(annotations)
            defaults = [ns[field] for field in fields if field in ns]
            with_default = [field for field in fields if field in ns]
            for field in fields[len(fields) - len(defaults) :]:
                if field not in ns:
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field"
                        f"{'s' if len(with_default) > 1 else ''} {', '.join(with_default)}"
                    )
            cls = namedtuple(name, fields, defaults=defaults, module=ns["__module__"])
            cls.__annotations__ = cls.__new__.__annotations__ = dict(annotations)
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in cls._fields:
                    setattr(cls, key, value)
                    set_name = getattr(type(value), "__set_name__", None)
                    if set_name is not None:  # as typing does from Python 3.12
                        set_name(value, cls, key)
            return cls

    class _Base(metaclass=_Meta):
        pass

    NamedTuple = _Base
