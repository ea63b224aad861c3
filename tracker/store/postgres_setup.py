"""Setting up a PostgreSQL store: its location, the driver, connecting, the schema and the roles.

A location is ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&...]``: libpq's URL,
plus the store's own ``schema`` parameter (default ``tracker``), which is taken off before the
URL reaches libpq. Messages show the location with any password masked.

The driver is psycopg 3 (``pip install 'relations-tracker[postgres]'``); :func:`driver` imports
it, or says how to install it.

Roles (:func:`init_db`, or the statements of :func:`grants` run by hand): ``PREFIX_owner``
owns the schema and everything in it and cannot log in; ``PREFIX_append`` may read, INSERT
into the log and maintain the derived tables (INSERT and DELETE on checkpoints and structure,
INSERT and UPDATE on projection_meta), nothing else: no UPDATE, DELETE or TRUNCATE on the log
and no DDL, since only an owner may alter or drop a table or a trigger; ``PREFIX_read`` may only
read. Triggers (owned by the owner) refuse UPDATE, DELETE and TRUNCATE on ``events`` and
``meta`` as a second line of defence, even for the owner.

A little over 400 lines: most of it is the schema's DDL and the grants, kept together so that
what the database enforces can be read in one place.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.errors import StoreError
from tracker.store.derived import LAYOUT, RECORDS_INDEX_DDL
from tracker.store.rows import format_timestamp
from tracker.store.sqlite import APP_NAME, SCHEMA_VERSION

if TYPE_CHECKING:
    import psycopg

DEFAULT_SCHEMA = "tracker"
DEFAULT_ROLE_PREFIX = "tracker"
CONNECT_TIMEOUT_S = 10
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")


@dataclass(frozen=True)
class Location:
    """A parsed PostgreSQL location: what libpq is given, and the store's schema."""

    conninfo: str
    schema: str
    shown: str
    """The location with any password masked, for messages."""


def parse_location(url: str) -> Location:
    """Split the store's own ``schema`` parameter off a PostgreSQL URL (libpq refuses it)."""
    parts = urlsplit(url)
    schema, rest = DEFAULT_SCHEMA, []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            schema = value
        else:
            rest.append((key, value))
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = "&".join(  # a password given as a parameter is masked too
        f"{key}=***" if key == "password" else f"{key}={value}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    shown = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    if not _NAME.fullmatch(schema):
        raise StoreError(
            f"store {shown!r}: schema {schema!r} is not a plain lower-case name (letters, "
            "digits and _, at most 41 characters)",
            field="schema",
            value=schema,
        )
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
    return Location(conninfo, schema, shown)


def driver() -> Any:
    """The psycopg module, or a clear error when the ``postgres`` extra is not installed."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a PostgreSQL store needs the psycopg driver, which is not installed: "
            "pip install 'relations-tracker[postgres]'",
            field="driver",
            value="psycopg",
        ) from None
    return psycopg


def first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).strip().splitlines()[:1]).strip()
    return text or type(exc).__name__


def connect(location: Location) -> psycopg.Connection[Any]:
    """An autocommit connection (transactions are explicit), or a clear error when the server
    cannot be reached or refuses the login."""
    pg = driver()
    try:
        conn: psycopg.Connection[Any] = pg.connect(
            location.conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=APP_NAME,
        )
    except pg.Error as exc:
        raise StoreError(
            f"store {location.shown!r}: cannot connect to the PostgreSQL server "
            f"({' '.join(str(exc).split()) or type(exc).__name__})",
            field="store",
            value=location.shown,
        ) from None
    return conn


def lock_key(schema: str) -> int:
    """The advisory-lock key that serialises appends to one schema's log: a signed 64-bit
    number derived from the schema name (logs in other schemas do not wait on it)."""
    digest = hashlib.sha256(f"{APP_NAME}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# -- the schema --------------------------------------------------------------------------------

LOG_DDL = """
CREATE TABLE meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
CREATE TABLE events (
    seq          BIGINT PRIMARY KEY,
    event_id     TEXT COLLATE "C" NOT NULL UNIQUE,
    type         TEXT COLLATE "C" NOT NULL,
    code         TEXT COLLATE "C" NOT NULL,
    actor        TEXT COLLATE "C" NOT NULL,
    target       TEXT COLLATE "C" NOT NULL,
    party_a      TEXT COLLATE "C" NOT NULL,
    party_b      TEXT COLLATE "C" NOT NULL,
    occurred_on  TEXT COLLATE "C" NOT NULL,
    confidence   DOUBLE PRECISION NOT NULL,
    weight       DOUBLE PRECISION,
    refers_to    TEXT COLLATE "C",
    recorded_at  TEXT COLLATE "C" NOT NULL,
    body         TEXT COLLATE "C" NOT NULL,
    hash         TEXT COLLATE "C" NOT NULL
);
CREATE INDEX events_dyad_date ON events (party_a, party_b, occurred_on);
CREATE INDEX events_date ON events (occurred_on);
CREATE INDEX events_refers_to ON events (refers_to) WHERE refers_to IS NOT NULL;
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TABLE merkle_hashes (
    id   BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);
CREATE TRIGGER merkle_hashes_no_update BEFORE UPDATE ON merkle_hashes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER merkle_hashes_no_delete BEFORE DELETE ON merkle_hashes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER merkle_hashes_no_truncate BEFORE TRUNCATE ON merkle_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meta_no_truncate BEFORE TRUNCATE ON meta
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
"""
"""The log's tables (with the Merkle tree's ``merkle_hashes``, as :mod:`tracker.store.tree`
describes it), indexes and triggers, created inside the store's schema."""

