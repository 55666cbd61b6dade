"""The compare page as its readers see it, in Chromium: headings that tell the runs apart, and a phone's layout.

Four runs of one protocol differing in one parameter (the stampede's remedies) get four headings that each
show that parameter whole on a laptop; on a phone the runs stand one under the other, nothing runs off the
side of the screen but the figures table (which scrolls in its own box), and a frame's narration keeps the
width of the frame.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_lab_page import WAIT_MS

pytestmark = [pytest.mark.browser, pytest.mark.live]

HEADINGS = """() => [...document.querySelectorAll('.compare-pane h2')].map(h => {
    const box = h.getBoundingClientRect(), code = h.querySelector('.compare-differs');
    const c = code ? code.getBoundingClientRect() : null;
    return {text: code ? code.textContent : '', whole: Boolean(c) && c.left >= box.left && c.right <= box.right + 0.5
            && code.scrollWidth <= code.clientWidth + 1};
})"""
OFF_THE_SIDE = """() => [...document.querySelectorAll('body *')].filter(e => !e.closest('.compare-figures')
    && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)"""
PANES = """() => [...document.querySelectorAll('.compare-pane')].map(p => {
    const r = p.getBoundingClientRect(); return {left: r.left, top: r.top, bottom: r.bottom, width: r.width}; })"""
NARRATION = """(index) => {
    const doc = document.querySelectorAll('.compare-pane iframe')[index].contentDocument;
    return {story: doc.querySelector('.lab-story').clientWidth,
            narration: doc.querySelector('.lab-narration').clientWidth};
}"""


def open_compare(browser: Any, http: Any, preset: str, viewport: dict[str, int], locale: str = "en-US") -> Any:
    request = urllib.request.Request(f"{http.base}/api/compare", data=json.dumps({"preset": preset}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.load(response)
    tokens = ",".join(s["control_token"] for s in created["sessions"])
    page = browser.new_context(viewport=viewport, locale=locale).new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{created['url'].replace('localhost', '127.0.0.1')}#tokens={tokens}")
    for index in range(len(created["sessions"])):
        page.frame_locator(".compare-pane iframe").nth(index).locator(".conn[data-state=live]").wait_for(
            timeout=WAIT_MS)
    return page


def test_four_runs_of_one_protocol_are_told_apart_by_their_headings(browser: Any, http: Any) -> None:
    page = open_compare(browser, http, "stampede-remedies", {"width": 1366, "height": 768})
    headings = page.evaluate(HEADINGS)
    assert [h["text"] for h in headings] == ["remedy=none", "remedy=single-flight", "remedy=xfetch", "remedy=lease"]
    assert all(h["whole"] for h in headings), headings
    columns = page.locator("#compare-table tr").first.locator("th").all_text_contents()[1:]
    assert [c.rsplit("remedy=", 1)[-1] for c in columns] == ["none", "single-flight", "xfetch", "lease"], columns
    screenshot(page, "compare-headings-1366")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_on_a_phone_the_runs_stand_one_under_the_other_and_nothing_runs_off_the_side(browser: Any, http: Any,
                                                                                      locale: str) -> None:
    page = open_compare(browser, http, "fencing", {"width": 390, "height": 844}, locale)
    first, second = page.evaluate(PANES)
    assert second["top"] >= first["bottom"] - 3 and abs(first["left"] - second["left"]) < 1, (first, second)
    assert first["width"] > 380
    assert page.evaluate(OFF_THE_SIDE) == []
    sizes = page.evaluate(NARRATION, 0)
    assert sizes["narration"] >= sizes["story"] - 30, sizes  # its own row, not a sliver beside the chips
    screenshot(page, f"compare-phone-{locale}")
    assert page.errors == []
    page.context.close()
