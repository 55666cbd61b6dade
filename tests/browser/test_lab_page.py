"""The session page in Debian's Chromium against the live stack, as a class would use it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAIT_MS = 30_000
LAST_SEQ = "() => document.getElementById('lab').lab.store.timeline.lastSeq"


def open_session(context: Any, created: dict[str, Any], control: bool = True) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    url = created["url"].replace("localhost", "127.0.0.1") + (f"#token={created['control_token']}" if control else "")
    page.goto(url)
    page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    page.wait_for_function(f"() => ({LAST_SEQ})() > 0", timeout=WAIT_MS)
    return page


def last_seq(page: Any) -> int:
    return int(page.evaluate(f"({LAST_SEQ})()"))


def phase_shown(page: Any, node: str) -> str:
    return str(page.locator(f".topology g.node[data-node={node}]").text_content())


def step_until(page: Any, condition: str, limit: int = 60) -> None:
    """Press Step until a JavaScript condition over the store holds (each press waits for its events)."""
    for _ in range(limit):
        if page.evaluate(condition):
            return
        before = last_seq(page)
        page.click("[data-action=step]")
        page.wait_for_function(f"() => ({LAST_SEQ})() > {before} || ({condition})()", timeout=WAIT_MS)
    raise AssertionError(f"{condition} did not hold after {limit} steps")


def phases_at(page: Any, seq: int | None = None) -> dict[str, str]:
    """Return every node's phase as the timeline reconstructs it (at ``seq``, or the newest event)."""
    return page.evaluate("""(seq) => {
        const t = document.getElementById('lab').lab.store.timeline;
        const world = t.seek(seq ?? t.lastSeq);
        const out = {};
        for (const node of world.nodes) out[node.name] = node.phase;
        return out;
    }""", seq)


COMMITTED = """() => {
    const t = document.getElementById('lab').lab.store.timeline;
    return t.events.some(e => e.kind === 'state' && e.node === 'p3' && e.state.phase === 'committed')
        && t.events.some(e => e.kind === 'state' && e.node === 'p1' && e.state.phase === 'committed')
        && t.events.some(e => e.kind === 'state' && e.node === 'p2' && e.state.phase === 'committed');
}"""


def test_stepping_to_the_commit_draws_the_arrows_and_phases(context, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7,
                          scenario="happy-commit", owner="Ms Li")
    page = open_session(context, created)
    step_until(page, COMMITTED)
    assert set(phases_at(page).values()) == {"committed"}
    for node in ("coordinator", "p1", "p2", "p3"):
        assert "committed" in phase_shown(page, node)
    commits = page.evaluate("() => document.getElementById('lab').lab.store.timeline.events"
                            ".filter(e => e.kind === 'deliver' && e.message.type === 'commit')"
                            ".map(e => e.message.msg_id)")
    assert len(commits) == 3
    for msg_id in commits:  # The newest arrows, COMMIT to each participant, are drawn.
        assert page.locator(f".spacetime g.arrow[data-msg={msg_id}]").count() == 1
    assert page.locator("[data-seq]").count() > 0
    assert not page.errors
    screenshot(page, "browser-01-happy-commit")


def test_a_crashed_coordinator_leaves_the_participants_blocked(context, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7,
                          scenario="coordinator-crash-after-prepare")
    page = open_session(context, created)
    crashed = "() => document.getElementById('lab').lab.store.timeline.events.some(e => e.kind === 'crash')"
    step_until(page, crashed)
    step_until(page, "() => document.getElementById('lab').lab.store.timeline.events"
                     ".filter(e => e.kind === 'timer' && e.timer === 'status_timeout').length >= 3")
    phases = phases_at(page)
    assert [phases[p] for p in ("p1", "p2", "p3")] == ["prepared"] * 3
    for node in ("p1", "p2", "p3"):
        assert "prepared" in phase_shown(page, node)
    assert page.locator(".topology g.node[data-node=coordinator].down, "
                        ".topology g.node[data-node=coordinator][data-up=false]").count() == 1
    screenshot(page, "browser-02-blocked")

    # Scrub back: the past is replayed from the log, exactly.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => !document.getElementById('lab').lab.store.follow", timeout=WAIT_MS)
    shown = page.evaluate("() => document.getElementById('lab').lab.store.playhead")
    assert shown < last_seq(page)
    before_vote = page.evaluate("() => document.getElementById('lab').lab.store.timeline.events.find("
                                "e => e.kind === 'state' && e.node === 'p1' && e.state.phase === 'prepared').seq - 1")
    page.eval_on_selector("[data-action=scrub]", f"(e) => {{ e.value = {before_vote}; "
                                                  "e.dispatchEvent(new Event('input')); "
                                                  "e.dispatchEvent(new Event('change')); }")
    page.wait_for_function(f"() => document.getElementById('lab').lab.store.playhead === {before_vote}",
                           timeout=WAIT_MS)
    early = phases_at(page, before_vote)
    assert early["p1"] == "working" and early["coordinator"] == "init"
    page.wait_for_function("() => document.querySelector('.topology g.node[data-node=p1]')"
                           ".textContent.includes('working')", timeout=WAIT_MS)  # The view shows the past.
    screenshot(page, "browser-03-scrubbed-back")


def test_a_watcher_sees_the_same_events_and_no_controls(browser, context, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=3, owner="Prof. Wang")
    teacher = open_session(context, created)
    student_context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        student = open_session(student_context, created, control=False)
        for _ in range(5):
            before = last_seq(teacher)
            teacher.click("[data-action=step]")
            teacher.wait_for_function(f"() => ({LAST_SEQ})() > {before}", timeout=WAIT_MS)
        target = last_seq(teacher)
        student.wait_for_function(f"() => ({LAST_SEQ})() >= {target}", timeout=WAIT_MS)
        events = "() => document.getElementById('lab').lab.store.timeline.events"
        assert student.evaluate(events) == teacher.evaluate(events)
        for action in ("play", "pause", "step", "reset"):
            assert student.locator(f"[data-action={action}]").count() == 0
        assert "Prof. Wang" in student.locator(".banner").inner_text()
        screenshot(student, "browser-04-watcher")
    finally:
        student_context.close()


def test_the_chinese_page_renders(browser, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7,
                          scenario="coordinator-crash-after-prepare")
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-hans"})
    try:
        page = open_session(context, created)
        assert page.get_attribute("#lab", "data-lang") == "zh-hans"
        body = page.locator("body").inner_text()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body), "no Chinese text on the page"
        screenshot(page, "browser-05-chinese")
        landing = context.new_page()
        landing.goto(created["url"].replace("localhost", "127.0.0.1").split("/sessions/")[0] + "/")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in landing.locator("body").inner_text())
        screenshot(landing, "browser-06-landing-chinese")
    finally:
        context.close()
