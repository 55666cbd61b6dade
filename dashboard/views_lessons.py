"""The lesson page (``/lessons/<slug>``: the shell static/js/lesson.js fills) and the landing page's list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from dashboard.lesson_library import names
from dashboard.models import Lesson
from dashboard.views import catalogue_entry, lab_strings
from protocols import REGISTRY


def page_language() -> str:
    """Return the page's language as lesson texts name it (``en`` or ``zh-hans``)."""
    return "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"


def in_language(text: Any, lang: str) -> str:
    """Return a text (a string, or one string per language) in ``lang``, else in English."""
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("en") or "")
    return str(text or "")


@require_GET
def lesson_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a lesson: the lab over its trace, with its notes and questions (static/js/lesson.js)."""
    lesson = Lesson.objects.filter(slug=slug).first()
    spec = REGISTRY.get(lesson.protocol) if lesson is not None else None
    if lesson is None or spec is None:
        return render(request, "404.html", {"lesson_slug": slug}, status=404)
    lang = page_language()
    return render(request, "lesson.html", {
        "lesson": lesson, "title": in_language(lesson.title, lang), "summary": in_language(lesson.summary, lang),
        "entry": catalogue_entry(spec), "lang": lang, "lab_strings": lab_strings(),
    })


def ready_made_lessons() -> list[dict[str, str]]:
    """Return the stored ready-made lessons for the landing page, in the library's order, in the page's language."""
    lang = page_language()
    stored = {lesson.ready_made: lesson for lesson in Lesson.objects.exclude(ready_made="")}
    return [{"slug": stored[name].slug, "title": in_language(stored[name].title, lang),
             "summary": in_language(stored[name].summary, lang), "protocol": stored[name].protocol}
            for name in names() if name in stored]
