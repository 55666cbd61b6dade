"""What a session page says about itself, in Chromium: that its run finished, where it came from
(a fork, a search's counterexample), what its markers mean (the legend), and how its exports are named.

One teacher's page of two-phase commit's majority bug does it all: it plays to the end (Finished at
seq N, Play becomes Replay from start), forks (a new tab saying "forked from"), searches (Step
through opens the counterexample in a new tab, which says which counterexample of which search it
is and the invariant it breaks, while the teacher's tab stays), opens the legend, and downloads
every export: `<protocol>-<session>-g<generation>.<ext>`, and g2 after a reset.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAIT_MS = 60_000
LAB = "document.getElementById('lab').lab"
EXPORTS = {"export-json": "json", "export-shiviz": "shiviz.log", "export-mermaid": "mmd", "export-svg": "svg",
           "export-png": "png"}


def open_controller(page: Any, created: dict[str, Any]) -> None:
    page.goto(f"{created['url'].replace('localhost', '127.0.0.1')}#token={created['control_token']}")
    page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    page.wait_for_function(f"() => {LAB}.store.controller && {LAB}.store.timeline.lastSeq > 0", timeout=WAIT_MS)


def export_names(page: Any) -> dict[str, str]:
    """Download every export from the menu; return each one's file name."""
    names = {}
    for action in EXPORTS:
        page.click("[data-action=export]")
        with page.expect_download(timeout=WAIT_MS) as download:
            page.click(f"[data-action={action}]")
        names[action] = download.value.suggested_filename
    return names


