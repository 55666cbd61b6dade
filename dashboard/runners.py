"""Where steps run: in this process (tests, CLI) or on the Celery worker hosting the node.

Both runners hand the same :class:`~dashboard.controller.Plan` to the same
:func:`~dashboard.controller.execute`; only the transport differs, so a
contract test can demand identical traces from both.
"""

from __future__ import annotations

from collections import deque

from django.conf import settings

from dashboard import controller
from dashboard.controller import Plan


def queue_name(index: int) -> str:
    """Return the Celery queue of worker ``index``."""
    return f"{settings.PROTOLAB_PREFIX}.node{index}"


class InProcessRunner:
    """Runs each plan right here, one after another (no recursion, no waiting)."""

    def __init__(self) -> None:
        self._plans: deque[Plan] = deque()
        self._running = False

    def dispatch(self, plan: Plan) -> None:
        self._plans.append(plan)
        if self._running:
            return  # The loop below picks it up.
        self._running = True
        try:
            while self._plans:
                controller.execute(self._plans.popleft(), self)
        finally:
            self._running = False


class CeleryRunner:
    """Sends each plan to the worker queue of the node it concerns."""

    def dispatch(self, plan: Plan) -> None:
        from dashboard.tasks import run_step

        run_step.apply_async(kwargs=controller.plan_to_args(plan), queue=queue_name(plan.queue),
                             countdown=plan.countdown or None)
