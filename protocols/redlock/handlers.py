"""The Redis lock's handlers: clients that take the lock on a majority of nodes, the nodes, the store.

Every handler is ``(ctx, state, event, now) -> (state, effects)``, pure; ``now``
is the node's own clock (a clock fault makes it jump or run at another rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import (
    CancelTimer,
    Context,
    Effect,
    Note,
    Outcome,
    Persist,
    Receive,
    Recover,
    Send,
    SetTimer,
    Start,
    State,
)
from protocols.common.rng import Stream, seed_from_draw

STORE = "store"
KEY = "lock"
EPOCH_SPAN = 1_000_000
"""Attempts after a restart are numbered ``epoch * EPOCH_SPAN + n``: an answer to an attempt of an earlier life
is never taken for one of this life's."""
CHECK_MARGIN_MS = 2
"""A lock with this little validity left (by the holder's clock) is treated as lost: the write still has to
leave the client."""
COMMIT_DELAY_MS = 1
"""From the validity check to the write leaving the client, on the client's clock: short, but not atomic."""


def client_names(params: Mapping[str, Any]) -> list[str]:
    """Return the clients' names, c1..cN."""
    return [f"c{i}" for i in range(1, params["clients"] + 1)]


def redis_names(params: Mapping[str, Any]) -> list[str]:
    """Return the Redis nodes' names, r1..rN (one node: a single instance)."""
    return [f"r{i}" for i in range(1, params["redis_nodes"] + 1)]


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients, then the Redis nodes, then the store."""
    return {**{c: "client" for c in client_names(params)}, **{r: "redis" for r in redis_names(params)},
            STORE: "store"}


def majority(params: Mapping[str, Any]) -> int:
    """Return how many nodes must say OK: a majority (one, for a single instance)."""
    return int(params["redis_nodes"]) // 2 + 1


def drift_ms(params: Mapping[str, Any]) -> int:
    """Return the clock drift Redlock allows for: 1% of the TTL plus 2 ms (the reference implementation's)."""
    return int(params["ttl_ms"]) // 100 + 2


def _redis(ctx: Context) -> list[str]:
    return [node for node, role in ctx.roles.items() if role == "redis"]


# ------------------------------------------------------------------ clients


def client_initial() -> dict[str, Any]:
    """Return a client's boot state."""
    return {"phase": "thinking", "stream": 0, "epoch": 0, "op": 0, "written": 0, "req": 0, "value": None,
            "started_at": None, "answers": {}, "needed": 0, "tokens": {}, "token": None, "valid_until": None,
            "attempts": 0, "tries": 0, "gave_up": 0}


def _think(ctx: Context, state: State, stream: Stream) -> Outcome:
    """Between writes: think, or stop when every write is done."""
    if state["op"] >= ctx.params["writes_per_client"]:
        return {**state, "phase": "done", "stream": stream.state}, ()
    delay = stream.between(0, ctx.params["think_ms"]) if ctx.params["think_ms"] else 0
    return {**state, "phase": "thinking", "stream": stream.state}, [SetTimer(name="think", delay_ms=delay)]


def client_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Boot: seed the client's stream from its draw and think before the first write."""
    return _think(ctx, state, Stream(seed_from_draw(event.draw)))


def client_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restart: what survived is the writes begun and the lives lived; the write in hand is given up."""
    lives = sum(1 for r in event.durable if r.get("type") == "life")
    ops = max((int(r["op"]) for r in event.durable if r.get("type") == "op"), default=0)
    state = {**client_initial(), "epoch": lives + 1, "op": ops, "stream": seed_from_draw(0.5, lives + 1),
             "req": (lives + 1) * EPOCH_SPAN}
    outcome_state, effects = _think(ctx, state, Stream(state["stream"]))
    return outcome_state, [Persist(record={"type": "life"}), *effects]


def begin_attempt(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Ask every node to SET the key to a new random value, NX, with the TTL (Redlock's first step)."""
    effects: list[Effect] = []
    if state["phase"] == "thinking":
        state = {**state, "op": state["op"] + 1, "attempts": 0, "tries": 0}
        effects.append(Persist(record={"type": "op", "op": state["op"]}))
    req = state["req"] + 1
    value = f"{ctx.node}-{req}"
    state = {**state, "phase": "acquiring", "req": req, "value": value, "started_at": now, "answers": {},
             "needed": majority(ctx.params), "tokens": {}, "token": None, "valid_until": None,
             "attempts": state["attempts"] + 1}
    body = {"key": KEY, "value": value, "px": ctx.params["ttl_ms"], "req": req}
    effects += [Send(dest=node, type="set", body=body) for node in _redis(ctx)]
    effects.append(SetTimer(name="acquire", delay_ms=ctx.params["acquire_timeout_ms"]))
    return state, effects


def answered(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A node answers this attempt's SET; once every node has, decide."""
    message = event.message
    if message.body.get("req") != state["req"] or message.src in state["answers"]:
        return state, ()  # An answer to an earlier attempt: that value expires by itself.
    answer = "ok" if message.type == "set_ok" else "busy"
    state = {**state, "answers": {**state["answers"], message.src: answer}}
    if answer == "ok" and "token" in message.body:
        state = {**state, "tokens": {**state["tokens"], message.src: int(message.body["token"])}}
    if len(state["answers"]) < len(_redis(ctx)):
        return state, ()
    decided, effects = decide(ctx, state, event, now)
    return decided, [CancelTimer(name="acquire"), *effects]


def decide(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Redlock's rule: the lock is taken when a majority said OK and time is left after the drift."""
    oks = sorted(node for node, answer in state["answers"].items() if answer == "ok")
    elapsed = now - int(state["started_at"])
    validity = ctx.params["ttl_ms"] - elapsed - drift_ms(ctx.params)
    if len(oks) >= majority(ctx.params) and validity > 0:
        token = max(state["tokens"].values(), default=None) if ctx.params["fencing"] == "counter" else None
        state = {**state, "phase": "holding", "valid_until": now + validity, "token": token}
        return state, [
            Note(text=f"{ctx.node} holds the lock on {len(oks)} of {len(_redis(ctx))} nodes, valid {validity} ms "
                      "more by its clock"),
            SetTimer(name="work", delay_ms=ctx.params["work_ms"]),
        ]
    why = (f"only {len(oks)} of {len(_redis(ctx))} nodes said OK" if len(oks) < majority(ctx.params)
           else f"the attempt took {elapsed} ms: no validity left")
    return _retry(ctx, state, f"{ctx.node} failed to take the lock ({why})")


def _release(ctx: Context, state: State) -> list[Effect]:
    """Release on every node: compare-and-delete (UNLOCK value) or, unsafely, a plain DEL."""
    if ctx.params["release"] == "delete":
        return [Send(dest=node, type="del", body={"key": KEY}) for node in _redis(ctx)]
    return [Send(dest=node, type="unlock", body={"key": KEY, "value": state["value"]}) for node in _redis(ctx)]


def _retry(ctx: Context, state: State, why: str) -> Outcome:
    """Release what this attempt may hold, then wait a jittered while and try again (or give the write up)."""
    effects: list[Effect] = [*_release(ctx, state), Note(text=why)]
    state = {**state, "valid_until": None}
    if state["attempts"] >= ctx.params["max_acquires"]:
        state = {**state, "gave_up": state["gave_up"] + 1}
        effects.append(Note(text=f"{ctx.node} gives write {ctx.node}.{state['op']} up after "
                                 f"{state['attempts']} attempts"))
        thought, more = _think(ctx, state, Stream(state["stream"]))
        return thought, [*effects, *more]
    stream = Stream(state["stream"])
    delay = stream.between(1, max(1, ctx.params["retry_ms"]))
    return {**state, "phase": "waiting", "stream": stream.state}, [*effects, SetTimer(name="retry", delay_ms=delay)]


def check_validity(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Work done: check the lock's validity by this client's clock; write if it holds, else start over."""
    left = int(state["valid_until"]) - now
    if left <= CHECK_MARGIN_MS:
        return _retry(ctx, state, f"{ctx.node}: by my clock the lock ran out {max(0, -left)} ms ago; trying again")
    return {**state, "phase": "committing"}, [
        Note(text=f"{ctx.node}: by my clock the lock has {left} ms left; writing"),
        SetTimer(name="write", delay_ms=COMMIT_DELAY_MS),
    ]


def send_write(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Write to the store, naming the lock value the write is made under (the store cannot check it)."""
    body = {"op": f"{ctx.node}.{state['op']}", "value": state["value"], "token": state["token"]}
    return {**state, "phase": "writing", "tries": state["tries"] + 1}, [
        Send(dest=STORE, type="write", body=body), SetTimer(name="retry", delay_ms=ctx.params["retry_ms"])]


def write_retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """No acknowledgement yet: send the write again, or give it up and release."""
    if state["tries"] < ctx.params["max_write_tries"]:
        return send_write(ctx, state, event, now)
    state = {**state, "gave_up": state["gave_up"] + 1, "valid_until": None}
    thought, effects = _think(ctx, state, Stream(state["stream"]))
    return thought, [*_release(ctx, state), Note(text=f"{ctx.node} gives write {ctx.node}.{state['op']} up"),
                     *effects]


def written(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The store has the write: release the lock everywhere and go on."""
    if event.message.body.get("op") != f"{ctx.node}.{state['op']}":
        return state, ()
    state = {**state, "written": state["written"] + 1, "valid_until": None}
    thought, effects = _think(ctx, state, Stream(state["stream"]))
    return thought, [CancelTimer(name="retry"), *_release(ctx, state), *effects]


def refused(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The store fenced the write out (its token is lower than one it has seen): take the lock again."""
    if event.message.body.get("op") != f"{ctx.node}.{state['op']}":
        return state, ()
    retried, effects = _retry(ctx, {**state, "tries": 0},
                              f"{ctx.node}'s write was refused: token {state['token']} is stale; taking the lock again")
    return retried, [CancelTimer(name="retry"), *effects]


# ------------------------------------------------------------------ Redis nodes


def redis_initial() -> dict[str, Any]:
    """Return a node's boot state: no key."""
    return {"phase": "free", "key": None, "counter": 0}


def _answer(event: Receive, type_: str, **more: Any) -> Send:
    message = event.message
    return Send(dest=message.src, type=type_, body={"req": message.body.get("req"), **more},
                in_reply_to=message.msg_id)


def _live(state: State, now: int) -> dict[str, Any] | None:
    key = state["key"]
    return key if key is not None and now < int(key["expires_at"]) else None


def redis_set(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """SET lock value NX PX ttl: set it if no live key is there (an expired one counts as none)."""
    if _live(state, now) is not None:
        return state, [_answer(event, "set_busy")]
    body = event.message.body
    key = {"value": str(body["value"]), "client": event.message.src, "expires_at": now + int(body["px"])}
    counter = state["counter"] + 1 if ctx.params["fencing"] == "counter" else state["counter"]
    token = {"token": counter} if ctx.params["fencing"] == "counter" else {}
    effects: list[Effect] = [SetTimer(name="expire", delay_ms=int(body["px"])), _answer(event, "set_ok", **token)]
    if ctx.params["persistence"] == "always":
        effects.insert(0, Persist(record={"type": "set", **key, "counter": counter}))
    return {**state, "phase": "held", "key": key, "counter": counter}, effects


def _delete(ctx: Context, state: State, why: str) -> Outcome:
    effects: list[Effect] = [CancelTimer(name="expire"), Note(text=why)]
    if ctx.params["persistence"] == "always":
        effects.insert(0, Persist(record={"type": "del"}))
    return {**state, "phase": "free", "key": None}, effects


def redis_unlock(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The release script: delete the key only if it still holds the caller's value."""
    key = state["key"]
    if key is None or key["value"] != event.message.body.get("value"):
        return state, ()
    return _delete(ctx, state, f"{key['client']} releases the lock")


def redis_del(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A plain DEL: the key goes, whoever set it."""
    key = state["key"]
    if key is None:
        return state, ()
    return _delete(ctx, state, f"{event.message.src} deletes the lock key {key['client']} set")


def redis_expire(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The key's time is up by this node's clock: it goes (or the timer is set again if the clock says not yet)."""
    key = state["key"]
    if key is None:
        return state, ()
    if now < int(key["expires_at"]):
        return state, [SetTimer(name="expire", delay_ms=int(key["expires_at"]) - now)]
    return {**state, "phase": "free", "key": None}, [Note(text=f"{key['client']}'s key expires")]


def redis_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restart: without persistence the key (and the counter) is forgotten; with it, the log gives both back."""
    counter = max((int(r.get("counter", 0)) for r in event.durable if r.get("type") == "set"), default=0)
    last = next((r for r in reversed(event.durable) if r.get("type") in ("set", "del")), None)
    if last is None or last["type"] == "del":
        return {**redis_initial(), "counter": counter}, [Note(text="the node restarts with no key")]
    expires_at = int(last["expires_at"])
    key = {"value": str(last["value"]), "client": str(last["client"]), "expires_at": expires_at}
    if now >= expires_at:
        return {**redis_initial(), "counter": counter}, [Note(text="the node restarts; its logged key has expired")]
    return {"phase": "held", "key": key, "counter": counter}, [
        SetTimer(name="expire", delay_ms=expires_at - now),
        Note(text=f"the node restarts with {key['client']}'s key from its log")]


# ------------------------------------------------------------------ the store


def store_initial() -> dict[str, Any]:
    """Return the store's boot state: an empty log."""
    return {"phase": "ready", "log": [], "max_token": 0}


def store_write(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Apply a write (once: a resent one is only acknowledged again) and acknowledge it."""
    body, src = event.message.body, event.message.src
    op = str(body["op"])
    ack = Send(dest=src, type="write_ok", body={"op": op}, in_reply_to=event.message.msg_id)
    if any(entry["op"] == op for entry in state["log"]):
        return state, [ack]
    token = body.get("token")
    if ctx.params["fencing"] == "counter" and token is not None:
        if int(token) < state["max_token"]:
            return state, [Send(dest=src, type="write_refused", body={"op": op, "token": token,
                                                                       "highest": state["max_token"]},
                                in_reply_to=event.message.msg_id)]
        state = {**state, "max_token": int(token)}
        fence: list[Effect] = [Persist(record={"type": "fence", "max_token": int(token)})]
    else:
        fence = []
    entry = {"op": op, "by": src, "value": str(body["value"])}
    return {**state, "log": [*state["log"], entry]}, [*fence, Persist(record={"type": "write", **entry}), ack]


def store_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """The log is durable: take it back."""
    log = [{"op": str(r["op"]), "by": str(r["by"]), "value": str(r["value"])}
           for r in event.durable if r.get("type") == "write"]
    highest = max((int(r["max_token"]) for r in event.durable if r.get("type") == "fence"), default=0)
    return {"phase": "ready", "log": log, "max_token": highest}, ()
