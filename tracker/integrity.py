"""Whole-file checks for ``verify``: the file is physically sound, holds exactly the objects
the store creates, and its ``meta`` and ``projection_meta`` rows are what they must be.

A hash chain and a Merkle tree prove the log's rows; they say nothing about a damaged index
page (SQLite may then answer queries wrongly), a table or view someone added, or the metadata
beside the log. These checks do, reading the file through the same read-only snapshot as the
rest of ``verify`` (so a store on read-only media can be checked).
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache
from typing import Any

from tracker.audit import Fault
from tracker.store import Store, derived, sql, tree
from tracker.store.rows import timestamp_pattern
from tracker.store.sqlite import SCHEMA_VERSION, SQLiteStore

PHYSICAL_REPORT_LINES = 5
"""How many of SQLite's own messages a physical fault quotes."""

META_KEYS = frozenset({"app", "schema_version", "created_at"})
PROJECTION_META_KEYS = frozenset({"layout", "model", "fingerprint"})


def _names(statements: list[str], kind: str) -> set[str]:
    pattern = re.compile(rf"CREATE (?:UNIQUE )?{kind} (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)
    return {m.group(1) for s in statements if (m := pattern.search(s))}


@cache
def search_tables() -> frozenset[str]:
    """The tables the search index is made of (FTS5 keeps it in shadow tables beside the
    virtual one), as this SQLite creates them: read from an in-memory database, so a SQLite
    version with other shadow tables is still right. (Plain ``sqlite3``: verify is a hot path,
    and importing ``sqlite-utils`` would cost it more than the check.)"""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(derived.SEARCH_DDL)
        return frozenset(
            str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
    finally:
        conn.close()


def expected_objects(schema_version: int) -> dict[str, set[str]]:
    """type -> names of every object a healthy store of ``schema_version`` holds (SQLite's
    automatic indexes for UNIQUE and TEXT primary keys included; the derived tables and the
    search index may be missing: they are rebuilt from the log)."""
    log = sql.schema_statements() + (tree.schema_statements() if schema_version >= 2 else [])
    ddl = [s for s in derived.DDL.split(";\n") if s.strip()]
    return {
        "table": {"meta", *_names(log, "TABLE"), *_names(ddl, "TABLE"), *search_tables()},
        "index": {
            *_names(log, "INDEX"),
            *_names(ddl, "INDEX"),
            "sqlite_autoindex_meta_1",
            "sqlite_autoindex_events_1",
            f"sqlite_autoindex_{derived.META_TABLE}_1",
        },
        "trigger": _names(log, "TRIGGER") | _names(ddl, "TRIGGER"),
        "view": set(),
    }


def check_physical(store: SQLiteStore, *, deep: bool = False) -> list[Fault]:
    """SQLite's own check of every page: ``PRAGMA quick_check`` (``integrity_check`` with
    ``deep``, which also compares each index with its table)."""
    pragma = "integrity_check" if deep else "quick_check"
    try:
        lines = [str(r[0]) for r in store.conn.execute(f"PRAGMA {pragma}").fetchall()]
    except sqlite3.DatabaseError as exc:
        lines = [str(exc)]
    if lines == ["ok"]:
        return []
    shown = "; ".join(lines[:PHYSICAL_REPORT_LINES])
    more = f" (and {len(lines) - PHYSICAL_REPORT_LINES} more)" if len(lines) > 5 else ""
    return [Fault("physical", f"PRAGMA {pragma} reports damage: {shown}{more}")]


def check_objects(store: SQLiteStore) -> list[Fault]:
    """No table, view, index or trigger that the store does not create (those on the log's
    tables are compared statement by statement by ``verify.check_schema``)."""
    meta = stored_meta(store)
    try:
        version = int(meta.get("schema_version", SCHEMA_VERSION))
    except ValueError:
        version = SCHEMA_VERSION
    expected = expected_objects(version)
    faults = []
    for kind, name, table in store.schema_objects():
        if table in ("events", tree.TABLE) and kind != "view":
            continue  # the log's own objects: verify's check_schema compares them exactly
        if name not in expected.get(kind, set()):
            on = f" on {table}" if table and table != name else ""
            faults.append(
                Fault("schema", f"unexpected {kind} {name}{on}: the store never creates it")
            )
    if version >= 2 and tree.TABLE not in store.tables():
        faults.append(Fault("schema", f"the {tree.TABLE} table (the Merkle tree) is missing"))
    return faults


def stored_meta(store: Store) -> dict[str, str]:
    """The ``meta`` rows, or none if the table is missing or unreadable (reported apart)."""
    try:
        return store.meta()
    except sqlite3.DatabaseError:
        return {}


def check_meta_rows(store: SQLiteStore) -> list[Fault]:
    """``meta`` holds exactly ``app``, ``schema_version`` and ``created_at``, the last a UTC
    timestamp (an import of an export keeps the events' older transaction times, so the value
    itself is bound only by a checkpoint's ``created_at`` line)."""
    if "meta" not in store.tables():
        return []  # check_meta reports it
    meta = stored_meta(store)
    faults = [
        Fault("meta", f"meta row {key!r} is not one the store writes")
        for key in sorted(set(meta) - META_KEYS)
    ]
    created = meta.get("created_at")
    if created is None:
        faults.append(Fault("meta", "meta row 'created_at' is missing"))
    elif not timestamp_pattern().fullmatch(created):
        faults.append(Fault("meta", f"meta created_at {created!r} is not a UTC timestamp"))
    return faults


def check_projection_meta(store: Store) -> list[Fault]:
    """Where the derived tables exist, ``projection_meta`` holds exactly their layout, the
    scoring model and that model's fingerprint."""
    if derived.META_TABLE not in store.tables():
        return []
    try:
        values: dict[str, Any] = store.projection_meta()
    except sqlite3.DatabaseError as exc:
        return [Fault("projection-meta", f"projection_meta is unreadable ({exc})")]
    faults = [
        Fault("projection-meta", f"projection_meta row {key!r} is missing")
        for key in sorted(PROJECTION_META_KEYS - set(values))
    ]
    faults += [
        Fault("projection-meta", f"projection_meta row {key!r} is not one the store writes")
        for key in sorted(set(values) - PROJECTION_META_KEYS)
    ]
    layout = values.get("layout")
    if layout is not None and layout != derived.LAYOUT:
        faults.append(
            Fault(
                "projection-meta",
                f"projection_meta layout {layout!r}: this version writes {derived.LAYOUT!r}",
            )
        )
    model, fingerprint = values.get("model"), values.get("fingerprint")
    if model is not None and fingerprint is not None:
        from tracker.checkpoints import model_from_json

        try:
            actual = model_from_json(model).fingerprint
        except Exception as exc:  # an edited model row: report, do not stop
            faults.append(Fault("projection-meta", f"projection_meta model is unreadable ({exc})"))
        else:
            if actual != fingerprint:
                faults.append(
                    Fault(
                        "projection-meta",
                        f"projection_meta fingerprint {fingerprint!r} is not the stored model's "
                        f"({actual})",
                    )
                )
    return faults
