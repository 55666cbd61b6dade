"""Lessons over HTTP: save from a live session, read without answers, answer once, results, export and import."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import controller, lessons, sessions, stepper
from dashboard.lesson_library import build
from dashboard.models import Lesson, LessonAnswer, Note, Question, SessionCommand
from dashboard.runners import InProcessRunner
from protocols.sim import questions as engine_questions

pytestmark = pytest.mark.django_db(transaction=True)


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def ready():
    lesson, token = lessons.store(build("two-phase-commit-blocking"), "two-phase-commit-blocking",
                                  ready_made="two-phase-commit-blocking", exact=True)
    return lesson, token


@pytest.fixture
def taught():
    """A live session six steps in, with a note, a revealed question and an open one."""
    session, token = sessions.create("two-phase-commit", {"participants": 2}, seed=3, owner="Ada")
    runner = InProcessRunner()
    for _ in range(4):
        controller.submit(session.id, {"cmd": "step"}, runner)
    session.refresh_from_db()
    live = stepper.load_engine(session)
    asked = engine_questions.ask(live, "phase-after", node="p1", steps=2).to_json()
    Question.objects.create(session=session, generation=session.generation, seq=live.seq, step=live.step_no,
                            state="revealed", **asked)
    Note.objects.create(session=session, generation=session.generation, seq=live.seq, text="Watch p1 now")
    for _ in range(2):
        controller.submit(session.id, {"cmd": "step"}, runner)
    live = stepper.load_engine(session)
    Question.objects.create(session=session, generation=session.generation, seq=live.seq, step=live.step_no,
                            state="open", **engine_questions.ask(live, "next-event").to_json())
    Question.objects.create(session=session, generation=session.generation, seq=live.seq, step=live.step_no,
                            state="closed", **engine_questions.ask(live, "next-event").to_json())
    Question.objects.create(session=session, generation=session.generation, seq=live.seq, step=live.step_no,
                            state="revealed", kind="free", data={}, options=[{"text": "p1"}, {"text": "p2"}],
                            answer=None, steps=0, detail={}, prompt="Who would you ask?")
    return session, token


# ------------------------------------------------------------------ save


def test_the_teacher_saves_a_session_as_a_lesson_and_students_get_it_without_answers(client, taught):
    session, token = taught
    refused = post_json(client, f"/api/sessions/{session.id}/lesson", {"control_token": "nope", "title": "X"})
    assert refused.status_code == 403 and Lesson.objects.count() == 0
    response = post_json(client, f"/api/sessions/{session.id}/lesson", {"control_token": token, "title": "2PC, p1"})
    assert response.status_code == 201
    reply = response.json()
    assert set(reply) == {"slug", "url", "lesson_token"} and reply["url"] == f"http://testserver/lessons/{reply['slug']}"
    lesson = Lesson.objects.get(slug=reply["slug"])
    stored = list(SessionCommand.objects.filter(session=session).order_by("step").values_list("command", flat=True))
    assert lesson.commands == stored and lesson.source == session.id
    assert [n["text"] for n in lesson.notes] == ["Watch p1 now"]
    assert len(lesson.questions) == 3  # Revealed and open, not closed.
    shown = client.get(f"/api/lessons/{reply['slug']}").json()
    assert strip(shown["trace"]["events"]) == strip(sessions.trace(session)["events"])  # The same run, replayed.
    assert shown["notes"] == lesson.notes and len(shown["questions"]) == 3
    assert shown["questions"][2]["prompt"] == "Who would you ask?"
    free = post_json(client, f"/api/lessons/{reply['slug']}/answers", {"question": 2, "choice": 1, "voter": "s"})
    assert free.status_code == 200 and free.json()["correct"] is None  # A question of the teacher's own.
    for question in shown["questions"]:
        assert "answer" not in question and "detail" not in question
    page = client.get(f"/lessons/{reply['slug']}")
    assert page.status_code == 200 and b"lesson.js" in page.content


def strip(events):
    return [{k: v for k, v in e.items() if k != "ran_on"} for e in events]


def test_saving_needs_a_title_and_bad_input_changes_nothing(client, taught):
    session, token = taught
    for body, status in [({"control_token": token}, 400), ({"control_token": token, "title": ""}, 400),
                         ({"control_token": token, "title": "x" * 500}, 400),
                         ({"control_token": token, "title": "t", "extra": 1}, 400)]:
        assert post_json(client, f"/api/sessions/{session.id}/lesson", body).status_code == status
    assert post_json(client, "/api/sessions/ghost/lesson", {"control_token": token, "title": "t"}).status_code == 404
    assert Lesson.objects.count() == 0


# ------------------------------------------------------------------ answers and results


def test_a_question_answer_is_not_in_the_lesson_and_is_revealed_to_whoever_answered(client, ready):
    lesson, _ = ready
    body = client.get(f"/api/lessons/{lesson.slug}").json()
    assert "answer" not in json.dumps(body["questions"]) and "detail" not in json.dumps(body["questions"])
    assert body["trace"]["protocol"] == "two-phase-commit" and len(body["notes"]) == len(lesson.notes)
    right = lesson.questions[0]["answer"]
    reply = post_json(client, f"/api/lessons/{lesson.slug}/answers", {"question": 0, "choice": right, "voter": "s1"})
    assert reply.status_code == 200
    assert reply.json() == {"question": 0, "correct": right, "choice": right, "detail": lesson.questions[0]["detail"]}


def test_one_answer_per_student_per_question_and_the_counts_add_up(client, ready):
    lesson, token = ready
    url = f"/api/lessons/{lesson.slug}/answers"
    right = lesson.questions[1]["answer"]
    wrong = (right + 1) % len(lesson.questions[1]["options"])
    for voter, choice in [("s1", right), ("s2", wrong), ("s3", right)]:
        assert post_json(client, url, {"question": 1, "choice": choice, "voter": voter}).status_code == 200
    again = post_json(client, url, {"question": 1, "choice": wrong, "voter": "s1"})
    assert again.status_code == 409 and again.json()["choice"] == right and again.json()["correct"] == right
    assert post_json(client, url, {"question": 0, "choice": 0, "voter": "s1"}).status_code == 200
    assert LessonAnswer.objects.filter(lesson=lesson).count() == 4
    assert client.get(f"/api/lessons/{lesson.slug}/results").status_code == 403
    assert client.get(f"/api/lessons/{lesson.slug}/results", HTTP_X_LESSON_TOKEN="wrong").status_code == 403
    results = client.get(f"/api/lessons/{lesson.slug}/results", HTTP_X_LESSON_TOKEN=token).json()
    assert results["students"] == 3
    second = results["questions"][1]
    assert second["answers"] == 3 and second["right"] == 2 and second["counts"][wrong] == 1
    assert sum(second["counts"]) == 3 and results["questions"][2]["answers"] == 0
    response = client.get(f"/api/lessons/{lesson.slug}/results?format=csv", HTTP_X_LESSON_TOKEN=token)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == sum(len(q["options"]) for q in lesson.questions)
    mine = [r for r in rows if r["question"] == "1"]
    assert [int(r["count"]) for r in mine] == second["counts"]
    assert [r["correct"] for r in mine].count("yes") == 1 and mine[right]["correct"] == "yes"
    assert client.get(f"/api/lessons/{lesson.slug}/results?format=xml", HTTP_X_LESSON_TOKEN=token).status_code == 400


@override_settings(PROTOLAB_LESSON_ANSWERS_PER_MINUTE=3)
def test_a_flood_of_answers_is_rate_limited_per_address_and_changes_nothing_else(client, ready, monkeypatch):
    lesson, _ = ready
    minute = timezone.now()
    monkeypatch.setattr(lessons.timezone, "now", lambda: minute)  # One minute, whatever the clock says.
    url = f"/api/lessons/{lesson.slug}/answers"
    codes = [post_json(client, url, {"question": 0, "choice": 0, "voter": f"bot{i}"},
                       REMOTE_ADDR="10.9.8.7").status_code for i in range(6)]
    assert codes[:3] == [200, 200, 200] and set(codes[3:]) == {429}
    refused = post_json(client, url, {"question": 0, "choice": 0, "voter": "bot9"}, REMOTE_ADDR="10.9.8.7")
    assert refused.status_code == 429 and "a minute" in refused.json()["message"]
    assert LessonAnswer.objects.filter(lesson=lesson).count() == 3
    other = post_json(client, url, {"question": 0, "choice": 0, "voter": "student"}, REMOTE_ADDR="10.1.1.1")
    assert other.status_code == 200


def test_bad_answers_get_a_400_saying_what_is_wrong_and_change_nothing(client, ready):
    lesson, _ = ready
    url = f"/api/lessons/{lesson.slug}/answers"
    for body, words in [
        ({"question": 99, "choice": 0, "voter": "s"}, "question"),
        ({"question": "0", "choice": 0, "voter": "s"}, "question"),
        ({"question": True, "choice": 0, "voter": "s"}, "question"),
        ({"question": 0, "choice": 9, "voter": "s"}, "choice"),
        ({"question": 0, "choice": -1, "voter": "s"}, "choice"), ({"question": 0, "choice": 0, "voter": ""}, "voter"),
        ({"question": 0, "choice": 0, "voter": "v" * 65}, "voter"), ({"question": 0, "choice": 0}, "voter"),
        ({"question": 0, "choice": 0, "voter": "s", "answer": 1}, "unknown fields"),
    ]:
        response = post_json(client, url, body)
        assert response.status_code == 400 and words in response.json()["message"], body
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert client.post(url, "x=1", content_type="application/x-www-form-urlencoded").status_code == 415
    assert post_json(client, "/api/lessons/nope/answers", {"question": 0, "choice": 0, "voter": "s"}).status_code == 404
    assert client.get("/api/lessons/nope").status_code == 404 and client.get("/lessons/nope").status_code == 404
    assert LessonAnswer.objects.count() == 0


# ------------------------------------------------------------------ export and import


def test_export_then_import_gives_the_same_lesson(client, ready):
    lesson, _ = ready
    exported = client.get(f"/api/lessons/{lesson.slug}/export")
    assert exported.status_code == 200 and "attachment" in exported["Content-Disposition"]
    data = json.loads(exported.content)
    assert data["format"] == "protolab-lesson" and data["version"] == 1
    assert all("answer" in q and "detail" in q for q in data["questions"])
    lesson.delete()  # Another server: the same link is free there.
    created = post_json(client, "/api/lessons/import", data)
    assert created.status_code == 201 and created.json()["slug"] == data["slug"]
    again = json.loads(client.get(f"/api/lessons/{data['slug']}/export").content)
    assert again == data
    beside = post_json(client, "/api/lessons/import", data)  # The link taken: a new one beside it.
    assert beside.status_code == 201 and beside.json()["slug"].startswith(data["slug"] + "-")
    copy = json.loads(client.get(f"/api/lessons/{beside.json()['slug']}/export").content)
    assert {**copy, "slug": data["slug"]} == data


def test_import_refuses_another_version_and_bad_files_and_creates_nothing(client, ready):
    lesson, _ = ready
    data = json.loads(client.get(f"/api/lessons/{lesson.slug}/export").content)
    before = Lesson.objects.count()
    forged_answer = json.loads(json.dumps(data))
    first = data["questions"][0]
    forged_answer["questions"][0]["answer"] = (first["answer"] + 1) % len(first["options"])
    bad_command = json.loads(json.dumps(data))
    bad_command["commands"][3] = {"cmd": "deliver", "id": "m999"}
    cases = [
        ({**data, "version": 2}, "version 1; the file is version 2"),
        ({**data, "format": "trace"}, "not a lesson file"),
        ({**data, "protocol": "paxos"}, "refused"), ({**data, "params": {"participants": 99}}, "refused"),
        ({**data, "title": ""}, "title"), ({**data, "notes": [{"seq": 1}]}, "note 1"),
        ({**data, "notes": [{"seq": 10**6, "text": "late"}]}, "past the lesson"),
        ({**data, "questions": [{"kind": "guess"}]}, "question 1"), (forged_answer, "not what the engine computes"),
        (bad_command, "command 4"), ({**data, "commands": "step"}, "commands"), ({**data, "hack": 1}, "unknown fields"),
        ([], "JSON object"),
    ]
    for body, words in cases:
        response = post_json(client, "/api/lessons/import", body)
        assert response.status_code == 400, words
        assert words in response.json()["message"], (words, response.json()["message"])
    assert client.post("/api/lessons/import", "{", content_type="application/json").status_code == 400
    assert Lesson.objects.count() == before


# ------------------------------------------------------------------ the ready-made lessons


def test_manage_py_lessons_load_is_idempotent_and_the_landing_page_lists_them(client):
    out = io.StringIO()
    call_command("lessons", "--load", stdout=out)
    assert out.getvalue().count("loaded /lessons/") >= 9
    first = {lesson.slug: lesson.token_hash for lesson in Lesson.objects.all()}
    out = io.StringIO()
    call_command("lessons", "--load", stdout=out)
    assert out.getvalue().count("unchanged /lessons/") == len(first)
    assert {lesson.slug: lesson.token_hash for lesson in Lesson.objects.all()} == first
    page = client.get("/").content.decode()
    assert 'href="/lessons/two-phase-commit-blocking"' in page and 'href="/lessons/retry-storm"' in page
    out = io.StringIO()
    call_command("lessons", "--token", "retry-storm", stdout=out)
    token = out.getvalue().strip().rsplit(" ", 1)[1]
    assert client.get("/api/lessons/retry-storm/results", HTTP_X_LESSON_TOKEN=token).status_code == 200


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False)
                           | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["title", "summary", "protocol", "params", "seed", "scenario", "faults", "chaos",
                              "max_events", "commands", "notes", "questions", "slug"]),
       value=JSON_VALUES, index=st.integers(0, 5))
def test_an_import_with_any_field_garbled_is_refused_or_taken_never_a_500(client, ready, field, value, index):
    lesson, _ = ready
    data = lessons.export_file(lesson)
    if isinstance(data[field], list) and data[field] and index < len(data[field]):
        data[field] = [*data[field][:index], value, *data[field][index + 1:]]  # One element garbled.
    else:
        data[field] = value
    before = Lesson.objects.count()
    response = post_json(client, "/api/lessons/import", data)
    assert response.status_code in (201, 400), response.content[:300]
    assert Lesson.objects.count() == before + (response.status_code == 201)
