"""Hot keys in Chromium: the load panel draws each cache's served requests, the hot key's owner busiest without a
remedy; with the near-cache every client's copies are listed. English and Chinese, screenshots looked at."""

from __future__ import annotations

from typing import Any

import pytest

from protocols.hotkeys.ring import preference
from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

PANEL = "() => document.getElementById('panel-hotkeys-load').textContent"
BUSIEST = "() => [...document.querySelectorAll('.hotkeys-bar[data-busiest=\"1\"]')].map(b => b.dataset.node)"
BARS = "() => document.querySelectorAll('.hotkeys-bar').length"
OWNER = preference(4, 50, "k0", 1)[0]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_hot_keys_owner_is_the_busiest_bar(browser: Any, http: Any, locale: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = open_session(context, http.create(protocol="cache-hot-keys", scenario="hot-key", seed=1))
    play_to_the_end(page)
    assert page.evaluate(BARS) == 4
    assert page.evaluate(BUSIEST) == [OWNER]
    screenshot(page, f"hotkeys-load-{locale}")
    assert page.errors == []
    context.close()


def test_the_near_caches_are_listed(browser: Any, http: Any) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = open_session(context, http.create(protocol="cache-hot-keys", scenario="near-cache", seed=1))
    play_to_the_end(page)
    text = page.evaluate(PANEL)
    assert "near-cache holds" in text and all(f"c{i}:" in text for i in range(1, 7)), text  # Every client listed
    # (at the end each copy has expired: the list shows "empty"; mid-run it shows k0 = value (vN)).
    screenshot(page, "hotkeys-near-cache-en-US")
    assert page.errors == []
    context.close()
