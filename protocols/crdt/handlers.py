"""G-counter and PN-counter handlers: replicas that count, merge and gossip; clients from clients.py.

A replica's volatile state: ``p`` (and, for a PN-counter, ``n``), a vector
of per-replica counts; ``seen``, each client's last operation number it
applied (so a client's retry is acknowledged again but not counted twice);
``stream``, its gossip generator; ``amnesia``, true once it restarted with
nothing (``durable`` off), which is when its own entry stops being the
freshest copy of itself.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, SetTimer, Start, State
from protocols.common import counter_clients as clients
from protocols.common.ring import stable_hash
from protocols.common.rng import Stream, seed_from_draw
from protocols.crdt.vectors import counter_value, dominates, merge

REPLICA = "replica"
GOSSIP_SALT = 3


def is_pn(ctx: Context) -> bool:
    """Say whether this run is a PN-counter (it has a decrement ratio) rather than a G-counter."""
    return "decrement_ratio" in ctx.params


def kinds(state: State) -> tuple[str, ...]:
    """Return the vectors a state holds: ``("p",)`` or ``("p", "n")``."""
    return ("p", "n") if "n" in state else ("p",)


def replicas(ctx: Context) -> list[str]:
    """Return the replicas, in placement order."""
    return ctx.nodes_with_role(REPLICA)


def replica_of(ctx: Context, client: str) -> str:
    """Return the replica client ``ci`` talks to: ((i - 1) mod R) + 1."""
    names = replicas(ctx)
    return names[(int(client[1:]) - 1) % len(names)]


def value_of(state: State) -> int:
    """Return the counter value a replica's state shows."""
    return counter_value(state["p"], state.get("n"))


def vectors(state: State) -> dict[str, Any]:
    """Return the replica's vectors, the body of a gossip message."""
    return {kind: dict(state[kind]) for kind in kinds(state)}


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    if ctx.role == clients.CLIENT:
        return clients.client_state()
    zero = {name: 0 for name in replicas(ctx)}
    state: dict[str, Any] = {"phase": "serving", "p": zero}
    if is_pn(ctx):
        state["n"] = dict(zero)
    return {**state, "seen": {}, "stream": 0, "amnesia": False, "dirty": False}


def _persist(ctx: Context, state: State) -> list[Effect]:
    """With ``durable``, force the vectors and the applied operations to the log."""
    if not ctx.params["durable"]:
        return []
    return [Persist(record={"type": "vector", **vectors(state), "seen": dict(state["seen"])})]


def _changed(ctx: Context, state: State) -> tuple[State, list[Effect]]:
    """The vectors changed: force them (if durable), mark news to spread, wake up a quiet replica."""
    effects: list[Effect] = _persist(ctx, state)
    new = {**state, "dirty": True}
    if state["phase"] == "quiet":  # News after the horizon must still reach everyone.
        stream = Stream(state["stream"])
        effects.append(_gossip_timer(ctx, stream))
        new = {**new, "phase": "serving", "stream": stream.state}
    return new, effects


