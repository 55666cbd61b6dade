"""The database of write-behind: applies a cache's batches in order, each write once.

A batch lists writes ``{key, value, inc, seq, folded}`` in the order the
cache queued them. The database applies them in that order, forcing each to
its log (with the cache and its ``(inc, seq)``), then answers ``batch_ok``
with the batch's last ``(inc, seq)`` as ``upto`` and the version each key
reached (``vers``). It remembers, per cache, the highest ``(inc, seq)`` it has
applied (``applied``): a write at or below it is a resend or a replay of one
already applied, and is skipped, so it cannot bring back a value another
cache has overwritten since. A cache's incarnation ``inc`` grows at each of
its recoveries, so its sequence numbers may start again. On recovery the
database rebuilds data and ``applied`` from its log.

State: ``{"phase": "up", "data": {"k0": {"v": "c1:1", "ver": 1}}, "applied": {"cache1": [1, 3]}}``.
"""

from __future__ import annotations

from typing import Any

from protocols.base import Context, Effect, Outcome, Receive, Send, State
from protocols.cache.db import apply_write, replay_writes
from protocols.cache.db import db_read as db_read

__all__ = ["apply_batch", "db_read", "initial_state", "recover"]


def initial_state(ctx: Context) -> dict[str, Any]:
    """Return the database's state at boot: nothing written, nothing applied from any cache."""
    return {"phase": "up", "data": {}, "applied": {}}


def apply_batch(ctx: Context, state: State, event: Receive, now: int) -> Outcome:
    """Apply a batch's new writes in its order, each forced to the log, then confirm the whole batch."""
    cache = event.message.src
    writes = event.message.body["writes"]
    applied = list(state["applied"].get(cache, [0, 0]))
    effects: list[Effect] = []
    vers: dict[str, int] = {}
    for w in writes:
        stamp = [int(w["inc"]), int(w["seq"])]
        if stamp <= applied:
            continue  # Applied already (a resent or replayed batch): once is enough.
        state, persist, version = apply_write(state, w["key"], w["value"], src=cache, inc=stamp[0], seq=stamp[1])
        effects.append(persist)
        vers[w["key"]], applied = version, stamp
    state = {**state, "applied": {**state["applied"], cache: applied}}
    upto = [int(writes[-1]["inc"]), int(writes[-1]["seq"])] if writes else applied
    effects.append(Send(dest=cache, type="batch_ok", body={"upto": upto, "vers": vers},
                        in_reply_to=event.message.msg_id))
    return state, effects


def recover(ctx: Context, state: State, event: Any, now: int) -> Outcome:
    """Rebuild the data and each cache's high-water mark from the durable log."""
    applied: dict[str, list[int]] = {}
    for record in event.durable:
        if record.get("type") == "write" and "src" in record:
            stamp = [int(record["inc"]), int(record["seq"])]
            applied[record["src"]] = max(applied.get(record["src"], [0, 0]), stamp)
    return {**state, "phase": "up", "data": replay_writes(event.durable), "applied": applied}, ()
