"""The saga orchestrator (``orch``): runs each saga's steps in order, and its compensations back on a failure.

It begins ``sagas`` sagas (``g1``, ``g2``, ...), all at once or one every
``stagger_ms``, so they may run side by side on the same services. For each
it sends T1 to ``s1``, then on ``step_ok`` T2 to ``s2``, and so on; after
the last it records the saga ``completed``. On ``step_failed`` at Tk it runs
the compensations C(k-1)..C1 in reverse, each once acknowledged, and records
the saga ``compensated``. Steps after the ``pivot`` are retriable: they
never fail for business reasons, and once the pivot has committed the saga
only goes forward.

Every request awaited is resent every ``retry_ms`` (a lost message, a busy
item, a compensation that failed for now), at most ``max_retries`` times.
A step up to the pivot still unanswered then is given up: the orchestrator
compensates from that step down (its compensation voids it at the service,
run or not). A compensation, or a step after the pivot, still unanswered is
left for an operator (the saga is ``stuck``).

With ``countermeasure=semantic-lock`` a completed saga then releases the
pending flag at every service (``release``, retried until acknowledged).
The orchestrator's log (each saga's begin and end) is taken as durable and
the orchestrator as always up, as a saga framework keeps its saga instances
in its database; services crash.
"""

from __future__ import annotations

from typing import Any

from protocols.base import CancelTimer, Context, Effect, Note, Outcome, Persist, Receive, Send, SetTimer, State

RETRY_TIMER, NEXT_TIMER = "retry", "next"
AWAITING = ("forward", "compensating")


def services(ctx: Context) -> list[str]:
    """Return the services in step order (T1 at the first)."""
    return ctx.nodes_with_role("service")


def steps(ctx: Context) -> int:
    """Return how many steps a saga has: one per service."""
    return len(services(ctx))


def pivot(ctx: Context) -> int:
    """Return the pivot step (the last that may fail; after it the saga only goes forward)."""
    return int(ctx.params["pivot"]) or steps(ctx)


def initial(ctx: Context) -> State:
    """Return the orchestrator's state before its first saga."""
    return {"phase": "init", "begun": 0, "sagas": {}}


def _request(ctx: Context, saga: str, kind: str, step: int) -> Send:
    body = {"saga": saga, "step": step, "amount": ctx.params["amount"]}
    if kind == "step":
        body["retriable"] = step > pivot(ctx)
    return Send(dest=services(ctx)[step - 1], type=kind, body=body)


def _arm(ctx: Context, state: State, now: int) -> list[Effect]:
    """Set the retry timer for the earliest resend due, or cancel it when nothing is awaited."""
    due = [int(s["sent_at"]) + int(ctx.params["retry_ms"]) for s in state["sagas"].values()
           if s["status"] in AWAITING or s["locks"]]
    if not due:
        return [CancelTimer(name=RETRY_TIMER)]
    return [SetTimer(name=RETRY_TIMER, delay_ms=max(0, min(due) - now))]


def _set(state: State, saga: str, **changes: Any) -> State:
    return {**state, "sagas": {**state["sagas"], saga: {**state["sagas"][saga], **changes}}}


def _finish(ctx: Context, state: State) -> State:
    over = state["begun"] >= int(ctx.params["sagas"])
    if over and all(s["status"] not in AWAITING and not s["locks"] for s in state["sagas"].values()):
        return {**state, "phase": "finished"}
    return state


def _begin_one(ctx: Context, state: State, now: int) -> Outcome:
    saga = f"g{state['begun'] + 1}"
    record = Persist(record={"type": "saga-begin", "saga": saga, "steps": steps(ctx)})
    fresh = {"status": "forward", "step": 1, "retries": 0, "sent_at": now, "started": now, "locks": []}
    state = {**state, "phase": "running", "begun": state["begun"] + 1, "sagas": {**state["sagas"], saga: fresh}}
    return state, [record, _request(ctx, saga, "step", 1)]


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Begin the first saga (every saga, with ``stagger_ms=0``)."""
    effects: list[Effect] = []
    wanted = int(ctx.params["sagas"]) if int(ctx.params["stagger_ms"]) == 0 else 1
    while state["begun"] < wanted:
        state, more = _begin_one(ctx, state, now)
        effects += more
    if state["begun"] < int(ctx.params["sagas"]):
        effects.append(SetTimer(name=NEXT_TIMER, delay_ms=int(ctx.params["stagger_ms"])))
    return state, [*effects, *_arm(ctx, state, now)]


def next_saga(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Begin the next saga, and wait ``stagger_ms`` for the one after."""
    state, effects = _begin_one(ctx, state, now)
    more: list[Effect] = list(effects)
    if state["begun"] < int(ctx.params["sagas"]):
        more.append(SetTimer(name=NEXT_TIMER, delay_ms=int(ctx.params["stagger_ms"])))
    return state, [*more, *_arm(ctx, state, now)]


def _awaited(state: State, event: Receive, status: str) -> str | None:
    """Return the saga the answer is about if the orchestrator awaits exactly it, else None (late, repeated)."""
    body = event.message.body
    saga = state["sagas"].get(str(body["saga"]))
    if saga is None or saga["status"] != status or saga["step"] != int(body["step"]):
        return None
    return str(body["saga"])


