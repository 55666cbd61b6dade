"""Who is who in a service registry run, and the numbers every role derives from the parameters.

Kept apart from the handlers so that the handlers, the invariants, the
summary and the tests agree on one placement: providers ``p1..pN`` and
consumers ``u1..uM`` each talk to one registry replica, dealt round-robin
(``p1`` and ``u1`` to ``registry1``, ``p2`` and ``u2`` to ``registry2``...),
or all to ``registry`` when there is a single one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REGISTRY, PROVIDER, CONSUMER = "registry", "provider", "consumer"

MAX_PROVIDERS = 8
"""Eight providers and four consumers beside three replicas still fit one projector screen."""
MAX_CONSUMERS = 4


def registries(params: Mapping[str, Any]) -> list[str]:
    """Return the registry nodes: ``registry``, or ``registry1..registry3``."""
    if params["registry_replicas"] == 1:
        return [REGISTRY]
    return [f"{REGISTRY}{i}" for i in range(1, params["registry_replicas"] + 1)]


def providers(params: Mapping[str, Any]) -> list[str]:
    """Return ``p1..pN``."""
    return [f"p{i}" for i in range(1, params["providers"] + 1)]


def consumers(params: Mapping[str, Any]) -> list[str]:
    """Return ``u1..uM``."""
    return [f"u{i}" for i in range(1, params["consumers"] + 1)]


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the registry replicas first, then the providers, then the consumers."""
    roles = {name: REGISTRY for name in registries(params)}
    roles.update({name: PROVIDER for name in providers(params)})
    roles.update({name: CONSUMER for name in consumers(params)})
    return roles


def home_registry(node: str, params: Mapping[str, Any]) -> str:
    """Return the one replica a provider or consumer talks to (round-robin by its number)."""
    replicas = registries(params)
    return replicas[(int(node[1:]) - 1) % len(replicas)]


def peers(node: str, params: Mapping[str, Any]) -> list[str]:
    """Return the other registry replicas (none with a single registry)."""
    return [r for r in registries(params) if r != node]


def lease_ms(params: Mapping[str, Any]) -> int:
    """Return an entry's time to live: the heartbeat interval times the beats it may miss."""
    return int(params["heartbeat_ms"] * params["missed_beats"])


def slack_ms(params: Mapping[str, Any]) -> int:
    """Return the longest a renewal sent at a crash can take to reach a registry (one or two hops)."""
    hops = 1 if params["registry_replicas"] == 1 else 2
    return int(max(params["delay_ms_min"], params["delay_ms_max"]) * hops)


def weight_of(node: str, params: Mapping[str, Any]) -> int:
    """Return a provider's weight from the ``weights`` list (one value for all; missing ones are 1)."""
    tokens = [t.strip() for t in str(params["weights"]).split(",")]
    index = int(node[1:]) - 1
    token = tokens[0] if len(tokens) == 1 else (tokens[index] if index < len(tokens) else "1")
    return int(token)


def check_weights(value: str) -> str | None:
    """Say what is wrong with a ``weights`` parameter, or None."""
    tokens = [t.strip() for t in value.split(",")]
    if len(tokens) > MAX_PROVIDERS:
        return f"at most {MAX_PROVIDERS} weights"
    for token in tokens:
        if not token.isdigit() or not 1 <= int(token) <= 100:
            return f"{token!r} is not a whole number from 1 to 100"
    return None


def refresh_of(node: str, params: Mapping[str, Any]) -> int:
    """Return how often a consumer refreshes its cache: ``u1`` may be the slow one."""
    if node == "u1" and params["slow_refresh_ms"]:
        return int(params["slow_refresh_ms"])
    return int(params["refresh_ms"])


def past_horizon(now: int, params: Mapping[str, Any]) -> bool:
    """Say whether periodic activity must stop (the run's horizon has passed on this clock)."""
    return now >= int(params["duration_ms"])
