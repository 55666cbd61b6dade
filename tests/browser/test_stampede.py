"""The stampede without and with single-flight side by side on the compare page, in Chromium, in both languages.

The scenarios expiry-herd and expiry-single-flight (six readers, one hot key, a TTL of a few reads): without a
remedy the database's load chart spikes and the compare table's peak of concurrent database reads is the herd;
with single-flight the chart never rises above one read and the peak is 1. Screenshots at a projector, a laptop
and a phone, with each pane scrolled to its load chart, and the figures table.
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_lab_page import WAIT_MS

pytestmark = [pytest.mark.browser, pytest.mark.live]

ROW = """(label) => {
    const row = [...document.querySelectorAll('#compare-table tr')].find(r => r.firstChild.textContent === label);
    return row ? [...row.children].slice(1).map(c => c.textContent) : null;
}"""
LOAD_TEXT = """(index) => {
    const doc = document.querySelectorAll('.compare-pane iframe')[index].contentDocument;
    const tab = doc.querySelector('.tabbar [role=tab]');
    const panel = doc.getElementById('panel-stampede-load');
    return {first: tab && tab.dataset.tab, selected: tab && tab.getAttribute('aria-selected'),
            summary: panel.querySelector('.stampede-load-summary').textContent,
            path: (panel.querySelectorAll('path')[1] || {getAttribute: () => ''}).getAttribute('d')};
}"""
SHOW_PANELS = """(expanded) => {
    window.scrollTo(0, 0);
    for (const f of document.querySelectorAll('.compare-pane iframe')) {
        f.contentDocument.querySelector('.lab-main').classList.toggle('expanded', expanded);
        f.contentWindow.scrollTo(0, 0);
    }
    return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""
PANEL_HEIGHT = """() => [...document.querySelectorAll('.compare-pane iframe')].map(
    f => f.contentDocument.getElementById('pane-panels').clientHeight)"""
VIEWPORTS = ({"width": 1920, "height": 1080}, {"width": 1366, "height": 768}, {"width": 390, "height": 844})


@pytest.mark.parametrize(("locale", "peak_label", "most"), [
    ("en-US", "Peak concurrent database reads of one key", r"most at once: (\d+)"),
    ("zh-CN", "同一键并发数据库读取的峰值", r"同时最多：(\d+)"),  # noqa: RUF001 (the page's own fullwidth colon)
])
def test_the_herd_spikes_the_database_and_single_flight_keeps_it_to_one_read(browser: Any, http: Any, locale: str,
                                                                             peak_label: str, most: str) -> None:
    body = {"runs": ["cache-stampede@expiry-herd", "cache-stampede@expiry-single-flight"], "seed": 1}
    request = urllib.request.Request(f"{http.base}/api/compare", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.load(response)
    tokens = ",".join(s["control_token"] for s in created["sessions"])
    context = browser.new_context(viewport=VIEWPORTS[1], locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{created['url'].replace('localhost', '127.0.0.1')}#tokens={tokens}")
    assert page.locator(".compare-pane iframe").count() == 2
    for index in range(2):
        page.frame_locator(".compare-pane iframe").nth(index).locator(".conn[data-state=live]").wait_for(
            timeout=WAIT_MS)
    page.wait_for_function("""() => [...document.querySelectorAll('.compare-pane iframe')].every(f => {
        const lab = f.contentDocument && f.contentDocument.getElementById('lab');
        return lab && lab.lab && lab.lab.store.role === 'controller';
    })""", timeout=WAIT_MS)
    page.evaluate("""() => document.querySelectorAll('.compare-pane iframe').forEach(
        f => f.contentDocument.getElementById('lab').lab.actions.setSpeed(0))""")
    page.click("[data-all=play]")
    page.wait_for_function("""() => [...document.querySelectorAll('.compare-pane iframe')].every(f => {
        const s = f.contentDocument.getElementById('lab').lab.store;
        return s.hot && s.hot.done;
    })""", timeout=WAIT_MS * 4)
    page.wait_for_function(f"""() => {{ const r = ({ROW})({peak_label!r});
        return r && r.every(x => Number(x) > 0); }}""", timeout=WAIT_MS * 2)
    herd, single = (int(x) for x in page.evaluate(ROW, peak_label))
    assert herd >= 4 and single == 1, (herd, single)
    # Each pane's first panel is the database's load; the herd's most-at-once is a spike, single-flight's one read.
    loads = [page.evaluate(LOAD_TEXT, index) for index in range(2)]
    assert [load["first"] for load in loads] == ["stampede-load"] * 2 and loads[0]["selected"] == "true"
    peaks = [int(re.search(most, load["summary"]).group(1)) for load in loads]  # type: ignore[union-attr]
    assert peaks[0] >= 3 and peaks[1] == 1, [load["summary"] for load in loads]
    assert loads[0]["path"] != loads[1]["path"]
    # A compare pane is narrower than 1000 px, where the lab stacks its panes and the panels' row gets no
    # height (static/css/lab.css; its expand button is hidden there too): the panels are shown as that button
    # would show them, taking the pane's whole area.
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        name = f"compare-stampede-{locale}-{viewport['width']}x{viewport['height']}"
        page.evaluate(SHOW_PANELS, False)
        screenshot(page, name)
        page.evaluate(SHOW_PANELS, True)
        assert all(height > 150 for height in page.evaluate(PANEL_HEIGHT))
        screenshot(page, f"{name}-load")
    page.set_viewport_size(VIEWPORTS[1])
    page.evaluate("() => document.getElementById('compare-table').scrollIntoView()")
    screenshot(page, f"compare-stampede-{locale}-table")
    assert errors == []
    context.close()
