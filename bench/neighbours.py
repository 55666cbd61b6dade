"""What anonymous neighbours cost a controller: summary pollers and a session-creation flood (issue 19).

Run it as ``.venv/bin/python bench/neighbours.py`` (about four minutes). Like
bench/live.py it starts everything it measures on an embedded Valkey of its
own and stops it at the end: the lab as ``make run`` starts it (two Celery
workers, two Daphnes, SQLite in a temporary directory). It plays one long
session to its end (cache-write-through, 8 clients x 312 operations on
10,000 keys: about 39,000 events, the budget's worth), then measures a
controller stepping another session (2PC, 16 participants, no fault, as
bench/live.py (a)) one step per 70 ms slot, time from sending ``step`` to its
first event, in rounds that alternate:

- ``quiet``: nobody else asks anything;
- ``polled``: POLLERS clients each ask ``/api/sessions/<long>/summary`` once
  a second, as the compare page did before its figures were pushed (eight:
  two compare pages of four panes on one session);
- ``polled, cache defeated`` (the raw baseline: what a poll cost before
  summaries were cached, issue 19): the same pollers, each deleting the
  cached summary before asking, so every poll rebuilds the 39,000-event trace;
- ``flooded``: FLOODERS clients from one other address (``X-Forwarded-For``,
  with ``PROTOLAB_PROXY_HEADERS=1``) posting new sessions at FLOOD_PER_S in
  all (the issue's flood: 300 in 8.4 s): the first 30 a minute are created,
  the rest get 429.

It prints p50 and p99 step latency per kind of round, the pollers' answers per
second and their p50 time, and the load average before and after (the
machine has two cores and may be shared). No test asserts a timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.live import PLAIN, STEP_SLOT_S, Client, Http, pct, sleep_until  # noqa: E402
from dashboard.stack import Stack, free_port, start_embedded_redis  # noqa: E402

LONG = {"protocol": "cache-write-through", "params": {"clients": 8, "keys": 10_000, "ops_per_client": 312}}
POLLERS = 8
POLL_EVERY_S = 1.0
FLOODERS = 4
FLOOD_PER_S = 36.0
FLOOD_ADDRESS = "10.66.0.1"
STEPS_PER_ROUND = 150
DEFEATED_STEPS = 100
STEPS_PER_SESSION = 60
"""As bench/live.py (a): a plain 16-participant session lasts 65 steps."""
ROUNDS = ("quiet", "polled", "flooded") * 3 + ("defeated",)
"""Alternating, so drift in the machine's load spreads over the kinds; the defeated round once, last (it is slow,
and the rebuilds it starts outlive it)."""


class Pollers:
    """POLLERS threads each asking one session's summary every POLL_EVERY_S while ``on``; ``defeat`` empties the
    cache before each poll (every poll then rebuilds the trace, as before summaries were cached)."""

    def __init__(self, base: str, session_id: str, redis_url: str, prefix: str) -> None:
        self.url = f"{base}/api/sessions/{session_id}/summary"
        self.key = f"{prefix}:s:{session_id}:summary"  # dashboard.hotstate.key(session_id, "summary")
        self.redis = redis.Redis.from_url(redis_url)
        self.on = threading.Event()
        self.stop = threading.Event()
        self.defeat = False
        self.inflight = 0
        self.count = threading.Lock()
        self.times: list[float] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(POLLERS)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            if not self.on.wait(0.1):
                continue
            if self.defeat:
                self.redis.delete(self.key)
            with self.count:
                self.inflight += 1
            started = time.perf_counter()
            with urllib.request.urlopen(self.url, timeout=120) as response:
                response.read()
            took = time.perf_counter() - started
            with self.count:
                self.inflight -= 1
            if self.on.is_set():
                self.times.append(took)
            time.sleep(max(0.0, POLL_EVERY_S - took))

    def close(self) -> None:
        self.on.clear()
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=130)


class Flood:
    """FLOODERS threads posting new sessions from FLOOD_ADDRESS, FLOOD_PER_S in all, while ``on``; counts statuses."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/api/sessions"
        self.on = threading.Event()
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(FLOODERS)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        body = json.dumps({"protocol": "two-phase-commit"}).encode()
        while not self.stop.is_set():
            if not self.on.wait(0.1):
                continue
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json", "X-Forwarded-For": FLOOD_ADDRESS})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            time.sleep(FLOODERS / FLOOD_PER_S)

    def close(self) -> None:
        self.on.clear()
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=70)


