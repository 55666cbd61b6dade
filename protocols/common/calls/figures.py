"""The figures a services run is judged by, from its event log alone.

``calls``: client calls started (by consumers' apps); ``successes`` and
``failures``: calls that ended either way (from the consumers' call log);
``retries``: attempts after the first, as sent by the callers;
``latency_p50`` / ``latency_p99``: virtual milliseconds of a whole client
call, first attempt to final answer, retries and backoff included, over the
calls that ended (nearest-rank percentiles); ``breaker_transitions``: moves
of every breaker; ``amplification``: calls delivered to providers per client
call (1.0 is no retry at all; a retry storm drives it up, an open breaker
below 1); ``executions_duplicated``: executions beyond the first of each
call; ``max_queue``: the longest queue any provider had. ``detection_time``,
``stale_discoveries`` and ``false_evictions`` belong to the service
registry: here there is no discovery to go stale (null, 0, 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from protocols.common.calls.breaker import transitions


def percentile(values: Sequence[int], p: float) -> int | None:
    """Return the nearest-rank ``p``-th percentile of ``values``, None if there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _calls_started(events: Sequence[Mapping[str, Any]], consumers: set[str]) -> int:
    """Sum each consumer's ``issued`` over its lives (a crash resets the volatile counter)."""
    banked: dict[str, int] = {}
    last: dict[str, int] = {}
    for event in events:
        node = event.get("node")
        if node not in consumers:
            continue
        if event["kind"] == "state":
            last[node] = int(event["state"].get("issued", 0))
        elif event["kind"] == "crash":
            banked[node] = banked.get(node, 0) + last.pop(node, 0)
    return sum(banked.values()) + sum(last.values())


def _breaker_moves(event: Mapping[str, Any], previous: Mapping[str, Any]) -> int:
    old = previous.get("breakers") or {}
    moves = 0
    for endpoint, b in (event["state"].get("breakers") or {}).items():
        moves += max(0, transitions(b) - transitions(old.get(endpoint) or {}))
    return moves


def summarize_services(trace: Mapping[str, Any], caller_role: str) -> dict[str, Any]:
    """Return the family's figures; ``caller_role`` names the role that balances and retries."""
    roles = {node: final["role"] for node, final in trace["final"].items()}
    consumers = {n for n, r in roles.items() if r == "consumer"}
    callers = {n for n, r in roles.items() if r == caller_role}
    providers = {n for n, r in roles.items() if r == "provider"}
    events = trace["events"]
    outcomes: list[bool] = []
    latencies: list[int] = []
    retries = reached = moves = max_queue = 0
    executions: dict[str, int] = {}
    previous: dict[str, Mapping[str, Any]] = {}
    for event in events:
        kind, node = event["kind"], event.get("node")
        if kind == "persist" and node in consumers and event["record"].get("type") == "call":
            outcomes.append(bool(event["record"]["ok"]))
            latencies.append(int(event["record"]["latency_ms"]))
        elif kind == "persist" and node in providers and event["record"].get("type") == "executed":
            call = str(event["record"].get("call"))
            executions[call] = executions.get(call, 0) + 1
        elif kind == "send" and node in callers and event["message"]["type"] == "call":
            retries += event["message"]["body"].get("attempt", 1) > 1
        elif kind == "deliver" and node in providers and event["message"]["type"] == "call":
            reached += 1
        elif kind == "state" and node in callers:
            moves += _breaker_moves(event, previous.get(node, {}))
            previous[node] = event["state"]
        elif kind == "state" and node in providers:
            max_queue = max(max_queue, len(event["state"].get("queue", ())))
    calls = _calls_started(events, consumers)
    return {
        "calls": calls,
        "successes": sum(outcomes),
        "failures": len(outcomes) - sum(outcomes),
        "retries": retries,
        "latency_p50": percentile(latencies, 50),
        "latency_p99": percentile(latencies, 99),
        "detection_time": None,
        "stale_discoveries": 0,
        "false_evictions": 0,
        "breaker_transitions": moves,
        "amplification": round(reached / calls, 3) if calls else None,
        "executions_duplicated": sum(n - 1 for n in executions.values()),
        "max_queue": max_queue,
    }
