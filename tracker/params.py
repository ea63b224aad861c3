"""Click parameter types and shared options: arguments are validated before any work starts."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import click

from events.dates import parse_iso_date
from events.errors import TrackerError
from projections.periods import PERIODS

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])


class PartyType(click.ParamType):  # type: ignore[type-arg]
    """A country or organisation: code, name or alias, resolved to its code."""

    name = "party"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from events.parties import resolve

        try:
            return resolve(str(value))
        except TrackerError as exc:
            self.fail(exc.message.removeprefix("party "), param, ctx)


class DateType(click.ParamType):  # type: ignore[type-arg]
    """An ISO date (``YYYY-MM-DD``) or ``today``; optionally bounded to [1900-01-01, today]."""

    name = "date"

    def __init__(self, *, bounded: bool = False) -> None:
        self.bounded = bounded

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if text.lower() == "today":
            return date.today()
        try:
            day = parse_iso_date(text)
        except ValueError as exc:
            self.fail(f"{text!r}: {exc}", param, ctx)
        from events.dates import EARLIEST

        if self.bounded and not EARLIEST <= day <= date.today():
            self.fail(f"{text!r}: must be between {EARLIEST.isoformat()} and today", param, ctx)
        return day


def allow_future_option(func: F) -> F:
    return click.option(
        "--allow-future",
        is_flag=True,
        help="Accept an --on date after today (a scheduled event; queries stop at today).",
    )(func)


def refuse_future(day: date, *, allowed: bool, option: str) -> None:
    """Valid time after today is refused unless asked for: queries stop at today, so such an
    event would be invisible (and is most often a typo for a past year)."""
    if day > date.today() and not allowed:
        raise click.BadParameter(
            f"{day.isoformat()!r}: is after today (queries ask about dates up to today); "
            "pass --allow-future for a scheduled event",
            param_hint=f"'{option}'",
        )


class EventTypeName(click.ParamType):  # type: ignore[type-arg]
    """A type of the vocabulary; an unknown name fails with suggestions."""

    name = "type"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from events.vocabulary import type_info

        try:
            return type_info(str(value)).name
        except TrackerError as exc:
            self.fail(exc.message.removeprefix("type "), param, ctx)


class KeyValue(click.ParamType):  # type: ignore[type-arg]
    """``key=value`` for a type-specific field."""

    name = "key=value"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        key, sep, val = str(value).partition("=")
        if not sep or not key.strip():
            self.fail(f"{value!r}: expected key=value", param, ctx)
        return key.strip(), val


PARTY = PartyType()
DATE = DateType()
QUERY_DATE = DateType(bounded=True)
EVENT_TYPE = EventTypeName()
KEY_VALUE = KeyValue()


DEFAULT_DB = "tracker.db"
DEMO_DB = "tracker-demo.db"


class StoreLocation(click.ParamType):  # type: ignore[type-arg]
    """A store: an SQLite file's path, spelled as ``str(pathlib.Path(value))`` spells it
    (:func:`tracker.paths.spelled`: a query opens its store without importing pathlib), or a
    ``postgresql://`` URL as given. Either way text (:func:`tracker.store.is_url` tells
    them apart)."""

    name = "path|url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from tracker.paths import spelled
        from tracker.store import is_url

        if not is_url(value):
            return spelled(FILE.convert(value, param, ctx))
        return str(value)


FILE: click.Path[str] = click.Path(dir_okay=False)
STORE = StoreLocation()


class FilePath(click.Path):
    """``click.Path(path_type=pathlib.Path)``, with pathlib imported when a value is
    converted rather than when the command is built (issue 16's start-up target)."""

    def coerce_path_result(self, value: str | os.PathLike[str]) -> Any:
        from pathlib import Path

        return value if isinstance(value, Path) else Path(value)


def resolve_db(ctx: click.Context, given: str | None, default: str = DEFAULT_DB) -> str:
    """The store a command uses: its own ``--db``, else the one given before the subcommand
    (``tracker --db X state …``), else ``TRACKER_DB``, else ``default``. The later ``--db`` on
    the command line wins because the subcommand's is looked at first."""
    from tracker.paths import spelled

    if given is not None:
        return given
    root = ctx.find_root()
    if root is not ctx and root.params.get("db") is not None:
        return STORE.convert(root.params["db"], None, ctx)
    env = os.environ.get("TRACKER_DB", "").strip()
    return STORE.convert(env, None, ctx) if env else spelled(default)


def store_option(
    *,
    default: str = DEFAULT_DB,
    help: str = "The store: an SQLite file, or a postgresql:// URL.",
) -> Callable[[F], F]:
    """``--db PATH|URL`` on a subcommand, resolved by :func:`resolve_db` (``default``
    last)."""

    def decorate(f: F) -> F:
        return click.option(
            "--db",
            "db",
            type=STORE,
            default=None,
            callback=lambda ctx, _param, value: resolve_db(ctx, value, default),
            help=f"{help} [default: --db before the command, else $TRACKER_DB, else {default}]",
        )(f)

    return decorate


db_option = store_option()
"""The ``--db`` of every command that reads or writes the user's store."""


class KnownAtType(click.ParamType):  # type: ignore[type-arg]
    """Transaction time: a log position (an integer seq) or a UTC timestamp / date (a date
    means the end of that day, UTC)."""

    name = "seq|timestamp"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from datetime import UTC, datetime, time

        if isinstance(value, (int, datetime)):
            return value
        text = str(value).strip()
        if text.isascii() and text.isdigit():
            return int(text)
        hint = (
            f"{text!r}: expected a log position (e.g. 120) or a UTC timestamp "
            "(e.g. 2025-01-31T12:00:00Z or 2025-01-31)"
        )
        try:
            day = parse_iso_date(text[:10])
            if len(text) == 10:
                return datetime.combine(day, time.max, tzinfo=UTC)
            if text[10] not in "T ":
                raise ValueError(text)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(hint, param, ctx)
        try:
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        except (OverflowError, ValueError):
            self.fail(
                f"{text!r}: outside the range of UTC timestamps (years 1 to 9999)", param, ctx
            )


KNOWN_AT = KnownAtType()


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        type=QUERY_DATE,
        help="Valid time: the date asked about (default today).",
    )(func)


