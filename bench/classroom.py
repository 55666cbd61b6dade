"""A class, live (issue 12): 200 followers, a teacher scrubbing and playing, 30 sandboxes, one machine.

Run it as ``.venv/bin/python bench/classroom.py`` (about four minutes). It
starts everything it measures on an embedded Valkey of its own (never the
machine's Redis; every key under its own prefix) and stops all of it at the
end, even on error: the lab as ``make run`` starts it
(``dashboard.stack.Stack``: two Celery workers, two Daphnes, SQLite in a
temporary directory, forks unthrottled), a probe process subscribed to the
class session's pub/sub channel (it timestamps each publication), and the raw
baselines: two bare hubs (this file run with ``--bare-hub``: a websockets
server with nothing of Django or Channels that relays a Redis channel to its
sockets and publishes what a socket sends, the lab's fan-out at its barest)
and two bare Celery workers (bench/_baseline_celery.py's app plus a paced hop
registered here: each hop records its time and enqueues the next with a
countdown, as a paced auto step does).

The load, for LOAD_S seconds after SETTLE_S of warm-up, all at once:

- one class session (a g-counter whose steps are spread evenly in virtual
  time, so that a speed is a pace) played at the speed that makes 20 steps/s;
- its teacher sends a view every 100 ms (scrubbing back, switching tabs,
  selecting and spotlighting a node; ``spotlight.n`` numbers the change, and
  the local time of each send is kept: every client runs in this process);
- 200 followers (hello with name, client id, following) keep the whole log;
- 30 students fork the class as sandboxes at seqs spread over what it has
  played and auto-play each at the speed that makes 5 steps/s.

Figures, each beside a baseline measured in the same run:

(a) follower view-change latency, teacher's send to each follower's receipt of
    that view or a newer one (the lab coalesces views: one superseded before it
    was sent is shown when the newer one arrives), p50/p99; also with the views
    alone (no play, no sandbox) before the load.
    Baseline: a bare teacher socket sending views to the bare hubs, 10/s, with
    the step frames of (b).
(b) follower event latency, the step's publication (the probe's receipt) to
    each follower's receipt, p50/p99. Baseline: the bare hubs carrying the
    lab's events and hot frames (mean sizes) to 200 sockets, at the rate the
    class achieved and at the nominal 20 steps/s.
(c) every follower ends with the whole log and the teacher's final view.
    Baseline: what the bare hubs (no repair) lost.
(d) each sandbox's pace: virtual time advanced / speed / wall time (1.0 is the
    schedule exactly), and its steps/s. Baselines: 30 bare Celery chains at
    5 hops/s and one at 20 on two bare workers, run at the same time as the
    bare hubs at 20 steps/s: the class's and half the others paced as the lab
    paces (countdown from the end of the hop before: the baseline), the other
    half on an absolute schedule (the fix proposed: a what-if); one chain of
    each kind alone at each rate; and one sandbox (then the class) alone on
    the otherwise idle lab.
(e) Daphne resident memory, both processes together, the peak of per-second
    samples under load. Baseline: the two bare hubs after their 200 sockets.

Targets print PASS or MISS; the script never fails on them. Absolute times
on a shared 2-core machine vary by ±50% from run to run, and more when others
load it: the script prints the load average and each process's CPU share.
docs/performance.md explains the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # Run as a script from anywhere: the project is the import root.

import redis  # noqa: E402

from bench.live import (  # noqa: E402
    HOT_PREFIX,
    BareClient,
    Client,
    Http,
    children,
    cpu_s,
    mib,
    ms,
    pct,
    proc_bytes,
    say,
    sleep_until,
    spawn,
    stop_group,
)
from dashboard.stack import BIN, Stack, free_port, start_embedded_redis  # noqa: E402

MIB = 1 << 20
FOLLOWERS = 200
SANDBOXES = int(os.environ.get("BENCH_SANDBOXES", "30"))
"""Issue 12's class has 30; BENCH_SANDBOXES=0 shows what the class alone costs (docs/performance.md)."""
CLASS_STEPS_PER_S = 20.0
SANDBOX_STEPS_PER_S = 5.0
VIEWS_PER_S = 10.0
SETTLE_S = 5.0
"""Everything runs this long before the measured window opens (forks replayed, engines warm)."""
LOAD_S = 40.0
"""The measured window: every figure but memory and the end state is taken from it."""
BASE_S = 20.0
"""How long the raw baselines run (together: the bare hubs and the bare paced chains)."""
ALONE_S = 10.0
"""One sandbox, then the class, alone on the otherwise idle lab before the class (their pace without load)."""
DRAIN_TIMEOUT_S = 90.0
VIEWS_ALONE_S = 10.0
"""The teacher's views with the followers and nothing else, before play: the view path unloaded."""
MAIN_VIEWS_FROM = 10_000
"""The load's views are numbered from here (spotlight.n), after those of the views-alone phase."""

LATENCY_P99_TARGET_S = 0.250
PACE_TARGET = 0.95
DAPHNE_TOTAL_TARGET_BYTES = 250 * MIB

CLASS = {"protocol": "g-counter", "chaos": 0.0,
         "params": {"replicas": 5, "clients": 3, "duration_ms": 120_000}}
"""Five replicas gossiping and three clients incrementing for two virtual minutes (about 12,000 steps, within
the session's event budget: ten minutes asked for about 135,000 events and is refused): it never ends in the bench,
and its steps are spread evenly in virtual time (3-5% fall at the same instant, 10 virtual ms apart on
average), so that a speed is a pace in steps per second. A forked sandbox continues the same run."""
CLASS_SEED = 1
NODES = ("r1", "r2", "r3", "r4", "r5", "c1", "c2", "c3")
TABS = ("nodes", "states", "invariants", "pending")
CONNECT_BATCH = 25
FORK_PARALLEL = 4
EVENTS_HEAD = re.compile(r'\{"type": "events", "generation": \d+, "from_seq": (\d+), "seq": (\d+)')
PACED_TASK = "bench.paced_hop"


# ---------------------------------------------------------------- the probe and the paced baseline


