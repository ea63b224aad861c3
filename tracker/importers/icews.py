"""ICEWS coded event files (the Harvard Dataverse release, doi:10.7910/DVN/28075): tab-separated
with a header line; the columns used are found by name::

    Event ID, Event Date, Source Name, Source Sectors, Source Country, Event Text, CAMEO Code,
    Intensity, Target Name, Target Sectors, Target Country, Story ID, Sentence Number,
    Publisher, City, District, Province, Country, Latitude, Longitude

Two layouts of the same columns are read alike
    - the Dataverse yearly files (``events.2018.<stamp>.tab``): no quoting at all (a ``"`` is
      text; the files are meant to be read with quoting off), missing values empty;
    - extracts re-written by R's readr (``write_tsv``): missing values written ``NA``, a value
      quoted (``"..."``, inner quotes doubled) where readr thought it needed it, column names
      possibly in readr style (``event_id``).
    Either may start with a UTF-8 byte order mark and end lines with CRLF. A field wholly
    wrapped in quotes is unquoted; ``NA`` and empty mean missing in every column.

Which rows are kept
    Rows whose Source Country and Target Country are both present and stand for two different
    parties. ICEWS names countries ("Russian Federation", "the former Yugoslav Republic of
    Macedonia"); every name in the ICEWS country list is in ``events/data/icews_countries.csv``
    with its party (see ``icews_countries.md``); other names go through
    :func:`events.parties.resolve`, and a name that resolves to nothing is an error. Rows with a
    missing country, or a country that is not a state, are filtered out as "not a state-to-state
    event" (counted, not errors).

How a kept row becomes an event
    - ``event_id`` = ``icews:<Event ID>``; ``occurred_on`` = Event Date (``YYYY-MM-DD``);
    - ``actor``/``target``: the parties of Source/Target Country on that date (a state's
      continuator named before it existed is recorded under its predecessor, see
      :func:`events.parties.place`);
    - ``type`` from CAMEO Code exactly as for GDELT (:func:`.cameo.type_for_code`). ICEWS has
      one code GDELT's table lacks, 1213 ("reject judicial cooperation"); it is filed under
      its parent 121 ("reject material cooperation"), keeping ICEWS's Intensity as the weight;
    - ``weight`` = Intensity (ICEWS's Goldstein value for the code);
    - ``confidence`` = 0.5: every ICEWS row is one sentence of one story, i.e. one source, which
      GDELT's rule (:func:`.gdelt.confidence`) also rates 0.5;
    - ``source`` = ``<Publisher> (ICEWS story <Story ID>)``;
    - ``summary`` = ``ICEWS: <Source Name> <Event Text> <Target Name>``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

from events.errors import TrackerError
from events.parties import resolve
from tracker.importers.cameo import (
    Coded,
    FieldError,
    bad,
    code_table,
    coded_event,
    dated_party,
    iso_date,
    scale,
)
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

REQUIRED = ("Event ID", "Event Date", "Source Country", "CAMEO Code", "Intensity", "Target Country")
OPTIONAL = ("Source Name", "Event Text", "Target Name", "Story ID", "Publisher")
ICEWS_ONLY_CODES = {"1213": "121"}
CONFIDENCE = 0.5
MISSING = frozenset({"", "NA"})
"""What a missing value looks like: empty (Dataverse files) or ``NA`` (readr)."""
_ID = re.compile(r"[A-Za-z0-9._:@/+#=-]{1,190}")


def read(src: Source) -> Iterator[Item | Skip]:
    codes = code_table()
    lines = src.lines()
    header: list[str] | None = None
    col: dict[str, int] = {}
    width = 0
    for line, raw in lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if header is None:
                raise ImportFormatError(
                    f"header: not valid UTF-8 text at byte {exc.start}",
                    field="line",
                    line=line,
                    source=src.name,
                ) from None
            yield Skip(line, "not UTF-8", decode_error(raw, exc, header))
            continue
        text = text.rstrip("\r\n")
        if header is None:
            header = [column_name(h) for h in text.lstrip("\ufeff").split("\t")]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise ImportFormatError(
                    f"header: no {', '.join(repr(c) for c in missing)} column (an ICEWS file "
                    f"starts with a header line: {', '.join(REQUIRED)}, ...)",
                    field="column",
                    value=missing[0],
                    line=line,
                    source=src.name,
                )
            col = {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}
            width = len(header)
            continue
        if not text:
            continue
        f = [_unquote(v) for v in text.split("\t")]
        if len(f) != width:
            yield Skip(
                line,
                "wrong column count",
                TrackerError(
                    f"columns {len(f)}: expected {width} tab-separated fields (as in the header"
                    f"{SPLIT_ROW if len(f) < width else ''})",
                    field="columns",
                    value=len(f),
                ),
            )
            continue
        try:
            item = _row(f, col, codes)
        except FieldError as exc:
            yield Skip(line, f"invalid {exc.field}", exc)
            continue
        except TrackerError as exc:  # the slow path's validation (a field of the event)
            yield Skip(line, f"invalid {exc.field or 'event'}", exc)
            continue
        yield Skip(line, NOT_STATE_TO_STATE) if item is None else Item(line, item)


def column_name(text: str) -> str:
    """A header cell as the Dataverse files spell it: unquoted, and readr-style names
    (``event_id``, ``cameo_code``) mapped back (``Event ID``, ``CAMEO Code``)."""
    name = _unquote(text.strip()).strip()
    return _COLUMNS.get(name.casefold().replace("_", " "), name)


_COLUMNS = {c.casefold(): c for c in REQUIRED + OPTIONAL}


def _unquote(value: str) -> str:
    """A field wholly wrapped in double quotes, as readr writes it, without them (inner
    doubled quotes undone); any other field exactly as it is."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        if '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return value