INDEXES = ("events_dyad_date", "events_date", "events_refers_to")
"""The log's indexes ``verify`` expects (besides the primary key and the unique event_id)."""
TRIGGERS = {
    "events_no_update": "events",
    "events_no_delete": "events",
    "events_no_truncate": "events",
    "merkle_hashes_no_update": "merkle_hashes",
    "merkle_hashes_no_delete": "merkle_hashes",
    "merkle_hashes_no_truncate": "merkle_hashes",
    "meta_no_update": "meta",
    "meta_no_delete": "meta",
    "meta_no_truncate": "meta",
}
"""The append-only triggers ``verify`` expects to find enabled."""

DERIVED_DDL = f"""
CREATE TABLE checkpoints (
    party_a TEXT COLLATE "C" NOT NULL,
    party_b TEXT COLLATE "C" NOT NULL,
    day     TEXT COLLATE "C" NOT NULL,
    s_ab    DOUBLE PRECISION NOT NULL,
    s_ba    DOUBLE PRECISION NOT NULL,
    d_ab    DOUBLE PRECISION NOT NULL,
    d_ba    DOUBLE PRECISION NOT NULL,
    label   TEXT COLLATE "C" NOT NULL,
    n_verbal_coop INTEGER NOT NULL,
    n_material_coop INTEGER NOT NULL,
    n_verbal_conflict INTEGER NOT NULL,
    n_material_conflict INTEGER NOT NULL,
    events  INTEGER NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
);
CREATE TABLE structure (
    party_a TEXT COLLATE "C" NOT NULL,
    party_b TEXT COLLATE "C" NOT NULL,
    day     TEXT COLLATE "C" NOT NULL,
    status  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (party_a, party_b, day)
);
CREATE TABLE IF NOT EXISTS projection_meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
{RECORDS_INDEX_DDL};
"""
"""The derived tables (the same columns as :data:`tracker.store.derived.DDL`, in this
dialect: ``double precision`` for SQLite's 8-byte ``REAL``), and the index of each dyad's
record-keeping events on the log's table (:data:`tracker.store.derived.RECORDS_INDEX`)."""


def statements(script: str) -> list[str]:
    """The statements of a DDL script; a statement ends with ``;`` at the end of an unindented
    line (a function body's own semicolons are indented or inside ``$$``)."""
    out: list[str] = []
    current: list[str] = []
    for line in script.strip().splitlines():
        current.append(line)
        if line.endswith(";") and not line.startswith(" "):
            out.append("\n".join(current)[:-1])
            current = []
    if current:
        out.append("\n".join(current))
    return [s for s in out if s.strip()]


def schema_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        is not None
    )


def use_schema(conn: psycopg.Connection[Any], schema: str, *, local: bool = False) -> None:
    """Point the connection's search path at the store's schema (bound, never spliced)."""
    conn.execute("SELECT set_config('search_path', %s, %s)", (schema, local))


def create_schema(conn: psycopg.Connection[Any], schema: str, *, owner: str | None = None) -> bool:
    """Create the store's schema and the log unless it exists; True if this call created it.
    Runs under the store's advisory lock (two processes racing to create it are safe).
    ``owner``: a role to own it all (``init_db``), and then the derived tables are created
    too, so that the append role never needs DDL; else the current login owns it, and the
    derived tables are created on first use, as on SQLite."""
    from psycopg import sql

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(schema),))
        if schema_exists(conn, schema):
            return False
        if owner is None:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        else:
            conn.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                    sql.Identifier(schema), sql.Identifier(owner)
                )
            )
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(owner)))
        use_schema(conn, schema, local=True)
        for statement in statements(LOG_DDL) + (statements(DERIVED_DDL) if owner else []):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('app', %s), ('schema_version', %s), "
            "('created_at', %s)",
            (APP_NAME, str(SCHEMA_VERSION), format_timestamp(datetime.now(UTC))),
        )
        if owner:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO projection_meta (key, value) VALUES (%s, %s)", projection_rows()
                )
    return True


def projection_rows() -> list[tuple[str, str]]:
    """``projection_meta`` of a store created with its derived tables: their layout and the
    default scoring model (what the first append would record), so that the append role
    never needs DDL and ``verify`` finds the rows it expects."""
    from events.canonical import dumps
    from projections.model import DEFAULT_MODEL

    return [
        ("layout", LAYOUT),
        ("model", dumps(DEFAULT_MODEL.to_dict())),
        ("fingerprint", DEFAULT_MODEL.fingerprint),
    ]


