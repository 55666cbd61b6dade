"""Predict, then reveal, in a live class; and the teacher's notes. Beside the log, never in it.

The teacher asks (a kind of protocols/sim/questions.py, answered by stepping a
copy of the session's engine, or a question of their own); students answer on
their devices, one answer each, changeable while the question is open; the
teacher sees the votes as they come; Reveal marks the right answer on every
screen with how the class voted and, if the session is still where the
question was asked, plays the steps it was about. The right answer never
reaches a student's page before the reveal: the hub message carries it apart
(``key``) and the consumers give it to the controller only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import IntegrityError, transaction

from dashboard import broadcast, controller, hotstate, stepper
from dashboard.models import Answer, Note, Question, Session
from protocols.sim import questions as engine_questions
from protocols.sim.commands import CommandError

MAX_PROMPT = 300
MAX_OPTION_TEXT = 80
MAX_NOTE_TEXT = 1000
MAX_NOTES = 200
"""Notes one session may carry: a whole lesson's worth; more is a script, not a teacher."""
MAX_QUESTIONS = 200


def ask(session: Session, spec: dict[str, Any]) -> Question:
    """Ask the class a question now (closing any open one); raise CommandError saying what is wrong."""
    if Question.objects.filter(session=session).count() >= MAX_QUESTIONS:
        raise CommandError("limit", f"a session holds at most {MAX_QUESTIONS} questions")
    engine = stepper.load_engine(session)
    fields: dict[str, Any]
    if spec["kind"] == "free":
        fields = _free(spec)
    else:
        args = {k: v for k, v in spec.items() if k not in ("kind",)}
        try:
            question = engine_questions.ask(engine, spec["kind"], **args)
        except engine_questions.QuestionError as exc:
            raise CommandError("bad_question", str(exc)) from None
        fields = question.to_json()
    with transaction.atomic():
        Question.objects.filter(session=session, state="open").update(state="closed")
        asked = Question.objects.create(session=session, generation=session.generation, seq=engine.seq,
                                        step=engine.step_no, **fields)
    publish(asked)
    return asked


def _free(spec: dict[str, Any]) -> dict[str, Any]:
    prompt, options, answer = spec.get("prompt", ""), spec.get("options", []), spec.get("answer")
    if not isinstance(prompt, str) or not 0 < len(prompt.strip()) <= MAX_PROMPT:
        raise CommandError("bad_question", f"a question of your own needs a prompt of 1 to {MAX_PROMPT} characters")
    if (not isinstance(options, list) or not 2 <= len(options) <= engine_questions.MAX_OPTIONS
            or not all(isinstance(o, str) and 0 < len(o.strip()) <= MAX_OPTION_TEXT for o in options)):
        raise CommandError("bad_question", f"give 2 to {engine_questions.MAX_OPTIONS} choices of 1 to "
                           f"{MAX_OPTION_TEXT} characters")
    if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int)
                               or not 0 <= answer < len(options)):
        raise CommandError("bad_question", "the right answer is the index of one of the choices (or none)")
    return {"kind": "free", "data": {}, "options": [{"text": o.strip()} for o in options], "answer": answer,
            "steps": 0, "detail": {}, "prompt": prompt.strip()}


def vote(session_id: str, question_id: int, voter: str, name: str, choice: int) -> None:
    """Record (or change) one student's answer to the session's open question."""
    question = Question.objects.filter(id=question_id, session_id=session_id).first()
    if question is None:
        raise CommandError("unknown_question", f"no question {question_id} in this session")
    if question.state != "open":
        raise CommandError("closed", "this question is closed; answers are no longer taken")
    if not 0 <= choice < len(question.options):
        raise CommandError("out_of_range", f"choice is from 0 to {len(question.options) - 1}")
    try:
        Answer.objects.update_or_create(question=question, voter=voter, defaults={"choice": choice, "name": name})
    except IntegrityError:  # The same student's two sockets at once: the other write won, this one is next.
        Answer.objects.filter(question=question, voter=voter).update(choice=choice, name=name)


def close(session_id: str, question_id: int) -> Question:
    """Stop taking answers."""
    question = _question(session_id, question_id)
    if question.state == "open":
        question.state = "closed"
        question.save(update_fields=["state"])
        publish(question)
    return question


def reveal(session_id: str, question_id: int, runner: controller.Runner) -> Question:
    """Show every page the right answer and the votes; play the steps it was about if still there."""
    question = _question(session_id, question_id)
    question.state = "revealed"
    question.save(update_fields=["state"])
    publish(question)
    hot = hotstate.load(session_id)
    if question.steps and hot is not None and hot["seq"] == question.seq and hot["generation"] == question.generation:
        for _ in range(question.steps):
            controller.submit(session_id, {"cmd": "step"}, runner)
    return question


