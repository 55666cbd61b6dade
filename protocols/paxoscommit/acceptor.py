"""An acceptor of every resource manager's Paxos instance (Gray and Lamport's 2F+1 acceptors).

It promises ballots (phase 1, for all instances at once) and accepts values
(phase 2, one or several instances per message), and never goes back on
either: both are forced to its log before it answers, and rebuilt from it on
recovery. Every acceptance is reported to both leaders, the learners.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Outcome, Persist, Receive, Recover, Send, State

LEADERS = ("leader", "backup")


def initial(ctx: Context) -> State:
    """Return an acceptor's state at boot and after a crash, before its recovery handler runs."""
    return {"phase": "accepting", "promised": -1, "accepted": {}}


def promise(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Phase 1a: promise a higher ballot and report what it has accepted; a lower one goes unanswered."""
    ballot = event.message.body["ballot"]
    if ballot <= state["promised"]:
        return state, ()
    return {**state, "promised": ballot}, [
        Persist(record={"type": "promise", "ballot": ballot}),
        Send(dest=event.message.src, type="p1b", body={"ballot": ballot, "accepted": dict(state["accepted"])},
             in_reply_to=event.message.msg_id),
    ]


def accept(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Phase 2a: accept the values of a ballot not below the promise, log them, tell the leaders."""
    body = event.message.body
    if body["ballot"] < state["promised"]:
        return state, ()
    accepted = {**state["accepted"], **{i: [body["ballot"], v] for i, v in body["values"].items()}}
    report = {"ballot": body["ballot"], "values": dict(body["values"])}
    return {**state, "accepted": accepted, "promised": max(state["promised"], body["ballot"])}, [
        Persist(record={"type": "accept", **report}),
        *[Send(dest=leader, type="p2b", body=report) for leader in LEADERS],
    ]


def recover(ctx: Context, state: State, event: Recover, now: int) -> Outcome:
    """Rebuild the promise and the acceptances from the log."""
    promised, accepted = -1, {}
    for record in event.durable:
        promised = max(promised, record["ballot"])
        if record["type"] == "accept":
            accepted.update({i: [record["ballot"], v] for i, v in record["values"].items()})
    rebuilt: dict[str, Any] = {**state, "promised": promised, "accepted": accepted}
    return rebuilt, ()
