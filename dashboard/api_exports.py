"""Download a session's trace in a format for people or other tools: text, ShiViz, Mermaid (or JSON).

Each format is ``protocols.sim.export.render`` applied to the same trace that
``GET /api/sessions/<id>/trace`` serves, so a download matches what
``manage.py simulate --format FMT`` prints for the same run, in the language
``?lang=`` names (English by default, as ``simulate --lang``). JSON, the
largest by far and in no language, is streamed from the database
(dashboard/trace_stream.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from dashboard import sessions, trace_stream
from dashboard.language import LANGUAGES, language
from dashboard.models import Session
from protocols import REGISTRY
from protocols.sim.export import render

DOWNLOADS: dict[str, tuple[str, str]] = {
    "text": ("txt", "text/plain; charset=utf-8"),
    "shiviz": ("shiviz.log", "text/plain; charset=utf-8"),  # ShiViz reads plain-text logs.
    "mermaid": ("mmd", "text/plain; charset=utf-8"),  # The extension mermaid-cli and editors expect.
    "json": ("json", "application/json"),
}
"""Format name -> (file name extension, content type)."""


@require_GET
def export_view(request: HttpRequest, session_id: str, fmt: str) -> HttpResponse:
    """Return the session's trace rendered as ``fmt``, as a file to save, its words in ``?lang=``."""
    if fmt not in DOWNLOADS:
        return JsonResponse({"error": "bad_format",
                             "message": f"format {fmt!r} is not one of {', '.join(DOWNLOADS)}"}, status=400)
    lang = request.GET.get("lang", "en")
    if lang not in LANGUAGES:
        return JsonResponse({"error": "bad_language",
                             "message": f"language {lang!r} is not one of {', '.join(LANGUAGES)}"}, status=400)
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return JsonResponse({"error": "no_session", "message": f"no session {session_id!r}"}, status=404)
    extension, content_type = DOWNLOADS[fmt]
    if fmt == "json":  # The one that grows with the log's every field: streamed from the database.
        response = trace_stream.response(request, session, pretty=True, content_type=content_type)
    else:  # A line or two per event: a 35,000-event run is 0.8 to 5 MB of text.
        text = render(sessions.trace(session), fmt, REGISTRY.get(session.protocol), language(lang))
        response = HttpResponse(text, content_type=content_type)
    filename = f"{session.protocol}-{session.id}-g{session.generation}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
