"""Live sessions end to end, each figure beside a raw baseline measured in the same run.

Run it as ``.venv/bin/python bench/live.py``. It starts everything it measures
on an embedded Valkey of its own (never the machine's Redis) and stops all of
it at the end, even on error: the lab (``dashboard.stack.Stack``: two Celery
workers and Daphne, SQLite in a temporary directory), a bare Celery worker
(bench/_baseline_celery.py) and two bare Daphnes relaying one channel-layer
group to websockets (bench/_baseline_asgi.py: the lab's Redis layer, and the
PubSub layer). The machine's two cores run all of it, this script's
websocket clients included. It prints:

(a)  step latency: the controller sends ``{"type": "step"}``; time until that
     step's first event arrives, p50 and p99. Baseline: a Celery
     ``apply_async`` + ``get`` round trip plus a ``group_send`` from this
     process to a bare consumer's websocket, timed interleaved with the steps.
(b1) auto-play at speed 0 (batches of auto steps per task): events/s as the
     controller receives them, sessions back to back. Baseline: the bare
     engine running the same sessions in this process.
(b2) one step per Celery task: steps/s at the highest non-zero speed (1000:
     one auto step per task, paced by microseconds), and at speed 0 with
     workers started by this script whose batch is forced to one step.
     Baseline: a 1,000-hop chain of bare Celery tasks, each enqueuing the next.
(c)  fan-out: one controller stepping every 50 ms (and, to find what one
     Daphne sustains, every 200 ms) and 200 watchers; every watcher must end
     with the whole log; p99 delay from sending the step to a watcher
     receiving its events. Baseline: the same rate and frame sizes through
     the bare consumer to 200 sockets; what-ifs on the bare relay alone: one
     small frame per step, and channels_redis's PubSub layer.
(d)  memory: Daphne's VmRSS idle and with 200 watchers; a worker's growth
     (main process plus pool child) over at least 10,000 events. Baseline:
     the bare Daphne and the bare worker.

Targets print PASS or MISS; the script never fails on them, and no test
asserts a timing. docs/performance.md explains the figures.

``--fan-out-only`` runs (c) alone, without its what-ifs (about two minutes
instead of seven: a shorter window to find the shared machine quiet).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # Run as a script from anywhere: the project is the import root.

import redis  # noqa: E402
import websockets  # noqa: E402

from dashboard.stack import BIN, Stack, _wait_for_port, free_port, start_embedded_redis, wait_for_workers  # noqa: E402

MIB = 1 << 20
STEP_P50_TARGET_RATIO = 1.5
PLAY_TARGET_EVENTS_PER_S = 5_000
ONE_STEP_TARGET_RATIO = 0.8
FANOUT_P99_TARGET_S = 0.200
DAPHNE_TARGET_BYTES = 150 * MIB
WORKER_GROWTH_TARGET_BYTES = 20 * MIB

LONG = {"protocol": "two-phase-commit", "chaos": 1.0,
        "params": {"participants": 16, "max_resends": 20, "max_status_queries": 20, "resend_ms": 10,
                   "cooperative_termination": True}}
"""A long session: 16 participants, a random fault on every step, retransmissions; 1,600 to 2,700 steps."""

PLAIN = {"protocol": "two-phase-commit", "chaos": 0.0,
         "params": {"participants": 16, "vote_timeout_ms": 60_000, "prepare_timeout_ms": 60_000}}
"""The plain session of the brief: 16 participants, long timeouts, no fault; 65 steps, 4.5 KB hot frames."""

LATENCY_RUNS = (("16 participants, plain", [(PLAIN, seed, 60) for seed in range(5)]),
                ("long session (11 KB hot frames since MAX_PENDING_SHOWN is 64)", [(LONG, 34, 150)]))
"""(label, legs of (session, seed, steps)): new plain sessions as needed, then the long session."""

SPEED_SEED, ONE_STEP_SEED = 52, 46
PLAY_SEEDS = (34, 51, 52, 46, 42, 2)
"""Sessions played back to back at speed 0: about 40,000 events together."""

STEP_SLOT_S = 0.07
"""One step (and one of each baseline) per slot: under the websocket's 20 messages/s per connection."""

CHAIN_HOPS, CHAIN_RUNS = 1_000, 3
WATCHERS = 200
MODERATE = {"protocol": "two-phase-commit", "chaos": 0.5,
            "params": {"participants": 16, "max_resends": 20, "max_status_queries": 20,
                       "cooperative_termination": True}}
