"""Redlock's clock jump in Chromium: two holders in the keys grid, the store's two writes, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

SEEK_TO_C2_HOLDING = """() => {
    const lab = document.getElementById('lab').lab;
    const e = lab.store.timeline.events.find(x => x.kind === 'state' && x.node === 'c2' && x.state.phase === 'holding');
    lab.actions.seek(e.seq);
    return e.seq;
}"""
PANEL_TEXT = "(id) => document.getElementById('panel-' + id).textContent"


@pytest.mark.parametrize(("locale", "c1_key", "c2_key", "applied"), [
    ("en-US", "key of c1", "key of c2", "Writes applied: 2"),
    ("zh-CN", "c1 的键", "c2 的键", "已应用的写入：2"),  # noqa: RUF001 (the page's own fullwidth colon)
])
def test_the_clock_jump_shows_two_holders_and_two_accepted_writes(browser: Any, http: Any, locale: str, c1_key: str,
                                                                   c2_key: str, applied: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = open_session(context, http.create(protocol="redis-lock", scenario="clock-jump", seed=1))
    play_to_the_end(page)
    page.evaluate(SEEK_TO_C2_HOLDING)
    page.wait_for_function(f"() => document.getElementById('panel-redlock-keys').textContent.includes({c2_key!r})")
    keys = page.evaluate(PANEL_TEXT, "redlock-keys")
    assert keys.count(c2_key) == 3 and keys.count(c1_key) == 2, keys
    screenshot(page, f"redlock-clock-jump-keys-{locale}")
    page.click("[data-tab=redlock-timeline]")
    page.evaluate("() => document.getElementById('lab').lab.actions.seek(Infinity)")
    page.wait_for_function(f"() => document.getElementById('panel-redlock-timeline').textContent.includes({applied!r})")
    screenshot(page, f"redlock-clock-jump-timeline-{locale}")
    assert page.errors == []
    context.close()
