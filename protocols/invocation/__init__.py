"""Service invocation: consumers call providers with client-side balancing, retries and breakers.

Theory of operation
-------------------
Roles: consumers ``u1..uM`` and providers ``p1..pN``. Discovery is static:
every consumer knows every provider. A consumer starts a call every
``call_interval_ms`` (open loop) and its client library turns the call into
attempts: the balancer (round-robin, random, least-outstanding or weighted)
picks a provider among those whose circuit breaker allows it; each attempt
waits at most ``timeout_ms``; a failed attempt (error or timeout) is retried
after a jittered exponential backoff, at most ``max_retries`` times and only
while the retry budget allows. With ``idempotency`` on, every attempt of a
call carries the call's idempotency key, and a provider answers a key it has
already executed from the stored result instead of executing it again.

Providers work on ``provider_capacity`` calls at once and queue the rest. A
provider can be made slow (``slow_provider``, ``slow_ms``), made to refuse a
share of its calls (``failing_provider``, ``fail_ratio``, until
``fail_until_ms``), and crashed or paused by the fault plan.

Failure model: crash-recovery nodes (a provider's executed keys are in its
durable log; a consumer loses its calls in flight), a network that delays,
loses, duplicates and reorders. Nobody cancels an abandoned attempt: the
provider still does the work. So retries multiply the load on a slow
provider (the retry storm), and the remedies are a retry budget (retries at
most a fraction of calls over a sliding window) and a circuit breaker
(closed -> open at ``failure_threshold`` consecutive failures -> half-open
after ``cooldown_ms`` -> closed after ``half_open_trials`` good trials).

Guarantees checked from outside: breakers open only at their threshold and
half-open only after their cool-down; retries stay within the budget; a call
takes effect at most once (violated, and flagged, without idempotency keys
or when a retry lands on another provider); every call ends. The consumers
and providers stop once the calls are done, so every run comes to rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.budget import calls
from protocols.common.calls import breaker
from protocols.common.calls.figures import summarize_services
from protocols.common.calls.invariants import INVARIANTS
from protocols.common.calls.params import PARAMS, check_provider_params, consumer_names, provider_names
from protocols.invocation.handlers import initial_state
from protocols.invocation.scenarios import SCENARIOS
from protocols.invocation.table import TABLE
from protocols.spec import Catalogue, Foil, ProtocolSpec


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the consumers first (the callers), then the providers."""
    check_provider_params(params)
    roles = {name: "consumer" for name in consumer_names(params)}
    roles.update({name: "provider" for name in provider_names(params)})
    return roles


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return calls, outcomes, retries, latency percentiles, breaker moves and amplification."""
    return summarize_services(trace, caller_role="consumer")


SPEC = ProtocolSpec(
    estimate=calls(15, 10),
    name="service-invocation",
    title="Service invocation",
    summary="Calls between services with load balancing, timeouts, retries, retry budgets, "
            "idempotency keys and circuit breakers, and the retry storm they can cause.",
    theory=__doc__ or "",
    roles=("consumer", "provider"),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # One consumer, one call, one provider and one retry (without a retry nothing can execute twice,
    # and no breaker or budget is ever asked): every interleaving of a call and its retry, some 90 worlds.
    explore_params={"consumers": 1, "providers": 1, "calls_per_consumer": 1, "max_retries": 1},
    foils=(Foil(params={"idempotency": False}, breaks=("at-most-once",)),),
    clean=({}, {"breaker": True, "failure_threshold": 1}, {"retry_budget": "1"}),
    facts={"breaker": breaker.machine()},
)

CATALOGUE = Catalogue(chapter="Service invocation", place=1, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
