"""The transactional outbox in Chromium: the Orders panel after the dual write's crash and the outbox's relay crash.

Database first, the service crashes after the commit: an order committed, applied none and marked lost by
the checker. Outbox, the relay crashes between publish and mark: an order applied twice, its row published, marked
a duplicate effect. Both languages, screenshots at 1366 by 768.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

PANEL = "() => document.getElementById('panel-outbox-orders').textContent"
WORDS = {
    "en-US": {"lost": "lost event", "duplicate": "duplicate effect", "published": "published",
              "committed": "committed"},
    "zh-CN": {"lost": "丢失的事件", "duplicate": "重复生效", "published": "已发布", "committed": "已提交"},
}


@pytest.mark.parametrize(("scenario", "mark", "times"), [
    ("db-first-crash-loses-event", "lost", "\u00d70"),
    ("outbox-relay-crash-duplicate", "duplicate", "\u00d72"),
])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_orders_panel_shows_what_the_checker_found(browser: Any, http: Any, locale: str, scenario: str,
                                                       mark: str, times: str) -> None:
    words = WORDS[locale]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = open_session(context, http.create(protocol="transactional-outbox", scenario=scenario, seed=0))
    play_to_the_end(page)
    page.evaluate("() => document.getElementById('lab').lab.actions.seek(Infinity)")
    page.wait_for_function(f"() => ({PANEL})().includes({words[mark]!r})")
    text = page.evaluate(PANEL)
    assert times in text and words["committed"] in text, text
    if mark == "duplicate":
        assert words["published"] in text, text
    screenshot(page, f"outbox-{scenario}-{locale}")
    assert page.errors == []
    context.close()
