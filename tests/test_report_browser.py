"""The HTML report in a real browser: headless Chromium opens it from disk, with every host
name unresolvable, and each chart must have drawn its data. The screenshot the README shows
(docs/report.png) is refreshed here when KLIPING_UPDATE_SCREENSHOT=1, so that a test run
does not change the working tree.

Skips where no Chromium is installed (Debian: `apt-get install chromium`; `.ci/run` does it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import struct
import subprocess
from collections import Counter
from pathlib import Path

import lxml.html
import pytest
from test_analyst import Newsroom, newsroom_dataset

from kliping.inspect import open_dataset, removals
from kliping.report import CHART_IDS, write_report

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "report.png"
WINDOW = (1280, 2400)


def find_chromium() -> str | None:
    for name in (
        os.environ.get("KLIPING_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
        "chrome",
    ):
        if name and (path := shutil.which(name)):
            return path
    return None


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless Chromium on this machine (Debian: apt-get install chromium); the report's browser test needs one",
)


def render(html: Path, tmp: Path) -> tuple[str, bytes]:
    """Open the file in headless Chromium: (the DOM after the scripts ran, a PNG screenshot)."""
    assert CHROMIUM is not None
    shot = tmp / "report.png"
    env = {
        **os.environ,
        "HOME": str(tmp),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
    }
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: a report that fetched anything would break
        "--virtual-time-budget=10000", f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--screenshot={shot}", "--dump-dom", html.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, timeout=180, env=env, check=False)
    dom = done.stdout.decode("utf-8", "replace")
    assert done.returncode == 0 and "</html>" in dom, done.stderr.decode("utf-8", "replace")[-2000:]
    assert shot.is_file(), "Chromium wrote no screenshot"
    return dom, shot.read_bytes()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Newsroom, Path, lxml.html.HtmlElement, bytes]:
    room, out = newsroom_dataset(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("browser")
    with contextlib.chdir(out.parent):  # the header names the folder as a user would: `clean`
        html = write_report(open_dataset(Path(out.name)), tmp / "report.html")
    dom, png = render(html, tmp)
    if os.environ.get("KLIPING_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(png)
    return room, out, lxml.html.fromstring(dom), png


def has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def marks(chart: lxml.html.HtmlElement, kind: str) -> list[lxml.html.HtmlElement]:
    """The drawn marks of one kind in a chart: 'bars' (one per bar), 'markers', 'lines'."""
    if kind == "bars":
        return chart.xpath(
            f".//g[{has_class('trace')} and {has_class('bars')}]//g[{has_class('point')}]/path"
        )
    if kind == "markers":
        return chart.xpath(f".//path[{has_class('point')}]")
    return chart.xpath(f".//path[{has_class('js-line')}]")


def bbox(path: str) -> tuple[float, float]:
    """(width, height) of an SVG path made of M/H/V/L commands, as plotly draws bars."""
    xs, ys = [], []
    x = y = 0.0
    for cmd, args in re.findall(r"([MLHVZ])([^MLHVZ]*)", path):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", args)]
        if cmd in "ML":
            x, y = nums[0], nums[1]
        elif cmd == "H":
            x = nums[0]
        elif cmd == "V":
            y = nums[0]
        xs.append(x)
        ys.append(y)
    return max(xs) - min(xs), max(ys) - min(ys)


def proportional(drawn: list[float], values: list[int]) -> bool:
    scale = [d / v for d, v in zip(drawn, values, strict=True)]
    return max(scale) - min(scale) <= 0.02 * max(scale)


def test_every_chart_draws_its_data(rendered: tuple[Newsroom, Path, lxml.html.HtmlElement, bytes]) -> None:
    room, out, dom, _png = rendered
    charts = {key: dom.get_element_by_id(chart_id) for key, chart_id in CHART_IDS.items()}
    for key, chart in charts.items():
        assert "js-plotly-plot" in chart.get("class", ""), f"{key}: plotly did not run"
        assert chart.xpath(f".//svg[{has_class('main-svg')}]"), key
    titles = [t.text_content() for t in dom.xpath(f"//*[{has_class('gtitle')}]")]
    assert len(titles) == len(CHART_IDS)
    art = open_dataset(out).articles

    # articles per outlet over time: a bar per outlet and UTC day; bar heights add up per outlet
    dated = [it for it in room.items.values() if it.published]
    days = {(it.domain, it.published.date()) for it in dated}
    chart = charts["outlets"]
    assert len(marks(chart, "bars")) == len(days)
    per_trace = [
        sum(bbox(p.get("d"))[1] for p in trace.xpath(f".//g[{has_class('point')}]/path"))
        for trace in chart.xpath(f".//g[{has_class('trace')} and {has_class('bars')}]")
    ]
    per_outlet = Counter(it.domain for it in dated)
    assert proportional(sorted(per_trace), sorted(per_outlet.values()))

    # the network: one node per outlet, one curve, arrow and hover point per directed edge
    pairs = {
        (room.items[room.story_origin[s]].domain, m.domain)
        for s, members in room.stories().items() for m in members if m.variant != "original"
    }  # fmt: skip
    chart = charts["network"]
    assert len(marks(chart, "lines")) == len(pairs)
    assert len(chart.xpath(f".//g[{has_class('annotation')}]")) == len(pairs)
    assert len(marks(chart, "markers")) == len(pairs) + len({it.domain for it in room.items.values()})
    labels = {t.text_content() for t in chart.xpath(f".//g[{has_class('textpoint')}]")}
    assert labels == {it.domain for it in room.items.values()}

    # the largest clusters' timelines: a point per member of the ten largest
    chart = charts["timelines"]
    assert len(marks(chart, "markers")) == sum(len(room.stories()[s]) for s in room.largest()[:10])
    ticks = [t.text_content() for t in chart.xpath(f".//g[{has_class('ytick')}]")]
    assert len(ticks) == 10 and ticks[-1].startswith("#1 · ")  # the largest on top
    table = dom.get_element_by_id("largest-clusters")
    first = table.xpath(".//tr")[1]
    assert room.story_titles[room.largest()[0]] in first.text_content()

    # removals: a bar per (rule, outlet); bar lengths add up per outlet
    rem = removals(art)
    chart = charts["removals"]
    assert len(marks(chart, "bars")) == len(rem.groupby(["rule", "source_domain"]).size())
    widths = [
        sum(bbox(p.get("d"))[0] for p in trace.xpath(f".//g[{has_class('point')}]/path"))
        for trace in chart.xpath(f".//g[{has_class('trace')} and {has_class('bars')}]")
    ]
    assert proportional(sorted(widths), sorted(rem["source_domain"].value_counts().tolist()))

    # rejects: a bar per reason, labelled with its count, as tall as its count
    chart = charts["rejects"]
    bars = marks(chart, "bars")
    counts = sorted(room.rejects.values(), reverse=True)
    assert len(bars) == len(room.rejects)
    assert [t.text_content() for t in chart.xpath(f".//*[{has_class('bartext')}]")] == [
        str(n) for n in counts
    ]
    assert proportional([bbox(b.get("d"))[1] for b in bars], counts)


def test_screenshot_for_the_readme(rendered: tuple[Newsroom, Path, lxml.html.HtmlElement, bytes]) -> None:
    _room, _out, _dom, png = rendered
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == WINDOW
    assert len(png) > 100_000  # charts, not a blank page
