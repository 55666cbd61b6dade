"""Sharded counter handlers: shards that count their share, clients that route and fan out.

A shard's volatile state: ``count``, the increments it has applied, and
``seen``, each client's last applied operation number (a retry is
acknowledged again, not counted twice). A client routes each increment by
a sub-key drawn from its operation stream (``key``) to the shard owning it
on the consistent-hash ring (``target``); its read asks every shard and
keeps the answers (``answers``) until all are in or it stops waiting
(``missing`` then names the shards that never answered).
"""

from __future__ import annotations

import functools

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, State
from protocols.common import counter_clients as clients
from protocols.common.ring import ring_owner, ring_points
from protocols.common.rng import Stream

SHARD = "shard"
READ_ATTEMPTS = 3
"""How many times a read asks a silent shard before it settles for a partial sum."""
SUBKEYS = 10_000
"""Sub-keys a client draws from: many more than shards, so the ring spreads them."""


def shards(ctx: Context) -> list[str]:
    """Return the shards, in placement order."""
    return ctx.nodes_with_role(SHARD)


@functools.lru_cache(maxsize=64)
def _ring(names: tuple[str, ...], vnodes: int) -> list[tuple[int, str]]:
    # A pure function of its arguments: caching changes no result, only the cost.
    return ring_points(names, vnodes)


def owner(ctx: Context, key: str) -> str:
    """Return the shard owning ``key`` on the consistent-hash ring."""
    return ring_owner(_ring(tuple(shards(ctx)), ctx.params["vnodes"]), key)


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == clients.CLIENT:
        # What a read costs, recorded for the panels: a request and an answer per shard.
        return {**clients.client_state(), "key": None, "target": None, "answers": {}, "attempts": 0,
                "missing": [], "read_messages": 2 * len(shards(ctx))}
    return {"phase": "serving", "count": 0, "seen": {}}


# ------------------------------------------------------------------- shard


def shard_add(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Count an increment routed here, once; acknowledge it (again, for a retry)."""
    message = event.message
    op, client = message.body["op"], message.src
    if op <= state["seen"].get(client, 0):
        return state, [Send(dest=client, type="add_ok", body={"op": op, "applied": False},
                            in_reply_to=message.msg_id)]
    new = {**state, "count": state["count"] + 1, "seen": {**state["seen"], client: op}}
    effects: list[Effect] = []
    if ctx.params["durable"]:  # Forced before the acknowledgement, so what is acknowledged survives a crash.
        effects.append(Persist(record={"type": "count", "count": new["count"], "seen": dict(new["seen"])}))
    effects.append(Send(dest=client, type="add_ok", body={"op": op, "applied": True}, in_reply_to=message.msg_id))
    return new, effects


def shard_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a read with this shard's share of the count."""
    body = clients.echo_epoch(event.message.body, {"count": state["count"]})
    return state, [Send(dest=event.message.src, type="read_ok", body=body, in_reply_to=event.message.msg_id)]


def shard_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restore the last forced count; without durability the shard restarts at zero."""
    logged = [r for r in event.durable if r.get("type") == "count"]
    if logged:
        last = logged[-1]
        return {**state, "count": last["count"], "seen": dict(last["seen"])}, [
            Note(text=f"recovered its count {last['count']} from the log")]
    if ctx.params["durable"]:
        return state, [Note(text="recovered with an empty log: it had counted nothing yet")]
    return state, [Note(text="restarted without a log: every increment it had counted is gone")]


# ------------------------------------------------------------------ client


def _choose(ctx: Context, state: State) -> State:
    stream = Stream(state["draws"])
    key = f"k{stream.below(SUBKEYS)}"
    return {**state, "delta": 1, "key": key, "target": owner(ctx, key), "draws": stream.state}


def _begin_op(ctx: Context, state: State) -> Outcome:
    body = {"op": state["ops"], "delta": 1, "key": state["key"]}
    return state, [Send(dest=state["target"], type="add", body=body)]


def _begin_read(ctx: Context, state: State) -> Outcome:
    everyone = shards(ctx)
    new = {**state, "answers": {}, "attempts": 1, "missing": everyone}
    return new, [Send(dest=shard, type="read", body=clients.epoch_body(state)) for shard in everyone]


def _add_ok(ctx: Context, state: State, event: Receive) -> Outcome:
    if event.message.body.get("op") != state["ops"]:
        return state, ()  # The answer to an earlier operation's retry.
    return clients.op_acknowledged(ctx, state)


def _read_ok(ctx: Context, state: State, event: Receive) -> Outcome:
    """Gather a shard's share; with every share in, the sum is the value."""
    answers = {**state["answers"], event.message.src: event.message.body["count"]}
    missing = [s for s in shards(ctx) if s not in answers]
    new = {**state, "answers": answers, "missing": missing}
    if missing:
        return new, ()
    return clients.read_finished(new, sum(answers.values()))


def _retry_read(ctx: Context, state: State, now: int) -> Outcome:
    """Ask the silent shards again; after the last attempt, settle for a partial sum and say so."""
    missing = state["missing"]
    if state["attempts"] < READ_ATTEMPTS:
        new = {**state, "attempts": state["attempts"] + 1}
        reads = [Send(dest=s, type="read", body=clients.epoch_body(state)) for s in missing]
        return new, [*reads, clients.retry_timer(ctx)]
    done, effects = clients.read_finished(state, sum(state["answers"].values()))
    return done, [Note(text=f"partial read: no answer from {', '.join(missing)}; the sum leaves them out"),
                 *effects]


CLIENT = clients.Client(clients.Hooks(choose=_choose, begin_op=_begin_op, begin_read=_begin_read,
                                      add_ok=_add_ok, read_ok=_read_ok, retry_read=_retry_read))

