"""The lock's clients: ZooKeeper's lock recipe over a session, and writes to the store under the lock.

A client keeps its session alive with a ping every ``heartbeat_ms`` (one at
a time: a ping still unanswered is not repeated). If it hears no answer to a
ping for two thirds of the session timeout (ZooKeeper's client read timeout),
or no answer to a request in that time, it counts its connection, and with it
the lock, as lost: Curator's ``SUSPENDED`` and ``LOST``. It stops acting,
closes the session (if the server still has it, its node goes with it), and
opens a new one, at most ``max_sessions`` in a life, to redo the write in hand
under a new lock node and a new token. A session the server says has expired,
and a write the store refuses as fenced, are lost locks the same way.

Every request to the server carries the client's request number ``req``;
an answer to any other number is late (from an abandoned session or attempt)
and is ignored, as is a watch notification for a path the client no longer
watches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, State
from protocols.common.rng import Stream, seed_from_draw
from protocols.zklock.service import PARENT, PREFIX, SERVICE, node_path, sequence_of
from protocols.zklock.store import STORE

TIMERS = ("reply", "retry", "work", "think", "ping", "lost")
"""Every timer a client sets: all cancelled when it abandons a session (a new one sets them again)."""


def client_names(params: Mapping[str, Any]) -> list[str]:
    """Return the clients' names, c1..cN."""
    return [f"c{i}" for i in range(1, params["clients"] + 1)]


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients, then the coordination service, then the store."""
    return {**{c: "client" for c in client_names(params)}, SERVICE: "zk", STORE: "store"}


def suspend_ms(params: Mapping[str, Any]) -> int:
    """Return how long a client waits for an answer before it counts its session lost (2/3 of the timeout)."""
    return max(1, int(params["session_timeout_ms"]) * 2 // 3)


def client_initial(ctx: Context) -> dict[str, Any]:
    """Return a client's state: connected before the run, client i holding session i."""
    index = ctx.nodes_with_role("client").index(ctx.node) + 1
    return {"phase": "thinking", "stream": 0, "session": index, "sessions": 1, "req": 0, "asked": None,
            "pinging": False, "op": 0, "finished": 0, "written": 0, "gave_up": 0, "node": None, "token": None,
            "watching": None, "tries": 0}


def _keepalive(ctx: Context) -> list[Effect]:
    """Start the heartbeat and the suspension timer (neither with ``heartbeat_ms=0``: requests alone)."""
    if ctx.params["heartbeat_ms"] == 0:
        return []
    return [SetTimer(name="ping", delay_ms=ctx.params["heartbeat_ms"]),
            SetTimer(name="lost", delay_ms=suspend_ms(ctx.params))]


def _ask(ctx: Context, state: State, phase: str, type_: str, **body: Any) -> Outcome:
    """Send the next request of this session to the server and wait for its answer in ``phase``."""
    req = state["req"] + 1
    state = {**state, "phase": phase, "req": req, "asked": req}
    effects: list[Effect] = [Send(dest=SERVICE, type=type_, body={"session": state["session"], "req": req, **body})]
    if ctx.params["heartbeat_ms"]:  # Without heartbeats the client suspects nothing: it waits for the answer.
        effects.append(SetTimer(name="reply", delay_ms=suspend_ms(ctx.params)))
    return state, effects


def _answers(state: State, event: Receive) -> bool:
    """Say whether a message answers the request this client is waiting for."""
    return state["asked"] is not None and event.message.body.get("req") == state["asked"]


def _next(ctx: Context, state: State) -> Outcome:
    """Between writes: think before the next one (or begin it now), or close the session when all are done."""
    if state["op"] >= ctx.params["writes_per_client"]:
        effects: list[Effect] = [CancelTimer(name="ping"), CancelTimer(name="lost")]
        if state["session"] is not None:
            effects.insert(0, Send(dest=SERVICE, type="close", body={"session": state["session"]}))
        return {**state, "phase": "done", "session": None, "asked": None, "pinging": False}, effects
    if ctx.params["think_ms"] == 0:
        return begin_write(ctx, state, None, 0)
    stream = Stream(state["stream"])
    delay = stream.between(0, ctx.params["think_ms"])
    return {**state, "phase": "thinking", "stream": stream.state}, [SetTimer(name="think", delay_ms=delay)]


def client_start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: seed the workload's stream, start the heartbeat, and go to the first write."""
    seeded = {**state, "stream": Stream(seed_from_draw(event.draw)).state}
    nexted, effects = _next(ctx, seeded)
    return nexted, [*_keepalive(ctx), *effects]


