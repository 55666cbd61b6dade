"""Detectors the whole replicated-counter family shares: they judge what clients read.

A read that overlaps increments may fairly see some of them and not others,
so "the true count" is an interval: at least the increments acknowledged
before the read began (the client was told those happened), at most the
increments issued before it ended (nothing else can have happened). When no
increment is in flight the two bounds meet and the read must equal the
acknowledged count exactly. Clients issue operations numbered 1, 2, 3...
one after another, so "issued" is each client's highest operation number
sent, summed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.spec import Finding

READ_FINDINGS = {
    "partial-read-too-high": "{node}'s partial read summed {value}, more than the {high} increments issued",
    "read-not-exact": "{node} read {value}, but the count it should see is exactly {low} (acknowledged before the "
                      "read began, issued before it ended)",
    "read-out-of-range": "{node} read {value}, but the count it should see is between {low} and {high} "
                         "(acknowledged before the read began, issued before it ended)",
}
"""The words of :func:`read_within_bounds`'s findings, for every invariant that uses it."""


def read_within_bounds(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A complete read lies between the increments acknowledged before it began and those issued by its end."""
    kind = event["kind"]
    if kind == "send" and event["message"]["type"] == "add":
        issued = memo.setdefault("issued", {})
        issued[event["src"]] = max(issued.get(event["src"], 0), event["message"]["body"]["op"])
        return
    if kind != "state" or "acked_inc" not in event["state"]:
        return
    node, state = event["node"], event["state"]
    phases, acked = memo.setdefault("phase", {}), memo.setdefault("acked", {})
    before = phases.get(node)
    phases[node] = state["phase"]
    if state["phase"] == "reading" and before != "reading":
        memo.setdefault("low", {})[node] = sum(acked.values())
    acked[node] = state["acked_inc"]
    if state["phase"] != "done" or before == "done" or state.get("read") is None:
        return
    value, high = state["read"], sum(memo.get("issued", {}).values())
    low = memo.get("low", {}).get(node, 0)
    if state.get("missing"):
        if value > high:
            yield Finding(nodes=(node,), id="partial-read-too-high", cause_seq=event["seq"],
                          data={"node": node, "value": value, "high": high})
        return
    if not low <= value <= high:
        yield Finding(nodes=(node,), id="read-not-exact" if low == high else "read-out-of-range",
                      cause_seq=event["seq"],
                      data={"node": node, "value": value, "low": low, "high": high})
