"""How commands print what they computed: text tables, JSON documents, JSON Lines and CSV.

One module, so that every command's machine-readable output has the same shape (documented in
docs/formats.md): a JSON document is ``{"format_version": 1, "command": NAME, ...}``, JSON
Lines are the rows of that document one per line, and CSV is the same rows flattened, with a
fixed header, written by the :mod:`csv` module. Text tables are laid out as ``tabulate`` lays them
out (by ``tabulate`` itself beyond the plain cells :func:`table` lays out the same way faster),
so a long cell (``support_at_international_body``) never breaks the columns.
Commands build plain data (mostly a result's ``to_dict()``) and hand it here. click is
imported where it is used, so that the library (which uses :func:`plural`, :func:`flat`) does
not load it.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from events.named import NamedTuple
from tracker.terminal import echo

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_VERSION = 1
"""The version of every command's JSON, JSON Lines and CSV shape (docs/formats.md); raised
when a key is renamed or removed (adding a key does not change it)."""

FLAGS = {
    "json": "JSON: one document with format_version and command.",
    "jsonl": "JSON Lines: one row per line (the rows of the --json document).",
    "csv": "CSV: the rows, with a header line.",
}


def dumps(obj: Any) -> str:
    """JSON as every command prints it: UTF-8, keys sorted, stable across runs."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def document(command: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A command's JSON document: the format version and the command name, then its keys."""
    return {"format_version": FORMAT_VERSION, "command": command, **body}


class Output(NamedTuple):
    """The output format a command was asked for (``text`` unless a flag says otherwise)."""

    command: str
    fmt: str = "text"

    @property
    def text(self) -> bool:
        return self.fmt == "text"

    def emit(
        self,
        body: Mapping[str, Any],
        rows: Sequence[Mapping[str, Any]] = (),
        columns: Sequence[str] = (),
        csv_row: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
    ) -> bool:
        """Print ``body`` as the JSON document, or ``rows`` as JSON Lines, or ``rows`` as CSV
        under ``columns`` (each first made flat by ``csv_row``, if given); False (nothing
        printed) for text, which the command renders."""
        import click

        if self.fmt == "json":
            click.echo(dumps(document(self.command, body)))
        elif self.fmt == "jsonl":
            for row in rows:
                click.echo(dumps(row))
        elif self.fmt == "csv":
            write_csv(columns, map(csv_row, rows) if csv_row else rows)
        else:
            return False
        return True


def output_options(
    command: str, *, csv: bool = True, jsonl: bool = False, name: str = "out"
) -> Callable[[F], F]:
    """``--json`` (and ``--csv``, ``--jsonl`` where the command lists rows) on a command; the
    command receives the :class:`Output` as the argument ``name``. Two of them together are a
    usage error."""
    import click

    names = ["json", *(["jsonl"] if jsonl else []), *(["csv"] if csv else [])]

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            chosen = [n for n in names if kwargs.pop(f"as_{n}", False)]
            if len(chosen) > 1:
                raise click.UsageError(
                    " and ".join(f"--{n}" for n in chosen) + " cannot be combined"
                )
            kwargs[name] = Output(command, chosen[0] if chosen else "text")
            return f(*args, **kwargs)

        decorated: Any = wrapper
        for flag in reversed(names):
            decorated = click.option(f"--{flag}", f"as_{flag}", is_flag=True, help=FLAGS[flag])(
                decorated
            )
        return cast(F, decorated)

    return decorate


def cell(value: Any) -> str:
    """A CSV cell: empty for None, true/false, numbers in full precision, lists and objects as
    JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return dumps(value)
    return str(value)


def flat(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row for CSV: a ``dyad`` [A, B] becomes the two columns ``party_a`` and ``party_b``
    (the names the store's tables use)."""
    out = dict(row)
    dyad = out.pop("dyad", None)
    if dyad is not None:
        out["party_a"], out["party_b"] = dyad
    return out


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """``rows`` as CSV text under the header ``columns`` (other keys are left out)."""
    import csv  # here, not at the top: only --csv writes it (issue 16's start-up target)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        r = flat(row)
        writer.writerow([cell(r.get(c)) for c in columns])
    return buffer.getvalue()


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    import click

    click.echo(csv_text(columns, rows), nl=False)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Sequence[int] = (),
    indent: str = "",
) -> str:
    """A text table (header, a rule, rows), each line after ``indent``; the columns numbered
    in ``right`` are aligned right (numbers). Cells are shown as given: format numbers
    before."""
    body = [["" if c is None else str(c) for c in r] for r in rows]
    text = _simple_table(header, body, right)
    if text is None:
        from tabulate import tabulate

        align = ["right" if i in right else "left" for i in range(len(header))]
        text = tabulate(
            body, headers=list(header), tablefmt="simple", disable_numparse=True, colalign=align
        )
    return "\n".join((indent + line).rstrip() for line in text.splitlines())


_NARROW = frozenset("→←↔–—…·")
"""Characters beyond U+02FF that the product's own cells hold, each one column wide."""


def _plain(cell: str) -> bool:
    """A cell every width function agrees on: printable (no newline, tab or terminal escape),
    one column per character (below the combining marks at U+0300, or in :data:`_NARROW`)."""
    return cell.isprintable() and (
        cell.isascii() or all(c < "\u0300" or c in _NARROW for c in cell)
    )


def _simple_table(header: Sequence[str], body: list[list[str]], right: Sequence[int]) -> str | None:
    """The text ``tabulate`` lays out as ``tablefmt="simple"`` (with ``disable_numparse``),
    for the tables the commands print: at least one row, every row as long as the header,
    plain cells. None otherwise, for ``tabulate`` itself. Why here: importing ``tabulate``
    costs a query command more start-up time (≈ 7 ms, ``importlib.metadata``) than all of its
    other work; a property test checks the text is ``tabulate``'s."""
    n = len(header)
    if not n or not body or any(len(r) != n for r in body):
        return None
    if not all(map(_plain, header)) or not all(_plain(c) for r in body for c in r):
        return None
    body = [[c.strip() for c in r] for r in body]  # tabulate strips cells, not headers
    widths = [max(len(h) + 2, *(len(r[i]) for r in body)) for i, h in enumerate(header)]
    pads = [str.rjust if i in right else str.ljust for i in range(n)]
    lines = [
        "  ".join(pad(c, w) for pad, c, w in zip(pads, r, widths, strict=True)).rstrip()
        for r in (header, *body)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Sequence[int] = (),
    indent: str = "",
) -> None:
    echo(table(header, rows, right=right, indent=indent))


def signed(x: float, digits: int = 1) -> str:
    """``+1.5``, ``-0.3``; never ``-0.0`` (a value that rounds to zero shows as ``+0.0``)."""
    return f"{round(x, digits) + 0.0:+.{digits}f}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 checkpoint``, ``2 checkpoints``, ``0 checkpoints``."""
    return f"{n} {word if n == 1 else many or word + 's'}"
