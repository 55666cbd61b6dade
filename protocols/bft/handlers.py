"""Byzantine-tolerant counter handlers: replicas honest or lying, clients that count by quorum.

A replica's phase is its behaviour (``honest``, ``lie-high``, ``lie-low``,
``equivocate``, ``silent``), fixed at placement: the state diagram then
shows each behaviour's rows side by side. Its state holds ``tags``, the
sorted operation tags it stores (``c1:3`` is c1's third increment).

A client sends each increment to every replica and counts it acknowledged
once 2f+1 distinct replicas said so (``acks``). Its read asks every replica
for its tags and keeps ``answers`` (how many tags each replica reported)
and ``tally`` (how many replicas reported each tag); the decision rule is
:func:`decide`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Recover, Send, State
from protocols.common import counter_clients as clients

REPLICA = "replica"
HONEST = "honest"
BEHAVIOURS = ("lie-high", "lie-low", "equivocate", "silent")
FORGED_PER_CLIENT = 2
"""Operations a high liar invents per client: numbers that client never reached."""
READ_ATTEMPTS = 3
"""How many times a read asks the replicas that have not answered before it gives up undecided."""


def replicas(ctx: Context) -> list[str]:
    """Return the replicas, in placement order."""
    return ctx.nodes_with_role(REPLICA)


def behaviour_of(params: Mapping[str, Any], index: int, count: int) -> str:
    """Return the behaviour of replica number ``index`` (1-based) of ``count``: the last ``liars`` lie."""
    return params["behaviour"] if index > count - params["liars"] else HONEST


def quorum(ctx: Context) -> int:
    """Return 2f + 1: acknowledgements that make an increment count, answers a read waits for."""
    return 2 * int(ctx.params["f"]) + 1


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs.

    A client records the rule it counts by: ``f``, the ``quorum`` of 2f + 1 (acknowledgements an
    increment needs, answers a read waits for) and ``counts_at``, the f + 1 reporters that make a tag
    count; whoever shows the rule reads these instead of deriving them from the replicas' number.
    """
    if ctx.role == clients.CLIENT:
        f = int(ctx.params["f"])
        return {**clients.client_state(), "acks": [], "answers": {}, "tally": {}, "attempts": 0,
                "f": f, "quorum": quorum(ctx), "counts_at": f + 1}
    names = replicas(ctx)
    return {"phase": behaviour_of(ctx.params, names.index(ctx.node) + 1, len(names)), "tags": []}


def forged_tags(ctx: Context) -> list[str]:
    """Return the operations every high liar invents alike (they collude): each client's next numbers."""
    beyond = int(ctx.params["increments_per_client"])
    return [f"{c}:{beyond + i}" for c in ctx.nodes_with_role(clients.CLIENT)
            for i in range(1, FORGED_PER_CLIENT + 1)]


# ----------------------------------------------------------------- replica


def _ack(event: Receive, applied: bool) -> Send:
    body = {"tag": event.message.body["tag"], "op": event.message.body["op"], "applied": applied}
    return Send(dest=event.message.src, type="add_ok", body=body, in_reply_to=event.message.msg_id)


