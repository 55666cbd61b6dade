"""TCC's hanging in Chromium: a Cancel overtakes a slow Try; without the control table the late Try freezes for good."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

PANEL = "() => document.getElementById('panel-tcc-branches').textContent"
CHIPS = "() => [...document.querySelectorAll('.invariant-strip .chip.violated')].map(c => c.dataset.invariant)"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_cancel_that_overtakes_the_try_leaves_a_hanging_reservation(browser: Any, http: Any, locale: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = open_session(context, http.create(protocol="tcc", scenario="cancel-overtakes-try", seed=1))
    play_to_the_end(page)
    broken = set(page.evaluate(CHIPS))
    assert {"no-empty-rollback-effect", "no-hanging-reservation"} <= broken, broken
    text = page.evaluate(PANEL)
    assert "b1" in text and "30" in text, text  # the branch and the 30 left frozen
    screenshot(page, f"tcc-hanging-{locale}")
    assert page.errors == []
    context.close()
