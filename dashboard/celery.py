"""The Celery app: workers host the simulated nodes, one queue per worker."""

from __future__ import annotations

import logging
import os
import threading

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("protolab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["dashboard"])


HUNG_EXIT_AFTER_S = 3.0
"""After an unrecoverable error a worker should exit; if it has not after this long, it is made to."""


class _ExitWhenStuck(logging.Handler):
    """Make a worker that hit an unrecoverable error really exit, so its supervisor restarts it.

    Measured here: when Redis restarts under a worker holding a late-ack
    task, kombu fails while closing its hub and the worker hangs, alive but
    consuming nothing. Exiting lets the stack's supervisor start a fresh one.
    """

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.CRITICAL and "Unrecoverable error" in record.getMessage():
            threading.Timer(HUNG_EXIT_AFTER_S, os._exit, args=(70,)).start()


@signals.task_prerun.connect
def _close_old_connections(**_: object) -> None:
    """Drop a database connection that errored or outlived CONN_MAX_AGE, as Django does per request."""
    from django.db import close_old_connections

    close_old_connections()


@signals.worker_init.connect
def _install_watchdog(**_: object) -> None:
    logging.getLogger("celery.worker").addHandler(_ExitWhenStuck())


@signals.worker_ready.connect
def _resume_playing(**_: object) -> None:
    """Kick every session the database says is playing: a worker starts after Redis came back (or the lab)."""
    from dashboard import controller
    from dashboard.runners import CeleryRunner

    try:
        resumed = controller.resume_all(CeleryRunner())
    except Exception:  # Redis or the database still away: the pages' pings kick the sessions later.
        logging.getLogger(__name__).warning("could not resume the playing sessions yet", exc_info=True)
        return
    if resumed:
        logging.getLogger(__name__).warning("resumed %d playing sessions", resumed)