def run_probe(redis_url: str, channel: str, out_path: str) -> None:
    """Write one line per publication on ``channel``: its receipt time, kind and numbers (a child process)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    pubsub = redis.Redis.from_url(redis_url).pubsub()
    pubsub.subscribe(channel)
    with open(out_path, "w") as out:
        for item in pubsub.listen():
            at = time.time()
            if item["type"] == "subscribe":
                out.write("ready\n")
                out.flush()
                continue
            message = json.loads(item["data"])
            if message["type"] == "lab.events" and "first" in message:
                out.write(f"{at:.6f} events {message['first']} {message['last']}\n")
            elif message["type"] == "lab.view":
                view = message["view"]
                out.write(f"{at:.6f} view {view['v']} {(view.get('spotlight') or {}).get('n', -1)}\n")
            out.flush()  # The bench reads the file while the class runs (about 30 lines a second).


def run_bare_hub(redis_url: str, channel: str, port: str) -> None:
    """Serve websockets on ``port``: relay every message published on ``channel`` to every socket, and publish
    every text a socket sends (a child process). The lab's fan-out with nothing of Django or Channels in it."""
    import redis.asyncio as aioredis
    import websockets

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    async def serve() -> None:
        sockets: set[Any] = set()
        publisher = aioredis.Redis.from_url(redis_url)

        async def handler(ws: Any) -> None:
            sockets.add(ws)
            try:
                async for text in ws:  # The teacher's view: published, as the lab's store_view does.
                    await publisher.publish(channel, text)
            finally:
                sockets.discard(ws)

        async with websockets.serve(handler, "127.0.0.1", int(port), max_size=2**22):
            pubsub = aioredis.Redis.from_url(redis_url).pubsub()
            await pubsub.subscribe(channel)
            async for item in pubsub.listen():
                if item["type"] == "message":
                    websockets.broadcast(sockets, item["data"].decode())

    asyncio.run(serve())


def __getattr__(name: str) -> Any:
    """``celery -A bench.classroom:paced_app``: the bare app with a paced hop (BENCH_REDIS_URL is read here)."""
    if name != "paced_app":
        raise AttributeError(name)
    base = importlib.import_module("bench._baseline_celery")
    client = redis.Redis.from_url(base.REDIS_URL)

    @base.app.task(name=PACED_TASK, ignore_result=True)
    def paced_hop(remaining: int, period: float, key: str, anchor: float = 0.0, done: int = 0) -> None:
        """Record when this hop ran, then enqueue the next: after ``period`` (as a paced auto step does), or,
        given an ``anchor``, at ``anchor + (done + 1) * period`` (the absolute schedule docs/performance.md
        proposes)."""
        client.rpush(key, repr(time.time()))
        if remaining > 0:
            countdown = max(0.0, anchor + (done + 1) * period - time.time()) if anchor else period
            paced_hop.apply_async((remaining - 1, period, key, anchor, done + 1), countdown=countdown,
                                  queue=base.QUEUE)

    globals()["paced_app"] = base.app
    return base.app


# ---------------------------------------------------------------- processes


