"""The session fan-out: one Redis subscription per web process, sockets served from memory.

Why not Channels' groups. channels_redis copies a group message into the
channel of every member, in Redis, and a Daphne process pops them one round
trip at a time: 200 watchers at 20 steps/s are 4,000 round trips a second,
and bench/live.py (c) saw deliveries fall seconds behind with Daphne at a
third of a core, waiting. Here a worker PUBLISHes a step once; each web
process receives it once (a pattern subscription to every session) and puts
it in the inbox of each of its sockets watching that session, in memory.

Delivery stays at most once, as with the channel layer: a message published
while a process is reconnecting to Redis is lost, and a full inbox drops the
newest. The consumers number everything by seq and fill gaps from the
database (dashboard/consumers.py), so loss costs a resync, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

INBOX_SIZE = 1000
"""Messages one socket may have waiting; past this its consumer is too slow and catches up by seq."""

JOIN_WAIT_S = 5.0
"""How long a new socket waits for the subscription before it goes on without."""

RECONNECT_MAX_S = 2.0
"""Longest wait between attempts to subscribe again after Redis went away."""


def channel(session_id: str) -> str:
    """Return the Redis pub/sub channel of a session."""
    return f"{settings.PROTOLAB_PREFIX}:session:{session_id}"


def encode(message: dict[str, Any]) -> str:
    """Encode a message for the wire between the workers and the web processes."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Inbox(asyncio.Queue[dict[str, Any]]):
    """A socket's inbox: messages in order, except the teacher's views, of which only the newest matters.

    A view arriving while an earlier one still waits replaces it in place (one marker in the queue, the
    newest view beside it), so a socket that falls behind under load shows the teacher's position of
    now rather than working through a backlog of old ones: bench/classroom.py saw views seconds late
    at a load of 15 on two cores, queued behind each other.
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.view: dict[str, Any] | None = None

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message (a view replaces one still waiting); raise QueueFull when the inbox is full."""
        if message.get("type") != "lab.view":
            self.put_nowait(message)
            return
        waiting = self.view is not None
        self.view = message
        if not waiting:
            try:
                self.put_nowait({"type": "lab.view"})  # The marker: its handler takes the newest view.
            except asyncio.QueueFull:
                self.view = None
                raise

    def take_view(self, marker: dict[str, Any]) -> dict[str, Any]:
        """Return the newest view waiting (the marker itself if none was offered through :meth:`offer`)."""
        view, self.view = self.view, None
        return view if view is not None else marker


class Hub:
    """This event loop's subscription and the inboxes of its sockets, by session."""

    def __init__(self) -> None:
        self.members: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self.dropped = 0
        self.ready = asyncio.Event()
        """Set while the subscription is active: a socket joining now misses nothing published after."""
        self._task: asyncio.Task[None] | None = None
        self._prefix = channel("")

    async def join(self, session_id: str, inbox: asyncio.Queue[dict[str, Any]]) -> None:
        """Deliver the session's messages to ``inbox`` from now on (once subscribed, or after a wait)."""
        self.members.setdefault(session_id, set()).add(inbox)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="session-hub")
        # If Redis is away the socket still opens, and catches up by seq once it is back.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), JOIN_WAIT_S)

    def leave(self, session_id: str, inbox: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop delivering to ``inbox``."""
        members = self.members.get(session_id)
        if members is not None:
            members.discard(inbox)
            if not members:
                del self.members[session_id]

    def deliver(self, session_id: str, message: dict[str, Any]) -> None:
        """Put a message in the inbox of every local socket of the session (drop where full)."""
        for inbox in self.members.get(session_id, ()):
            try:
                if isinstance(inbox, Inbox):
                    inbox.offer(message)
                else:
                    inbox.put_nowait(message)
            except asyncio.QueueFull:
                self.dropped += 1

    async def _listen(self) -> None:
        wait = 0.1
        while True:
            # The health check pings an idle subscription, so a connection that died silently is noticed.
            client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, health_check_interval=15)
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe(self._prefix + "*")
                while True:
                    item = await pubsub.get_message(timeout=30.0)
                    if item is None:
                        continue
                    if item["type"] == "psubscribe":
                        self.ready.set()
                        wait = 0.1
                    if item["type"] != "pmessage":
                        continue
                    session_id = item["channel"].decode()[len(self._prefix):]
                    if session_id in self.members:  # Decode only what a local socket watches.
                        self.deliver(session_id, json.loads(item["data"]))
            except (RedisError, OSError) as exc:
                log.warning("session hub lost Redis (%s); subscribing again in %.1f s", exc, wait)
            finally:
                self.ready.clear()
                await _quietly(pubsub.aclose())
                await _quietly(client.aclose())
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_MAX_S)


async def _quietly(closing: Any) -> None:
    with contextlib.suppress(RedisError, OSError):
        await closing


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """Return the running event loop's hub (one per web process; tests may run several loops)."""
    loop = asyncio.get_running_loop()
    for old in [old for old in _hubs if old.is_closed()]:
        del _hubs[old]
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
