"""The TCC transaction coordinator (``tc``, Seata's TC): begin, register, Try, then Confirm or Cancel.

It runs ``transactions`` global transactions one after another, ``tx1``,
``tx2``, ...: each registers every branch, sends it Try, and decides once
every Try answered yes (Confirm) or one said no or ``try_timeout_ms``
passed (Cancel). The second phase is sent to every registered branch and
retried every ``retry_ms``, at most ``max_retries`` times, to the branches
that have not acknowledged: a branch must therefore take a repeated Confirm
or Cancel, or one for a Try it never ran. Its log holds each begin, decision
and end.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Send, SetTimer, State

TRY_TIMER, RETRY_TIMER = "timeout", "retry"
SECOND_PHASE = {"confirming": "confirm", "cancelling": "cancel"}
"""The message the coordinator retries in each phase of the second round."""
ACKED = {"confirm_ok": "confirmed", "cancel_ok": "cancelled"}
ENDED = {"confirming": "confirmed", "cancelling": "cancelled"}


def branches(ctx: Context) -> list[str]:
    """Return the branch participants, in placement order."""
    return ctx.nodes_with_role("branch")


def initial(ctx: Context) -> State:
    """Return the coordinator's state before its first transaction."""
    return {"phase": "init", "xid": None, "txn": 0, "branches": {}, "retries": 0}


def begin(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Begin the next global transaction: register every branch and send each its Try."""
    txn = state["txn"] + 1
    xid = f"tx{txn}"
    effects: list[Effect] = [Persist(record={"type": "begin", "xid": xid})]
    effects += [Send(dest=b, type="try", body={"xid": xid, "amount": ctx.params["amount"]}) for b in branches(ctx)]
    effects.append(SetTimer(name=TRY_TIMER, delay_ms=ctx.params["try_timeout_ms"]))
    registered = {b: "registered" for b in branches(ctx)}
    return {**state, "phase": "trying", "xid": xid, "txn": txn, "branches": registered, "retries": 0}, effects


def _current(state: State, event: Receive) -> bool:
    return bool(event.message.body.get("xid") == state["xid"])


def tried(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A branch reserved: with every branch reserved, Confirm."""
    if not _current(state, event):
        return state, ()
    state = {**state, "branches": {**state["branches"], event.message.src: "tried"}}
    if all(s == "tried" for s in state["branches"].values()):
        return decide(ctx, state, "confirming", "every Try succeeded")
    return state, ()


def try_failed(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A branch could not reserve: Cancel everywhere."""
    if not _current(state, event):
        return state, ()
    state = {**state, "branches": {**state["branches"], event.message.src: "failed"}}
    return decide(ctx, state, "cancelling", f"the Try at {event.message.src} failed")


def try_timeout(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Not every Try answered in time: Cancel everywhere, the silent branches included."""
    silent = [b for b, s in state["branches"].items() if s == "registered"]
    return decide(ctx, state, "cancelling", "no answer to Try in time from " + ", ".join(silent))


def decide(ctx: Context, state: State, phase: str, why: str) -> Outcome:
    """Log the decision, then send the second phase to every registered branch and retry it."""
    kind = SECOND_PHASE[phase]
    effects: list[Effect] = [Note(text=f"{state['xid']}: {kind}: {why}"),
                             Persist(record={"type": "decision", "xid": state["xid"], "outcome": kind}),
                             CancelTimer(name=TRY_TIMER)]
    effects += [_second(ctx, state, b, kind) for b in branches(ctx)]
    effects.append(SetTimer(name=RETRY_TIMER, delay_ms=ctx.params["retry_ms"]))
    return {**state, "phase": phase, "retries": 0}, effects


def _second(ctx: Context, state: State, branch: str, kind: str) -> Send:
    return Send(dest=branch, type=kind, body={"xid": state["xid"], "amount": ctx.params["amount"]})


def acknowledged(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A branch applied the second phase: once all have, the transaction ends (and the next begins)."""
    if not _current(state, event):
        return state, ()
    state = {**state, "branches": {**state["branches"], event.message.src: ACKED[event.message.type]}}
    done = ENDED[state["phase"]]
    if any(s != done for s in state["branches"].values()):
        return state, ()
    effects: list[Effect] = [Persist(record={"type": "end", "xid": state["xid"], "outcome": done}),
                             CancelTimer(name=RETRY_TIMER)]
    if state["txn"] < ctx.params["transactions"]:
        following, more = begin(ctx, state, event, now)
        return following, [*effects, *more]
    return {**state, "phase": done}, effects


def retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Send the second phase again to the branches that have not acknowledged, up to ``max_retries`` times."""
    kind, done = SECOND_PHASE[state["phase"]], ENDED[state["phase"]]
    if state["retries"] >= ctx.params["max_retries"]:
        return state, [Note(text=f"{state['xid']}: {kind} unacknowledged after {state['retries']} retries: "
                                 "left for an operator")]
    effects: list[Effect] = [_second(ctx, state, b, kind) for b, s in state["branches"].items() if s != done]
    effects.append(SetTimer(name=RETRY_TIMER, delay_ms=ctx.params["retry_ms"]))
    return {**state, "retries": state["retries"] + 1}, effects


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild from the log: a decision is sent again; a transaction begun and undecided is cancelled.

    Seata's TC does the same with a global transaction it finds begun and
    unfinished after a restart: its Tries may have run, so it rolls back.
    """
    records = list(event.durable)
    if not records:
        return begin(ctx, initial(ctx), event, now)
    last = records[-1]
    xid = str(last["xid"])
    registered = {b: "registered" for b in branches(ctx)}
    state = {**initial(ctx), "xid": xid, "txn": int(xid[2:]), "branches": registered}
    if last["type"] == "begin":
        return decide(ctx, state, "cancelling", "recovered with the transaction begun and undecided")
    if last["type"] == "decision":
        phase = "confirming" if last["outcome"] == "confirm" else "cancelling"
        effects: list[Effect] = [Note(text=f"recovered: {last['outcome']} {xid} again")]
        effects += [_second(ctx, state, b, str(last["outcome"])) for b in branches(ctx)]
        effects.append(SetTimer(name=RETRY_TIMER, delay_ms=ctx.params["retry_ms"]))
        return {**state, "phase": phase}, effects
    if state["txn"] < ctx.params["transactions"]:
        return begin(ctx, state, event, now)
    return {**state, "phase": str(last["outcome"]), "branches": {}}, ()
