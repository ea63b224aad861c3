"""Append-only enforced by PostgreSQL itself: the roles ``init_db`` creates, and the triggers
behind them. The append role may add events and keep the derived tables, never change or
remove an event or the schema; the read role may only read; even the owner's UPDATE, DELETE
and TRUNCATE are refused by the triggers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from postgres_support import Server

from tracker.errors import StoreError
from tracker.store import prepare
from tracker.store.postgres import PostgresStore
from tracker.store.postgres_setup import Roles, init_db
from tracker.store.rows import to_event

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _events(n: int) -> list[Any]:
    return [
        prepare(
            to_event(
                {
                    "type": "praise",
                    "actor": "PRK",
                    "target": "RUS",
                    "occurred_on": f"2024-01-{1 + i:02d}",
                    "event_id": f"e{i}",
                }
            )
        )
        for i in range(n)
    ]


@pytest.fixture
def team(postgres: Server) -> Iterator[tuple[Roles, str]]:
    """A store created by ``init_db`` with its own roles, holding three events appended
    through the append role; yields the roles and the store's schema."""
    schema = f"roles{postgres.role_prefix()}"
    prefix = postgres.role_prefix()
    roles = init_db(postgres.store_url(schema=schema), prefix=prefix)
    with PostgresStore(postgres.store_url(user=roles.append, schema=schema)) as store:
        store.append(_events(3), clock=lambda: T0)
    yield roles, schema


def _run_as(postgres: Server, user: str, schema: str, statement: str) -> None:
    import psycopg

    url = postgres.store_url(user=user, schema=schema).partition("?")[0]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT set_config('search_path', %s, false)", (schema,))
        conn.execute(statement)  # type: ignore[call-overload]


FORBIDDEN_TO_APPEND = [
    pytest.param("UPDATE events SET body = '{}'", "permission denied", id="update"),
    pytest.param(
        "UPDATE events SET hash = hash WHERE seq = 1", "permission denied", id="no-op-update"
    ),
    pytest.param("DELETE FROM events WHERE seq = 3", "permission denied", id="delete"),
    pytest.param("TRUNCATE events", "permission denied", id="truncate"),
    pytest.param("DROP TRIGGER events_no_update ON events", "must be owner", id="drop-trigger"),
    pytest.param("ALTER TABLE events DISABLE TRIGGER ALL", "must be owner", id="disable-triggers"),
    pytest.param("DROP TABLE events", "must be owner", id="drop-table"),
    pytest.param("ALTER TABLE events ADD COLUMN x int", "must be owner", id="alter-table"),
    pytest.param("CREATE TABLE extra (x int)", "permission denied", id="create-table"),
    pytest.param("DROP FUNCTION refuse_change() CASCADE", "must be owner", id="drop-function"),
    pytest.param(
        "UPDATE meta SET value = '9' WHERE key = 'schema_version'",
        "permission denied",
        id="meta-update",
    ),
    pytest.param("INSERT INTO meta VALUES ('x', 'y')", "permission denied", id="meta-insert"),
    pytest.param("TRUNCATE checkpoints", "permission denied", id="truncate-derived"),
    pytest.param("DROP TABLE checkpoints", "must be owner", id="drop-derived"),
]


@pytest.mark.parametrize(("statement", "why"), FORBIDDEN_TO_APPEND)
def test_the_append_role_cannot_change_or_remove_the_log(
    postgres: Server, team: tuple[Roles, str], statement: str, why: str
) -> None:
    import psycopg

    roles, schema = team
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match=why):
        _run_as(postgres, roles.append, schema, statement)
    with PostgresStore(postgres.store_url(user=roles.read, schema=schema), create=False) as s:
        assert [r.seq for r in s.rows()] == [1, 2, 3]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO events SELECT * FROM events WHERE false",
        "UPDATE events SET body = body",
        "DELETE FROM checkpoints",
        "INSERT INTO projection_meta VALUES ('x', 'y')",
    ],
)
def test_the_read_role_can_only_read(
    postgres: Server, team: tuple[Roles, str], statement: str
) -> None:
    import psycopg

    roles, schema = team
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _run_as(postgres, roles.read, schema, statement)


def test_the_read_role_appending_gets_a_clear_error(
    postgres: Server, team: tuple[Roles, str]
) -> None:
    roles, schema = team
    with (
        PostgresStore(postgres.store_url(user=roles.read, schema=schema), create=False) as s,
        pytest.raises(StoreError, match="permission denied"),
    ):
        s.append(_events(4))


