"""``manage.py sweep_sandboxes``: delete the sandboxes of classes that ended long enough ago (not kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dashboard import classroom


class Command(BaseCommand):
    help = "Delete students' sandboxes of classes that ended more than PROTOLAB_SANDBOX_TTL_S ago, unless kept."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{classroom.sweep()} sandboxes deleted")
