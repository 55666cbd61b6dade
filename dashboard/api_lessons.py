"""Lessons over HTTP: save, read, answer, results, export and import (service: dashboard/lessons.py).

- ``POST /api/sessions/<id>/lesson`` {control_token, title} (the controller only): save the session so far.
- ``GET /api/lessons/<slug>``: the lesson for a student (trace, notes, questions without answers).
- ``POST /api/lessons/<slug>/answers`` {question, choice, voter}: one answer per student per question;
  the reply reveals the right answer and the detail to that student.
- ``GET /api/lessons/<slug>/results`` (header X-Lesson-Token): counts per question; ``?format=csv``.
- ``GET /api/lessons/<slug>/export``: one JSON file; ``POST /api/lessons/import``: create it here.

Bad input gets a 400 whose ``message`` says what is wrong, and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dashboard import lessons
from dashboard.api import NUL_ESCAPE, NUL_MESSAGE, controlled, error, json_object, table_response
from dashboard.models import Lesson

MAX_IMPORT_BYTES = 2 * 1024 * 1024
"""A lesson file of 2,000 steps, 200 notes and 100 questions is well under this."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def lesson_url(request: HttpRequest, slug: str) -> str:
    return request.build_absolute_uri(f"/lessons/{slug}")


def _created(request: HttpRequest, lesson: Lesson, token: str) -> JsonResponse:
    return JsonResponse({"slug": lesson.slug, "url": lesson_url(request, lesson.slug), "lesson_token": token},
                        status=201)


def _refused(exc: lessons.Refused) -> JsonResponse:
    return error(exc.status, exc.code, exc.message)


def _lesson(slug: str) -> Lesson | None:
    return Lesson.objects.filter(slug=slug).first()


def _no_lesson(slug: str) -> JsonResponse:
    return error(404, "no_lesson", f"no lesson {slug!r}")


@csrf_exempt  # JSON only, like the other POSTs; the control token is the permission.
@require_POST
def save_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Save the session so far as a lesson (its controller only)."""
    found = controlled(request, session_id, {"title"},
                       ("not_controller", "only the session's teacher may save it as a lesson: send its control_token"))
    if isinstance(found, JsonResponse):
        return found
    session, body = found
    try:
        lesson, token = lessons.save_from_session(session, body.get("title"))
    except lessons.Refused as exc:
        return _refused(exc)
    return _created(request, lesson, token)


@require_GET
def lesson_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the lesson as a student's page loads it (no answers)."""
    lesson = _lesson(slug)
    if lesson is None:
        return _no_lesson(slug)
    return JsonResponse(lessons.describe(lesson))


@csrf_exempt  # JSON only; an answer needs no secret (one per voter, throttled per address).
@require_POST
def answer_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a student's answer and reveal the right one to them."""
    body = json_object(request, {"question", "choice", "voter"})
    if isinstance(body, JsonResponse):
        return body
    lesson = _lesson(slug)
    if lesson is None:
        return _no_lesson(slug)
    try:
        reveal = lessons.answer(lesson, body.get("question"), body.get("choice"), body.get("voter"),
                                request.META.get("REMOTE_ADDR", ""))
    except lessons.Answered as exc:
        return JsonResponse({"error": exc.code, "message": exc.message, **exc.reveal}, status=exc.status)
    except lessons.Refused as exc:
        return _refused(exc)
    return JsonResponse(reveal)


@require_GET
def results_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Return everyone's answers in aggregate (header X-Lesson-Token); ``?format=csv`` for a spreadsheet."""
    lesson = _lesson(slug)
    if lesson is None:
        return _no_lesson(slug)
    if not lessons.may_read_results(lesson, request.headers.get("X-Lesson-Token")):
        return error(403, "forbidden", "a lesson's results are its teacher's: send the lesson token in the "
                     "X-Lesson-Token header")
    return table_response(request.GET.get("format", "json"), lambda: lessons.results_csv(lesson),
                          lambda: lessons.results(lesson), f"lesson-{lesson.slug}-results.csv")


@require_GET
def export_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the lesson as one JSON file, to import on another server."""
    lesson = _lesson(slug)
    if lesson is None:
        return _no_lesson(slug)
    text = json.dumps(lessons.export_file(lesson), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lesson-{lesson.slug}.json"'
    return response


@csrf_exempt  # JSON only; importing creates a new lesson and changes nothing that exists.
@require_POST
def import_view(request: HttpRequest) -> HttpResponse:
    """Create a lesson on this server from an exported file (same format version)."""
    if request.content_type != "application/json":
        return error(415, "bad_content_type", "send the lesson file as application/json")
    if len(request.body) > MAX_IMPORT_BYTES:
        return error(413, "too_large", f"lesson files are limited to {MAX_IMPORT_BYTES} bytes")
    try:
        data = json.loads(request.body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        return error(400, "bad_json", "the body is not valid JSON (NaN and Infinity are not JSON)")
    except RecursionError:  # A body of 30,000 '[' raised it from the parser: a 500 before.
        return error(400, "bad_json", "the body is nested too deeply")
    if NUL_ESCAPE.search(request.body):
        return error(400, "bad_request", NUL_MESSAGE)
    try:
        lesson, token = lessons.import_file(data)
    except lessons.Refused as exc:
        return _refused(exc)
    return _created(request, lesson, token)
