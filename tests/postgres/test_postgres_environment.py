"""True messages for a PostgreSQL store's environment, as for an SQLite file: a writer waiting
on another says so and then gives up; a login or session that may only read is told it cannot
write, and why; a server that cannot be reached, or a database that does not exist, is named
by its location without the password."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from postgres_support import Server

from tracker.errors import BusyStoreError, ReadOnlyStoreError, StoreError
from tracker.store import prepare
from tracker.store import sqlite as waits
from tracker.store.postgres import PostgresStore
from tracker.store.postgres_setup import Roles, init_db, lock_key
from tracker.store.rows import to_event


def _event(day: int) -> Any:
    return prepare(
        to_event(
            {
                "type": "praise",
                "actor": "PRK",
                "target": "RUS",
                "occurred_on": f"2024-01-{day:02d}",
                "event_id": f"e{day}",
            }
        )
    )


@pytest.fixture
def team(postgres: Server) -> Iterator[tuple[Roles, str]]:
    """A store made by init-db, holding one event; its roles and schema."""
    schema = f"env{postgres.role_prefix()}"
    roles = init_db(postgres.store_url(schema=schema), prefix=postgres.role_prefix())
    with PostgresStore(postgres.store_url(user=roles.append, schema=schema)) as store:
        store.append([_event(1)])
    yield roles, schema


class Holder:
    """Another session of the same store, which can take and release the log's write lock."""

    def __init__(self, admin_url: str, schema: str) -> None:
        import psycopg

        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.key = lock_key(schema)

    def hold(self) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.key,))

    def release(self) -> None:
        self.conn.execute("ROLLBACK")


@pytest.fixture
def holder(pg_url: str, postgres: Server) -> Iterator[Holder]:
    from tracker.store.postgres_setup import parse_location

    PostgresStore(pg_url).close()  # the store exists
    other = Holder(postgres.url, parse_location(pg_url).schema)
    yield other
    other.conn.close()


def test_a_busy_store_says_it_is_waiting_then_gives_up(
    pg_url: str, holder: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices: list[str] = []
    monkeypatch.setattr(waits, "WAIT_NOTICE_S", 0.05)
    monkeypatch.setattr(waits, "BUSY_TIMEOUT_S", 0.3)
    monkeypatch.setattr(waits, "wait_notice", notices.append)
    holder.hold()
    with PostgresStore(pg_url) as store:
        with pytest.raises(BusyStoreError, match=r"kept its lock for 0.3 s; nothing was written"):
            store.append([_event(2)])
        assert notices and notices[0].startswith("waiting for another writer to finish with")
        assert store.head().seq == 0


def test_a_writer_that_gets_the_lock_after_waiting_writes(
    pg_url: str, holder: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    notices: list[str] = []
    monkeypatch.setattr(waits, "WAIT_NOTICE_S", 0.05)
    holder.hold()
    noticed = threading.Event()
    monkeypatch.setattr(waits, "wait_notice", lambda text: (notices.append(text), noticed.set()))
    helper = threading.Thread(target=lambda: (noticed.wait(30), holder.release()))
    helper.start()
    with PostgresStore(pg_url) as store:
        store.append([_event(2)])
        helper.join()
        assert notices and store.head().seq == 1
        lock_timeout = store.conn.execute("SHOW lock_timeout").fetchone()
        assert lock_timeout is not None and lock_timeout[0] == "0"  # left as it was


def test_the_read_role_is_told_it_cannot_write_and_which_role_can(
    postgres: Server, team: tuple[Roles, str]
) -> None:
    roles, schema = team
    with PostgresStore(postgres.store_url(user=roles.read, schema=schema), create=False) as s:
        assert s.head().seq == 1  # reading works
        with pytest.raises(ReadOnlyStoreError) as err:
            s.append([_event(2)])
        for words in (
            f"login {roles.read!r} may not write it",
            roles.append,
            "nothing was written",
        ):
            assert words in err.value.message
        with pytest.raises(ReadOnlyStoreError, match="may not write it"):
            s.clear_checkpoints()
        assert s.head().seq == 1


def test_a_read_only_session_is_told_so_not_that_it_was_opened_read_only(
    postgres: Server, team: tuple[Roles, str]
) -> None:
    import psycopg
    from psycopg import sql

    roles, schema = team
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(
                sql.Identifier(roles.append)
            )
        )
    with PostgresStore(postgres.store_url(user=roles.append, schema=schema)) as s:
        with pytest.raises(ReadOnlyStoreError) as err:
            s.append([_event(2)])
        assert "the server runs this session read-only" in err.value.message
        assert "default_transaction_read_only" in err.value.message
        assert s.head().seq == 1


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("postgresql://postgres:s3cret@127.0.0.1:1/test", "Connection refused"),
        ("postgresql://postgres@127.0.0.1:1/test?password=s3cret", "Connection refused"),
        ("postgresql://postgres:s3cret@{host}/no_such_database_x", "does not exist"),
    ],
    ids=["refused", "refused-password-parameter", "no-such-database"],
)
def test_a_server_or_database_that_cannot_be_reached_is_named_without_the_password(
    location: str, words: str, postgres: Server
) -> None:
    from urllib.parse import urlsplit

    url = location.format(host=urlsplit(postgres.admin).netloc.rpartition("@")[2])
    with pytest.raises(StoreError) as err:
        PostgresStore(url)
    message = err.value.message
    assert words in message and "cannot connect to the PostgreSQL server" in message
    assert "s3cret" not in message and "***" in message
    assert url.split("://")[1].split(":")[0] in message  # the user and host are named
