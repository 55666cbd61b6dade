"""The primary: it orders every write in its log and ships the log to the replicas, asynchronously.

A ``write`` is appended at the next log position, forced to the durable log,
acknowledged with its position (``write_ok``: the client's write token) and
then sent on to every replica (``replicate``), without waiting for any: a
replica may be far behind when the writer reads next. ``sent`` and
``acked`` say, per replica, how far the primary has shipped its log and how
far the replica says it has applied it. A ``replicate_ok`` moves ``acked``;
one flagged ``gap`` (the replica lacks positions it was sent: a lost
message, a restart on either side) makes the primary ship again from what
the replica has applied, in batches of at most ``MAX_ENTRIES_PER_MESSAGE``,
each acknowledgement asking for the next. The primary also answers reads
(``read``) at its head: with ``guarantee=primary-reads``, or when a client
gives up waiting for a replica.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Outcome, Persist, Receive, Send, State
from protocols.sessions.common import MAX_ENTRIES_PER_MESSAGE, REPLICA, value_at

SERVING = "serving"


def initial(ctx: Context) -> State:
    """Return the primary at boot: an empty log, nothing shipped."""
    replicas = ctx.nodes_with_role(REPLICA)
    return {"phase": SERVING, "log": [], "sent": {r: 0 for r in replicas}, "acked": {r: 0 for r in replicas}}


def ship(state: State, replica: str) -> tuple[State, list[Effect]]:
    """Send ``replica`` the next batch of log entries it has not been sent, if any."""
    log, start = state["log"], state["sent"][replica]
    if start >= len(log):
        return state, []
    batch = log[start:start + MAX_ENTRIES_PER_MESSAGE]
    sent = {**state["sent"], replica: int(batch[-1]["pos"])}
    body = {"entries": [dict(e) for e in batch], "head": len(log)}
    return {**state, "sent": sent}, [Send(dest=replica, type="replicate", body=body)]


def on_write(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Append the write, force it, acknowledge its position, then ship it to every replica.

    A duplicated write (the same unique value again) is acknowledged with its first position, not appended twice.
    """
    m = event.message
    again = [e for e in state["log"] if e["key"] == m.body["key"] and e["value"] == m.body["value"]]
    if again:
        body = {"key": again[0]["key"], "value": again[0]["value"], "n": m.body["n"], "pos": again[0]["pos"]}
        return state, [Send(dest=m.src, type="write_ok", in_reply_to=m.msg_id, body=body)]
    entry = {"pos": len(state["log"]) + 1, "key": str(m.body["key"]), "value": str(m.body["value"])}
    state = {**state, "log": [*state["log"], entry]}
    effects: list[Effect] = [Persist(record={"type": "write", **entry}),
                             Send(dest=m.src, type="write_ok", in_reply_to=m.msg_id,
                                  body={"key": entry["key"], "value": entry["value"], "n": m.body["n"],
                                        "pos": entry["pos"]})]
    for replica in ctx.nodes_with_role(REPLICA):
        state, more = ship(state, replica)
        effects += more
    return state, effects


def on_read(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Answer a read at the head of the log: the latest write of the key, always."""
    m = event.message
    key = str(m.body["key"])
    value, version = value_at(state["log"], key)
    body = {"key": key, "value": value, "ver": version, "n": m.body["n"], "pos": len(state["log"]),
            "replica": ctx.node, "waited_ms": 0}
    return state, [Send(dest=m.src, type="read_ok", in_reply_to=m.msg_id, body=body)]


def on_replicate_ok(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Note how far a replica has applied; ship again from there on a gap, or the next batch when all landed."""
    m = event.message
    replica, applied = m.src, int(m.body["applied"])
    acked = {**state["acked"], replica: max(state["acked"].get(replica, 0), applied)}
    sent = max(state["sent"][replica], min(acked[replica], len(state["log"])))
    state = {**state, "acked": acked, "sent": {**state["sent"], replica: sent}}
    if m.body.get("gap"):
        state = {**state, "sent": {**state["sent"], replica: min(applied, len(state["log"]))}}
    elif state["sent"][replica] > acked[replica]:
        return state, ()  # Entries still on their way or waiting out the lag: no need to send them again.
    new, effects = ship(state, replica)
    return new, effects


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the log from the durable records; ship nothing until a replica or a write asks."""
    log = [{"pos": int(r["pos"]), "key": str(r["key"]), "value": str(r["value"])}
           for r in event.durable if r.get("type") == "write"]
    return {**initial(ctx), "log": log}, ()


def value_of(state: State, key: str) -> tuple[str, int]:
    """Return a key's value and version at the primary's head."""
    return value_at(state["log"], key)
