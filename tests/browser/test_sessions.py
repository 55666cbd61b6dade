"""Session guarantees in Chromium: the log-positions panel shows a read that went back in time, and the token's fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

LEGEND = ("() => [...document.querySelectorAll('#panel-sessions-positions .sessions-position')]"
          ".map(li => [li.dataset.node, li.dataset.role, li.dataset.pos])")
MARKS = "() => document.querySelectorAll('#panel-sessions-positions svg text').length"
NOTE = "() => document.querySelector('#panel-sessions-positions p').textContent"
CHIPS = "() => [...document.querySelectorAll('.invariant-strip .chip.violated')].map(c => c.dataset.invariant)"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize(("scenario", "broken"), [("monotonic-violated", {"monotonic-reads"}),
                                                  ("monotonic-session-token", set())])
def test_the_positions_panel_shows_the_replicas_behind_the_session(browser: Any, http: Any, locale: str,
                                                                   scenario: str, broken: set[str]) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = open_session(context, http.create(protocol="session-guarantees", scenario=scenario, seed=1))
    play_to_the_end(page)
    assert set(page.evaluate(CHIPS)) == broken
    legend = page.evaluate(LEGEND)
    assert [row[:2] for row in legend] == [["primary", "primary"], ["r1", "replica"], ["r2", "replica"],
                                           ["c1", "client"], ["c2", "client"]], legend
    assert all(pos == "1" for _, _, pos in legend)  # At the end every replica and both sessions are at position 1.
    note = page.evaluate(NOTE)
    assert ("✕" in note) == bool(broken), note
    screenshot(page, f"sessions-{scenario}-{locale}")
    assert page.errors == []
    context.close()
