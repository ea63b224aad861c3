"""The README's worked example of the scoring model is real output: the lines under its
``model-example`` marker appear in `tracker state PRK RUS --as-of 2026-12-01` on a fresh demo
store, and its no-structure model file gives back the pure-flow index."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from projections.model import parse_model
from tracker.api import Tracker
from tracker.cli import main
from tracker.demo import build_store, load_events

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("model-example") / "demo.db"
    build_store(db, load_events())
    return db


def block_after(marker: str, lang: str) -> str:
    """The first ```lang block that starts at or after ``marker`` (or contains it)."""
    text = README.read_text(encoding="utf-8")
    at = text.index(marker)
    at = max(text.rfind("\n```", 0, at), 0)
    m = re.compile(rf"^```{lang}\n(.*?)^```", re.MULTILINE | re.DOTALL).search(text, at + 1)
    assert m is not None
    return m.group(1)


def test_the_worked_example_is_the_real_state_output(demo: Path) -> None:
    result = CliRunner().invoke(
        main, ["state", "PRK", "RUS", "--as-of", "2026-12-01", "--db", str(demo)]
    )
    assert result.exit_code == 0, result.output
    shown = [line for line in block_after("<!-- model-example", "text").splitlines() if line]
    assert len(shown) >= 5
    output = result.output.splitlines()
    assert [line for line in shown if line not in output] == []


def test_the_no_structure_model_of_the_readme_gives_the_pure_flow_index(demo: Path) -> None:
    text = block_after("# no-structure.toml", "toml")
    model = parse_model(text)
    assert all(w == 0 for w in model.structure.values())
    assert all(w == 0 for w in model.agreements.values())
    with Tracker(demo, create=False, model=model) as t:
        for pair in (("PRK", "RUS"), ("RUS", "UKR"), ("CUB", "USA"), ("QAT", "SAU")):
            s = t.score(*pair, as_of=date(2026, 12, 1))
            assert s.stock.total == 0.0
            flow = s.s_ab + s.s_ba
            assert s.index == pytest.approx(100 * math.tanh(flow / model.scale), abs=1e-9)
