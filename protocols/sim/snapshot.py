"""Canonical descriptions of a world, for the explorer's state hashing.

Kept out of the engine: only the explorer needs them, and they are the
explorer's hottest code after the handlers themselves.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocols.sim.engine import Engine

# The encoders json.dumps(..., sort_keys=True) and json.dumps(..., sort_keys=True,
# default=str) build afresh on every call; the fingerprint reuses these.
_CANONICAL = json.JSONEncoder(sort_keys=True)
_CANONICAL_LENIENT = json.JSONEncoder(sort_keys=True, default=str)


def fingerprint(engine: Engine) -> str:
    """Return a canonical description of the world, without time or ids, for state hashing."""
    nodes = [
        (name, rt.up, rt.paused, rt.state, rt.durable, sorted(rt.timers), len(rt.held))
        for name, rt in engine.nodes.items()
    ]
    # The explorer calls this once per transition, so each message body is
    # encoded once per call (resends share an empty body, duplicates share
    # the original's) with a ready-made encoder; the text is the same as
    # json.dumps(body, sort_keys=True) would give.
    bodies: dict[int, str] = {}
    flights = []
    faults = []
    for p in engine.pending.values():
        message = p.message
        if message is not None:
            body = message.body
            text = bodies.get(id(body))
            if text is None:
                text = bodies[id(body)] = _CANONICAL.encode(body) if body else "{}"
            flights.append((message.src, message.dest, message.type, text))
        if p.fault:
            faults.append(_CANONICAL.encode(p.fault))
    flights.sort()
    faults.sort()
    partition = sorted(engine.network.partition.items()) if engine.network.partition else None
    return _CANONICAL_LENIENT.encode([nodes, flights, faults, partition, len(engine._watches)])
