"""The JSON HTTP API: create and fork sessions, read their status and traces, list protocols.

Bad input gets a 400 whose ``message`` says what is wrong and what is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard import classroom, limits, questions, sessions, trace_stream
from dashboard.models import Session, SessionEvent
from protocols import REGISTRY
from protocols.base import ParameterError

MAX_BODY_BYTES = 64 * 1024
"""A session request is a few hundred bytes; anything this large is a mistake or an attack."""

NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""A NUL character in a JSON text (only ever written \\u0000): PostgreSQL stores no text holding one (a 500)."""
NUL_MESSAGE = "text may not hold the NUL character (\\u0000)"

CREATE_FIELDS = {"protocol", "params", "seed", "scenario", "faults", "chaos", "owner"}
FORK_FIELDS = {"seq", "owner", "sandbox"}


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@csrf_exempt  # JSON only: a cross-site form cannot send application/json without a CORS preflight.
@require_http_methods(["GET", "POST"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    """POST creates a session; GET lists recent ones."""
    if request.method == "GET":
        recent = Session.objects.order_by("-created")[:20]
        return JsonResponse({"sessions": [_brief(s) for s in recent]})
    body = json_object(request, CREATE_FIELDS)
    if isinstance(body, JsonResponse):
        return body
    if not isinstance(body.get("protocol"), str):
        return error(400, "bad_request", f"'protocol' is required; known: {', '.join(REGISTRY)}")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        return error(400, "bad_request", "seed must be a whole number from 0 to 2**63-1")
    try:
        limits.take("create", request.META.get("REMOTE_ADDR", ""), settings.PROTOLAB_CREATES_PER_MINUTE, "new sessions")
    except limits.Throttled as exc:
        return error(429, "rate_limited", exc.message)
    try:
        session, token = sessions.create(
            body["protocol"], body.get("params") or {}, seed=seed, scenario=body.get("scenario") or None,
            faults=body.get("faults"), chaos=body.get("chaos", 0.0), owner=body.get("owner", ""))
    except ParameterError as exc:
        return error(400, "bad_parameter", str(exc))
    return _created(request, session, token)


@csrf_exempt  # JSON only, like sessions_view; forking changes nothing in the parent, so anyone may.
@require_POST
def fork_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Start a new session from this one's log up to the step holding ``seq``; answer like a create.

    ``sandbox: true`` makes it a student's sandbox of a class (listed on the teacher's page). Forks are
    throttled per client address and sandboxes capped per class (dashboard/classroom.py).
    """
    body = json_object(request, FORK_FIELDS)
    if isinstance(body, JsonResponse):
        return body
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return error(404, "no_session", f"no session {session_id!r}")
    seq = body.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return error(400, "bad_request", "'seq' is required: the event seq to fork at, a whole number from 0")
    latest = (SessionEvent.objects.filter(session=session, generation=session.generation)
              .aggregate(latest=Max("seq"))["latest"]) or 0
    if seq > latest:
        return error(400, "bad_request", f"seq {seq} is past the end of the session's log (latest {latest})")
    owner = body.get("owner", "")
    if not isinstance(owner, str):
        return error(400, "bad_request", "'owner' must be a string")
    sandbox = body.get("sandbox", False)
    if not isinstance(sandbox, bool):
        return error(400, "bad_request", "'sandbox' must be true or false")
    try:
        classroom.check_fork_allowed(session, request.META.get("REMOTE_ADDR", ""), sandbox)
        child, token = sessions.fork(session, seq, owner=owner, sandbox=sandbox)
        if sandbox:
            classroom.sweep_now_and_then()
    except classroom.ClassroomError as exc:
        return error(exc.status, exc.code, exc.message)
    except ParameterError as exc:
        return error(400, "bad_parameter", str(exc))
    return _created(request, child, token)


def ws_url(request: HttpRequest, session_id: str) -> str:
    """Return the websocket URL of a session as this request reached the server (ws or wss)."""
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/sessions/{session_id}/"


def created_body(request: HttpRequest, session: Session, token: str) -> dict[str, str]:
    """Return what a client needs of a new session: its id, control token and addresses."""
    url = request.build_absolute_uri(f"/sessions/{session.id}/")
    return {"id": session.id, "control_token": token, "url": url, "ws": ws_url(request, session.id)}


def _created(request: HttpRequest, session: Session, token: str) -> JsonResponse:
    return JsonResponse(created_body(request, session, token), status=201)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_object(request: HttpRequest, allowed: set[str]) -> dict[str, Any] | JsonResponse:
    """Return the request's JSON object body, or the error response saying what is wrong with it."""
    if request.content_type != "application/json":
        return error(415, "bad_content_type", "send the request as application/json")
    if len(request.body) > MAX_BODY_BYTES:
        return error(413, "too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(request.body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        return error(400, "bad_json", "the body is not valid JSON (NaN and Infinity are not JSON)")
    except RecursionError:
        return error(400, "bad_json", "the body is nested too deeply")
    if NUL_ESCAPE.search(request.body):
        return error(400, "bad_request", NUL_MESSAGE)
    if not isinstance(body, dict):
        return error(400, "bad_request", "the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        return error(400, "bad_request", f"unknown fields {sorted(unknown)}; allowed {sorted(allowed)}")
    return body


@require_GET
def session_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return a session's status."""
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return error(404, "no_session", f"no session {session_id!r}")
    return JsonResponse(sessions.describe(session))


@require_GET
def trace_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return a session's trace, in the same format as ``manage.py simulate --format json``."""
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return error(404, "no_session", f"no session {session_id!r}")
    response = trace_stream.response(request, session, pretty=False, content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="{session.protocol}-{session.id}.json"'
    return response


@require_GET
def protocols_view(request: HttpRequest) -> HttpResponse:
    """Return the protocol catalogue."""
    return JsonResponse({"protocols": [spec.describe() for spec in REGISTRY.values()]})


def _brief(session: Session) -> dict[str, Any]:
    return {"id": session.id, "protocol": session.protocol, "scenario": session.scenario or None,
            "owner": session.owner, "status": session.status, "created": session.created.isoformat()}


def controlled(request: HttpRequest, session_id: str, allowed: set[str], refusal: tuple[str, str],
               ) -> tuple[Session, dict[str, Any]] | JsonResponse:
    """Return the session and the request's JSON body if it carries the session's ``control_token``.

    Otherwise the response saying what is wrong: the body's, a 404, or a 403 with ``refusal`` (code, words).
    """
    body = json_object(request, allowed | {"control_token"})
    if isinstance(body, JsonResponse):
        return body
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return error(404, "no_session", f"no session {session_id!r}")
    if not sessions.may_control(session, body.get("control_token")):
        return error(403, *refusal)
    return session, body


def table_response(fmt: str, csv_text: Callable[[], str], json_body: Callable[[], dict[str, Any]],
                   filename: str) -> HttpResponse:
    """Answer ``?format=csv`` with a download of ``csv_text()``, ``json`` with ``json_body()``; else a 400."""
    if fmt == "csv":
        response = HttpResponse(csv_text(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if fmt != "json":
        return error(400, "bad_request", "format is json or csv")
    return JsonResponse(json_body())


@csrf_exempt  # JSON only, like sessions_view.
@require_POST
def keep_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Keep a student's sandbox past the end of its class (its controller only)."""
    found = controlled(request, session_id, set(),
                       ("forbidden", "only the sandbox's own student (its control token) may keep it"))
    if isinstance(found, JsonResponse):
        return found
    session, _ = found
    classroom.keep(session)
    return JsonResponse({"id": session.id, "kept": True})


@require_GET
def questions_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return the class's questions with answers and votes (the controller only: header X-Control-Token).

    ``?format=csv``: one row per student answer; otherwise JSON.
    """
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return error(404, "no_session", f"no session {session_id!r}")
    if not sessions.may_control(session, request.headers.get("X-Control-Token")):
        return error(403, "forbidden", "the class's answers are the teacher's: send the control token "
                     "in the X-Control-Token header")
    return table_response(request.GET.get("format", "json"), lambda: questions.results_csv(session),
                          lambda: {"session": session.id, "questions": questions.results(session),
                                   "notes": questions.notes(session)},
                          f"{session.protocol}-{session.id}-questions.csv")
