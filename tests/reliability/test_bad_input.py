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

# (case id, arguments, texts the message must contain). Placeholders: {db} the rich store,
# {tmp} a scratch directory, {missing} a path where nothing exists, and the files written by
# `_inputs` ({bad_toml}, {garbage}, ...).
APPEND = ["append", "--db", "{db}"]
CASES: list[tuple[str, list[str], list[str]]] = [
    # append
    (
        "append-unknown-type",
        [*APPEND, "prais", "--actor", "PRK", "--target", "RUS", "--on", "2024-01-01"],
        ["prais", "praise"],
    ),
    (
        "append-unknown-party",
        [*APPEND, "praise", "--actor", "Narnia", "--target", "RUS", "--on", "2024-01-01"],
        ["--actor", "Narnia"],
    ),
    (
        "append-impossible-date",
        [*APPEND, "praise", "--actor", "PRK", "--target", "RUS", "--on", "2024-13-01"],
        ["--on", "2024-13-01"],
    ),
    (
        "append-date-format",
        [*APPEND, "praise", "--actor", "PRK", "--target", "RUS", "--on", "18/03/2024"],
        ["--on", "18/03/2024"],
    ),
    (
        "append-confidence-range",
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
        [*APPEND, "sign_treaty", "--actor", "PRK", "--target", "RUS", "--on", "2024-01-01"],
        ["name", "missing"],
    ),
    (
        "append-same-parties",
        [*APPEND, "praise", "--actor", "PRK", "--target", "North Korea", "--on", "2024-01-01"],
        ["target", "PRK"],
    ),
    (
        "append-id-conflict",
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
    ("log-bad-since", ["log", "--db", "{db}", "--since", "2024-99-01"], ["--since", "2024-99-01"]),
    (
        "log-since-after-until",
        ["log", "--db", "{db}", "--since", "2024-02-01", "--until", "2024-01-01"],
        ["--since", "2024-02-01"],
    ),
    ("log-limit-zero", ["log", "--db", "{db}", "--limit", "0"], ["--limit", "0"]),
    (
        "log-bad-known-at",
        ["log", "--db", "{db}", "--known-at", "yesterday"],
        ["--known-at", "yesterday"],
    ),
    ("log-negative-known-at", ["log", "--db", "{db}", "--known-at", "-5"], ["--known-at", "-5"]),
    ("log-unknown-type", ["log", "--db", "{db}", "--type", "nonsense"], ["--type", "nonsense"]),
    ("log-dyad-one-party", ["log", "--db", "{db}", "--dyad", "PRK"], ["--dyad"]),
    ("log-missing-store", ["log", "--db", "{missing}"], ["--db", "missing.db"]),
    # state
    ("state-unknown-party", ["state", "--db", "{db}", "PRK", "Narnia"], ["Narnia"]),
    ("state-same-party", ["state", "--db", "{db}", "PRK", "North Korea"], ["PRK", "differ"]),
    (
        "state-as-of-too-early",
        ["state", "--db", "{db}", "PRK", "RUS", "--as-of", "1800-01-01"],
        ["--as-of", "1800-01-01"],
    ),
    (
        "state-as-of-future",
        ["state", "--db", "{db}", "PRK", "RUS", "--as-of", "2999-01-01"],
        ["--as-of", "2999-01-01"],
    ),
    (
        "state-bad-known-at",
        ["state", "--db", "{db}", "PRK", "RUS", "--known-at", "12:00"],
        ["--known-at", "12:00"],
    ),
    (
        "state-bad-model",
        ["state", "--db", "{db}", "PRK", "RUS", "--model", "{bad_toml}"],
        ["bad.toml", "TOML"],
    ),
    ("state-missing-store", ["state", "--db", "{missing}", "PRK", "RUS"], ["missing.db"]),
    # explain
    (
        "explain-limit-zero",
        ["explain", "--db", "{db}", "PRK", "RUS", "--limit", "0"],
        ["--limit", "0"],
    ),
    ("explain-missing-party", ["explain", "--db", "{db}", "PRK"], ["B"]),
    (
        "explain-bad-as-of",
        ["explain", "--db", "{db}", "PRK", "RUS", "--as-of", "2024-02-30"],
        ["--as-of", "2024-02-30"],
    ),
    # timeline
    (
        "timeline-from-after-to",
        ["timeline", "--db", "{db}", "PRK", "RUS", "--from", "2024-05-01", "--to", "2024-01-01"],
        ["2024-05-01"],
    ),
    (
        "timeline-bad-every",
        ["timeline", "--db", "{db}", "PRK", "RUS", "--every", "fortnight"],
        ["--every", "fortnight"],
    ),
    (
        "timeline-json-and-csv",
        ["timeline", "--db", "{db}", "PRK", "RUS", "--json", "--csv"],
        ["--json", "--csv"],
    ),
    # dyads
    ("dyads-top-zero", ["dyads", "--db", "{db}", "--top", "0"], ["--top", "0"]),
    (
        "dyads-unknown-party",
        ["dyads", "--db", "{db}", "--party", "Atlantis"],
        ["--party", "Atlantis"],
    ),
    ("dyads-bad-known-at", ["dyads", "--db", "{db}", "--known-at", "soon"], ["--known-at", "soon"]),
    # retract
    ("retract-unknown", ["retract", "--db", "{db}", "nope", "--reason", "x"], ["event_id", "nope"]),
    (
        "retract-twice",
        ["retract", "--db", "{db}", "e2", "--reason", "again"],
        ["e2", "already retracted"],
    ),
    ("retract-no-reason", ["retract", "--db", "{db}", "e3"], ["--reason"]),
    ("retract-empty-reason", ["retract", "--db", "{db}", "e3", "--reason", ""], ["reason"]),
    (
        "retract-bad-new-id",
        ["retract", "--db", "{db}", "e3", "--reason", "x", "--id", "bad id!"],
        ["event_id", "bad id!"],
    ),
    (
        "retract-a-retraction",
        ["retract", "--db", "{db}", "r-e2", "--reason", "x"],
        ["r-e2", "retract"],
    ),
    (
        "retract-new-id-taken",
        ["retract", "--db", "{db}", "e3", "--reason", "x", "--id", "e1"],
        ["event_id", "e1"],
    ),
    (
        "retract-missing-store",
        ["retract", "--db", "{missing}", "e3", "--reason", "x"],
        ["missing.db"],
    ),
    # correct
    (
        "correct-immutable-field",
        ["correct", "--db", "{db}", "e3", "--field", "actor=USA", "--reason", "x"],
        ["--field", "actor", "cannot be corrected"],
    ),
    (
        "correct-unknown-field",
        ["correct", "--db", "{db}", "e3", "--field", "bogus=1", "--reason", "x"],
        ["--field", "bogus", "sign_treaty"],
    ),
    (
        "correct-not-a-number",
        ["correct", "--db", "{db}", "e4", "--field", "confidence=abc", "--reason", "x"],
        ["confidence", "abc"],
    ),
    (
        "correct-out-of-range",
        ["correct", "--db", "{db}", "e4", "--field", "confidence=2", "--reason", "x"],
        ["confidence", "2"],
    ),
    (
        "correct-nan-weight",
        ["correct", "--db", "{db}", "e4", "--field", "weight=nan", "--reason", "x"],
        ["weight", "nan"],
    ),
    ("correct-no-field", ["correct", "--db", "{db}", "e4", "--reason", "x"], ["--field"]),
    (
        "correct-retracted",
        ["correct", "--db", "{db}", "e2", "--field", "confidence=0.5", "--reason", "x"],
        ["e2", "already retracted"],
    ),
    (
        "correct-unknown-event",
        ["correct", "--db", "{db}", "ghost", "--field", "confidence=0.5", "--reason", "x"],
        ["event_id", "ghost"],
    ),
    (
        "correct-impossible-date",
        ["correct", "--db", "{db}", "e4", "--field", "occurred_on=2024-02-31", "--reason", "x"],
        ["occurred_on", "2024-02-31"],
    ),
    (
        "correct-count-not-whole",
        ["correct", "--db", "{db}", "e9", "--field", "count=two", "--reason", "x"],
        ["count", "two"],
    ),
    (
        "correct-clear-required",
        ["correct", "--db", "{db}", "e3", "--field", "name=", "--reason", "x"],
        ["name"],
    ),
    (
        "correct-a-correction",
        ["correct", "--db", "{db}", "c-e4", "--field", "confidence=0.5", "--reason", "x"],
        ["c-e4", "correct"],
    ),
    (
        "correct-bad-flag",
        ["correct", "--db", "{db}", "e11", "--field", "veto=maybe", "--reason", "x"],
        ["veto", "maybe"],
    ),
    (
        "correct-field-twice",
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
        ["verify", "--db", "{db}", "--against", "{tmp}/nothing.jsonl"],
        ["--against", "nothing.jsonl"],
    ),
    ("verify-prefix-alone", ["verify", "--db", "{db}", "--prefix"], ["--prefix"]),
    ("verify-not-a-store", ["verify", "--db", "{text_file}"], ["notes.txt", "not a tracker store"]),
    (
        "verify-against-garbage",
        ["verify", "--db", "{db}", "--against", "{garbage}"],
        ["line 1", "not valid JSON"],
    ),
    ("verify-missing-store", ["verify", "--db", "{missing}"], ["missing.db"]),
    # replay
    (
        "replay-bad-known-at",
        ["replay", "--db", "{db}", "--known-at", "soon"],
        ["--known-at", "soon"],
    ),
    ("replay-report-is-a-directory", ["replay", "--db", "{db}", "--report", "{tmp}"], ["--report"]),
    (
        "replay-foreign-sqlite",
        ["replay", "--db", "{foreign_db}"],
        ["not a relations-tracker store"],
    ),
    ("replay-missing-store", ["replay", "--db", "{missing}"], ["missing.db"]),
    # export
    (
        "export-file-exists",
        ["export", "--db", "{db}", "{garbage}"],
        ["garbage.jsonl", "already exists"],
    ),
    ("export-into-directory", ["export", "--db", "{db}", "{tmp}"], ["FILE"]),
    (
        "export-bad-known-at",
        ["export", "--db", "{db}", "{tmp}/out.jsonl", "--known-at", "nope"],
        ["--known-at", "nope"],
    ),
    ("export-over-the-store", ["export", "--db", "{db}", "{db}", "--force"], ["store itself"]),
    (
        "export-no-such-directory",
        ["export", "--db", "{db}", "{tmp}/no/such/out.jsonl"],
        ["no such directory"],
    ),
    # model show
    (
        "model-bad-toml",
        ["model", "show", "--db", "{db}", "--model", "{bad_toml}"],
        ["bad.toml", "TOML"],
    ),
    (
        "model-unknown-setting",
        ["model", "show", "--db", "{db}", "--model", "{colour_toml}"],
        ["colour"],
    ),
    (
        "model-negative-half-life",
        ["model", "show", "--db", "{db}", "--model", "{negative_toml}"],
        ["half_life_days", "-1"],
    ),
    (
        "model-missing-file",
        ["model", "show", "--db", "{db}", "--model", "{tmp}/none.toml"],
        ["--model", "none.toml"],
    ),
]

IMPORT_CASES: list[tuple[str, list[str], list[str]]] = [
    ("import-bad-line", ["import", "--db", "{db}", "{bad_import}"], ["line 2", "confidence"]),
    (
        "import-unknown-type",
        ["import", "--db", "{db}", "{unknown_type_import}"],
        ["line 1", "teleport"],
    ),
    ("import-missing-file", ["import", "--db", "{db}", "{tmp}/none.jsonl"], ["none.jsonl"]),
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


def test_the_matrix_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 50
    commands = {args[0] for _id, args, _needles in CASES}
    expected = {
        "append",
        "log",
        "state",
        "explain",
        "timeline",
        "dyads",
        "retract",
        "correct",
        "verify",
        "replay",
        "export",
        "model",
    }
    if "import" in COMMANDS:
        expected.add("import")
    assert expected <= commands


@pytest.mark.parametrize(("args", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(
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
    assert result.exit_code != 0, out
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in out
    for needle in needles:
        assert needle in out, (needle, out)
    assert {p: hash_file(p) for p in watched} == before
    assert dump_store(rich_store) == dump_before
    assert not Path(values["missing"]).exists()
    # nothing new in the input directory (no partial export, report or store)
    assert sorted(p.name for p in scratch.iterdir()) == listing
