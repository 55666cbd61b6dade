"""About how many events a session-guarantees run logs (``ProtocolSpec.estimate``; protocols/budget.py says why)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import Estimate, per_op
from protocols.sessions.common import parse_script


def events(p: Mapping[str, Any]) -> Estimate:
    """A read is a request, an answer and the client's state changes; a write also ships to every replica,
    which holds, applies, logs and acknowledges it."""
    script = parse_script(p["script"])
    ops = sum(len(script[c]) if c in script else int(p["ops_per_client"])
              for c in (f"c{i}" for i in range(1, int(p["clients"]) + 1)))
    write_share = 0.5 if script else 1 - float(p["read_ratio"])
    return per_op(ops, 10 + write_share * int(p["replicas"]) * 8, base=30)
