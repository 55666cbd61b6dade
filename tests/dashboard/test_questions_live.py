"""Predict, then reveal, over the websocket; and the teacher's notes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from asgiref.sync import async_to_sync

from dashboard import controller, questions, sessions
from dashboard.models import Answer, Note, Question, SessionEvent
from dashboard.runners import InProcessRunner
from tests.dashboard.test_classroom import Client

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "trace.schema.json"


@pytest.fixture
def class_session():
    session, token = sessions.create("two-phase-commit", {"participants": 3}, seed=7, scenario="happy-commit",
                                     owner="Ms Li")
    controller.submit(session.id, {"cmd": "step"}, InProcessRunner())
    session.refresh_from_db()
    return session, token


def events_of(session) -> list[dict]:
    return list(SessionEvent.objects.filter(session=session).order_by("seq").values_list("payload", flat=True))


def test_ask_answer_reveal_with_three_students(class_session, client):
    session, token = class_session
    before = events_of(session)

    async def scenario() -> dict:
        teacher = Client(session.id)
        await teacher.open(token=token)
        students = [Client(session.id) for _ in range(3)]
        for i, student in enumerate(students):
            await student.open(name=f"S{i}", client=f"client-{i}")
        await teacher.send({"type": "ask", "question": {"kind": "next-event"}})
        mine = await teacher.until("question")
        seen = [await s.until("question") for s in students]
        assert "answer" in mine["question"] and mine["question"]["state"] == "open"
        for frame in seen:  # The right answer is not sent to students before the reveal.
            assert "answer" not in frame["question"] and "counts" not in frame["question"]
            assert frame["question"]["options"] == mine["question"]["options"]
        qid = mine["question"]["id"]
        await students[0].send({"type": "answer", "id": qid, "choice": 2})  # Changes their mind below.
        await students[0].until("answered")
        for i, student in enumerate(students):
            await student.send({"type": "answer", "id": qid, "choice": i})
            assert (await student.until("answered"))["choice"] == i
        votes = await teacher.until("votes", lambda f: f["answered"] == 3)
        assert votes["counts"][:3] == [1, 1, 1]
        await students[1].send({"type": "ask", "question": {"kind": "next-event"}})
        assert (await students[1].until("error"))["code"] == "forbidden"
        await teacher.send({"type": "reveal", "id": qid})
        revealed = [await s.until("question", lambda f: f["question"]["state"] == "revealed") for s in students]
        for frame in revealed:
            assert frame["question"]["answer"] == mine["question"]["answer"]
            assert frame["question"]["counts"][:3] == [1, 1, 1]
        await students[0].send({"type": "answer", "id": qid, "choice": 0})
        assert (await students[0].until("error"))["code"] == "closed"
        for ws in (teacher, *students):
            await ws.ws.disconnect()
        return mine["question"]

    question = async_to_sync(scenario)()
    after = events_of(session)
    assert after[:len(before)] == before, "asking changed nothing that happened"
    handled = next(e for e in after[len(before):] if e["kind"] in ("deliver", "timer", "drop"))
    right = question["options"][question["answer"]]["id"]
    handled_id = handled.get("id", (handled.get("message") or {}).get("msg_id"))
    assert handled_id == right, "Reveal played the step asked about"
    assert Answer.objects.filter(question_id=question["id"]).count() == 3

    response = client.get(f"/api/sessions/{session.id}/questions?format=csv", HTTP_X_CONTROL_TOKEN=token)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["student"] for r in rows) == ["S0", "S1", "S2"]
    assert sum(r["correct"] == "true" for r in rows) == 1
    assert client.get(f"/api/sessions/{session.id}/questions").status_code == 403
    body = client.get(f"/api/sessions/{session.id}/questions", HTTP_X_CONTROL_TOKEN=token).json()
    assert body["questions"][0]["counts"][:3] == [1, 1, 1]


def test_a_page_opened_during_a_question_gets_it_and_its_own_answer(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher = Client(session.id)
        await teacher.open(token=token)
        await teacher.send({"type": "ask", "question": {"kind": "phase-after", "node": "p1", "steps": 3}})
        qid = (await teacher.until("question"))["question"]["id"]
        student = Client(session.id)
        await student.open(client="c-late")
        await student.send({"type": "answer", "id": qid, "choice": 1})
        await student.until("answered")
        await student.ws.disconnect()
        again = Client(session.id)
        welcome = await again.open(client="c-late")
        assert welcome["question"]["id"] == qid and welcome["question"]["mine"] == 1
        assert "answer" not in welcome["question"]
        assert "answer" in (await Client(session.id).open(token=token))["question"]
        await teacher.ws.disconnect()
        await again.ws.disconnect()

    async_to_sync(scenario)()


def test_free_questions_and_bad_questions(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher = Client(session.id)
        await teacher.open(token=token)
        await teacher.send({"type": "ask", "question": {"kind": "free", "prompt": "Who blocks?",
                                                        "options": ["p1", "nobody"], "answer": 1}})
        asked = (await teacher.until("question"))["question"]
        assert asked["prompt"] == "Who blocks?" and asked["answer"] == 1
        for bad, code in [({"kind": "free", "prompt": "", "options": ["a", "b"]}, "bad_question"),
                          ({"kind": "free", "prompt": "x", "options": ["a"]}, "bad_question"),
                          ({"kind": "phase-after", "node": "ghost", "steps": 2}, "bad_question"),
                          ({"kind": "guess"}, "bad_question"), ({"kind": "next-event", "colour": 1}, "bad_message")]:
            await teacher.send({"type": "ask", "question": bad})
            assert (await teacher.until("error"))["code"] == code, bad
        await teacher.ws.disconnect()

    async_to_sync(scenario)()
    assert Question.objects.filter(session=session).count() == 1


def test_notes_travel_to_every_page_and_only_the_teacher_pins_them(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher, student = Client(session.id), Client(session.id)
        await teacher.open(token=token)
        await student.open()
        await teacher.send({"type": "note", "seq": 5, "text": "Watch p1 here / 注意 p1"})
        notes = (await student.until("notes"))["notes"]
        assert [(n["seq"], n["text"]) for n in notes] == [(5, "Watch p1 here / 注意 p1")]
        await student.send({"type": "note", "seq": 1, "text": "spam"})
        assert (await student.until("error"))["code"] == "forbidden"
        late = Client(session.id)
        assert [n["seq"] for n in (await late.open())["notes"]] == [5]
        await teacher.send({"type": "unnote", "id": notes[0]["id"]})
        assert (await student.until("notes"))["notes"] == []
        for ws in (teacher, student, late):
            await ws.ws.disconnect()

    before = json.dumps(events_of(session))
    async_to_sync(scenario)()
    assert json.dumps(events_of(session)) == before and not Note.objects.exists()


def test_notes_travel_with_the_trace_beside_its_events(class_session, client):
    session, _ = class_session
    plain = client.get(f"/api/sessions/{session.id}/trace").json()
    assert "notes" not in plain["session"]
    questions.add_note(session, 3, "the coordinator asks / 协调者发问")
    noted = client.get(f"/api/sessions/{session.id}/trace").json()
    assert noted["session"]["notes"] == [{"seq": 3, "text": "the coordinator asks / 协调者发问"}]
    assert noted["events"] == plain["events"]
    jsonschema.validate(noted, json.loads(SCHEMA.read_text()))


def test_a_flood_of_answers_is_refused_and_counts_once(class_session):
    session, token = class_session

    async def scenario() -> None:
        teacher, student = Client(session.id), Client(session.id)
        await teacher.open(token=token)
        await student.open(client="flooder")
        await teacher.send({"type": "ask", "question": {"kind": "next-event"}})
        qid = (await student.until("question"))["question"]["id"]
        for i in range(100):
            await student.send({"type": "answer", "id": qid, "choice": i % 2})
        await student.until("error", lambda f: f["code"] == "rate_limited")
        await teacher.ws.disconnect()
        await student.ws.disconnect()

    async_to_sync(scenario)()
    assert Answer.objects.filter(voter="flooder").count() == 1
    assert Question.objects.get(session=session).state == "open"
