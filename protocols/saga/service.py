"""A saga's service: one data item (``stock``), changed by local transactions and their compensations.

Step Tk of every saga runs at service ``sk``: it takes ``amount`` off the
stock, committed at once (a local ACID transaction) and logged with the
values before and after (the record vocabulary of
``protocols/common/saga_history.py``). A step fails for business reasons
when the stock is short, or when it is the configured ``failing_step`` of
``failing_saga``; a step after the pivot is retriable and never checks.

Each request carries an idempotency key (``g1/T2``, ``g1/C2``). With
``idempotency=true`` the service keeps a table of the keys it has handled:
a repeated request is answered as the first was and changes nothing, and a
compensation for a step never run here marks the step ``void`` so that the
step, arriving late, is refused. Without it each request is applied as it
comes.

Countermeasures (``countermeasure``): ``semantic-lock`` marks the item
pending (a *_PENDING flag) from a saga's step until the saga's compensation
here or its release at the end; another saga's step meanwhile is answered
``step_busy`` and retried. ``commutative`` compensates by adding the amount
back (an inverse increment) instead of writing the before-image.
``reread`` rereads the item before compensating: it writes the
before-image back only if the item still holds what the step wrote, else it
adds the amount back. ``none`` writes the before-image back, whatever
happened since.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, Effect, Outcome, Persist, Receive, Send, State

KEY = "stock"


def initial(ctx: Context) -> State:
    """Return a service's state at the start."""
    return {"phase": "open", "stock": int(ctx.params["stock"]), "holder": None, "last": None, "done": {},
            "written": {}, "attempts": {}}


def index(node: str) -> int:
    """Return the step a service runs (``s2`` runs T2)."""
    return int(node[1:])


def _reply(event: Receive, type_: str, **body: Any) -> Send:
    return Send(dest=event.message.src, type=type_, body=body, in_reply_to=event.message.msg_id)


def _remember(ctx: Context, state: State, idem: str, outcome: str) -> State:
    if not ctx.params["idempotency"]:
        return state
    return {**state, "done": {**state["done"], idem: outcome}}


def _fails(ctx: Context, state: State, saga: str, step: int, amount: int, retriable: bool) -> str | None:
    """Say why the step fails here, or None."""
    if int(ctx.params["failing_step"]) == step and saga == f"g{ctx.params['failing_saga']}":
        return "refused"
    if not retriable and state["stock"] < amount:
        return "stock"
    return None


ANSWER = {"ok": "step_ok", "failed": "step_failed", "void": "step_failed"}


