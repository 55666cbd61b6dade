"""The figures of a service registry run, computed from its event log alone.

Every protocol of the services family reports the same names, so that
``manage.py compare`` can set them side by side: ``calls``, ``successes``,
``failures``, ``retries``, ``latency_p50``/``latency_p99`` (virtual ms from a
call's start to its outcome; a call that failed at once for want of any
instance took no time on the wire and is left out), ``detection_time``,
``stale_discoveries``, ``false_evictions``, ``breaker_transitions`` and
``amplification``; plus this protocol's ``evictions`` and ``registrations``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from protocols.registry.names import CONSUMER, PROVIDER, REGISTRY, home_registry


def percentile(values: Sequence[int], q: float) -> int | None:
    """Return the nearest-rank ``q`` percentile (0 < q <= 1) of ``values``, or None if there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class _World:
    """What the log says about every node so far: who is down or paused, what each registry lists."""

    def __init__(self, roles: Mapping[str, str]) -> None:
        self.roles = roles
        self.down: set[str] = set()
        self.paused: set[str] = set()
        self.tables: dict[str, dict[str, int]] = {}

    def life(self, event: Mapping[str, Any]) -> None:
        node, kind = event["node"], event["kind"]
        if kind == "crash":
            self.down.add(node)
            self.paused.discard(node)
        elif kind == "recover":
            self.down.discard(node)
        elif kind == "pause":
            self.paused.add(node)
        elif kind == "resume":
            self.paused.discard(node)


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the family's figures for a trace (see the module docstring)."""
    roles = {node: info["role"] for node, info in trace["final"].items()}
    params = trace["params"]
    world = _World(roles)
    crashed_at: dict[str, int] = {}
    detections: list[int] = []
    outcomes: list[Mapping[str, Any]] = []
    last_call: dict[str, Any] = {}
    counts = {"evictions": 0, "false_evictions": 0, "registrations": 0, "stale": 0, "reached": 0}
    for event in trace["events"]:
        kind, node = event["kind"], event.get("node")
        role = roles.get(node or "")
        if kind in ("crash", "recover", "pause", "resume"):
            world.life(event)
            if role == PROVIDER and kind == "crash":
                crashed_at[event["node"]] = event["time"]
            elif role == PROVIDER and kind == "recover":
                crashed_at.pop(event["node"], None)
            elif role == REGISTRY and kind == "crash":
                world.tables[event["node"]] = {}
        elif kind == "state" and role == REGISTRY:
            _registry_state(event, world, crashed_at, detections, counts)
        elif kind == "state" and role == CONSUMER:
            done = event["state"].get("last_call")
            if done is not None and done != last_call.get(event["node"]):
                outcomes.append(done)
            last_call[event["node"]] = done
        elif kind == "send" and role == CONSUMER and event["message"]["type"] == "call":
            counts["stale"] += _stale(event, world, params)
        elif kind == "deliver" and role == PROVIDER and event["message"]["type"] == "call":
            counts["reached"] += 1
    latencies = [int(o["ms"]) for o in outcomes if o.get("error") != "no instance"]
    successes = sum(1 for o in outcomes if o.get("ok"))
    return {
        "calls": len(outcomes),
        "successes": successes,
        "failures": len(outcomes) - successes,
        "retries": 0,
        "latency_p50": percentile(latencies, 0.5),
        "latency_p99": percentile(latencies, 0.99),
        "detection_time": max(detections) if detections else None,
        "stale_discoveries": counts["stale"],
        "false_evictions": counts["false_evictions"],
        "breaker_transitions": 0,
        "amplification": round(counts["reached"] / len(outcomes), 3) if outcomes else 0.0,
        "evictions": counts["evictions"],
        "registrations": counts["registrations"],
    }


def _registry_state(event: Mapping[str, Any], world: _World, crashed_at: dict[str, int], detections: list[int],
                    counts: dict[str, int]) -> None:
    node = event["node"]
    before = world.tables.get(node, {})
    table = {name: int(e["inc"]) for name, e in event["state"].get("instances", {}).items()}
    world.tables[node] = table
    if event["cause"] == "timer:sweep":
        for name in sorted(set(before) - set(table)):
            counts["evictions"] += 1
            if name in crashed_at:
                detections.append(event["time"] - crashed_at.pop(name))
            elif name not in world.down:
                counts["false_evictions"] += 1
    if event["cause"] in ("msg:register", "msg:heartbeat"):
        counts["registrations"] += sum(1 for name, inc in table.items() if before.get(name) != inc)


def _stale(event: Mapping[str, Any], world: _World, params: Mapping[str, Any]) -> int:
    """Say (1 or 0) whether a call went to an instance that was down, paused or no longer registered."""
    target, inc = event["dst"], event["message"]["body"].get("inc")
    if target in world.down or target in world.paused:
        return 1
    listed = world.tables.get(home_registry(event["node"], params), {})
    return int(listed.get(target) != inc)
