"""URL routes of the lab."""

from __future__ import annotations

from django.urls import path

from dashboard import api

urlpatterns = [
    path("api/protocols", api.protocols_view, name="api-protocols"),
    path("api/sessions", api.sessions_view, name="api-sessions"),
    path("api/sessions/<str:session_id>", api.session_view, name="api-session"),
    path("api/sessions/<str:session_id>/trace", api.trace_view, name="api-trace"),
]
