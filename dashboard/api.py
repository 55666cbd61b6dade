"""The JSON HTTP API: create sessions, read their status and traces, list protocols.

Bad input gets a 400 whose ``message`` says what is wrong and what is allowed.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dashboard import sessions
from dashboard.models import Session
from protocols import REGISTRY
from protocols.base import ParameterError

MAX_BODY_BYTES = 64 * 1024
"""A session request is a few hundred bytes; anything this large is a mistake or an attack."""

CREATE_FIELDS = {"protocol", "params", "seed", "scenario", "faults", "chaos", "owner"}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@csrf_exempt  # JSON only: a cross-site form cannot send application/json without a CORS preflight.
@require_http_methods(["GET", "POST"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    """POST creates a session; GET lists recent ones."""
    if request.method == "GET":
        recent = Session.objects.order_by("-created")[:20]
        return JsonResponse({"sessions": [_brief(s) for s in recent]})
    if request.content_type != "application/json":
        return _error(415, "bad_content_type", "send the session as application/json")
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "bad_request", "the body must be a JSON object")
    unknown = set(body) - CREATE_FIELDS
    if unknown:
        return _error(400, "bad_request", f"unknown fields {sorted(unknown)}; allowed {sorted(CREATE_FIELDS)}")
    if not isinstance(body.get("protocol"), str):
        return _error(400, "bad_request", f"'protocol' is required; known: {', '.join(REGISTRY)}")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        return _error(400, "bad_request", "seed must be a whole number from 0 to 2**63-1")
    try:
        session, token = sessions.create(
            body["protocol"], body.get("params") or {}, seed=seed, scenario=body.get("scenario") or None,
            faults=body.get("faults"), chaos=body.get("chaos", 0.0), owner=body.get("owner", ""))
    except ParameterError as exc:
        return _error(400, "bad_parameter", str(exc))
    url = request.build_absolute_uri(f"/sessions/{session.id}/")
    scheme = "wss" if request.is_secure() else "ws"
    return JsonResponse({"id": session.id, "control_token": token, "url": url,
                         "ws": f"{scheme}://{request.get_host()}/ws/sessions/{session.id}/"}, status=201)


@require_GET
def session_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return a session's status."""
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return _error(404, "no_session", f"no session {session_id!r}")
    return JsonResponse(sessions.describe(session))


@require_GET
def trace_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return a session's trace, in the same format as ``manage.py simulate --format json``."""
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return _error(404, "no_session", f"no session {session_id!r}")
    response = JsonResponse(sessions.trace(session), json_dumps_params={"sort_keys": True})
    response["Content-Disposition"] = f'inline; filename="{session.protocol}-{session.id}.json"'
    return response


@require_GET
def protocols_view(request: HttpRequest) -> HttpResponse:
    """Return the protocol catalogue."""
    return JsonResponse({"protocols": [spec.describe() for spec in REGISTRY.values()]})


def _brief(session: Session) -> dict[str, Any]:
    return {"id": session.id, "protocol": session.protocol, "scenario": session.scenario or None,
            "owner": session.owner, "status": session.status, "created": session.created.isoformat()}