def _gossip_timer(ctx: Context, stream: Stream) -> SetTimer:
    # Jittered so replicas do not gossip in lockstep (and meet each other's messages mid-flight).
    interval = ctx.params["gossip_ms"]
    return SetTimer(name="gossip", delay_ms=stream.between(interval - interval // 4, interval + interval // 4))


# ----------------------------------------------------------------- replica


def replica_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the gossip stream; the first round comes within one interval."""
    stream = Stream(seed_from_draw(event.draw, GOSSIP_SALT))
    first = stream.between(1, ctx.params["gossip_ms"])
    return {**state, "stream": stream.state}, [SetTimer(name="gossip", delay_ms=first)]


def replica_add(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Count a client's operation in this replica's own entry, once; acknowledge it (again)."""
    message = event.message
    op, client = message.body["op"], message.src
    delta = message.body["delta"]
    if op <= state["seen"].get(client, 0):  # A retry or a duplicate: already counted.
        return state, [Send(dest=client, type="add_ok", body={"op": op, "delta": delta, "applied": False},
                            in_reply_to=message.msg_id)]
    kind = "p" if delta > 0 or "n" not in state else "n"
    entry = {**state[kind], ctx.node: state[kind].get(ctx.node, 0) + 1}
    new, effects = _changed(ctx, {**state, kind: entry, "seen": {**state["seen"], client: op}})
    # Forced before the acknowledgement: an acknowledged operation must survive a crash (when durable).
    body = {"op": op, "delta": delta, "applied": True}
    return new, [*effects, Send(dest=client, type="add_ok", body=body, in_reply_to=message.msg_id)]


def replica_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer with the value this replica knows now (possibly not yet converged)."""
    body = clients.echo_epoch(event.message.body, {"value": value_of(state)})
    return state, [Send(dest=event.message.src, type="read_ok", body=body, in_reply_to=event.message.msg_id)]


def replica_gossip_timer(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Gossip to one peer drawn from the stream (or to all); past the horizon, only news, to all, then stop.

    Past the horizon a replica sends its vectors to every peer once more if
    they changed since its last such round, and otherwise falls quiet. Each
    replica's last word thus reaches everyone, and news that comes late
    (a delayed increment) wakes replicas up again: the run ends, converged.
    """
    stream = Stream(state["stream"])
    peers = [r for r in replicas(ctx) if r != ctx.node]
    late = clients.past_horizon(ctx, now)
    if late and not state["dirty"]:
        return {**state, "phase": "quiet"}, [Note(text="past the horizon with nothing new: gossip stops")]
    everyone = late or ctx.params["gossip_fanout"] == "all"
    targets = peers if everyone else [stream.choice(peers)]
    effects: list[Effect] = [Send(dest=peer, type="gossip", body=vectors(state)) for peer in targets]
    effects.append(_gossip_timer(ctx, stream))
    return {**state, "stream": stream.state, "dirty": state["dirty"] and not everyone}, effects


def _merged(state: State, body: Any) -> dict[str, Any]:
    return {**state, **{kind: merge(state[kind], body.get(kind, {})) for kind in kinds(state)}}


def replica_gossip(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Merge a peer's vectors (pointwise maximum); answer with ours if the peer lacks something."""
    body = event.message.body
    merged = _merged(state, body)
    new, changes = (state, ()) if _same(merged, state) else _changed(ctx, merged)
    effects = list(changes)
    if not all(dominates(body.get(kind, {}), new[kind]) for kind in kinds(new)):
        # Push-pull: the sender learns in the same round what only we knew.
        effects.append(Send(dest=event.message.src, type="gossip_reply", body=vectors(new),
                            in_reply_to=event.message.msg_id))
    return new, effects


def replica_gossip_reply(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Merge the answer to our gossip; nothing more to say."""
    new = _merged(state, event.message.body)
    return (state, ()) if _same(new, state) else _changed(ctx, new)


def _same(a: State, b: State) -> bool:
    return all(a[kind] == b[kind] for kind in kinds(a))


def replica_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Restore the last forced vectors; without durability start from zero, with amnesia."""
    logged = [r for r in event.durable if r.get("type") == "vector"]
    if logged:
        last = logged[-1]
        state = {**state, **{kind: dict(last[kind]) for kind in kinds(state)}, "seen": dict(last["seen"])}
        note = "recovered its vectors from the log"
    else:
        state = {**state, "amnesia": not ctx.params["durable"]}
        note = ("restarted with nothing: its acknowledged operations that no peer has seen are lost, "
                "and until it relearns its own entry, new ones are hidden by the peers' larger copy")
        if ctx.params["durable"]:
            note = "recovered with an empty log: it had counted nothing yet"
    # The generator's state died with the node; reseed from its name and how much its log holds
    # (deterministic). Not from the time: every restart time would then be a world of its own for the explorer.
    # Dirty even when empty: its first round tells every peer what it lacks, and they answer.
    stream = Stream(stable_hash(f"{ctx.node}#{len(event.durable)}"))
    timer = _gossip_timer(ctx, stream)
    return {**state, "phase": "serving", "stream": stream.state, "dirty": True}, [Note(text=note), timer]


# ------------------------------------------------------------------ client


def _choose(ctx: Context, state: State) -> State:
    stream = Stream(state["draws"])
    delta = -1 if is_pn(ctx) and stream.chance(ctx.params["decrement_ratio"]) else 1
    return {**state, "delta": delta, "draws": stream.state}


def _begin_op(ctx: Context, state: State) -> Outcome:
    body = {"op": state["ops"], "delta": state["delta"]}
    return state, [Send(dest=replica_of(ctx, ctx.node), type="add", body=body)]


def _begin_read(ctx: Context, state: State) -> Outcome:
    return state, [Send(dest=replica_of(ctx, ctx.node), type="read", body=clients.epoch_body(state))]


def _add_ok(ctx: Context, state: State, event: Receive) -> Outcome:
    if event.message.body.get("op") != state["ops"]:
        return state, ()  # The answer to an earlier operation's retry.
    return clients.op_acknowledged(ctx, state)


def _read_ok(ctx: Context, state: State, event: Receive) -> Outcome:
    return clients.read_finished(state, event.message.body["value"])


def _retry_read(ctx: Context, state: State, now: int) -> Outcome:
    new, effects = _begin_read(ctx, state)
    return new, [*effects, clients.retry_timer(ctx)]


CLIENT = clients.Client(clients.Hooks(choose=_choose, begin_op=_begin_op, begin_read=_begin_read,
                                      add_ok=_add_ok, read_ok=_read_ok, retry_read=_retry_read))
