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


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", (1920, 1080)), ("zh-CN", (1920, 1080)),
                                                  ("en-US", (390, 844)), ("zh-CN", (390, 844))])
def test_the_timeline_links_each_compensation_to_the_step_it_undoes(browser: Any, http: Any, locale: str,
                                                                    viewport: tuple[int, int]) -> None:
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = open_session(context, http.create(protocol="saga-orchestrated", scenario="step-fails-compensate", seed=1))
    play_to_the_end(page)
    assert sorted(page.evaluate(BOXES)) == ["apply:1", "apply:2", "compensate:1", "compensate:2", "fail:3"]
    links = sorted(page.evaluate(LINKS), key=lambda link: link["from"][2])
    assert links == [{"from": ["g1", "compensate", "1", "s1"], "to": ["g1", "apply", "1", "s1"]},
                     {"from": ["g1", "compensate", "2", "s2"], "to": ["g1", "apply", "2", "s2"]}]
    tab, text = page.evaluate(TAB), page.evaluate(PANEL)
    if locale == "zh-CN":
        assert "Saga 时间线" in tab and "已补偿" in text, (tab, text)
    else:
        assert "Saga timeline" in tab and "compensated" in text, (tab, text)
    if width < 1000:  # A phone shows one pane at a time: switch to the panels, then scroll them into view.
        page.evaluate("() => window.scrollTo(0, 0)")
        page.click(".pane-switch[data-pane=panels]")
        page.wait_for_function("() => document.querySelector('.lab-main').dataset.pane === 'panels'")
    page.locator("#panel-saga-timeline svg.saga-timeline").scroll_into_view_if_needed()
    screenshot(page, f"saga-compensation-{locale}-{width}x{height}")
    assert page.errors == []
    context.close()


def test_the_dirty_read_is_pinned_on_the_compensation_that_caused_it(browser: Any, http: Any) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = open_session(context, http.create(protocol="saga-orchestrated", scenario="dirty-read", seed=1))
    play_to_the_end(page)
    found = page.evaluate("""() => [...document.querySelectorAll('#panel-saga-timeline .saga-findings li')]
      .map((li) => li.dataset.finding)""")
    assert sorted(found) == ["change-dropped", "dirty-read"]
    pinned = page.evaluate("""() => [...document.querySelectorAll('#panel-saga-timeline g.saga-box')]
      .filter((g) => g.textContent.includes('⚠'))
      .map((g) => `${g.dataset.saga}:${g.dataset.kind}:${g.dataset.step}`)""")
    assert pinned == ["g1:compensate:1"]
    page.locator("#panel-saga-timeline svg.saga-timeline").scroll_into_view_if_needed()
    screenshot(page, "saga-dirty-read-en-US-1366x768")
    assert page.errors == []
    context.close()
