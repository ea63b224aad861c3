"""PostgreSQL for the tests: one fresh database per test run, a fresh schema per test.

The server is the one named by ``TRACKER_TEST_POSTGRES`` (an admin URL; default the local
server of the development and CI machines, ``postgresql://postgres@127.0.0.1:5432/postgres``).
When it cannot be reached, or psycopg is not installed, the PostgreSQL tests are skipped with
the reason, unless ``TRACKER_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which makes that a
failure: CI must not pass by skipping them. Everything a run creates (its database, the roles
its tests create) is dropped at the end.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import pytest

ADMIN_URL = os.environ.get("TRACKER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRED = os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1"


def with_database(url: str, database: str, *, user: str | None = None) -> str:
    """``url`` pointing at another database (and optionally logging in as another user)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        host = netloc.rpartition("@")[2]
        netloc = f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None if they can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[dev]' installs it)"
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL server at {ADMIN_URL} ({' '.join(str(exc).split())})"
    return None


def skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"TRACKER_REQUIRE_POSTGRES=1 but PostgreSQL tests cannot run: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@dataclass
class Server:
    """The test run's own database on the server, and what the run created on it."""

    admin: str
    database: str
    token: str
    roles: list[str] = field(default_factory=list)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        """The run's database, as the admin user."""
        return with_database(self.admin, self.database)

    def store_url(self, *, user: str | None = None, schema: str | None = None) -> str:
        """A location for a fresh store (a new schema) in the run's database."""
        name = schema or f"t{next(self._counter)}"
        return with_database(self.admin, self.database, user=user) + f"?schema={name}"

    def role_prefix(self) -> str:
        """A prefix for roles no other run (or helper) uses; they are dropped at the end."""
        prefix = f"trk{self.token}_{next(self._counter)}"
        self.roles += [f"{prefix}_{kind}" for kind in ("owner", "append", "read")]
        return prefix

    def admin_connection(self) -> object:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """The run's fresh database (skipped, or failed under TRACKER_REQUIRE_POSTGRES, when no
    server is reachable)."""
    reason = unavailable()
    if reason is not None:
        skip_or_fail(reason)
    import psycopg
    from psycopg import sql

    token = secrets.token_hex(4)
    database = f"tracker_test_{os.getpid()}_{token}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    server = Server(ADMIN_URL, database, token)
    try:
        yield server
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            for role in server.roles:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def pg_url(postgres: Server) -> str:
    """A location for a fresh, empty PostgreSQL store (its own schema)."""
    return postgres.store_url()
