"""About how many events a CRDT counter run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, client_ops, per_op, plus


def events(p: Mapping[str, Any]) -> Estimate:
    """Increments, plus every replica's gossip rounds over the run."""
    rounds = p["replicas"] * (p["duration_ms"] // p["gossip_ms"] + 1)
    fanout = p["replicas"] - 1 if p["gossip_fanout"] == "all" else 1
    gossip = Estimate(math.ceil(rounds * (2 + 2.5 * fanout)),
                      f"{rounds:,} gossip rounds x about {2 + 2.5 * fanout:g} events each")
    return plus(per_op(client_ops(p, "increments_per_client"), 15), gossip)
