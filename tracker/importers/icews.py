"""ICEWS coded event files (the Harvard Dataverse release, doi:10.7910/DVN/28075): tab-separated
with a header line; the columns used are found by name::

    Event ID, Event Date, Source Name, Source Sectors, Source Country, Event Text, CAMEO Code,
    Intensity, Target Name, Target Sectors, Target Country, Story ID, Sentence Number,
    Publisher, City, District, Province, Country, Latitude, Longitude

Which rows are kept
    Rows whose Source Country and Target Country are both non-empty and differ. ICEWS names
    countries ("Russian Federation", "United States"); names resolve to parties with
    :func:`events.parties.resolve`, after a short table of ICEWS spellings it does not know
    (:data:`ICEWS_NAMES`); a name that resolves to nothing is an error. Other rows
    are filtered out as "not a state-to-state event" (counted, not errors).

How a kept row becomes an event
    - ``event_id`` = ``icews:<Event ID>``; ``occurred_on`` = Event Date (``YYYY-MM-DD``);
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

import re
from collections.abc import Iterator

from events.errors import TrackerError
from events.parties import resolve
from tracker.importers.cameo import FieldError, bad, code_table, coded_event, iso_date, scale
from tracker.importers.inputs import Source
from tracker.importers.reader import NOT_STATE_TO_STATE, ImportFormatError, Item, Skip, decode_error
from tracker.store.rows import Prepared

REQUIRED = ("Event ID", "Event Date", "Source Country", "CAMEO Code", "Intensity", "Target Country")
OPTIONAL = ("Source Name", "Event Text", "Target Name", "Story ID", "Publisher")
ICEWS_ONLY_CODES = {"1213": "121"}
CONFIDENCE = 0.5
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
            yield Skip(line, "not UTF-8", decode_error(raw, exc))
            continue
        text = text.rstrip("\r\n")
        if header is None:
            header = [h.strip() for h in text.lstrip("\ufeff").split("\t")]
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
        f = text.split("\t")
        if len(f) != width:
            yield Skip(
                line,
                "wrong column count",
                TrackerError(
                    f"columns {len(f)}: expected {width} tab-separated fields (as in the header)",
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


ICEWS_NAMES = {
    "Occupied Palestinian Territory": "PSE",
    "Democratic Republic of Congo": "COD",
    "Republic of Congo": "COG",
    "Macau": "MAC",
    "Serbia and Montenegro": "SRB",
    "Yugoslavia": "SRB",
}
"""ICEWS's spellings of country names that :func:`events.parties.resolve` does not know, with
the party each stands for (Serbia for its predecessors, as in ``cameo_countries.csv``)."""


def _party(name: str, column: str) -> str:
    known = ICEWS_NAMES.get(name)
    if known is not None:
        return known
    try:
        return resolve(name)
    except TrackerError as exc:
        raise bad(column, name, exc.message.split(": ", 1)[-1]) from None


def _get(f: list[str], col: dict[str, int], name: str) -> str:
    at = col.get(name)
    return f[at].strip() if at is not None else ""


def _row(f: list[str], col: dict[str, int], codes: dict[str, tuple[str, str]]) -> Prepared | None:
    source_country = _get(f, col, "Source Country")
    target_country = _get(f, col, "Target Country")
    if not source_country or not target_country:
        return None
    actor = _party(source_country, "Source Country")
    target = _party(target_country, "Target Country")
    if actor == target:
        return None
    event_id = _get(f, col, "Event ID")
    if not _ID.fullmatch(event_id):
        raise bad("Event ID", event_id, "must be 1-190 letters, digits or . _ : @ / + # = -")
    occurred_on = iso_date(_get(f, col, "Event Date"), "Event Date")
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
