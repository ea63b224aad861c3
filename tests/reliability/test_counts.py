"""The reliability suite counts its bad inputs, and the README states the same figures."""

from __future__ import annotations

import re
from pathlib import Path

from reliability.test_bad_input import CASES as COMMAND_CASES
from reliability.test_cli_fuzz import EXAMPLES
from reliability.test_hostile_input import CASES as HOSTILE_FILES
from reliability.test_outputs import DEVICES, OUTPUT_CASES, WRITERS

README = Path(__file__).parents[2] / "README.md"


def _output_cases() -> int:
    # the store, links to it and the inputs of each writer; and two devices for every writer
    return len(OUTPUT_CASES) + len(DEVICES) * len(WRITERS)


def test_the_suite_feeds_at_least_200_bad_inputs_and_the_readme_says_how_many() -> None:
    counts = (len(COMMAND_CASES), len(HOSTILE_FILES), _output_cases())
    total = sum(counts)
    assert total >= 200
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"**{total} bad inputs**" in text
    assert f"{counts[0]} table-driven cases" in text
    assert f"{counts[1]} hostile files" in text
    assert f"{counts[2]} output paths" in text
    assert re.search(rf"runs {EXAMPLES} derandomised examples", text)
