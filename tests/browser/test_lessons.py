"""A lesson link taken by a student: notes at their seqs, stopped at each question, the verdict, on again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAIT_MS = 30_000
STORE = "document.getElementById('lesson').lesson.store"
CARD = ".lesson-question:not([hidden])"


def open_lesson(context: Any, base: str, slug: str) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(f"{base}/lessons/{slug}")
    page.wait_for_function("() => Boolean(document.getElementById('lesson').lesson)", timeout=WAIT_MS)
    return page


def playhead(page: Any) -> int:
    return int(page.evaluate(f"() => {STORE}.playhead"))


def lesson_of(http: Any, slug: str) -> dict[str, Any]:
    status, body = http.call("GET", f"/api/lessons/{slug}")
    assert status == 200, body
    return body


def test_a_student_takes_a_lesson_notes_at_their_seqs_stopped_at_each_question(context, http):
    slug = "two-phase-commit-blocking"
    lesson = lesson_of(http, slug)
    first, second = lesson["questions"][0], lesson["questions"][1]
    page = open_lesson(context, http.base, slug)
    start = playhead(page)
    shown = next(n for n in reversed(lesson["notes"]) if n["seq"] <= start)
    assert page.locator(f".lesson-note[data-seq='{shown['seq']}']").count() == 1
    assert shown["text"]["en"] in page.locator(".lesson-strip").inner_text()
    assert page.locator(CARD).count() == 0

    page.locator("[data-action=play]:visible").click()
    page.wait_for_selector(CARD, timeout=WAIT_MS)
    assert playhead(page) == first["seq"] and not page.evaluate(f"() => {STORE}.localPlaying")
    note = next(n for n in reversed(lesson["notes"]) if n["seq"] <= first["seq"])
    assert page.locator(f".lesson-note[data-seq='{note['seq']}']").count() == 1
    assert "phase after the next 3 steps" in page.locator(".lesson-prompt").inner_text()
    assert page.locator(".lesson-option").count() == len(first["options"])

    # Stepping or scrubbing on does not pass an unanswered question.
    page.locator("[data-action=forward]:visible, [data-action=step]:visible").first.click()
    page.keyboard.press("ArrowRight")
    assert playhead(page) == first["seq"]
    page.evaluate(f"() => {STORE}.seek({STORE}.timeline.lastSeq)")
    assert playhead(page) == first["seq"]
    screenshot(page, "lesson-question-en")

    # Answer wrong: told so, shown the right one, then Continue plays on to the next question.
    _, answers = http.call("GET", f"/api/lessons/{slug}/export")
    right = answers["questions"][0]["answer"]
    wrong = (right + 1) % len(first["options"])
    page.locator(".lesson-option").nth(wrong).click()
    page.wait_for_selector(".lesson-verdict", timeout=WAIT_MS)
    assert page.locator(".lesson-verdict").inner_text() == "Not quite."
    assert page.locator(".lesson-option.correct").count() == 1
    assert page.locator(".lesson-option").nth(right).get_attribute("class").split().count("correct") == 1
    assert "On the way" in page.locator(".lesson-status").inner_text()
    screenshot(page, "lesson-verdict-en")
    page.locator(".lesson-continue").click()
    page.wait_for_function(f"() => {STORE}.playhead > {first['seq']}", timeout=WAIT_MS)
    page.wait_for_selector(CARD, timeout=WAIT_MS)
    assert playhead(page) == second["seq"]
    later = next(n for n in reversed(lesson["notes"]) if n["seq"] <= second["seq"])
    assert page.locator(f".lesson-note[data-seq='{later['seq']}']").count() == 1

    # Right this time; the strip counts the answers.
    page.locator(".lesson-option").nth(answers["questions"][1]["answer"]).click()
    page.wait_for_selector(".lesson-verdict.right", timeout=WAIT_MS)
    assert page.locator(".lesson-strip").inner_text().startswith("2 of ")
    assert not page.errors


def test_a_lesson_in_chinese(browser, http):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-hans"})
    try:
        slug = "cache-aside-stale-fill"
        lesson = lesson_of(http, slug)
        page = open_lesson(context, http.base, slug)
        page.locator("[data-action=play]:visible").click()
        page.wait_for_selector(CARD, timeout=WAIT_MS)
        assert playhead(page) == lesson["questions"][0]["seq"]
        note = next(n for n in reversed(lesson["notes"]) if n["seq"] <= playhead(page))
        assert note["text"]["zh-hans"] in page.locator(".lesson-strip").inner_text()
        assert "还成立吗" in page.locator(".lesson-prompt").inner_text()
        assert page.locator(".lesson-option").all_inner_texts() == ["是\uff0c仍然成立", "否\uff0c会被打破"]
        screenshot(page, "lesson-question-zh")
        assert not page.errors
    finally:
        context.close()


def test_on_a_phone_the_choices_are_big_and_on_the_screen(browser, http):
    phone = {"width": 390, "height": 844}
    context = browser.new_context(viewport=phone, has_touch=True, is_mobile=True)
    try:
        page = open_lesson(context, http.base, "retry-storm")
        page.locator("[data-action=play]:visible").tap()
        page.wait_for_selector(CARD, timeout=WAIT_MS)
        boxes = [page.locator(".lesson-option").nth(i).bounding_box()
                 for i in range(page.locator(".lesson-option").count())]
        for box in boxes:
            assert box["height"] >= 44 and box["width"] >= phone["width"] * 0.8
            assert box["x"] >= 0 and box["x"] + box["width"] <= phone["width"]
            assert box["y"] >= 0 and box["y"] + box["height"] <= phone["height"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= phone["width"]
        screenshot(page, "lesson-question-phone")
        page.locator(".lesson-option").first.tap()
        page.wait_for_selector(".lesson-continue", timeout=WAIT_MS)
        assert not page.errors
    finally:
        context.close()


def test_the_teacher_link_shows_the_class_results(context, http):
    _, exported = http.call("GET", "/api/lessons/fencing-tokens/export")
    status, created = http.call("POST", "/api/lessons/import", exported)  # Prepared at home, taught here.
    assert status == 201, created
    slug, right = created["slug"], exported["questions"][0]["answer"]
    for voter, choice in [("a", right), ("b", right), ("c", 1 - right)]:
        answer = {"question": 0, "choice": choice, "voter": voter}
        assert http.call("POST", f"/api/lessons/{slug}/answers", answer)[0] == 200
    page = context.new_page()
    page.goto(f"{http.base}/lessons/{slug}#token={created['lesson_token']}")
    page.wait_for_selector(".lesson-results-list", timeout=WAIT_MS)
    assert "#token" not in page.url
    assert "3 students answered" in page.locator(".lesson-results").inner_text()
    first = page.locator(".lesson-results-list > li").first
    assert "(2 of 3 right)" in first.inner_text()
    assert first.locator("li.correct").inner_text().endswith(": 2")
    href = page.locator(".lesson-export").get_attribute("href")
    assert http.call("GET", href)[1] == {**exported, "slug": slug}
    screenshot(page, "lesson-results-en")


def test_the_teacher_saves_the_run_as_a_lesson_from_the_session_page(context, http):
    created = http.create(protocol="two-phase-commit", params={"participants": 2}, seed=4, owner="Ms Li")
    page = context.new_page()
    page.goto(created["url"].replace("localhost", "127.0.0.1") + f"#token={created['control_token']}")
    page.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    for _ in range(3):
        before = page.evaluate("() => document.getElementById('lab').lab.store.timeline.lastSeq")
        page.click("[data-action=step]")
        page.wait_for_function(f"() => document.getElementById('lab').lab.store.timeline.lastSeq > {before}",
                               timeout=WAIT_MS)
    page.once("dialog", lambda dialog: dialog.accept("Two participants, three steps"))
    with context.expect_page() as opened:
        page.click("[data-action=save-lesson]")
    teacher = opened.value
    teacher.wait_for_selector(".lesson-results-body p", timeout=WAIT_MS)  # No question asked: no rows.
    assert "0 students answered" in teacher.locator(".lesson-results").inner_text()
    assert "Two participants, three steps" in teacher.locator(".session-title").inner_text()
    slug = teacher.url.rsplit("/", 1)[1]
    lesson = lesson_of(http, slug)
    assert len(lesson["trace"]["commands"]) == 3 and lesson["trace"]["protocol"] == "two-phase-commit"
    watcher = context.new_page()  # A student's plain link shows no save button and no results.
    watcher.goto(created["url"].replace("localhost", "127.0.0.1"))
    watcher.wait_for_selector(".conn[data-state=live]", timeout=WAIT_MS)
    assert watcher.locator("[data-action=save-lesson]:visible").count() == 0
