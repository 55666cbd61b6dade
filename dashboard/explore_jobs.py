"""Exhaustive searches started from a session page: each runs in a process of its own, its report in Redis.

A search is CPU-bound for seconds (bench/engine.py: about 5,700 worlds a
second). In a web process it would starve the event loop that relays every
live session; on a Celery worker, every session whose nodes that worker hosts
would wait behind it. So each search is a short-lived process of its own
(``manage.py explore_job JOB``, at a lower CPU priority) that reads its job
from Redis, runs the explorer, writes the report back and exits. At most
MAX_RUNNING searches run at once on a server, and one per session; a job
still marked running after STALE_AFTER_S is reported failed (its process
died without a word).

A counterexample becomes a live session whose log already holds its steps
(:func:`open_counterexample`), so a class can step back through it.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from dashboard import broadcast, hotstate, limits, sessions
from dashboard.models import Session
from protocols import get_protocol
from protocols.base import ParameterError
from protocols.sim.explorer import DEFAULT_MAX_DROPS, explore, params_of_run

WEB_MAX_STATES = 50_000
"""The largest search a page may ask for: about ten seconds of one core."""

WEB_DEFAULT_STATES = 20_000
WEB_MAX_FAULTS = 2
"""Drops (and crashes) the adversary may use on one path, at most: each multiplies the worlds."""

MAX_RUNNING = 2
"""Searches running at once on this server (a class pressing Run together must not fill the machine)."""

STALE_AFTER_S = 300
"""A job still running after this long has lost its process (and a session remembers its latest search
this long, so that a page opened meanwhile shows it)."""

JOB_TTL_S = 3600
"""How long a finished report stays readable."""

ROOT = Path(__file__).resolve().parent.parent

_START = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[3])
local current = redis.call('get', KEYS[2])
if current and redis.call('zscore', KEYS[1], current) then return 'session' end
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[4]) then return 'server' end
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
redis.call('set', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[6]))
redis.call('set', KEYS[3], ARGV[5], 'EX', tonumber(ARGV[7]))
return 'ok'
"""
"""KEYS: running jobs (by start time), the session's job, the new job's record. ARGV: job, now, stale
before, MAX_RUNNING, record, session lock TTL, record TTL. One script, so two clicks cannot both pass."""

_children: list[subprocess.Popen[bytes]] = []


class Busy(Exception):
    """A search is already running for this session, or the server runs as many as it allows."""


def start(session: Session, *, max_states: int = WEB_DEFAULT_STATES, max_drops: int = DEFAULT_MAX_DROPS,
          max_crashes: int | None = None, address: str = "") -> str:
    """Start a search of the session's protocol and parameters; return the job's id.

    ``max_crashes``: the protocol's small model's (``ProtocolSpec.explore_crashes``) unless given, as on
    the command line, so a foil that needs a crash is found from the page with no setting changed.

    ``address``: the client's; it may start PROTOLAB_SEARCHES_PER_MINUTE a minute and hold one of the
    server's MAX_RUNNING slots at a time, so one stranger cannot keep everyone else's searches out.
    """
    if max_crashes is None:
        max_crashes = get_protocol(session.protocol).explore_crashes
    for name, value, top in (("max_states", max_states, WEB_MAX_STATES), ("max_drops", max_drops, WEB_MAX_FAULTS),
                             ("max_crashes", max_crashes, WEB_MAX_FAULTS)):
        low = 1 if name == "max_states" else 0
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= top:
            raise ParameterError(f"{name} must be a whole number from {low} to {top}")
    spec = get_protocol(session.protocol)
    job = secrets.token_urlsafe(12)
    now = time.time()
    limits.take("search", address, settings.PROTOLAB_SEARCHES_PER_MINUTE, "searches")
    holder = hotstate.client().get(_address_key(address))
    if holder is not None and (_load(holder.decode()) or {}).get("status") == "running":
        raise Busy("a search you started is still running; one at a time from one address")
    record = {"job": job, "status": "running", "session": session.id, "protocol": spec.name, "address": address,
              "params": params_of_run(spec, session.params), "seed": session.seed, "max_states": max_states,
              "max_drops": max_drops, "max_crashes": max_crashes, "started": now}
    verdict = hotstate.client().eval(_START, 3, _running_key(), hotstate.key(session.id, "explore"), _job_key(job),
                                     job, now, now - STALE_AFTER_S, MAX_RUNNING, json.dumps(record),
                                     STALE_AFTER_S, JOB_TTL_S)
    if verdict != b"ok":
        raise Busy("a search of this session is already running" if verdict == b"session"
                   else f"the server is already running {MAX_RUNNING} searches; try again in a few seconds")
    hotstate.client().set(_address_key(address), job, ex=STALE_AFTER_S)
    try:
        _spawn(job)
    except OSError as exc:  # No process: free the slot now rather than after STALE_AFTER_S.
        _finish({**record, "status": "failed", "error": f"the search could not start: {exc}"})
        raise
    # Every page watching the session follows the search: the class sees the verdict the teacher sees.
    broadcast.status(session.id, {"explore": announcement(job)})
    return job


