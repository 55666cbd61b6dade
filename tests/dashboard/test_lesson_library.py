"""Ready-made lessons: each loads, and every answer it carries is what happens when its session is stepped.

Pure: no database. A lesson is replayed from its commands like a student's
page replays it; at each question's seq the real engine is stepped the
question's steps (as the lesson page then plays them) and must do what the
answer says, as tests/sim/test_questions.py checks for live questions.
"""

from __future__ import annotations

import json

import pytest

from dashboard.lesson_format import FORMAT_VERSION, LessonError, check, english, lesson_engine, replay, student_view
from dashboard.lesson_library import build, definition, names

READY = names()
CHAPTERS = {"two-phase-commit", "cache-aside", "mesi", "consistent-hashing", "lock-lease", "g-counter",
            "counter-bft", "service-registry", "service-invocation"}


def test_there_is_a_ready_made_lesson_for_every_chapter():
    assert {definition(name)["protocol"] for name in READY} >= CHAPTERS
    assert len(READY) >= 9


@pytest.fixture(scope="module", params=READY)
def lesson(request):
    return request.param, build(request.param)


def test_a_ready_made_lesson_loads_with_questions_and_notes_in_both_languages(lesson):
    name, data = lesson
    assert data["version"] == FORMAT_VERSION and len(data["questions"]) >= 3 and len(data["notes"]) >= 3
    for text in [data["title"], data["summary"], *(note["text"] for note in data["notes"])]:
        assert set(text) == {"en", "zh-hans"} and all(text.values()), name
    assert all(q["prompt"] == "" and q["kind"] != "free" for q in data["questions"])


def test_every_answer_is_what_the_session_then_does(lesson):
    name, data = lesson
    for question in data["questions"]:
        engine = at_seq(data, question["seq"])
        right = question["options"][question["answer"]]
        events = []
        for _ in range(question["steps"]):
            events += [dict(e) for e in engine.step()]
        where = f"{name}: {question['kind']} at seq {question['seq']}"
        if question["kind"] == "next-event":
            handled = next(e for e in events if e["kind"] in ("deliver", "drop", "timer"))
            assert handled.get("id", (handled.get("message") or {}).get("msg_id")) == right["id"], where
        elif question["kind"] == "phase-after":
            assert engine.nodes[question["data"]["node"]].state["phase"] == right["phase"], where
        elif question["kind"] == "invariant-after":
            broken = [e for e in events if e["kind"] == "violation" and e["invariant"] == question["data"]["invariant"]]
            assert right == {"holds": not broken}, where
        else:
            value = engine.nodes[question["data"]["node"]].state[question["data"]["field"]]
            assert right["value"] == (value if isinstance(value, str) else json.dumps(value, sort_keys=True)), where


def at_seq(data, seq):
    """The lesson's engine replayed up to the step ending at ``seq`` (where the page stops for a question)."""
    engine = lesson_engine(data)
    for command in data["commands"]:
        if engine.seq >= seq:
            break
        engine.apply(command)
    assert engine.seq == seq
    return engine


def test_a_question_reveal_is_inside_the_lesson(lesson):
    """A student sees the answer come true: the steps a question is about are part of the lesson's trace."""
    _, data = lesson
    for question in data["questions"]:
        engine = at_seq(data, question["seq"])
        assert engine.step_no + question["steps"] <= len(data["commands"])


def test_the_student_view_carries_no_answer(lesson):
    _, data = lesson
    for shown in student_view(data):
        assert "answer" not in shown and "detail" not in shown


def test_a_lesson_whose_answer_was_edited_is_refused():
    data = build("two-phase-commit-blocking")
    forged = json.loads(json.dumps(data))
    forged["questions"][0]["answer"] = (forged["questions"][0]["answer"] + 1) % len(forged["questions"][0]["options"])
    with pytest.raises(LessonError, match="not what the engine computes"):
        check(forged)
    moved = json.loads(json.dumps(data))
    moved["questions"][0]["seq"] += 1
    with pytest.raises(LessonError, match="not where a step ends"):
        check(moved)
    assert english(data["title"]).startswith("Two-phase commit")
    assert replay(data).seq == max(e["seq"] for e in replay(data).log)
