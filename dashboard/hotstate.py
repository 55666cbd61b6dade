"""Hot state in Redis: what the controller needs between steps, rebuilt from the database when lost.

Keys, all under ``{PROTOLAB_PREFIX}:s:{session}:``:

- ``hot``       JSON: generation, seq, step, virtual time, pending entries, next due, done
- ``queue``     list of JSON commands waiting for their turn (one step in flight per session)
- ``inflight``  set while a step is dispatched and not finished (NX lock, with a safety TTL)
- ``play``      JSON: playing or not, speed
- ``tries:G:S`` how many times step S of generation G was delivered to a worker

Redis keeps nothing on disk here: if it restarts, ``hot`` is rebuilt by
replaying the session's commands from the database, and ``play`` is refilled
from the session's row (dashboard/controller.py ``play_state``), so a session
that was playing goes on playing.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings

from protocols.sim.engine import Engine

MAX_PENDING_SHOWN = 64
"""Pending entries kept in hot state and sent to every watcher after every step: a longer list is
unreadable on a projector, and at 200 entries the state frame reached 30 KB (bench/live.py)."""

INFLIGHT_TTL_S = 120
"""A dispatched step that never finished releases the session after this (its task is redelivered first)."""

_client: redis.Redis | None = None


def client() -> redis.Redis:
    """Return this process's Redis client (created on first use)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5,
                                       health_check_interval=10, retry_on_timeout=True)
    return _client


def key(session_id: str, name: str) -> str:
    """Return the Redis key of one piece of a session's hot state."""
    return f"{settings.PROTOLAB_PREFIX}:s:{session_id}:{name}"


def next_auto(engine: Engine) -> tuple[int, int, str] | None:
    """Return (due, order, node) of the entry the next auto step handles, or None (entries held by paused
    nodes wait for their resume and are not counted)."""
    held = {pid for rt in engine.nodes.values() for pid in rt.held}
    upcoming = [(p.due, p.order, p.node) for p in engine.pending.values() if p.id not in held]
    return min(upcoming) if upcoming else None


def snapshot(engine: Engine, generation: int, placement: dict[str, int]) -> dict[str, Any]:
    """Return the hot state of an engine right after a step."""
    total, ready = engine.pending_counts()
    nxt = next_auto(engine)
    return {
        "generation": generation,
        "seq": engine.seq,
        "step": engine.step_no,
        "now": engine.now,
        "pending": engine.pending_list(limit=MAX_PENDING_SHOWN),
        "pending_total": total,
        "ready": ready,
        "next_due": nxt[0] if nxt else None,
        "next_node": nxt[2] if nxt else None,
        "done": engine.done,
        "quiescent": engine.quiescent,
        "truncated": engine.truncated,
        "verdicts": engine.checker.verdicts(),
        "placement": placement,
        "nodes": {
            name: {"up": rt.up, "paused": rt.paused, "phase": rt.state.get("phase")}
            for name, rt in engine.nodes.items()
        },
        "partitioned": engine.network.partition is not None,
    }


def store(session_id: str, hot: dict[str, Any]) -> None:
    """Save a session's hot state."""
    store_encoded(session_id, json.dumps(hot, ensure_ascii=False))


def store_encoded(session_id: str, hot_json: str, via: Any = None) -> None:
    """Save a session's hot state already encoded as JSON (``via``: a pipeline to queue the write on)."""
    (via or client()).set(key(session_id, "hot"), hot_json)


def load(session_id: str) -> dict[str, Any] | None:
    """Return a session's hot state, or None if Redis has lost it."""
    return decode_hot(client().get(key(session_id, "hot")))


def decode_hot(raw: bytes | None) -> dict[str, Any] | None:
    """Decode a stored hot state (None if Redis has lost it)."""
    return json.loads(raw) if raw else None


def decode_play(raw: bytes | None) -> dict[str, Any]:
    """Decode a stored play state (paused at the default speed when there is none)."""
    return json.loads(raw) if raw else {"playing": False, "speed": DEFAULT_SPEED}


def store_play(session_id: str, playing: bool, speed: float) -> dict[str, Any]:
    """Save Redis's working copy of the play state (dashboard/controller.py ``set_play`` keeps the durable one)."""
    state = {"playing": playing, "speed": speed}
    client().set(key(session_id, "play"), json.dumps(state))
    return state


DEFAULT_SPEED = 0.05
"""Virtual milliseconds per wall millisecond when playing: a 20 ms message takes 0.4 s to cross."""

MAX_SPEED = 0.0
"""Speed 0 means: as fast as the machinery goes, events batched per task."""


def mark_failed(session_id: str) -> None:
    """Note in Redis that a session failed, so that planning stops without asking the database."""
    client().set(key(session_id, "failed"), "1")


def forget(session_id: str) -> None:
    """Drop everything Redis holds for a session (it is all rebuildable)."""
    r = client()
    for name in ("hot", "queue", "inflight", "play", "failed"):
        r.delete(key(session_id, name))
