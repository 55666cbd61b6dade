"""Publishing to a session's watchers: one Redis PUBLISH per message, fanned out by dashboard/hub.py.

Delivery is at most once (a web process reconnecting to Redis misses what
was published meanwhile), so every message carries the session's generation
and seq; consumers fill gaps from the database and clients that see a gap
ask for a resync (see docs/websocket-protocol.md).

A publish is a plain synchronous Redis command: about 0.1 ms, where Channels'
``group_send`` from a worker took 2 to 4.3 ms a call (bench/live.py). A step
publishes one message (its events and the hot state after them), not two.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError

from dashboard import hotstate, hub

log = logging.getLogger(__name__)

MAX_EVENTS_PER_FRAME = 500
"""Events in one websocket frame: keeps a frame well under Daphne's 1 MiB limit."""


def send(session_id: str, message: dict[str, Any], hot_json: str | None = None) -> None:
    """Send one message to every socket watching a session (at most once); then store ``hot_json``, if given.

    Both go in one round trip (a pipeline): publishing first, so the watchers
    hear of a step before anything else is done for it.
    """
    pipe = hotstate.client().pipeline(transaction=False)
    pipe.publish(hub.channel(session_id), hub.encode(message))
    if hot_json is not None:
        hotstate.store_encoded(session_id, hot_json, pipe)
    try:
        pipe.execute()
    except RedisError as exc:  # The log is in the database: watchers catch up when Redis is back.
        log.warning("could not publish to session %s: %s", session_id, exc)
        if hot_json is not None:
            raise  # The hot state must not silently lag: the task fails, the controller re-plans.


def encode(event: dict[str, Any]) -> str:
    """Return one event as JSON: the same text goes to the database and into the watchers' frames."""
    return json.dumps(event, ensure_ascii=False)


def events(session_id: str, generation: int, batch: list[dict[str, Any]], hot: dict[str, Any],
           then_store_hot: bool = False, texts: list[str] | None = None) -> None:
    """Publish a step's events (split into frames), the last frame carrying the hot state after them.

    Everything is encoded here, once: each event (``texts``, when the caller
    already encoded them for the database), the websocket frames around them
    and the hot state, which is stored in Redis as the same text. With 200
    watchers, ``json.dumps`` of a 30 KB hot state in every consumer was a
    quarter of Daphne's CPU (bench/live.py). A consumer forwards ``text`` as
    it is when the frame follows what it sent last, and splices ``hot_json``
    into its hot frame; otherwise it fills the gap from the database.
    """
    texts = texts if texts is not None else [encode(event) for event in batch]
    starts = range(0, len(batch), MAX_EVENTS_PER_FRAME)
    frames = [(batch[start:start + MAX_EVENTS_PER_FRAME], texts[start:start + MAX_EVENTS_PER_FRAME])
              for start in starts] or [([], [])]
    hot_json = json.dumps(hot, ensure_ascii=False)
    for index, (chunk, chunk_texts) in enumerate(frames):
        message: dict[str, Any] = {"type": "lab.events", "generation": generation}
        if chunk:
            message.update(first=chunk[0]["seq"], last=chunk[-1]["seq"],
                           text=events_frame(generation, chunk[0]["seq"], chunk[-1]["seq"], chunk_texts))
        last = index == len(frames) - 1
        if last:
            message["hot_json"] = hot_json
        send(session_id, message, hot_json if last and then_store_hot else None)


def events_frame(generation: int, first: int, last: int, texts: list[str]) -> str:
    """Return the websocket frame carrying events ``first``..``last``, already encoded as ``texts``.

    The text is what ``json.dumps`` gives for the frame of docs/websocket-protocol.md (``events``),
    character for character (tests/dashboard/test_broadcast.py).
    """
    return (f'{{"type": "events", "generation": {generation}, "from_seq": {first}, "seq": {last}, '
            f'"events": [{", ".join(texts)}]}}')


def hot_frame(generation: int, seq: int, hot_json: str) -> str:
    """Return the websocket ``hot`` frame around an already encoded hot state."""
    return f'{{"type": "hot", "generation": {generation}, "seq": {seq}, "hot": {hot_json}}}'


def status(session_id: str, fields: dict[str, Any]) -> None:
    """Publish a change of the session's status (play, speed, failure, reset)."""
    send(session_id, {"type": "lab.status", **fields})
