"""The session websocket: a thin relay between browsers and the controller.

Watchers receive every event of the session in seq order; the controller
(a connection that presented the control token in its hello) may also step,
play, pause, change speed, reset and send engine commands. Steps arrive from
the workers through the session hub (dashboard/hub.py), at most once: gaps
are filled from the database before forwarding, and a client may always ask
for a resync. See docs/websocket-protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch
from django import db
from django.conf import settings
from redis.exceptions import RedisError

from dashboard import broadcast, classroom, controller, hotstate, hub, questions, sessions, stepper
from dashboard.models import Session
from dashboard.runners import CeleryRunner, InProcessRunner
from dashboard.wsproto import CONTROL_TYPES, ByteBudget, TokenBucket, parse
from protocols.sim.commands import CommandError

MAX_RESYNC_EVENTS = 5000
"""Events sent for one hello or resync; a client further behind asks again from where it got to."""

CLOSE_NO_SESSION = 4404

SUMMARY_EVERY_S = 1.0
"""How often a page that asked for summaries (the compare page's frames) is looked at for a new one."""

RUN_TYPES = {"step", "play", "speed", "reset", "command"}
"""Control messages that run the protocol: refused once the teacher has ended the class."""


def runner() -> controller.Runner:
    """Return the runner configured for this deployment."""
    return InProcessRunner() if settings.PROTOLAB_RUNNER == "inprocess" else CeleryRunner()


class SessionConsumer(AsyncWebsocketConsumer):
    """One browser tab watching (and perhaps controlling) one session."""

    session_id: str
    generation: int = 0
    sent_seq: int = -1
    role: str = "watcher"
    greeted: bool = False
    ended: bool = False
    member: dict[str, Any] | None = None
    """How this socket is counted in the audience (see dashboard/classroom.py), once greeted."""
    audience_sent: Any = None
    votes_sent: Any = None
    ticker: asyncio.Task[None] | None = None
    summary_ticker: asyncio.Task[None] | None = None
    """Set once the hello asked for summaries: a tick every SUMMARY_EVERY_S in this socket's inbox."""
    summary_sent: Any = None
    pending_view: dict[str, Any] | None = None
    """The teacher's newest view not yet stored (see on_view)."""
    view_writer: asyncio.Task[None] | None = None
    degraded: bool = False
    """This socket was told Redis is away (and will be told when it is back)."""
    voter: str = ""
    """Who answers questions from this socket: the browser's client id (one answer per student)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the consumer on two sources, in one order: the socket, and the session hub's inbox.

        Channels' own channel layer is not used (see dashboard/hub.py for why);
        messages from the hub are dispatched by the same loop as the socket's,
        so handlers never interleave.
        """
        self.scope = scope
        self.channel_layer = None
        self.inbox: hub.Inbox = hub.Inbox(maxsize=hub.INBOX_SIZE)
        self.base_send = send
        try:
            with contextlib.suppress(StopConsumer):
                await await_many_dispatch([receive, self.inbox.get], self.dispatch)
        finally:  # However the socket ended (a handler raising included), it leaves the hub and the audience.
            await self._forget()

    async def connect(self) -> None:
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        self.bucket = TokenBucket()
        self.resync_budget = ByteBudget()
        session = await _get_session(self.session_id)
        if session is None:  # Accepted, then closed with a code that says why (a refused handshake cannot).
            await self.accept()
            await self.close(code=CLOSE_NO_SESSION)
            return
        self.generation = session.generation
        self.ended = session.ended_at is not None
        self.conn = uuid.uuid4().hex
        classroom.ensure_heartbeat()
        await hub.hub().join(self.session_id, self.inbox)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self._forget()

    async def _forget(self) -> None:
        """Leave the hub and the audience, and stop the ticker (twice is harmless)."""
        if getattr(self, "session_id", None):
            hub.hub().leave(self.session_id, self.inbox)
        for ticker in (self.ticker, self.summary_ticker):
            if ticker is not None:
                ticker.cancel()
        # A view writer still storing finishes by itself: the teacher's last view must still reach the class.
        self.ticker = self.summary_ticker = None
        if self.member is not None:
            self.member = None
            with contextlib.suppress(RedisError, OSError):
                await asyncio.to_thread(classroom.leave, self.session_id, self.conn)

    # ------------------------------------------------------- from the client

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.allow(time.monotonic()):
            await self._error("rate_limited", "too many messages; slow down")
            return
        try:
            message = parse(text_data, bytes_data)
            if message["type"] != "hello" and not self.greeted:
                raise CommandError("hello_first", "say hello (with the last seq you saw) first")
            if message["type"] in CONTROL_TYPES and self.role != "controller":
                raise CommandError("forbidden", "you are watching this session; only its controller may change it")
            if message["type"] in RUN_TYPES and self.ended:
                raise CommandError("ended", "the teacher ended this class; fork it (Try it yourself) to go on")
            await getattr(self, "on_" + message["type"])(message)
        except CommandError as exc:
            await self._error(exc.code, exc.text)
        except (RedisError, OSError) as exc:  # Redis restarting: nothing changed, the client may retry.
            await self._error("unavailable", f"the lab's Redis is unavailable ({exc.__class__.__name__}); retry")
            await self._degraded(True)

    async def on_hello(self, message: dict[str, Any]) -> None:
        session = await _get_session(self.session_id)
        if session is None:
            await self.close(code=CLOSE_NO_SESSION)
            return
        if "token" in message:
            if not sessions.may_control(session, message["token"]):
                raise CommandError("bad_token", "that control token is not this session's")
            self.role = "controller"
        self.greeted = True
        self.generation = session.generation
        last = message.get("last_seq", -1) if message.get("generation", self.generation) == self.generation else -1
        info = await database_sync_to_async(sessions.describe)(session)
        self.sent_seq = max(-1, last)
        view = await asyncio.to_thread(classroom.load_view, self.session_id)
        you = {"name": message.get("name", "").strip(), "animal": classroom.anonymous_name(message.get("client", ""))}
        self.voter = message.get("client") or self.conn
        asked, notes = await database_sync_to_async(self._class_material)(session)
        await self._send({"type": "welcome", "role": self.role, "session": info, "generation": self.generation,
                          "seq": info["seq"], "view": view, "you": you, "question": asked, "notes": notes})
        self.member = {**you, "role": self.role, "following": message.get("following", True)}
        await asyncio.to_thread(classroom.enter, self.session_id, self.conn, self.member)
        if self.role == "controller" and self.ticker is None:
            self.ticker = asyncio.get_running_loop().create_task(self._tick(), name="audience-ticker")
        if message.get("summaries") and self.summary_ticker is None:
            self.summary_sent = None  # A page saying hello again gets the figures again.
            self.summary_ticker = asyncio.get_running_loop().create_task(
                self._tick("lab.summary", SUMMARY_EVERY_S), name="summary-ticker")
        await self._catch_up(session, self.sent_seq)
        hot = await database_sync_to_async(stepper.hot_or_rebuild)(session)
        await self._send({"type": "hot", "generation": self.generation, "seq": self.sent_seq, "hot": hot})

    async def on_resync(self, message: dict[str, Any]) -> None:
        if not self.resync_budget.allow(time.monotonic()):
            raise CommandError("rate_limited", "resyncs are limited to 512 KiB a second per connection; "
                               "ask again from the last seq you hold")
        session = await _get_session(self.session_id)
        if session is not None:
            self.sent_seq = max(-1, message["from_seq"])
            self.resync_budget.spend(await self._catch_up(session, self.sent_seq))

    async def on_ping(self, message: dict[str, Any]) -> None:
        # A ping is also a nudge: a step whose broker message was lost is sent again.
        await database_sync_to_async(controller.kick)(self.session_id, runner())
        hot = await database_sync_to_async(hotstate.load)(self.session_id)
        await self._send({"type": "pong", "seq": hot["seq"] if hot else self.sent_seq, "generation": self.generation})
        await self._degraded(False)

    async def on_step(self, message: dict[str, Any]) -> None:
        await self._submit({"cmd": "step"})

    async def on_command(self, message: dict[str, Any]) -> None:
        await self._submit(message["command"])

    async def on_play(self, message: dict[str, Any]) -> None:
        await self._set_play(playing=True)

    async def on_pause(self, message: dict[str, Any]) -> None:
        await self._set_play(playing=False)

    async def on_speed(self, message: dict[str, Any]) -> None:
        await self._set_play(speed=float(message["value"]))

    async def on_view(self, message: dict[str, Any]) -> None:
        """Store and publish the teacher's view, beside the loop: views sent while one is being stored
        are coalesced (the newest is stored next, the others are superseded), so the lag stays one
        store whatever the load instead of a queue of views (bench/classroom.py: 38 s behind at load 15)."""
        self.pending_view = message["view"]
        if self.view_writer is None or self.view_writer.done():
            self.view_writer = asyncio.get_running_loop().create_task(self._write_views(), name="view-writer")

    async def _write_views(self) -> None:
        while self.pending_view is not None:
            view, self.pending_view = self.pending_view, None
            try:
                await asyncio.to_thread(classroom.store_view, self.session_id, view)
            except (RedisError, OSError) as exc:  # Reported in order with everything else, by the loop.
                with contextlib.suppress(asyncio.QueueFull):
                    self.inbox.put_nowait({"type": "lab.view_failed", "why": exc.__class__.__name__})
                return

    async def lab_view_failed(self, message: dict[str, Any]) -> None:
        await self._error("unavailable", f"the lab's Redis is unavailable ({message['why']}); retry")
        await self._degraded(True)

    async def on_presence(self, message: dict[str, Any]) -> None:
        if self.member is None:  # Its hello failed half-way (Redis away): it says hello again on reconnect.
            return
        self.member = {**self.member, "following": message["following"]}
        if "name" in message:
            self.member["name"] = message["name"].strip()
        await asyncio.to_thread(classroom.enter, self.session_id, self.conn, self.member)

    async def on_end(self, message: dict[str, Any]) -> None:
        session = await _get_session(self.session_id)
        if session is not None:
            await database_sync_to_async(classroom.end)(session)

    async def on_ask(self, message: dict[str, Any]) -> None:
        session = await _get_session(self.session_id)
        if session is not None:
            await database_sync_to_async(questions.ask)(session, message["question"])

    async def on_close_question(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(questions.close)(self.session_id, message["id"])

    async def on_reveal(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(questions.reveal)(self.session_id, message["id"], runner())

    async def on_answer(self, message: dict[str, Any]) -> None:
        name = (self.member or {}).get("name", "")
        await database_sync_to_async(questions.vote)(self.session_id, message["id"], self.voter, name,
                                                     message["choice"])
        await self._send({"type": "answered", "generation": self.generation, "seq": self.sent_seq,
                          "id": message["id"], "choice": message["choice"]})

    async def on_note(self, message: dict[str, Any]) -> None:
        session = await _get_session(self.session_id)
        if session is not None:
            await database_sync_to_async(questions.add_note)(session, message["seq"], message["text"])

    async def on_unnote(self, message: dict[str, Any]) -> None:
        session = await _get_session(self.session_id)
        if session is not None:
            await database_sync_to_async(questions.remove_note)(session, message["id"])

    def _class_material(self, session: Session) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Return the question a page opened now shows (with this socket's answer, or the key) and the notes."""
        asked = questions.current(session)
        shown = None
        if asked is not None:
            shown = questions.public(asked)
            if self.role == "controller":
                shown.update(questions.key(asked))
            shown["mine"] = questions.mine(asked, self.voter)
        return shown, questions.notes(session)

    async def on_reset(self, message: dict[str, Any]) -> None:
        session = await _get_session(self.session_id)
        if session is not None:
            await database_sync_to_async(controller.set_play)(self.session_id, playing=False)
            await database_sync_to_async(sessions.reset)(session)

    async def _submit(self, command: dict[str, Any]) -> None:
        for node in _nodes_named(command):
            hot = await database_sync_to_async(hotstate.load)(self.session_id)
            if hot is not None and node not in hot["nodes"]:
                raise CommandError("unknown_node", f"no node {node!r}; nodes: {', '.join(hot['nodes'])}")
        accepted = await database_sync_to_async(controller.submit)(self.session_id, command, runner())
        if not accepted:
            raise CommandError("busy", "too many commands are waiting; try again shortly")

    async def _set_play(self, playing: bool | None = None, speed: float | None = None) -> None:
        state = await database_sync_to_async(controller.set_play)(self.session_id, playing, speed)
        await database_sync_to_async(broadcast.status)(self.session_id, {"play": state})
        if state["playing"]:
            await database_sync_to_async(controller.kick)(self.session_id, runner())

    # ----------------------------------------------------- from the hub

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Handle a message; the hub's messages and the client's frames skip Channels' database cleanup.

        ``AsyncConsumer.dispatch`` awaits ``aclose_old_connections()`` (a hop to
        the one sync thread) before every message: 10-12% of Daphne's CPU with
        200 watchers (bench/live.py), and the controller's commands queued
        behind those hops; the teacher's views fell behind under load that way
        (bench/classroom.py). Every handler here touches the database only
        through ``database_sync_to_async``, which closes old connections itself.
        """
        kind = message["type"]
        handler = getattr(self, kind.replace(".", "_"), None) if kind.startswith("lab.") else None
        if handler is not None:
            await handler(message)
            return
        if kind == "websocket.receive":
            await self.websocket_receive(message)
            return
        await super().dispatch(message)

    async def lab_events(self, message: dict[str, Any]) -> None:
        """Forward a step's events (filling any gap first), then the hot state that came with them."""
        if not self.greeted or message["generation"] != self.generation:
            return
        if "text" in message:
            if message["first"] == self.sent_seq + 1:  # The usual case: forward the frame as it was encoded.
                await self.send(text_data=message["text"])
                self.sent_seq = message["last"]
            elif message["last"] > self.sent_seq:  # Something was lost on the way (or we are mid-resync).
                session = await _get_session(self.session_id)
                if session is not None:
                    await self._catch_up(session, self.sent_seq, upto=message["last"])
        hot_json = message.get("hot_json")
        if hot_json is not None:
            await self.send(text_data=broadcast.hot_frame(self.generation, self.sent_seq, hot_json))

    async def lab_view(self, message: dict[str, Any]) -> None:
        """Forward the controller's newest view to every page (followers apply it; the controller's own
        ignore it); views that arrived meanwhile were coalesced by the inbox (hub.Inbox)."""
        message = self.inbox.take_view(message)
        if self.greeted and "view" in message:
            await self._send({"type": "view", "generation": self.generation, "seq": self.sent_seq,
                              "view": message["view"]})

    async def lab_question(self, message: dict[str, Any]) -> None:
        """Forward a question; its right answer goes to the controller only until it is revealed."""
        if self.greeted:
            shown = {**message["question"], **(message["key"] if self.role == "controller" else {})}
            await self._send({"type": "question", "generation": self.generation, "seq": self.sent_seq,
                              "question": shown})

    async def lab_notes(self, message: dict[str, Any]) -> None:
        if self.greeted:
            await self._send({"type": "notes", "generation": self.generation, "seq": self.sent_seq,
                              "notes": message["notes"]})

    async def lab_tick(self, message: dict[str, Any]) -> None:
        """Tell the controller its audience, its class's sandboxes and the votes, when they changed."""
        try:
            audience = await asyncio.to_thread(classroom.audience, self.session_id)
            audience["sandboxes"] = await database_sync_to_async(classroom.sandboxes)(self.session_id)
            votes = await database_sync_to_async(questions.votes)(self.session_id)
        except (RedisError, OSError):  # Redis restarting: tell the teacher next time.
            return
        if audience != self.audience_sent:
            self.audience_sent = audience
            await self._send({"type": "audience", "generation": self.generation, "seq": self.sent_seq, **audience})
        if votes is not None and votes != self.votes_sent:
            self.votes_sent = votes
            await self._send({"type": "votes", "generation": self.generation, "seq": self.sent_seq, **votes})

    async def lab_summary(self, message: dict[str, Any]) -> None:
        """Send the session's summary figures when this page got events they do not count yet.

        From ``sessions.summary``: cached in Redis by seq and computed again at most every few seconds
        however many pages ask, so a tick costs a couple of Redis reads while nothing moves. When it is
        computed (a replay of the whole log: seconds for 40,000 events) that happens in a thread of its own,
        not in the web process's one sync thread, where every socket's database work would wait behind it.
        """
        sent = self.summary_sent
        if not self.greeted or (sent is not None and sent["seq"] >= self.sent_seq
                                and sent["generation"] == self.generation):
            return
        try:
            body = await sync_to_async(_summary_aside, thread_sensitive=False)(self.session_id)
        except (RedisError, OSError):  # Redis restarting: next tick.
            return
        if body is None:
            return
        if sent is None or body != sent["body"]:
            await self._send({"type": "summary", "generation": self.generation, "seq": self.sent_seq,
                              "summary": body})
        self.summary_sent = {"seq": body["seq"], "generation": self.generation, "body": body}

    async def _tick(self, kind: str = "lab.tick", every: float = classroom.AUDIENCE_EVERY_S) -> None:
        """Put a ``kind`` tick in this socket's inbox every ``every`` s (handled in order with everything else)."""
        while True:
            with contextlib.suppress(asyncio.QueueFull):
                self.inbox.put_nowait({"type": kind})
            await asyncio.sleep(every)

    async def lab_status(self, message: dict[str, Any]) -> None:
        fields = {k: v for k, v in message.items() if k != "type"}
        if fields.get("ended"):
            self.ended = True
        if fields.get("reset"):
            self.generation, self.sent_seq = fields["generation"], -1
        if self.greeted:
            await self._send({"type": "status", "generation": self.generation, "seq": self.sent_seq, **fields})
            if fields.get("reset"):  # The new generation's boot events were stored before this status.
                session = await _get_session(self.session_id)
                if session is not None:
                    await self._catch_up(session, 0)

    async def lab_error(self, message: dict[str, Any]) -> None:
        if self.role == "controller":
            await self._error(message["code"], message["message"], command=message.get("command"))

    # ------------------------------------------------------------ helpers

    async def _catch_up(self, session: Session, after: int, upto: int | None = None) -> int:
        """Send the stored events after ``after`` (up to ``upto``); return how many bytes that was."""
        events = await database_sync_to_async(sessions.events_after)(session, after, MAX_RESYNC_EVENTS)
        if upto is not None:
            events = [e for e in events if e["seq"] <= upto]
        sent = 0
        for start in range(0, len(events), broadcast.MAX_EVENTS_PER_FRAME):
            sent += await self._send_events(events[start:start + broadcast.MAX_EVENTS_PER_FRAME])
        return sent

    async def _send_events(self, events: list[dict[str, Any]]) -> int:
        if not events:
            return 0
        sent = await self._send({"type": "events", "generation": self.generation, "from_seq": events[0]["seq"],
                                 "seq": events[-1]["seq"], "events": events})
        self.sent_seq = events[-1]["seq"]
        return sent

    async def _degraded(self, on: bool) -> None:
        """Tell this page when Redis goes away and when it is back (play resumes by itself meanwhile)."""
        if on != self.degraded and self.greeted:
            self.degraded = on
            await self._send({"type": "status", "generation": self.generation, "seq": self.sent_seq,
                              "degraded": "redis" if on else None})

    async def _error(self, code: str, text: str, **extra: Any) -> None:
        await self._send({"type": "error", "code": code, "message": text, "seq": self.sent_seq, **extra})

    async def _send(self, message: dict[str, Any]) -> int:
        text = json.dumps(message, ensure_ascii=False)
        await self.send(text_data=text)
        return len(text)


def _summary_aside(session_id: str) -> dict[str, Any] | None:
    """Return ``sessions.summary`` of a session, in a pool thread with its own database connection."""
    try:
        session = Session.objects.filter(id=session_id).first()
        return sessions.summary(session) if session is not None else None
    finally:
        db.connection.close()  # This thread is not the sync thread: nobody else would close it.


def _nodes_named(command: dict[str, Any]) -> list[str]:
    """Return the node names a command mentions (checked at the edge against the session's nodes)."""
    names = [command["node"]] if "node" in command else []
    for group in command.get("groups", []):
        names += group if isinstance(group, list) else [group]
    return [str(n) for n in names]


@database_sync_to_async
def _get_session(session_id: str) -> Session | None:
    return Session.objects.filter(id=session_id).first()