def known_at_option(func: F) -> F:
    return click.option(
        "--known-at",
        "known_at",
        type=KNOWN_AT,
        help="Transaction time: answer as the log stood then (a seq or a UTC timestamp).",
    )(func)


MODEL_FILE = FilePath(exists=True, dir_okay=False)
"""One instance for every command's ``--model`` (click looks up a translation of its name on
each construction: a millisecond of start-up for the query commands together)."""


def model_option(func: F) -> F:
    return click.option(
        "--model",
        "model_file",
        type=MODEL_FILE,
        help="A scoring model TOML file instead of the store's model.",
    )(func)


def load_model(path: Path | None) -> Any:
    """The scoring model in a TOML file (None when no file is given)."""
    if path is None:
        return None
    from projections.model import parse_model

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(
            f"{str(path)!r}: cannot read ({exc})", param_hint="'--model'"
        ) from None
    return parse_model(text, source=str(path))


def check_span(
    start: date | None, end: date | None, *, first: str = "--from", last: str = "--to"
) -> None:
    """A span that ends before it starts is a usage error (exit 2), caught before the store is
    opened; the one check behind --from/--to and --since/--until on every command."""
    if start is not None and end is not None and start > end:
        raise click.BadParameter(f"{first} {start} is after {last} {end}", param_hint=f"'{first}'")


predecessors_option = click.option(
    "--predecessors/--no-predecessors",
    default=True,
    show_default=True,
    help="Include the record of the states A or B continue (Russia: the USSR's).",
)


def period_options(func: F) -> F:
    """--from, --to and --every: the span and sampling of a timeline or chart."""
    func = click.option(
        "--every",
        type=click.Choice(PERIODS),
        default="month",
        show_default=True,
        help="Sampling period.",
    )(func)
    func = click.option("--to", "end", type=QUERY_DATE, help="Last date (default today).")(func)
    return click.option(
        "--from", "start", type=QUERY_DATE, help="First date (default: the pair's first event)."
    )(func)
