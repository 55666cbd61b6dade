"""Fault plans as data, and the patterns that trigger them.

A fault is a dict, so scenarios, trace files and the web API can carry it::

    {"action": "crash", "node": "coordinator",
     "after": {"kind": "persist", "node": "coordinator", "record.decision": "commit"}}
    {"action": "recover", "node": "coordinator", "at_ms": 500}
    {"action": "recover", "node": "coordinator",
     "after": {"kind": "crash", "node": "coordinator"}, "delay_ms": 400}
    {"action": "drop", "after": {"kind": "send", "message.type": "vote"}}
    {"action": "partition", "groups": [["p1"], ["coordinator", "p2"]], "at_ms": 30}

``at_ms`` fires at a virtual time; ``after`` fires right after the first event
that matches the pattern (dotted keys reach into nested fields), optionally
``delay_ms`` later. ``drop`` and ``duplicate`` act on the message of the
matching send event. A fault fires at most once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from protocols.base import ParameterError

if TYPE_CHECKING:
    from protocols.sim.network import Network
    from protocols.sim.runtime import NodeRuntime, Pending

NODE_ACTIONS = ("crash", "recover", "pause", "resume")
MESSAGE_ACTIONS = ("drop", "duplicate")
ACTIONS = NODE_ACTIONS + MESSAGE_ACTIONS + ("partition", "heal", "clock")
FAULT_KEYS = {"action", "node", "groups", "at_ms", "after", "delay_ms", "rate", "offset_ms"}

MAX_FAULTS_PER_PLAN = 256
"""A plan longer than this is a mistake, not a scenario."""


def lookup(event: Mapping[str, Any], dotted: str) -> Any:
    """Return the value at a dotted path in an event, or None where it is absent."""
    value: Any = event
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Say whether every key of ``pattern`` has the same value in ``event``."""
    return all(lookup(event, key) == want for key, want in pattern.items())


def validate_plan(plan: Sequence[Mapping[str, Any]], nodes: Sequence[str]) -> list[dict[str, Any]]:
    """Check a fault plan against the session's nodes; return a normalized copy."""
    if len(plan) > MAX_FAULTS_PER_PLAN:
        raise ParameterError(f"a fault plan has at most {MAX_FAULTS_PER_PLAN} faults")
    checked = []
    for index, fault in enumerate(plan):
        where = f"fault {index + 1}"
        if not isinstance(fault, Mapping):
            raise ParameterError(f"{where}: must be an object")
        unknown = set(fault) - FAULT_KEYS
        if unknown:
            raise ParameterError(f"{where}: unknown keys {sorted(unknown)}; allowed {sorted(FAULT_KEYS)}")
        action = fault.get("action")
        if action not in ACTIONS:
            raise ParameterError(f"{where}: action {action!r} is not one of {', '.join(ACTIONS)}")
        if action in (*NODE_ACTIONS, "clock") and fault.get("node") not in nodes:
            raise ParameterError(f"{where}: node {fault.get('node')!r} is not one of {', '.join(nodes)}")
        if action == "partition":
            _check_groups(fault.get("groups"), nodes, where)
        if ("at_ms" in fault) == ("after" in fault):
            raise ParameterError(f"{where}: give exactly one of at_ms or after")
        if action in MESSAGE_ACTIONS and "after" not in fault:
            raise ParameterError(f"{where}: {action} needs an 'after' pattern matching a send")
        if action in MESSAGE_ACTIONS and "delay_ms" in fault:
            raise ParameterError(f"{where}: {action} acts on the matching send at once; it takes no delay_ms")
        for key in ("at_ms", "delay_ms"):
            if key in fault and (isinstance(fault[key], bool) or not isinstance(fault[key], int) or fault[key] < 0):
                raise ParameterError(f"{where}: {key} must be a whole number of milliseconds >= 0")
        if "after" in fault and not isinstance(fault["after"], Mapping):
            raise ParameterError(f"{where}: after must be an object of event fields")
        checked.append(dict(fault))
    return checked


def _check_groups(groups: Any, nodes: Sequence[str], where: str) -> None:
    if not isinstance(groups, list) or len(groups) < 2:
        raise ParameterError(f"{where}: partition needs groups, a list of at least two lists of nodes")
    seen: set[str] = set()
    for group in groups:
        if not isinstance(group, list) or not group:
            raise ParameterError(f"{where}: each partition group is a non-empty list of nodes")
        for node in group:
            if node not in nodes:
                raise ParameterError(f"{where}: node {node!r} is not one of {', '.join(nodes)}")
            if node in seen:
                raise ParameterError(f"{where}: node {node!r} is in two groups")
            seen.add(node)


def chaos_choice(nodes: Mapping[str, NodeRuntime], pending: Mapping[str, Pending],
                 network: Network) -> dict[str, Any] | None:
    """Choose one random fault for ``--chaos``, by the network's generator; None if none applies.

    Recoveries and heals are weighted double so that a chaotic run keeps
    coming back to life instead of ending with everyone down.
    """
    up = [n for n, rt in nodes.items() if rt.up]
    down = [n for n, rt in nodes.items() if not rt.up]
    messages = sorted((p for p in pending.values() if p.kind == "message"), key=lambda p: p.order)
    options = ["partition"] if len(nodes) > 1 else []
    options += ["crash"] * bool(len(up) > 1) + ["recover"] * bool(down) * 2
    options += ["drop", "duplicate"] * bool(messages) + ["heal"] * (network.partition is not None) * 2
    if not options:
        return None
    action = network.choose(options)
    if action in ("crash", "recover"):
        return {"action": action, "node": network.choose(up if action == "crash" else down)}
    if action in ("drop", "duplicate"):
        return {"action": action, "target": network.choose(messages)}
    if action == "partition":
        names = list(nodes)
        side = [n for n in names if network.draw() < 0.5] or names[:1]
        rest = [n for n in names if n not in side]
        return {"action": "partition", "groups": [side, rest]} if rest else None
    return {"action": "heal"}
