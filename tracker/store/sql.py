"""The ``events`` table: its columns, its schema, and every query the application asks of it.

This is the one module that names the table's columns and builds its SQL (a test fails if any
module outside :mod:`tracker.store` names the table in SQL). Placeholders are ``?`` (SQLite's
qmark style); a backend with another style translates them (``sql.replace("?", "%s")`` is
enough for these statements: none has a literal ``?``). Every value a user supplies reaches
SQL as a bound parameter; the only text spliced in is column names and vocabulary literals
defined here.

Layout (schema version 1; readable by any SQLite tool): ``seq`` = position in the log (1, 2,
...); the envelope columns for indexed reads, ``party_a < party_b`` the unordered dyad;
``body`` = the canonical JSON of the event; ``recorded_at`` = transaction time; ``hash`` =
the chain hash (see :mod:`tracker.store.rows`). Triggers refuse UPDATE and DELETE (and an
INSERT OR REPLACE over a stored row, which would otherwise delete it without firing the
DELETE trigger).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from events.dyad import dyad_of
from projections.facts import CORRECT, RECORD_TYPES, RETRACT
from tracker.store import derived
from tracker.store.rows import ALL_ROWS, RowFilter

if TYPE_CHECKING:
    from projections.facts import Fact

TABLE = "events"

EVENT_COLUMNS = (
    "seq",
    "event_id",
    "type",
    "code",
    "actor",
    "target",
    "party_a",
    "party_b",
    "occurred_on",
    "confidence",
    "weight",
    "refers_to",
    "recorded_at",
    "body",
    "hash",
)
"""Every column, in table order (what ``verify`` reads)."""

ROW_COLUMNS = (
    "seq, event_id, type, code, actor, target, occurred_on, confidence, weight, "
    "refers_to, recorded_at, body, hash"
)
"""The columns of a :class:`tracker.store.rows.Row`, in its field order."""

SCHEMA = """
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    code         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    target       TEXT NOT NULL,
    party_a      TEXT NOT NULL,
    party_b      TEXT NOT NULL,
    occurred_on  TEXT NOT NULL,
    confidence   REAL NOT NULL,
    weight       REAL,
    refers_to    TEXT,
    recorded_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX events_dyad_date ON events (party_a, party_b, occurred_on);
