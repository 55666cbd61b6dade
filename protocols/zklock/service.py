"""The coordination service: one ZooKeeper server, linearizable because it is alone.

Theory of operation
-------------------
Every change is a transaction numbered by the next ``zxid``: opening a
session, creating a node, deleting one, closing (or expiring) a session. The
server forces each to its transaction log (``Persist``) before answering, so
a restart replays the log and comes back with the same tree and sessions.

Sessions: a session stays alive while its client is heard from; every request
(a ping included) *touches* it. Like ZooKeeper's session tracker, the server
does not keep a timer per session: it wakes every ``tick_ms`` (its tickTime)
and counts down each session's ticks left; one that reaches zero unheard is
expired at the next tick, so it lives between ``session_timeout_ms`` and one
tick longer after it was last heard. Expiring or closing a session deletes
its ephemeral nodes in the same transaction.

The tree holds one parent, ``/lock``, whose children are ephemeral
sequential nodes: ``create /lock/n-`` gets the suffix from the parent's
``cversion`` (its count of child changes, creations and deletions alike, so
numbers skip), ten digits wide, and the answer carries the node's creation
zxid (``czxid``), which the lock uses as its fencing token.

Watches are one-shot: ``exists(path, watch)`` leaves a watch that fires
``deleted`` when that node goes; ``get_children(/lock, watch)`` one that
fires ``children_changed`` when any child is created or deleted. A fired
watch is forgotten. Watches live only in the server's memory: a restart
forgets them (the clients notice the silence and start a new session).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, State

SERVICE = "zk"
PARENT = "/lock"
PREFIX = "n-"
SESSION_EXPIRED = "session_expired"
"""Error code of a request on a session the server no longer has: definite, nothing was done."""


def node_path(name: str) -> str:
    """Return the full path of a child of the lock's parent."""
    return f"{PARENT}/{name}"


def sequence_of(name: str) -> int:
    """Return the sequence number a child's name ends with (``n-0000000003`` -> 3)."""
    return int(name.rsplit("-", 1)[1])


def timeout_ticks(params: Mapping[str, Any]) -> int:
    """Return how many ticks a session may go unheard: its timeout, rounded up to whole ticks."""
    return max(1, math.ceil(int(params["session_timeout_ms"]) / int(params["tick_ms"])))


def service_initial() -> dict[str, Any]:
    """Return the server's state before its start: an empty tree, no session."""
    return {"phase": "idle", "zxid": 0, "cversion": 0, "next_session": 1, "sessions": [], "nodes": [],
            "watches": [], "ended": None}


def _find(items: Iterable[Mapping[str, Any]], key: str, value: Any) -> Mapping[str, Any] | None:
    return next((item for item in items if item[key] == value), None)


def _open(ctx: Context, state: State, client: str) -> tuple[dict[str, Any], Persist]:
    """Open a session for ``client``: a transaction of its own."""
    sid, zxid = state["next_session"], state["zxid"] + 1
    session = {"id": sid, "client": client, "left": timeout_ticks(ctx.params)}
    new = {**state, "phase": "serving", "zxid": zxid, "next_session": sid + 1,
           "sessions": [*state["sessions"], session]}
    return new, Persist(record={"type": "session", "zxid": zxid, "session": sid, "client": client})


def service_start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: the clients connected before the run, so open one session each (client i gets session i)."""
    effects: list[Effect] = []
    for client in ctx.nodes_with_role("client"):
        state, record = _open(ctx, state, client)
        effects.append(record)
    if state["sessions"]:
        effects.append(SetTimer(name="tick", delay_ms=ctx.params["tick_ms"]))
    return state, effects


def _reply(event: Receive, type_: str, **body: Any) -> Send:
    message = event.message
    return Send(dest=message.src, type=type_, in_reply_to=message.msg_id,
                body={"session": message.body.get("session"), "req": message.body.get("req"), **body})


def _touched(ctx: Context, state: State, event: Receive) -> dict[str, Any] | None:
    """Return the state with the caller's session touched, or None if the server has no such session."""
    sid = event.message.body.get("session")
    if _find(state["sessions"], "id", sid) is None:
        return None
    full = timeout_ticks(ctx.params)
    return {**state, "sessions": [{**s, "left": full} if s["id"] == sid else s for s in state["sessions"]]}


