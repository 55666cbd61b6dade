"""A bare Celery app for bench/live.py's baselines: a no-op task and a task that enqueues the next.

Configured like the lab's own (dashboard/settings.py): JSON only, late acks,
prefetch 1, the Redis broker with a key prefix, a prefork worker of one
process. Unlike the lab it has a Redis result backend, so that
``apply_async`` + ``get`` can be timed. It knows nothing of Django or of the
lab: what it measures is Celery on this Redis and nothing else.

The benchmark sets ``BENCH_REDIS_URL`` and ``BENCH_PREFIX`` before it imports
this module or starts a worker on it
(``celery -A bench._baseline_celery worker -Q <prefix>.baseline``).
"""

from __future__ import annotations

import os

import redis
from celery import Celery

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PREFIX = os.environ.get("BENCH_PREFIX", "bench-baseline")
QUEUE = f"{PREFIX}.baseline"

app = Celery("bench_baseline", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    accept_content=["json"],
    task_serializer="json",
    result_serializer="json",
    task_default_queue=QUEUE,
    broker_transport_options={"visibility_timeout": 30, "global_keyprefix": f"{PREFIX}:celery:"},
    result_backend_transport_options={"global_keyprefix": f"{PREFIX}:results:"},
    result_expires=600,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

_redis: redis.Redis | None = None


@app.task(name="bench.noop")
def noop(n: int) -> int:
    """Return ``n``: the whole round trip is Celery's."""
    return n


@app.task(name="bench.hop", ignore_result=True)
def hop(remaining: int, done_key: str) -> None:
    """Enqueue the next hop, or say the chain is done by pushing to ``done_key``."""
    global _redis
    if remaining > 0:
        hop.apply_async((remaining - 1, done_key), queue=QUEUE)
        return
    if _redis is None:
        _redis = redis.Redis.from_url(REDIS_URL)
    _redis.rpush(done_key, "done")
