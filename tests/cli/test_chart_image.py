"""Image charts: every label clear of the others, of the index line and of the frame, judged
from the rendered artists' bounding boxes (not from the placer's own arithmetic), on the demo
pairs and on crowded zooms; the title, subtitle, bands, legend and credit line; SVG text kept
as text.

matplotlib is in the dev extra, so these run in CI.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import matplotlib
import pytest

from tracker import chart_image
from tracker.api import Tracker
from tracker.chart_image import draw_chart, headline, render_image
from tracker.charts import ChartData, chart_data
from tracker.demo import build_store, load_events

CASES = {
    # the four demo pairs, default size, from their first event to a fixed "today"
    "prk-rus": ("PRK", "RUS", None, None, "month", 5, (1200, 600)),
    "rus-ukr": ("RUS", "UKR", None, None, "month", 5, (1200, 600)),
    "cub-usa": ("CUB", "USA", None, None, "month", 5, (1200, 600)),
    "qat-sau": ("QAT", "SAU", None, None, "month", 5, (1200, 600)),
    # crowded zooms: many numbered days close together, small images
    "prk-rus-2023-24": ("PRK", "RUS", "2023-01-01", "2024-12-31", "week", 8, (1200, 600)),
    "qat-sau-al-ula": ("QAT", "SAU", "2020-12-01", "2021-03-01", "day", 8, (900, 500)),
    "rus-ukr-2014-15": ("RUS", "UKR", "2014-01-01", "2015-12-31", "week", 10, (1000, 550)),
    "cub-usa-small": ("CUB", "USA", "2014-12-01", "2017-12-31", "week", 10, (800, 450)),
    "prk-rus-smallest": ("PRK", "RUS", None, None, "month", 5, chart_image.MIN_SIZE),
}
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chart-image") / "demo.db"
    build_store(path, load_events())
    return path


def data_for(store: Path, case: str) -> tuple[ChartData, tuple[int, int]]:
    a, b, start, end, every, top, size = CASES[case]
    with Tracker(store, create=False, clock=lambda: _noon(TODAY)) as t:
        data = chart_data(
            t,
            a,
            b,
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(end) if end else None,
            every=every,
            top=top,
        )
    return data, size


def _noon(day: date) -> Any:
    from datetime import UTC, datetime, time

    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture(scope="module", params=list(CASES))
def drawn(request: pytest.FixtureRequest, store: Path) -> Iterator[tuple[ChartData, Any]]:
    data, (w, h) = data_for(store, request.param)
    with matplotlib.rc_context(chart_image.RC):
        result = draw_chart(data, width=w, height=h)
        result.fig.canvas.draw()
        try:
            yield data, result
        finally:
            import matplotlib.pyplot as plt

            plt.close(result.fig)


def boxes(result: Any) -> list[Any]:
    renderer = result.fig.canvas.get_renderer()
    return [ann.get_bbox_patch().get_window_extent(renderer) for ann in result.labels]


def test_labels_overlap_neither_each_other_nor_the_line_nor_the_frame(
    drawn: tuple[ChartData, Any],
) -> None:
    data, result = drawn
    renderer = result.fig.canvas.get_renderer()
    frame = result.ax.get_window_extent(renderer)
    line = result.line.get_transform().transform_path(result.line.get_path())
    found = boxes(result)
    assert len(found) == len(result.labels) >= min(len(data.marks), 3)
    for (i, a), (j, b) in combinations(enumerate(found), 2):
        assert not a.overlaps(b), (result.labels[i].get_text(), result.labels[j].get_text())
    for ann, box in zip(result.labels, found, strict=True):
        text = ann.get_text()
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text
        assert not line.intersects_bbox(box, filled=False), f"{text!r} covers the index line"


def test_leaders_cross_no_other_label(drawn: tuple[ChartData, Any]) -> None:
    _, result = drawn
    found = boxes(result)
    for i, ann in enumerate(result.labels):
        leader = ann.arrow_patch.get_path()
        for j, box in enumerate(found):
            if i != j:
                assert not leader.intersects_bbox(box, filled=False), (
                    ann.get_text(),
                    result.labels[j].get_text(),
                )


def test_the_largest_moves_get_their_labels_and_left_out_labels_are_counted(
    drawn: tuple[ChartData, Any],
) -> None:
    data, result = drawn
    texts = [ann.get_text() for ann in result.labels]
    ranks = {int(t.split()[0]) for t in texts if t.split()[0].isdigit()}
    assert set(range(1, min(len(data.marks), 3) + 1)) <= ranks  # the three largest at least
    credit = " ".join(
        t.get_text() for t in sorted(result.fig.texts, key=lambda t: -t.get_position()[1])
    )
    if result.unplaced:
        assert f"{len(result.unplaced)} label" in credit and "left out" in credit
    else:
        assert "left out" not in credit


def test_the_page_says_who_what_and_from_which_log(drawn: tuple[ChartData, Any]) -> None:
    data, result = drawn
    figure_text = "\n".join(t.get_text() for t in result.fig.texts)
    assert data.headline in figure_text  # "North Korea and Russian Federation"
    assert "Relations index" in figure_text and data.fingerprint in figure_text
    assert f"log head seq {data.head[0]} {data.head[1][:16]}" in figure_text
    band_names = [t.get_text() for t in result.fig.axes[1].get_yticklabels()]
    labels = [label for label, _ in data.bands]
    assert band_names == [label for label in labels if label in band_names]  # top to bottom
    assert len(band_names) >= (6 if result.fig.get_figheight() * 100 >= 500 else 4)
    legend = [t.get_text() for t in result.fig.legends[0].get_texts()]
    assert "index" in legend and "last event: end of the record" in legend
    kinds = {c.kind for c in data.changes}
    for kind, name in (("agreement", "agreement"), ("sanctions", "sanctions")):
        assert (name in legend) == (kind in kinds)


def test_structure_and_conflict_come_from_the_record(store: Path) -> None:
    data, _ = data_for(store, "rus-ukr")
    states = [(p.start.isoformat(), p.state) for p in data.conflicts]
    assert states[0] == ("2014-02-27", "active")
    assert ("2022-02-24", "active") in states
    assert data.conflicts[-1].end == TODAY  # still active at the end of the chart
    assert data.last_event == date(2025, 1, 1)  # the gas transit contract expires
    assert data.names == ("Russian Federation", "Ukraine")


def test_svg_keeps_text_as_text(store: Path, tmp_path: Path) -> None:
    data, _ = data_for(store, "qat-sau")
    out = tmp_path / "qat-sau.svg"
    render_image(data, out)
    svg = out.read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    texts = ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Qatar and Saudi Arabia" in texts
    assert any("Al-Ula" in t for t in texts)
    assert not re.search(r'id="DejaVuSans-[0-9a-f]+"', svg)  # no glyphs drawn as paths
    render_image(data, tmp_path / "again.svg")
    assert (tmp_path / "again.svg").read_text(encoding="utf-8") == svg  # reproducible


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("short", 40, "short"),
        ("Putin visits; a treaty is signed after long talks", 30, "Putin visits"),
        ("one two three four five six seven", 20, "one two three four…"),
        ("Trump signs a memorandum, denouncing the government", 30, "Trump signs a memorandum…"),
        ("Supercalifragilisticexpialidocious words", 12, "…"),
    ],
)
def test_headlines_are_cut_at_a_clause_or_a_word_never_mid_word(
    text: str, limit: int, expected: str
) -> None:
    cut = headline(text, limit)
    assert len(cut) <= limit
    assert cut == expected
