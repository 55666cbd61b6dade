"""URL routes of the lab."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
