"""Summary figures of a TCC run, from its trace alone.

``transactions_confirmed`` and ``transactions_cancelled`` (ends the
coordinator logged), ``frozen_left`` (the amount still frozen across the
branches at the end), ``double_applies`` (findings of ``no-double-apply``)
and ``messages_per_transaction`` (messages sent per global transaction begun).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIGURES = {
    "transactions_confirmed": "Transactions confirmed",
    "transactions_cancelled": "Transactions cancelled",
    "frozen_left": "Amount left frozen",
    "double_applies": "Confirms or cancels applied twice",
    "messages_per_transaction": "Messages per transaction",
}
"""Labels of TCC's own figures (``ProtocolSpec.figures``)."""


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run's figures."""
    events = trace["events"]
    ends = [e["record"]["outcome"] for e in events
            if e["kind"] == "persist" and e.get("node") == "tc" and e["record"].get("type") == "end"]
    begun = sum(1 for e in events if e["kind"] == "persist" and e["record"].get("type") == "begin")
    sent = sum(1 for e in events if e["kind"] == "send")
    frozen = sum(int(f["state"].get("frozen", 0)) for f in trace["final"].values() if f["role"] == "branch")
    twice = sum(1 for e in events if e["kind"] == "violation" and e.get("invariant") == "no-double-apply")
    return {
        "transactions_confirmed": ends.count("confirmed"),
        "transactions_cancelled": ends.count("cancelled"),
        "frozen_left": frozen,
        "double_applies": twice,
        "messages_per_transaction": round(sent / begun, 1) if begun else 0,
    }
