"""POLECAT event files: events coded in the PLOVER ontology (Halterman et al. 2023; data on the
Harvard Dataverse, doi:10.7910/DVN/AJGVIT).

Two layouts are read, both described in ``tests/data/polecat/README.md``:

- the released files: tab-separated with a header line; the columns used are found by name
  (``Event ID``, ``Event Date``, ``Event Type``, ``Event Mode``, ``Contexts``, ``Actor Name``,
  ``Actor Country``, ``Recipient Name``, ``Recipient Country``, ``Source``; the intensity
  column, ``Intensity`` or ``Event Intensity`` by release, is not used). Missing values are
  written ``None`` (also accepted: empty, ``NA``); several values in one field are separated
  by ``;``. The files are read as UTF-8: a byte that is not is refused (an invalid row naming
  the column, line and byte; with ``--skip-invalid`` the row is skipped), never guessed at,
  since a wrong guess would be stored for good. A file in Latin-1 (ISO-8859-1), which some
  readers of these files assume, is converted first (``iconv -f latin1 -t utf-8``).
- PLOVER JSON Lines as in the PLOVER codebook's "PLOVER JSON" table (``id``, ``date``,
  ``actor`` and ``recipient`` as lists of entity objects with a ``code``, ``event``, ``mode``,
  ``context``).

Which rows are kept
    Rows with an actor country and a recipient country that stand for two different states
    (country names or ISO codes, through :func:`events.parties.resolve`; PLOVER's own codes
    are in ``events/data/plover_countries.csv``: ``KOS`` is Kosovo). PLOVER's non-state
    entities in the country fields (``IGO``, ``UNO``, ``EUR``, ...), a missing country, or the
    same state on both sides:
    filtered out as "not a state-to-state event" (counted, not errors), as for GDELT and ICEWS.
    PLOVER codes compound actors as lists ("the United States and France accused Russia"):
    such a row becomes one event per actor-recipient pair of states, as the codebook suggests
    for dyadic use.

How a kept row becomes an event
    - ``type`` and weight from ``events/data/plover.csv`` (see ``plover.md``): each PLOVER event
      type and mode has the closest vocabulary type (or the generic ``cameo`` type with the
      closest CAMEO code) and the PLOVER score of the codebook's conflict-cooperation table as
      its weight. Structural types are never produced (as for GDELT). A mode the table does
      not know falls back to the type's row; an unknown event type is an error;
    - ``event_id`` = ``polecat:<Event ID>``, with ``/<ACTOR>-<RECIPIENT>`` appended when the
      row names several pairs: importing a file twice adds nothing;
    - ``occurred_on`` = Event Date; ``confidence`` = 0.5 (one story, as ICEWS);
    - ``summary`` keeps the original codes: ``POLECAT ASSAULT/aerial [military]: <actor> ->
      <recipient>``; ``source`` = Source.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

from events.errors import TrackerError
from events.named import NamedTuple
from events.parties import parties, resolve
from tracker import limits
from tracker.importers.cameo import Coded, FieldError, bad, coded_event, dated_party, iso_date
from tracker.importers.inputs import Source
from tracker.importers.reader import (
    NOT_STATE_TO_STATE,
    SPLIT_ROW,
    ImportFormatError,
    Item,
    Skip,
    decode_error,
)
from tracker.store.rows import Prepared

REQUIRED = ("Event ID", "Event Date", "Event Type", "Actor Country", "Recipient Country")
OPTIONAL = ("Event Mode", "Contexts", "Actor Name", "Recipient Name", "Source")
MISSING = frozenset({"", "None", "NA", "null"})
CONFIDENCE = 0.5
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+#=-]{0,150}")
_SPLIT = re.compile(r"\s*[;|]\s*")


class Mapping(NamedTuple):
    """One row of ``plover.csv``: what a PLOVER event type and mode become."""

    plover_type: str
    mode: str
    type: str
    cameo_code: str
    weight: float


@cache
def country_codes() -> dict[str, str | None]:
    """``plover_countries.csv``: PLOVER's own codes in the country fields -> party (None: a
    non-state entity such as ``UNO``, ``NGO``); every other value is a name or ISO code."""
    text = resources.files("events").joinpath("data", "plover_countries.csv").read_text("utf-8")
    return {row["code"]: row["party"] or None for row in csv.DictReader(io.StringIO(text))}


@cache
def mappings() -> dict[tuple[str, str], Mapping]:
    """``plover.csv`` keyed by (PLOVER event type, mode); mode "" is the type's own row."""
    text = resources.files("events").joinpath("data", "plover.csv").read_text(encoding="utf-8")
    out: dict[tuple[str, str], Mapping] = {}
    for row in csv.DictReader(io.StringIO(text)):
        m = Mapping(
            row["plover_type"], row["mode"], row["type"], row["cameo_code"], float(row["weight"])
        )
        out[(m.plover_type, m.mode)] = m
    return out


