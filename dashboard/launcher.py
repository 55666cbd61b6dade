"""``make run``: start the whole lab on this machine; Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import signal
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
    # Two web processes by default: both cores serve sockets, and one restarting leaves the other serving.
    stack = Stack(redis_url=url, port=port, host=host, workers=int(os.environ.get("PROTOLAB_WORKERS", "2")),
                  web_processes=int(os.environ.get("PROTOLAB_WEB_PROCESSES", "2")), supervise_daphne=True)
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
    print(f"The lab is running at http://{host}:{port}/  (Redis {url}, {stack.workers} workers, "
          f"{stack.web_processes} web processes). "
          "Press Ctrl-C to stop.", flush=True)
    seen = 0
    while True:
        time.sleep(1)
        if stack.restarts > seen:  # The stack restarts what dies; say so.
            seen = stack.restarts
            print(f"Restarted a lab process that had died ({seen} so far); see var/log/.", file=sys.stderr,
                  flush=True)


if __name__ == "__main__":
    main()