def begin_write(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Number the write, then take the lock: create an ephemeral sequential node under /lock."""
    state = {**state, "op": state["op"] + 1, "tries": 0}
    asked, effects = _ask(ctx, state, "creating", "create", path=f"{PARENT}/{PREFIX}", mode="ephemeral_sequential")
    return asked, [Persist(record={"type": "op", "op": state["op"]}), *effects]


def created(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The node exists: its path is the client's place in the queue, its czxid the token. List the queue."""
    if not _answers(state, event):
        return state, ()
    body = event.message.body
    state = {**state, "node": str(body["path"]), "token": int(body["czxid"])}
    return _list(ctx, state)


def _list(ctx: Context, state: State) -> Outcome:
    """get_children /lock; the herd variant leaves a watch on the parent with it."""
    herd = ctx.params["watch"] == "herd"
    return _ask(ctx, {**state, "watching": PARENT if herd else None}, "listing", "get_children", path=PARENT,
                watch=herd)


def listed(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The recipe's test: lowest sequence holds the lock; else watch the predecessor (or, herd, the parent)."""
    if not _answers(state, event):
        return state, ()
    mine = str(state["node"]).rsplit("/", 1)[1]
    names = sorted((str(n) for n in event.message.body["names"]), key=sequence_of)
    if mine not in names:
        return abandon(ctx, state, f"{ctx.node}'s node {state['node']} is gone: its session has expired")
    place = names.index(mine)
    settled = {**state, "asked": None}
    if place == 0:
        return _hold(ctx, settled)
    if ctx.params["watch"] == "herd":
        return {**settled, "phase": "waiting"}, [CancelTimer(name="reply")]
    predecessor = node_path(names[place - 1])
    return _ask(ctx, {**state, "watching": predecessor}, "checking", "exists", path=predecessor, watch=True)


def _hold(ctx: Context, state: State) -> Outcome:
    """The client's node is the lowest: it holds the lock, works, then writes."""
    state = {**state, "phase": "holding", "watching": None}
    note = Note(text=f"{ctx.node} holds the lock: {state['node']} is the lowest; token {state['token']}")
    if ctx.params["work_ms"] == 0:
        written, effects = send_write(ctx, state, None, 0)
        return written, [CancelTimer(name="reply"), note, *effects]
    return state, [CancelTimer(name="reply"), note, SetTimer(name="work", delay_ms=ctx.params["work_ms"])]


def checked(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """exists(predecessor, watch): wait for its deletion, or list again if it is already gone."""
    if not _answers(state, event):
        return state, ()
    body = event.message.body
    if not body["exists"]:
        return _list(ctx, state)
    return {**state, "phase": "waiting", "asked": None}, [CancelTimer(name="reply")]


def notified(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The watched node was deleted (or, herd, /lock's children changed): test again.

    The notification may overtake the answer that set the watch (the network reorders): then it is news all
    the same, and that answer, to an earlier request, is ignored when it comes.
    """
    body = event.message.body
    if body.get("session") != state["session"] or body.get("path") != state["watching"]:
        return state, ()
    return _list(ctx, {**state, "watching": None})


def send_write(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Write to the store, carrying the lock node's czxid as the fencing token."""
    body = {"op": f"{ctx.node}.{state['op']}", "token": state["token"]}
    effects: list[Effect] = [Send(dest=STORE, type="write", body=body)]
    if ctx.params["retry_ms"]:  # With retry_ms=0 the holder sends once and waits for the store's answer.
        effects.append(SetTimer(name="retry", delay_ms=ctx.params["retry_ms"]))
    return {**state, "phase": "writing", "tries": state["tries"] + 1}, effects


def write_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No acknowledgement: send the write again, or give it up and release the lock."""
    if state["tries"] < ctx.params["max_tries"]:
        return send_write(ctx, state, event, now)
    state = {**state, "gave_up": state["gave_up"] + 1, "finished": state["finished"] + 1}
    released, effects = _release(ctx, state)
    return released, [Note(text=f"{ctx.node} gives write {ctx.node}.{state['op']} up"), *effects]


def written(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The store applied the write: release the lock by deleting the node."""
    if event.message.body.get("op") != f"{ctx.node}.{state['op']}":
        return state, ()
    state = {**state, "written": state["written"] + 1, "finished": state["finished"] + 1}
    released, effects = _release(ctx, state)
    return released, [CancelTimer(name="retry"), *effects]


def _release(ctx: Context, state: State) -> Outcome:
    return _ask(ctx, state, "releasing", "delete", path=state["node"])


def released(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The node is deleted (the next waiter is notified): on to the next write."""
    if not _answers(state, event):
        return state, ()
    nexted, effects = _next(ctx, {**state, "asked": None, "node": None, "token": None})
    return nexted, [CancelTimer(name="reply"), *effects]


def refused(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """An error: the server has expired the session, or the store fenced the write out. The lock is lost."""
    body = event.message.body
    if event.message.src == STORE:
        if state["phase"] != "writing" or body.get("op") != f"{ctx.node}.{state['op']}":
            return state, ()
        return abandon(ctx, state, f"the store refused {body.get('op')}: token {body.get('token')} is below "
                                   f"{body.get('max_token')}; {ctx.node} has lost the lock")
    if body.get("session") != state["session"]:
        return state, ()
    return abandon(ctx, state, f"zk says {ctx.node}'s session {state['session']} has expired")


def ping(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Heartbeat: ping the server unless a ping is still unanswered; every heartbeat_ms."""
    again = SetTimer(name="ping", delay_ms=ctx.params["heartbeat_ms"])
    if state["pinging"]:
        return state, [again]
    return {**state, "pinging": True}, [Send(dest=SERVICE, type="ping", body={"session": state["session"]}), again]


def pong(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The server heard the ping: the session is alive, so the suspension timer starts again."""
    if event.message.body.get("session") != state["session"]:
        return state, ()
    return {**state, "pinging": False}, [SetTimer(name="lost", delay_ms=suspend_ms(ctx.params))]


def suspended(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Nothing heard from the server for 2/3 of the timeout: the session, and any lock, count as lost."""
    return abandon(ctx, state, f"{ctx.node} has heard nothing from zk for {suspend_ms(ctx.params)} ms: "
                               "suspended, it gives its session and lock up")


def no_answer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A request went unanswered for 2/3 of the timeout: a lost connection, so the lock counts as lost."""
    return abandon(ctx, state, f"{ctx.node} had no answer to request {state['asked']}: connection lost")


def abandon(ctx: Context, state: State, why: str) -> Outcome:
    """Stop acting on the lock, close the session, and open a new one (or give the remaining writes up)."""
    effects: list[Effect] = [Note(text=why), *[CancelTimer(name=t) for t in TIMERS]]
    if state["session"] is not None:
        effects.append(Send(dest=SERVICE, type="close", body={"session": state["session"]}))
    state = {**state, "session": None, "asked": None, "pinging": False, "node": None, "token": None,
             "watching": None}
    if state["sessions"] >= ctx.params["max_sessions"]:
        left = ctx.params["writes_per_client"] - state["finished"]
        state = {**state, "gave_up": state["gave_up"] + left, "finished": state["finished"] + left,
                 "op": ctx.params["writes_per_client"]}
        done, more = _next(ctx, state)
        return done, [*effects, Note(text=f"{ctx.node} gives its {left} remaining writes up"), *more]
    state = {**state, "sessions": state["sessions"] + 1}
    asked, more = _ask(ctx, state, "connecting", "connect")
    return asked, [*effects, *more]


def connected(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A new session: redo the write in hand under a new lock node, or go on."""
    if not _answers(state, event):
        return state, ()
    state = {**state, "session": int(event.message.body["session"]), "asked": None}
    effects: list[Effect] = [CancelTimer(name="reply"), *_keepalive(ctx)]
    if state["op"] > state["finished"]:
        asked, more = _ask(ctx, state, "creating", "create", path=f"{PARENT}/{PREFIX}", mode="ephemeral_sequential")
        return asked, [*effects, *more]
    nexted, more = _next(ctx, state)
    return nexted, [*effects, *more]


def client_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restart: the writes begun survive; the one in hand is given up; a new session is opened."""
    ops = max((int(r["op"]) for r in event.durable if r.get("type") == "op"), default=0)
    lives = sum(1 for r in event.durable if r.get("type") == "life") + 1
    state = {**client_initial(ctx), "session": None, "op": ops, "finished": ops, "sessions": 1,
             "stream": seed_from_draw(0.5, lives), "req": lives * 1_000_000}
    asked, effects = _ask(ctx, state, "connecting", "connect")
    return asked, [Persist(record={"type": "life"}), *effects]