async def connect(http: Http, session: dict[str, Any], seed: int) -> Client:
    created = http.create(seed, **session)
    client = Client(created["ws"], http.origin, token=created["control_token"])
    await client.connect()
    await client.wait(lambda c: c.role == "controller" and c.contig >= c.welcome_seq)
    client.session_id = created["id"]  # type: ignore[attr-defined]
    return client


async def play_long(http: Http) -> str:
    """Create the long session and play it to its end at full speed; return its id."""
    ctl = await connect(http, LONG, 1)
    await ctl.send({"type": "speed", "value": 0})
    await ctl.send({"type": "play"})
    await ctl.wait(lambda c: bool(c.hot.get("done")) and c.contig >= c.hot["seq"], timeout=600)
    say(f"long session {ctl.session_id}: {ctl.contig:,} events")  # type: ignore[attr-defined]
    await ctl.close()
    return ctl.session_id  # type: ignore[attr-defined]


async def steps(http: Http, count: int, seeds: list[int]) -> list[float]:
    """Step plain 2PC sessions ``count`` times, one step per slot; return each step's latency to its first event."""
    out: list[float] = []
    ctl, taken = None, 0
    while len(out) < count:
        if ctl is None or taken == STEPS_PER_SESSION:
            if ctl is not None:
                await ctl.close()
            ctl, taken = await connect(http, PLAIN, seeds.pop(0)), 0
        taken += 1
        slot_end = time.perf_counter() + STEP_SLOT_S
        frames, hots = len(ctl.event_frame_at), ctl.hot_frames
        start = time.perf_counter()
        await ctl.send({"type": "step"})
        await ctl.wait(lambda c, n=frames: len(c.event_frame_at) > n, timeout=60)
        out.append(ctl.event_frame_at[frames] - start)
        await ctl.wait(lambda c, n=hots: c.hot_frames > n, timeout=60)
        await sleep_until(slot_end)
    if ctl is not None:
        await ctl.close()
    return out


def say(text: str) -> None:
    print(text, flush=True)


async def measure(http: Http, redis_url: str, prefix: str) -> dict[str, dict[str, list[float]]]:
    long_id = await play_long(http)
    with urllib.request.urlopen(f"{http.base}/api/sessions/{long_id}/summary", timeout=120) as response:
        response.read()  # Its figures computed once (a rebuild of the 39,000-event trace), then cached.
    pollers = Pollers(http.base, long_id, redis_url, prefix)
    flood = Flood(http.base)
    seeds = list(range(100, 400))
    results: dict[str, dict[str, list[float]]] = {}
    try:
        await steps(http, 20, seeds)  # Warm up: engines cached, connections open.
        for kind in ROUNDS:
            pollers.times, flood.statuses = [], {}
            pollers.defeat = kind == "defeated"
            busy = flood if kind == "flooded" else pollers if kind != "quiet" else None
            if busy is not None:
                busy.on.set()
                await asyncio.sleep(1.0)  # They are at it before the first step.
            started = time.perf_counter()
            lat = await steps(http, DEFEATED_STEPS if kind == "defeated" else STEPS_PER_ROUND, seeds)
            elapsed = time.perf_counter() - started
            if busy is not None:
                busy.on.clear()
            while pollers.inflight:  # Polls still being answered would load the next round.
                await asyncio.sleep(0.2)
            entry = results.setdefault(kind, {"lat": [], "polls": [], "seconds": [], "statuses": []})
            entry["lat"] += lat
            entry["polls"] += pollers.times
            entry["seconds"].append(elapsed)
            entry["statuses"].append(dict(flood.statuses))
            say(f"  {kind:9} step p50 {pct(lat, 0.5) * 1000:6.1f} ms  p99 {pct(lat, 0.99) * 1000:7.1f} ms  "
                f"{len(pollers.times)} polls, creations {flood.statuses} in {elapsed:.1f} s")
            await asyncio.sleep(0.5)
    finally:
        pollers.close()
        flood.close()
    return results