def _key(text: str) -> str:
    """Codes compared as the codebook writes them: ``ASSAULT``, ``heavy-weapons``."""
    return text.strip().replace("_", "-").replace(" ", "-")


def mapping_for(event_type: str, modes: Sequence[str]) -> Mapping:
    """The table row for a PLOVER event type and its modes: the first mode the table knows,
    else the type's own row; an unknown type raises ``FieldError``."""
    table = mappings()
    kind = _key(event_type).upper()
    if (kind, "") not in table:
        known = sorted({t for t, _ in table})
        raise bad("Event Type", event_type, f"not a PLOVER event type ({', '.join(known)})")
    for mode in modes:
        found = table.get((kind, _key(mode).lower()))
        if found is not None:
            return found
    return table[(kind, "")]


def _values(text: str) -> list[str]:
    """A field's values: several are separated by ``;`` (or ``|``); missing ones dropped."""
    return [v for v in _SPLIT.split(text.strip()) if v not in MISSING]


def _state(value: str, column: str) -> str | None:
    """The state a country field value names (a name or a 3-letter code); None if it names
    a non-state entity."""
    own = country_codes()
    if value in own and own[value] is None:
        return None
    code = own.get(value) or value
    try:
        party = resolve(code)
    except TrackerError as exc:
        raise bad(column, value, exc.message.split(": ", 1)[-1]) from None
    return party if parties()[party].kind in ("country", "state", "former") else None


class Record(NamedTuple):
    """A PLOVER record in either layout, as plain strings and lists."""

    event_id: str
    date: str
    event_types: list[str]
    modes: list[str]
    contexts: list[str]
    actors: list[str]
    recipients: list[str]
    actor_name: str
    recipient_name: str
    source: str


def read(src: Source) -> Iterator[Item | Skip]:
    header: dict[str, int] | None = None
    names: list[str] = []  # every header cell, to name the column of a bad byte
    width = 0
    for line, raw in src.lines():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = _not_utf8(raw, exc, names if header is not None else None)
            if header is None and error.field != "line":  # the header line itself
                raise ImportFormatError(
                    error.message, field=error.field, value=error.value, line=line, source=src.name
                ) from None
            yield Skip(line, "not UTF-8", error)
            continue
        text = text.rstrip("\r\n")
        if line == 1:
            text = text.lstrip("\ufeff")
        if not text.strip():
            continue
        try:
            if header is None and text.lstrip().startswith("{"):
                record = _from_json(text)
            elif header is None:
                header, width = _header(text, src.name, line), len(text.split("\t"))
                names = [c.strip() for c in text.split("\t")]
                continue
            else:
                f = text.split("\t")
                if len(f) != width:
                    raise TrackerError(
                        f"columns {len(f)}: expected {width} tab-separated fields (as in the "
                        f"header{SPLIT_ROW if len(f) < width else ''})",
                        field="columns",
                        value=len(f),
                    )
                record = _from_row(f, header)
            yield from _items(line, record)
        except FieldError as exc:
            yield Skip(line, f"invalid {exc.field}", exc)
        except ImportFormatError:
            raise
        except TrackerError as exc:
            yield Skip(line, f"invalid {exc.field or 'event'}", exc)


def _not_utf8(raw: bytes, exc: UnicodeDecodeError, header: list[str] | None) -> TrackerError:
    """A line that is not UTF-8, naming the column (a tab-separated row) and the byte."""
    hint = "; a Latin-1 file is converted first: iconv -f latin1 -t utf-8"
    if header is None and raw.lstrip()[:1] != b"{":
        return decode_error(raw, exc, what="header", hint=hint)
    return decode_error(raw, exc, header, hint=hint)


