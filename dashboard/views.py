"""The pages: the landing page (catalogue, start form, recent sessions), a session's lab page, compare.

Protocol texts arrive in English from protocols/ (which knows nothing of
Django) and are translated here, at the edge, by looking each English string
up with gettext in the page's language (see dashboard/protocol_texts.py).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dashboard import classroom, sessions
from dashboard.api import ws_url
from dashboard.language import LANGUAGES, language, ui_strings
from dashboard.models import Session
from protocols import FAMILIES, REGISTRY
from protocols.comparisons import available
from protocols.figures import labels as figure_labels
from protocols.spec import ProtocolSpec


def catalogue_entry(spec: ProtocolSpec) -> dict[str, Any]:
    """Return ``spec.describe()`` with its texts in the active language, and ``caption_translations``.

    Captions reach the browser inside events, in English: ``caption_translations``
    maps each English caption of every scenario to its translation, so the page
    can show an event's caption in its own language.
    """
    entry = spec.describe()
    entry["title"], entry["summary"] = _(entry["title"]), _(entry["summary"])
    for param in entry["params"]:
        param["help"] = _(param["help"])
    captions: dict[str, str] = {}
    for scenario in entry["scenarios"]:
        scenario["description"] = _(scenario["description"])
        for caption in scenario["captions"]:
            captions[caption["text"]] = caption["text"] = _(caption["text"])
    for invariant in entry["invariants"]:
        invariant["description"] = _(invariant["description"])
    # A violation carries its finding as data; the page fills the template of its own language.
    entry["findings"] = {fid: _(template) for fid, template in entry["findings"].items()}
    # Words a finding's word fields hold (protocols/spec.py, ``finding_words``), as the command line says them.
    code = get_language()
    lang = language(code if code in LANGUAGES else "en")
    entry["finding_words"] = lang.finding_words(entry["finding_words"], spec.declared_finding_words())
    entry["finding_list_separator"] = lang.list_separator()
    entry["caption_translations"] = captions
    return entry


def lab_strings() -> dict[str, str]:
    """Return the browser's UI strings (static/js/i18n-keys.json) in the active language, each in its context."""
    return ui_strings()


def landing_strings() -> dict[str, str]:
    """Return the few strings landing.js shows, in the active language."""
    return {
        "starting": _("Starting…"),
        "start_failed": _("The session could not start: {message}"),
        "network_error": _("The lab did not answer. Is it still running?"),
        "no_sessions": _("No sessions yet. Start the first one!"),
        "watch": _("Watch"),
        "by_owner": _("by {owner}"),
        "status_live": pgettext("session status", "live"),
        "status_done": pgettext("session status", "done"),
        "status_failed": pgettext("session status", "failed"),
    }


def ready_made_lessons() -> list[dict[str, str]]:
    """Return the ready-made lessons stored here, for the landing page (dashboard/views_lessons.py)."""
    from dashboard.views_lessons import ready_made_lessons as stored  # It imports this module's helpers.

    return stored()


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """Show what the lab is, the protocol catalogue, the start form and the recent sessions."""
    families = [{"title": _(title), "entries": [catalogue_entry(spec) for spec in specs]} for title, specs in FAMILIES]
    catalogue = [entry for family in families for entry in family["entries"]]
    form_catalogue = [{k: entry[k] for k in ("name", "title", "params", "scenarios")} for entry in catalogue]
    return render(request, "landing.html", {
        "families": families, "catalogue": catalogue, "form_catalogue": form_catalogue,
        "landing_strings": landing_strings(),
        "max_owner_length": sessions.MAX_OWNER_LENGTH,
        "lessons": ready_made_lessons(),
    })


@require_GET
def session_page(request: HttpRequest, session_id: str) -> HttpResponse:
    """Show a session's lab page: the shell that static/js/app.js fills, or a 404 page."""
    session = Session.objects.filter(id=session_id).first()
    spec = REGISTRY.get(session.protocol) if session is not None else None
    if session is None or spec is None:
        return render(request, "404.html", {"session_id": session_id}, status=404)
    entry = catalogue_entry(spec)
    return render(request, "session.html", {
        "session": session, "entry": entry, "ws_url": ws_url(request, session.id),
        # The control token travels in the URL fragment, which never reaches the server:
        # app.js upgrades this hint when it finds #token=..., and the server decides on hello.
        "role_hint": "watcher",
        "lang": "zh-hans" if (get_language() or "").lower().startswith("zh") else "en",
        "lab_strings": lab_strings(),
        "scenario": next((s for s in entry["scenarios"] if s["name"] == session.scenario), None),
        # ?embed=1: the page inside the compare page's frames, without the site's header.
        "embed": request.GET.get("embed") == "1",
        "join_url": join_url(request, classroom.ensure_join_code(session)),
    })


