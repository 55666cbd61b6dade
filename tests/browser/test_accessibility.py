"""axe-core over every kind of page: no serious or critical violation.

axe-core is pinned in package.json and vendored under static/vendor/axe/ (served by the lab itself:
the pages' Content-Security-Policy allows scripts from the lab only, and a test never reaches a
CDN). Each page is audited as a person would meet it: the landing page, a session as its teacher
(controller) and as a student (watcher), the same session's Explore tab showing a finished search
with its counterexamples, and the compare page with its two framed sessions (axe audits the frames
too). What axe rates moderate or minor is printed, not failed on.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 60_000
AXE = "/static/vendor/axe/axe.min.js"
FAIL_ON = {"serious", "critical"}
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}"""


def audit(page: Any, name: str) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, print the rest."""
    page.add_script_tag(url=AXE)
    violations = page.evaluate(RUN)
    screenshot(page, f"axe-{name}")
    for v in violations:
        print(f"{name}: {v['impact']} {v['id']} ({v['help']}): {v['nodes']}")
    return [f"{name}: {v['impact']} {v['id']} on {v['nodes']}" for v in violations if v["impact"] in FAIL_ON]


def test_the_vendored_axe_is_the_one_package_json_pins():
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]["axe-core"]
    vendored = (ROOT / "static/vendor/axe/VERSION").read_text(encoding="utf-8").split()
    assert vendored[:2] == ["axe-core", pinned]
    assert (ROOT / "static/vendor/axe/LICENSE").exists()


def test_every_page_has_no_serious_or_critical_accessibility_violation(browser, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7,
                          scenario="majority-bug", owner="Ms Li")
    url = created["url"].replace("localhost", "127.0.0.1")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    found: list[str] = []
    try:
        page = context.new_page()
        page.goto(f"{http.base}/")
        page.wait_for_selector("form", timeout=WAIT_MS)
        found += audit(page, "landing")

        page.goto(f"{url}#token={created['control_token']}")
        page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
        page.wait_for_function("() => document.getElementById('lab').lab.store.controller", timeout=WAIT_MS)
        found += audit(page, "session-controller")

        watcher = context.new_page()
        watcher.goto(url)
        watcher.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
        found += audit(watcher, "session-watcher")

        page.click("#tab-explore")
        page.select_option("select[data-action=explore-states]", "5000")
        page.click("[data-action=explore-run]")
        page.wait_for_selector(".explore-finding", timeout=WAIT_MS * 2)
        found += audit(page, "explore")

        request = urllib.request.Request(
            f"{http.base}/api/compare", data=json.dumps({"preset": "write-back-vs-through-crash"}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            compared = json.load(response)
        tokens = ",".join(s["control_token"] for s in compared["sessions"])
        page.goto(f"{compared['url'].replace('localhost', '127.0.0.1')}#tokens={tokens}")
        for index in range(2):
            frame = page.frame_locator(".compare-pane iframe").nth(index)
            frame.locator(".conn[data-state=live]").wait_for(timeout=WAIT_MS)
        for frame in page.frames[1:]:  # axe audits a frame with its own copy, loaded there
            frame.add_script_tag(url=AXE)
        found += audit(page, "compare")
    finally:
        context.close()
    assert not found, "\n".join(found)