@cache
def country_table() -> dict[str, str | None]:
    """``icews_countries.csv``: every country name of the ICEWS releases -> its party (None:
    not a state)."""
    text = resources.files("events").joinpath("data", "icews_countries.csv").read_text("utf-8")
    return {row["name"]: row["party"] or None for row in csv.DictReader(io.StringIO(text))}


def _party(name: str, column: str, day: str) -> str | None:
    table = country_table()
    if name in table:
        code = table[name]
    else:
        try:
            code = resolve(name)
        except TrackerError as exc:
            raise bad(column, name, exc.message.split(": ", 1)[-1]) from None
    return None if code is None else dated_party(code, day, column)


def _get(f: list[str], col: dict[str, int], name: str) -> str:
    at = col.get(name)
    if at is None:
        return ""
    value = f[at].strip()
    return "" if value in MISSING else value


def _row(f: list[str], col: dict[str, int], codes: dict[str, tuple[str, str]]) -> Prepared | None:
    source_country = _get(f, col, "Source Country")
    target_country = _get(f, col, "Target Country")
    if not source_country or not target_country:
        return None
    occurred_on = iso_date(_get(f, col, "Event Date"), "Event Date")
    actor = _party(source_country, "Source Country", occurred_on)
    target = _party(target_country, "Target Country", occurred_on)
    if actor is None or target is None or actor == target:
        return None
    event_id = _get(f, col, "Event ID")
    if not _ID.fullmatch(event_id):
        raise bad("Event ID", event_id, "must be 1-190 letters, digits or . _ : @ / + # = -")
    raw_code = _get(f, col, "CAMEO Code")
    code = ICEWS_ONLY_CODES.get(raw_code, raw_code)
    known = codes.get(code)
    if known is None:
        raise bad("CAMEO Code", raw_code, "not a CAMEO event code (2-4 digits, e.g. '0311')")
    type_name = known[0]
    weight = scale(_get(f, col, "Intensity"), "Intensity")
    publisher, story = _get(f, col, "Publisher"), _get(f, col, "Story ID")
    source = (
        f"{publisher} (ICEWS story {story})"
        if publisher and story
        else publisher or (f"ICEWS story {story}" if story else None)
    )
    name1 = _get(f, col, "Source Name") or source_country
    name2 = _get(f, col, "Target Name") or target_country
    text = _get(f, col, "Event Text") or known[1]
    return coded_event(
        Coded(
            type_name=type_name,
            event_id="icews:" + event_id,
            actor=actor,
            target=target,
            occurred_on=occurred_on,
            source=source,
            summary=f"ICEWS: {name1} {text} {name2}",
            confidence=CONFIDENCE,
            weight=weight,
            cameo_code=code,
        )
    )