def _refused(state: State, event: Receive) -> Outcome:
    return state, [_reply(event, "error", code=SESSION_EXPIRED, definite=True)]


def _notify(state: State, paths: Iterable[str], created: bool) -> tuple[list[dict[str, Any]], list[Effect]]:
    """Fire the watches a change of ``paths`` triggers; return the watches left and the notifications."""
    changed = set(paths)
    left: list[dict[str, Any]] = []
    sends: list[Effect] = []
    for watch in state["watches"]:
        if watch["path"] == PARENT:
            event = "children_changed"
        elif watch["path"] in changed and not created:
            event = "deleted"
        else:
            left.append(watch)
            continue
        sends.append(Send(dest=watch["client"], type="watch",
                          body={"session": watch["session"], "event": event, "path": watch["path"]}))
    return left, sends


def _remove(state: State, names: list[str], how: str) -> tuple[dict[str, Any], list[Effect]]:
    """Delete children (in one transaction already numbered) and fire the watches on them."""
    gone = [n for n in state["nodes"] if n["name"] in names]
    if not gone:
        return dict(state), []
    watches, sends = _notify(state, [node_path(n["name"]) for n in gone], created=False)
    last = gone[-1]
    state = {**state, "nodes": [n for n in state["nodes"] if n["name"] not in names],
             "cversion": state["cversion"] + len(gone), "watches": watches,
             "ended": {"name": last["name"], "client": last["client"], "how": how}}
    return state, sends


