"""Cache nodes and the database behind them.

A cache keeps ``store`` (key -> value) for the keys it owns under the view
it knows (``view``: version, ``members``). Its phase says whether that view
has it in the ring (``member``) or not (``standby``).

Requests (get/put, routed by the ring) carry the router's view; a newer view
is applied first, as is a ``view`` broadcast: the cache drops every key it
no longer owns. A cache that skipped a version (or was not a member) drops
everything, because a key it owned before may have been written elsewhere
meanwhile. A get is a hit when the key is in the store; otherwise the cache
fetches it from the database. A put is written through to the database, then
kept. Only keys the cache owns under its view are kept (a request routed on
an older view is answered without caching), and one database operation per
key is outstanding at a time (later requests for that key wait), so a slow
fetch cannot overwrite a newer write.

The database (``db``) answers fetch and store, forcing every store to its
durable log, so it survives a crash.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Send, State
from protocols.hashring.placement import owner

DB = "db"
EPOCH_SPAN = 1_000_000
"""Request ids are ``epoch * EPOCH_SPAN + counter``, so a recovered cache never reuses one."""


def cache_initial(ctx: Context) -> dict[str, Any]:
    """Return a cache at boot: the initial view, an empty store."""
    index = int(ctx.node.removeprefix("cache"))
    members = [f"cache{i}" for i in range(1, ctx.params["initial_nodes"] + 1)]
    return {"phase": "member" if index <= ctx.params["initial_nodes"] else "standby", "view": 1,
            "members": members, "store": {}, "pending": {}, "queue": [], "epoch": 1, "seq": 0, "strays": 0}


def _owns(ctx: Context, state: State, key: str) -> bool:
    if ctx.node not in state["members"]:
        return False
    return owner(state["members"], ctx.params["vnodes"], ctx.params["placement"], key) == ctx.node


def apply_view(ctx: Context, state: State, version: int, members: list[str]) -> tuple[dict[str, Any], list[Effect]]:
    """Adopt a newer view: drop the keys no longer owned (all of them after a gap); phase follows."""
    if version <= state["view"]:
        return dict(state), []
    continuous = version == state["view"] + 1 and ctx.node in state["members"]
    new = {**state, "view": version, "members": list(members),
           "phase": "member" if ctx.node in members else "standby"}
    keep = {k: v for k, v in state["store"].items() if continuous and _owns(ctx, new, k)}
    effects: list[Effect] = []
    dropped = len(state["store"]) - len(keep)
    if dropped:
        why = "it no longer owns" if continuous else "it may have missed writes to (a view skipped or rejoined)"
        effects.append(Note(text=f"view {version}: dropped {dropped} key{'s' * (dropped != 1)} {why}"))
    return {**new, "store": keep}, effects


def cache_view(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The ring broadcasts a new view."""
    body = event.message.body
    return apply_view(ctx, state, body["view"], body["members"])


def cache_request(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A routed get or put: catch up with its view, then serve it or queue it behind its key."""
    message = event.message
    body = message.body
    state, effects = apply_view(ctx, state, body["view"], body["members"])
    req = {"op": message.type, "key": body["key"], "value": body.get("value"), "client": body["client"],
           "mid": body["mid"], "n": body.get("n")}
    if any(p["key"] == req["key"] for p in state["pending"].values()):
        return {**state, "queue": [*state["queue"], req]}, effects
    state, more = _serve(ctx, state, req)
    return state, [*effects, *more]


def _reply(req: dict[str, Any], value: Any, hit: bool) -> Send:
    kind = "read_ok" if req["op"] == "get" else "write_ok"
    return Send(dest=req["client"], type=kind, in_reply_to=req["mid"],
                body={"key": req["key"], "value": value, "n": req["n"], "hit": hit})


def _serve(ctx: Context, state: State, req: dict[str, Any]) -> tuple[dict[str, Any], list[Effect]]:
    key = req["key"]
    if req["op"] == "get" and key in state["store"]:
        return dict(state), [_reply(req, state["store"][key], hit=True)]
    seq = state["seq"] + 1
    rid = state["epoch"] * EPOCH_SPAN + seq
    state = {**state, "seq": seq, "pending": {**state["pending"], str(rid): req}}
    if req["op"] == "get":
        return state, [Send(dest=DB, type="fetch", body={"key": key, "rid": rid})]
    return state, [Send(dest=DB, type="store", body={"key": key, "value": req["value"], "rid": rid})]


def cache_db_answer(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database answered: keep the value if this cache owns the key, answer the client, serve the queue."""
    body = event.message.body
    req = state["pending"].get(str(body.get("rid")))
    if req is None:
        return {**state, "strays": state["strays"] + 1}, [Note(text=f"stray: {event.message.type} for no request")]
    pending = {r: p for r, p in state["pending"].items() if r != str(body["rid"])}
    key = req["key"]
    value = body["value"] if event.message.type == "fetched" else req["value"]
    store = dict(state["store"])
    effects: list[Effect] = []
    if _owns(ctx, state, key):
        store[key] = value
    else:
        effects.append(Note(text=f"{key} is not this cache's under view {state['view']}: answered, not kept"))
    state = {**state, "pending": pending, "store": store}
    effects.append(_reply(req, value, hit=False))
    # Requests that waited for this key go next, in order, until one needs the database again.
    while not any(p["key"] == key for p in state["pending"].values()):
        queue = state["queue"]
        index = next((i for i, q in enumerate(queue) if q["key"] == key), None)
        if index is None:
            break
        state, more = _serve(ctx, {**state, "queue": queue[:index] + queue[index + 1:]}, queue[index])
        effects += more
    return state, effects


def cache_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Come back empty, in a new epoch, knowing no view: the next request or broadcast tells it."""
    epoch = 2 + sum(1 for r in event.durable if "epoch" in r)
    state = {**cache_initial(ctx), "phase": "standby", "view": 0, "members": [], "epoch": epoch}
    return state, [Persist(record={"epoch": epoch}), Note(text=f"recovered empty, epoch {epoch}")]


# ---------------------------------------------------------------- database


def db_initial() -> dict[str, Any]:
    """Return the database at boot: every key absent (reads as None)."""
    return {"phase": "serving", "data": {}}


def db_fetch(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Read a key for a cache."""
    body = event.message.body
    value = state["data"].get(body["key"])
    return state, [Send(dest=event.message.src, type="fetched", in_reply_to=event.message.msg_id,
                        body={"key": body["key"], "value": value, "rid": body["rid"]})]


def db_store(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Write a key durably, then acknowledge."""
    body = event.message.body
    state = {**state, "data": {**state["data"], body["key"]: body["value"]}}
    return state, [Persist(record={"key": body["key"], "value": body["value"]}),
                   Send(dest=event.message.src, type="stored", in_reply_to=event.message.msg_id,
                        body={"key": body["key"], "rid": body["rid"]})]


def db_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the data from the log."""
    data = {r["key"]: r["value"] for r in event.durable}
    return {**db_initial(), "data": data}, [Note(text=f"recovered {len(data)} keys from the log")]
