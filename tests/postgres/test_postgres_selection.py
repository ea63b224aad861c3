"""Choosing the backend: a postgresql:// location (``--db`` or ``TRACKER_DB``) selects
PostgreSQL; anything else is an SQLite file, whose query path never imports the driver. A
missing driver, an unreachable server or a refused login is one clear message, exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_support import Server

from tracker.api import Tracker
from tracker.errors import StoreError
from tracker.store import is_url, location, store_name

TRACKER = Path(sys.executable).parent / "tracker"


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    return subprocess.run(
        [str(TRACKER), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("postgresql://me@db.example/team", True),
        ("postgres://db.example/team?schema=x", True),
        ("tracker.db", False),
        ("postgresql-notes.db", False),
        ("./postgresql:/x.db", False),
    ],
)
def test_a_postgresql_url_selects_postgresql_and_stays_text(given: str, url: bool) -> None:
    assert is_url(given) is url
    assert isinstance(location(given), str if url else Path)


def test_messages_never_show_the_password() -> None:
    shown = store_name("postgresql://alice:s3cret@db.example/team?schema=news")
    assert "s3cret" not in shown and "alice:***@db.example" in shown


def test_the_sqlite_query_path_does_not_import_the_driver(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Tracker(db) as t:
        t.append({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"})
    probe = (
        "import sys; from tracker.cli import main\n"
        "for args in (['state', 'PRK', 'RUS', '--json'], ['log', '--jsonl'], ['verify']):\n"
        "    try:\n"
        f"        main(args + ['--db', {str(db)!r}])\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "print('psycopg' in sys.modules, 'tracker.store.postgres' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_a_missing_driver_says_how_to_install_it(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from tracker.cli import main\n"
        "main(['state', 'PRK', 'RUS', '--db', 'postgresql://127.0.0.1:1/none'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert out.returncode == 1
    assert "pip install 'relations-tracker[postgres]'" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_unreachable_server_is_one_clear_message(tmp_path: Path) -> None:
    # port 1 on loopback: nothing listens there
    url = "postgresql://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2"
    result = run("state", "PRK", "RUS", "--db", url, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot connect to the PostgreSQL server" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(StoreError, match="cannot connect"):
        Tracker(url).head()


def test_tracker_db_selects_the_postgresql_store(pg_url: str, tmp_path: Path) -> None:
    appended = run(
        "append",
        "praise",
        "--actor",
        "PRK",
        "--target",
        "RUS",
        "--on",
        "2024-03-18",
        cwd=tmp_path,
        env={"TRACKER_DB": pg_url},
    )
    assert appended.returncode == 0, appended.stderr
    assert not list(tmp_path.iterdir()), "no SQLite file may be created"
    with Tracker(pg_url, create=False) as t:
        assert t.head().seq == 1


def test_a_schema_that_is_not_a_store_is_refused(postgres: Server) -> None:
    import psycopg

    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA foreign_data")
        conn.execute("CREATE TABLE foreign_data.events (x int)")
    with pytest.raises(StoreError, match="not a relations-tracker store"):
        Tracker(postgres.store_url(schema="foreign_data")).head()


def test_reading_a_missing_store_is_an_error_not_a_creation(postgres: Server) -> None:
    import psycopg

    url = postgres.store_url()
    with pytest.raises(StoreError, match="no tracker store"):
        Tracker(url, create=False).head()
    schema = url.rpartition("schema=")[2]
    with psycopg.connect(postgres.url) as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    assert found is None


def test_the_demo_refuses_a_database_and_says_how_to_load_it(tmp_path: Path) -> None:
    result = run("demo", "--db", "postgresql://me@db.example/team", cwd=tmp_path)
    assert result.returncode == 2
    assert "tracker export - --db demo.db | tracker import - --db URL" in result.stderr


def test_model_show_reads_the_postgresql_store(pg_url: str, tmp_path: Path) -> None:
    with Tracker(pg_url) as t:
        t.append({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-01-01"})
    shown = run("model", "show", "--json", "--db", pg_url, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert '"source": "store postgresql://' in shown.stdout
