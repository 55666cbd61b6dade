"""The orchestrated saga in Chromium: T3 fails and the saga timeline draws C2 and C1 back to the steps they undo,
in English and in Chinese, on a wide screen and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

LINKS = """() => [...document.querySelectorAll('#panel-saga-timeline path.saga-undo')].map((p) => {
  const from = document.querySelector(`#panel-saga-timeline g.saga-box[data-box="${p.dataset.from}"]`);
  const to = document.querySelector(`#panel-saga-timeline g.saga-box[data-box="${p.dataset.to}"]`);
  return {from: from && [from.dataset.saga, from.dataset.kind, from.dataset.step, from.dataset.node],
          to: to && [to.dataset.saga, to.dataset.kind, to.dataset.step, to.dataset.node]};
})"""
BOXES = """() => [...document.querySelectorAll('#panel-saga-timeline g.saga-box')]
  .map((g) => `${g.dataset.kind}:${g.dataset.step}`)"""
TAB = "() => document.querySelector('[role=tab][aria-selected=true]').textContent"
PANEL = "() => document.getElementById('panel-saga-timeline').textContent"


VIEWS = [("en-US", (1920, 1080)), ("zh-CN", (1920, 1080)), ("en-US", (390, 844)), ("zh-CN", (390, 844))]
"""Each language on a wide screen and on a phone."""


def open_played(browser: Any, http: Any, protocol: str, scenario: str, locale: str = "en-US",
                viewport: tuple[int, int] = (1366, 768)) -> tuple[Any, Any]:
    """Open a scenario's session (seed 1) in a new browser context and play it to the end; return both."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = open_session(context, http.create(protocol=protocol, scenario=scenario, seed=1))
    play_to_the_end(page)
    return context, page


def shoot_the_timeline(page: Any, name: str) -> None:
    """Scroll the saga timeline into view, save its screenshot, and assert the page logged no error."""
    page.locator("#panel-saga-timeline svg.saga-timeline").scroll_into_view_if_needed()
    screenshot(page, name)
    assert page.errors == []


def check_compensations_linked(browser: Any, http: Any, protocol: str, scenario: str, locale: str,
                               viewport: tuple[int, int], shot: str) -> None:
    """Play a saga whose third step fails; check C2 and C1 are linked to the steps they undo, then shoot it."""
    context, page = open_played(browser, http, protocol, scenario, locale, viewport)
    assert sorted(page.evaluate(BOXES)) == ["apply:1", "apply:2", "compensate:1", "compensate:2", "fail:3"]
    links = sorted(page.evaluate(LINKS), key=lambda link: link["from"][2])
    assert links == [{"from": ["g1", "compensate", "1", "s1"], "to": ["g1", "apply", "1", "s1"]},
                     {"from": ["g1", "compensate", "2", "s2"], "to": ["g1", "apply", "2", "s2"]}]
    tab, text = page.evaluate(TAB), page.evaluate(PANEL)
    if locale == "zh-CN":
        assert "Saga 时间线" in tab and "已补偿" in text, (tab, text)
    else:
        assert "Saga timeline" in tab and "compensated" in text, (tab, text)
    width, height = viewport
    if width < 1000:  # A phone shows one pane at a time: switch to the panels, then scroll them into view.
        page.evaluate("() => window.scrollTo(0, 0)")
        page.click(".pane-switch[data-pane=panels]")
        page.wait_for_function("() => document.querySelector('.lab-main').dataset.pane === 'panels'")
    shoot_the_timeline(page, f"{shot}-{locale}-{width}x{height}")
    context.close()


@pytest.mark.parametrize(("locale", "viewport"), VIEWS)
def test_the_timeline_links_each_compensation_to_the_step_it_undoes(browser: Any, http: Any, locale: str,
                                                                    viewport: tuple[int, int]) -> None:
    check_compensations_linked(browser, http, "saga-orchestrated", "step-fails-compensate", locale, viewport,
                               "saga-compensation")


def test_the_dirty_read_is_pinned_on_the_compensation_that_caused_it(browser: Any, http: Any) -> None:
    context, page = open_played(browser, http, "saga-orchestrated", "dirty-read")
    found = page.evaluate("""() => [...document.querySelectorAll('#panel-saga-timeline .saga-findings li')]
      .map((li) => li.dataset.finding)""")
    assert sorted(found) == ["change-dropped", "dirty-read"]
    pinned = page.evaluate("""() => [...document.querySelectorAll('#panel-saga-timeline g.saga-box')]
      .filter((g) => g.textContent.includes('⚠'))
      .map((g) => `${g.dataset.saga}:${g.dataset.kind}:${g.dataset.step}`)""")
    assert pinned == ["g1:compensate:1"]
    shoot_the_timeline(page, "saga-dirty-read-en-US-1366x768")
    context.close()
