"""The choreographed saga in Chromium: s3 refuses the saga, compensation events flow back, and the saga timeline
(the same panel as the orchestrated saga's, drawn from the services' own records) links C2 and C1 to the steps
they undo, in English and in Chinese, on a wide screen and on a phone; a semantic lock's wait is drawn."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_saga import VIEWS, check_compensations_linked, open_played, shoot_the_timeline

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.mark.parametrize(("locale", "viewport"), VIEWS)
def test_the_timeline_links_each_compensation_to_the_step_it_undoes(browser: Any, http: Any, locale: str,
                                                                    viewport: tuple[int, int]) -> None:
    check_compensations_linked(browser, http, "saga-choreographed", "step-fails-compensations-flow-back", locale,
                               viewport, "saga-choreographed-compensation")


def test_a_saga_waiting_on_a_semantic_lock_is_drawn_and_nothing_is_found(browser: Any, http: Any) -> None:
    context, page = open_played(browser, http, "saga-choreographed", "concurrent-sagas-semantic-lock")
    boxes = page.evaluate("""() => [...document.querySelectorAll('#panel-saga-timeline g.saga-box')]
      .map((g) => `${g.dataset.saga}:${g.dataset.kind}:${g.dataset.step}`)""")
    assert "g2:wait:1" in boxes and "g1:compensate:1" in boxes and "g2:apply:3" in boxes, boxes
    assert page.evaluate("() => document.querySelectorAll('#panel-saga-timeline .saga-findings li').length") == 0
    shoot_the_timeline(page, "saga-choreographed-semantic-lock-en-US-1366x768")
    context.close()