def test_the_append_role_keeps_the_derived_tables(
    postgres: Server, team: tuple[Roles, str]
) -> None:
    roles, schema = team
    for statement in (
        "DELETE FROM checkpoints WHERE party_a = 'PRK'",
        "INSERT INTO structure VALUES ('AAA', 'BBB', '2024-01-01', '{}')",
        "DELETE FROM structure WHERE party_a = 'AAA'",
    ):
        _run_as(postgres, roles.append, schema, statement)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET body = '{}' WHERE seq = 2",
        "DELETE FROM events WHERE seq = 3",
        "TRUNCATE events",
        "INSERT INTO events SELECT * FROM events WHERE seq = 1 "
        "ON CONFLICT (seq) DO UPDATE SET body = 'x'",
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
        "DELETE FROM meta",
        "TRUNCATE meta",
    ],
)
def test_triggers_refuse_rewrites_even_by_the_owner(
    postgres: Server, team: tuple[Roles, str], statement: str
) -> None:
    """The second line of defence: a login with every privilege on the tables (the superuser
    acting as the owner role) still cannot rewrite the log while the triggers are in place."""
    import psycopg

    roles, schema = team
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute("SELECT set_config('search_path', %s, false)", (schema,))
        conn.execute(f'SET ROLE "{roles.owner}"')  # type: ignore[call-overload]
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)  # type: ignore[call-overload]


def test_init_db_is_idempotent_and_refuses_a_schema_owned_by_someone_else(
    postgres: Server, team: tuple[Roles, str]
) -> None:
    roles, schema = team
    prefix = roles.owner.removesuffix("_owner")
    assert init_db(postgres.store_url(schema=schema), prefix=prefix) == roles
    other = postgres.role_prefix()
    with pytest.raises(StoreError, match="already exists and is owned by"):
        init_db(postgres.store_url(schema=schema), prefix=other)


@pytest.mark.parametrize(
    ("tamper", "found"),
    [
        (
            "DROP TRIGGER events_no_delete ON events",
            "trigger events_no_delete on events is missing",
        ),
        (
            "ALTER TABLE events DISABLE TRIGGER events_no_update",
            "events_no_update on events is disabled",
        ),
        ("ALTER TABLE meta DISABLE TRIGGER ALL", "meta_no_update on meta is disabled"),
        (
            "CREATE TRIGGER sneaky BEFORE INSERT ON events FOR EACH ROW "
            "EXECUTE FUNCTION refuse_change()",
            "unexpected trigger sneaky on events",
        ),
        ("DROP INDEX events_date", "index events_date is missing"),
    ],
)
def test_verify_reports_a_weakened_schema(
    postgres: Server, team: tuple[Roles, str], tamper: str, found: str
) -> None:
    """Only the owner can weaken the schema; verify says so when it has."""
    import psycopg

    from tracker.verify import verify

    roles, schema = team
    url = postgres.store_url(user=roles.read, schema=schema)
    assert verify(url).ok
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute("SELECT set_config('search_path', %s, false)", (schema,))
        conn.execute(f'SET ROLE "{roles.owner}"')  # type: ignore[call-overload]
        conn.execute(tamper)  # type: ignore[call-overload]
    report = verify(url)
    assert not report.ok
    assert any(found in fault.message for fault in report.faults), report.faults


def test_replay_finds_derived_rows_the_append_role_deleted(
    postgres: Server, team: tuple[Roles, str]
) -> None:
    """The append role may maintain the derived tables; they are a cache, and replay checks
    them against the log."""
    from tracker.api import Tracker
    from tracker.replay import replay

    roles, schema = team
    url = postgres.store_url(user=roles.append, schema=schema)
    with Tracker(url) as t:
        t.rebuild()
    assert replay(url).ok
    _run_as(postgres, roles.append, schema, "DELETE FROM checkpoints WHERE day = '2024-01-02'")
    report = replay(url)
    assert not report.ok and report.differing[0].day == "2024-01-02"


def test_init_db_command_sets_up_the_roles_and_shows_its_sql(
    postgres: Server, tmp_path: Path
) -> None:
    prefix = postgres.role_prefix()
    url = postgres.store_url(schema=f"cli{prefix}")
    shown = _cli("init-db", "--db", url, "--roles", prefix, "--show-sql", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    on_the_log = [
        line for line in shown.stdout.splitlines() if "GRANT" in line and ".events" in line
    ]
    s = f'"cli{prefix}"'
    assert on_the_log == [f'GRANT INSERT ON {s}.events, {s}.merkle_hashes TO "{prefix}_append";']
    done = _cli("init-db", "--db", url, "--roles", prefix, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["append"] == f"{prefix}_append"
    appended = _cli(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-03-18",
        "--db",
        postgres.store_url(user=f"{prefix}_append", schema=f"cli{prefix}"),
        cwd=tmp_path,
    )
    assert appended.returncode == 0, appended.stderr
    refused = _cli(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-03-19",
        "--db",
        postgres.store_url(user=f"{prefix}_read", schema=f"cli{prefix}"),
        cwd=tmp_path,
    )
    assert refused.returncode == 1 and "permission denied" in refused.stderr
    assert "Traceback" not in refused.stderr
    not_a_url = _cli("init-db", "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert not_a_url.returncode == 2 and "not a postgresql:// URL" in not_a_url.stderr


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "tracker"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
