"""Canonical descriptions of a world, for the explorer's state hashing.

Kept out of the engine: only the explorer needs them, and they are the
explorer's hottest code after the handlers themselves.

A fingerprint holds everything that decides what can happen next and what
the checker will say about it: each node's state, durable log, timers (with
their due times) and life; the messages in flight (with the request each
answers); the virtual time, which handlers may read; planned faults; and
the memory of the history invariants. Only names the engine invents (message
and timer ids, event sequence numbers outside the checkers' memory) are left
out.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from protocols.sim.engine import Engine


def _canonical_default(value: Any) -> Any:
    """Encode what JSON cannot: sets sorted (so their text is stable), anything else as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return str(value)


# The encoders json.dumps(..., sort_keys=True) and json.dumps(..., sort_keys=True,
# default=...) build afresh on every call; the fingerprint reuses these.
_CANONICAL = json.JSONEncoder(sort_keys=True)
_CANONICAL_LENIENT = json.JSONEncoder(sort_keys=True, default=_canonical_default)


def fingerprint(engine: Engine) -> str:
    """Return a canonical description of the world, without ids, for state hashing."""
    pending = engine.pending
    nodes = [
        (name, rt.up, rt.paused, rt.state, rt.durable,
         sorted((timer, pending[pid].due) for timer, pid in rt.timers.items()), len(rt.held))
        for name, rt in engine.nodes.items()
    ]
    # The explorer calls this once per transition, so each message body is
    # encoded once per call (resends share an empty body, duplicates share
    # the original's) with a ready-made encoder; the text is the same as
    # json.dumps(body, sort_keys=True) would give.
    bodies: dict[int, str] = {}
    flights = []
    faults = []
    for p in pending.values():
        message = p.message
        if message is not None:
            body = message.body
            text = bodies.get(id(body))
            if text is None:
                text = bodies[id(body)] = _CANONICAL.encode(body) if body else "{}"
            flights.append((message.src, message.dest, message.type, text, message.in_reply_to or ""))
        if p.fault:
            faults.append(_CANONICAL.encode(p.fault))
    flights.sort()
    faults.sort()
    partition = sorted(engine.network.partition.items()) if engine.network.partition else None
    return _CANONICAL_LENIENT.encode([engine.now, nodes, flights, faults, partition, len(engine._watches),
                                      engine.checker.memory()])
