"""Bad input, table-driven, across every command: each case must exit non-zero, say what was
wrong (naming the field or value), show no traceback, and leave the store byte for byte as it
was (and create no file where there was none)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracker.cli import COMMANDS

# (case id, exit status, arguments, texts the message must contain). The status is 2 for a
# usage error (click rejected an argument before the library ran) and 1 for a failure the
# library reported (the arguments parsed, but what they ask cannot be done). Placeholders:
# {db} the rich store, {tmp} a scratch directory, {missing} a path where nothing exists, and
# the files written by `_inputs` ({bad_toml}, {garbage}, ...).
APPEND = ["append", "--db", "{db}"]
CASES: list[tuple[str, int, list[str], list[str]]] = [
    # append
    (
        "append-unknown-type",
        2,
        [*APPEND, "prais", "--actor", "PRK", "--target", "RUS", "--on", "2024-01-01"],
        ["prais", "praise"],
    ),
    (
        "append-unknown-party",
        2,
        [*APPEND, "praise", "--actor", "Narnia", "--target", "RUS", "--on", "2024-01-01"],
        ["--actor", "Narnia"],
    ),
    (
        "append-impossible-date",
        2,
        [*APPEND, "praise", "--actor", "PRK", "--target", "RUS", "--on", "2024-13-01"],
        ["--on", "2024-13-01"],
    ),
    (
        "append-date-format",
        2,
        [*APPEND, "praise", "--actor", "PRK", "--target", "RUS", "--on", "18/03/2024"],
        ["--on", "18/03/2024"],
    ),
    (
        "append-confidence-range",
        2,
        [
            *APPEND,
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--confidence",
            "1.5",
        ],
        ["--confidence", "1.5"],
    ),
    (
        "append-weight-range",
        2,
        [
            *APPEND,
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--weight",
            "11",
        ],
        ["--weight", "11"],
    ),
    (
        "append-bad-id",
        1,
        [
            *APPEND,
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--id",
            "bad id!",
        ],
        ["event_id", "bad id!"],
    ),
    (
        "append-unknown-field",
        2,
        [
            *APPEND,
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--field",
            "colour=red",
        ],
        ["--field", "colour"],
    ),
    (
        "append-field-not-key-value",
        2,
        [
            *APPEND,
            "congratulate",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--field",
            "occasion",
        ],
        ["--field", "occasion"],
    ),
    (
        "append-missing-required",
        1,
        [*APPEND, "sign_treaty", "--actor", "PRK", "--target", "RUS", "--on", "2024-01-01"],
        ["name", "missing"],
    ),
    (
        "append-same-parties",
        1,
        [*APPEND, "praise", "--actor", "PRK", "--target", "North Korea", "--on", "2024-01-01"],
        ["target", "PRK"],
    ),
    (
        "append-id-conflict",
        1,
        [
            *APPEND,
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--id",
            "e3",
        ],
        ["event_id", "e3"],
    ),
    (
        "append-negative-money",
        1,
        [
            *APPEND,
            "arms_transfer",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--field",
            "value_usd=-5",
        ],
        ["value_usd", "-5"],
    ),
    (
        "append-empty-summary",
        1,
        [
            *APPEND,
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--summary",
            "",
        ],
        ["summary"],
    ),
    (
        "append-unknown-cameo",
        1,
        [
            *APPEND,
            "cameo",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
            "--field",
            "cameo_code=9999",
        ],
        ["cameo_code", "9999"],
    ),
    (
        "append-not-a-store",
        1,
        [
            "append",
            "--db",
            "{text_file}",
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
        ],
        ["not a tracker store"],
    ),
    (
        "append-foreign-sqlite",
        1,
        [
            "append",
            "--db",
            "{foreign_db}",
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-01",
        ],
        ["not a relations-tracker store"],
    ),
    # log
    (
        "log-bad-since",
        2,
        ["log", "--db", "{db}", "--since", "2024-99-01"],
        ["--since", "2024-99-01"],
    ),
    (
        "log-since-after-until",
        2,
        ["log", "--db", "{db}", "--since", "2024-02-01", "--until", "2024-01-01"],
        ["--since", "2024-02-01"],
    ),
    ("log-limit-zero", 2, ["log", "--db", "{db}", "--limit", "0"], ["--limit", "0"]),
    (
        "log-bad-known-at",
        2,
        ["log", "--db", "{db}", "--known-at", "yesterday"],
        ["--known-at", "yesterday"],
    ),
    ("log-negative-known-at", 2, ["log", "--db", "{db}", "--known-at", "-5"], ["--known-at", "-5"]),
    ("log-unknown-type", 2, ["log", "--db", "{db}", "--type", "nonsense"], ["--type", "nonsense"]),
    ("log-dyad-one-party", 2, ["log", "--db", "{db}", "--dyad", "PRK"], ["--dyad"]),
    ("log-missing-store", 1, ["log", "--db", "{missing}"], ["--db", "missing.db"]),
    # state
    ("state-unknown-party", 2, ["state", "--db", "{db}", "PRK", "Narnia"], ["Narnia"]),
    ("state-same-party", 1, ["state", "--db", "{db}", "PRK", "North Korea"], ["PRK", "differ"]),
    (
        "state-as-of-too-early",
        2,
        ["state", "--db", "{db}", "PRK", "RUS", "--as-of", "1800-01-01"],
        ["--as-of", "1800-01-01"],
    ),
    (
        "state-as-of-future",
        2,
        ["state", "--db", "{db}", "PRK", "RUS", "--as-of", "2999-01-01"],
        ["--as-of", "2999-01-01"],
    ),
    (
        "state-bad-known-at",
        2,
        ["state", "--db", "{db}", "PRK", "RUS", "--known-at", "12:00"],
        ["--known-at", "12:00"],
    ),
    (
        "state-bad-model",
        1,
        ["state", "--db", "{db}", "PRK", "RUS", "--model", "{bad_toml}"],
        ["bad.toml", "TOML"],
    ),
    ("state-missing-store", 1, ["state", "--db", "{missing}", "PRK", "RUS"], ["missing.db"]),
    # explain
    (
        "explain-limit-zero",
        2,
        ["explain", "--db", "{db}", "PRK", "RUS", "--limit", "0"],
        ["--limit", "0"],
    ),
    ("explain-missing-party", 2, ["explain", "--db", "{db}", "PRK"], ["B"]),
    (
        "explain-bad-as-of",
        2,
        ["explain", "--db", "{db}", "PRK", "RUS", "--as-of", "2024-02-30"],
        ["--as-of", "2024-02-30"],
    ),
    # timeline
    (
        "timeline-from-after-to",
        2,
        ["timeline", "--db", "{db}", "PRK", "RUS", "--from", "2024-05-01", "--to", "2024-01-01"],
        ["2024-05-01"],
    ),
    (
        "timeline-bad-every",
        2,
        ["timeline", "--db", "{db}", "PRK", "RUS", "--every", "fortnight"],
        ["--every", "fortnight"],
    ),
    (
        "timeline-json-and-csv",
        2,
        ["timeline", "--db", "{db}", "PRK", "RUS", "--json", "--csv"],
        ["--json", "--csv"],
    ),
    # dyads
    ("dyads-top-zero", 2, ["dyads", "--db", "{db}", "--top", "0"], ["--top", "0"]),
    (
        "dyads-unknown-party",
        2,
        ["dyads", "--db", "{db}", "--party", "Atlantis"],
        ["--party", "Atlantis"],
    ),
    (
        "dyads-bad-known-at",
        2,
        ["dyads", "--db", "{db}", "--known-at", "soon"],
        ["--known-at", "soon"],
    ),
    # retract
    (
        "retract-unknown",
        1,
        ["retract", "--db", "{db}", "nope", "--reason", "x"],
        ["event_id", "nope"],
    ),
    (
        "retract-twice",
        1,
        ["retract", "--db", "{db}", "e2", "--reason", "again"],
        ["e2", "already retracted"],
    ),
    ("retract-no-reason", 2, ["retract", "--db", "{db}", "e3"], ["--reason"]),
    ("retract-empty-reason", 1, ["retract", "--db", "{db}", "e3", "--reason", ""], ["reason"]),
    (
        "retract-bad-new-id",
        1,
        ["retract", "--db", "{db}", "e3", "--reason", "x", "--id", "bad id!"],
        ["event_id", "bad id!"],
    ),
    (
        "retract-a-retraction",
        1,
        ["retract", "--db", "{db}", "r-e2", "--reason", "x"],
        ["r-e2", "retract"],
    ),
    (
        "retract-new-id-taken",
        1,
        ["retract", "--db", "{db}", "e3", "--reason", "x", "--id", "e1"],
        ["event_id", "e1"],
    ),
    (
        "retract-missing-store",
        1,
        ["retract", "--db", "{missing}", "e3", "--reason", "x"],
        ["missing.db"],
    ),
    # correct
    (
        "correct-immutable-field",
        2,
        ["correct", "--db", "{db}", "e3", "--field", "actor=USA", "--reason", "x"],
        ["--field", "actor", "cannot be corrected"],
    ),
    (
        "correct-unknown-field",
        2,
        ["correct", "--db", "{db}", "e3", "--field", "bogus=1", "--reason", "x"],
        ["--field", "bogus", "sign_treaty"],
    ),
    (
        "correct-not-a-number",
        2,
        ["correct", "--db", "{db}", "e4", "--field", "confidence=abc", "--reason", "x"],
        ["confidence", "abc"],
    ),
    (
        "correct-out-of-range",
        2,
        ["correct", "--db", "{db}", "e4", "--field", "confidence=2", "--reason", "x"],
        ["confidence", "2"],
    ),
    (
        "correct-nan-weight",
        2,
        ["correct", "--db", "{db}", "e4", "--field", "weight=nan", "--reason", "x"],
        ["weight", "nan"],
    ),
    ("correct-no-field", 2, ["correct", "--db", "{db}", "e4", "--reason", "x"], ["--field"]),
    (
        "correct-retracted",
        1,
        ["correct", "--db", "{db}", "e2", "--field", "confidence=0.5", "--reason", "x"],
        ["e2", "already retracted"],
    ),
    (
        "correct-unknown-event",
        1,
        ["correct", "--db", "{db}", "ghost", "--field", "confidence=0.5", "--reason", "x"],
        ["event_id", "ghost"],
    ),
    (
        "correct-impossible-date",
        2,
        ["correct", "--db", "{db}", "e4", "--field", "occurred_on=2024-02-31", "--reason", "x"],
        ["occurred_on", "2024-02-31"],
    ),
    (
        "correct-count-not-whole",
        2,
        ["correct", "--db", "{db}", "e9", "--field", "count=two", "--reason", "x"],
        ["count", "two"],
    ),
    (
        "correct-clear-required",
        2,
        ["correct", "--db", "{db}", "e3", "--field", "name=", "--reason", "x"],
        ["name"],
    ),
    (
        "correct-a-correction",
        1,
        ["correct", "--db", "{db}", "c-e4", "--field", "confidence=0.5", "--reason", "x"],
        ["c-e4", "correct"],
    ),
    (
        "correct-bad-flag",
        2,
        ["correct", "--db", "{db}", "e11", "--field", "veto=maybe", "--reason", "x"],
        ["veto", "maybe"],
    ),
    (
        "correct-field-twice",
        2,
        [
            "correct",
            "--db",
            "{db}",
            "e4",
            "--field",
            "confidence=0.5",
            "--field",
            "confidence=0.6",
            "--reason",
            "x",
        ],
        ["confidence", "twice"],
    ),
    # verify
    (
        "verify-against-missing",
        2,
        ["verify", "--db", "{db}", "--against", "{tmp}/nothing.jsonl"],
        ["--against", "nothing.jsonl"],
    ),
    ("verify-prefix-alone", 2, ["verify", "--db", "{db}", "--prefix"], ["--prefix"]),
    (
        "verify-not-a-store",
        1,
        ["verify", "--db", "{text_file}"],
        ["notes.txt", "not a tracker store"],
    ),
    (
        "verify-against-garbage",
        1,
        ["verify", "--db", "{db}", "--against", "{garbage}"],
        ["line 1", "not valid JSON"],
    ),
    ("verify-missing-store", 1, ["verify", "--db", "{missing}"], ["missing.db"]),
    # replay
    (
        "replay-bad-known-at",
        2,
        ["replay", "--db", "{db}", "--known-at", "soon"],
        ["--known-at", "soon"],
    ),
    (
        "replay-report-is-a-directory",
        2,
        ["replay", "--db", "{db}", "--report", "{tmp}"],
        ["--report"],
    ),
    (
        "replay-foreign-sqlite",
        1,
        ["replay", "--db", "{foreign_db}"],
        ["not a relations-tracker store"],
    ),
    ("replay-missing-store", 1, ["replay", "--db", "{missing}"], ["missing.db"]),
    # export
    (
        "export-file-exists",
        1,
        ["export", "--db", "{db}", "{garbage}"],
        ["garbage.jsonl", "already exists"],
    ),
    ("export-into-directory", 2, ["export", "--db", "{db}", "{tmp}"], ["FILE"]),
    (
        "export-bad-known-at",
        2,
        ["export", "--db", "{db}", "{tmp}/out.jsonl", "--known-at", "nope"],
        ["--known-at", "nope"],
    ),
    ("export-over-the-store", 1, ["export", "--db", "{db}", "{db}", "--force"], ["store itself"]),
    (
        "export-no-such-directory",
        1,
        ["export", "--db", "{db}", "{tmp}/no/such/out.jsonl"],
        ["no such directory"],
    ),
    # model show
    (
        "model-bad-toml",
        1,
        ["model", "show", "--db", "{db}", "--model", "{bad_toml}"],
        ["bad.toml", "TOML"],
    ),
    (
        "model-unknown-setting",
        1,
        ["model", "show", "--db", "{db}", "--model", "{colour_toml}"],
        ["colour"],
    ),
    (
        "model-negative-half-life",
        1,
        ["model", "show", "--db", "{db}", "--model", "{negative_toml}"],
        ["half_life_days", "-1"],
    ),
    (
        "model-missing-file",
        2,
        ["model", "show", "--db", "{db}", "--model", "{tmp}/none.toml"],
        ["--model", "none.toml"],
    ),
]

IMPORT_CASES: list[tuple[str, int, list[str], list[str]]] = [
    ("import-bad-line", 1, ["import", "--db", "{db}", "{bad_import}"], ["line 2", "confidence"]),
    (
        "import-unknown-type",
        1,
        ["import", "--db", "{db}", "{unknown_type_import}"],
        ["line 1", "teleport"],
    ),
    ("import-missing-file", 2, ["import", "--db", "{db}", "{tmp}/none.jsonl"], ["none.jsonl"]),
]
if "import" in COMMANDS:
    CASES += IMPORT_CASES


def _inputs(tmp: Path) -> dict[str, str]:
    files = {
        "bad_toml": ("bad.toml", "half_life_days = = 3\n"),
        "colour_toml": ("colour.toml", "colour = 'red'\n"),
        "negative_toml": ("negative.toml", "half_life_days = -1\n"),
        "garbage": ("garbage.jsonl", "this is not JSON\n"),
        "text_file": ("notes.txt", "some notes, not a database\n" * 20),
        "bad_import": (
            "bad.jsonl",
            '{"type":"praise","actor":"PRK","target":"RUS",'
            '"occurred_on":"2024-01-01","event_id":"i1"}\n'
            '{"type":"praise","actor":"PRK","target":"RUS",'
            '"occurred_on":"2024-01-02","event_id":"i2","confidence":7}\n',
        ),
        "unknown_type_import": (
            "unknown.jsonl",
            '{"type":"teleport","actor":"PRK","target":"RUS","occurred_on":"2024-01-01"}\n',
        ),
    }
    out = {"tmp": str(tmp), "missing": str(tmp / "missing.db")}
    for key, (name, text) in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
        out[key] = str(tmp / name)
    foreign = tmp / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    out["foreign_db"] = str(foreign)
    return out


ELSEWHERE = {
    "demo": "builds its own store: tests/cli/test_demo.py, tests/cli/test_global_db.py",
    "types": "reads no store; only --json",
    "parties": "reads no store: tests/cli/test_append_log.py",
    "chart": "tests/cli/test_chart.py, its output paths in test_outputs.py",
    "report": "tests/cli/test_report.py",
    "rebuild": "tests/cli/test_query_cli.py, tests/cli/test_coded_data_mode.py",
    "init-db": "PostgreSQL only: tests/postgres/test_postgres_roles.py",
    "keygen": "fuzzed only (test_cli_fuzz.py)",
    "checkpoint": "fuzzed only (test_cli_fuzz.py); tampering: test_checkpoint_tamper.py",
    "prove": "fuzzed only (test_cli_fuzz.py)",
    "info": "reads only: tests/cli/test_info_search.py",
}
"""Commands without cases here, and where their bad input is tested instead. Every command
but ``demo`` is also fuzzed by test_cli_fuzz.py (no traceback, store unchanged)."""


def test_every_command_has_bad_input_cases_here_or_names_where_they_are() -> None:
    covered = {args[0] for _id, _code, args, _needles in CASES}
    assert set(COMMANDS) - covered == set(ELSEWHERE), "a command without bad-input cases"
    assert not covered & set(ELSEWHERE), "ELSEWHERE lists a command that has cases here"


@pytest.mark.parametrize(
    ("code", "args", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    code: int,
    args: list[str],
    needles: list[str],
    rich_store: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    hash_file: Callable[[Path], str],
    dump_store: Callable[[Path], Any],
) -> None:
    scratch = tmp_path / "in"
    scratch.mkdir()
    values = {"db": str(rich_store), **_inputs(scratch)}
    argv = [a.format(**values) for a in args]
    watched = [rich_store, *(Path(values[k]) for k in ("text_file", "foreign_db", "garbage"))]
    before = {p: hash_file(p) for p in watched}
    dump_before = dump_store(rich_store)
    listing = sorted(p.name for p in scratch.iterdir())

    result = run_cli(*argv)

    out = result.output
    assert result.exit_code == code, out
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out
    for needle in needles:
        assert needle in out, (needle, out)
    assert {p: hash_file(p) for p in watched} == before
    assert dump_store(rich_store) == dump_before
    assert not Path(values["missing"]).exists()
    # nothing new in the input directory (no partial export, report or store)
    assert sorted(p.name for p in scratch.iterdir()) == listing
