"""Lessons: save one from a live session, import and export it, replay its trace, take students' answers.

A lesson is a row (dashboard/models.py ``Lesson``) holding what
dashboard/lesson_format.py checks: inputs, commands, notes and questions
with their answers. Its trace is never stored: it is replayed from the
commands (and kept in a small per-process cache). Students answer once per
question; the answer is revealed to a student in the reply to their own
answer, never before. Whoever holds the lesson token (given when it was
saved or imported) reads the class's aggregate results.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from dashboard import hotstate
from dashboard.lesson_format import MAX_TITLE, LessonError, check, check_text, english, export, student_view, trace_of
from dashboard.models import Lesson, LessonAnswer, Note, Question, Session, SessionCommand, hash_token

MAX_VOTER_LENGTH = 64
TRACE_CACHE_SIZE = 16
"""Replayed traces kept per process: the lessons a class has open at once."""

LESSON_FIELDS = ("title", "summary", "protocol", "params", "seed", "scenario", "faults", "chaos", "max_events",
                 "commands", "notes", "questions")

_traces: OrderedDict[str, dict[str, Any]] = OrderedDict()


class Refused(Exception):
    """A lesson request that cannot be met: ``code`` for the API, ``status`` for HTTP."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def data_of(lesson: Lesson) -> dict[str, Any]:
    """Return the lesson's fields as lesson_format reads them."""
    return {k: getattr(lesson, k) for k in LESSON_FIELDS}


def store(data: Mapping[str, Any], slug_hint: str, *, ready_made: str = "", source: str = "",
          exact: bool = False) -> tuple[Lesson, str]:
    """Store a checked lesson under a free slug near ``slug_hint``; return it and its new lesson token.

    ``exact``: the hint itself if it is free (a ready-made lesson's name, an imported lesson's link).
    """
    token = new_token()
    fields = {k: data[k] for k in LESSON_FIELDS}
    base = slugify(slug_hint)
    for attempt in range(8):
        slug = base if attempt == 0 and exact else f"{base}-{secrets.token_hex(3)}"
        try:
            with transaction.atomic():
                lesson = Lesson.objects.create(slug=slug, ready_made=ready_made, source=source,
                                               token_hash=hash_token(token), **fields)
            return lesson, token
        except IntegrityError:
            continue
    raise Refused("busy", "no free link for this lesson; try again", status=409)


def new_token() -> str:
    """Return a new lesson token (whoever holds it reads the lesson's results)."""
    return secrets.token_urlsafe(18)


def slugify(text: str) -> str:
    """Return a link-safe name: ASCII words joined by dashes (a title in Chinese becomes 'lesson')."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:40].strip("-") or "lesson"


def save_from_session(session: Session, title: Any) -> tuple[Lesson, str]:
    """Save a live session as a lesson: its commands so far, its notes, its open or revealed questions."""
    try:
        title = check_text(title, "title", MAX_TITLE)
    except LessonError as exc:
        raise Refused("bad_request", str(exc)) from None
    generation = session.generation
    commands = list(SessionCommand.objects.filter(session=session, generation=generation)
                    .order_by("step").values_list("command", flat=True))
    notes = [{"seq": n.seq, "text": n.text} for n in
             Note.objects.filter(session=session, generation=generation).order_by("seq", "id")]
    questions = [{"seq": q.seq, "kind": q.kind, "data": q.data, "options": q.options, "answer": q.answer,
                  "steps": q.steps, "detail": q.detail, "prompt": q.prompt}
                 for q in Question.objects.filter(session=session, generation=generation,
                                                  state__in=("open", "revealed")).order_by("seq", "id")]
    data = {"format": "protolab-lesson", "version": 1, "title": title, "summary": "",
            **{k: v for k, v in session.engine_inputs().items() if k != "scenario"},
            "scenario": session.scenario, "commands": commands, "notes": notes, "questions": questions}
    try:
        lesson = check(data)
    except LessonError as exc:  # The session itself is sound, so this is a note or question out of bounds.
        raise Refused("bad_session", f"this session cannot be saved as a lesson: {exc}", status=409) from None
    return store(lesson, english(title), source=session.id)


def import_file(data: Any) -> tuple[Lesson, str]:
    """Create a lesson from an exported file (checked and replayed first: bad data changes nothing)."""
    try:
        lesson = check(data)
    except LessonError as exc:
        raise Refused("bad_lesson", str(exc)) from None
    hint = data.get("slug") if isinstance(data.get("slug"), str) else english(lesson["title"])
    return store(lesson, hint, exact=True)


def export_file(lesson: Lesson) -> dict[str, Any]:
    """Return the lesson as one JSON file (format version, inputs, commands, notes, questions with answers)."""
    return export(data_of(lesson), lesson.slug)


def trace(lesson: Lesson) -> dict[str, Any]:
    """Return the lesson's trace, replayed from its commands (cached per process by content)."""
    key = hashlib.sha256(json.dumps(data_of(lesson), sort_keys=True).encode()).hexdigest()
    if key in _traces:
        _traces.move_to_end(key)
        return _traces[key]
    replayed = trace_of(data_of(lesson))
    _traces[key] = replayed
    while len(_traces) > TRACE_CACHE_SIZE:
        _traces.popitem(last=False)
    return replayed