def on_step(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Run step Tk of a saga: once, unless the item is pending for another saga or the step fails."""
    body = event.message.body
    saga, step, amount = str(body["saga"]), int(body["step"]), int(body["amount"])
    idem = f"{saga}/T{step}"
    seen = state["done"].get(idem)
    if seen is not None:
        return state, [_reply(event, ANSWER[seen], saga=saga, step=step, reason=seen)]
    if state["holder"] not in (None, saga):
        wait = Persist(record={"type": "wait", "saga": saga, "step": step, "key": KEY, "holder": state["holder"]})
        return state, [wait, _reply(event, "step_busy", saga=saga, step=step, holder=state["holder"])]
    reason = _fails(ctx, state, saga, step, amount, bool(body["retriable"]))
    if reason is not None:
        failed = Persist(record={"type": "fail", "saga": saga, "step": step, "key": KEY, "value": state["stock"],
                                 "reason": reason})
        return _remember(ctx, state, idem, "failed"), [failed, _reply(event, "step_failed", saga=saga, step=step,
                                                                      reason=reason)]
    before, after = state["stock"], state["stock"] - amount
    state = {**state, "stock": after, "last": saga, "written": {**state["written"], saga: {"before": before,
                                                                                         "after": after}}}
    if ctx.params["countermeasure"] == "semantic-lock":
        state = {**state, "holder": saga, "phase": "pending"}
    effects: list[Effect] = [Persist(record={"type": "apply", "saga": saga, "step": step, "key": KEY,
                                             "before": before, "after": after, "idem": idem})]
    if int(ctx.params["email_step"]) == step:
        effects.append(Persist(record={"type": "effect", "saga": saga, "step": step, "what": "email"}))
    effects.append(_reply(event, "step_ok", saga=saga, step=step))
    return _remember(ctx, state, idem, "ok"), effects


def _compensated(ctx: Context, state: State, saga: str, amount: int) -> tuple[int, str]:
    """Return the value a compensation leaves and how it got it (``restore`` or ``inverse``)."""
    mine = state["written"][saga]
    mode = ctx.params["countermeasure"]
    if mode == "commutative":
        return state["stock"] + amount, "inverse"
    if mode == "reread" and (state["stock"] != mine["after"] or state["last"] != saga):
        return state["stock"] + amount, "inverse"  # Changed since the step: do not overwrite it.
    return mine["before"], "restore"


def on_compensate(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Undo a saga's step here: once; a flaky compensation fails its first tries; a step never run is voided."""
    body = event.message.body
    saga, step, amount = str(body["saga"]), int(body["step"]), int(body["amount"])
    idem = f"{saga}/C{step}"
    if state["done"].get(idem) == "compensated":
        return state, [_reply(event, "compensate_ok", saga=saga, step=step)]
    tries = state["attempts"].get(idem, 0) + 1
    state = {**state, "attempts": {**state["attempts"], idem: tries}}
    if tries <= int(ctx.params["flaky_compensation"]):
        failed = Persist(record={"type": "compensate-failed", "saga": saga, "step": step, "key": KEY, "try": tries})
        return state, [failed, _reply(event, "compensate_failed", saga=saga, step=step)]
    if saga not in state["written"] or state["done"].get(f"{saga}/T{step}") == "failed":
        state = _remember(ctx, _unlock(state, saga), f"{saga}/T{step}", "void")
        void = Persist(record={"type": "void", "saga": saga, "step": step, "key": KEY})
        return _remember(ctx, state, idem, "compensated"), [void, _reply(event, "compensate_ok", saga=saga,
                                                                           step=step)]
    before = state["stock"]
    after, mode = _compensated(ctx, state, saga, amount)
    state = _remember(ctx, _unlock({**state, "stock": after, "last": saga}, saga), idem, "compensated")
    record = {"type": "compensate", "saga": saga, "step": step, "key": KEY, "before": before, "after": after,
              "mode": mode, "idem": idem}
    return state, [Persist(record=record), _reply(event, "compensate_ok", saga=saga, step=step)]


def _unlock(state: State, saga: str) -> State:
    if state["holder"] != saga:
        return state
    return {**state, "holder": None, "phase": "open"}


def on_release(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A saga that holds the semantic lock here has completed: clear the pending flag."""
    saga = str(event.message.body["saga"])
    effects: list[Effect] = []
    if state["holder"] == saga:
        effects.append(Persist(record={"type": "release", "saga": saga, "key": KEY}))
    effects.append(_reply(event, "release_ok", saga=saga))
    return _unlock(state, saga), effects


def replay(ctx: Context, state: State, record: Mapping[str, Any]) -> State:
    """Return the state after one logged record (recovery reads the log through this)."""
    kind, saga = str(record["type"]), str(record.get("saga"))
    if kind == "apply":
        written = {**state["written"], saga: {"before": int(record["before"]), "after": int(record["after"])}}
        state = {**state, "stock": int(record["after"]), "last": saga, "written": written}
        if ctx.params["countermeasure"] == "semantic-lock":
            state = {**state, "holder": saga, "phase": "pending"}
        return _remember(ctx, state, f"{saga}/T{record['step']}", "ok")
    if kind == "compensate":
        state = _unlock({**state, "stock": int(record["after"]), "last": saga}, saga)
        return _remember(ctx, state, f"{saga}/C{record['step']}", "compensated")
    if kind == "void":
        state = _remember(ctx, _unlock(state, saga), f"{saga}/T{record['step']}", "void")
        return _remember(ctx, state, f"{saga}/C{record['step']}", "compensated")
    if kind == "fail":
        return _remember(ctx, state, f"{saga}/T{record['step']}", "failed")
    if kind == "release":
        return _unlock(state, saga)
    return state  # wait, effect, compensate-failed: nothing to rebuild.


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the item, the lock and the idempotency table from the log; requests in flight were lost."""
    state = initial(ctx)
    for record in event.durable:
        state = replay(ctx, state, record)
    return state, ()
