"""``manage.py explore_job JOB``: run one search a session page asked for (see dashboard/explore_jobs.py)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard import explore_jobs

NICENESS = 10
"""Below the web processes and the workers: a search may take a core, never the live sessions' turn."""


class Command(BaseCommand):
    help = "Run one exhaustive search started from a session page and store its report in Redis."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", help="The job's id, as the API returned it.")

    def handle(self, *args: Any, **options: Any) -> None:
        with contextlib.suppress(OSError):  # Not allowed here: run at the usual priority.
            os.nice(NICENESS)
        explore_jobs.run(options["job"])
