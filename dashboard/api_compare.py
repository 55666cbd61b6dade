"""Compare in the browser: one session per run, on one workload and seed; their figures so far.

``POST /api/compare`` takes runs in ``manage.py compare`` syntax (or a preset's
name) and creates one live session per run with the same seed and shared
parameters, each with its own control token; the compare page shows them side
by side. ``GET /api/sessions/<id>/summary`` gives a session's summary figures
at its newest event (cached by seq in Redis); the compare page gets the same
body pushed over each frame's websocket (a ``summary`` frame) instead of polling.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dashboard import limits, sessions
from dashboard.api import created_body, error, json_object
from dashboard.models import Session
from protocols import REGISTRY, get_protocol
from protocols.base import ParameterError
from protocols.comparisons import available
from protocols.sim.compare import parse_run, split_params

MAX_SIDE_BY_SIDE = 4
"""Four lab pages side by side is already small print on a projector."""

COMPARE_FIELDS = {"runs", "preset", "params", "seed", "owner"}


@csrf_exempt  # JSON only, as for creating one session.
@require_POST
def compare_view(request: HttpRequest) -> HttpResponse:
    """Create one session per run; answer with each and the compare page's URL."""
    body = json_object(request, COMPARE_FIELDS)
    if isinstance(body, JsonResponse):
        return body
    try:
        texts, params = _runs_and_params(body)
        runs = [parse_run(text, get_protocol) for text in texts]
        seed = body.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ParameterError("seed must be a whole number from 0 to 2**63-1")
        for _ in runs:  # Each run is a new session, counted as one.
            limits.take("create", request.META.get("REMOTE_ADDR", ""), settings.PROTOLAB_CREATES_PER_MINUTE,
                        "new sessions")
        shares = split_params(runs, params)
        for run, own in zip(runs, shares, strict=True):  # Every run within budget, or none is created.
            sessions.check_budget(run.spec.name, own, run.scenario)
        created = []
        for run, own in zip(runs, shares, strict=True):
            session, token = sessions.create(run.spec.name, own, seed=seed, scenario=run.scenario,
                                             owner=body.get("owner", ""))
            created.append({**created_body(request, session, token), "label": run.label})
    except ParameterError as exc:
        return error(400, "bad_parameter", str(exc))
    except limits.Throttled as exc:
        return error(429, "rate_limited", exc.message)
    ids = ",".join(c["id"] for c in created)
    return JsonResponse({"sessions": created, "url": request.build_absolute_uri(f"/compare/?s={ids}")}, status=201)


def _runs_and_params(body: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    if "preset" in body:
        preset = next((p for p in available(REGISTRY) if p["name"] == body["preset"]), None)
        if preset is None:
            known = ", ".join(p["name"] for p in available(REGISTRY))
            raise ParameterError(f"no preset {body['preset']!r}; known: {known}")
        return list(preset["runs"]), {**preset["params"], **(body.get("params") or {})}
    runs = body.get("runs")
    if not isinstance(runs, list) or not all(isinstance(r, str) for r in runs):
        raise ParameterError("'runs' must be a list of PROTOCOL[@SCENARIO][:NAME=VALUE,...] texts, or give 'preset'")
    if not 2 <= len(runs) <= MAX_SIDE_BY_SIDE:
        raise ParameterError(f"compare from 2 to {MAX_SIDE_BY_SIDE} runs side by side")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ParameterError("params must be an object of NAME: VALUE")
    return runs, params


@require_GET
def summary_view(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return a session's summary figures and verdicts at its newest event."""
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return error(404, "no_session", f"no session {session_id!r}")
    return JsonResponse(sessions.summary(session))