def _end(ctx: Context, state: State, saga: str, outcome: str, now: int) -> Outcome:
    locks = services(ctx) if outcome == "completed" and ctx.params["countermeasure"] == "semantic-lock" else []
    state = _set(state, saga, status=outcome, locks=locks, retries=0, sent_at=now)
    effects: list[Effect] = [Persist(record={"type": "saga-end", "saga": saga, "outcome": outcome,
                                             "steps": steps(ctx)})]
    effects += [Send(dest=s, type="release", body={"saga": saga}) for s in locks]
    return _finish(ctx, state), effects


def _compensate_from(ctx: Context, state: State, saga: str, step: int, now: int) -> Outcome:
    """Compensate ``step`` and the ones before it, last first; with none left the saga is compensated."""
    if step == 0:
        return _end(ctx, state, saga, "compensated", now)
    state = _set(state, saga, status="compensating", step=step, retries=0, sent_at=now)
    return state, [_request(ctx, saga, "compensate", step)]


def step_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A step committed: send the next, or end the saga completed after the last."""
    saga = _awaited(state, event, "forward")
    if saga is None:
        return state, ()
    step = state["sagas"][saga]["step"]
    if step == steps(ctx):
        state, effects = _end(ctx, state, saga, "completed", now)
    else:
        state = _set(state, saga, step=step + 1, retries=0, sent_at=now)
        effects = [_request(ctx, saga, "step", step + 1)]
    return state, [*effects, *_arm(ctx, state, now)]


def step_failed(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A step failed for business reasons: compensate every step before it, last first."""
    saga = _awaited(state, event, "forward")
    if saga is None:
        return state, ()
    step = state["sagas"][saga]["step"]
    note = Note(text=f"{saga}: T{step} failed ({event.message.body.get('reason')}): compensate back")
    state, effects = _compensate_from(ctx, state, saga, step - 1, now)
    return state, [note, *effects, *_arm(ctx, state, now)]


def compensate_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A compensation committed: compensate the step before, or end the saga compensated after C1."""
    saga = _awaited(state, event, "compensating")
    if saga is None:
        return state, ()
    state, effects = _compensate_from(ctx, state, saga, state["sagas"][saga]["step"] - 1, now)
    return state, [*effects, *_arm(ctx, state, now)]


def release_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A service cleared the saga's pending flag."""
    saga = state["sagas"].get(str(event.message.body["saga"]))
    if saga is None or event.message.src not in saga["locks"]:
        return state, ()
    name = str(event.message.body["saga"])
    state = _finish(ctx, _set(state, name, locks=[s for s in saga["locks"] if s != event.message.src]))
    return state, _arm(ctx, state, now)


def _resend(ctx: Context, state: State, saga: str, now: int) -> Outcome:
    """Resend what the saga awaits, or give up on it after ``max_retries``."""
    mine = state["sagas"][saga]
    if mine["status"] not in AWAITING:
        if mine["retries"] >= int(ctx.params["max_retries"]):
            note = Note(text=f"{saga}: release unacknowledged by {', '.join(mine['locks'])}: left for an operator")
            return _finish(ctx, _set(state, saga, locks=[])), [note]
        state = _set(state, saga, retries=mine["retries"] + 1, sent_at=now)
        return state, [Send(dest=s, type="release", body={"saga": saga}) for s in mine["locks"]]
    if mine["retries"] < int(ctx.params["max_retries"]):
        state = _set(state, saga, retries=mine["retries"] + 1, sent_at=now)
        kind = "step" if mine["status"] == "forward" else "compensate"
        return state, [_request(ctx, saga, kind, mine["step"])]
    label = f"{'T' if mine['status'] == 'forward' else 'C'}{mine['step']}"
    if mine["status"] == "forward" and mine["step"] <= pivot(ctx):
        note = Note(text=f"{saga}: no answer to {label} after {mine['retries']} retries: compensate from it")
        state, effects = _compensate_from(ctx, state, saga, mine["step"], now)
        return state, [note, *effects]
    note = Note(text=f"{saga}: no answer to {label} after {mine['retries']} retries: left for an operator")
    return _finish(ctx, _set(state, saga, status="stuck", locks=[])), [note]


def retry(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Resend every request whose answer is overdue."""
    effects: list[Effect] = []
    for saga, mine in sorted(state["sagas"].items()):
        waiting = mine["status"] in AWAITING or mine["locks"]
        if waiting and int(mine["sent_at"]) + int(ctx.params["retry_ms"]) <= now:
            state, more = _resend(ctx, state, saga, now)
            effects += more
    return state, [*effects, *_arm(ctx, state, now)]


def busy(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """The item is pending for another saga: the retry timer sends the step again."""
    body = event.message.body
    return state, [Note(text=f"{body['saga']}: T{body['step']} waits: the item is pending for {body['holder']}")]


def compensate_failed(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A compensation failed for now: the retry timer sends it again."""
    body = event.message.body
    return state, [Note(text=f"{body['saga']}: C{body['step']} failed for now: it will be retried")]
