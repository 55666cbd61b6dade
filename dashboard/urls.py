"""URL routes of the lab."""

from __future__ import annotations

from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path

from dashboard import api, api_compare, api_explore, api_exports, api_lessons, openapi, views, views_lessons

handler404 = openapi.not_found

# Session ids are URL-safe tokens (dashboard/models.py new_session_id): the routes match no other
# character, so a NUL or the like never reaches a query (PostgreSQL refused it with a 500).
urlpatterns = [
    path("", views.landing, name="landing"),
    path("sessions/<slug:session_id>/", views.session_page, name="session"),
    path("sessions/<slug:session_id>/qr.svg", views.join_qr, name="join-qr"),
    path("join", views.join_page, name="join"),
    path("j/<str:code>", views.join_page, name="join-code"),
    path("compare/", views.compare_page, name="compare"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema", openapi.schema_view, name="api-schema"),
    path("api/protocols", api.protocols_view, name="api-protocols"),
    path("api/sessions", api.sessions_view, name="api-sessions"),
    path("api/sessions/<slug:session_id>", api.session_view, name="api-session"),
    path("api/sessions/<slug:session_id>/trace", api.trace_view, name="api-trace"),
    path("api/sessions/<slug:session_id>/fork", api.fork_view, name="api-fork"),
    path("api/sessions/<slug:session_id>/keep", api.keep_view, name="api-keep"),
    path("api/sessions/<slug:session_id>/questions", api.questions_view, name="api-questions"),
    path("api/sessions/<slug:session_id>/summary", api_compare.summary_view, name="api-summary"),
    path("api/compare", api_compare.compare_view, name="api-compare"),
    path("api/sessions/<slug:session_id>/explore", api_explore.start_view, name="api-explore-start"),
    path("api/explore/<str:job>", api_explore.status_view, name="api-explore"),
    path("api/explore/<str:job>/sessions", api_explore.open_view, name="api-explore-open"),
    path("api/sessions/<slug:session_id>/export/<str:fmt>", api_exports.export_view, name="api-export"),
    path("lessons/<slug:slug>", views_lessons.lesson_page, name="lesson"),
    path("api/sessions/<slug:session_id>/lesson", api_lessons.save_view, name="api-lesson-save"),
    path("api/lessons/import", api_lessons.import_view, name="api-lesson-import"),
    path("api/lessons/<slug:slug>", api_lessons.lesson_view, name="api-lesson"),
    path("api/lessons/<slug:slug>/answers", api_lessons.answer_view, name="api-lesson-answers"),
    path("api/lessons/<slug:slug>/results", api_lessons.results_view, name="api-lesson-results"),
    path("api/lessons/<slug:slug>/export", api_lessons.export_view, name="api-lesson-export"),
    # The lab runs from a checkout without a CDN or a front web server: Django serves static/ itself
    # (from the finders, so no collectstatic step). A deployment behind nginx can drop this route.
    re_path(r"^static/(?P<path>.+)$", serve_static, {"insecure": True}),
]