def ping(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A heartbeat: touch the session and answer, or say it has expired."""
    touched = _touched(ctx, state, event)
    if touched is None:
        return _refused(state, event)
    return touched, [_reply(event, "pong")]


def connect(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A client asks for a new session (its old one lost): open it and start ticking if idle."""
    was_idle = not state["sessions"]
    state, record = _open(ctx, state, event.message.src)
    effects: list[Effect] = [record, _reply(event, "connect_ok", session=state["next_session"] - 1)]
    if was_idle:
        effects.append(SetTimer(name="tick", delay_ms=ctx.params["tick_ms"]))
    return state, effects


def create(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """create /lock/n- EPHEMERAL_SEQUENTIAL: name it by the parent's cversion, record its czxid."""
    touched = _touched(ctx, state, event)
    if touched is None:
        return _refused(state, event)
    zxid, name = touched["zxid"] + 1, f"{PREFIX}{touched['cversion']:010d}"
    node = {"name": name, "session": event.message.body["session"], "client": event.message.src, "czxid": zxid}
    watches, sends = _notify(touched, [node_path(name)], created=True)
    touched = {**touched, "zxid": zxid, "cversion": touched["cversion"] + 1, "nodes": [*touched["nodes"], node],
               "watches": watches}
    return touched, [Persist(record={"type": "create", "zxid": zxid, **node}),
                     _reply(event, "create_ok", path=node_path(name), czxid=zxid), *sends]


def _watched(state: dict[str, Any], event: Receive, path: str) -> dict[str, Any]:
    """Leave a watch on ``path`` for the caller's session (one per path and session, as ZooKeeper keeps them)."""
    watch = {"path": path, "session": event.message.body["session"], "client": event.message.src}
    return state if watch in state["watches"] else {**state, "watches": [*state["watches"], watch]}


def get_children(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """List /lock's children; with ``watch``, leave a one-shot watch on the parent (the herd's way)."""
    touched = _touched(ctx, state, event)
    if touched is None:
        return _refused(state, event)
    if event.message.body.get("watch"):
        touched = _watched(touched, event, PARENT)
    return touched, [_reply(event, "children", names=[n["name"] for n in touched["nodes"]])]


def exists(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Say whether a node exists; if it does and ``watch`` is asked, watch it for its deletion."""
    touched = _touched(ctx, state, event)
    if touched is None:
        return _refused(state, event)
    body = event.message.body
    path = str(body["path"])
    found = _find(touched["nodes"], "name", path.rsplit("/", 1)[1]) is not None
    if found and body.get("watch"):
        touched = _watched(touched, event, path)
    return touched, [_reply(event, "exists_ok", path=path, exists=found)]


def delete(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Delete a child (a release); deleting one already gone answers all the same."""
    touched = _touched(ctx, state, event)
    if touched is None:
        return _refused(state, event)
    name = str(event.message.body["path"]).rsplit("/", 1)[1]
    answer = _reply(event, "delete_ok", path=event.message.body["path"])
    if _find(touched["nodes"], "name", name) is None:
        return touched, [answer]
    zxid = touched["zxid"] + 1
    removed, sends = _remove({**touched, "zxid": zxid}, [name], "released")
    return removed, [Persist(record={"type": "delete", "zxid": zxid, "names": [name]}), answer, *sends]


def _end_session(state: State, sid: int, how: str) -> tuple[dict[str, Any], list[Effect]]:
    """Close or expire a session in one transaction: its ephemeral nodes and its watches go with it."""
    zxid = state["zxid"] + 1
    names = [n["name"] for n in state["nodes"] if n["session"] == sid]
    state = {**state, "zxid": zxid, "sessions": [s for s in state["sessions"] if s["id"] != sid],
             "watches": [w for w in state["watches"] if w["session"] != sid]}
    state, sends = _remove(state, names, how)
    record = Persist(record={"type": "close", "zxid": zxid, "session": sid, "names": names})
    return state, [record, *sends]


def _expired_notice(session: Mapping[str, Any]) -> Send:
    """Tell an expired session's client, as the server closing its connection would (lost in a partition)."""
    return Send(dest=str(session["client"]), type="error",
                body={"session": session["id"], "req": None, "code": SESSION_EXPIRED, "definite": True})


def close(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The client closes its session (done, or giving a lost one up); nothing to answer."""
    session = _find(state["sessions"], "id", event.message.body.get("session"))
    if session is None:
        return state, ()
    state, effects = _end_session(state, int(session["id"]), "closed")
    return _idle_if_empty(state), effects


def _idle_if_empty(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "phase": "serving" if state["sessions"] else "idle"}


def tick(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """A tick: count every session down; expire those that reached zero unheard, with their nodes."""
    effects: list[Effect] = []
    expired = [s for s in state["sessions"] if s["left"] == 0]
    state = {**state, "sessions": [s if s["left"] == 0 else {**s, "left": s["left"] - 1}
                                   for s in state["sessions"]]}
    for session in expired:
        effects.append(Note(text=f"{session['client']}'s session {session['id']} expires: unheard for "
                                 f"{ctx.params['session_timeout_ms']} ms"))
        state, more = _end_session(state, session["id"], "expired")
        effects += [*more, _expired_notice(session)]
    state = _idle_if_empty(dict(state))
    if state["sessions"]:
        effects.append(SetTimer(name="tick", delay_ms=ctx.params["tick_ms"]))
    return state, effects


def service_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Replay the transaction log: the same tree and sessions, each session's time renewed, no watches."""
    rebuilt: dict[str, Any] = service_initial()
    full = timeout_ticks(ctx.params)
    for record in event.durable:
        kind = record.get("type")
        rebuilt["zxid"] = max(rebuilt["zxid"], int(record.get("zxid", 0)))
        if kind == "session":
            rebuilt["sessions"].append({"id": record["session"], "client": record["client"], "left": full})
            rebuilt["next_session"] = int(record["session"]) + 1
        elif kind == "create":
            rebuilt["nodes"].append({key: record[key] for key in ("name", "session", "client", "czxid")})
            rebuilt["cversion"] += 1
        elif kind in ("delete", "close"):
            names = list(record["names"])
            rebuilt["cversion"] += sum(1 for n in rebuilt["nodes"] if n["name"] in names)
            rebuilt["nodes"] = [n for n in rebuilt["nodes"] if n["name"] not in names]
            if kind == "close":
                rebuilt["sessions"] = [s for s in rebuilt["sessions"] if s["id"] != record["session"]]
    rebuilt = _idle_if_empty(rebuilt)
    effects: list[Effect] = [Note(text=f"zk replays its log up to zxid {rebuilt['zxid']}; watches are gone")]
    if rebuilt["sessions"]:
        effects.append(SetTimer(name="tick", delay_ms=ctx.params["tick_ms"]))
    return rebuilt, effects