def join_url(request: HttpRequest, code: str) -> str:
    """Return the short link a class types or scans: on the address the classroom's devices reach."""
    base = settings.PROTOLAB_PUBLIC_URL or f"{request.scheme}://{request.get_host()}"
    return f"{base}/j/{code}"


@require_GET
def join_page(request: HttpRequest, code: str = "") -> HttpResponse:
    """Ask for a join code (and a name); a known code goes to the session's watcher page."""
    typed = code or request.GET.get("code", "")
    name = request.GET.get("name", "").strip()[:classroom.MAX_NAME_LENGTH]
    if typed:
        session = classroom.resolve(typed)
        if session is not None:
            target = f"/sessions/{session.id}/" + (f"?{urlencode({'as': name})}" if name else "")
            return redirect(target)
    return render(request, "join.html", {"code": typed, "name": name, "unknown": bool(typed),
                                         "code_length": classroom.JOIN_CODE_LENGTH},
                  status=404 if typed else 200)


@require_GET
def join_qr(request: HttpRequest, session_id: str) -> HttpResponse:
    """Return the QR code of a session's join link, as SVG (drawn here: no network)."""
    session = Session.objects.filter(id=session_id).first()
    if session is None:
        return render(request, "404.html", {"session_id": session_id}, status=404)
    qr = segno.make(join_url(request, classroom.ensure_join_code(session)), error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, title="", desc="")
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


MAX_COMPARED_SESSIONS = 4


@require_GET
def compare_page(request: HttpRequest) -> HttpResponse:
    """Show up to four sessions side by side, with their summary figures in one table."""
    ids = [i for i in request.GET.get("s", "").split(",") if i][:MAX_COMPARED_SESSIONS]
    # An id holding NUL is no session's, and PostgreSQL refuses it in a query (a 500).
    found = {s.id: s for s in Session.objects.filter(id__in=[i for i in ids if "\x00" not in i])}
    panes = []
    for session_id in ids:
        session = found.get(session_id)
        if session is None:
            return render(request, "404.html", {"session_id": session_id}, status=404)
        spec = REGISTRY.get(session.protocol)
        title = _(spec.title) if spec else session.protocol
        panes.append({"id": session.id, "protocol": session.protocol, "title": title,
                      "scenario": session.scenario or "", "params": session.params})
    if len(panes) < 2:  # nothing to set side by side: offer the ready-made comparisons
        panes = []
    for pane, differs in zip(panes, what_differs([p.pop("params") for p in panes]), strict=True):
        pane["differs"] = differs
        pane["label"] = " · ".join(part for part in (pane["title"], pane["scenario"], differs) if part)
    return render(request, "compare.html",
                  {"panes": panes, "presets": _presets(), "compare_strings": compare_strings()})


MAX_NAMED_DIFFERENCES = 3
"""A pane's heading names at most this many parameters (a heading is one line on a laptop)."""


def what_differs(params: list[dict[str, Any]]) -> list[str]:
    """Return, for each run, the parameters that set it apart from the others (``remedy=none``).

    A parameter counts when every run has it (runs of one protocol, or of protocols sharing it) and
    its values are not all equal; the runs' titles and scenarios say the rest. Four runs of one
    protocol that differ only in a parameter would otherwise have four identical headings.
    """
    if len(params) < 2:
        return ["" for _ in params]
    shared = set.intersection(*(set(p) for p in params))
    names = sorted(n for n in shared if len({_shown(p[n]) for p in params}) > 1)[:MAX_NAMED_DIFFERENCES]
    return [", ".join(f"{n}={_shown(p[n])}" for n in names) for p in params]


def _shown(value: Any) -> str:
    """Write a parameter's value as `manage.py compare` takes it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _presets() -> list[dict[str, Any]]:
    return [{**p, "title": _(p["title"])} for p in available(REGISTRY)]


def compare_strings() -> dict[str, Any]:
    """Return the compare page's own strings, translated."""
    return {
        "figure": _("Figure"), "violated": _("Violated"), "none": _("none"), "events": _("Events"),
        "updated": _("Figures at each run's newest event; updated every second."),
        "failed": _("Could not read the figures"),
        # Figures arrive under their identifiers (latency_p50); the table shows each under its label.
        "figures": {name: _(label) for name, label in figure_labels().items()},
    }
