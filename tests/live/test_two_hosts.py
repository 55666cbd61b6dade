"""Two labs started as two hosts would run them (docs/architecture.md, "Beyond one machine").

Host A and host B are two stacks with processes and ports of their own
(a Daphne and two Celery workers each) sharing one Redis (the machine's,
under this run's prefix), one PostgreSQL database, the same PROTOLAB_PREFIX
and the same DJANGO_SECRET_KEY. The hosts' workers consume the same node
queues (``<prefix>.node<i>``, one per worker index), so either host's worker
may run any step. A session is created on A over HTTP and played from a
websocket on B; a watcher on each host follows it. Mid-play, A's workers are
SIGKILLed while one of them holds a step and A's supervisor no longer
restarts them: B's workers must finish the session, and every log (the
database's, as each host serves it, and each client's) must equal the
headless run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.stack import Stack, free_port, wait_for_workers
from tests.live.client import LabClient, run_live
from tests.live.conftest import Http, make_stack
from tests.live.test_faults import (
    PLAY_SPEED,
    SESSION,
    delivered,
    finish,
    headless_events,
    pool_children,
    without_where,
)

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="two hosts share a PostgreSQL database (an SQLite file cannot be shared between hosts): "
               "set DATABASE_URL=postgres://... as the PostgreSQL pass of tests/run_all.py does"),
]

STEP_DELAY_S = "0.15"
"""Each step lingers this long in its worker before running, so the kill finds A holding one."""

MID_STEP_WAIT_S = 20.0
"""How long to wait for one of A's workers to be inside a step before killing them anyway."""

FINISH_TIMEOUT_S = 45.0
"""The rest of play (about 10 s) plus a stranded step sent again (controller.STALL_S, 5 s, on a ping);
well under the broker's visibility timeout (30 s) plus its restore sweep, which the test must not need."""


@contextlib.contextmanager
def two_hosts(tmp_path: Path) -> Iterator[tuple[Stack, Stack]]:
    """Start hosts A and B (same Redis, database, prefix and secret; own ports, processes, var dirs)."""
    a = make_stack(tmp_path / "a", os.environ["REDIS_URL"], "twohosts")
    a.env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(40)
    a.env["PROTOLAB_FAULT_INJECTION_DELAY_S"] = STEP_DELAY_S
    b = Stack(redis_url=a.redis_url, port=free_port(), workers=a.workers,
              env={**a.env, "PROTOLAB_VAR_DIR": str(tmp_path / "b")}, log_dir=tmp_path / "b" / "log")
    try:
        a.start()
        b.start()  # Its migrate finds the schema A made: nothing to do.
        # B's own wait is met by A's workers alone: wait for all four.
        wait_for_workers(a.redis_url, a.env["PROTOLAB_PREFIX"], a.workers + b.workers)
        yield a, b
    finally:
        b.stop()
        a.stop()


def pids(stack: Stack) -> set[int]:
    """Return the processes a stack's steps may run in (its workers and their pool processes)."""
    return {pid for worker in stack.celery for pid in (worker.pid, *pool_children(worker.pid))}


def ran_in(event: dict) -> int:
    """Return the process id a step's event was made in (ran_on is name@host:pid)."""
    return int(event["ran_on"].rpartition(":")[2])


def hosts_seen(client: LabClient, host_pids: dict[str, set[int]]) -> set[str]:
    """Return which hosts' workers ran the steps a client has seen."""
    return {host for event in client.events.values() for host, owned in host_pids.items()
            if ran_in(event) in owned}


def inside_a_step(pid: int) -> bool:
    """Say whether a pool process sleeps in clock_nanosleep: the fault-injection pause before a step."""
    with contextlib.suppress(OSError):
        return "nanosleep" in Path(f"/proc/{pid}/wchan").read_text()
    return False


async def kill_workers_mid_step(stack: Stack) -> bool:
    """SIGKILL every worker of ``stack`` (pool included) for good; say whether one held a step."""
    stack._stopping.set()  # Stops its supervisor (nothing else of the stack): the workers stay dead.
    children = [child for worker in stack.celery for child in pool_children(worker.pid)]
    deadline = time.monotonic() + MID_STEP_WAIT_S
    while not (holding := any(inside_a_step(pid) for pid in children)) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)  # A step lingers STEP_DELAY_S: polling finds it within a few turns.
    for worker in stack.celery:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    return holding


def test_two_hosts_share_a_session_and_b_finishes_when_a_s_workers_die(tmp_path):
    with two_hosts(tmp_path) as (a, b):
        http_a, http_b = Http(a), Http(b)
        host_pids = {"A": pids(a), "B": pids(b)}

        async def scenario():
            created = http_a.create(**SESSION)  # Created on host A ...
            ws_b = created["ws"].replace(f":{a.port}/", f":{b.port}/")
            assert ws_b != created["ws"]
            controller = LabClient(ws_b, http_b.origin, token=created["control_token"])  # ... played from B.
            watcher_a = LabClient(created["ws"], http_a.origin)
            watcher_b = LabClient(ws_b, http_b.origin)
            clients = (controller, watcher_a, watcher_b)
            for client in clients:
                await client.connect()
            await controller.wait_for(lambda c: c.role == "controller")
            await controller.send({"type": "speed", "value": PLAY_SPEED})
            await controller.send({"type": "play"})
            # Both hosts' workers take steps from the shared node queues.
            await watcher_a.wait_for(lambda c: hosts_seen(c, host_pids) == {"A", "B"} and delivered(c) >= 1,
                                     timeout=30)
            held = await kill_workers_mid_step(a)
            killed_at, seen = time.monotonic(), max(c.last_seq for c in clients)
            await watcher_b.wait_for(lambda c: c.last_seq > seen or c.hot.get("done"), timeout=FINISH_TIMEOUT_S)
            resumed_at = time.monotonic()
            for client in clients:
                await finish(client, timeout=FINISH_TIMEOUT_S)
            print(f"A held a step when killed: {held}; the next event came {resumed_at - killed_at:.1f} s "
                  f"after the kill, the last {time.monotonic() - killed_at:.1f} s after")
            for client in clients:
                await client.close()
            return created, clients, held

        created, clients, held = run_live(scenario())
        assert all(worker.poll() is not None for worker in a.celery) and a.restarts == 0
        assert held, f"none of A's workers was inside a step within {MID_STEP_WAIT_S} s"

        expected = without_where(headless_events())
        for http in (http_a, http_b):  # One database, as each host serves it.
            stored = http.trace(created["id"])["events"]
            assert [e["seq"] for e in stored] == list(range(1, len(stored) + 1))
            assert without_where(stored) == expected
        for client in clients:
            assert without_where(client.log()) == expected
            assert client.errors == [] and client.failures == []

        log = http_b.trace(created["id"])["events"]
        assert {ran_in(e) for e in log if e["step"] == 0} == {a.daphne.pid}  # Booted by A's web process.
        log = [e for e in log if e["step"] > 0]
        steps_on = {host: {e["step"] for e in log if ran_in(e) in owned} for host, owned in host_pids.items()}
        assert steps_on["A"] and steps_on["B"], steps_on
        assert {e["step"] for e in log} == steps_on["A"] | steps_on["B"], "a step ran outside both hosts' workers"
        # Everything after A's last step ran on B, and B did finish: the last step is B's.
        last_on_a = max(steps_on["A"])
        assert all(ran_in(e) in host_pids["B"] for e in log if e["step"] > last_on_a)
        assert ran_in(log[-1]) in host_pids["B"]
