"""Test-wide setup, loaded as a plugin (`-p tests.env`) before Django reads its settings.

The machine's Redis is used when it answers, on database 13 under a prefix
unique to this run; otherwise an embedded Valkey is started. Nothing here
ever flushes a server: cleanup deletes this run's keys by prefix.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid

from dashboard.stack import redis_answers, start_embedded_redis

TEST_REDIS_DB = 13
MACHINE_REDIS = f"redis://127.0.0.1:6379/{TEST_REDIS_DB}"


def _choose_redis() -> str:
    if os.environ.get("PROTOLAB_TEST_REDIS_URL"):
        return os.environ["PROTOLAB_TEST_REDIS_URL"]
    if redis_answers(MACHINE_REDIS):
        return MACHINE_REDIS
    server = start_embedded_redis()
    atexit.register(server.stop)
    return f"redis://127.0.0.1:{server.port}/0"


# Settings read these when Django starts, which pytest-django does after this file is imported.
os.environ["REDIS_URL"] = _choose_redis()
os.environ["PROTOLAB_PREFIX"] = f"protolab-test-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("PROTOLAB_VAR_DIR", tempfile.mkdtemp(prefix="protolab-test-var-"))
os.environ["PROTOLAB_RUNNER"] = "inprocess"
# The suite makes many sessions from one address; tests/dashboard/test_classroom.py and test_hardening.py test
# the real limits with settings of their own.
os.environ.setdefault("PROTOLAB_FORKS_PER_MINUTE", "600")
os.environ.setdefault("PROTOLAB_CREATES_PER_MINUTE", "100000")
os.environ.setdefault("PROTOLAB_SEARCHES_PER_MINUTE", "1000")


def _forget_test_keys() -> None:
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        for key in client.scan_iter(match=os.environ["PROTOLAB_PREFIX"] + "*", count=1000):
            client.delete(key)
    except redis.RedisError:
        pass


atexit.register(_forget_test_keys)
