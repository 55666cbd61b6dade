"""A websocket client for live tests: keeps the complete log, repairs gaps, reconnects.

It behaves as the browser must: every frame's seq is checked, a gap asks for
a resync, a dropped connection reconnects and says the last seq it saw. The
tests wait for conditions on what it has received; they never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import websockets

T = TypeVar("T")

RECONNECT_DELAYS_S = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0)

_OPEN: set[LabClient] = set()
"""Clients not yet closed: run_live closes them even when a test fails midway."""


def run_live(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a test's async scenario; close every client it opened, pass or fail, inside the loop."""

    async def guarded() -> T:
        try:
            return await scenario
        finally:
            for client in list(_OPEN):
                await client.close()

    return asyncio.run(guarded())


class LabClient:
    """One websocket connection to a session, as a watcher or (with a token) the controller."""

    def __init__(self, ws_url: str, origin: str, token: str | None = None) -> None:
        self.ws_url, self.origin, self.token = ws_url, origin, token
        self.events: dict[int, dict[str, Any]] = {}
        self.generation = 0
        self.role: str | None = None
        self.hot: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.degraded: list[str | None] = []
        """Each degraded status the server sent ('redis' while Redis is away, None when it is back)."""
        self.failures: list[str] = []
        self._tasks: set[asyncio.Future[None]] = set()
        self.reconnects = 0
        self.latencies: list[float] = []
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.closed = False
        _OPEN.add(self)

    @property
    def last_seq(self) -> int:
        """Return the highest seq such that every event up to it has arrived."""
        seq = 0
        while seq + 1 in self.events:
            seq += 1
        return seq

    def log(self) -> list[dict[str, Any]]:
        """Return the contiguous log received so far."""
        return [self.events[s] for s in range(1, self.last_seq + 1)]

    async def connect(self) -> None:
        """Open the connection and say hello with the last seq seen."""
        self._ws = await websockets.connect(self.ws_url, origin=self.origin, max_size=2**22)
        hello: dict[str, Any] = {"type": "hello", "last_seq": self.last_seq, "generation": self.generation}
        if self.token:
            hello["token"] = self.token
        await self._ws.send(json.dumps(hello))
        self._reader = asyncio.create_task(self._read())

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message (waiting for a reconnect if the connection is down)."""
        for delay in (0, *RECONNECT_DELAYS_S * 5):
            await asyncio.sleep(delay)
            try:
                await self._ws.send(json.dumps(message))
                return
            except websockets.ConnectionClosed:
                continue
        raise ConnectionError("could not send: the server stayed away")

    async def _read(self) -> None:
        while not self.closed:
            try:
                async for raw in self._ws:
                    try:
                        self._handle(json.loads(raw), time.monotonic())
                    except Exception as exc:  # Surface it in wait_for instead of dying silently.
                        self.failures.append(f"{exc.__class__.__name__}: {exc}")
            except (websockets.ConnectionClosed, OSError):
                pass
            if self.closed:
                return
            await self._reconnect()

    async def _reconnect(self) -> None:
        for attempt in range(200):
            await asyncio.sleep(RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)])
            try:
                self._ws = await websockets.connect(self.ws_url, origin=self.origin, max_size=2**22)
            except (OSError, websockets.InvalidHandshake):
                continue
            self.reconnects += 1
            hello: dict[str, Any] = {"type": "hello", "last_seq": self.last_seq, "generation": self.generation}
            if self.token:
                hello["token"] = self.token
            await self._ws.send(json.dumps(hello))
            return
        self.closed = True

    def _handle(self, message: dict[str, Any], now: float) -> None:
        kind = message["type"]
        if kind == "welcome":
            self.role = message["role"]
            if message["generation"] != self.generation:
                self.generation, self.events = message["generation"], {}
        elif kind == "events":
            for event in message["events"]:
                if event["seq"] in self.events and self.events[event["seq"]] != event:
                    raise AssertionError(f"seq {event['seq']} arrived twice with different contents")
                self.events[event["seq"]] = event
            if message["from_seq"] > self.last_seq + 1:
                self._resync()
        elif kind == "hot":
            self.hot = message["hot"]
            if self.hot["seq"] > self.last_seq:
                self._resync()
        elif kind == "pong" and message["seq"] > self.last_seq:
            self._resync()
        elif kind == "error":
            self.errors.append(message)
        elif kind == "status" and message.get("reset"):
            self.generation, self.events = message["generation"], {}
        if kind == "status" and "degraded" in message:
            self.degraded.append(message["degraded"])
        self._changed.set()

    def _resync(self) -> None:
        """Ask for what is missing (in the background: this runs inside the reader)."""
        task = asyncio.ensure_future(self.send({"type": "resync", "from_seq": self.last_seq}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_for(self, predicate: Callable[[LabClient], bool], timeout: float = 30.0,
                       ping_every: float = 1.0) -> None:
        """Wait until ``predicate(self)`` holds, pinging now and then so lost tails are noticed."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if self.failures:
                raise AssertionError("the client saw something wrong: " + "; ".join(self.failures[:3]))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met in {timeout} s; last_seq={self.last_seq} "
                                   f"hot_seq={self.hot.get('seq')} errors={self.errors[-3:]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(ping_every, remaining))
            except TimeoutError:
                with contextlib.suppress(websockets.ConnectionClosed, AttributeError):
                    await self._ws.send(json.dumps({"type": "ping"}))

    async def close(self) -> None:
        """Close the connection for good."""
        _OPEN.discard(self)
        self.closed = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