# -- roles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    owner: str
    append: str
    read: str


def role_names(prefix: str = DEFAULT_ROLE_PREFIX) -> Roles:
    if not _NAME.fullmatch(prefix):
        raise StoreError(
            f"role prefix {prefix!r}: not a plain lower-case name", field="roles", value=prefix
        )
    return Roles(f"{prefix}_owner", f"{prefix}_append", f"{prefix}_read")


def grants(schema: str, roles: Roles) -> list[str]:
    """The statements that make the database itself enforce append-only (see the module
    docstring); the README shows them for a DBA who sets up roles by hand."""
    s, o, a, r = (f'"{x}"' for x in (schema, roles.owner, roles.append, roles.read))
    return [
        f"REVOKE ALL ON SCHEMA {s} FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {s} TO {a}, {r}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {a}, {r}",
        f"GRANT INSERT ON {s}.events, {s}.merkle_hashes TO {a}",
        *derived_grants(schema, roles.append),
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT SELECT ON TABLES TO {a}, {r}",
    ]


def setup_sql(schema: str, roles: Roles) -> str:
    """The whole set-up as one SQL script (``tracker init-db --show-sql``), for a DBA who
    runs it by hand on a database without these roles: the roles, the schema owned by the
    owner role with the log and the derived tables, the ``meta`` rows and the grants. It does
    what :func:`init_db` does."""
    s, o, a, r = (f'"{x}"' for x in (schema, roles.owner, roles.append, roles.read))
    stamp = format_timestamp(datetime.now(UTC))
    lines = [
        "BEGIN;",
        f"CREATE ROLE {o} NOLOGIN;",
        f"CREATE ROLE {a} LOGIN;",
        f"CREATE ROLE {r} LOGIN;",
        f"CREATE SCHEMA {s} AUTHORIZATION {o};",
        f"SET LOCAL ROLE {o};",
        f"SET LOCAL search_path = {s};",
        *(f"{statement};" for statement in statements(LOG_DDL) + statements(DERIVED_DDL)),
        "INSERT INTO meta (key, value) VALUES "
        f"('app', '{APP_NAME}'), ('schema_version', '{SCHEMA_VERSION}'), "
        f"('created_at', '{stamp}'), ('roles', '{roles.owner.removesuffix('_owner')}');",
        "INSERT INTO projection_meta (key, value) VALUES "
        + ", ".join(f"('{k}', '{_quoted(v)}')" for k, v in projection_rows())
        + ";",
        "RESET ROLE;",
        *(f"{statement};" for statement in grants(schema, roles)),
        "COMMIT;",
    ]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def derived_grants(schema: str, append: str) -> list[str]:
    """What the append role may do to the derived tables (re-applied when they are
    recreated for a new layout)."""
    s, a = f'"{schema}"', f'"{append}"'
    return [
        f"GRANT INSERT, DELETE ON {s}.checkpoints, {s}.structure TO {a}",
        f"GRANT INSERT, UPDATE ON {s}.projection_meta TO {a}",
    ]


def init_db(url: str, *, prefix: str = DEFAULT_ROLE_PREFIX) -> Roles:
    """Create the owner, append and read roles (those missing), the store's schema owned by
    the owner role, and the grants. Needs a superuser, or a login that may create roles and
    act as them. Running it again re-applies the grants; a schema owned by another role is
    refused."""
    from psycopg import sql

    location = parse_location(url)
    roles = role_names(prefix)
    pg = driver()
    conn = connect(location)
    try:
        with conn.transaction():
            for name, login in ((roles.owner, False), (roles.append, True), (roles.read, True)):
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                    continue
                conn.execute(
                    sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
                        sql.Identifier(name)
                    )
                )
        if schema_exists(conn, location.schema):
            row = conn.execute(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s",
                (location.schema,),
            ).fetchone()
            owner = row[0] if row else None
            if owner != roles.owner:
                raise StoreError(
                    f"store {location.shown!r}: schema {location.schema!r} already exists and is "
                    f"owned by {owner!r}, not {roles.owner!r}",
                    field="schema",
                    value=location.schema,
                )
        else:
            create_schema(conn, location.schema, owner=roles.owner)
        with conn.transaction():
            for statement in grants(location.schema, roles):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO "
                + f'"{location.schema}".meta'
                + " (key, value) VALUES ('roles', %s) ON CONFLICT (key) DO NOTHING",
                (prefix,),
            )
    except pg.errors.InsufficientPrivilege as exc:
        raise StoreError(
            f"store {location.shown!r}: this login may not create roles or schemas "
            f"({first_line(exc)}); run init-db as a superuser",
            field="store",
            value=location.shown,
        ) from None
    finally:
        conn.close()
    return roles
