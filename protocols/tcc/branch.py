"""A TCC branch: a service whose account takes Try (freeze), Confirm (spend the frozen) and Cancel (release it).

The account is ``balance`` plus ``frozen``. Every change is logged (the
branch's database) with the numbers after it. ``control_table=true`` keeps
Seata's transaction control table, one row per global transaction:
``tried``, ``confirmed`` or ``cancelled``. With it a Cancel for a Try never
seen records ``cancelled`` and changes nothing (an empty rollback), a Try
that finds ``cancelled`` is refused (no hanging), and a repeated Confirm or
Cancel finds its row done and only acknowledges (idempotence). Without it
each message is applied as it comes: a Cancel gives back the amount whether
or not it was frozen, a late Try freezes for good, a retried Confirm spends
twice.

The branch named by ``slow_branch`` runs each Try only ``slow_try_ms``
after it arrives (a lock wait, a long pause), so the coordinator may time
out and cancel while the Try is still to run.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Outcome, Persist, Receive, Send, SetTimer, State

WORK_TIMER = "work"
ROW_PHASE = {"tried": "reserved", "confirmed": "confirmed", "cancelled": "cancelled"}
"""The phase a control-table row stands for."""


def opening_balance(params: Any, node: str) -> int:
    """Return what a branch's account holds at the start: short of the amount for ``short_branch``."""
    short = int(params["short_branch"]) == int(node[1:])
    return int(params["amount"]) - 1 if short else int(params["balance"])


def initial(ctx: Context) -> State:
    """Return a branch's state at the start."""
    return {"phase": "idle", "xid": None, "balance": opening_balance(ctx.params, ctx.node), "frozen": 0,
            "control": {}, "pending": None}


def _log(state: State, kind: str, xid: str, amount: int) -> Persist:
    return Persist(record={"type": kind, "xid": xid, "amount": amount, "balance": state["balance"],
                           "frozen": state["frozen"]})


def _phase(state: State, xid: str, phase: str) -> State:
    """Move to ``phase`` if ``xid`` is the branch's latest transaction (or a new one)."""
    if state["xid"] in (None, xid) or int(xid[2:]) > int(str(state["xid"])[2:]):
        return {**state, "phase": phase, "xid": xid}
    return state


def on_try(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """A Try: run it now, or after ``slow_try_ms`` on the slow branch."""
    xid, amount = event.message.body["xid"], int(event.message.body["amount"])
    if int(ctx.params["slow_branch"]) == int(ctx.node[1:]):
        busy = _phase({**state, "pending": {"xid": xid, "amount": amount}}, xid, "busy")
        return busy, [SetTimer(name=WORK_TIMER, delay_ms=ctx.params["slow_try_ms"])]
    return run_try(ctx, state, xid, amount)


def work_done(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """The slow Try finally runs."""
    pending = state["pending"]
    return run_try(ctx, {**state, "pending": None}, str(pending["xid"]), int(pending["amount"]))


def run_try(ctx: Context, state: State, xid: str, amount: int) -> Outcome:
    """Reserve: freeze the amount, unless the control table says this transaction is already past its Try."""
    tc = ctx.nodes_with_role("coordinator")[0]
    row = state["control"].get(xid)
    if ctx.params["control_table"] and row is not None:
        state = _phase(state, xid, ROW_PHASE[row])
        if row != "cancelled":  # A repeated Try: it reserved once, and says so again.
            return state, [Send(dest=tc, type="try_ok", body={"xid": xid})]
        return state, [_log(state, "refuse-try", xid, amount),
                       Send(dest=tc, type="try_failed", body={"xid": xid, "reason": "refused"})]
    if state["balance"] < amount:
        return _phase(state, xid, "failed"), [Send(dest=tc, type="try_failed", body={"xid": xid, "reason": "funds"})]
    state = {**state, "balance": state["balance"] - amount, "frozen": state["frozen"] + amount}
    if ctx.params["control_table"]:
        state = {**state, "control": {**state["control"], xid: "tried"}}
    state = _phase(state, xid, "reserved")
    return state, [_log(state, "freeze", xid, amount), Send(dest=tc, type="try_ok", body={"xid": xid})]


def on_confirm(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Confirm: spend the frozen amount (once, with the control table)."""
    xid, amount = event.message.body["xid"], int(event.message.body["amount"])
    ack = Send(dest=event.message.src, type="confirm_ok", body={"xid": xid}, in_reply_to=event.message.msg_id)
    if ctx.params["control_table"]:
        if state["control"].get(xid) != "tried":
            return state, [ack]  # Done already (or never reserved): acknowledge, change nothing.
        state = {**state, "control": {**state["control"], xid: "confirmed"}}
    from_frozen = min(state["frozen"], amount)
    state = {**state, "frozen": state["frozen"] - from_frozen, "balance": state["balance"] - (amount - from_frozen)}
    state = _phase(state, xid, "confirmed")
    return state, [_log(state, "spend", xid, amount), ack]


def on_cancel(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Cancel: give back the frozen amount; with the control table, an unseen Try is an empty rollback."""
    xid, amount = event.message.body["xid"], int(event.message.body["amount"])
    ack = Send(dest=event.message.src, type="cancel_ok", body={"xid": xid}, in_reply_to=event.message.msg_id)
    if ctx.params["control_table"]:
        row = state["control"].get(xid)
        if row in ("cancelled", "confirmed"):
            return state, [ack]
        state = {**state, "control": {**state["control"], xid: "cancelled"}}
        if row is None:
            state = _phase(state, xid, "cancelled")
            effects: list[Effect] = [_log(state, "empty-rollback", xid, amount), ack]
            return state, effects
    state = {**state, "frozen": state["frozen"] - min(state["frozen"], amount), "balance": state["balance"] + amount}
    state = _phase(state, xid, "cancelled")
    return state, [_log(state, "release", xid, amount), ack]


RECORD_ROW = {"freeze": "tried", "spend": "confirmed", "release": "cancelled", "empty-rollback": "cancelled"}
"""The control-table row each logged change leaves (a refused Try leaves the row it found)."""
RECORD_PHASE = {"freeze": "reserved", "spend": "confirmed", "release": "cancelled", "empty-rollback": "cancelled",
                "refuse-try": "cancelled"}


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the account and the control table from the log; a Try still to run was lost with the crash."""
    state = initial(ctx)
    control: dict[str, str] = {}
    for record in event.durable:
        if record["type"] in RECORD_ROW:
            control[str(record["xid"])] = RECORD_ROW[str(record["type"])]
        state = {**state, "balance": int(record["balance"]), "frozen": int(record["frozen"]),
                 "phase": RECORD_PHASE[str(record["type"])], "xid": str(record["xid"])}
    return {**state, "control": control if ctx.params["control_table"] else {}}, ()
