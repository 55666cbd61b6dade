"""The caches on the ring, and the database behind them.

A cache keeps ``store`` (key -> ``{"v", "ver"}``) and counts in ``served``
every client request it is sent (the load the panel draws and the overload
check reads). A read found in the store is a hit; otherwise the cache
fetches the key from the database, keeps it and answers. A write goes
through to the database first, which gives it the key's next version; the
owner keeps it and, for a replicated hot key, sends it to the key's other
replicas (``replicate``). With ``replica_sync=sync`` the owner acknowledges
the write only once every replica has answered ``replicate_ok``: write to
all, then acknowledge. With ``replica_sync=async`` (a foil) it acknowledges at
once and the copies follow, so a read at a replica just after the
acknowledgement may miss the write.

Every copy carries its version and a cache keeps the newest it has seen
(a late fetch or a reordered copy never overwrites a newer value). Requests
to the database carry ``rid = epoch * EPOCH_SPAN + counter``: a cache that
crashed comes back empty in a new epoch and ignores answers to requests of
its past life. There are no retries: a lost message leaves its request
pending, and its client gives up.

The database (``db``) answers ``fetch`` and ``store``, forcing each store to
its durable log. Written values are unique (``c1:3``), so a store it has
applied already (a duplicated message) is answered with the version it got
the first time, never applied twice.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Send, State
from protocols.hotkeys.placement import holders

DB = "db"
EPOCH_SPAN = 1_000_000
"""Request ids are ``epoch * EPOCH_SPAN + counter``, so a recovered cache never reuses one."""


def cache_initial(ctx: Context) -> dict[str, Any]:
    """Return a cache at boot: an empty store, nothing served."""
    return {"phase": "serving", "store": {}, "pending": {}, "epoch": 1, "seq": 0, "served": 0}


def _keep(store: dict[str, Any], key: str, value: Any, ver: int) -> dict[str, Any]:
    """Return the store with ``key`` at version ``ver`` unless it holds a newer one."""
    held = store.get(key)
    if held is not None and held["ver"] >= ver:
        return store
    return {**store, key: {"v": value, "ver": ver}}


def _answer(req: dict[str, Any], entry: dict[str, Any], hit: bool) -> Send:
    kind = "read_ok" if req["op"] == "read" else "write_ok"
    return Send(dest=req["client"], type=kind, in_reply_to=req["mid"],
                body={"key": req["key"], "value": entry["v"], "ver": entry["ver"], "n": req["n"], "hit": hit})


def _pend(state: State, req: dict[str, Any]) -> tuple[dict[str, Any], int]:
    seq = state["seq"] + 1
    rid = state["epoch"] * EPOCH_SPAN + seq
    return {**state, "seq": seq, "pending": {**state["pending"], str(rid): req}}, rid


def cache_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A client reads: answer from the store, or fetch from the database."""
    m = event.message
    key = m.body["key"]
    state = {**state, "served": state["served"] + 1}
    if key in state["store"]:
        req = {"op": "read", "key": key, "client": m.src, "mid": m.msg_id, "n": m.body["n"]}
        return state, [_answer(req, state["store"][key], hit=True)]
    state, rid = _pend(state, {"op": "read", "key": key, "client": m.src, "mid": m.msg_id, "n": m.body["n"],
                               "value": None, "waiting": [], "ver": 0})
    return state, [Send(dest=DB, type="fetch", body={"key": key, "rid": rid})]