def replica_add(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Store the operation's tag once (forced to the log first) and acknowledge it."""
    tag = event.message.body["tag"]
    if tag in state["tags"]:
        return state, [_ack(event, applied=False)]
    new = {**state, "tags": sorted([*state["tags"], tag])}
    return new, [Persist(record={"type": "tag", "tag": tag}), _ack(event, applied=True)]


def liar_add_unstored(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Lie low: acknowledge the operation but keep nothing."""
    return state, [_ack(event, applied=True)]


def _report(event: Receive, tags: list[str]) -> Send:
    body = clients.echo_epoch(event.message.body, {"tags": tags})
    return Send(dest=event.message.src, type="read_ok", body=body, in_reply_to=event.message.msg_id)


def replica_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Report every tag stored, truthfully."""
    return state, [_report(event, list(state["tags"]))]


def liar_read_high(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Lie high: report the stored tags plus operations that never happened."""
    return state, [_report(event, sorted({*state["tags"], *forged_tags(ctx)}))]


def liar_read_low(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Lie low: report that nothing happened."""
    return state, [_report(event, [])]


def liar_read_equivocate(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Equivocate: lie high to odd-numbered clients and low to even-numbered ones."""
    if int(event.message.src[1:]) % 2:
        return liar_read_high(ctx, state, event, now)
    return liar_read_low(ctx, state, event, now)


def replica_recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Read the stored tags back from the log (every replica forces a tag before acknowledging it)."""
    tags = sorted({str(r["tag"]) for r in event.durable if r.get("type") == "tag"})
    return {**state, "tags": tags}, [Note(text=f"recovered {len(tags)} tag(s) from the log")]


# ------------------------------------------------------------------ client


def decide(tally: Mapping[str, int], answered: int, replicas_total: int, f: int) -> int | None:
    """Return the count a read may decide on, or None while it must wait for more answers.

    The rule (a tag is an increment's identity): wait for at least 2f + 1
    answers; a tag counts once f + 1 replicas report it (one of them must be
    honest, so it happened) and is discarded once it can no longer reach
    f + 1 even if every replica yet to answer reported it. Decide when no
    reported tag is still undecided.
    """
    if answered < 2 * f + 1:
        return None
    missing = replicas_total - answered
    counted = 0
    for reporters in tally.values():
        if reporters >= f + 1:
            counted += 1
        elif reporters + missing >= f + 1:
            return None  # Could still go either way: wait.
    return counted


def _choose(ctx: Context, state: State) -> State:
    return {**state, "delta": 1, "acks": []}


def _begin_op(ctx: Context, state: State) -> Outcome:
    body = {"op": state["ops"], "tag": f"{ctx.node}:{state['ops']}"}
    return state, [Send(dest=r, type="add", body=body) for r in replicas(ctx) if r not in state["acks"]]


def _add_ok(ctx: Context, state: State, event: Receive) -> Outcome:
    """Count a replica's acknowledgement; with 2f + 1 the increment is done."""
    if event.message.body.get("op") != state["ops"] or event.message.src in state["acks"]:
        return state, ()  # An earlier operation's answer, or a repeated one.
    acks = sorted([*state["acks"], event.message.src])
    new = {**state, "acks": acks}
    if len(acks) < quorum(ctx):
        return new, ()
    return clients.op_acknowledged(ctx, new)


def _begin_read(ctx: Context, state: State) -> Outcome:
    new = {**state, "answers": {}, "tally": {}, "attempts": 1}
    return new, [Send(dest=r, type="read", body=clients.epoch_body(state)) for r in replicas(ctx)]


def _read_ok(ctx: Context, state: State, event: Receive) -> Outcome:
    """Tally a replica's reported tags; decide as soon as the rule allows."""
    src = event.message.src
    if src in state["answers"]:
        return state, ()  # A duplicate answer: each replica is heard once.
    tags = sorted(set(event.message.body.get("tags", [])))
    tally = dict(state["tally"])
    for tag in tags:
        tally[tag] = tally.get(tag, 0) + 1
    new = {**state, "answers": {**state["answers"], src: len(tags)}, "tally": tally}
    value = decide(tally, len(new["answers"]), len(replicas(ctx)), int(ctx.params["f"]))
    if value is None:
        return new, ()
    return clients.read_finished(new, value)


def _retry_read(ctx: Context, state: State, now: int) -> Outcome:
    """Ask the replicas that have not answered again; after the last attempt, give up undecided."""
    silent = [r for r in replicas(ctx) if r not in state["answers"]]
    if state["attempts"] < READ_ATTEMPTS:
        effects: list[Effect] = [Send(dest=r, type="read", body=clients.epoch_body(state)) for r in silent]
        return {**state, "attempts": state["attempts"] + 1}, [*effects, clients.retry_timer(ctx)]
    return clients.give_up(state, f"no quorum decision: {len(state['answers'])} answers, "
                                  f"{len(silent)} replica(s) silent")


CLIENT = clients.Client(clients.Hooks(choose=_choose, begin_op=_begin_op, begin_read=_begin_read,
                                      add_ok=_add_ok, read_ok=_read_ok, retry_read=_retry_read))
