# ruff: noqa: RUF001  (the Chinese page's sentences, full-width punctuation included)
"""Three-phase commit in Chromium: the explorer's counterexample replayed in the UI, and the partition's split.

The explorer abstracts time away, so a participant may suspect a coordinator that is merely slow: its
shortest counterexample (7 steps with the small model's two participants) splits the outcome with no
fault at all. Here a teacher's page searches, opens that counterexample as a session of its own (Step
through), and the participants panel shows the split: the coordinator committed, p1 aborted as leader of
the termination protocol. The partition scenario shows the same lesson with a real partition, in English
and Chinese, at the three screen sizes the lab is used at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.browser.conftest import screenshot
from tests.browser.test_families import play_to_the_end
from tests.browser.test_lab_page import WAIT_MS, open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

LAB = "document.getElementById('lab').lab"
ROWS = """() => Object.fromEntries([...document.querySelectorAll('#panel-threephase-participants tr.tpc-participant')]
    .map((tr) => [tr.dataset.node, {phase: tr.dataset.phase, decidedBy: tr.dataset.decidedBy,
                                    cells: [...tr.children].map((c) => c.textContent)}]))"""
SPLIT = "() => { const s = document.querySelector('#panel-threephase-participants .tpc-split'); " \
        "return s && !s.hidden ? s.textContent : ''; }"
COORDINATOR = "() => document.querySelector('#panel-threephase-participants .tpc-coordinator').dataset.phase"
SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768), "390x844": (390, 844)}


def show_panels_pane(page: Any) -> None:
    """On a phone the panes take turns (the pane switcher): bring the panels' pane up, then the panel."""
    if page.locator(".pane-switch[data-pane=panels]").is_visible():
        page.click(".pane-switch[data-pane=panels]")
        page.wait_for_function("() => document.querySelector('.lab-main').dataset.pane === 'panels'", timeout=WAIT_MS)
    page.evaluate("() => document.querySelector('#panel-threephase-participants').scrollIntoView({block: 'start'})")


def show_panel(page: Any) -> None:
    """Select the participants tab (the first panel) and wait until it has drawn its rows."""
    page.click("[role=tab][data-tab=threephase-participants]")
    page.wait_for_selector("#panel-threephase-participants tr.tpc-participant", timeout=WAIT_MS)


def test_the_explorers_counterexample_opens_as_a_session_and_the_panel_shows_the_split(browser: Any,
                                                                                       http: Any) -> None:
    created = http.create(protocol="three-phase-commit", seed=1, owner="Ms Li")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = open_session(context, created)
        opened_errors: list[str] = []
        context.on("page", lambda new: new.on("pageerror", lambda exc: opened_errors.append(str(exc))))
        page.click("#tab-explore")
        page.select_option("select[data-action=explore-states]", "5000")
        page.click("[data-action=explore-run]")
        safety = ".explore-findings[data-category=safety] .explore-finding"
        page.wait_for_selector(safety, timeout=WAIT_MS * 2)
        assert page.locator(f"{safety} .explore-name").all_inner_texts() == ["atomicity"]
        with context.expect_page(timeout=WAIT_MS) as opened:
            page.locator(f"{safety} [data-action=explore-step]").click()
        example = opened.value
        example.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
        example.wait_for_selector(".follow-banner .provenance[data-origin=counterexample]", timeout=WAIT_MS)
        assert "breaking atomicity" in example.locator(".follow-banner .provenance").inner_text()
        example.wait_for_function(f"() => {LAB}.store.timeline.lastSeq > 0", timeout=WAIT_MS)
        steps = example.evaluate(f"() => {LAB}.store.timeline.stepEnds.length")
        assert steps <= 8, f"the counterexample is the shortest one (7 commands), not a run of {steps} steps"
        example.evaluate(f"() => {LAB}.actions.seek({LAB}.store.timeline.lastSeq)")
        show_panel(example)
        example.wait_for_function(f"() => ({SPLIT})() !== ''", timeout=WAIT_MS)

        split = example.evaluate(SPLIT)
        assert "Atomicity broken, the outcome split: coordinator committed while p1 aborted" in split, split
        rows = example.evaluate(ROWS)
        assert example.evaluate(COORDINATOR) == "committed"
        assert set(rows) == {"p1", "p2"}  # the small model's two participants
        assert rows["p1"]["phase"] == "aborted" and rows["p1"]["decidedBy"] == "p1", rows
        assert rows["p1"]["cells"][1] == "CanCommit", rows  # PreCommit never reached it
        assert rows["p1"]["cells"][3] == "p1, as termination leader", rows
        screenshot(example, "threephase-counterexample-1366x768")
        assert example.evaluate(f"() => {LAB}.store.playhead === {LAB}.store.timeline.lastSeq")
        assert page.errors == [] and opened_errors == []
    finally:
        context.close()


def test_the_counterexample_manage_py_explore_saves_opens_from_disk_with_the_split_on_the_panel(
        browser: Any, http: Any, tmp_path: Path) -> None:
    """`manage.py explore three-phase-commit` saves the shortest trace; Open trace replays it in the page."""
    call_command("explore", "three-phase-commit", "--max-states", "5000", "--save-dir", str(tmp_path), stdout=None)
    [saved] = tmp_path.glob("three-phase-commit-*-atomicity.json")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = open_session(context, http.create(protocol="three-phase-commit", seed=1))
        page.set_input_files("input[type=file]", str(saved))
        page.wait_for_function(f"() => {LAB}.store.mode === 'import'", timeout=WAIT_MS)
        page.evaluate(f"() => {LAB}.actions.seek({LAB}.store.timeline.lastSeq)")
        show_panel(page)
        page.wait_for_function(f"() => ({SPLIT})() !== ''", timeout=WAIT_MS)
        assert "coordinator committed while p1 aborted" in page.evaluate(SPLIT)
        assert page.evaluate(f"() => {LAB}.store.timeline.stepEnds.length") <= 8  # the 7 commands, and the start
        assert {n: r["phase"] for n, r in page.evaluate(ROWS).items()} == {"p1": "aborted", "p2": "uncertain"}
        screenshot(page, "threephase-saved-counterexample-1366x768")
        assert page.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_partition_splits_the_outcome_on_the_participants_panel(browser: Any, http: Any, locale: str) -> None:
    created = http.create(protocol="three-phase-commit", scenario="partition-during-precommit", seed=1)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    try:
        page = open_session(context, created)
        play_to_the_end(page)
        show_panel(page)
        rows = page.evaluate(ROWS)
        assert {n: r["phase"] for n, r in rows.items()} == {"p1": "committed", "p2": "aborted", "p3": "aborted"}
        assert {n: r["decidedBy"] for n, r in rows.items()} == {"p1": "coordinator", "p2": "p2", "p3": "p2"}
        assert page.evaluate(COORDINATOR) == "committed"
        split = page.evaluate(SPLIT)
        if locale == "en-US":
            assert "Atomicity broken, the outcome split: coordinator, p1 committed while p2 aborted" in split, split
            assert [r["cells"][1] for r in rows.values()] == ["DoCommit", "CanCommit", "CanCommit"]
        else:
            assert "原子性被破坏，结果分裂：coordinator、p1 已提交，而 p2 已中止" in split, split  # A Chinese list: 、
            assert rows["p3"]["cells"][3] == "p2（终止协议的领导者）", rows
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            show_panels_pane(page)
            screenshot(page, f"threephase-partition-{locale}-{size}")
        assert page.errors == []
    finally:
        context.close()
