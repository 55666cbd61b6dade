"""``manage.py explore --all --jobs N``: the explorer table's rows searched side by side, one process each.

Processes and clocks are the edge's, not the pure core's (protocols/sim/explore_table.py
builds one row from one spec and a clock it is given).
"""

from __future__ import annotations

import functools
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator

from protocols.base import ParameterError
from protocols.sim.explore_table import Row, row
from protocols.spec import ProtocolSpec

MAX_JOBS = 16
"""Most processes ``rows`` runs at once: each holds a search (up to some 350 MiB at the default budget)."""


def rows(specs: Iterable[ProtocolSpec], jobs: int = 1,
         find: Callable[[str], ProtocolSpec] | None = None) -> Iterator[Row]:
    """Yield each protocol's row, in order; ``jobs`` processes search them side by side.

    A worker process finds each protocol by its name with ``find`` (a module-level function, such as
    ``protocols.get_protocol``: it is sent to the worker), which must give back the very spec given.
    Each row is timed on its own process's clock. Leaving early (an exception, Ctrl-C, a reader that
    stops) terminates the workers at once, not after the searches they are in.
    """
    specs = list(specs)
    if not 1 <= jobs <= MAX_JOBS:
        raise ParameterError(f"jobs: {jobs} is not from 1 to {MAX_JOBS}")
    workers = min(jobs, len(specs))
    if workers <= 1:
        for spec in specs:
            yield row(spec, clock=time.perf_counter)
        return
    if find is None:
        raise ParameterError("jobs: searching in other processes needs a way to find each protocol by name")
    for spec in specs:
        if find(spec.name) is not spec:
            raise ParameterError(f"{spec.name}: only protocols found by name are searched in other processes")
    with multiprocessing.get_context("spawn").Pool(workers) as pool:  # Its exit terminates the workers.
        yield from pool.imap(functools.partial(_timed_row, find), [spec.name for spec in specs])


def _timed_row(find: Callable[[str], ProtocolSpec], name: str) -> Row:
    return row(find(name), clock=time.perf_counter)
