"""`tracker report`: one self-contained HTML page about a pair, written by the real command in
a subprocess, read as text and then opened in headless Chromium (Debian's `chromium`), which
must log no error, load nothing but the page itself and paint a page that is not blank.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.browser import WHY_NO_BROWSER, chromium, visit
from tracker.cli import main
from tracker.demo import build_store, load_events

TRACKER = Path(sys.executable).with_name("tracker")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "tracker-demo.db"
    build_store(path, load_events())
    return path


def report(store: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    env.update({"NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"})
    return subprocess.run(
        [str(TRACKER), "report", *args, "--db", str(store), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def page(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-out") / "prk-rus.html"
    result = report(store, out, "PRK", "RUS")
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    return out


def test_the_page_holds_chart_state_events_structure_and_provenance(
    page: Path, store: Path
) -> None:
    from tracker.api import Tracker

    html = page.read_text(encoding="utf-8")
    with Tracker(store, create=False) as t:
        head, fingerprint = t.head(), t.model.fingerprint
    assert html.startswith("<!doctype html>")
    assert "<svg" in html and "<text" in html  # the chart, inline, its text as text
    assert "North Korea and Russian Federation" in html
    for section in ("state", "events", "structure", "reproduce"):
        assert f'<section id="{section}">' in html
    assert head.hash in html and f"seq <strong>{head.seq}</strong>" in html
    assert fingerprint in html
    assert "Source: Reuters/KCNA: Putin and Kim sign Treaty on Comprehensive" in html
    assert "mutual defence in force" in html  # the 2024 treaty's kind (demo data, issue 12)
    assert "Treaty on Comprehensive Strategic Partnership" in html
    assert '<time datetime="2024-06-19">' in html  # a telling date in the state table


def test_the_page_fetches_nothing(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(?!#)", html)  # only the SVG's own #ids
    loads = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert all(ref.startswith(("#", "data:")) for ref in loads), loads
    assert "default-src 'none'" in html  # and the browser is told to refuse any fetch


def test_a_period_is_reported_as_asked(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "zoom.html"
    result = report(
        store, out, "North Korea", "Russia", "--from", "2023-01-01", "--to", "2024-12-31"
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert 'Relations from <time datetime="2023-01-01">' in html
    assert '<time datetime="2024-12-31">2024-12-31</time>' in html
    assert "2014-04-18" not in html.split('<section id="events">')[1].split("</section>")[0]


def test_text_from_the_log_is_escaped(tmp_path: Path) -> None:
    db = tmp_path / "mine.db"
    runner = CliRunner()
    appended = runner.invoke(
        main,
        [
            "append",
            "praise",
            "--actor",
            "PRK",
            "--target",
            "RUS",
            "--on",
            "2024-01-02",
            "--summary",
            "<script>alert(1)</script> & <b>bold</b>",
            "--source",
            '"><img src=x onerror=alert(2)>',
            "--db",
            str(db),
        ],
    )
    assert appended.exit_code == 0, appended.output
    out = tmp_path / "mine.html"
    result = runner.invoke(main, ["report", "PRK", "RUS", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_report_never_overwrites_the_store(store: Path) -> None:
    before = store.read_bytes()
    result = CliRunner().invoke(
        main, ["report", "PRK", "RUS", "--db", str(store), "--out", str(store)]
    )
    assert result.exit_code == 1
    assert "store" in result.output
    assert store.read_bytes() == before


browser = pytest.mark.skipif(chromium() is None, reason=WHY_NO_BROWSER)


@browser
def test_the_browser_check_sees_errors_and_fetches(tmp_path: Path) -> None:
    """The harness itself: a page with a console error, a script error and a missing image
    is caught, so that an empty list below means a clean page."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><meta charset="utf-8"><p>bad</p><img src="missing.png">'
        '<script>console.error("boom"); nope()</script>',
        encoding="utf-8",
    )
    seen = visit(bad)
    assert ("error", "boom") in seen.console
    assert any("nope is not defined" in e for e in seen.exceptions)
    assert any("missing.png" in e for e in seen.log_errors)
    assert any(url.endswith("missing.png") for url in seen.requests), seen.requests


@browser
def test_the_report_renders_offline_in_chromium_with_no_errors(page: Path) -> None:
    from PIL import Image

    seen = visit(page, width=1280, height=900)
    assert seen.errors == []
    assert seen.requests == [page.resolve().as_uri()]  # nothing fetched but the page
    shot = Image.open(io.BytesIO(seen.screenshot)).convert("RGB")
    width, height = shot.size
    assert width == 1280 and height > 2500  # the whole page, chart and tables
    small = shot.resize((width // 4, height // 4))
    pixels = [small.getpixel((x, y)) for x in range(small.width) for y in range(small.height)]
    inked = sum(1 for r, g, b in pixels if r + g + b < 600) / len(pixels)
    assert inked > 0.04, f"only {inked:.1%} of the page is painted"
    assert len(set(pixels)) > 200  # text, shading and lines, not one flat colour


@pytest.mark.parametrize("predecessors", [True, False], ids=["with", "without"])
def test_chart_and_report_follow_predecessors_as_state_does(
    store: Path, tmp_path: Path, predecessors: bool
) -> None:
    """Russia's chart and report count the USSR's record unless --no-predecessors says not to:
    the last point is the index `state` gives with the same choice, and the report's command
    to draw the page again repeats the choice."""
    import json

    from tracker.api import Tracker

    flag = [] if predecessors else ["--no-predecessors"]
    runner = CliRunner()
    drawn = runner.invoke(main, ["chart", "PRK", "RUS", *flag, "--json", "--db", str(store)])
    assert drawn.exit_code == 0, drawn.output
    chart = json.loads(drawn.output)
    with Tracker(store, create=False) as t:
        expected = t.state("PRK", "RUS", predecessors=predecessors).score.index
        other = t.state("PRK", "RUS", predecessors=not predecessors).score.index
    assert chart["points"][-1]["index"] == expected != other
    out = tmp_path / "page.html"
    result = report(store, out, "PRK", "RUS", *flag)
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert ("--no-predecessors --db" in html) is not predecessors
    assert ("PRK–SUN" in html) is predecessors