def _question(session_id: str, question_id: int) -> Question:
    question = Question.objects.filter(id=question_id, session_id=session_id).first()
    if question is None:
        raise CommandError("unknown_question", f"no question {question_id} in this session")
    return question


def counts(question: Question) -> list[int]:
    """Return how many students chose each option."""
    tally = [0] * len(question.options)
    for choice in Answer.objects.filter(question=question).values_list("choice", flat=True):
        if 0 <= choice < len(tally):
            tally[choice] += 1
    return tally


def public(question: Question) -> dict[str, Any]:
    """Return the question as every page may see it (the answer and votes only once revealed)."""
    shown: dict[str, Any] = {"id": question.id, "seq": question.seq, "kind": question.kind, "data": question.data,
                             "options": question.options, "prompt": question.prompt, "steps": question.steps,
                             "state": question.state}
    if question.state == "revealed":
        shown.update(key(question), counts=counts(question))
    return shown


def key(question: Question) -> dict[str, Any]:
    """Return what only the teacher sees before the reveal."""
    return {"answer": question.answer, "detail": question.detail}


def publish(question: Question) -> None:
    """Tell every page of the session about the question (the key travels apart, for the controller)."""
    broadcast.send(question.session_id, {"type": "lab.question", "question": public(question),
                                         "key": key(question)})


def current(session: Session) -> Question | None:
    """Return the question a page opened now should show: the newest, unless it was revealed long ago."""
    return Question.objects.filter(session=session, generation=session.generation).order_by("-id").first()


def mine(question: Question, voter: str) -> int | None:
    """Return a student's answer to a question, or None."""
    return Answer.objects.filter(question=question, voter=voter).values_list("choice", flat=True).first()


def votes(session_id: str) -> dict[str, Any] | None:
    """Return the open (or last) question's votes so far, for the teacher's live histogram."""
    question = Question.objects.filter(session_id=session_id).order_by("-id").first()
    if question is None:
        return None
    tally = counts(question)
    return {"id": question.id, "counts": tally, "answered": sum(tally)}


def results(session: Session) -> list[dict[str, Any]]:
    """Return every question of the session with its right answer, votes and each student's answer."""
    out = []
    for question in Question.objects.filter(session=session).order_by("id"):
        answers = list(Answer.objects.filter(question=question).order_by("name", "voter")
                       .values("voter", "name", "choice"))
        out.append({**public(question), **key(question), "counts": counts(question), "answers": answers})
    return out


def results_csv(session: Session) -> str:
    """Return the results as CSV: one row per answer (question, kind, seq, student, choice, right or not)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["question", "kind", "seq", "prompt", "student", "choice", "option", "correct"])
    for q in results(session):
        for a in q["answers"]:
            option = q["options"][a["choice"]] if 0 <= a["choice"] < len(q["options"]) else {}
            right = "" if q["answer"] is None else str(a["choice"] == q["answer"]).lower()
            writer.writerow([q["id"], q["kind"], q["seq"], q["prompt"] or "", a["name"] or a["voter"][:8], a["choice"],
                             _option_text(option), right])
    return buffer.getvalue()


def _option_text(option: dict[str, Any]) -> str:
    for name in ("text", "phase", "value", "id"):
        if name in option:
            return str(option[name])
    return "holds" if option.get("holds") else "breaks"


# ------------------------------------------------------------ notes


def add_note(session: Session, seq: int, text: str) -> Note:
    """Pin a note to a seq of the session's current generation."""
    text = text.strip()
    if not 0 < len(text) <= MAX_NOTE_TEXT:
        raise CommandError("bad_note", f"a note is 1 to {MAX_NOTE_TEXT} characters")
    if Note.objects.filter(session=session).count() >= MAX_NOTES:
        raise CommandError("limit", f"a session holds at most {MAX_NOTES} notes")
    note = Note.objects.create(session=session, generation=session.generation, seq=seq, text=text)
    publish_notes(session)
    return note


def remove_note(session: Session, note_id: int) -> None:
    """Unpin a note."""
    Note.objects.filter(session=session, id=note_id).delete()
    publish_notes(session)


def notes(session: Session) -> list[dict[str, Any]]:
    """Return the session's notes of its current generation, by seq."""
    return [n.to_json() for n in Note.objects.filter(session=session, generation=session.generation)
            .order_by("seq", "id")]


def publish_notes(session: Session) -> None:
    """Send every page the session's notes."""
    broadcast.send(session.id, {"type": "lab.notes", "notes": notes(session)})
