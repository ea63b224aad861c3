"""Bulk coded data gets the volume-normalised mode without the user knowing the theory
(issue 12): a store created by a GDELT import starts in ``mean`` mode, and after half a day of
GDELT 2.0 fewer than 5 % of the dyads with at least three events read |index| >= 95, while
pairs whose every event is cooperative still read positive.

Half a day of GDELT 2.0 is built as the issue allows: the rows of one real export repeated
with fresh ids. The real rows are the 509 daily-update rows of ``tests/data/gdelt/events.csv``
(GDELT 1.0 layout, turned into the 61-column 2.0 layout by inserting the three ADM2 columns of
``tests/data/gdelt/COLUMNS.md``); each 15-minute export holds them twice (1,018 rows), and
there are 48 exports (12 hours, DATEADDED 2016-07-28 00:00 ... 11:45).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from events.vocabulary import cameo_code, type_info
from tracker.api import Tracker

TRACKER = Path(sys.executable).parent / "tracker"
SAMPLE = Path(__file__).parents[1] / "data" / "gdelt" / "events.csv"
DAY = date(2016, 7, 28)
EXPORTS, COPIES = 48, 2


def tracker(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    return subprocess.run(
        [str(TRACKER), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def to_gdelt2(fields: list[str]) -> list[str]:
    """A 58-column GDELT 1.0 row in the 61-column 2.0 layout (an empty ADM2Code after each
    of the three ADM1Codes)."""
    out = [*fields[:39], "", *fields[39:45], "", *fields[45:52], "", *fields[52:]]
    assert len(out) == 61
    return out


def half_a_day(path: Path) -> int:
    rows = [line.split("\t") for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    daily = [r for r in rows if len(r) == 58]
    assert len(daily) == 509
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for export in range(EXPORTS):
            added = f"20160728{export // 4:02d}{export % 4 * 15:02d}00"
            for _ in range(COPIES):
                for r in daily:
                    n += 1
                    v = to_gdelt2(r)
                    v[0], v[59] = str(900_000_000 + n), added
                    out.write("\t".join(v) + "\n")
    return n


@pytest.fixture(scope="module")
def gdelt_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("gdelt")
    data = base / "half-day.csv"
    assert half_a_day(data) == EXPORTS * COPIES * 509
    db = base / "coded.db"
    result = tracker("import", str(data), "--db", str(db), cwd=base)
    assert result.returncode == 0, result.stderr
    return db, result.stdout


def readings(db: Path) -> list[tuple[tuple[str, str], float, list[float]]]:
    """(dyad, index on the day, the Goldstein weights of its events) for dyads with >= 3
    events."""
    weights: dict[tuple[str, str], list[float]] = defaultdict(list)
    with Tracker(db, create=False) as t:
        for row in t.rows():
            key = (min(row.actor, row.target), max(row.actor, row.target))
            code = row.code or type_info(row.type).cameo_code or ""
            weights[key].append(
                row.weight if row.weight is not None else cameo_code(code).goldstein
            )
        return [
            (k, t.score(*k, as_of=DAY).index, w) for k, w in sorted(weights.items()) if len(w) >= 3
        ]


def test_a_store_created_by_a_gdelt_import_starts_in_mean_mode(
    gdelt_store: tuple[Path, str],
) -> None:
    db, output = gdelt_store
    assert "aggregation mode set to mean" in output
    shown = tracker("model", "show", "--json", "--db", str(db), cwd=db.parent)
    assert json.loads(shown.stdout)["mode"] == "mean"


def test_half_a_day_of_gdelt_leaves_fewer_than_5_percent_of_busy_dyads_saturated(
    gdelt_store: tuple[Path, str],
) -> None:
    db, _ = gdelt_store
    busy = readings(db)
    assert len(busy) >= 30
    saturated = [k for k, index, _ in busy if abs(index) >= 95]
    assert len(saturated) < 0.05 * len(busy), saturated


def test_all_cooperative_pairs_still_read_positive(gdelt_store: tuple[Path, str]) -> None:
    db, _ = gdelt_store
    cooperative = [(k, index) for k, index, w in readings(db) if min(w) > 0]
    assert len(cooperative) >= 5
    assert all(index > 0 for _, index in cooperative), cooperative


def test_the_same_data_summed_saturates_most_busy_dyads(
    gdelt_store: tuple[Path, str], tmp_path: Path
) -> None:
    """What the mode choice prevents: rebuilt in sum mode, most busy dyads read ±95 or more."""
    db, _ = gdelt_store
    copy = tmp_path / "summed.db"
    copy.write_bytes(db.read_bytes())
    result = tracker("rebuild", "--mode", "sum", "--db", str(copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    busy = readings(copy)
    saturated = [k for k, index, _ in busy if abs(index) >= 95]
    assert len(saturated) > 0.5 * len(busy)


def test_coded_data_into_a_store_that_sums_says_what_to_run(tmp_path: Path) -> None:
    db = tmp_path / "curated.db"
    with Tracker(db) as t:
        t.append({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2016-07-01"})
    data = tmp_path / "one-export.csv"
    rows = [r.split("\t") for r in SAMPLE.read_text(encoding="utf-8").splitlines()]
    data.write_text(
        "".join("\t".join(to_gdelt2(r)) + "\n" for r in rows if len(r) == 58), encoding="utf-8"
    )
    with Tracker(db, create=False) as t:
        summary = t.import_files([data])
        assert t.model.mode == "sum"
    assert summary.imported > 0
    assert any("tracker rebuild --mode mean" in note for note in summary.notes)


def test_curated_files_leave_a_new_store_in_sum_mode(tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text(
        json.dumps({"type": "praise", "actor": "PRK", "target": "RUS", "occurred_on": "2024-03-18"})
        + "\n",
        encoding="utf-8",
    )
    with Tracker(tmp_path / "new.db") as t:
        summary = t.import_files([data])
        assert t.model.mode == "sum"
    assert summary.imported == 1 and summary.notes == []
