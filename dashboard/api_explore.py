"""The explorer over HTTP: search a session's protocol, read the report, step through a counterexample.

- ``POST /api/sessions/<id>/explore`` (the session's controller only): start a
  search of its protocol and parameters; 202 with the job's id and address.
- ``GET /api/explore/<job>``: ``running``, ``done`` with the report, or ``failed``
  with why.
- ``POST /api/explore/<job>/sessions``: a new live session holding one
  counterexample's steps; answered like a created session.

See dashboard/explore_jobs.py for where and how a search runs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dashboard import explore_jobs
from dashboard import limits as throttle
from dashboard.api import controlled, created_body, error, json_object
from protocols.base import ParameterError

START_FIELDS = {"control_token", "max_states", "max_drops", "max_crashes"}
OPEN_FIELDS = {"counterexample", "owner"}


@csrf_exempt  # JSON only, like the other POSTs; the control token is the permission.
@require_POST
def start_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Start a search of this session's protocol and parameters (its controller only)."""
    found = controlled(request, session_id, START_FIELDS,
                       ("not_controller", "only the session's controller may start a search: send its control_token"))
    if isinstance(found, JsonResponse):
        return found
    session, body = found
    limits = {name: body[name] for name in ("max_states", "max_drops", "max_crashes") if name in body}
    try:
        job = explore_jobs.start(session, **limits, address=request.META.get("REMOTE_ADDR", ""))
    except throttle.Throttled as exc:
        return error(429, "rate_limited", exc.message)
    except ParameterError as exc:
        return error(400, "bad_parameter", str(exc))
    except explore_jobs.Busy as exc:
        return error(409, "busy", str(exc))
    except OSError as exc:
        return error(503, "unavailable", f"the search could not start on this server: {exc}")
    return JsonResponse({"job": job, "url": f"/api/explore/{job}"}, status=202)


@require_GET
def status_view(request: HttpRequest, job: str) -> HttpResponse:
    """Return a search's state, and its report once done."""
    record = explore_jobs.status(job)
    if record is None:
        return error(404, "no_job", f"no search {job!r} (unknown, or its report expired)")
    return JsonResponse(record)


@csrf_exempt  # Like forking: it changes nothing that exists, so anyone with the job's id may.
@require_POST
def open_view(request: HttpRequest, job: str) -> HttpResponse:
    """Start a live session that holds one counterexample's steps, to step through."""
    body = json_object(request, OPEN_FIELDS)
    if isinstance(body, JsonResponse):
        return body
    owner = body.get("owner", "")
    if not isinstance(owner, str):
        return error(400, "bad_request", "'owner' must be a string")
    try:
        session, token = explore_jobs.open_counterexample(job, body.get("counterexample", 0), owner=owner)
    except LookupError as exc:
        return error(409 if explore_jobs.status(job) else 404, "no_report", str(exc))
    except ParameterError as exc:
        return error(400, "bad_parameter", str(exc))
    return JsonResponse(created_body(request, session, token), status=201)
