"""The parameters service-invocation and service-mesh share, and the caller policy built from them.

Both protocols of the family take the same workload, provider and governance
parameters, so ``manage.py compare`` can run them on one workload, seed and
fault plan. In service-invocation the governance values are fixed for the
run (each consumer's library reads them); in service-mesh they are the
control plane's first policy, which it pushes to the sidecars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import ParameterError
from protocols.common.calls.balancers import BALANCERS, check_weights, parse_weights
from protocols.common.calls.provider import names
from protocols.common.calls.retry import check_budget, parse_budget
from protocols.spec import Param

MAX_CONSUMERS = 4
MAX_PROVIDERS = 8
"""Four consumers and eight providers (sixteen sidecars more in the mesh) still fit one projector."""

MAX_CALLS = 200
"""Calls per consumer: enough for a storm, few enough that a run stays a few thousand events."""


def _check_names(text: str) -> str | None:
    for name in names(text):
        if not (name.startswith("p") and name[1:].isdigit() and 1 <= int(name[1:]) <= MAX_PROVIDERS):
            return f"{name!r} is not a provider name (p1 to p{MAX_PROVIDERS})"
    return None


WORKLOAD = (
    Param(name="consumers", kind="int", default=2, min=1, max=MAX_CONSUMERS,
          help="How many consumers (u1, u2...) make calls."),
    Param(name="providers", kind="int", default=3, min=1, max=MAX_PROVIDERS,
          help="How many providers (p1, p2...) serve them."),
    Param(name="calls_per_consumer", kind="int", default=10, min=0, max=MAX_CALLS,
          help="How many calls each consumer makes before it stops."),
    Param(name="call_interval_ms", kind="int", default=25, min=1, max=60_000,
          help="A consumer starts a call this often, whether or not earlier calls have returned."),
)

GOVERNANCE = (
    Param(name="balancer", kind="choice", default="round-robin", choices=BALANCERS,
          help="How a caller picks a provider: round-robin, random, least-outstanding or weighted."),
    Param(name="weights", kind="str", default="", check=check_weights,
          help="Weights for the weighted balancer, by provider order (3,1,1); missing ones weigh 1."),
    Param(name="timeout_ms", kind="int", default=100, min=1, max=60_000,
          help="How long one attempt may take before the caller gives up on it."),
    Param(name="max_retries", kind="int", default=2, min=0, max=5,
          help="How many times a failed call is retried (0: never)."),
    Param(name="backoff_ms", kind="int", default=10, min=0, max=10_000,
          help="Base backoff: retry n waits about backoff_ms * 2^(n-1), half of it jittered."),
    Param(name="retry_budget", kind="str", default="none", check=check_budget,
          help="Retries allowed per call started over the window, e.g. 0.2; 'none' or 0 for no budget."),
    Param(name="budget_window_ms", kind="int", default=1000, min=10, max=60_000,
          help="The retry budget's sliding window."),
    Param(name="idempotency", kind="bool", default=True,
          help="Attempts carry the call's idempotency key, and providers answer a known key from its stored result."),
    Param(name="breaker", kind="bool", default=False,
          help="Each caller keeps a circuit breaker per provider."),
    Param(name="failure_threshold", kind="int", default=3, min=1, max=100,
          help="Consecutive failures that open a breaker."),
    Param(name="cooldown_ms", kind="int", default=200, min=1, max=60_000,
          help="How long an open breaker waits before it lets trial calls through (half-open)."),
    Param(name="half_open_trials", kind="int", default=1, min=1, max=10,
          help="Trial calls a half-open breaker lets through; that many successes close it."),
)

PROVIDERS = (
    Param(name="service_ms", kind="int", default=10, min=0, max=60_000,
          help="How long a provider works on one call."),
    Param(name="provider_capacity", kind="int", default=2, min=1, max=16,
          help="How many calls a provider works on at once; the rest wait in its queue."),
    Param(name="queue_limit", kind="int", default=16, min=1, max=256,
          help="How many calls may wait at a provider; more are refused as overloaded."),
    Param(name="slow_provider", kind="str", default="", check=_check_names,
          help="Providers that work slowly, comma-separated (p1 or p1,p2); empty for none."),
    Param(name="slow_ms", kind="int", default=150, min=0, max=60_000,
          help="How long a slow provider works on one call."),
    Param(name="failing_provider", kind="str", default="", check=_check_names,
          help="Providers that refuse a share of their calls, comma-separated; empty for none."),
    Param(name="fail_ratio", kind="float", default=0.5, min=0.0, max=1.0,
          help="The share of calls a failing provider refuses with an error."),
    Param(name="fail_until_ms", kind="int", default=0, min=0, max=1_000_000,
          help="When a failing provider heals (virtual ms); 0: it fails for the whole run."),
)

PARAMS = WORKLOAD + GOVERNANCE + PROVIDERS

POLICY_KEYS = tuple(p.name for p in GOVERNANCE)
"""What a caller's policy holds: the governance parameters (plus a version)."""


def consumer_names(params: Mapping[str, Any]) -> list[str]:
    """Return u1..uM."""
    return [f"u{i}" for i in range(1, params["consumers"] + 1)]


def provider_names(params: Mapping[str, Any]) -> list[str]:
    """Return p1..pN."""
    return [f"p{i}" for i in range(1, params["providers"] + 1)]


def check_provider_params(params: Mapping[str, Any]) -> None:
    """Refuse provider lists that name providers the run does not have."""
    known = provider_names(params)
    for param in ("slow_provider", "failing_provider"):
        unknown = [n for n in names(params[param]) if n not in known]
        if unknown:
            raise ParameterError(f"parameter {param}: {', '.join(unknown)} not among {', '.join(known)}")


def policy_from(values: Mapping[str, Any], version: int, endpoints: int) -> dict[str, Any]:
    """Build a caller's policy dict from governance values (raw weights and budget text parsed)."""
    policy: dict[str, Any] = {"version": version}
    for key in POLICY_KEYS:
        policy[key] = values[key]
    policy["retry_budget"] = parse_budget(str(values["retry_budget"]))
    policy["weights"] = parse_weights(values["weights"], endpoints) if values["balancer"] == "weighted" else []
    return policy
