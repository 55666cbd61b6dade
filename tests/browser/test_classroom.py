"""A class in Debian's Chromium against the live stack: a teacher and three students on their own devices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAIT_MS = 30_000
STORE = "document.getElementById('lab').lab.store"


def open_page(browser: Any, url: str, viewport: dict[str, int] | None = None) -> Any:
    """Open ``url`` in a context of its own (a device of its own: storage, cookies) and wait for the log."""
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 768})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    # The Content-Security-Policy (dashboard/security.py) must let the pages do all they do.
    page.on("console", lambda msg: page.errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(url)
    page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    page.wait_for_function(f"() => {STORE}.timeline.lastSeq > 0", timeout=WAIT_MS)
    return page


def where(page: Any) -> dict[str, Any]:
    """Return what a page shows: seq, tab, selection, following."""
    return page.evaluate(f"""() => {{ const s = {STORE};
        return {{ seq: s.playhead, tab: s.tab, selected: s.selected, following: s.following, live: s.follow }}; }}""")


def wait_for(page: Any, condition: str) -> None:
    page.wait_for_function(f"() => {{ const s = {STORE}; return {condition}; }}", timeout=WAIT_MS)


def test_a_class_follows_the_teacher_explores_rejoins_joins_late_and_tries_it(browser, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7,
                          scenario="coordinator-crash-after-prepare", owner="Ms Li")
    base = created["url"].replace("localhost", "127.0.0.1")
    teacher = open_page(browser, f"{base}#token={created['control_token']}", {"width": 1920, "height": 1080})
    code = http.call("GET", f"/api/sessions/{created['id']}")[1]["join_code"]
    root = base.split("/sessions/")[0]
    students = [open_page(browser, f"{root}/j/{code.lower()}") for _ in range(3)]
    for _ in range(12):  # The teacher steps the run forward.
        before = teacher.evaluate(f"() => {STORE}.timeline.lastSeq")
        teacher.click("[data-action=step]")
        teacher.wait_for_function(f"() => {STORE}.timeline.lastSeq > {before}", timeout=WAIT_MS)
    last = teacher.evaluate(f"() => {STORE}.timeline.lastSeq")
    for student in students:
        wait_for(student, f"s.timeline.lastSeq === {last}")
        assert where(student)["following"] and where(student)["live"]
    teacher.wait_for_selector(".audience-badge[data-connected='3']", timeout=WAIT_MS)

    # The teacher scrubs back, opens the Invariants tab and spotlights a message.
    target = last // 2
    teacher.evaluate(f"""() => {{ const s = document.querySelector('[data-action=scrub]');
        s.value = '{target}'; s.dispatchEvent(new Event('input', {{ bubbles: true }})); }}""")
    teacher.click("[data-action=tab][data-tab=invariants]")
    message = teacher.evaluate(
        f"() => {STORE}.timeline.events.find(e => e.kind === 'send' && e.seq <= {target}).message.msg_id")
    teacher.evaluate(f"() => {STORE}.select({{ kind: 'message', id: {json.dumps(message)} }})")
    teacher.click(".details-spotlight")
    for student in students:
        wait_for(student, f"s.playhead === {target} && s.tab === 'invariants' "
                          f"&& s.selected && s.selected.id === {json.dumps(message)}")
        student.wait_for_selector(f"g.arrow[data-msg='{message}'].spotlit", timeout=WAIT_MS)
        assert student.get_attribute("[data-action=tab][data-tab=invariants]", "aria-selected") == "true"
        assert student.locator(".follow-state.following").is_visible()
    screenshot(students[0], "classroom-student-following")

    # One student explores on their own, then goes back to the teacher.
    explorer = students[1]
    explorer.click("[data-action=tab][data-tab=states]")
    explorer.evaluate("() => document.activeElement.blur()")  # Arrows on the tab bar switch tabs instead.
    explorer.keyboard.press("ArrowLeft")
    explorer.keyboard.press("ArrowLeft")
    wait_for(explorer, "!s.following")
    assert explorer.locator(".follow-state.detached").is_visible()
    wait_for(teacher, "s.audience && s.audience.detached === 1 && s.audience.following === 2")
    assert where(explorer)["seq"] < target and where(explorer)["tab"] == "states"
    teacher.click("[data-action=tab][data-tab=nodes]")  # The class moves on meanwhile.
    wait_for(students[0], "s.tab === 'nodes'")
    assert where(explorer)["tab"] == "states", "a detached student keeps their own tab"
    explorer.click("[data-action=rejoin]")
    wait_for(explorer, f"s.following && s.playhead === {target} && s.tab === 'nodes'")

    # A latecomer types the code into the join form and lands where the teacher is.
    late_context = browser.new_context(viewport={"width": 1366, "height": 768})
    late = late_context.new_page()
    late.errors = []
    late.on("pageerror", lambda exc: late.errors.append(str(exc)))
    late.goto(f"{root}/join")
    late.fill("#join-code", code.lower())
    late.fill("#join-name", "Bo")
    late.click(".join-form button[type=submit]")
    late.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    wait_for(late, f"s.following && s.playhead === {target} && s.tab === 'nodes'")
    teacher.wait_for_selector(".audience-members li:has-text('Bo')", state="attached", timeout=WAIT_MS)

    # A student tries it themselves: a sandbox of their own, forked where they look.
    with students[2].context.expect_page() as opened:
        students[2].click("[data-action=try-it]")
    sandbox = opened.value
    sandbox.errors = []
    sandbox.on("pageerror", lambda exc: sandbox.errors.append(str(exc)))
    sandbox.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    sandbox.wait_for_function(f"() => {STORE}.controller", timeout=WAIT_MS)
    assert sandbox.locator(".provenance").is_visible()
    before = sandbox.evaluate(f"() => {STORE}.timeline.lastSeq")
    sandbox.click("[data-action=step]")
    sandbox.wait_for_function(f"() => {STORE}.timeline.lastSeq > {before}", timeout=WAIT_MS)
    sandbox_id = sandbox.evaluate(f"() => {STORE}.sessionId")

    # The teacher puts it on the projector, then returns to the class.
    teacher.click("[data-action=tab][data-tab=class]")
    teacher.wait_for_selector(f"tr[data-sandbox='{sandbox_id}']", timeout=WAIT_MS)
    teacher.click(f"[data-action=show-sandbox][data-sandbox='{sandbox_id}']")
    teacher.wait_for_selector(f".showing-host iframe[src*='{sandbox_id}']", timeout=WAIT_MS)
    shown = teacher.frame_locator(".showing-host iframe")
    shown.locator(".conn[data-state=live]").wait_for(timeout=WAIT_MS)
    shown.locator(".topology g.node[data-node=coordinator]").wait_for(timeout=WAIT_MS)
    wait_for(students[0], f"s.teacherView && s.teacherView.showing === {json.dumps(sandbox_id)}")
    screenshot(teacher, "classroom-teacher-showing-a-sandbox")
    teacher.click("[data-action=back-to-class]")
    teacher.wait_for_selector(".showing-host", state="hidden", timeout=WAIT_MS)

    # A student's own socket cannot steer the class: view and control frames are refused, typed.
    refused = students[0].evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url); const codes = [];
        ws.onopen = () => { ws.send(JSON.stringify({ type: 'hello', last_seq: 0 }));
          ws.send(JSON.stringify({ type: 'view', view: { seq: 1, tab: 'states' } }));
          ws.send(JSON.stringify({ type: 'end' })); ws.send(JSON.stringify({ type: 'play' })); };
        ws.onmessage = (m) => { const f = JSON.parse(m.data); if (f.type === 'error') codes.push(f.code);
          if (codes.length === 3) { ws.close(); resolve(codes); } };
        setTimeout(() => resolve(codes), 10000); })""", created["ws"].replace("localhost", "127.0.0.1"))
    assert refused == ["forbidden", "forbidden", "forbidden"]
    assert where(students[0])["tab"] == "nodes" and where(students[0])["seq"] == target

    # The end of class: every follower is told, with their way out.
    teacher.click("[data-action=tab][data-tab=class]")
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.click("[data-action=end-class]")
    for student in [*students, late]:
        student.wait_for_selector(".class-ended h2", timeout=WAIT_MS)
    assert students[2].locator("[data-action=open-sandbox]").is_visible()
    screenshot(students[2], "classroom-student-class-ended")
    for page in [teacher, *students, late, sandbox]:
        assert not page.errors, page.errors


