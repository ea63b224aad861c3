"""The one exception hierarchy every layer raises.

It lives in ``events`` (the bottom of the dependency chain) so that pure code can raise it and
the application can catch it without the layers depending upwards.
"""

from __future__ import annotations

from typing import Any


class TrackerError(Exception):
    """Root of every error the library raises on purpose.

    ``field``, ``value`` and ``line`` say where bad input was found, so that a message can name
    them; any of them may be absent.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        line: int | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.line = line
        self.source = source

    def __str__(self) -> str:
        where = ""
        if self.source is not None and self.line is not None:
            where = f"{self.source}, line {self.line}: "
        elif self.line is not None:
            where = f"line {self.line}: "
        elif self.source is not None:
            where = f"{self.source}: "
        return where + self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only constructor arguments: rebuild from the state, not from args (errors
        # cross process boundaries in parallel imports)
        return (_restore, (type(self), self.message, dict(self.__dict__)))

    def at(self, *, line: int | None = None, source: str | None = None) -> TrackerError:
        """Attach a location (file and line) to an error raised without one."""
        if line is not None:
            self.line = line
        if source is not None:
            self.source = source
        return self


def _restore(cls: type[TrackerError], message: str, state: dict[str, Any]) -> TrackerError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class InvalidEventError(TrackerError):
    """An event (or one of its fields) does not satisfy the vocabulary."""


class UnknownTypeError(InvalidEventError):
    """The ``type`` is not in the closed vocabulary."""


class UnknownPartyError(InvalidEventError):
    """A party name or code resolves to nothing; ``suggestions`` holds close matches."""

    def __init__(self, message: str, *, suggestions: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.suggestions = suggestions


class AmbiguousPartyError(UnknownPartyError):
    """A name that stands for more than one party ("Korea"); ``suggestions`` lists them all."""


class PartyDateError(InvalidEventError):
    """A party named on a date when the state did not exist (the USSR in 2000)."""


class UnknownCameoCodeError(InvalidEventError):
    """A CAMEO event code that is not in the CAMEO table."""


SHOWN_CHARS = 240
"""A value longer than this is shown cut, with its length: a message stays one readable line
whatever the input holds (a 5,000-character name, a 1 MiB record)."""


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`SHOWN_CHARS` with the full length when longer."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return f"{text[: SHOWN_CHARS - 1]}…{size}"


def field_message(field: str, value: Any, reason: str) -> str:
    """The house style for naming a bad field: ``field 'value': reason`` (a long value cut)."""
    return f"{field} {shown(value)}: {reason}"
