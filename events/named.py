"""``NamedTuple`` for the classes a query's start-up builds: the same class, made faster.

``class Row(NamedTuple): seq: int ...`` written with this module's ``NamedTuple`` is what
:class:`typing.NamedTuple` makes of it (the class :func:`collections.namedtuple` builds, with
the class body's defaults, methods and docstring), and type checkers see
:class:`typing.NamedTuple` itself. The difference is the cost: ``typing`` checks every
annotation at class creation (with ``from __future__ import annotations`` it compiles each one
into a ``ForwardRef``), and ``namedtuple`` compiles the source of each class's ``__new__``
(``eval`` of a lambda: half of what a class costs). Here the annotations are kept as written
(strings, which :func:`typing.get_type_hints` resolves as before) and ``__new__`` is a
precompiled lambda of the same arity with the fields' names as its parameters
(``code.replace``): the same code ``namedtuple`` would compile, without compiling it. A
``tracker state`` process builds some 30 of these classes before it does any work, so start-up
is where this shows (issue 16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["NamedTuple"]

if TYPE_CHECKING:
    from typing import NamedTuple
else:
    import __future__

    import sys
    from collections import _tuplegetter
    from keyword import iskeyword
    from types import FunctionType

    # what typing.NamedTupleMeta refuses to let a class body define, and what it does not copy
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
         "_make", "_replace", "_asdict", "_source"}
    )  # fmt: skip
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    # ``namedtuple``'s ``__new__`` for 0 to 16 fields, compiled with this module: a class gets
    # a copy of the one of its arity, its parameters renamed to its fields and moved to line 1
    # of "<string>": the code ``namedtuple`` compiles (with ``eval``) for each class
    _tuple_new = tuple.__new__  # (the name they call it by, in the globals each copy gets)
    _NEW = (
        lambda _cls: _tuple_new(_cls, ()),
        lambda _cls, a: _tuple_new(_cls, (a,)),
        lambda _cls, a, b: _tuple_new(_cls, (a, b)),
        lambda _cls, a, b, c: _tuple_new(_cls, (a, b, c)),
        lambda _cls, a, b, c, d: _tuple_new(_cls, (a, b, c, d)),
        lambda _cls, a, b, c, d, e: _tuple_new(_cls, (a, b, c, d, e)),
        lambda _cls, a, b, c, d, e, f: _tuple_new(_cls, (a, b, c, d, e, f)),
        lambda _cls, a, b, c, d, e, f, g: _tuple_new(_cls, (a, b, c, d, e, f, g)),
        lambda _cls, a, b, c, d, e, f, g, h: _tuple_new(_cls, (a, b, c, d, e, f, g, h)),
        lambda _cls, a, b, c, d, e, f, g, h, i: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i)),
        lambda _cls, a, b, c, d, e, f, g, h, i, j: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j)),
        lambda _cls, a, b, c, d, e, f, g, h, i, j, k: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k)),  # noqa: E501
        lambda _cls, a, b, c, d, e, f, g, h, i, j, k, m: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m)),  # noqa: E501
        lambda _cls, a, b, c, d, e, f, g, h, i, j, k, m, n: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n)),  # noqa: E501
        lambda _cls, a, b, c, d, e, f, g, h, i, j, k, m, n, o: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n, o)),  # noqa: E501
        lambda _cls, a, b, c, d, e, f, g, h, i, j, k, m, n, o, p: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n, o, p)),  # noqa: E501
        lambda _cls, a, b, c, d, e, f, g, h, i, j, k, m, n, o, p, q: _tuple_new(_cls, (a, b, c, d, e, f, g, h, i, j, k, m, n, o, p, q)),  # noqa: E501
    )  # fmt: skip
    _FUTURE_ANNOTATIONS = __future__.annotations.compiler_flag
    _DOCS: list[str] = []
    """``Alias for field number N``, the field descriptors' docstrings, made once each."""

    def _make_new(typename: str, fields: tuple[str, ...], arg_list: str) -> Any:
        """``namedtuple``'s ``__new__`` for these fields (its globals too: no builtins)."""
        namespace = {
            "_tuple_new": tuple.__new__,
            "__builtins__": {},
            "__name__": f"namedtuple_{typename}",
        }
        if len(fields) >= len(_NEW):  # (no template: compiled as namedtuple does)
            source = f"lambda _cls, {arg_list}: _tuple_new(_cls, ({arg_list}))"
            return eval(compile(source, "<string>", "eval", dont_inherit=True), namespace)
        template = _NEW[len(fields)].__code__
        code = template.replace(
            co_varnames=("_cls", *fields),
            co_filename="<string>",
            co_firstlineno=1,
            co_flags=template.co_flags & ~_FUTURE_ANNOTATIONS,  # (eval'd code has no future)
        )
        return FunctionType(code, namespace)

    def _namedtuple(
        typename: str, fields: tuple[str, ...], defaults: tuple[Any, ...], module: str
    ) -> dict[str, Any]:
        """The class namespace :func:`collections.namedtuple` gives ``type()`` for these
        fields (its methods, docstrings and field descriptors, in its order), and
        ``__module__``, which it sets once the class exists."""
        for name in fields:  # (the class body made them identifiers: namedtuple's other checks)
            if iskeyword(name):
                raise ValueError(f"Type names and field names cannot be a keyword: {name!r}")
            if name.startswith("_"):
                raise ValueError(f"Field names cannot start with an underscore: {name!r}")
        num_fields = len(fields)
        arg_list = ", ".join(fields)
        if num_fields == 1:
            arg_list += ","
        repr_fmt = "(" + ", ".join(f"{name}=%r" for name in fields) + ")"
        tuple_new = tuple.__new__
        _dict, _tuple, _len, _map, _zip = dict, tuple, len, map, zip

        __new__ = _make_new(typename, fields, arg_list)
        __new__.__name__ = "__new__"
        __new__.__doc__ = f"Create new instance of {typename}({arg_list})"
        __new__.__defaults__ = defaults

        @classmethod
        def _make(cls: Any, iterable: Any) -> Any:
            result = tuple_new(cls, iterable)
            if _len(result) != num_fields:
                raise TypeError(f"Expected {num_fields} arguments, got {len(result)}")
            return result

        _make.__func__.__doc__ = f"Make a new {typename} object from a sequence or iterable"

        def _replace(self: Any, /, **kwds: Any) -> Any:
            result = self._make(_map(kwds.pop, fields, self))
            if kwds:
                raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
            return result

        _replace.__doc__ = (
            f"Return a new {typename} object replacing specified fields with new values"
        )

        def __repr__(self: Any) -> str:
            "Return a nicely formatted representation string"
            return self.__class__.__name__ + repr_fmt % self

        def _asdict(self: Any) -> dict[str, Any]:
            "Return a new dict which maps field names to their values."
            return _dict(_zip(self._fields, self))

        def __getnewargs__(self: Any) -> tuple[Any, ...]:
            "Return self as a plain tuple.  Used by copy and pickle."
            return _tuple(self)

        for method in (__new__, _make.__func__, _replace, __repr__, _asdict, __getnewargs__):
            method.__qualname__ = f"{typename}.{method.__name__}"

        namespace: dict[str, Any] = {
            "__doc__": f"{typename}({arg_list})",
            "__slots__": (),
            "_fields": fields,
            "_field_defaults": dict(
                zip(fields[num_fields - len(defaults) :], defaults, strict=True)
            ),
            "__new__": __new__,
            "_make": _make,
            "_replace": _replace,
            "__repr__": __repr__,
            "_asdict": _asdict,
            "__getnewargs__": __getnewargs__,
            "__match_args__": fields,
        }
        while len(_DOCS) < num_fields:
            _DOCS.append(sys.intern(f"Alias for field number {len(_DOCS)}"))
        for index, name in enumerate(fields):
            namespace[name] = _tuplegetter(index, _DOCS[index])
        namespace["__module__"] = module
        return namespace

    class _Meta(type):
        def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
            if not bases:  # the base class itself
                return super().__new__(mcls, name, bases, ns)
            if bases != (_Base,):
                raise TypeError("can only inherit from a NamedTuple type and Generic")
            annotations = ns.get("__annotations__", {})
            fields = tuple(map(sys.intern, annotations))
            defaults = tuple(ns[field] for field in fields if field in ns)
            with_default = [field for field in fields if field in ns]
            for field in fields[len(fields) - len(defaults) :]:
                if field not in ns:
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field"
                        f"{'s' if len(with_default) > 1 else ''} {', '.join(with_default)}"
                    )
            class_ns = _namedtuple(sys.intern(name), fields, defaults, ns["__module__"])
            class_ns["__annotations__"] = class_ns["__new__"].__annotations__ = dict(annotations)
            # the class body's names, as typing sets them on the class it made: here in the
            # namespace, so that ``type()`` builds the class once (and calls ``__set_name__``)
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in fields:
                    class_ns[key] = value
            return type(name, (tuple,), class_ns)

    class _Base(metaclass=_Meta):
        pass

    NamedTuple = _Base