def test_a_session_says_it_finished_where_it_came_from_what_its_marks_mean_and_names_its_exports(browser, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7,
                          scenario="majority-bug", owner="Ms Li")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        open_controller(page, created)

        # A screen reader hears what each step did and to whom (a live region).
        for _ in range(6):
            if page.locator(".step-live").text_content():
                break
            before = page.evaluate(f"() => {LAB}.store.timeline.lastSeq")
            page.click("[data-action=step]")
            page.wait_for_function(f"() => {LAB}.store.playhead > {before}", timeout=WAIT_MS)
            page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        heard = page.locator(".step-live").text_content()
        assert re.match(r"seq \d+: (coordinator|p\d)\b.*: \w+", heard), heard
        assert page.get_attribute(".step-live", "aria-live") == "polite"

        # Finished: the run says so, and Play offers to replay it.
        page.select_option("[data-action=speed]", "0")
        page.click("[data-action=play]")
        page.wait_for_selector(".run-finished:not([hidden])", timeout=WAIT_MS)
        last = page.evaluate(f"() => {LAB}.store.timeline.lastSeq")
        assert f"Finished at seq {last}" in page.locator(".run-finished").inner_text()
        assert "Replay from start" in page.locator("[data-action=play]").inner_text()
        assert page.get_attribute("[data-action=play]", "aria-pressed") != "true"
        screenshot(page, "states-finished")

        # The legend: closed, then every kind of marker this run has, with words.
        legend = page.locator(".legend")
        assert legend.get_attribute("open") is None
        page.click(".legend > summary")
        page.wait_for_selector(".legend-section li", timeout=WAIT_MS)
        words = page.locator(".legend-body").inner_text()
        for expected in ("message delivered", "phase or state changes", "an invariant broken (red band)", "PREPARE"):
            assert expected in words, words
        screenshot(page, "states-legend")
        page.click(".legend > summary")

        # The details of what was picked sit over the panels, never over the diagrams they explain.
        page.evaluate(f"() => {LAB}.store.select({{ kind: 'event', seq: 3 }})")
        page.wait_for_selector(".panels-pane > .details:not([hidden])", timeout=WAIT_MS)
        covered = page.evaluate("""() => {
            const d = document.querySelector('.details').getBoundingClientRect();
            return ['.st-scroll', '.topology-host'].filter((s) => {
                const r = document.querySelector(s).getBoundingClientRect();
                return Math.min(d.right, r.right) > Math.max(d.left, r.left)
                    && Math.min(d.bottom, r.bottom) > Math.max(d.top, r.top);
            });
        }""")
        assert covered == [], covered
        screenshot(page, "states-details")
        page.click("[data-action=close-details]")

        # The lane picker hides a lane (the others take its room) and shows every lane again.
        page.click("[data-action=lanes]")
        page.uncheck(".lane-choice input[data-lane=p2]")
        page.wait_for_selector(".spacetime-head g.lane-head[data-node=p2]", state="detached", timeout=WAIT_MS)
        assert page.locator(".spacetime-head g.lane-head").count() == 3
        screenshot(page, "states-lanes")
        page.click("[data-action=all-lanes]")
        page.wait_for_selector(".spacetime-head g.lane-head[data-node=p2]", timeout=WAIT_MS)
        page.click("[data-action=lanes]")

        # The panels take the whole area (a ring, a chart) and give it back.
        page.click("[data-action=expand-panels]")
        wide = page.evaluate("() => [document.querySelector('.panels-pane').getBoundingClientRect().width,"
                             " document.querySelector('.lab-main').getBoundingClientRect().width]")
        assert wide[0] >= 0.95 * wide[1] and not page.locator(".topology-pane").is_visible(), wide
        screenshot(page, "states-expanded")
        page.click("[data-action=expand-panels]")
        assert page.locator(".topology-pane").is_visible() and page.locator(".spacetime-pane").is_visible()

        # Projector mode: from the toolbar's More (or ?projector=1); the bar stays one row.
        page.click("[data-action=more]")
        page.click("[data-action=projector]")
        assert "projector=1" in page.url and page.evaluate("() => document.body.classList.contains('projector')")
        tops = page.evaluate("() => [...document.querySelectorAll('.lab-bar > *')]"
                             ".map((e) => e.getBoundingClientRect().top)")
        assert max(tops) - min(tops) <= 10, tops
        screenshot(page, "states-projector")
        page.click("[data-action=more]")
        page.click("[data-action=projector]")
        assert "projector" not in page.url

        # Exports: one naming scheme for all, the generation included.
        names = export_names(page)
        stem = f"two-phase-commit-{created['id']}-g1"
        assert names == {action: f"{stem}.{ext}" for action, ext in EXPORTS.items()}, names

        # A fork opens in a new tab that says where it came from.
        page.evaluate(f"() => {LAB}.actions.seek(5)")
        with context.expect_page(timeout=WAIT_MS) as forked:
            page.click("[data-action=fork]")
        child = forked.value
        child.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
        child.wait_for_selector(".follow-banner .provenance", timeout=WAIT_MS)
        said = child.locator(".follow-banner .provenance").inner_text()
        assert created["id"] in said and "5" in said, said
        assert child.get_attribute(".follow-banner .provenance a", "href") == f"/sessions/{created['id']}/"
        child.close()

        # A counterexample opens in a new tab (the teacher's stays) and says what it is.
        page.click("#tab-explore")
        page.select_option("select[data-action=explore-states]", "5000")
        page.click("[data-action=explore-run]")
        page.wait_for_selector(".explore-finding", timeout=WAIT_MS * 2)
        first = page.locator(".explore-finding .explore-name").first.inner_text()
        with context.expect_page(timeout=WAIT_MS) as opened:
            page.locator("[data-action=explore-step]").first.click()
        example = opened.value
        example.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
        example.wait_for_selector(".follow-banner .provenance[data-origin=counterexample]", timeout=WAIT_MS)
        said = example.locator(".follow-banner .provenance").inner_text()
        assert re.search(rf"counterexample 1 of search \S+, breaking {re.escape(first)}", said), said
        assert created["id"] in said
        screenshot(example, "states-counterexample")
        assert page.url.startswith(created["url"].replace("localhost", "127.0.0.1").split("#")[0])
        example.close()

        # A reset starts generation 2: the exports say so.
        page.click("[data-action=reset]")
        page.wait_for_function(f"() => {LAB}.store.generation === 2", timeout=WAIT_MS)
        page.wait_for_function(f"() => {LAB}.store.timeline.lastSeq > 0", timeout=WAIT_MS)
        names = export_names(page)
        assert set(names.values()) == {f"two-phase-commit-{created['id']}-g2.{ext}" for ext in EXPORTS.values()}, names
        assert not errors, errors
    finally:
        context.close()
