"""``manage.py explore_job JOB``: run one search a session page asked for (see dashboard/explore_jobs.py)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard import explore_jobs

NICENESS = 10
"""Below the web processes and the workers: a search may take a core, never the live sessions' turn."""

MEMORY_MIB = int(os.environ.get("PROTOLAB_SEARCH_MEMORY_MIB", "1536"))
CPU_S = int(os.environ.get("PROTOLAB_SEARCH_CPU_S", "90"))
"""What one search may use: the page's largest search (50,000 worlds) took about 600 MiB and 10 s here;
past these a stranger's search stops with a clear error instead of starving the machine."""


class CpuLimit(Exception):
    """The search used its CPU time (SIGXCPU)."""


def _out_of_cpu(*_: object) -> None:
    raise CpuLimit(f"it used its {CPU_S} s of CPU time")


def _limit_resources() -> None:
    """Cap the search's memory and CPU time; reaching either ends it with an error its page shows."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MIB * 2**20, MEMORY_MIB * 2**20))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_S, CPU_S + 10))
        signal.signal(signal.SIGXCPU, _out_of_cpu)


class Command(BaseCommand):
    help = "Run one exhaustive search started from a session page and store its report in Redis."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", help="The job's id, as the API returned it.")

    def handle(self, *args: Any, **options: Any) -> None:
        with contextlib.suppress(OSError):  # Not allowed here: run at the usual priority.
            os.nice(NICENESS)
        _limit_resources()
        explore_jobs.run(options["job"])
