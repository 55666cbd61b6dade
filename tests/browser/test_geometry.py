"""Every protocol's session page at a projector's and a laptop's size, judged from element geometry.

For every protocol's default scenario, consistent hashing adding a node to eight caches and a
service mesh of 25 nodes (the most any parameters give), one
controller page plays the run to its end at full speed, then at 1920x1080 and at 1366x768 the test
measures (tests/browser/geometry.js): no two node boxes overlap; no node's label is over another
node's box or label; nothing of a node leaves the topology pane; every space-time lane's head can
be scrolled into view; nothing is wider than the window. The same is measured at three earlier
positions of the run (scrubbed back to), where messages are in flight: no message's label is over a
node or a node's label. One page visits every session in turn. The screenshots
(artifacts/geometry-*.png) are for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAIT_MS = 60_000
PROJECTOR = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}
SAMPLES = (0.75, 0.5, 0.25)
"""Fractions of the run scrubbed back to, where messages are in flight (backwards: each is a jump)."""

GEOMETRY = (Path(__file__).parent / "geometry.js").read_text(encoding="utf-8")
FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
LAB = "document.getElementById('lab').lab"
FINISHED = (f"() => {{ const s = {LAB}.store; return s.hot && s.hot.done && s.hot.seq <= s.timeline.lastSeq"
            " && s.playhead === s.timeline.lastSeq; }")
DRAWN = ("() => { const h = document.querySelector('.topology-host'); const s = h.querySelector('svg');"
         " return s && +s.getAttribute('width') === h.clientWidth; }")


def sessions(catalogue: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Return (label, create body) for every protocol's default run, and eight caches gaining a ninth."""
    runs = [(p["name"], {"protocol": p["name"], "seed": 7, "owner": "Ms Li"}) for p in catalogue]
    runs.append(("consistent-hashing-add-node-8", {"protocol": "consistent-hashing", "seed": 7, "owner": "Ms Li",
                                                   "scenario": "add-node", "params": {"initial_nodes": 8}}))
    # The most nodes a session's parameters allow in one topology: 4 consumers and 8 providers, each
    # with its sidecar, and the control plane (25).
    runs.append(("service-mesh-25", {"protocol": "service-mesh", "seed": 7, "owner": "Ms Li",
                                     "params": {"consumers": 4, "providers": 8, "calls_per_consumer": 4}}))
    return runs


def play_to_the_end(page: Any, created: dict[str, Any]) -> None:
    """Open the controller's page, play the run at full speed and wait until it has finished."""
    url = created["url"].replace("localhost", "127.0.0.1")
    page.goto(f"{url}#token={created['control_token']}")
    page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    page.wait_for_function(f"() => {LAB}.store.controller && {LAB}.store.timeline.lastSeq > 0", timeout=WAIT_MS)
    page.select_option("[data-action=speed]", "0")
    page.click("[data-action=play]")
    page.wait_for_function(FINISHED, timeout=WAIT_MS)


def measure(page: Any, size: dict[str, int], label: str) -> list[str]:
    """Return what is wrong with the page at `size`, at the end and at earlier positions; save screenshots."""
    page.set_viewport_size(size)
    page.wait_for_function(DRAWN, timeout=WAIT_MS)
    page.evaluate(FRAMES)
    where = f"{label} {size['width']}x{size['height']}"
    found = [f"{where} end: {p}" for p in page.evaluate(GEOMETRY)["problems"]]
    screenshot(page, f"geometry-{size['width']}-{label}")
    last = page.evaluate(f"() => {LAB}.store.timeline.lastSeq")
    for fraction in SAMPLES:
        seq = max(1, round(last * fraction))
        page.evaluate(f"() => {LAB}.actions.seek({seq})")
        page.wait_for_function(f"() => {LAB}.player.seq === {seq} && !{LAB}.player.tween", timeout=WAIT_MS)
        page.evaluate(FRAMES)
        found += [f"{where} seq {seq}: {p}" for p in page.evaluate(GEOMETRY)["problems"]]
        if fraction == 0.5:
            screenshot(page, f"geometry-{size['width']}-{label}-mid")
    page.evaluate(f"() => {LAB}.actions.live()")
    return found


def test_every_protocol_lays_out_without_overlap_on_a_projector_and_a_laptop(browser, http):
    status, body = http.call("GET", "/api/protocols")
    assert status == 200
    runs = sessions(body["protocols"])
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: list[str] = []
    try:
        for label, create in runs:
            play_to_the_end(page, http.create(**create))
            for size in (PROJECTOR, LAPTOP):
                problems += measure(page, size, label)
            page.set_viewport_size(PROJECTOR)
    finally:
        context.close()
    assert not errors, errors
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