class Rig:
    """Everything the benchmark starts: Valkey, the lab, the probe, two bare hubs and two bare workers."""

    def __init__(self, var: Path, cleanup: contextlib.ExitStack) -> None:
        self.var, self.cleanup = var, cleanup
        valkey = start_embedded_redis()
        cleanup.callback(valkey.stop)
        self.valkey_pid = getattr(getattr(valkey, "_process", None), "pid", None)
        self.redis_url = f"redis://127.0.0.1:{valkey.port}/0"
        self.prefix = f"benchclass-{os.getpid()}"
        env = {"PROTOLAB_PREFIX": self.prefix, "PROTOLAB_VAR_DIR": str(var), "PROTOLAB_RUNNER": "celery",
               "DATABASE_URL": f"sqlite:///{var / 'lab.sqlite3'}", "PROTOLAB_FORKS_PER_MINUTE": "100000"}
        self.stack = Stack(redis_url=self.redis_url, port=free_port(), workers=2, env=env, log_dir=var / "log",
                           web_processes=2)
        cleanup.callback(self.stack.stop)
        self.stack.start()
        os.environ.update({"BENCH_REDIS_URL": self.redis_url, "BENCH_PREFIX": f"{self.prefix}-base"})
        base_env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.celery = importlib.import_module("bench._baseline_celery")
        self.base_workers = []
        for index in range(2):
            worker = spawn([str(BIN / "celery"), "-A", "bench.classroom:paced_app", "worker", "-Q",
                            self.celery.QUEUE, "-n", f"base{index}@%h", "--pool=prefork", "--concurrency=1",
                            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                           base_env, var / "log" / f"base-worker{index}.log")
            cleanup.callback(stop_group, worker)
            self.base_workers.append(worker)
        self.bare_channel = f"{self.prefix}-base:hub"
        self.bare_ports, self.bare_hubs = [], []
        for index in range(2):
            port = free_port()
            hub = spawn([sys.executable, str(Path(__file__).resolve()), "--bare-hub", self.redis_url,
                         self.bare_channel, str(port)], base_env, var / "log" / f"bare-hub{index}.log")
            cleanup.callback(stop_group, hub)
            wait_for_listener(port, hub)
            self.bare_ports.append(port)
            self.bare_hubs.append(hub)
        self.celery.noop.apply_async((0,), queue=self.celery.QUEUE).get(timeout=60)  # The bare workers are up.
        self.http = Http(self.stack.port)

    def start_probe(self, session_id: str) -> tuple[subprocess.Popen[bytes], Path]:
        """Start the probe on a session's channel (dashboard/hub.py); return it once it is subscribed."""
        out = self.var / f"probe-{session_id}.txt"
        channel = f"{self.prefix}:session:{session_id}"
        probe = spawn([sys.executable, str(Path(__file__).resolve()), "--probe", self.redis_url, channel, str(out)],
                      dict(os.environ), self.var / "log" / "probe.log")
        self.cleanup.callback(stop_group, probe)
        deadline = time.monotonic() + 30
        while not (out.exists() and out.read_text().startswith("ready")):
            if time.monotonic() > deadline or probe.poll() is not None:
                raise RuntimeError("the publication probe did not subscribe")
            time.sleep(0.05)
        return probe, out

    def commands(self) -> int:
        """Return how many commands this Valkey has processed (all of them the lab's or the baselines')."""
        return int(redis.Redis.from_url(self.redis_url).info("stats")["total_commands_processed"])

    def daphne_pids(self) -> list[int]:
        return [p.pid for p in self.stack.daphnes if p is not None]

    def cpu(self) -> dict[str, float]:
        """Return CPU seconds used so far by each kind of process this script started (and itself)."""
        workers = [p.pid for p in self.stack.celery]
        return {"Daphnes": sum(cpu_s(pid) for pid in self.daphne_pids()),
                "workers": sum(cpu_s(pid) + sum(cpu_s(c) for c in children(pid)) for pid in workers),
                "Valkey": cpu_s(self.valkey_pid) if self.valkey_pid else 0.0,
                "bench clients": time.process_time()}


def wait_for_listener(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Wait until something accepts TCP connections on ``port`` (a bare hub has no HTTP to ask)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the bare hub on port {port} did not start")


def fork(http: Http, session_id: str, seq: int, owner: str) -> dict[str, Any]:
    """Fork a class session as a student's sandbox (POST /api/sessions/<id>/fork)."""
    body = json.dumps({"seq": seq, "owner": owner, "sandbox": True}).encode()
    request = urllib.request.Request(f"{http.base}/api/sessions/{session_id}/fork", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        data: dict[str, Any] = json.loads(response.read())
    data["ws"] = data["ws"].replace("localhost", "127.0.0.1")
    return data


# ---------------------------------------------------------------- clients


class Follower(Client):
    """A student's page following the teacher: O(1) per frame, events frames read by their head only.

    It keeps each events frame's range and arrival, the highest contiguous
    seq (a gap asks for a resync), and each view's arrival by ``spotlight.n``.
    """

    def __init__(self, url: str, origin: str, index: int) -> None:
        super().__init__(url, origin, parse_hot=False)
        self.index = index
        self.frames: list[tuple[int, int, float]] = []
        self.views: dict[int, float] = {}
        self.view: dict[str, Any] | None = None
        self.view_v = 0
        self.views_out_of_order = 0

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(self.url, origin=self.origin, max_size=2**22)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": 0, "name": f"student {self.index:03d}",
                                       "client": f"bench-{self.index:03d}", "following": True}))
        self._reader = asyncio.create_task(self._read())

    def _on_frame(self, raw: str, wall: float, mono: float) -> None:
        if raw.startswith(HOT_PREFIX):
            self.frame_count["hot"] += 1
            self.frame_bytes["hot"] += len(raw)
            return
        head = EVENTS_HEAD.match(raw)
        if head is not None:
            first, last = int(head.group(1)), int(head.group(2))
            self.frames.append((first, last, wall))
            self.frame_count["events"] += 1
            self.frame_bytes["events"] += len(raw)
            if first > self.contig + 1:
                self._resync(mono)
            elif last > self.contig:
                self.contig, self.progress_at, self._resync_until = last, mono, 0.0
            self.changed.set()
            return
        message = json.loads(raw)
        kind = message["type"]
        if kind == "view":
            self._on_view(message["view"], wall, len(raw))
        elif kind == "welcome":
            self.role, self.welcome_seq = message["role"], message["seq"]
            if message.get("view"):
                self._on_view(message["view"], wall, 0)
        elif kind == "pong" and message["seq"] > self.contig:
            self._resync(mono)
        elif kind == "error":
            self.errors.append(message)
        self.changed.set()

    def _on_view(self, view: dict[str, Any], wall: float, size: int) -> None:
        n = (view.get("spotlight") or {}).get("n", -1)
        self.views.setdefault(n, wall)
        if size:
            self.frame_count["view"] = self.frame_count.get("view", 0) + 1
            self.frame_bytes["view"] = self.frame_bytes.get("view", 0) + size
        if view["v"] > self.view_v:
            self.view, self.view_v = view, view["v"]
        else:
            self.views_out_of_order += 1


