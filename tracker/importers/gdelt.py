"""GDELT event exports: 1.0 (58 columns; 57 in the historical backfile, without SOURCEURL)
and 2.0 (61 columns). Tab-separated, no header, UTF-8; layouts in ``tests/data/gdelt/COLUMNS.md``.

Which rows are kept
    Rows whose Actor1CountryCode and Actor2CountryCode are both non-empty, both stand for a
    tracker party (see :mod:`.cameo`) and differ. A party is taken as it stood on SQLDATE:
    ``RUS`` in 1985 is the USSR (:func:`.cameo.dated_party`); a state coded outside its
    lifetime is an error naming its dates. Every other row is filtered out as "not a
    state-to-state event" (counted in the summary, not an error) and not checked further.
    A country code that is neither a known CAMEO code nor an ISO alpha-3 country is an error.

How a kept row becomes an event
    - ``event_id`` = ``gdelt:<GLOBALEVENTID>`` (importing a file twice adds nothing);
    - ``type`` from EventCode (:func:`.cameo.type_for_code`; never a structural type), or the
      generic ``cameo`` type with ``cameo_code`` = EventCode;
    - ``actor``/``target`` = the parties of Actor1CountryCode/Actor2CountryCode;
    - ``occurred_on`` = SQLDATE; ``source`` = SOURCEURL (absent in 57-column rows);
    - ``weight`` = GoldsteinScale (``-2`` and ``-2.0`` alike);
    - ``confidence`` = min(1, 0.5 + 0.1 * (NumSources - 1)), NumSources clipped to >= 1: one
      source 0.5, two 0.6, ..., six or more 1.0. (GDELT counts the distinct sources that
      reported the event in the update where it was first seen.)
    - ``summary`` = ``GDELT: <Actor1Name> <event description> <Actor2Name>`` (a name falls back
      to its country code).
"""

from __future__ import annotations

from collections.abc import Iterator

from events.errors import TrackerError
from tracker.importers.cameo import (
    Coded,
    FieldError,
    bad,
    code_table,
    coded_event,
    country_party,
    dated_party,
    scale,
    yyyymmdd,
)
from tracker.importers.inputs import Source
from tracker.importers.reader import NOT_STATE_TO_STATE, Item, Skip, decode_error

# column positions (0-based); the layouts differ only after column 37
GLOBALEVENTID, SQLDATE = 0, 1
ACTOR1NAME, ACTOR1COUNTRY, ACTOR2NAME, ACTOR2COUNTRY = 6, 7, 16, 17
EVENTCODE, GOLDSTEIN, NUMSOURCES = 26, 30, 32
SOURCEURL = {58: 57, 61: 60}  # by column count; 57-column rows have none (inlined below)
WIDTHS = (57, 58, 61)


_CONFIDENCE = tuple((5 + min(max(n - 1, 0), 5)) / 10 for n in range(7))


def confidence(num_sources: int) -> float:
    """min(1, 0.5 + 0.1 * (NumSources - 1)) for NumSources >= 1, computed exactly in tenths."""
    return _CONFIDENCE[min(max(num_sources, 0), 6)]


def read(src: Source) -> Iterator[Item | Skip]:
    codes = code_table()
    new = tuple.__new__
    for line, raw in src.lines():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Skip(line, "not UTF-8", decode_error(raw, exc, ()))  # (no header: "column N")
            continue
        f = text.rstrip("\r\n").split("\t")
        width = len(f)
        if width not in WIDTHS:
            if width == 1 and not f[0]:
                continue  # a blank line
            yield Skip(
                line,
                "wrong column count",
                TrackerError(
                    f"columns {width}: expected 57 or 58 (GDELT 1.0) or 61 (GDELT 2.0) "
                    "tab-separated fields",
                    field="columns",
                    value=width,
                ),
            )
            continue
        c1 = f[ACTOR1COUNTRY]
        c2 = f[ACTOR2COUNTRY]
        if not c1 or not c2 or c1 == c2:
            yield Skip(line, NOT_STATE_TO_STATE)
            continue
        try:
            actor = _country(c1, "Actor1CountryCode")
            target = _country(c2, "Actor2CountryCode")
            if actor is None or target is None or actor == target:
                yield Skip(line, NOT_STATE_TO_STATE)
                continue
            gid = f[GLOBALEVENTID]
            if not (gid.isdigit() and gid.isascii()):
                raise bad("GLOBALEVENTID", gid, "not a whole number")
            occurred_on = yyyymmdd(f[SQLDATE], "SQLDATE")
            actor = dated_party(actor, occurred_on, "Actor1CountryCode")
            target = dated_party(target, occurred_on, "Actor2CountryCode")
            if actor == target:
                yield Skip(line, NOT_STATE_TO_STATE)
                continue
            code = f[EVENTCODE]
            known = codes.get(code)
            if known is None:
                raise bad("EventCode", code, "not a CAMEO event code (2-4 digits, e.g. '0311')")
            weight = scale(f[GOLDSTEIN], "GoldsteinScale")
            sources = f[NUMSOURCES]
            if not (sources.isdigit() and sources.isascii()):
                raise bad("NumSources", sources, "not a whole number")
            source = (
                f[57].strip() or None
                if width == 58
                else (f[60].strip() or None if width == 61 else None)
            )
            yield Item(
                line,
                coded_event(
                    new(  # (built directly: the named tuple's generated __new__ is Python)
                        Coded,
                        (
                            known[0],
                            "gdelt:" + gid,
                            actor,
                            target,
                            occurred_on,
                            source,
                            f"GDELT: {f[ACTOR1NAME].strip() or c1} {known[1]}"
                            f" {f[ACTOR2NAME].strip() or c2}",
                            _CONFIDENCE[min(int(sources), 6)],
                            weight,
                            code,
                        ),
                    )
                ),
            )
        except FieldError as exc:
            yield Skip(line, f"invalid {exc.field}", exc)
        except TrackerError as exc:  # the slow path's validation (a field of the event)
            yield Skip(line, f"invalid {exc.field or 'event'}", exc)


def _country(code: str, column: str) -> str | None:
    try:
        return country_party(code)
    except TrackerError as exc:
        raise bad(column, code, exc.message.split(": ", 1)[-1]) from None
