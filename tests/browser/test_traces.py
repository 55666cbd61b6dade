"""Traces in the browser: a file opened from disk comes back out of Export unchanged; a counterexample
found by the Explore tab opens as a session to step through."""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocols import get_protocol
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from tests.browser.test_lab_page import WAIT_MS, last_seq, open_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

JS_SAFE_INTEGER = 2**53 - 1


def big_integers(value: Any) -> list[int]:
    """Return the integers in a JSON value that a JavaScript number cannot hold exactly."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value] if abs(value) > JS_SAFE_INTEGER else []
    if isinstance(value, dict):
        return [n for item in value.values() for n in big_integers(item)]
    if isinstance(value, list):
        return [n for item in value for n in big_integers(item)]
    return []


def test_an_opened_trace_is_exported_byte_for_byte(context, http, tmp_path):
    """Re-encoding the parsed trace in JavaScript would round the clients' 64-bit random streams."""
    engine = Engine(get_protocol("counter-naive"), {}, seed=1)
    engine.run()
    text = dumps(build_trace(engine))
    assert big_integers(json.loads(text)), "the trace must carry integers beyond 2^53 for this test to mean anything"
    saved = tmp_path / "naive.json"
    saved.write_text(text, encoding="utf-8")

    page = open_session(context, http.create(protocol="two-phase-commit", seed=1))
    page.set_input_files("input[type=file]", str(saved))
    page.wait_for_function("() => document.getElementById('lab').lab.store.mode === 'import'", timeout=WAIT_MS)
    page.click("[data-action=export]")  # Opens the export menu.
    with page.expect_download(timeout=WAIT_MS) as download:
        page.click("[data-action=export-json]")
    exported = download.value.path().read_text(encoding="utf-8")
    assert exported == text
    assert page.errors == []


def test_the_explore_tab_finds_the_broken_coordinator_and_steps_through_its_counterexample(context, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3, "variant": "majority-commit"},
                          seed=2)
    page = open_session(context, created)
    watcher = open_session(context, created, control=False)
    watcher.click("#tab-explore")
    assert watcher.locator("[data-action=explore-run]").is_disabled()
    page.click("#tab-explore")
    page.select_option("select[data-action=explore-states]", "5000")
    page.click("[data-action=explore-run]")
    page.wait_for_selector(".explore-finding", timeout=WAIT_MS * 2)
    assert "commit-needs-all-yes" in page.locator(".explore-result").inner_text()
    # The class sees the verdict too: the server announced the search to every page of the session.
    watcher.wait_for_selector(".explore-finding", timeout=WAIT_MS * 2)
    assert "commit-needs-all-yes" in watcher.locator(".explore-result").inner_text()
    late = open_session(context, created, control=False)  # Opened after the search: its welcome names it.
    late.click("#tab-explore")
    late.wait_for_selector(".explore-finding", timeout=WAIT_MS)
    # Step through opens the counterexample in a new tab, as Fork does: this one (the class's) stays.
    with context.expect_page(timeout=WAIT_MS) as opened:
        page.locator("[data-action=explore-step]").first.click()
    example = opened.value
    example.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    example.wait_for_function("() => document.getElementById('lab').lab.store.timeline.events.some("
                              "e => e.kind === 'violation')", timeout=WAIT_MS)
    assert example.evaluate("() => document.getElementById('lab').lab.store.role") == "controller"
    assert page.evaluate("() => document.getElementById('lab').lab.store.sessionId") == created["id"]
    assert page.errors == []


def test_a_chinese_page_downloads_shiviz_and_mermaid_in_chinese(browser, http):
    """The export menu asks for the page's language (?lang=zh-hans); the JSON trace is data, in no language."""
    created = http.create(protocol="two-phase-commit", params={"participants": 2}, seed=3, scenario="vote-no-abort")
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-hans"})
    try:
        page = open_session(context, created)
        for _ in range(8):  # Deliveries, phases and log writes for the diagram's notes.
            seen = last_seq(page)
            page.click("[data-action=step]")
            page.wait_for_function(f"() => document.getElementById('lab').lab.store.timeline.lastSeq > {seen}",
                                   timeout=WAIT_MS)
        page.click("[data-action=export]")  # Opens the export menu.
        assert page.get_attribute("[data-action=export-mermaid]", "href").endswith("/export/mermaid?lang=zh-hans")
        assert page.get_attribute("[data-action=export-shiviz]", "href").endswith("/export/shiviz?lang=zh-hans")
        assert page.get_attribute("[data-action=export-json]", "href").endswith("/export/json")
        with page.expect_download(timeout=WAIT_MS) as download:
            page.click("[data-action=export-mermaid]")
        diagram = download.value.path().read_text(encoding="utf-8")
        assert diagram.startswith("sequenceDiagram\n") and "Note over" in diagram
        assert any("\u4e00" <= ch <= "\u9fff" for ch in diagram), "the diagram is not in the page's language"
        assert page.errors == []
    finally:
        context.close()
