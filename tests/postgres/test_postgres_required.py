"""Without a reachable server the PostgreSQL tests skip, saying why; under
TRACKER_REQUIRE_POSTGRES=1 (what .ci/run sets) the same situation fails instead, so CI cannot
pass by skipping them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("required", "outcome"), [("0", "1 skipped"), ("1", "1 error")])
def test_an_unreachable_server_skips_or_fails_as_required(
    tmp_path: Path, required: str, outcome: str
) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_needs_postgres(pg_url):\n    pass\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"
        "from postgres_support import pg_url, postgres  # noqa: F401\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "TRACKER_TEST_POSTGRES": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
        "TRACKER_REQUIRE_POSTGRES": required,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(probe)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome in result.stdout, result.stdout
    why = "PostgreSQL tests skipped" if required == "0" else "TRACKER_REQUIRE_POSTGRES=1"
    assert why in result.stdout and "no PostgreSQL server at" in result.stdout