def _header(text: str, name: str, line: int) -> dict[str, int]:
    cells = [c.strip() for c in text.split("\t")]
    missing = [c for c in REQUIRED if c not in cells]
    if missing:
        raise ImportFormatError(
            f"header: no {', '.join(repr(c) for c in missing)} column (a POLECAT file starts "
            f"with a header line: {', '.join(REQUIRED)}, ...)",
            field="column",
            value=missing[0],
            line=line,
            source=name,
        )
    return {c: cells.index(c) for c in REQUIRED + OPTIONAL if c in cells}


def _from_row(f: list[str], col: dict[str, int]) -> Record:
    def get(name: str) -> str:
        at = col.get(name)
        value = f[at].strip() if at is not None else ""
        return "" if value in MISSING else value

    return Record(
        get("Event ID"),
        get("Event Date"),
        _values(get("Event Type")),
        _values(get("Event Mode")),
        _values(get("Contexts")),
        _values(get("Actor Country")),
        _values(get("Recipient Country")),
        get("Actor Name"),
        get("Recipient Name"),
        get("Source"),
    )


def _from_json(text: str) -> Record:
    try:
        obj = limits.loads(text)
    except ValueError as exc:
        raise TrackerError(f"line: not valid JSON ({exc})", field="line", value=None) from None
    if not isinstance(obj, dict):
        raise TrackerError("line: not a JSON object", field="line", value=None)

    def strings(value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [str(v).strip() for v in items if v is not None and str(v).strip() not in MISSING]

    def codes(value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return strings([v.get("code") if isinstance(v, dict) else v for v in items])

    def names(value: Any) -> str:
        items = value if isinstance(value, list) else [value]
        texts = [v.get("entity_text") for v in items if isinstance(v, dict)]
        return "; ".join(t for t in texts if isinstance(t, str) and t)

    cite_info = obj.get("cite_info")
    cite: dict[str, Any] = cite_info if isinstance(cite_info, dict) else {}
    return Record(
        str(obj.get("id") or ""),
        str(obj.get("date") or ""),
        strings(obj.get("event")),
        strings(obj.get("mode")),
        strings(obj.get("context")),
        codes(obj.get("actor")),
        codes(obj.get("recipient")),
        names(obj.get("actor")),
        names(obj.get("recipient")),
        str(cite.get("publication") or ""),
    )


def _items(line: int, r: Record) -> Iterator[Item | Skip]:
    if not r.event_types:
        raise bad("Event Type", "", "missing")
    if len(r.event_types) > 1:
        raise bad("Event Type", "; ".join(r.event_types), "one event type per record")
    mapping = mapping_for(r.event_types[0], r.modes)
    day = iso_date(r.date, "Event Date")
    actors = _states(r.actors, "Actor Country", day)
    recipients = _states(r.recipients, "Recipient Country", day)
    pairs = [(a, b) for a in actors for b in recipients if a != b]
    if not pairs:
        yield Skip(line, NOT_STATE_TO_STATE)
        return
    if not _ID.fullmatch(r.event_id):
        raise bad("Event ID", r.event_id, "must be 1-151 letters, digits or . _ : @ / + # = -")
    codes = r.event_types[0] + (f"/{'/'.join(r.modes)}" if r.modes else "")
    if r.contexts:
        codes += f" [{'; '.join(r.contexts)}]"
    who = f"{r.actor_name or '; '.join(r.actors)} -> {r.recipient_name or '; '.join(r.recipients)}"
    for a, b in pairs:
        suffix = f"/{a}-{b}" if len(pairs) > 1 else ""
        yield Item(line, _event(mapping, f"polecat:{r.event_id}{suffix}", a, b, day, r, codes, who))


def _states(values: list[str], column: str, day: str) -> list[str]:
    out: list[str] = []
    for value in values:
        state = _state(value, column)
        if state is not None:
            state = dated_party(state, day, column)
            if state not in out:
                out.append(state)
    return out


def _event(
    m: Mapping, event_id: str, a: str, b: str, day: str, r: Record, codes: str, who: str
) -> Prepared:
    return coded_event(
        Coded(
            type_name=m.type,
            event_id=event_id,
            actor=a,
            target=b,
            occurred_on=day,
            source=r.source or None,
            summary=f"POLECAT {codes}: {who}"[:2000].strip(),
            confidence=CONFIDENCE,
            weight=m.weight,
            cameo_code=m.cameo_code,
        )
    )
