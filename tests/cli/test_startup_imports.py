"""``tracker state`` loads only what a state query needs (issue 16's start-up target): checked
in a fresh interpreter, by the modules it imported, not by timing it."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tracker.api import Tracker

NOT_FOR_A_STATE_QUERY = (
    "pydantic",  # validating events: writes only
    "events.models",
    "sqlite_utils",  # schema creation
    "tabulate",  # the text tables are laid out without it (tracker.render)
    "importlib.metadata",
    "matplotlib",
    "plotext",
    "cryptography",
    "hashlib",  # the model fingerprint is the one stored beside the checkpoints
    "tomllib",  # no --model file given
    "events.text",  # plain text is printed as it is, without compiling the escaping pattern
    "tracker.explanation",
    "tracker.merkle",
    "tracker.verify",
    "tracker.replay",
    "tracker.importers",
    "tracker.commands.query",  # the other query commands
    "tracker.commands.log",
    "tracker.commands.audit",
    "tracker.commands.charts",
    "tracker.commands.demo",
    # the store's location is text (tracker.paths): pathlib imports urllib.parse and ipaddress
    "pathlib",
    "urllib.parse",
    "ipaddress",
    "dataclasses",  # the scoring model is a plain class
    "signal",  # its enumerations: the SIGTERM handler is installed through _signal
    # the vocabulary (its enumerations, its tables): a state read from a checkpoint asks it
    # nothing; the parties' tables a query reads are read without csv (events.parties)
    "events.vocabulary",
    "csv",  # also: only --csv writes it (tracker.render)
    "tracker.store.protocol",  # named in annotations only (tracker.store's __getattr__)
    "tracker.store.placing",  # appends
    "tracker.records",  # the reference checks of an append (tracker.api's _check_references)
    "tracker.store.search",  # log --search
    "tracker.outputs",  # the files a command writes (a query prints through tracker.terminal)
)

PROBE = """
import json, sys
from tracker.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def test_a_state_query_imports_none_of_the_heavy_modules(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Tracker(db) as t:
        t.append(
            {"type": "sign_treaty", "actor": "RUS", "target": "PRK", "occurred_on": "2024-06-19",
             "name": "CSP Treaty", "event_id": "t1", "summary": "Putin and Kim sign the treaty"}
        )  # fmt: skip
    # without site's start-up (-S): an editable install's path finder, run from a .pth file,
    # imports pathlib before any of the tracker does; the checkout and site-packages are put
    # on the path by hand instead, as a regular install finds them. The site-packages are this
    # process's: under -S, Python 3.11 does not enter the virtual environment (site.py does
    # that), so the child's own would be the base interpreter's (Debian's has no click)
    root = str(Path(__file__).resolve().parents[2])
    paths = [root, *site.getsitepackages()]
    isolated = f"import sys; sys.path[:0] = {paths!r}\n"
    args = ["state", "PRK", "RUS", "--as-of", "2024-12-31", "--db", str(db)]
    result = subprocess.run(
        [sys.executable, "-S", "-c", isolated + PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    probe = json.loads(result.stderr.splitlines()[-1])
    assert probe["code"] == 0, result.stderr
    assert "last events:" in result.stdout and "Putin and Kim sign the treaty" in result.stdout
    loaded = set(probe["modules"])
    assert sorted(m for m in NOT_FOR_A_STATE_QUERY if m in loaded) == []


def test_creating_a_store_and_describing_it_load_neither_pandas_nor_numpy(tmp_path: Path) -> None:
    """sqlite-utils imports pandas and numpy whenever they are installed (about 70 MB and half a
    second); the store imports it with both marked absent, since it never hands it their values."""
    events = tmp_path / "in.jsonl"
    events.write_text(
        json.dumps({"type": "congratulate", "actor": "PRK", "target": "RUS",
                    "occurred_on": "2024-03-18", "event_id": "c1"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    db = tmp_path / "new.db"
    for args in (["import", str(events), "--db", str(db)], ["info", "--db", str(db)]):
        result = subprocess.run(
            [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False
        )
        probe = json.loads(result.stderr.splitlines()[-1])
        assert probe["code"] == 0, result.stderr
        loaded = set(probe["modules"])
        assert "sqlite_utils" in loaded  # the library still does the schema work
        assert {"pandas", "numpy"} & loaded == set()


def test_pandas_still_imports_after_the_store_used_sqlite_utils(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from tracker.api import Tracker\n"
        f"with Tracker({str(tmp_path / 'p.db')!r}) as t:\n"
        "    t.append({'type': 'congratulate', 'actor': 'PRK', 'target': 'RUS',"
        " 'occurred_on': '2024-03-18', 'event_id': 'c1'})\n"
        "assert 'sqlite_utils' in sys.modules and 'pandas' not in sys.modules\n"
        "try:\n"
        "    import pandas\n"
        "except ImportError as exc:\n"
        "    assert 'No module named' in str(exc) and 'None in sys.modules' not in str(exc), exc\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_young_collections_wait_only_for_the_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the command's module is imported the collector's first threshold is raised; the
    command itself runs with the caller's thresholds, which are the caller's again after it."""
    import gc

    from click.testing import CliRunner

    import tracker.cli
    import tracker.commands.state as state_module

    db = tmp_path / "g.db"
    with Tracker(db) as t:
        t.append({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-03-18"})
    seen: dict[str, tuple[int, int, int]] = {}
    importing, opening = tracker.cli.importlib.import_module, state_module._open

    def import_module(name: str) -> Any:
        seen["import"] = gc.get_threshold()
        return importing(name)

    def open_store(*args: Any) -> Any:
        seen["command"] = gc.get_threshold()
        return opening(*args)

    monkeypatch.setattr(tracker.cli.importlib, "import_module", import_module)
    monkeypatch.setattr(state_module, "_open", open_store)
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    result = CliRunner().invoke(tracker.cli.main, ["state", "PRK", "RUS", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert seen == {"import": (tracker.cli.STARTUP_THRESHOLD, *before[1:]), "command": before}
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
    result = CliRunner().invoke(tracker.cli.main, ["state", "--help"])
    assert result.exit_code == 0 and gc.get_threshold() == before