def test_predict_then_reveal_with_three_students_on_phones(browser, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 3}, seed=7, scenario="happy-commit",
                          owner="Ms Li")
    base = created["url"].replace("localhost", "127.0.0.1")
    teacher = open_page(browser, f"{base}#token={created['control_token']}", {"width": 1920, "height": 1080})
    teacher.click("[data-action=step]")
    teacher.wait_for_function(f"() => {STORE}.timeline.lastSeq > 20", timeout=WAIT_MS)
    students = [open_page(browser, f"{base}?as=S{i}", {"width": 390, "height": 844}) for i in range(3)]
    teacher.click("[data-action=tab][data-tab=questions]")
    teacher.click("[data-action=ask-next-event]")
    teacher.wait_for_selector(".question-card[data-state=open]", timeout=WAIT_MS)
    right = int(teacher.evaluate(f"() => {STORE}.question.answer"))
    last = teacher.evaluate(f"() => {STORE}.timeline.lastSeq")
    for i, student in enumerate(students):  # Three different answers, one of them the right one.
        student.wait_for_selector(".question-card[data-state=open] [data-action=answer]", timeout=WAIT_MS)
        assert student.evaluate(f"() => {STORE}.question.answer") is None, "no answer before the reveal"
        student.click(f".question-card [data-action=answer][data-choice='{(right + i) % 3}']")
        student.wait_for_selector(f".question-card li.mine [data-choice='{(right + i) % 3}']", timeout=WAIT_MS)
    teacher.wait_for_function(f"() => {STORE}.votes && {STORE}.votes.answered === 3", timeout=WAIT_MS)
    bars = teacher.eval_on_selector_all(".question-card .qc-bar", "bars => bars.map(b => Number(b.dataset.count))")
    assert sorted(bars, reverse=True)[:3] == [1, 1, 1] and sum(bars) == 3
    screenshot(students[0], "question-student-open-phone")
    teacher.click(".question-card [data-action=reveal]")
    for page in [teacher, *students]:
        page.wait_for_selector(f".question-card[data-state=revealed] li.right [data-choice='{right}']", timeout=WAIT_MS)
        counts = page.eval_on_selector_all(".question-card .qc-bar", "bars => bars.map(b => Number(b.dataset.count))")
        assert sum(counts) == 3
    teacher.wait_for_function(f"() => {STORE}.timeline.lastSeq > {last}", timeout=WAIT_MS)  # Reveal played the step.
    handled = teacher.evaluate(f"""() => {{ const e = {STORE}.timeline.events.find(e => e.seq > {last}
        && ['deliver', 'timer', 'drop'].includes(e.kind)); return e.id || e.message.msg_id; }}""")
    assert handled == teacher.evaluate(f"() => {STORE}.question.options[{right}].id")
    screenshot(students[1], "question-student-revealed-phone")
    with teacher.expect_download() as download:
        teacher.click("[data-action=export-questions-csv]")
    rows = download.value.path().read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("question,kind,seq") and len(rows) == 4
    assert sorted(r.split(",")[4] for r in rows[1:]) == ["S0", "S1", "S2"]
    for page in [teacher, *students]:
        assert not page.errors, page.errors