def cache_write(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A client writes: store it in the database first (write-through)."""
    m = event.message
    body = m.body
    state = {**state, "served": state["served"] + 1}
    state, rid = _pend(state, {"op": "write", "key": body["key"], "client": m.src, "mid": m.msg_id,
                               "n": body["n"], "value": body["value"], "waiting": [], "ver": 0})
    return state, [Send(dest=DB, type="store", body={"key": body["key"], "value": body["value"], "rid": rid})]


def _stray(state: State, event: Receive) -> Outcome:
    return state, [Note(text=f"stray: {event.message.type} for no pending request (lost with a crash, or a copy)")]


def cache_fetched(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database answered a fetch: keep the newest version and answer the reader."""
    body = event.message.body
    req = state["pending"].get(str(body["rid"]))
    if req is None:
        return _stray(state, event)
    store = _keep(state["store"], req["key"], body["value"], body["ver"])
    pending = {r: p for r, p in state["pending"].items() if r != str(body["rid"])}
    return {**state, "store": store, "pending": pending}, [_answer(req, store[req["key"]], hit=False)]


def cache_stored(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The database took a write: keep it, copy it to a hot key's replicas, acknowledge when the rule says."""
    body = event.message.body
    rid = str(body["rid"])
    req = state["pending"].get(rid)
    if req is None or req["waiting"]:
        return _stray(state, event)
    key, ver = req["key"], body["ver"]
    store = _keep(state["store"], key, req["value"], ver)
    others = [n for n in holders(ctx.params, key) if n != ctx.node]
    copies: list[Effect] = [Send(dest=n, type="replicate", body={"key": key, "value": req["value"], "ver": ver,
                                                                 "rid": int(rid)}) for n in others]
    written = {"v": req["value"], "ver": ver}
    pending = {r: p for r, p in state["pending"].items() if r != rid}
    if others and ctx.params["replica_sync"] == "sync":  # Write to all, then acknowledge.
        pending[rid] = {**req, "waiting": others, "ver": ver}
        return {**state, "store": store, "pending": pending}, copies
    return {**state, "store": store, "pending": pending}, [*copies, _answer(req, written, hit=False)]


def cache_replicate(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The owner sends a hot key's new version: keep it unless a newer one is here, and say so."""
    m = event.message
    body = m.body
    store = _keep(state["store"], body["key"], body["value"], body["ver"])
    return {**state, "store": store}, [Send(dest=m.src, type="replicate_ok", in_reply_to=m.msg_id,
                                            body={"key": body["key"], "rid": body["rid"]})]


def cache_replicated(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A replica has the write: once all have it, acknowledge the client."""
    m = event.message
    rid = str(m.body["rid"])
    req = state["pending"].get(rid)
    if req is None or m.src not in req["waiting"]:
        return _stray(state, event)
    waiting = [n for n in req["waiting"] if n != m.src]
    if waiting:
        return {**state, "pending": {**state["pending"], rid: {**req, "waiting": waiting}}}, ()
    pending = {r: p for r, p in state["pending"].items() if r != rid}
    written = {"v": req["value"], "ver": req["ver"]}
    return {**state, "pending": pending}, [_answer(req, written, hit=False)]


def cache_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Come back empty, in a new epoch: answers to requests of the past life are strays."""
    epoch = 2 + sum(1 for r in event.durable if "epoch" in r)
    return {**cache_initial(ctx), "epoch": epoch}, [Persist(record={"epoch": epoch}),
                                                     Note(text=f"recovered empty, epoch {epoch}")]


# ---------------------------------------------------------------- database


def db_initial() -> dict[str, Any]:
    """Return the database at boot: every key absent (version 0, reads as None)."""
    return {"phase": "serving", "data": {}, "applied": {}}


def db_fetch(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Read a key for a cache."""
    body = event.message.body
    entry = state["data"].get(body["key"], {"v": None, "ver": 0})
    return state, [Send(dest=event.message.src, type="fetched", in_reply_to=event.message.msg_id,
                        body={"key": body["key"], "value": entry["v"], "ver": entry["ver"], "rid": body["rid"]})]


def db_store(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Write a key durably at its next version (once per written value), then acknowledge with the version."""
    body = event.message.body
    key, value = body["key"], body["value"]
    effects: list[Effect] = []
    ver = state["applied"].get(value)
    if ver is None:
        ver = state["data"].get(key, {"ver": 0})["ver"] + 1
        state = {**state, "data": {**state["data"], key: {"v": value, "ver": ver}},
                 "applied": {**state["applied"], value: ver}}
        effects.append(Persist(record={"key": key, "value": value, "ver": ver}))
    effects.append(Send(dest=event.message.src, type="stored", in_reply_to=event.message.msg_id,
                        body={"key": key, "ver": ver, "rid": body["rid"]}))
    return state, effects


def db_recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the data from the log."""
    data = {r["key"]: {"v": r["value"], "ver": r["ver"]} for r in event.durable}
    applied = {r["value"]: r["ver"] for r in event.durable}
    return {**db_initial(), "data": data, "applied": applied}, [Note(text=f"recovered {len(data)} keys from the log")]
