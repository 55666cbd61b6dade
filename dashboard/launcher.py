"""``make run``: start the whole lab on this machine; Ctrl-C stops everything it started."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time

from dashboard.stack import Stack, redis_answers, start_embedded_redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def main() -> None:
    """Find or start Redis, then start Celery workers and Daphne, and wait for Ctrl-C."""
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    embedded = None
    if not redis_answers(url):
        print(f"No Redis answers at {url}; starting an embedded Valkey.", flush=True)
        embedded = start_embedded_redis()
        url = f"redis://127.0.0.1:{embedded.port}/0"
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    public = public_url(host, port)
    # Two web processes by default: both cores serve sockets, and one restarting leaves the other serving.
    stack = Stack(redis_url=url, port=port, host=host, workers=int(os.environ.get("PROTOLAB_WORKERS", "2")),
                  web_processes=int(os.environ.get("PROTOLAB_WEB_PROCESSES", "2")), supervise_daphne=True,
                  env={"PROTOLAB_PUBLIC_URL": public} if public else {})
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nStopping the lab...", flush=True)
        stack.stop()
        if embedded is not None:
            embedded.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
    except Exception as exc:
        print(f"The lab could not start: {exc} (logs in var/log/)", file=sys.stderr, flush=True)
        stop()
    print(f"The lab is running at {public or f'http://{host}:{port}'}/  (Redis {url}, {stack.workers} workers, "
          f"{stack.web_processes} web processes). "
          "Press Ctrl-C to stop.", flush=True)
    if public:
        print(f"Students join at {public}/join (or by the code and QR code on the session's Class tab).", flush=True)
    seen = 0
    while True:
        time.sleep(1)
        if stack.restarts > seen:  # The stack restarts what dies; say so.
            seen = stack.restarts
            print(f"Restarted a lab process that had died ({seen} so far); see var/log/.", file=sys.stderr,
                  flush=True)


def public_url(host: str, port: int) -> str:
    """Return where a classroom's devices reach the lab ('' when it listens on loopback only).

    PROTOLAB_PUBLIC_URL wins when set. For HOST=0.0.0.0 (or ::) it is this machine's first global
    address, read from the kernel's own table (`ip`), never from the network.
    """
    given = os.environ.get("PROTOLAB_PUBLIC_URL", "").rstrip("/")
    if given:
        return given
    if host not in ("0.0.0.0", "::"):
        return "" if _loopback(host) else f"http://{host}:{port}"
    address = first_global_address()
    return f"http://{address}:{port}" if address else ""


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # A name: the classroom reaches it by that name.
        return False


def first_global_address(ip_output: str | None = None) -> str | None:
    """Return the first global IPv4 address `ip -4 -o addr show scope global` lists, or None."""
    if ip_output is None:
        try:
            ip_output = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True,
                                       text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    for line in ip_output.splitlines():
        fields = line.split()
        if "inet" in fields and "global" in fields:
            return fields[fields.index("inet") + 1].split("/")[0]
    return None


if __name__ == "__main__":
    main()
