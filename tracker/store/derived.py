"""The derived tables' SQL: materialised checkpoints, structural status, projection metadata.

Derived and disposable (see :mod:`tracker.checkpoints` for what they mean and how they are
kept current): a store whose derived tables have another :data:`LAYOUT` (or none) gets them
dropped and recomputed from the log. Tables (party_a < party_b)::

    checkpoints (party_a, party_b, day, s_ab, s_ba, d_ab, d_ba, label, n_verbal_coop,
                 n_material_coop, n_verbal_conflict, n_material_conflict, events)
    structure (party_a, party_b, day, status)
    projection_meta (key, value)
    events_fts (summary, source)   an FTS5 index of each event's text, rowid = seq

and, on the log's table, :data:`RECORDS_INDEX` (layout 4 on): each dyad's record-keeping
events (retractions, corrections), so that a state report finds a dyad's records without
reading every record of the log. It holds nothing but what the log's rows say, so it is derived
like the tables: created with them (``IF NOT EXISTS``: dropping the tables for a new layout
leaves it), and an older store gets it when its derived tables are recreated for this layout,
without a row of the log being touched. A store opened read-only at an older layout lacks it:
the statements that would use it then read the records as before (see
:func:`tracker.store.sql.rows`).

The search index (:data:`SEARCH_TABLE`) is derived too, but kept by the SQLite store itself
rather than by the projections: created with the store (or, when missing, the next time it is
opened for writing: a store of an older version, or one whose index was dropped), extended in
each append's transaction (:data:`INDEX_FROM`) and refilled by a rebuild. It is contentless:
it holds the index, not a copy of the text, which the log holds. It is no part of
:data:`LAYOUT`, so adding it changed no checkpoint and needed no recomputation.
"""

from __future__ import annotations

LAYOUT = "4"
"""Version of the derived tables' layout (4: :data:`RECORDS_INDEX` added)."""

RECORDS_INDEX = "events_dyad_records"
RECORDS_INDEX_DDL = (
    f"CREATE INDEX IF NOT EXISTS {RECORDS_INDEX} ON events (party_a, party_b, seq) "
    "WHERE refers_to IS NOT NULL"
)
"""A dyad's record-keeping events (they, and only they, refer to another event), in log
order: the same statement on SQLite and PostgreSQL."""

DDL = f"""
CREATE TABLE IF NOT EXISTS checkpoints (
    party_a TEXT NOT NULL,
    party_b TEXT NOT NULL,
    day     TEXT NOT NULL,
    s_ab    REAL NOT NULL,
    s_ba    REAL NOT NULL,
    d_ab    REAL NOT NULL,
    d_ba    REAL NOT NULL,
    label   TEXT NOT NULL,
    n_verbal_coop INTEGER NOT NULL,
    n_material_coop INTEGER NOT NULL,
    n_verbal_conflict INTEGER NOT NULL,
    n_material_conflict INTEGER NOT NULL,
    events  INTEGER NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS structure (
    party_a TEXT NOT NULL,
    party_b TEXT NOT NULL,
    day     TEXT NOT NULL,
    status  TEXT NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{RECORDS_INDEX_DDL};
"""

SEARCH_TABLE = "events_fts"
SEARCH_DDL = (
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(summary, source, content='', "
    "tokenize='unicode61 remove_diacritics 0')"
)
"""Accents are kept (``remove_diacritics 0``) so that SQLite and PostgreSQL (whose regular
expressions do not fold them) find the same events."""
INDEX_FROM = (
    f"INSERT INTO {SEARCH_TABLE} (rowid, summary, source) SELECT seq, "
    "coalesce(json_extract(body, '$.summary'), json_extract(body, '$.changes.summary')), "
    "coalesce(json_extract(body, '$.source'), json_extract(body, '$.changes.source')) "
    "FROM events WHERE seq > ?"
)
"""Index the text of every event after a position (0: the whole log)."""
SEARCH_MATCH = f"seq IN (SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ?)"

CHECKPOINT_FIELDS = (
    "day",
    "s_ab",
    "s_ba",
    "d_ab",
    "d_ba",
    "label",
    "n_verbal_coop",
    "n_material_coop",
    "n_verbal_conflict",
    "n_material_conflict",
    "events",
)
"""A checkpoint row's columns after its dyad, in table order."""
STRUCTURE_FIELDS = ("day", "status")
CHECKPOINT_COLUMNS = ", ".join(CHECKPOINT_FIELDS)
DERIVED_TABLES = ("checkpoints", "structure")
META_TABLE = "projection_meta"

WITH_STATUS = (
    f"SELECT {CHECKPOINT_COLUMNS}, (SELECT s.status FROM structure s WHERE s.party_a = c.party_a "
    "AND s.party_b = c.party_b AND s.day <= c.day ORDER BY s.day DESC LIMIT 1) "
    "FROM checkpoints c WHERE c.party_a = ? AND c.party_b = ?"
)
"""A checkpoint row with the structural status in force on its day (one statement)."""

ALL = WITH_STATUS + " ORDER BY c.day"
BEFORE = WITH_STATUS + " AND c.day < ? ORDER BY c.day DESC LIMIT 1"
ON_OR_BEFORE = WITH_STATUS + " AND c.day <= ? ORDER BY c.day DESC LIMIT 1"
INSERT_CHECKPOINT = (
    f"INSERT INTO checkpoints (party_a, party_b, {CHECKPOINT_COLUMNS}) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_STRUCTURE = "INSERT INTO structure (party_a, party_b, day, status) VALUES (?,?,?,?)"
SCAN_CHECKPOINTS = (
    f"SELECT party_a, party_b, {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY party_a, party_b, day"
)
"""Every checkpoint row as stored, in primary-key order (SQLite: a plain scan, no sort)."""
SCAN_STRUCTURE = (
    "SELECT party_a, party_b, day, status FROM structure ORDER BY party_a, party_b, day"
)
META = "SELECT key, value FROM projection_meta"
PUT_META = "INSERT OR REPLACE INTO projection_meta (key, value) VALUES (?, ?)"


def checkpoint_dyads(party: str | None) -> tuple[str, int]:
    """Dyads with a checkpoint on or before a day (first parameter), optionally involving
    ``party`` (then the second and third); returns (sql, number of parameters)."""
    sql = "SELECT DISTINCT party_a, party_b FROM checkpoints WHERE day <= ?"
    if party:
        return sql + " AND (party_a = ? OR party_b = ?)", 3
    return sql, 1
