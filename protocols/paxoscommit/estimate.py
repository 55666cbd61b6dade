"""About how many events a Paxos Commit run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op


def events(p: Mapping[str, Any]) -> Estimate:
    """Each resource manager's vote goes to 2F+1 acceptors, each of which tells two leaders: a few events a message."""
    acceptors = 2 * p["f"] + 1
    return per_op(p["participants"], 4 + 9 * acceptors, base=20, unit="resource managers")
