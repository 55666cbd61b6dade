"""Every protocol family's own panels, and two runs side by side on the compare page, in Chromium."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_lab_page import WAIT_MS, open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

DONE = "() => { const s = document.getElementById('lab').lab.store; return Boolean(s.hot && s.hot.done); }"
FIRST_PANEL_TEXT = """() => {
    const tab = document.querySelector('.tabbar [role=tab]');
    return {selected: tab.getAttribute('aria-selected'), id: tab.dataset.tab,
            text: document.getElementById('panel-' + tab.dataset.tab).textContent};
}"""
STANDARD_TABS = {"nodes", "states", "invariants", "pending", "partition", "captions"}


AT_THE_END = """() => { const s = document.getElementById('lab').lab.store;
    return s.playhead === s.timeline.lastSeq; }"""
NEXT_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def play_to_the_end(page: Any) -> None:
    """Play at full speed until the run is done and the page drew its last event (the views redraw in a frame)."""
    page.evaluate("() => { const a = document.getElementById('lab').lab.actions; a.setSpeed(0); a.play(); }")
    page.wait_for_function(DONE, timeout=WAIT_MS * 2)
    # Done is the worker's word; the last events may still be on their way to the page (a loaded machine).
    page.wait_for_function(AT_THE_END, timeout=WAIT_MS * 2)
    page.evaluate(NEXT_FRAMES)


@pytest.mark.parametrize(("protocol", "scenario", "words"), [
    ("cache-aside", "stale-fill-race", ["stale", "db"]),
    ("mesi", "broken-directory", ["Modified", "cache1"]),
    ("consistent-hashing", "add-node", ["moved", "modulo"]),
    ("lock-lease", "process-pause", ["token"]),
    ("g-counter", "partition-and-heal", ["r1", "r2"]),
    ("counter-bft", "too-many-liars", ["lie"]),
    ("service-registry", "provider-crash", ["EVICTED", "p2"]),
    ("service-mesh", "sidecar-policy-change", ["closed", "open", "half-open"]),
])
def test_a_familys_own_panel_comes_first_and_draws_the_run(context, http, protocol, scenario, words):
    created = http.create(protocol=protocol, scenario=scenario, seed=1)
    page = open_session(context, created)
    play_to_the_end(page)
    panel = page.evaluate(FIRST_PANEL_TEXT)
    assert panel["selected"] == "true" and panel["id"] not in STANDARD_TABS
    for word in words:
        assert word in panel["text"], f"{word!r} not in the {panel['id']} panel: {panel['text'][:300]!r}"
    assert page.errors == []
    screenshot(page, f"panel-{protocol}")


def test_the_compare_page_plays_two_runs_side_by_side_and_tabulates_their_figures(context, http):
    request = urllib.request.Request(
        f"{http.base}/api/compare", data=json.dumps({"preset": "write-back-vs-through-crash"}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.load(response)
    tokens = ",".join(s["control_token"] for s in created["sessions"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{created['url'].replace('localhost', '127.0.0.1')}#tokens={tokens}")
    assert page.locator(".compare-pane iframe").count() == 2
    for frame_index in range(2):  # Each frame is its session's controller: the tokens reached them.
        frame = page.frame_locator(".compare-pane iframe").nth(frame_index)
        frame.locator(".conn[data-state=live]").wait_for(timeout=WAIT_MS)
    page.wait_for_function("""() => [...document.querySelectorAll('.compare-pane iframe')].every(f => {
        const lab = f.contentDocument && f.contentDocument.getElementById('lab');
        return lab && lab.lab && lab.lab.store.role === 'controller';
    })""", timeout=WAIT_MS)
    page.click("[data-all=play]")
    page.wait_for_function("""() => {
        const rows = [...document.querySelectorAll('#compare-table tr')];
        const row = rows.find(r => r.firstChild.textContent === 'Lost writes');  // its label (protocols/figures.py)
        return row && row.children[1].textContent === '1' && row.children[2].textContent === '0';
    }""", timeout=WAIT_MS * 2)
    lost = page.locator("#compare-table tr", has_text="Lost writes").locator("td")
    assert lost.first.get_attribute("class") == "differs"
    assert errors == []
    screenshot(page, "compare-write-back-vs-through")
