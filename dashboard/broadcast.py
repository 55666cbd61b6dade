"""Publishing to a session's watchers: one group per session, one helper around group_send.

The channel layer delivers at most once and drops silently when a reader is
full, so every message carries the session's generation and seq; clients
that see a gap ask for a resync (see docs/websocket-protocol.md).

Publishing runs on one long-lived event loop per process, in a thread of its
own. Measured here (bench/live.py): ``async_to_sync(group_send)`` per call
started a thread, a loop and a Redis connection each time, 4.3 ms a call in
a worker; the loop kept alive brings it to about 2 ms. A step publishes one
group message (its events and the hot state after them), not two.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import Any

from channels.layers import get_channel_layer

MAX_EVENTS_PER_FRAME = 500
"""Events in one websocket frame: keeps a frame well under Daphne's 1 MiB limit."""

SEND_TIMEOUT_S = 10.0
"""A publish that takes longer than this is abandoned: delivery is at most once anyway."""

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_loop_lock = threading.Lock()


def group_name(session_id: str) -> str:
    """Return the channel-layer group of a session."""
    return f"session.{session_id}"


def _publishing_loop() -> asyncio.AbstractEventLoop:
    """Return this process's publishing loop, starting it (again, after a fork) if needed."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():  # A forked pool child has no loop thread.
            _loop, _loop_pid = asyncio.new_event_loop(), os.getpid()
            threading.Thread(target=_loop.run_forever, name="broadcast-loop", daemon=True).start()
        return _loop


def send(session_id: str, message: dict[str, Any]) -> None:
    """Send one message to every consumer watching a session (at most once)."""
    layer = get_channel_layer()
    if layer is None:
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group_name(session_id), message),
                                              _publishing_loop())
    future.result(timeout=SEND_TIMEOUT_S)


def events(session_id: str, generation: int, batch: list[dict[str, Any]], hot: dict[str, Any]) -> None:
    """Publish a step's events (split into frames), the last frame carrying the hot state after them.

    The websocket frames are encoded here, once, not once per watcher: with
    200 watchers, ``json.dumps`` of a 30 KB hot state in every consumer was a
    quarter of Daphne's CPU (bench/live.py). A consumer forwards ``text`` as
    it is when the frame follows what it sent last, and splices ``hot_json``
    into its hot frame; otherwise it fills the gap from the database.
    """
    chunks = [batch[start:start + MAX_EVENTS_PER_FRAME] for start in range(0, len(batch), MAX_EVENTS_PER_FRAME)]
    for index, chunk in enumerate(chunks or [[]]):
        message: dict[str, Any] = {"type": "lab.events", "generation": generation}
        if chunk:
            message.update(first=chunk[0]["seq"], last=chunk[-1]["seq"], text=events_frame(generation, chunk))
        if index == len(chunks or [[]]) - 1:
            message["hot_json"] = json.dumps(hot, ensure_ascii=False)
        send(session_id, message)


def events_frame(generation: int, events: list[dict[str, Any]]) -> str:
    """Return the websocket frame that carries ``events`` (docs/websocket-protocol.md, ``events``)."""
    return json.dumps({"type": "events", "generation": generation, "from_seq": events[0]["seq"],
                       "seq": events[-1]["seq"], "events": events}, ensure_ascii=False)


def hot_frame(generation: int, seq: int, hot_json: str) -> str:
    """Return the websocket ``hot`` frame around an already encoded hot state."""
    return f'{{"type": "hot", "generation": {generation}, "seq": {seq}, "hot": {hot_json}}}'


def status(session_id: str, fields: dict[str, Any]) -> None:
    """Publish a change of the session's status (play, speed, failure, reset)."""
    send(session_id, {"type": "lab.status", **fields})