def table(results: dict[str, dict[str, list[float]]], loads: list[tuple[float, ...]]) -> None:
    label = {"quiet": "no poller", "polled": f"{POLLERS} pollers, one poll a second each",
             "defeated": f"{POLLERS} pollers, cache defeated (before: a rebuild per poll)",
             "flooded": f"creation flood from one address, {FLOOD_PER_S:.0f}/s"}
    print(f"\nload average before {loads[0][0]:.2f} {loads[0][1]:.2f} {loads[0][2]:.2f}, "
          f"after {loads[1][0]:.2f} {loads[1][1]:.2f} {loads[1][2]:.2f}")
    print("\n| Round | Steps | Step latency p50 | p99 | Polls answered | Poll p50 |\n|---|---|---|---|---|---|")
    for kind in ("quiet", "polled", "flooded", "defeated"):
        if kind not in results:
            continue
        r = results[kind]
        polls = r["polls"]
        rate = f"{len(polls) / sum(r['seconds']):.1f}/s" if polls else "—"
        p50 = f"{pct(polls, 0.5) * 1000:.1f} ms" if polls else "—"
        print(f"| {label[kind]} | {len(r['lat'])} | {pct(r['lat'], 0.5) * 1000:.1f} ms | "
              f"{pct(r['lat'], 0.99) * 1000:.1f} ms | {rate} | {p50} |")
    for statuses in results.get("flooded", {}).get("statuses", []):
        print(f"flood round: {statuses}")


def main() -> None:
    loads = [os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-neighbours-") as tmp, contextlib.ExitStack() as cleanup:
        var = Path(tmp)
        (var / "log").mkdir()
        valkey = start_embedded_redis()
        cleanup.callback(valkey.stop)
        redis_url = f"redis://127.0.0.1:{valkey.port}/0"
        prefix = f"benchneighbours-{os.getpid()}"
        env = {"PROTOLAB_PREFIX": prefix, "PROTOLAB_VAR_DIR": str(var), "PROTOLAB_RUNNER": "celery",
               "DATABASE_URL": f"sqlite:///{var / 'lab.sqlite3'}"}
        os.environ["PROTOLAB_PROXY_HEADERS"] = "1"  # Daphne believes X-Forwarded-For (the flood's address).
        stack = Stack(redis_url=redis_url, port=free_port(), workers=2, env=env, log_dir=var / "log",
                      web_processes=2)
        cleanup.callback(stack.stop)
        say(f"load average {loads[0][0]:.2f}; starting Valkey and the lab; logs in {var / 'log'}")
        stack.start()  # Migrates, starts the workers and Daphnes, waits for the workers.
        try:
            results = asyncio.run(measure(Http(stack.port), redis_url, prefix))
        except BaseException:
            for log in sorted((var / "log").glob("*.log")):
                say(f"--- {log.name} (tail)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            raise
    loads.append(os.getloadavg())
    table(results, loads)
    print("\n" + json.dumps({k: {"p50_ms": pct(v["lat"], 0.5) * 1000, "p99_ms": pct(v["lat"], 0.99) * 1000}
                             for k, v in results.items()}))


if __name__ == "__main__":
    # A TERM (a killed run, a CI timeout) unwinds like Ctrl-C, so the cleanup stops every process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