def announcement(job: str) -> dict[str, str]:
    """Return what pages are told of a search: its id and where to follow it."""
    return {"job": job, "url": f"/api/explore/{job}"}


def latest(session_id: str) -> dict[str, str] | None:
    """Return the announcement of the session's latest search while its record lasts (None if none)."""
    r = hotstate.client()
    raw = r.get(hotstate.key(session_id, "explore"))
    job = raw.decode() if raw else None
    return announcement(job) if job and r.exists(_job_key(job)) else None


def run(job: str) -> None:
    """Run a job's search and store its report (called in the job's own process)."""
    record = _load(job)
    if record is None or record["status"] != "running":
        return
    try:
        report = explore(get_protocol(record["protocol"]), record["params"], seed=record["seed"],
                         max_states=record["max_states"], max_drops=record["max_drops"],
                         max_crashes=record["max_crashes"], clock=time.perf_counter)
        record.update(status="done", report=report.to_json())
    except ParameterError as exc:
        record.update(status="failed", error=str(exc))
    except Exception as exc:  # Whatever stopped the search, the page must hear why.
        record.update(status="failed", error=f"the search stopped: {type(exc).__name__}: {exc}")
    finally:
        _finish(record)


def status(job: str) -> dict[str, Any] | None:
    """Return a job's public record (None if unknown or expired)."""
    _reap()
    record = _load(job)
    if record is None:
        return None
    if record["status"] == "running" and time.time() - record["started"] > STALE_AFTER_S:
        record.update(status="failed", error="the search process stopped without a report")
        _finish(record)
    public = {"job": job, "status": record["status"]}
    if record["status"] == "done":
        public["report"] = record["report"]
    if record["status"] == "failed":
        public["error"] = record["error"]
    return public


def open_counterexample(job: str, index: int, owner: str = "") -> tuple[Session, str]:
    """Start a live session whose log holds a finished job's counterexample ``index``; return it and its token."""
    record = _load(job)
    if record is None or record["status"] != "done":
        raise LookupError("this search has no report (unknown, expired, still running, or failed)")
    found = record["report"]["counterexamples"]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(found):
        raise ParameterError(f"counterexample must be a number from 0 to {len(found) - 1}" if found
                             else "this search found no counterexample")
    report = record["report"]
    session, token = sessions.from_commands(report["protocol"], report["params"], seed=report["seed"],
                                            commands=found[index]["commands"], owner=owner)
    # Its page says where it came from: which counterexample of which search, breaking what.
    session.origin = {"kind": "counterexample", "search": job, "index": index, "invariant": found[index]["name"],
                      "category": found[index].get("category", "safety"), "session": record["session"]}
    Session.objects.filter(id=session.id).update(origin=session.origin)
    return session, token


def _spawn(job: str) -> None:
    _reap()
    log_dir = Path(settings.VAR_DIR) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "explore.log", "ab") as log:
        # "--": a job id may begin with "-" (token_urlsafe), which the command's parser would take for an option.
        _children.append(subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "explore_job", "--", job], cwd=ROOT,
                                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True))


def _reap() -> None:
    """Collect finished search processes, so that a long-running web process leaves no zombies."""
    _children[:] = [child for child in _children if child.poll() is None]


def _finish(record: dict[str, Any]) -> None:
    r = hotstate.client()
    pipe = r.pipeline(transaction=False)
    pipe.set(_job_key(record["job"]), json.dumps(record), ex=JOB_TTL_S)
    pipe.zrem(_running_key(), record["job"])
    pipe.execute()


def _load(job: str) -> dict[str, Any] | None:
    raw = hotstate.client().get(_job_key(job))
    return json.loads(raw) if raw else None


def _job_key(job: str) -> str:
    return f"{settings.PROTOLAB_PREFIX}:explore:{job}"


def _address_key(address: str) -> str:
    return f"{settings.PROTOLAB_PREFIX}:explore:address:{address}"


def _running_key() -> str:
    return f"{settings.PROTOLAB_PREFIX}:explore:running"
