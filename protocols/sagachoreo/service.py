"""A service ``sk``: it runs its step of every saga, or compensates it, in reaction to events.

There is no orchestrator. ``s1`` begins saga ``gN`` every ``stagger_ms``;
every other service waits for the event of the step before its own
(``done`` at ``s(k-1)``). A step is one local transaction that reads the
service's value, adds the saga's amount (``amount`` times the saga's
number), and writes its outgoing event into the service's outbox in the same
record: both or neither. The service's relay (relay.py) publishes the row
later. A step the business refuses (``fail_saga`` at ``fail_step``) writes
a ``failed`` event instead, and the services before it compensate, each in
reaction to the next one's ``failed`` or ``undone`` event, in reverse.

Every event consumed is acknowledged to the broker only after its
transaction; ``dedup`` keeps the ids consumed in that same transaction, so a
redelivered or republished event is acknowledged and not applied again.

``countermeasure`` is what protects concurrent sagas from each other:

- ``none``: a compensation restores the step's before-image; another saga
  may read the value in between (a dirty read if the step is then undone)
  and the restore erases whatever another saga added since (a lost update).
- ``semantic-lock``: a step leaves the value *_PENDING for its saga until the
  saga completes (its last step's event) or the step is compensated; another
  saga's step finds it pending and waits (its event is not acknowledged, so
  the broker redelivers it; ``s1`` retries its begin), logging its first
  wait at each service.
- ``commutative``: a compensation subtracts the step's amount instead of
  restoring the before-image: concurrent steps commute.
- ``reread``: a compensation re-reads the value before overwriting it; the
  before-image is restored only if the value is still what the step wrote,
  otherwise it subtracts the step's amount.

``email_step`` makes one service also email the customer in its step: an
irreversible effect that no compensation can take back.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Note, Outcome, Persist, Receive, Send, SetTimer, State
from protocols.sagachoreo import relay
from protocols.sagachoreo.events import event_id, number, saga, saga_number, subscribers

BEGIN = "begin"
KEY = "booked"
"""The one data item each service keeps (what every saga's step adds to)."""


def initial(ctx: Context) -> State:
    """Return a service's state at boot (and before its recovery replays the log)."""
    return {"phase": "idle", "value": ctx.params["value"], "steps": {}, "pending": None, "seen": [], "outbox": {},
            "row": None, "started": 0, "waited": []}


def start(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Boot: ``s1`` begins the first saga at once; the others wait for events."""
    return state, [SetTimer(name=BEGIN, delay_ms=0)] if ctx.node == "s1" and ctx.params["sagas"] else []


def _ack(event: Receive | None) -> list[Effect]:
    if event is None:
        return []
    body = {"delivery": event.message.body["delivery"]}
    return [Send(dest=event.message.src, type="ack", body=body, in_reply_to=event.message.msg_id)]


def _commit(ctx: Context, state: State, record: dict[str, Any], out: str | None, event: Receive | None,
            effect: str | None = None, ended: str | None = None) -> Outcome:
    """One local transaction: the change, the outgoing event's row and the consumed id, then the ack.

    The transaction's record comes with what the history detectors read beside it (protocols/common/
    saga_history.py): the saga's begin at ``s1``, an irreversible ``effect``, and the saga's end where it
    ends (the last service's step, or ``s1``'s compensation or refusal)."""
    if out is not None and not subscribers(out, ctx.params["services"], _locks(ctx)):
        out = None  # Nobody listens to it (the saga ended at s1, or completed without locks): no row.
    if ctx.params["dedup"] and record.get("in"):
        state = {**state, "seen": [*state["seen"], str(record["in"])]}
    name, steps = str(record["saga"]), ctx.params["services"]
    effects: list[Effect] = []
    if record["type"] in ("apply", "fail") and record.get("in") is None:
        effects.append(Persist(record={"type": "saga-begin", "saga": name, "steps": steps}))
    effects.append(Persist(record={**record, "out": out}))
    if effect is not None:
        effects.append(Persist(record={"type": "effect", "saga": name, "step": record["step"], "what": effect}))
    if ended is not None:
        effects.append(Persist(record={"type": "saga-end", "saga": name, "outcome": ended, "steps": steps}))
    if out is not None and out not in state["outbox"]:  # The row's key is the event id: written once.
        state, woken = relay.added(ctx, {**state, "outbox": {**state["outbox"], out: False}})
        effects += woken
    return state, effects + _ack(event)


def _locks(ctx: Context) -> bool:
    return bool(ctx.params["countermeasure"] == "semantic-lock")


def _blocked(ctx: Context, state: State, name: str) -> bool:
    return ctx.params["countermeasure"] == "semantic-lock" and state["pending"] not in (None, name)


def forward(ctx: Context, state: State, name: str, incoming: str | None, event: Receive | None) -> Outcome:
    """Run this service's step of saga ``name``: refuse it, or read, add and write, with its event."""
    k, p = number(ctx.node), ctx.params
    if p["fail_saga"] == saga_number(name) and p["fail_step"] == k:
        record = {"type": "fail", "saga": name, "step": k, "key": KEY, "value": state["value"], "reason": "refused",
                  "in": incoming}
        state, effects = _commit(ctx, state, record, event_id(name, "failed", k), event,
                                 ended="compensated" if k == 1 else None)
        return state, [Note(text=f"{name} refused at {ctx.node}: its compensations begin"), *effects]
    before, delta = state["value"], p["amount"] * saga_number(name)
    email = p["email_step"] == k
    step = {"before": before, "after": before + delta, "delta": delta, "undone": False, "email": email}
    locks = p["countermeasure"] == "semantic-lock" and k < p["services"]
    state = {**state, "value": before + delta, "steps": {**state["steps"], name: step},
             "pending": name if locks else state["pending"]}
    record = {"type": "apply", "saga": name, "step": k, "key": KEY, "before": before, "after": before + delta,
              "idem": f"{name}/T{k}", "delta": delta, "in": incoming, "email": email, "lock": locks}
    last = k == p["services"]
    state, effects = _commit(ctx, state, record, event_id(name, "done", k), event,
                             effect="email" if email else None, ended="completed" if last else None)
    return state, [*([Note(text=f"{name}: email sent to the customer (cannot be unsent)")] if email else []),
                   *effects]


def compensate(ctx: Context, state: State, name: str, incoming: str, event: Receive | None) -> Outcome:
    """Undo this service's step of saga ``name`` (as the countermeasure says), with its ``undone`` event."""
    step = state["steps"].get(name)
    if step is None:
        return state, [Note(text=f"nothing of {name} to compensate here"), *_ack(event)]
    value, how = state["value"], ctx.params["countermeasure"]
    restore = how in ("none", "semantic-lock") or (how == "reread" and value == step["after"])
    after = step["before"] if restore else value - step["delta"]
    notes = [] if restore or how == "commutative" else [
        Note(text=f"{name}: the value changed since its step ({value}, not {step['after']}): subtract, not restore")]
    state = {**state, "value": after, "steps": {**state["steps"], name: {**step, "undone": True}},
             "pending": None if state["pending"] == name else state["pending"]}
    k = number(ctx.node)
    record = {"type": "compensate", "saga": name, "step": k, "key": KEY, "before": value, "after": after,
              "mode": "restore" if restore else "inverse", "delta": step["delta"], "in": incoming,
              "email": step["email"]}
    state, effects = _commit(ctx, state, record, event_id(name, "undone", k), event,
                             ended="compensated" if k == 1 else None)
    return state, [*notes, *effects]


def completed(ctx: Context, state: State, name: str, incoming: str, event: Receive) -> Outcome:
    """The saga's last step ran: it is complete; release its semantic lock here."""
    pending = None if state["pending"] == name else state["pending"]
    return _commit(ctx, {**state, "pending": pending},
                   {"type": "complete", "saga": name, "step": number(ctx.node), "in": incoming}, None, event)


def _wait(ctx: Context, state: State, name: str, unacked: bool) -> Outcome:
    """Saga ``name`` finds the value pending for another: log its first wait here (the timeline draws it)."""
    note = Note(text=f"{name} waits: the value is pending for {state['pending']}"
                     f"{' (not acknowledged)' if unacked else ''}")
    if name in state["waited"]:
        return state, [note]
    record = {"type": "wait", "saga": name, "step": number(ctx.node), "key": KEY, "holder": state["pending"]}
    return {**state, "waited": [*state["waited"], name]}, [note, Persist(record=record)]


def begin(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """``s1``: begin the next saga with its first step (or wait for a pending value), and plan the next."""
    name = saga(state["started"] + 1)
    if _blocked(ctx, state, name):
        state, effects = _wait(ctx, state, name, unacked=False)
        return state, [*effects, SetTimer(name=BEGIN, delay_ms=ctx.params["lock_retry_ms"])]
    state, effects = forward(ctx, {**state, "started": state["started"] + 1}, name, None, None)
    more = state["started"] < ctx.params["sagas"]
    return state, [*effects, *([SetTimer(name=BEGIN, delay_ms=ctx.params["stagger_ms"])] if more else [])]


def deliver(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """React to an event: the step before ours ran, one after ours failed or was undone, or the saga ended."""
    body = event.message.body
    incoming, name, kind, step = str(body["id"]), str(body["saga"]), str(body["kind"]), int(body["step"])
    if ctx.params["dedup"] and incoming in state["seen"]:
        return state, [Note(text=f"{incoming} already consumed: acknowledged, not applied"), *_ack(event)]
    if kind == "done" and step == ctx.params["services"]:
        return completed(ctx, state, name, incoming, event)
    if kind == "done":
        if _blocked(ctx, state, name):
            return _wait(ctx, state, name, unacked=True)
        return forward(ctx, state, name, incoming, event)
    return compensate(ctx, state, name, incoming, event)


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Restart: replay the log (steps, compensations, consumed ids, outbox rows and marks); resume the relay
    and, on ``s1``, the sagas still to begin."""
    state = dict(initial(ctx))
    for r in event.durable:
        state = replay(ctx, state, r)
    effects: list[Effect] = []
    if ctx.node == "s1" and state["started"] < ctx.params["sagas"]:
        effects.append(SetTimer(name=BEGIN, delay_ms=ctx.params["stagger_ms"]))
    state, woken = relay.resume(ctx, state)
    return state, [*effects, *woken]


def replay(ctx: Context, state: dict[str, Any], r: Any) -> dict[str, Any]:
    """Apply one logged record to a state being rebuilt."""
    kind, name = r.get("type"), r.get("saga")
    if kind == "mark":
        return {**state, "outbox": {**state["outbox"], str(r["id"]): True}}
    if kind == "wait":
        return {**state, "waited": [*state["waited"], str(name)]}
    if r.get("in") and ctx.params["dedup"]:
        state = {**state, "seen": [*state["seen"], str(r["in"])]}
    if r.get("out") and str(r["out"]) not in state["outbox"]:
        state = {**state, "outbox": {**state["outbox"], str(r["out"]): False}}
    if kind in ("apply", "fail") and r.get("in") is None:
        state = {**state, "started": max(state["started"], saga_number(str(name)))}
    if kind == "apply":
        step = {"before": r["before"], "after": r["after"], "delta": r["delta"], "undone": False, "email": r["email"]}
        state = {**state, "value": r["after"], "steps": {**state["steps"], name: step},
                 "pending": name if r["lock"] else state["pending"]}
    elif kind == "compensate":
        steps = {**state["steps"], name: {**state["steps"][name], "undone": True}}
        state = {**state, "value": r["after"], "steps": steps}
    if kind in ("compensate", "complete") and state["pending"] == name:
        state = {**state, "pending": None}
    return state
