# ruff: noqa: RUF001  (the Chinese page's sentences, full-width punctuation included)
"""Paxos Commit in Chromium: with two of three acceptors down it blocks, and the page says why.

The checker's illustrative blocked-without-quorum finding (how many acceptors are up, how many a quorum
needs) is the page's answer, in the page's language: a blue chip on the invariant strip, and on the
acceptor grid above the two crashed acceptors' columns: the first prepared resource manager's finding in
full, the others (the same counts) by name.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import WAIT_MS, open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

GRID = "#panel-paxos-acceptors"
WHY = f"() => [...document.querySelectorAll('{GRID} .paxos-blocked li')].map((li) => li.textContent)"
DOWN = f"() => document.querySelectorAll('{GRID} td[data-down=yes]').length"
CHIPS = "() => [...document.querySelectorAll('.invariant-strip .chip.{kind}')].map((c) => c.dataset.invariant)"
EXPECTED_CHIPS = CHIPS.format(kind="expected")
VIOLATED_CHIPS = CHIPS.format(kind="violated")
SAID = {
    "en-US": "⚠ Blocked: {node} is prepared and waits: 1 of 3 acceptors are up, 2 are needed for any value to be "
             "chosen",
    "zh-CN": "⚠ 阻塞：{node} 已准备好并在等待：3 个接受者中只有 1 个在运行，而选定任何值都需要 2 个",
}
TOO = {"en-US": "Waiting for the same reason: p3, p2", "zh-CN": "因同样原因等待：p3、p2"}  # A Chinese list: 、
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768), "390x844": (390, 844)}


def show_grid(page: Any) -> None:
    """Select the acceptors tab; on a phone bring the panels' pane up first; scroll the grid into view."""
    if page.locator(".pane-switch[data-pane=panels]").is_visible():
        page.click(".pane-switch[data-pane=panels]")
        page.wait_for_function("() => document.querySelector('.lab-main').dataset.pane === 'panels'", timeout=WAIT_MS)
    page.click("[role=tab][data-tab=paxos-acceptors]")
    page.wait_for_selector(f"{GRID} .paxos-grid tr", timeout=WAIT_MS)
    page.evaluate(f"() => document.querySelector('{GRID}').scrollIntoView({{block: 'start'}})")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_two_acceptors_down_block_and_the_grid_says_why(browser: Any, http: Any, locale: str) -> None:
    created = http.create(protocol="paxos-commit", scenario="too-many-acceptors-down", seed=1)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    try:
        page = open_session(context, created)
        play_to_the_end(page)
        show_grid(page)
        assert "blocked-without-quorum" in page.evaluate(EXPECTED_CHIPS)
        assert page.evaluate(VIOLATED_CHIPS) == []  # blocking is the lesson, not a broken safety property
        said = page.evaluate(WHY)
        assert said == [SAID[locale].format(node="p1"), TOO[locale]], said
        assert page.evaluate(DOWN) == 6, "a1 and a2 drawn down in each of the three instances"
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            show_grid(page)
            screenshot(page, f"paxoscommit-blocked-{locale}-{size}")
        assert page.errors == []
    finally:
        context.close()


def test_the_leader_crash_with_f_failures_says_nothing_is_blocked(browser: Any, http: Any) -> None:
    created = http.create(protocol="paxos-commit", scenario="leader-crash", seed=1)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = open_session(context, created)
        play_to_the_end(page)
        show_grid(page)
        assert page.evaluate(WHY) == []
        assert "blocked-without-quorum" not in page.evaluate(EXPECTED_CHIPS)
        assert page.errors == []
    finally:
        context.close()
