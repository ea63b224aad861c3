"""Random option values and random file contents, fed to every command.

Whatever a careless (or hostile) user types, the CLI must answer with a message and an exit
status, never a traceback: the status is 0 (done), 1 (refused or failed) or 2 (usage error),
and whenever it is not 0 the store and every input file are byte for byte as they were.

The options of each command are read from the click command itself, so a command or option
added later is fuzzed too. Values are drawn per parameter type from a mix of good values,
edge cases (huge numbers, dates out of range, ISO week dates, control characters) and noise;
paths point at the store, its -wal, directories, devices, missing files, and files of random
content (JSON Lines, CSV, GDELT/ICEWS-like rows, gzip, zip, TOML, binary garbage).

In CI the examples are derandomised and bounded (see ``EXAMPLES``), so that the cost is a few
seconds and a failure reproduces; run with ``--hypothesis-seed`` and a larger
``TRACKER_FUZZ_EXAMPLES`` to explore.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.cli import COMMANDS, main

EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "300"))
SKIPPED = {"demo"}  # builds a 213-event store and tours it: covered by its own tests
OK_CODES = {0, 1, 2, 130}


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    found: dict[str, click.Command] = {}
    for name in COMMANDS:
        if name in SKIPPED:
            continue
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            for sub, subcmd in cmd.commands.items():
                found[f"{name} {sub}"] = subcmd
        else:
            found[name] = cmd
    return found


COMMAND_TABLE = _commands()

# -- values ------------------------------------------------------------------------------------

noise = st.text(max_size=12) | st.sampled_from(["", " ", "\x00", "\x1b[2J", "-", "--", "é", "∞"])
huge = st.sampled_from(["99999999999999999999999999", "-1", "0", "9223372036854775808", "1e400"])
PARTIES = ["PRK", "RUS", "North Korea", "USA", "UKR", "CHN", "UN", "Narnia", "prk", "SUN"]
TYPES = ["praise", "sign_treaty", "cameo", "criticize", "retraction", "visit", "prais"]
DATES = [
    "2024-03-18",
    "today",
    "1900-01-01",
    "1899-12-31",
    "2024-W12-1",
    "2024-02-30",
    "0001-01-01",
    "9999-12-31",
    "2030-03-18",
    "20240318",
    "2024-3-18",
]
KNOWN_AT = [
    "0",
    "1",
    "5",
    "14",
    "15",
    "10000",
    "99999999999999999999999999",
    "2026-01-01",
    "2026-01-01T00:00:05Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2024-W12-1T00:00",
    "-3",
]
FIELDS = [
    "name=A treaty",
    "name=",
    "occasion=x\x00y",
    "occurred_on=2024-W12-1",
    "confidence=inf",
    "confidence=0.5",
    "regime=EO 1",
    "items=a,b",
    "veto=maybe",
    "count=99999999999999999999",
    "nonsense",
    "=x",
]
IDS = ["e1", "e2", "e3", "e4", "r-e2", "missing", "bad id", "x" * 300, "e1\x00"]


GOOD: dict[str, list[str]] = {
    "PartyType": ["PRK", "RUS", "North Korea", "USA", "UKR", "CHN"],
    "EventTypeName": ["praise", "sign_treaty", "criticize", "visit"],
    "DateType": ["2024-03-18", "2022-02-24", "today", "2000-01-01"],
    "KnownAtType": ["5", "14", "2026-01-01", "2026-01-01T00:00:05Z"],
    "IntRange": ["1", "3", "10"],
    "FloatRange": ["0.5", "1", "-3"],
    "KeyValue": ["name=A treaty", "confidence=0.5", "regime=EO 1"],
    "StringParamType": ["e1", "e3", "e5", "a reason"],
}


def _value_for(param: click.Parameter, hostile: bool) -> st.SearchStrategy[str]:
    """A value for ``param``: a good one, or (``hostile``) anything at all."""
    kind = type(param.type).__name__
    if isinstance(param.type, click.Path):  # (tracker.params.FilePath too)
        return st.sampled_from(PATHS)
    if kind == "Choice":
        choices = [str(c) for c in param.type.choices]  # type: ignore[attr-defined]
        return st.sampled_from(choices) | noise if hostile else st.sampled_from(choices)
    good = st.sampled_from(GOOD.get(kind, GOOD["StringParamType"]))
    if not hostile:
        return good
    if kind == "PartyType":
        return st.sampled_from(PARTIES) | noise
    if kind == "EventTypeName":
        return st.sampled_from(TYPES) | noise
    if kind == "DateType":
        return st.sampled_from(DATES) | noise
    if kind == "KnownAtType":
        return st.sampled_from(KNOWN_AT) | noise
    if kind in ("IntRange", "IntParamType"):
        return huge | st.integers(-5, 50).map(str) | noise
    if kind in ("FloatRange", "FloatParamType"):
        return st.sampled_from(["inf", "nan", "-0", "1e400"]) | st.floats().map(repr) | noise
    if kind == "KeyValue":
        return st.sampled_from(FIELDS) | noise
    return st.sampled_from(IDS) | noise


# paths, resolved per example: @store@, @wal@, @dir@, @missing@, @fN@ (random files)
PATHS = [
    "@store@",
    "@store@",
    "@wal@",
    "@dir@",
    "@missing@",
    "@missing@.png",
    "@missing@.csv",
    "-",
    "/dev/null",
    "@f0@",
    "@f1@",
    "@f2@",
]

# -- file contents -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
GOOD_ROW = {"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-03-18"}
event_rows = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(TYPES) | noise,
        "actor": st.sampled_from(PARTIES) | noise,
        "target": st.sampled_from(PARTIES) | noise,
        "occurred_on": st.sampled_from(DATES) | noise,
        "event_id": st.sampled_from(IDS) | noise,
        "summary": noise,
        "confidence": st.floats() | st.integers() | noise,
        "weight": st.floats() | st.integers(),
        "name": noise,
        "extra": json_values,
    },
)
jsonl_text = st.lists(
    event_rows.map(lambda r: json.dumps({**GOOD_ROW, **r}))
    | json_values.map(json.dumps)
    | st.just("")
    | st.just(json.dumps(GOOD_ROW))
    | noise,
    max_size=6,
).map("\n".join)
csv_text = st.lists(
    st.lists(st.sampled_from(DATES + PARTIES + TYPES) | noise, min_size=1, max_size=5).map(
        ",".join
    ),
    max_size=5,
).map(lambda rows: "\n".join(["type,actor,target,occurred_on,summary", *rows]))
tab_text = st.lists(
    st.lists(
        st.sampled_from(["1", "PRK", "RUS", "20240318", "042", "3.0"]) | noise, max_size=60
    ).map("\t".join),
    min_size=1,
    max_size=3,
).map("\n".join)
toml_text = st.sampled_from(
    [
        "half_life_days = inf",
        'weights = "x"',
        "trend_window_days = 1e18",
        "scale = 40",
        'mode = "mean"',
        "[weights]\npraise = 11",
        "[[bands]]\nlabel = 'x'\nlower = -100",
        "half_life_days = = 3",
    ]
)
texts = jsonl_text | csv_text | tab_text | toml_text | noise


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("member.jsonl", data)
        archive.writestr("dir/", b"")
    return buf.getvalue()


contents = st.one_of(
    texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    texts.map(lambda t: _gzip(t.encode("utf-8", "surrogatepass"))),
    texts.map(lambda t: _zip(t.encode("utf-8", "surrogatepass"))),
    st.binary(max_size=40).map(lambda b: b"\x1f\x8b" + b),  # a damaged gzip
    st.binary(max_size=40).map(lambda b: b"PK\x03\x04" + b),  # a damaged zip
)


OUTPUTS = {("import", "report"), ("replay", "report_file"), ("export", "file"), ("chart", "out")}
"""(command, parameter) pairs naming a file the command writes: a file given there may be
replaced (an aborted import still writes the report naming the row that stopped it)."""
OUTPUT_FLAGS = {"--report", "--out"}


@st.composite
def invocations(draw: st.DrawFn) -> tuple[list[str], list[bytes], set[str]]:
    name = draw(st.sampled_from(sorted(COMMAND_TABLE)))
    cmd = COMMAND_TABLE[name]
    argv = name.split()
    # one parameter (or none, or every one) gets a hostile value; the others good ones, so
    # that the hostile value reaches the code behind the parser
    hostile_at = draw(st.integers(-2, len(cmd.params) - 1))
    outputs: set[str] = set()
    for index, param in enumerate(cmd.params):
        hostile = hostile_at == index or hostile_at == -2
        if isinstance(param, click.Argument):
            count = param.nargs if param.nargs > 0 else draw(st.integers(1, 2))
            if not param.required and not draw(st.booleans()):
                continue
            values = [draw(_value_for(param, hostile)) for _ in range(count)]
            if (name, param.name) in OUTPUTS:
                outputs.update(values)
            argv += values
            continue
        assert isinstance(param, click.Option)
        if param.name == "db":
            argv += ["--db", draw(st.sampled_from(["@store@"] * 6 + PATHS))]
            continue
        if not hostile and draw(st.integers(0, 2)) != 0:  # in about a third of the runs
            continue
        flag = param.opts[0]
        if param.is_flag:
            argv.append(flag)
            continue
        repeat = draw(st.integers(1, 2)) if param.multiple else 1
        for _ in range(repeat):
            argv.append(flag)
            values = [draw(_value_for(param, hostile)) for _ in range(max(param.nargs, 1))]
            if (name, param.name) in OUTPUTS:
                outputs.update(values)
            argv += values
    files = draw(st.lists(contents, min_size=3, max_size=3))
    # a path given as an output and also elsewhere (an input) must stay unchanged
    elsewhere = {
        a
        for i, a in enumerate(argv)
        if a in outputs and argv[i - 1] not in OUTPUT_FLAGS and not (name == "export" and i == 1)
    }
    return argv, files, outputs - elsewhere


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("TRACKER_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=invocations())
def test_no_input_shows_a_traceback_or_changes_the_store_on_failure(
    case: tuple[list[str], list[bytes], set[str]], rich_template: Path
) -> None:
    template_argv, files, outputs = case
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    cwd = os.getcwd()
    try:
        store = work / "tracker.db"
        shutil.copyfile(rich_template, store)
        (work / "adir").mkdir()
        values = {
            "store": str(store),
            "wal": f"{store}-wal",
            "dir": str(work / "adir"),
            "missing": str(work / "missing"),
        }
        inputs = []
        for i, data in enumerate(files):
            path = work / f"input{i}.data"
            path.write_bytes(data)
            values[f"f{i}"] = str(path)
            inputs.append(path)
        argv = []
        for arg in template_argv:
            for key, value in values.items():
                arg = arg.replace(f"@{key}@", value)
            argv.append(arg)
        written = {values.get(o.strip("@"), o) for o in outputs}
        watched = [store, *(p for p in inputs if str(p) not in written)]
        before = {p: _digest(p) for p in watched}
        os.chdir(work)
        result = CliRunner().invoke(main, argv, catch_exceptions=True)
        os.chdir(cwd)
        shown = result.output
        assert "Traceback" not in shown, (argv, shown)
        assert result.exit_code in OK_CODES, (argv, result.exit_code, shown, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            argv,
            repr(result.exception),
        )
        if result.exit_code != 0:
            after = {p: _digest(p) for p in watched}
            assert after == before, (argv, shown)
            leftovers = [p.name for p in work.rglob("*.tmp")]
            assert not leftovers, (argv, leftovers)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)


def test_every_command_but_the_demo_is_fuzzed() -> None:
    assert {name.split()[0] for name in COMMAND_TABLE} | SKIPPED == set(COMMANDS)