CREATE INDEX events_date ON events (occurred_on);
CREATE INDEX events_refers_to ON events (refers_to) WHERE refers_to IS NOT NULL;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;
CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq OR event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'the event log is append-only: REPLACE refused'); END;
"""


def schema_statements() -> list[str]:
    """The statements of :data:`SCHEMA`, one each (table, indexes, triggers)."""
    return [s for s in SCHEMA.split(";\n") if s.strip()]


INSERT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({','.join('?' * 15)})"
HEAD = "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
COUNT = "SELECT count(*) FROM events"
ANY_EVENT = "SELECT 1 FROM events LIMIT 1"
SEQ_KNOWN_AT = "SELECT coalesce(max(seq), 0) FROM events WHERE recorded_at <= ?"
WITHOUT_PREFIX = "SELECT coalesce(sum(substr(event_id, 1, ?) != ?), 0) FROM events"
BY_ID = f"SELECT {ROW_COLUMNS} FROM events WHERE event_id = ?"
HASH_AT = "SELECT hash FROM events WHERE seq = ?"
FIRST_DAY = "SELECT min(occurred_on) FROM events WHERE party_a = ? AND party_b = ?"
MOVED_DATES = (
    f"SELECT 1 FROM events WHERE party_a = ? AND party_b = ? AND type = '{CORRECT}' "
    "AND json_extract(body, '$.changes.occurred_on') IS NOT NULL LIMIT 1"
)
"""Whether a correction in the dyad moves an event in time (then only a full refold is right)."""
SCAN = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY seq"
"""Every stored value of every row, as stored (verify checks the types itself)."""
CHAIN_UPTO = "SELECT seq, recorded_at, body, hash FROM events WHERE seq <= ? ORDER BY seq"
CHAIN_AFTER = "SELECT seq, recorded_at, body, hash FROM events WHERE seq > ? ORDER BY seq LIMIT 1"

assert "?" not in RETRACT + CORRECT  # vocabulary literals are spliced in below


def existing(count: int) -> str:
    """``event_id, seq, body`` of the given ids (``count`` placeholders)."""
    return f"SELECT event_id, seq, body FROM events WHERE event_id IN ({','.join('?' * count)})"


def dyads(*, party: str | None, max_seq: int | None) -> tuple[str, list[Any]]:
    """The distinct dyads with events (up to ``max_seq``), optionally involving ``party``."""
    sql = "SELECT DISTINCT party_a, party_b FROM events"
    where, params = _where(party=party, max_seq=max_seq)
    return sql + where + " ORDER BY party_a, party_b", params


def _where(*, party: str | None = None, max_seq: int | None = None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if max_seq is not None:
        clauses.append("seq <= ?")
        params.append(max_seq)
    if party:
        clauses.append("(party_a = ? OR party_b = ?)")
        params += [party, party]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


ORDER_BY = {
    "seq": " ORDER BY seq",
    "occurred": " ORDER BY occurred_on, seq",
    "latest": " ORDER BY occurred_on DESC, seq DESC",
}
"""The SQL of each of :data:`~tracker.store.rows.ORDERS`."""


PG_TEXT = "coalesce(body::jsonb ->> '{0}', body::jsonb #>> '{{changes,{0}}}') ~* ?"
"""PostgreSQL: one searched field (summary or source; a correction's changed one) matches."""


def rows(
    where: RowFilter = ALL_ROWS,
    *,
    columns: str = ROW_COLUMNS,
    dialect: str = "sqlite",
    dyad_records: bool = True,
) -> tuple[str, list[Any]]:
    """A select of ``columns`` matching every filter of ``where`` (``dyad`` in either order).
    ``dialect`` (``sqlite`` or ``postgresql``) says how ``search`` is done (see
    :mod:`tracker.store.search`); everything else is the same SQL on both.
    ``dyad_records``: whether the store has :data:`~tracker.store.derived.RECORDS_INDEX` (one
    opened read-only at an older derived layout may not; see :func:`records_index`)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("actor", where.actor),
        ("target", where.target),
        ("refers_to", where.refers_to),
    ):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.dyad:
        clauses.append("party_a = ? AND party_b = ?")
        params += list(dyad_of(*where.dyad))
    types, exclude = where.types, where.exclude_types
    if types:
        clauses.append(f"type IN ({','.join('?' * len(types))})")
        params += list(types)
    if exclude:
        clauses.append(f"type NOT IN ({','.join('?' * len(exclude))})")
        params += list(exclude)
    for clause, day in (("occurred_on >= ?", where.since), ("occurred_on <= ?", where.until)):
        if day:
            clauses.append(clause)
            params.append(day if isinstance(day, str) else day.isoformat())
    if where.max_seq is not None:
        clauses.append("seq <= ?")
        params.append(where.max_seq)
    if where.search is not None:
        from tracker.store import search  # here, not at the top: only `log --search` asks

        found = search.terms(where.search)
        if dialect == "sqlite":
            clauses.append(derived.SEARCH_MATCH)
            params.append(search.fts5_query(found))
        else:
            for term in found:
                pattern = search.postgres_pattern(term)
                clauses.append(f"({PG_TEXT.format('summary')} OR {PG_TEXT.format('source')})")
                params += [pattern, pattern]
    sql = f"SELECT {columns} FROM events"
    if types and set(types) <= RECORD_TYPES:
        # record-keeping events all refer to another: the partial indexes hold them and
        # nothing else, so they are found without reading every row of a dyad
        sql += f" INDEXED BY {records_index(where, dyad_records)}"
        clauses.append("refers_to IS NOT NULL")
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += ORDER_BY[where.order]
    if where.limit is not None:
        sql += " LIMIT ?"
        params.append(min(where.limit, 2**62))  # more than the log holds: all of it
    return sql, params


def records_index(where: RowFilter, dyad_records: bool) -> str:
    """The partial index that finds the record-keeping events ``where`` asks for: those
    referring to one event by that event (``events_refers_to``); a dyad's by the dyad
    (:data:`~tracker.store.derived.RECORDS_INDEX`, where the store has it: the other is keyed
    by the referred event, so through it a dyad's records are all the log's records read);
    the records of every dyad through ``events_refers_to``, the smaller."""
    if where.dyad and not where.refers_to and dyad_records:
        return derived.RECORDS_INDEX
    return "events_refers_to"


_RECORD_LIST = sorted(RECORD_TYPES)


def latest_events(
    a: str,
    b: str,
    until: str,
    max_seq: int | None,
    limit: int,
    summary: str,
    *,
    dyad_records: bool = True,
) -> tuple[str, list[Any]]:
    """The dyad's latest events on or before ``until`` (record-keeping ones left out), newest
    first, as ``seq, event_id, occurred_on, type, actor, target, summary, records``;
    ``summary`` is the backend's expression for the body's summary, so that no body is sent
    to be parsed, and ``records`` (the same on every row) whether the dyad has any
    record-keeping event up to ``max_seq``: one statement answers both questions a state
    report asks of the log. ``dyad_records`` as for :func:`rows`."""
    pa, pb = dyad_of(a, b)
    bounded = max_seq is not None
    params: list[Any] = [pa, pb, *([max_seq] if bounded else [])]
    params += [pa, pb, *_RECORD_LIST, until, *([max_seq] if bounded else [])]
    params.append(min(limit, 2**62))
    return _latest_events_statement(bounded, summary, dyad_records), params


@cache
def _latest_events_statement(bounded: bool, summary: str, dyad_records: bool) -> str:
    """The statement of :func:`latest_events`, built once (building it took a sixth of a
    call's time): :func:`rows` of its filter, with the records test as a column.
    An uncorrelated ``EXISTS`` is evaluated once per statement, through the partial index
    that :func:`rows` reads for a dyad's record-keeping events (:func:`records_index`): with
    :data:`~tracker.store.derived.RECORDS_INDEX`, a look-up of the dyad's first record, however
    many the log holds."""
    seq_bound = " AND seq <= ?" if bounded else ""
    index = records_index(RowFilter(dyad=("", "")), dyad_records)
    records = (
        f"EXISTS (SELECT 1 FROM events INDEXED BY {index} WHERE refers_to IS NOT NULL "
        f"AND type IN ({', '.join(map(repr, _RECORD_LIST))}) AND party_a = ? AND party_b = ?"
        f"{seq_bound})"
    )
    where = RowFilter(
        dyad=("", ""),  # (stand-ins: the statement depends only on which filters are set)
        until="?",
        max_seq=0 if bounded else None,
        exclude_types=_RECORD_LIST,
        order="latest",
        limit=0,
    )
    columns = f"seq, event_id, occurred_on, type, actor, target, {summary}, {records}"
    return rows(where, columns=columns)[0]


FACT_COLUMNS_HEAD = "seq, event_id, type, actor, target, occurred_on, code, confidence, weight"


@cache
def dyad_fact_columns() -> str:
    """:func:`fact_columns` for the vocabulary's structural types (what ``facts`` reads)."""
    from events.vocabulary import STRUCTURAL_EFFECTS, catalogue

    return fact_columns(
        [name for name, info in catalogue().items() if set(info.effects) & STRUCTURAL_EFFECTS]
    )


def facts_from(records: Iterable[Sequence[Any]]) -> Iterator[Fact]:
    """Projection facts from rows of :func:`dyad_fact_columns`: from the columns alone, or
    from the body where one was read."""
    import json

    from projections.facts import Fact, fact_from_body

    fromiso, new, empty = date.fromisoformat, tuple.__new__, Fact._field_defaults["fields"]
    for seq, event_id, type_, actor, target, day, code, conf, weight, body in records:
        if body is not None:
            yield fact_from_body(seq, json.loads(body))
        else:  # (the tuple built directly: Fact's generated __new__ is Python, per row)
            yield new(
                Fact,
                (
                    seq,
                    event_id,
                    type_,
                    actor,
                    target,
                    fromiso(day),
                    code,
                    conf,
                    weight,
                    None,
                    empty,
                ),
            )


@cache
def facts_by_dyad() -> str:
    """Every event's dyad and :func:`dyad_fact_columns` up to a position (the one
    parameter), in (dyad, day, seq) order, from a scan of the table in log order sorted by
    SQLite (``NOT INDEXED``; EXPLAIN QUERY PLAN: ``USE TEMP B-TREE FOR ORDER BY``).

    The ``events_dyad_date`` index gives the same order without a sort, but then each row is
    a look-up of a page of the table, and a dyad's rows lie scattered over all of it: at 1M
    events (a 690 MB file, in the OS cache) the index read took 3.6-3.8 s of CPU against
    2.3-2.8 s for the scan and sort, 0.28 s against 0.22 s at 100k. SQLite's sorter spills to
    temporary files beyond its cache, so memory stays flat (a 19 MB process at 1M)."""
    return (
        f"SELECT party_a, party_b, {dyad_fact_columns()} FROM events NOT INDEXED "
        "WHERE seq <= ? ORDER BY party_a, party_b, occurred_on, seq"
    )


def dyad_facts_from(
    records: Iterable[Sequence[Any]],
) -> Iterator[tuple[tuple[str, str], list[Fact]]]:
    """Each dyad's projection facts (as :func:`facts_from` makes them), dyad by dyad, from
    rows of :func:`facts_by_dyad`: one dyad in memory at a time."""
    import json

    from projections.facts import Fact, fact_from_body

    fromiso, new, empty = date.fromisoformat, tuple.__new__, Fact._field_defaults["fields"]
    days: dict[str, date] = {}
    facts: list[Fact] = []
    pa = pb = ""  # (no party code is empty)
    for a, b, seq, event_id, type_, actor, target, day, code, conf, weight, body in records:
        if b != pb or a != pa:
            if facts:
                yield (pa, pb), facts
            facts, pa, pb = [], a, b
        if body is not None:
            facts.append(fact_from_body(seq, json.loads(body)))
            continue
        on = days.get(day)
        if on is None:
            on = days[day] = fromiso(day)
        facts.append(
            new(Fact, (seq, event_id, type_, actor, target, on, code, conf, weight, None, empty))
        )
    if facts:
        yield (pa, pb), facts


def fact_columns(body_types: Sequence[str]) -> str:
    """The columns a projection fact needs; the body only for ``body_types`` (structural and
    record-keeping types), so that a fold reads little for the ordinary flow of events."""
    listed = ", ".join(repr(t) for t in sorted({*body_types, *RECORD_TYPES}))
    return f"{FACT_COLUMNS_HEAD}, CASE WHEN type IN ({listed}) THEN body END"


__all__ = ["EVENT_COLUMNS", "RETRACT", "ROW_COLUMNS", "SCHEMA"]
