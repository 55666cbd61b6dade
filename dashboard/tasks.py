"""Celery tasks: thin, idempotent adapters around the controller (plain values in, nothing protocol-specific)."""

from __future__ import annotations

import os
import time
from typing import Any

from dashboard import controller
from dashboard.celery import app
from dashboard.controller import Plan
from dashboard.runners import CeleryRunner

FAULT_INJECTION_DELAY_S = float(os.environ.get("PROTOLAB_FAULT_INJECTION_DELAY_S", "0") or 0)
"""For fault tests only: hold each step this long before running it (0 in normal use)."""


@app.task(name="lab.step", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_step(**plan: Any) -> dict[str, Any]:
    """Run one planned step of a session on this worker, then dispatch the next."""
    if FAULT_INJECTION_DELAY_S:
        time.sleep(FAULT_INJECTION_DELAY_S)  # Widens the window in which fault tests kill a worker mid-step.
    return controller.execute(Plan(**plan), CeleryRunner())
