"""Publishing to a session's watchers: one group per session, one helper around group_send.

The channel layer delivers at most once and drops silently when a reader is
full, so every message carries the session's generation and seq; clients
that see a gap ask for a resync (see docs/websocket-protocol.md).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

MAX_EVENTS_PER_FRAME = 500
"""Events in one websocket frame: keeps a frame well under Daphne's 1 MiB limit."""


def group_name(session_id: str) -> str:
    """Return the channel-layer group of a session."""
    return f"session.{session_id}"


def send(session_id: str, message: dict[str, Any]) -> None:
    """Send one message to every consumer watching a session (at most once)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_name(session_id), message)


def events(session_id: str, generation: int, batch: list[dict[str, Any]], hot: dict[str, Any]) -> None:
    """Publish a step's events (split into frames) and the hot state after them."""
    for start in range(0, len(batch), MAX_EVENTS_PER_FRAME):
        chunk = batch[start:start + MAX_EVENTS_PER_FRAME]
        send(session_id, {"type": "lab.events", "generation": generation, "events": chunk})
    send(session_id, {"type": "lab.hot", "hot": hot})


def status(session_id: str, fields: dict[str, Any]) -> None:
    """Publish a change of the session's status (play, speed, failure, reset)."""
    send(session_id, {"type": "lab.status", **fields})