FANOUT_RUNS = ((MODERATE, 21, 300, 0.050), (LONG, 51, 200, 0.050), (MODERATE, 21, 75, 0.200))
"""(session, seed, steps, seconds between steps): 20 steps/s with hot frames of 7 KB on average (a plain
16-participant session sends 4.5 to 5.6 KB; seed 21 of MODERATE lasts 310 steps), then with the long
session's 11 KB (64 pending entries listed in every frame), then 5 steps/s."""
FAN_OUT_ONLY = "--fan-out-only" in sys.argv
BARE_QUIET_S = 3.0
"""A bare frame that has not arrived after this long without any arrival counts as lost (it was dropped)."""
MERGED_FRAME_BYTES = 2_000
"""What-if for the bare relay: one frame per step holding the events and a slim hot state."""
CONNECT_BATCH = 25
HOT_PREFIX = '{"type": "hot"'
"""Watchers skip decoding hot frames (the bench shares the machine's two cores with what it measures)."""


# ---------------------------------------------------------------- processes


def proc_bytes(pid: int, field: str) -> int:
    """Return a /proc/<pid>/status field in bytes (VmRSS, VmHWM), 0 if the process is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def tree_rss(pid: int) -> int:
    """Return the resident memory of a process plus its children (a worker and its pool)."""
    return proc_bytes(pid, "VmRSS") + sum(proc_bytes(child, "VmRSS") for child in children(pid))


def cpu_s(pid: int) -> float:
    """Return the CPU seconds (user + system) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this script started (its own process group), TERM then KILL."""
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait_s)
            return


class Rig:
    """Everything the benchmark starts: Valkey, the lab's stack, a bare worker and a bare Daphne."""

    def __init__(self, var: Path, cleanup: contextlib.ExitStack) -> None:
        valkey = start_embedded_redis()
        cleanup.callback(valkey.stop)
        self.redis_url = f"redis://127.0.0.1:{valkey.port}/0"
        self.prefix = f"benchlive-{os.getpid()}"
        env = {"PROTOLAB_PREFIX": self.prefix, "PROTOLAB_VAR_DIR": str(var), "PROTOLAB_RUNNER": "celery",
               "DATABASE_URL": f"sqlite:///{var / 'lab.sqlite3'}"}
        self.stack = Stack(redis_url=self.redis_url, port=free_port(), workers=2, env=env, log_dir=var / "log",
                           web_processes=WEB_PROCESSES)
        cleanup.callback(self.stack.stop)
        self.stack.start()
        os.environ.update({"BENCH_REDIS_URL": self.redis_url, "BENCH_PREFIX": f"{self.prefix}-base"})
        base_env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.celery = importlib.import_module("bench._baseline_celery")
        self.base_worker = spawn([str(BIN / "celery"), "-A", "bench._baseline_celery", "worker", "-Q",
                                  self.celery.QUEUE, "-n", "base@%h", "--pool=prefork", "--concurrency=1",
                                  "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                                 base_env, var / "log" / "base-worker.log")
        cleanup.callback(stop_group, self.base_worker)
        self.bare_ports: dict[str, int] = {}
        for kind in ("redis", "pubsub"):
            port = self.bare_ports[kind] = free_port()
            argv = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "bench._baseline_asgi:application"]
            daphne = spawn(argv, base_env | {"BENCH_LAYER": kind}, var / "log" / f"base-daphne-{kind}.log")
            cleanup.callback(stop_group, daphne)
            _wait_for_port(port, daphne)
            if kind == "redis":
                self.base_daphne, self.base_port = daphne, port
        self.celery.noop.apply_async((0,), queue=self.celery.QUEUE).get(timeout=60)  # The bare worker is up.
        self.http = Http(self.stack.port)

    def layer(self, kind: str = "redis") -> Any:
        """Return a channel layer configured as the bare Daphne's of that kind ("redis" is the lab's)."""
        from channels_redis.core import RedisChannelLayer
        from channels_redis.pubsub import RedisPubSubChannelLayer

        config = importlib.import_module("bench._baseline_asgi").layer_config(kind)["CONFIG"]
        return (RedisPubSubChannelLayer if kind == "pubsub" else RedisChannelLayer)(**config)

    def worker_rss(self) -> list[int]:
        return [tree_rss(proc.pid) for proc in self.stack.celery]


WEB_PROCESSES = int(os.environ.get("BENCH_WEB_PROCESSES", "2"))
"""Daphne processes of the lab, as `make run` starts it (memory figures are per process, the largest)."""


def swap_in_one_step_workers(rig: Rig) -> None:
    """Replace the lab's workers by ones that run one step per task (started and stopped by this script)."""
    stack = rig.stack
    for index, old in enumerate(list(stack.celery)):
        argv = [str(BIN / "celery"), "-A", "dashboard.celery", "worker", "-Q",
                f"{rig.prefix}.node{index}", "-n", f"one{index}@%h", "--pool=prefork", "--concurrency=1",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        env = stack.child_env() | {"PROTOLAB_WORKER_NAME": f"w{index}", "PROTOLAB_MAX_BATCH": "1"}
        stack.celery[index] = spawn(argv, env, stack.log_dir / f"worker{index}-onestep.log")  # Supervised now.
        stop_group(old)
    wait_for_workers(rig.redis_url, rig.prefix, stack.workers)


class Http:
    """The lab's JSON API."""

    def __init__(self, port: int) -> None:
        self.base = self.origin = f"http://127.0.0.1:{port}"

    def create(self, seed: int, **session: Any) -> dict[str, Any]:
        body = json.dumps({**(session or LONG), "seed": seed}).encode()
        request = urllib.request.Request(self.base + "/api/sessions", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
        data["ws"] = data["ws"].replace("localhost", "127.0.0.1")
        return data


# ------------------------------------------------------------------ clients


class Client:
    """A lean session client following docs/websocket-protocol.md, O(1) work per event.

    It keeps each event's first arrival (wall clock) and step, the highest
    contiguous seq, and asks for a resync on a gap (at most one outstanding).
    """

    def __init__(self, url: str, origin: str, token: str | None = None, parse_hot: bool = True) -> None:
        self.url, self.origin, self.token, self.parse_hot = url, origin, token, parse_hot
        self.arrived: dict[int, float] = {}
        self.step_of: dict[int, int] = {}
        self.contig = 0
        self.role: str | None = None
        self.welcome_seq = -1
        self.hot: dict[str, Any] = {}
        self.hot_frames = 0
        self.event_frame_at: list[float] = []
        self.progress_at = 0.0
        self.frame_bytes = {"events": 0, "hot": 0}
        self.frame_count = {"events": 0, "hot": 0}
        self.resyncs = 0
        self._resync_until = 0.0
        self.errors: list[dict[str, Any]] = []
        self.closed = False
        self.changed = asyncio.Event()
        self._tasks: set[asyncio.Future[None]] = set()

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.url, origin=self.origin, max_size=2**22)
        hello: dict[str, Any] = {"type": "hello", "last_seq": 0}
        if self.token:
            hello["token"] = self.token
        await self.ws.send(json.dumps(hello))
        self._reader = asyncio.create_task(self._read())

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                self._on_frame(str(raw), time.time(), time.perf_counter())
        self.closed = True
        self.changed.set()

    def _on_frame(self, raw: str, wall: float, mono: float) -> None:
        if raw.startswith(HOT_PREFIX):
            self.hot_frames += 1
            self.frame_count["hot"] += 1
            self.frame_bytes["hot"] += len(raw)
            if self.parse_hot:
                self.hot = json.loads(raw)["hot"]
                if self.hot["seq"] > self.contig:
                    self._resync(mono)
            self.changed.set()
            return
        message = json.loads(raw)
        kind = message["type"]
        if kind == "events":
            self._on_events(message, len(raw), wall, mono)
        elif kind == "welcome":
            self.role, self.welcome_seq = message["role"], message["seq"]
        elif kind == "pong" and message["seq"] > self.contig:
            self._resync(mono)
        elif kind == "error":
            self.errors.append(message)
        self.changed.set()

    def _on_events(self, message: dict[str, Any], size: int, wall: float, mono: float) -> None:
        self.event_frame_at.append(mono)
        self.frame_count["events"] += 1
        self.frame_bytes["events"] += size
        for event in message["events"]:
            if event["seq"] not in self.arrived:
                self.arrived[event["seq"]] = wall
                self.step_of[event["seq"]] = event["step"]
        before = self.contig
        while self.contig + 1 in self.arrived:
            self.contig += 1
        if self.contig > before:
            self.progress_at, self._resync_until = mono, 0.0
        if message["from_seq"] > self.contig + 1:
            self._resync(mono)

    def _resync(self, now: float) -> None:
        if now < self._resync_until:
            return  # One outstanding request at a time: it answers with everything missing.
        self._resync_until = now + 0.5
        self.resyncs += 1
        task = asyncio.ensure_future(self.send({"type": "resync", "from_seq": self.contig}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self, predicate: Callable[[Client], bool], timeout: float = 60.0, ping_s: float = 1.0) -> None:
        """Wait until ``predicate(self)`` holds, pinging when nothing arrives (so a lost tail is noticed)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if self.closed or remaining <= 0:
                raise TimeoutError(f"closed={self.closed}, contig={self.contig}, hot seq={self.hot.get('seq')}, "
                                   f"errors={self.errors[-3:]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(ping_s, remaining))
            except TimeoutError:
                await self.send({"type": "ping"})

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


async def controller(rig: Rig, seed: int, **session: Any) -> Client:
    """Create a session and connect its controller; return once the boot events are in."""
    created = rig.http.create(seed, **session)
    client = Client(created["ws"], rig.http.origin, token=created["control_token"])
    await client.connect()
    await client.wait(lambda c: c.role == "controller" and c.contig >= c.welcome_seq)
    return client


class BareClient:
    """A websocket on the bare consumer: keeps each message's number and arrival time."""

    NUMBER = re.compile(r'"n": (\d+)')

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.changed = asyncio.Event()

    async def connect(self, port: int) -> None:
        self.ws = await websockets.connect(f"ws://127.0.0.1:{port}/", max_size=2**22)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                found = self.NUMBER.search(str(raw)[:80])
                if found:
                    self.arrived[int(found.group(1))] = time.time()
                    self.changed.set()

    async def wait_for_number(self, n: int, timeout: float = 10.0) -> None:
        while n not in self.arrived:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), timeout)

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


async def sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


def pct(values: list[float], q: float) -> float:
    """Return the nearest-rank percentile ``q`` (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


# ------------------------------------------------------------ measurements


async def step_latency(rig: Rig, legs: list[tuple[dict[str, Any], int, int]]) -> dict[str, list[float]]:
    """(a): per slot, one lab step, one Celery round trip and one group_send to a bare socket."""
    layer, bare = rig.layer(), BareClient()
    await bare.connect(rig.base_port)
    await asyncio.sleep(0.2)  # Let the bare consumer join its group.
    noop, queue = rig.celery.noop, rig.celery.QUEUE
    out: dict[str, list[float]] = {"lab": [], "celery": [], "relay": []}
    for session, seed, steps in legs:
        ctl = await controller(rig, seed, **session)
        for _ in range(steps):
            slot_end = time.perf_counter() + STEP_SLOT_S
            frames, hots = len(ctl.event_frame_at), ctl.hot_frames
            start = time.perf_counter()
            await ctl.send({"type": "step"})
            await ctl.wait(lambda c, n=frames: len(c.event_frame_at) > n, timeout=30)
            out["lab"].append(ctl.event_frame_at[frames] - start)
            await ctl.wait(lambda c, n=hots: c.hot_frames > n, timeout=30)  # The step is over.
            n = len(out["celery"])
            start = time.perf_counter()
            noop.apply_async((n,), queue=queue).get(timeout=10)
            out["celery"].append(time.perf_counter() - start)
            start = time.perf_counter()
            await layer.group_send("bench", {"type": "bench.msg", "n": n})
            await bare.wait_for_number(n)
            out["relay"].append(time.perf_counter() - start)
            await sleep_until(slot_end)
        if ctl.errors:
            say(f"    controller errors: {ctl.errors[:3]}")
        await ctl.close()
    await bare.close()
    return out


def chain_rate(rig: Rig) -> list[float]:
    """Baseline for (b2): hops/s of CHAIN_HOPS bare tasks, each enqueuing the next."""
    r = redis.Redis.from_url(rig.redis_url, socket_timeout=130)  # redis-py 8 reads 5 s by default; BLPOP waits 120
    rates = []
    for run in range(CHAIN_RUNS):
        key = f"{rig.prefix}:chain:{run}"
        start = time.perf_counter()
        rig.celery.hop.apply_async((CHAIN_HOPS - 1, key), queue=rig.celery.QUEUE)
        if r.blpop([key], timeout=120) is None:
            raise TimeoutError("the bare Celery chain did not finish")
        rates.append(CHAIN_HOPS / (time.perf_counter() - start))
    return rates


async def play(rig: Rig, seed: int, speed: float) -> dict[str, float]:
    """Play one long session to its end at ``speed``; return events, steps, seconds and virtual ms."""
    ctl = await controller(rig, seed)
    boot = ctl.contig
    await ctl.send({"type": "speed", "value": speed})
    start = time.perf_counter()
    await ctl.send({"type": "play"})
    await ctl.wait(lambda c: bool(c.hot.get("done")) and c.contig >= c.hot["seq"], timeout=600)
    result = {"events": ctl.contig - boot, "steps": ctl.hot["step"], "seconds": ctl.progress_at - start,
              "virtual_ms": ctl.hot["now"], "resyncs": ctl.resyncs}
    await ctl.close()
    return result


def headless(seed: int) -> tuple[int, int, float]:
    """Baseline for (b1): run the same session with the bare engine; return events, steps, seconds."""
    from protocols import get_protocol
    from protocols.sim.engine import Engine

    start = time.perf_counter()
    engine = Engine(get_protocol(LONG["protocol"]), LONG["params"], seed=seed, chaos=LONG["chaos"],
                    max_events=200_000, record=False)
    boot = len(engine.drain())
    events = 0
    while not engine.done:
        events += len(engine.apply({"cmd": "step"}))
    assert engine.seq == boot + events
    return events, engine.step_no, time.perf_counter() - start


async def fan_out(rig: Rig, session: dict[str, Any], seed: int, steps: int, period: float) -> dict[str, Any]:
    """(c): a controller steps every ``period`` s; WATCHERS watchers must each end with the whole log."""
    ctl = await controller(rig, seed, **session)
    url = ctl.url
    watchers = [Client(url, rig.http.origin, parse_hot=False) for _ in range(WATCHERS)]
    for start in range(0, WATCHERS, CONNECT_BATCH):
        await asyncio.gather(*(w.connect() for w in watchers[start:start + CONNECT_BATCH]))
    await asyncio.gather(*(w.wait(lambda c: c.contig >= ctl.contig) for w in watchers))
    daphnes = [p.pid for p in rig.stack.daphnes if p is not None]
    rss_connected = max(proc_bytes(pid, "VmRSS") for pid in daphnes)
    cpu_before = {"daphne": sum(cpu_s(pid) for pid in daphnes),
                  "workers": sum(cpu_s(p.pid) + sum(cpu_s(c) for c in children(p.pid)) for p in rig.stack.celery)}
    bench_cpu, t0 = time.process_time(), time.perf_counter()
    sent: dict[int, float] = {}
    for k in range(1, steps + 1):
        await sleep_until(t0 + (k - 1) * period)
        sent[k] = time.time()
        await ctl.send({"type": "step"})
    await ctl.wait(lambda c: c.hot.get("step", 0) >= steps and c.contig >= c.hot["seq"], timeout=300)
    final = ctl.hot["seq"]
    await asyncio.gather(*(w.wait(lambda c: c.contig >= final, timeout=300) for w in watchers))
    elapsed = time.perf_counter() - t0
    busy = {"daphne": (sum(cpu_s(pid) for pid in daphnes) - cpu_before["daphne"]) / elapsed,
            "workers": (sum(cpu_s(p.pid) + sum(cpu_s(c) for c in children(p.pid)) for p in rig.stack.celery)
                        - cpu_before["workers"]) / elapsed,
            "bench": (time.process_time() - bench_cpu) / elapsed}
    delays = [at - sent[w.step_of[seq]] for w in watchers for seq, at in w.arrived.items()
              if w.step_of[seq] in sent]
    result = {"delays": delays, "complete": sum(w.contig >= final for w in watchers), "final_seq": final,
              "steps": ctl.hot["step"], "resyncs": sum(w.resyncs for w in watchers), "busy": busy,
              "ctl_errors": ctl.errors[:3], "rss_connected": rss_connected,
              "gap_fills": sum(w.frame_count["events"] for w in watchers) - WATCHERS * (steps + 1),
              "rss_after": max(proc_bytes(pid, "VmRSS") for pid in daphnes),
              "hwm": max(proc_bytes(pid, "VmHWM") for pid in daphnes),
              "sizes": {k: ctl.frame_bytes[k] // max(1, ctl.frame_count[k]) for k in ctl.frame_bytes},
              "frames": dict(ctl.frame_count)}
    for w in watchers:
        await w.close()
    await ctl.close()
    return result


async def bare_fan_out(rig: Rig, per_step: list[int], steps: int, period: float, kind: str = "redis",
                       ) -> dict[str, Any]:
    """Baseline for (c): frames of these sizes every step, group_send from here through a bare consumer."""
    clients = [BareClient() for _ in range(WATCHERS)]
    for start in range(0, WATCHERS, CONNECT_BATCH):
        await asyncio.gather(*(c.connect(rig.bare_ports[kind]) for c in clients[start:start + CONNECT_BATCH]))
    await asyncio.sleep(0.5)  # Let every consumer join the group.
    layer, sent, t0 = rig.layer(kind), {}, time.perf_counter()
    n = 0
    for k in range(steps):
        await sleep_until(t0 + k * period)
        for size in per_step:
            sent[n] = time.time()
            await layer.group_send("bench", {"type": "bench.msg", "n": n, "pad": "x" * max(0, size - 40)})
            n += 1
    received, quiet_since = -1, time.perf_counter()
    while time.perf_counter() - quiet_since < BARE_QUIET_S and received < n * WATCHERS:
        await asyncio.sleep(0.1)
        now_received = sum(len(c.arrived) for c in clients)
        if now_received > received:
            received, quiet_since = now_received, time.perf_counter()
    delays = [at - sent[i] for c in clients for i, at in c.arrived.items()]
    rss = proc_bytes(rig.base_daphne.pid, "VmRSS")
    for c in clients:
        await c.close()
    return {"delays": delays, "lost": n * WATCHERS - len(delays), "sent": n * WATCHERS, "rss_after": rss}


# ------------------------------------------------------------------- report

Row = tuple[str, str, str, str, str, str]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(size: float) -> str:
    return f"{size / MIB:.1f} MiB"


def say(text: str) -> None:
    print(text, flush=True)


async def warm_up(rig: Rig) -> None:
    """Play one small session and touch the baselines once, so that first-use costs stay out of the figures."""
    ctl = await controller(rig, 1, protocol="two-phase-commit", params={"participants": 3}, chaos=0.0)
    await ctl.send({"type": "speed", "value": 0})
    await ctl.send({"type": "play"})
    await ctl.wait(lambda c: bool(c.hot.get("done")) and c.contig >= c.hot["seq"])
    await ctl.close()
    for i in range(20):
        rig.celery.noop.apply_async((i,), queue=rig.celery.QUEUE).get(timeout=10)


async def measure_latency(rig: Rig, rows: list[Row]) -> int:
    """(a), for each of LATENCY_RUNS; return how many bare Celery tasks ran."""
    tasks = 0
    for label, legs in LATENCY_RUNS:
        samples = sum(steps for _, _, steps in legs)
        say(f"(a) step latency, {label}: {samples} steps, one every {STEP_SLOT_S * 1000:.0f} ms, baselines "
            "interleaved")
        got = await step_latency(rig, legs)
        tasks += samples
        base = [c + r for c, r in zip(got["celery"], got["relay"], strict=True)]
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            lab, floor = pct(got["lab"], q), pct(base, q)
            say(f"    {name}: lab {ms(lab)}; baseline {ms(floor)} (Celery round trip {ms(pct(got['celery'], q))} "
                f"+ group_send to a socket {ms(pct(got['relay'], q))}); ratio {lab / floor:.2f}")
            target = f"≤ {STEP_P50_TARGET_RATIO}x baseline" if name == "p50" else "—"
            ok = "" if name == "p99" else ("PASS" if lab <= STEP_P50_TARGET_RATIO * floor else "MISS")
            rows.append((f"(a) step latency {name}, {label}", ms(lab), ms(floor), f"{lab / floor:.2f}", target, ok))
    return tasks


async def measure_play(rig: Rig, rows: list[Row], growth: dict[str, Any]) -> None:
    say(f"(b1) auto-play at speed 0, sessions {PLAY_SEEDS} back to back")
    bare = [headless(seed) for seed in PLAY_SEEDS]
    bare_rate = sum(b[0] for b in bare) / sum(b[2] for b in bare)
    before = rig.worker_rss()
    growth["before"], growth["points"] = before, []
    events = seconds = 0.0
    for seed, (bare_events, _, _) in zip(PLAY_SEEDS, bare, strict=True):
        got = await play(rig, seed, 0.0)
        events, seconds = events + got["events"], seconds + got["seconds"]
        growth["points"].append((events, rig.worker_rss()))
        say(f"    seed {seed}: {got['events']:.0f} events ({bare_events} headless), {got['steps']:.0f} steps "
            f"in {got['seconds']:.2f} s = {got['events'] / got['seconds']:,.0f} events/s; resyncs {got['resyncs']}")
    rate = events / seconds
    say(f"    total {events:,.0f} events in {seconds:.2f} s = {rate:,.0f} events/s; bare engine {bare_rate:,.0f}/s")
    rows.append(("(b1) events/s at speed 0", f"{rate:,.0f}", f"{bare_rate:,.0f} (bare engine)",
                 f"{rate / bare_rate:.3f}", f"≥ {PLAY_TARGET_EVENTS_PER_S:,}",
                 "PASS" if rate >= PLAY_TARGET_EVENTS_PER_S else "MISS"))


async def measure_one_step(rig: Rig, rows: list[Row], chain: float, label: str, seed: int, speed: float) -> None:
    got = await play(rig, seed, speed)
    rate = got["steps"] / got["seconds"]
    say(f"    {label}: {got['steps']:.0f} steps ({got['events']:.0f} events) in {got['seconds']:.2f} s = "
        f"{rate:,.0f} steps/s; chain {chain:,.0f} hops/s; ratio {rate / chain:.2f}; paced waits total "
        f"{got['virtual_ms'] / speed / 1000 if speed else 0:.3f} s")
    rows.append((f"(b2) steps/s, one step per task, {label}", f"{rate:,.0f}", f"{chain:,.0f} hops/s (bare chain)",
                 f"{rate / chain:.2f}", f"≥ {ONE_STEP_TARGET_RATIO}x baseline",
                 "PASS" if rate >= ONE_STEP_TARGET_RATIO * chain else "MISS"))
    # The same run counted in events, as the brief words figure (b): a step is one task but several events
    # (a delivery, the state it changes, what it sends), so this ratio flatters; the one above is judged.
    events = got["events"] / got["seconds"]
    rows.append((f"(b2) events/s, one step per task, {label}", f"{events:,.0f} ({got['events'] / got['steps']:.1f} "
                 "events a step)", f"{chain:,.0f} hops/s (bare chain)", f"{events / chain:.2f}", "—", ""))


async def measure_fan_out(rig: Rig, rows: list[Row], memory: dict[str, Any]) -> None:
    """(c), for each of FANOUT_RUNS, beside the bare relay carrying the same frames at the same rate."""
    for index, (session, seed, steps, period) in enumerate(FANOUT_RUNS):
        say(f"(c) fan-out: {WATCHERS} watchers, {1 / period:.0f} steps/s, {steps} steps")
        got = await fan_out(rig, session, seed, steps, period)
        frames_per_step = got["frames"]["events"] / max(1, got["steps"]) + 1
        frames = [got["sizes"]["events"]] * max(1, round(frames_per_step - 1)) + [got["sizes"]["hot"]]
        bare = await bare_fan_out(rig, frames, steps, period)
        p50, p99 = pct(got["delays"], 0.5), pct(got["delays"], 0.99)
        b50, b99 = pct(bare["delays"], 0.5), pct(bare["delays"], 0.99)
        busy = ", ".join(f"{k} {v:.0%}" for k, v in got["busy"].items())
        say(f"    lab: {got['complete']}/{WATCHERS} complete logs (seq {got['final_seq']}, {got['steps']} steps), "
            f"{got['resyncs']} resyncs, {got['gap_fills']} extra frames, delay p50 {ms(p50)} p99 {ms(p99)} "
            f"max {ms(max(got['delays']))}; CPU {busy}")
        say(f"    frames per step {frames_per_step:.2f}, mean bytes {got['sizes']}; controller errors "
            f"{got['ctl_errors']}; Daphne VmRSS {mib(got['rss_connected'])} connected, {mib(got['rss_after'])} "
            f"after, peak {mib(got['hwm'])}")
        say(f"    bare relay, same frames: delay p50 {ms(b50)} p99 {ms(b99)}; lost {bare['lost']} of {bare['sent']}; "
            f"bare Daphne VmRSS {mib(bare['rss_after'])}")
        label = f"{1 / period:.0f} steps/s, {got['sizes']['hot'] / 1024:.0f} KB hot"
        rows.append((f"(c) delivery p99, {label}", ms(p99), ms(b99) + " (bare relay)",
                     f"{p99 / b99:.2f}", "< 200 ms", "PASS" if p99 < FANOUT_P99_TARGET_S else "MISS"))
        rows.append((f"(c) delivery p50, {label}", ms(p50), ms(b50) + " (bare relay)", f"{p50 / b50:.2f}", "—", ""))
        complete = got["complete"] == WATCHERS and got["steps"] == steps
        rows.append((f"(c) whole log at all {WATCHERS} watchers, {label}",
                     f"{got['complete']}/{WATCHERS} ({got['resyncs']} resyncs)",
                     f"{bare['lost']} of {bare['sent']} frames lost (bare, no repair)", "—", "all",
                     "PASS" if complete else "MISS"))
        if index == 0:
            memory["lab_200"], memory["bare_200"] = max(got["rss_connected"], got["rss_after"]), bare["rss_after"]
            if not FAN_OUT_ONLY:
                await what_ifs(rig, rows, frames, steps, period)


async def what_ifs(rig: Rig, rows: list[Row], frames: list[int], steps: int, period: float) -> None:
    """(c), bare relay only: one small frame per step instead of the lab's frames, and the PubSub layer."""
    for kind, per_step in (("redis", [MERGED_FRAME_BYTES]), ("pubsub", frames), ("pubsub", [MERGED_FRAME_BYTES])):
        got = await bare_fan_out(rig, per_step, steps, period, kind)
        p50, p99 = pct(got["delays"], 0.5), pct(got["delays"], 0.99)
        shape = (f"{1 / period:.0f} steps/s, {len(per_step)} frame{'s' * (len(per_step) > 1)} per step "
                 f"({', '.join(map(str, per_step))} B)")
        say(f"    what-if, bare relay, {kind} layer, {shape}: delay p50 {ms(p50)} p99 {ms(p99)}; "
            f"lost {got['lost']} of {got['sent']}")
        rows.append((f"(c) what-if: bare relay, {kind} layer, {shape}", f"p99 {ms(p99)} (p50 {ms(p50)})", "", "—",
                     "< 200 ms", "PASS" if p99 < FANOUT_P99_TARGET_S else "MISS"))


def memory_rows(rows: list[Row], memory: dict[str, Any], growth: dict[str, Any]) -> None:
    """(d): Daphne idle and with the watchers, worker growth over the speed-0 sessions."""
    for label, lab, bare in (("idle", memory["lab_idle"], memory["bare_idle"]),
                             (f"{WATCHERS} watchers", memory["lab_200"], memory["bare_200"])):
        rows.append((f"(d) Daphne VmRSS, {label}", mib(lab), mib(bare) + " (bare Daphne)", f"{lab / bare:.2f}",
                     "< 150 MiB", "PASS" if lab < DAPHNE_TARGET_BYTES else "MISS"))
    events, after = next(((e, rss) for e, rss in growth["points"] if e >= 10_000), growth["points"][-1])
    grown = max(a - b for a, b in zip(after, growth["before"], strict=True))
    last_events, last = growth["points"][-1]
    grown_all = max(a - b for a, b in zip(last, growth["before"], strict=True))
    say(f"(d) worker RSS before play {[mib(x) for x in growth['before']]}, after {events:,.0f} events "
        f"{[mib(x) for x in after]}, after {last_events:,.0f} events {[mib(x) for x in last]}; "
        f"bare worker {mib(memory['bare_worker'][0])} -> {mib(memory['bare_worker'][1])}")
    bare_growth = memory["bare_worker"][1] - memory["bare_worker"][0]
    rows.append((f"(d) worker growth over {events:,.0f} events", mib(grown),
                 f"{mib(bare_growth)} (bare worker, {memory['bare_tasks']:,} tasks)", "—",
                 "< 20 MiB", "PASS" if grown < WORKER_GROWTH_TARGET_BYTES else "MISS"))
    rows.append((f"(d) worker growth over {last_events:,.0f} events", mib(grown_all), "", "—", "—", ""))


async def measure(rig: Rig) -> list[Row]:
    rows: list[Row] = []
    memory: dict[str, Any] = {}
    growth: dict[str, Any] = {}
    await warm_up(rig)
    memory["lab_idle"] = max(proc_bytes(p.pid, "VmRSS") for p in rig.stack.daphnes if p is not None)
    memory["bare_idle"] = proc_bytes(rig.base_daphne.pid, "VmRSS")
    if FAN_OUT_ONLY:
        await measure_fan_out(rig, rows, memory)
        return rows
    bare_worker_before = tree_rss(rig.base_worker.pid)
    memory["bare_tasks"] = await measure_latency(rig, rows) + CHAIN_HOPS * CHAIN_RUNS + 21
    chains = chain_rate(rig)
    chain = sorted(chains)[len(chains) // 2]
    memory["bare_worker"] = (bare_worker_before, tree_rss(rig.base_worker.pid))
    say(f"    bare chain of {CHAIN_HOPS} hops: {', '.join(f'{c:,.0f}' for c in chains)} hops/s (median {chain:,.0f})")
    await measure_play(rig, rows, growth)
    say("(b2) one step per Celery task")
    await measure_one_step(rig, rows, chain, "speed 1000", SPEED_SEED, 1000.0)
    await measure_fan_out(rig, rows, memory)
    swap_in_one_step_workers(rig)
    await measure_one_step(rig, rows, chain, "speed 0, batch forced to 1", ONE_STEP_SEED, 0.0)
    memory_rows(rows, memory, growth)
    return rows


def print_table(rows: list[Row]) -> None:
    head = ("Figure", "Measured", "Baseline (same run)", "Ratio", "Target", "")
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in sorted(rows, key=lambda row: row[0].split()[0]):  # By figure, in measuring order within one.
        print("| " + " | ".join(row) + " |")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp, contextlib.ExitStack() as cleanup:
        var = Path(tmp)
        (var / "log").mkdir()
        say("load average {:.2f} {:.2f} {:.2f}; ".format(*os.getloadavg()) +
            f"starting Valkey, the lab (2 workers + {WEB_PROCESSES} Daphnes) and the bare baselines; "
            f"logs in {var / 'log'}")
        try:
            rig = Rig(var, cleanup)
            rows = asyncio.run(measure(rig))
        except BaseException:
            for log in sorted((var / "log").glob("*.log")):
                say(f"--- {log.name} (tail)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            raise
    print_table(rows)
    say("\nload average at the end {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    # A TERM (a killed run, a CI timeout) unwinds like Ctrl-C, so the cleanup stops every process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
