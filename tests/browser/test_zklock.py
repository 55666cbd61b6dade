"""zk-lock's recipe and herd side by side on the compare page, in Chromium: the herd wakes every waiter."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_lab_page import WAIT_MS

pytestmark = [pytest.mark.browser, pytest.mark.live]

ROW = """(label) => {
    const row = [...document.querySelectorAll('#compare-table tr')].find(r => r.firstChild.textContent === label);
    return row ? [...row.children].slice(1).map(c => c.textContent) : null;
}"""


def test_five_waiters_the_recipe_wakes_one_the_herd_wakes_all(context: Any, http: Any) -> None:
    request = urllib.request.Request(f"{http.base}/api/compare", data=json.dumps({"preset": "lock-herd"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.load(response)
    tokens = ",".join(s["control_token"] for s in created["sessions"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{created['url'].replace('localhost', '127.0.0.1')}#tokens={tokens}")
    assert page.locator(".compare-pane iframe").count() == 2
    for index in range(2):
        frame = page.frame_locator(".compare-pane iframe").nth(index)
        frame.locator(".conn[data-state=live]").wait_for(timeout=WAIT_MS)
    page.wait_for_function("""() => [...document.querySelectorAll('.compare-pane iframe')].every(f => {
        const lab = f.contentDocument && f.contentDocument.getElementById('lab');
        return lab && lab.lab && lab.lab.store.role === 'controller';
    })""", timeout=WAIT_MS)
    page.click("[data-all=play]")
    page.wait_for_function("""() => [...document.querySelectorAll('.compare-pane iframe')].every(f => {
        const s = f.contentDocument.getElementById('lab').lab.store;
        return s.hot && s.hot.done;
    })""", timeout=WAIT_MS * 3)
    # The table shows each run's figures at its newest event: once both have ended, the final ones.
    page.wait_for_function(f"""() => {{ const r = ({ROW})('Watch notifications per release');
        return r && r.every(x => Number(x) > 0); }}""", timeout=WAIT_MS * 2)
    recipe, herd = (float(x) for x in page.evaluate(ROW, "Watch notifications per release"))
    assert recipe <= 1.0 < herd, (recipe, herd)
    screenshot(page, "compare-zk-recipe-vs-herd")
    assert errors == []
