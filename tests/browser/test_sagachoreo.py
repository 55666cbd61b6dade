"""The choreographed saga in Chromium: s3 refuses the saga, compensation events flow back, and the saga timeline
(the same panel as the orchestrated saga's, drawn from the services' own records) links C2 and C1 to the steps
they undo, in English and in Chinese, on a wide screen and on a phone; a semantic lock's wait is drawn."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import open_session
from tests.browser.test_saga import BOXES, LINKS, PANEL, TAB

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.mark.parametrize(("locale", "viewport"), [("en-US", (1920, 1080)), ("zh-CN", (1920, 1080)),
                                                  ("en-US", (390, 844)), ("zh-CN", (390, 844))])
def test_the_timeline_links_each_compensation_to_the_step_it_undoes(browser: Any, http: Any, locale: str,
                                                                    viewport: tuple[int, int]) -> None:
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = open_session(context, http.create(protocol="saga-choreographed",
                                             scenario="step-fails-compensations-flow-back", seed=1))
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
    screenshot(page, f"saga-choreographed-compensation-{locale}-{width}x{height}")
    assert page.errors == []
    context.close()


def test_a_saga_waiting_on_a_semantic_lock_is_drawn_and_nothing_is_found(browser: Any, http: Any) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = open_session(context, http.create(protocol="saga-choreographed", scenario="concurrent-sagas-semantic-lock",
                                             seed=1))
    play_to_the_end(page)
    boxes = page.evaluate("""() => [...document.querySelectorAll('#panel-saga-timeline g.saga-box')]
      .map((g) => `${g.dataset.saga}:${g.dataset.kind}:${g.dataset.step}`)""")
    assert "g2:wait:1" in boxes and "g1:compensate:1" in boxes and "g2:apply:3" in boxes, boxes
    assert page.evaluate("() => document.querySelectorAll('#panel-saga-timeline .saga-findings li').length") == 0
    page.locator("#panel-saga-timeline svg.saga-timeline").scroll_into_view_if_needed()
    screenshot(page, "saga-choreographed-semantic-lock-en-US-1366x768")
    assert page.errors == []
    context.close()
