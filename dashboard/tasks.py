"""Celery tasks: thin, idempotent adapters around the controller (plain values in, nothing protocol-specific)."""

from __future__ import annotations

from typing import Any

from dashboard import controller
from dashboard.celery import app
from dashboard.controller import Plan
from dashboard.runners import CeleryRunner


@app.task(name="lab.step", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_step(**plan: Any) -> dict[str, Any]:
    """Run one planned step of a session on this worker, then dispatch the next."""
    return controller.execute(Plan(**plan), CeleryRunner())