class Player(Client):
    """A controller (the teacher, or a student in a sandbox) that keeps (wall, virtual now, step) per hot frame."""

    def __init__(self, url: str, origin: str, token: str) -> None:
        super().__init__(url, origin, token=token)
        self.trail: list[tuple[float, int, int]] = []

    def _on_frame(self, raw: str, wall: float, mono: float) -> None:
        super()._on_frame(raw, wall, mono)
        if raw.startswith(HOT_PREFIX):
            self.trail.append((wall, self.hot["now"], self.hot["step"]))

    def steps_between(self, start: float, end: float) -> int:
        """Return how many steps the session ran between two wall times (as its hot frames said)."""
        inside = [step for wall, _, step in self.trail if start <= wall <= end]
        return inside[-1] - inside[0] if inside else 0

    def pace(self, start: float, end: float, speed: float) -> tuple[float, float]:
        """Return (virtual time advanced / speed / wall time, steps/s) between two wall times."""
        inside = [t for t in self.trail if start <= t[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        (t0, now0, step0), (t1, now1, step1) = inside[0], inside[-1]
        return (now1 - now0) / speed / 1000 / (t1 - t0), (step1 - step0) / (t1 - t0)


async def player(rig: Rig, created: dict[str, Any]) -> Player:
    client = Player(created["ws"], rig.http.origin, created["control_token"])
    await client.connect()
    await client.wait(lambda c: c.role == "controller" and c.contig >= c.welcome_seq and bool(c.hot), timeout=60)
    return client


def view_for(k: int, seq: int) -> dict[str, Any]:
    """Return the teacher's k-th view: mostly scrubbed back, a tab, a selection, a zoom, a spotlight numbered k."""
    scrubbed = k % 5 != 0
    return {"seq": max(0, seq - (k * 37) % 200) if scrubbed else None, "tab": TABS[k % len(TABS)],
            "selected": {"kind": "node", "name": NODES[(k + 3) % len(NODES)]} if k % 3 else None,
            "zoom": {"axis": "seq", "row_px": 8 + k % 7}, "spotlight": {"kind": "node", "name": NODES[k % len(NODES)],
                                                                        "n": k},
            "showing": None}


async def teach(teacher: Player, sent: dict[int, float], stop: asyncio.Event, first: int = 1) -> dict[str, Any]:
    """Send a view every 1/VIEWS_PER_S s (numbered from ``first``) until ``stop``, then a final one; return that."""
    period, k, t0 = 1 / VIEWS_PER_S, first - 1, time.perf_counter()
    while not stop.is_set():
        k += 1
        view = view_for(k, teacher.contig)
        sent[k] = time.time()
        await teacher.send({"type": "view", "view": view})
        await sleep_until(t0 + (k - first + 1) * period)
    k += 1
    final = {**view_for(k, teacher.contig), "seq": None}
    sent[k] = time.time()
    await teacher.send({"type": "view", "view": final})
    return final


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """Record how late this process's event loop wakes from a 10 ms sleep (the clients' own delay)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.010)
        samples.append(time.perf_counter() - start - 0.010)


def virtual_gap_ms() -> float:
    """Return the class session's mean virtual time per step (from the bare engine), to turn a pace into a speed."""
    from protocols import get_protocol
    from protocols.sim.engine import Engine

    engine = Engine(get_protocol(CLASS["protocol"]), CLASS["params"], seed=CLASS_SEED, record=False)
    engine.drain()
    start = engine.now
    for _ in range(3000):
        engine.apply({"cmd": "step"})
    return (engine.now - start) / 3000


# ---------------------------------------------------------------- the class


async def warm_up(rig: Rig) -> None:
    """Play one small session to its end and touch the bare worker, so that first-use costs stay out of the figures."""
    created = rig.http.create(1, protocol="two-phase-commit", params={"participants": 3}, chaos=0.0)
    warm = await player(rig, created)
    await warm.send({"type": "speed", "value": 0})
    await warm.send({"type": "play"})
    await warm.wait(lambda c: bool(c.hot.get("done")) and c.contig >= c.hot["seq"])
    await warm.close()
    for i in range(20):
        rig.celery.noop.apply_async((i,), queue=rig.celery.QUEUE).get(timeout=10)


async def play_alone(rig: Rig, speed: float, seed: int) -> tuple[float, float]:
    """Play one session of the class's kind alone on the idle lab for ALONE_S; return its pace and steps/s."""
    created = rig.http.create(seed, **CLASS)
    alone = await player(rig, created)
    await alone.send({"type": "speed", "value": speed})
    await alone.send({"type": "play"})
    start = time.time()
    await asyncio.sleep(ALONE_S)
    await alone.send({"type": "pause"})
    got = alone.pace(start + 1.0, time.time(), speed)
    await alone.close()
    return got


async def connect_followers(rig: Rig, created: dict[str, Any], teacher: Player) -> list[Follower]:
    followers = [Follower(created["ws"], rig.http.origin, index) for index in range(FOLLOWERS)]
    for start in range(0, FOLLOWERS, CONNECT_BATCH):
        await asyncio.gather(*(f.connect() for f in followers[start:start + CONNECT_BATCH]))
    await asyncio.gather(*(f.wait(lambda c: c.role == "watcher" and c.contig >= teacher.contig, timeout=60)
                           for f in followers))
    return followers


async def start_sandboxes(rig: Rig, class_id: str, teacher: Player, speed: float) -> tuple[list[Player], list[float]]:
    """Fork SANDBOXES sandboxes at seqs spread over the class so far (FORK_PARALLEL at once); start them playing."""
    top = teacher.contig
    gate, took = asyncio.Semaphore(FORK_PARALLEL), []

    async def one(index: int) -> Player:
        async with gate:
            start = time.perf_counter()
            created = await asyncio.to_thread(fork, rig.http, class_id, top * (index + 1) // SANDBOXES,
                                              f"student {index:02d}")
            took.append(time.perf_counter() - start)
        student = await player(rig, created)
        await student.send({"type": "speed", "value": speed})
        await student.send({"type": "play"})
        return student

    return list(await asyncio.gather(*(one(index) for index in range(SANDBOXES)))), took


async def sample_memory(rig: Rig, samples: list[int], stop: asyncio.Event) -> None:
    """Sample the lab's Daphnes' resident memory, summed, every second."""
    while not stop.is_set():
        samples.append(sum(proc_bytes(pid, "VmRSS") for pid in rig.daphne_pids()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def run_class(rig: Rig, speeds: dict[str, float]) -> dict[str, Any]:
    """The load: teacher, followers, sandboxes; measured over LOAD_S, then drained and checked."""
    created = rig.http.create(CLASS_SEED, **CLASS)
    probe, probe_out = rig.start_probe(created["id"])
    teacher = await player(rig, created)
    followers = await connect_followers(rig, created, teacher)
    views_only = await views_alone(teacher, followers)
    say(f"    {len(followers)} followers connected; views alone (no play, no sandbox) for {VIEWS_ALONE_S:.0f} s: "
        f"send to follower p50 {ms(pct(views_only, 0.5))} p99 {ms(pct(views_only, 0.99))}; "
        f"now the teacher plays at speed {speeds['class']:.4f}")
    await teacher.send({"type": "speed", "value": speeds["class"]})
    await teacher.send({"type": "play"})
    sent: dict[int, float] = {}
    stop_views, stop_all = asyncio.Event(), asyncio.Event()
    lag: list[float] = []
    memory: list[int] = []
    views = asyncio.create_task(teach(teacher, sent, stop_views, first=MAIN_VIEWS_FROM))
    background = [asyncio.create_task(loop_lag(lag, stop_all)),
                  asyncio.create_task(sample_memory(rig, memory, stop_all))]
    await asyncio.sleep(2.0)
    students, fork_s = await start_sandboxes(rig, created["id"], teacher, speeds["sandbox"])
    fork_s = fork_s or [0.0]
    say(f"    {len(students)} sandboxes forked (fork p50 {ms(pct(fork_s, 0.5))}, max {ms(max(fork_s))}) and "
        f"playing at speed {speeds['sandbox']:.4f}; settling {SETTLE_S:.0f} s, then measuring {LOAD_S:.0f} s")
    await asyncio.sleep(SETTLE_S)
    lag.clear()
    window = (time.time(), 0.0)
    cpu_before, mem_from, commands_before = rig.cpu(), len(memory), rig.commands()
    await asyncio.sleep(LOAD_S)
    window = (window[0], time.time())
    cpu_after, commands = rig.cpu(), rig.commands() - commands_before
    busy = {k: (cpu_after[k] - cpu_before[k]) / LOAD_S for k in cpu_after}
    stop_views.set()
    final_view = await views
    for client in (teacher, *students):
        await client.send({"type": "pause"})
    stop_all.set()
    await asyncio.gather(*background)
    result = await drain(teacher, followers, students, final_view, probe_out)
    stop_group(probe)
    result["probe"] = read_probe(probe_out)
    result.update(window=window, sent=sent, busy=busy, lag=lag, fork_s=fork_s, memory=memory[mem_from:],
                  daphne_hwm=sum(proc_bytes(pid, "VmHWM") for pid in rig.daphne_pids()),
                  pace=[s.pace(*window, speeds["sandbox"]) for s in students],
                  steps=sum(c.steps_between(*window) for c in (teacher, *students)), commands=commands,
                  teacher_pace=teacher.pace(*window, speeds["class"]), followers=followers, views_only=views_only)
    for client in (teacher, *students, *followers):
        await client.close()
    return result


async def views_alone(teacher: Player, followers: list[Follower]) -> list[float]:
    """The teacher's views for VIEWS_ALONE_S with nothing else running; return send-to-follower delays."""
    sent: dict[int, float] = {}
    stop = asyncio.Event()
    task = asyncio.create_task(teach(teacher, sent, stop))
    await asyncio.sleep(VIEWS_ALONE_S)
    stop.set()
    await task
    await asyncio.sleep(2.0)
    out = []
    for f in followers:
        shown = shown_by(f.views)
        keys = sorted(shown)
        out += [at_ - at for n, at in sent.items() if (at_ := _first_at_least(shown, keys, n)) is not None]
    return out


async def drain(teacher: Player, followers: list[Follower], students: list[Player], final_view: dict[str, Any],
                probe_out: Path) -> dict[str, Any]:
    """After the pause: the teacher's last seq and view; wait (bounded) for every follower to hold both."""
    await asyncio.sleep(1.0)  # A step in flight completes; an auto step still waiting is skipped.
    await teacher.wait(lambda c: c.contig >= c.hot["seq"], timeout=60)
    final_seq = teacher.hot["seq"]
    final_n = final_view["spotlight"]["n"]
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    probe = read_probe(probe_out)
    while final_n not in probe["view_v"] and time.monotonic() < deadline:  # The teacher's Daphne may lag.
        await asyncio.sleep(0.2)
        probe = read_probe(probe_out)
    final_v = probe["view_v"].get(final_n, 0)
    start = time.perf_counter()
    outcome = await asyncio.gather(*(f.wait(lambda c: c.contig >= final_seq and c.view_v >= final_v,
                                            timeout=DRAIN_TIMEOUT_S) for f in followers), return_exceptions=True)
    drained_s = time.perf_counter() - start
    probe = read_probe(probe_out)
    expected = {k: v for k, v in final_view.items()}
    same_view = sum(1 for f in followers if f.view is not None and f.view_v == final_v
                    and {k: v for k, v in f.view.items() if k != "v"} == expected)
    return {"final_seq": final_seq, "final_v": final_v, "probe": probe, "drained_s": drained_s,
            "timeouts": sum(isinstance(o, BaseException) for o in outcome),
            "whole_log": sum(f.contig >= final_seq for f in followers), "final_view": same_view,
            "resyncs": sum(f.resyncs for f in followers), "out_of_order": sum(f.views_out_of_order for f in followers),
            "errors": [e for c in (teacher, *students, *followers) for e in c.errors][:5],
            "sizes": frame_sizes(followers)}


def read_probe(path: Path) -> dict[str, Any]:
    """Return the probe's records: publication time per event seq, per view number n, and v per n."""
    events: dict[int, float] = {}
    views: dict[int, float] = {}
    view_v: dict[int, int] = {}
    for line in path.read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) != 4:
            continue  # The last line, half written.
        at, kind, a, b = float(parts[0]), parts[1], int(parts[2]), int(parts[3])
        if kind == "events":
            for seq in range(a, b + 1):
                events.setdefault(seq, at)
        else:
            views.setdefault(b, at)
            view_v[b] = a
    return {"events": events, "views": views, "view_v": view_v}


def frame_sizes(followers: list[Follower]) -> dict[str, int]:
    """Return the mean size of each kind of frame the followers received."""
    count: dict[str, int] = {}
    size: dict[str, int] = {}
    for f in followers:
        for kind, n in f.frame_count.items():
            count[kind] = count.get(kind, 0) + n
            size[kind] = size.get(kind, 0) + f.frame_bytes.get(kind, 0)
    return {kind: size[kind] // max(1, count[kind]) for kind in count}


def shown_by(arrivals: dict[int, float]) -> dict[int, float]:
    """Return, for each view number received, when a view at least that new arrived (the earliest such).

    The lab coalesces views (a teacher's burst, or a socket behind, sends only the newest): a view
    superseded before it was sent counts as shown when the newer one arrived, which is when the page
    shows the teacher's position of then or later.
    """
    out: dict[int, float] = {}
    best = float("inf")
    for n in sorted(arrivals, reverse=True):
        best = min(best, arrivals[n])
        out[n] = best
    return out


def _first_at_least(shown: dict[int, float], keys: list[int], n: int) -> float | None:
    import bisect

    index = bisect.bisect_left(keys, n)
    return shown[keys[index]] if index < len(keys) else None


def latencies(got: dict[str, Any]) -> dict[str, list[float]]:
    """Return the samples of the window: view send->shown, send->publication, publication->shown; events."""
    start, end = got["window"]
    sent, probe = got["sent"], got["probe"]
    in_window = [n for n, at in sent.items() if start <= at <= end]
    out: dict[str, list[float]] = {"view": [], "view_pub": [], "view_after_pub": [], "events": [], "missed_views": [],
                                   "superseded_views": []}
    published = shown_by(probe["views"])
    pub_keys = sorted(published)
    pub_at = {n: _first_at_least(published, pub_keys, n) for n in in_window}
    out["view_pub"] = [pub_at[n] - sent[n] for n in in_window if pub_at[n] is not None]
    pub = {seq: at for seq, at in probe["events"].items() if start <= at <= end}
    for f in got["followers"]:
        missed = superseded = 0
        shown = shown_by(f.views)
        keys = sorted(shown)
        for n in in_window:
            at = _first_at_least(shown, keys, n)
            if at is None:
                missed += 1
                continue
            superseded += n not in f.views
            out["view"].append(at - sent[n])
            if pub_at[n] is not None:
                out["view_after_pub"].append(max(0.0, at - pub_at[n]))
        out["missed_views"].append(missed)
        out["superseded_views"].append(superseded)
        seen = 0
        for first, last, at in f.frames:
            for seq in range(max(first, seen + 1), last + 1):
                if seq in pub:
                    out["events"].append(at - pub[seq])
            seen = max(seen, last)
    return out


# ---------------------------------------------------------------- the raw baselines


async def raw_baselines(rig: Rig, sizes: dict[str, int], steps_per_s: float, chains_too: bool) -> dict[str, Any]:
    """The bare hubs carrying the followers' frames to 200 sockets (and, if asked, the bare paced chains at once).

    Events and hot frames (the lab's mean sizes) are PUBLISHed from here at
    ``steps_per_s``, as a worker publishes a step; views (VIEWS_PER_S) are sent
    by a teacher's socket to a hub, which publishes them, as the lab's consumer does.
    """
    import redis.asyncio as aioredis

    clients = [BareClient() for _ in range(FOLLOWERS + 1)]
    for start in range(0, len(clients), CONNECT_BATCH):
        await asyncio.gather(*(c.connect(rig.bare_ports[(start + i) % 2])
                               for i, c in enumerate(clients[start:start + CONNECT_BATCH])))
    teacher, followers = clients[0], clients[1:]
    publisher = aioredis.Redis.from_url(rig.redis_url)
    chains = start_chains(rig, LOAD_CHAINS, "load", BASE_S) if chains_too else []
    cpu_before = bare_cpu(rig)
    sent: dict[int, tuple[float, str]] = {}
    n, t0 = 0, time.perf_counter()
    moments = sorted([(k / steps_per_s, ("events", "hot")) for k in range(int(BASE_S * steps_per_s))]
                     + [(k / VIEWS_PER_S, ("view",)) for k in range(int(BASE_S * VIEWS_PER_S))])
    for moment, kinds in moments:
        await sleep_until(t0 + moment)
        for kind in kinds:
            text = json.dumps({"n": n, "pad": "x" * max(0, sizes[kind] - 20)})
            sent[n] = (time.time(), kind)
            await (teacher.ws.send(text) if kind == "view" else publisher.publish(rig.bare_channel, text))
            n += 1
    cpu_after = bare_cpu(rig)
    busy = {k: (cpu_after[k] - cpu_before[k]) / (time.perf_counter() - t0) for k in cpu_after}
    received, quiet_since = -1, time.perf_counter()
    while time.perf_counter() - quiet_since < 3.0 and received < n * FOLLOWERS:
        await asyncio.sleep(0.1)
        now_received = sum(len(c.arrived) for c in followers)
        if now_received > received:
            received, quiet_since = now_received, time.perf_counter()
    delays: dict[str, list[float]] = {"events": [], "hot": [], "view": []}
    for c in followers:
        for i, at in c.arrived.items():
            delays[sent[i][1]].append(at - sent[i][0])
    rss = sum(proc_bytes(hub.pid, "VmRSS") for hub in rig.bare_hubs)
    for c in clients:
        await c.close()
    await publisher.aclose()
    return {"delays": delays, "lost": n * FOLLOWERS - received, "sent": n * FOLLOWERS, "rss": rss, "busy": busy,
            "steps_per_s": steps_per_s, "chains": await finish_chains(rig, chains) if chains else []}


def bare_cpu(rig: Rig) -> dict[str, float]:
    """Return CPU seconds used so far by the bare hubs, the bare workers and this script."""
    workers = [w.pid for w in rig.base_workers]
    return {"bare hubs": sum(cpu_s(h.pid) for h in rig.bare_hubs),
            "bare workers": sum(cpu_s(pid) + sum(cpu_s(c) for c in children(pid)) for pid in workers),
            "Valkey": cpu_s(rig.valkey_pid) if rig.valkey_pid else 0.0, "bench clients": time.process_time()}


def start_chains(rig: Rig, specs: list[tuple[float, bool]], name: str, seconds: float) -> list[tuple[str, float, int]]:
    """Start one bare chain per (hops/s, absolute schedule?) for ``seconds``; return (key, period, hops) for each.

    A chain paces as paced play does (each countdown from the end of the hop before), or, when asked, keeps an
    absolute schedule (the fix proposed in docs/performance.md).
    """
    chains = []
    for index, (rate, absolute) in enumerate(specs):
        key, hops = f"{rig.prefix}:paced:{name}:{index}", int(seconds * rate)
        anchor = time.time() if absolute else 0.0
        rig.celery.app.send_task(PACED_TASK, (hops - 1, 1 / rate, key, anchor), queue=rig.celery.QUEUE)
        chains.append((key, 1 / rate, hops))
    return chains


LOAD_CHAINS = [(SANDBOX_STEPS_PER_S, index % 2 == 1) for index in range(SANDBOXES)] + [(CLASS_STEPS_PER_S, False)]
"""One chain per sandbox and one for the class; the odd-numbered sandboxes' keep an absolute schedule (a what-if)."""
ALONE_CHAINS = [(SANDBOX_STEPS_PER_S, False), (SANDBOX_STEPS_PER_S, True), (CLASS_STEPS_PER_S, False),
                (CLASS_STEPS_PER_S, True)]
"""One chain of each kind, alone: what pacing costs a bare hop with nothing else running."""


async def finish_chains(rig: Rig, chains: list[tuple[str, float, int]]) -> list[float]:
    """Wait (bounded) for the chains to end; return each one's pace: hops x period / wall time."""
    r = redis.Redis.from_url(rig.redis_url)
    deadline = time.monotonic() + 2 * BASE_S + 10
    while time.monotonic() < deadline and any(r.llen(key) < hops for key, _, hops in chains):
        await asyncio.sleep(0.2)
    paces = []
    for key, period, _ in chains:
        times = [float(t) for t in r.lrange(key, 0, -1)]
        paces.append((len(times) - 1) * period / (times[-1] - times[0]) if len(times) > 1 else 0.0)
    return paces


# ---------------------------------------------------------------- report

Row = tuple[str, str, str, str, str, str]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def latency_rows(rows: list[Row], samples: dict[str, list[float]], nominal: dict[str, Any],
                 same: dict[str, Any]) -> None:
    """(a) and (b): the lab's p50 and p99 beside the bare hubs at the lab's achieved rate and at 20 steps/s."""
    for letter, label, lab, kinds in (("a", "view change, teacher's send to follower", samples["view"], ("view",)),
                                      ("b", "event, publication to follower", samples["events"], ("events", "hot"))):
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            value = pct(lab, q)
            floors = [pct([d for kind in kinds for d in bare["delays"][kind]], q) for bare in (same, nominal)]
            target = f"< {LATENCY_P99_TARGET_S * 1000:.0f} ms" if name == "p99" else "—"
            ok = verdict(value < LATENCY_P99_TARGET_S) if name == "p99" else ""
            rows.append((f"({letter}) {label} {name}", ms(value),
                         f"{ms(floors[0])} (bare hubs, {same['steps_per_s']:.1f} steps/s); {ms(floors[1])} "
                         f"({nominal['steps_per_s']:.0f} steps/s)", f"{value / floors[0]:.2f}", target, ok))


def pace_rows(rows: list[Row], got: dict[str, Any], chains: list[float], alone: dict[str, Any]) -> None:
    """(d): the sandboxes' and the class's pace beside the bare paced chains and the lab alone."""
    paces = [p for p, _ in got["pace"]] or [0.0]
    rates = [r for _, r in got["pace"]] or [0.0]
    sandbox_chains = chains[:-1:2] or [0.0]  # Paced as the lab paces; the odd ones keep an absolute schedule.
    absolute = chains[1:-1:2] or [0.0]
    slowest, slowest_chain = min(paces), max(1e-9, min(sandbox_chains))
    median, median_chain = statistics.median(paces), max(1e-9, statistics.median(sandbox_chains))
    rows.append((f"(d) sandbox pace, slowest of {SANDBOXES}", f"{slowest:.1%} ({min(rates):.2f} steps/s)",
                 f"{slowest_chain:.1%} (slowest bare chain); {alone['sandbox'][0]:.1%} (one sandbox alone)",
                 f"{slowest / slowest_chain:.2f}", f"≥ {PACE_TARGET:.0%}", verdict(slowest >= PACE_TARGET)))
    rows.append((f"(d) sandbox pace, median of {SANDBOXES}", f"{median:.1%} "
                 f"({statistics.median(rates):.2f} steps/s)", f"{median_chain:.1%} (bare chains)",
                 f"{median / median_chain:.2f}", "—", ""))
    rows.append(("(d) what-if: bare chains on an absolute schedule, slowest / median", "—",
                 f"{min(absolute):.1%} / {statistics.median(absolute):.1%} (bare chains, same load)", "—", "—", ""))
    rows.append(("(d) bare chains alone at 5 and 20 hops/s: paced as the lab / absolute schedule", "—",
                 f"{alone['chains'][0]:.1%} / {alone['chains'][1]:.1%}; {alone['chains'][2]:.1%} / "
                 f"{alone['chains'][3]:.1%}", "—", "—", ""))
    rows.append(("(d) class pace (teacher's play)", f"{got['teacher_pace'][0]:.1%} ({got['teacher_pace'][1]:.1f} "
                 "steps/s)", f"{chains[-1]:.1%} (bare chain at 20/s); {alone['class'][0]:.1%} (alone)", "—", "—", ""))
    say(f"(d) sandbox paces {sorted(round(p, 3) for p in paces)}; "
        f"bare chains {sorted(round(p, 3) for p in sandbox_chains)}"
        f", bare chains on an absolute schedule {sorted(round(p, 3) for p in absolute)}"
        f", bare 20/s chain {chains[-1]:.3f}; alone: sandbox {alone['sandbox'][0]:.3f} ({alone['sandbox'][1]:.2f} "
        f"steps/s), class {alone['class'][0]:.3f} ({alone['class'][1]:.2f} steps/s)")
    steps_per_s = got["steps"] / LOAD_S
    demanded = CLASS_STEPS_PER_S + SANDBOXES * SANDBOX_STEPS_PER_S
    say(f"    steps run in the window: {steps_per_s:.1f}/s of {demanded:.0f}/s scheduled; the workers used "
        f"{got['busy']['workers'] * 1000 / max(1e-9, steps_per_s):.1f} ms of CPU per step; Valkey processed "
        f"{got['commands'] / max(1, got['steps']):.1f} commands per step (everything the lab sent it, views included)")


def print_report(got: dict[str, Any], nominal: dict[str, Any], same: dict[str, Any],
                 alone: dict[str, Any]) -> None:
    samples = latencies(got)
    start, end = got["window"]
    views_sent = sum(1 for at in got["sent"].values() if start <= at <= end)
    rows: list[Row] = []
    latency_rows(rows, samples, nominal, same)
    say(f"(a) view send -> publication p50 {ms(pct(samples['view_pub'], 0.5))} p99 {ms(pct(samples['view_pub'], 0.99))}"
        f"; publication -> follower p50 {ms(pct(samples['view_after_pub'], 0.5))} "
        f"p99 {ms(pct(samples['view_after_pub'], 0.99))}; views superseded (coalesced) per follower: max "
        f"{max(samples['superseded_views'])}, total {sum(samples['superseded_views'])}; "
        f"views missed per follower: max {max(samples['missed_views'])}"
        f", total {sum(samples['missed_views'])} of {FOLLOWERS * views_sent}; received out of order "
        f"{got['out_of_order']}")
    alone_p99 = pct(got["views_only"], 0.99)
    rows.append(("(a) view change p99, views alone (no play, no sandbox)", ms(alone_p99),
                 f"{ms(pct(same['delays']['view'], 0.99))} (bare hubs, {same['steps_per_s']:.1f} steps/s)", "—",
                 f"< {LATENCY_P99_TARGET_S * 1000:.0f} ms", verdict(alone_p99 < LATENCY_P99_TARGET_S)))
    if got["teacher_pace"][1] < PACE_TARGET * CLASS_STEPS_PER_S:
        say(f"NOTE: the class ran {got['teacher_pace'][1]:.1f} steps/s, not {CLASS_STEPS_PER_S:.0f}: (b) was measured "
            "at that rate, beside the bare hubs at the same rate and at the nominal one")
    say(f"(b) event samples {len(samples['events']):,}; max {ms(max(samples['events']))}; resyncs {got['resyncs']}")
    for bare in (same, nominal):
        say(f"    bare hubs at {bare['steps_per_s']:.1f} steps/s: events p99 {ms(pct(bare['delays']['events'], 0.99))}"
            f", hot p99 {ms(pct(bare['delays']['hot'], 0.99))}, view p99 {ms(pct(bare['delays']['view'], 0.99))}; "
            f"lost {bare['lost']:,} of {bare['sent']:,}; CPU "
            + ", ".join(f"{k} {v:.2f}" for k, v in bare["busy"].items()))
    rows.append((f"(c) followers with the whole log (seq {got['final_seq']})", f"{got['whole_log']}/{FOLLOWERS}",
                 f"{nominal['lost']:,} of {nominal['sent']:,} frames lost (bare hubs, no repair)", "—", "all",
                 verdict(got["whole_log"] == FOLLOWERS)))
    rows.append((f"(c) followers with the teacher's final view (v {got['final_v']})",
                 f"{got['final_view']}/{FOLLOWERS}", "—", "—", "all", verdict(got["final_view"] == FOLLOWERS)))
    pace_rows(rows, got, nominal["chains"], alone)
    peak = max(got["memory"])
    rows.append(("(e) Daphne VmRSS, both processes, peak under load", mib(peak),
                 mib(nominal["rss"]) + " (two bare hubs)", f"{peak / nominal['rss']:.2f}",
                 f"< {DAPHNE_TOTAL_TARGET_BYTES // MIB} MiB", verdict(peak < DAPHNE_TOTAL_TARGET_BYTES)))
    say(f"(e) Daphne VmHWM together {mib(got['daphne_hwm'])}; frames (mean bytes) {got['sizes']}")
    say("    CPU share during the window (1.0 = one core): "
        + ", ".join(f"{k} {v:.2f}" for k, v in got["busy"].items())
        + f"; bench event loop lag p50 {ms(pct(got['lag'], 0.5))} p99 {ms(pct(got['lag'], 0.99))}; "
        f"drained in {got['drained_s']:.1f} s ({got['timeouts']} timed out); errors {got['errors']}")
    head = ("Figure", "Measured", "Baseline (same run)", "Ratio", "Target", "")
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


async def measure(rig: Rig) -> None:
    gap = virtual_gap_ms()
    speeds = {"class": gap * CLASS_STEPS_PER_S / 1000, "sandbox": gap * SANDBOX_STEPS_PER_S / 1000}
    say(f"Class session: {CLASS}, seed {CLASS_SEED}: {gap:.2f} virtual ms a step on average (bare engine, "
        f"3,000 steps): speed {speeds['class']:.4f} for {CLASS_STEPS_PER_S:.0f} steps/s, "
        f"{speeds['sandbox']:.4f} for {SANDBOX_STEPS_PER_S:.0f}")
    await warm_up(rig)
    alone = {"sandbox": await play_alone(rig, speeds["sandbox"], CLASS_SEED + 1),
             "class": await play_alone(rig, speeds["class"], CLASS_SEED + 2)}
    alone["chains"] = await finish_chains(rig, start_chains(rig, ALONE_CHAINS, "alone", ALONE_S))
    say(f"Alone on the idle lab: a sandbox's pace {alone['sandbox'][0]:.1%}, the class's {alone['class'][0]:.1%}; "
        "bare chains alone, paced as the lab paces / on an absolute schedule: at 5 hops/s "
        f"{alone['chains'][0]:.1%} / {alone['chains'][1]:.1%}, at 20 hops/s {alone['chains'][2]:.1%} / "
        f"{alone['chains'][3]:.1%}")
    say(f"The class: {FOLLOWERS} followers, {VIEWS_PER_S:.0f} views/s, {CLASS_STEPS_PER_S:.0f} steps/s, "
        f"{SANDBOXES} sandboxes at {SANDBOX_STEPS_PER_S:.0f} steps/s; load average {load_average()}")
    got = await run_class(rig, speeds)
    say(f"    load average {load_average()}; raw baselines for {BASE_S:.0f} s: the bare hubs with the followers' "
        f"frames, {SANDBOXES + 1} bare paced chains")
    nominal = await raw_baselines(rig, got["sizes"], CLASS_STEPS_PER_S, chains_too=True)
    achieved = got["teacher_pace"][1]
    say(f"    the bare hubs again, at the class's achieved {achieved:.1f} steps/s (like for like with (b))")
    same = await raw_baselines(rig, got["sizes"], max(0.5, achieved), chains_too=False)
    print_report(got, nominal, same, alone)
    say(f"load average at the end {load_average()}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp, contextlib.ExitStack() as cleanup:
        var = Path(tmp)
        (var / "log").mkdir()
        say(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: starting Valkey, the lab (2 workers + 2 "
            f"Daphnes), the bare baselines; logs in {var / 'log'}")
        try:
            asyncio.run(measure(Rig(var, cleanup)))
        except BaseException:
            for log in sorted((var / "log").glob("*.log")):
                say(f"--- {log.name} (tail)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            raise


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        run_probe(*sys.argv[2:5])
    elif sys.argv[1:2] == ["--bare-hub"]:
        run_bare_hub(*sys.argv[2:5])
    else:
        # A TERM (a killed run, a CI timeout) unwinds like Ctrl-C, so the cleanup stops every process started.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        main()
