"""Kill things while a session plays; the log must come out whole, once, and equal to the headless run.

Each test starts its own stack (and, for Redis, its own server): the
machine's Redis is never restarted or flushed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.stack import Stack, start_embedded_redis
from protocols import get_protocol
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace
from tests.live.client import LabClient, run_live
from tests.live.conftest import Http, make_stack

pytestmark = [pytest.mark.live, pytest.mark.slow]

SESSION = {"protocol": "two-phase-commit", "params": {"participants": 6}, "seed": 21,
           "scenario": "coordinator-crash-after-prepare"}
PLAY_SPEED = 0.5
"""Virtual ms per wall ms: slow enough that a run spans seconds, so faults land mid-play."""


def headless_events():
    engine = Engine(get_protocol(SESSION["protocol"]), SESSION["params"], seed=SESSION["seed"],
                    scenario=SESSION["scenario"])
    engine.run()
    return build_trace(engine)["events"]


def without_where(events):
    return [{k: v for k, v in e.items() if k != "ran_on"} for e in events]


def delivered(client: LabClient) -> int:
    """Count the deliveries a client has seen: boot alone has none, so this shows play has begun."""
    return sum(1 for e in client.events.values() if e["kind"] == "deliver")


def pool_children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


async def start_playing(http: Http) -> tuple[dict, LabClient]:
    created = http.create(**SESSION)
    client = LabClient(created["ws"], http.origin, token=created["control_token"])
    await client.connect()
    await client.wait_for(lambda c: c.role == "controller")
    await client.send({"type": "speed", "value": PLAY_SPEED})
    await client.send({"type": "play"})
    return created, client


async def finish(client: LabClient, timeout: float = 120) -> None:
    await client.wait_for(lambda c: c.hot.get("done") and c.last_seq >= c.hot["seq"], timeout=timeout)


def assert_whole(http: Http, created: dict, *clients: LabClient) -> None:
    expected = without_where(headless_events())
    stored = http.trace(created["id"])["events"]
    assert [e["seq"] for e in stored] == list(range(1, len(stored) + 1))
    assert without_where(stored) == expected
    for client in clients:
        assert without_where(client.log()) == expected


@contextlib.contextmanager
def running_stack(tmp_path, redis_url: str, suffix: str, step_delay_s: str,
                  web_processes: int = 1) -> Iterator[tuple[Stack, Http]]:
    """Start a stack of this test's own whose steps linger ``step_delay_s``; stop it whatever happens."""
    stack = make_stack(tmp_path, redis_url, suffix)
    stack.web_processes = web_processes
    stack.env["PROTOLAB_FAULT_INJECTION_DELAY_S"] = step_delay_s
    stack.start()
    try:
        yield stack, Http(stack)
    finally:
        stack.stop()


def test_sigkill_of_a_worker_pool_process_mid_play(tmp_path):
    with running_stack(tmp_path, os.environ["REDIS_URL"], "kill", "0.15") as (stack, http):

        async def scenario():
            created, client = await start_playing(http)
            await client.wait_for(lambda c: delivered(c) >= 3, timeout=60)
            victims = [child for worker in stack.celery for child in pool_children(worker.pid)]
            assert victims, "no pool processes found"
            for victim in victims:
                os.kill(victim, signal.SIGKILL)
            await finish(client)
            await client.close()
            return created, client

        created, client = run_live(scenario())
        assert_whole(http, created, client)


def test_redis_restarted_while_playing(tmp_path, own_redis):
    port = own_redis.port
    replacement = None
    with running_stack(tmp_path, f"redis://127.0.0.1:{port}/0", "redis", "0.05") as (_stack, http):

        async def scenario():
            nonlocal replacement
            created, client = await start_playing(http)
            await client.wait_for(lambda c: delivered(c) >= 3, timeout=60)
            own_redis.stop()
            await client.wait_for(lambda c: "redis" in c.degraded, timeout=30)  # The page is told.
            replacement = start_embedded_redis(port=port)  # Empty: Redis kept nothing on disk.
            back, seen = time.monotonic(), client.last_seq
            # Nobody presses Play again: play state is durable, and the session resumes by itself.
            await client.wait_for(lambda c: c.last_seq > seen or c.hot.get("done"), timeout=60)
            print(f"resumed {time.monotonic() - back:.1f} s after Redis came back")
            await finish(client)
            await client.wait_for(lambda c: c.degraded[-1:] == [None], timeout=30)  # ... and told it is back.
            await client.close()
            return created, client

        try:
            created, client = run_live(scenario())
            assert_whole(http, created, client)
        finally:
            if replacement is not None:
                replacement.stop()


@pytest.mark.parametrize("web_processes", [1, 2])
def test_daphne_restarted_while_two_clients_watch(tmp_path, web_processes):
    """Kill every Daphne in turn (a rolling restart with two): nothing is lost, everyone reconnects."""
    with running_stack(tmp_path, os.environ["REDIS_URL"], f"daphne{web_processes}", "0.05",
                       web_processes=web_processes) as (stack, http):

        async def scenario():
            created, owner = await start_playing(http)
            watcher = LabClient(created["ws"], http.origin)
            await watcher.connect()
            await watcher.wait_for(lambda c: delivered(c) >= 3, timeout=60)  # Play is under way.
            for proc in list(stack.daphnes):
                assert proc is not None
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                stack.start_daphne()
            await finish(owner)
            await finish(watcher)
            assert owner.reconnects >= 1 and watcher.reconnects >= 1
            await owner.close()
            await watcher.close()
            return created, owner, watcher

        created, owner, watcher = run_live(scenario())
        assert_whole(http, created, owner, watcher)