def describe(lesson: Lesson) -> dict[str, Any]:
    """Return what a student's page needs: the trace, notes and questions without their answers."""
    return {"slug": lesson.slug, "title": lesson.title, "summary": lesson.summary, "protocol": lesson.protocol,
            "scenario": lesson.scenario or None, "trace": trace(lesson), "notes": lesson.notes,
            "questions": student_view(data_of(lesson))}


def answer(lesson: Lesson, question: Any, choice: Any, voter: Any, client_address: str) -> dict[str, Any]:
    """Record a student's answer; return the right answer and the detail (revealed to them now)."""
    if isinstance(question, bool) or not isinstance(question, int) or not 0 <= question < len(lesson.questions):
        raise Refused("bad_request", f"'question' must be a question's index, 0 to {len(lesson.questions) - 1}")
    asked = lesson.questions[question]
    if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(asked["options"]):
        raise Refused("bad_request", f"'choice' must be an option's index, 0 to {len(asked['options']) - 1}")
    if not isinstance(voter, str) or not 0 < len(voter) <= MAX_VOTER_LENGTH:
        raise Refused("bad_request", f"'voter' must be your browser's id, 1 to {MAX_VOTER_LENGTH} characters")
    _throttle(client_address)
    reveal = {"question": question, "correct": asked["answer"], "detail": asked["detail"]}
    try:
        with transaction.atomic():
            LessonAnswer.objects.create(lesson=lesson, question=question, voter=voter, choice=choice)
    except IntegrityError:
        first = LessonAnswer.objects.get(lesson=lesson, question=question, voter=voter).choice
        raise Answered(reveal, first) from None
    return {**reveal, "choice": choice}


class Answered(Refused):
    """A second answer from the same student: refused, but told their first answer and the right one."""

    def __init__(self, reveal: dict[str, Any], first: int) -> None:
        super().__init__("already_answered", "you have answered this question already; your first answer stands",
                         status=409)
        self.reveal = {**reveal, "choice": first}


def _throttle(client_address: str) -> None:
    """Refuse a client address over its answers a minute (a flood changes nothing else)."""
    limit = settings.PROTOLAB_LESSON_ANSWERS_PER_MINUTE
    minute = int(timezone.now().timestamp() // 60)
    key = f"{settings.PROTOLAB_PREFIX}:lesson-answers:{client_address}:{minute}"
    try:
        count, _ = hotstate.client().pipeline(transaction=False).incr(key).expire(key, 120).execute()
    except RedisError:  # Without Redis nothing is counted: the one-per-question rule still holds.
        return
    if count > limit:
        raise Refused("rate_limited", f"at most {limit} answers a minute from one address; try again in a minute",
                      status=429)


def may_read_results(lesson: Lesson, token: Any) -> bool:
    """Say whether a presented lesson token is this lesson's."""
    return bool(lesson.token_hash) and isinstance(token, str) and secrets.compare_digest(
        hash_token(token), lesson.token_hash)


def results(lesson: Lesson) -> dict[str, Any]:
    """Return the aggregate answers: per question, how many chose each option, and how many were right."""
    counts: dict[tuple[int, int], int] = {}
    voters: set[str] = set()
    for question, choice, voter in LessonAnswer.objects.filter(lesson=lesson).values_list(
            "question", "choice", "voter"):
        counts[question, choice] = counts.get((question, choice), 0) + 1
        voters.add(voter)
    rows = []
    for index, q in enumerate(lesson.questions):
        per_option = [counts.get((index, option), 0) for option in range(len(q["options"]))]
        right = per_option[q["answer"]] if q["answer"] is not None else None
        rows.append({"index": index, "seq": q["seq"], "kind": q["kind"], "data": q["data"], "prompt": q["prompt"],
                     "options": q["options"], "answer": q["answer"], "counts": per_option,
                     "answers": sum(per_option), "right": right})
    return {"slug": lesson.slug, "title": lesson.title, "students": len(voters), "questions": rows}


def results_csv(lesson: Lesson) -> str:
    """Return the aggregate answers as CSV: one row per option of each question."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "seq", "kind", "data", "option", "choice", "correct", "count"])
    for row in results(lesson)["questions"]:
        for option, (choice, count) in enumerate(zip(row["options"], row["counts"], strict=True)):
            writer.writerow([row["index"], row["seq"], row["kind"], json.dumps(row["data"], sort_keys=True),
                             option, json.dumps(choice, sort_keys=True, ensure_ascii=False),
                             "yes" if option == row["answer"] else "no", count])
    return out.getvalue()
