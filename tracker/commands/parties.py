"""The ``parties`` command: resolve names to party codes, with when each state existed."""

from __future__ import annotations

from datetime import date

import click

from tracker.render import Output, output_options
from tracker.terminal import echo

PARTIES_COLUMNS = ("code", "name", "kind", "since", "until", "continues")


@click.command("parties")
@click.argument("query", required=False)
@output_options("parties", jsonl=True)
def parties_cmd(query: str | None, out: Output) -> None:
    """Resolve a name or alias to its party code, or list every party.

    --json {"format_version", "command": "parties", "query", "parties": [{code, name, kind,
    since, until, continues}]}; --jsonl those entries; --csv the same columns.

    \b
    Example:  tracker parties "north korea"   ->   PRK  Korea, Democratic People's Republic of
    """
    from events.errors import UnknownPartyError
    from events.parties import lifespans, parties, search, suggest

    found = search(query) if query else list(parties().values())
    spans = lifespans()
    if query and not found:
        hint = suggest(query)
        raise UnknownPartyError(
            f"party {query!r}: unknown country or organisation"
            + (f"; did you mean {', '.join(hint)}?" if hint else ""),
            field="party",
            value=query,
            suggestions=hint,
        )
    entries = [
        {
            "code": p.code,
            "name": p.name,
            "kind": p.kind,
            "since": _iso(spans[p.code].since) if p.code in spans else None,
            "until": _iso(spans[p.code].until) if p.code in spans else None,
            "continues": spans[p.code].continues if p.code in spans else None,
        }
        for p in found
    ]
    if out.emit({"query": query, "parties": entries}, entries, PARTIES_COLUMNS):
        return
    for p in found:
        kind = "" if p.kind == "country" else f"  ({p.kind})"
        span = spans.get(p.code)
        life = ""
        if span is not None:
            life = f"  [{span.span()}" + (f", continues {span.continues}" if span.continues else "")
            life += "]"
        echo(f"{p.code:<6} {p.name}{kind}{life}")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
