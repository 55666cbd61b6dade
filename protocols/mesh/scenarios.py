"""Named service-mesh scenarios: the invocation family's situations, through sidecars, and a policy push."""

from __future__ import annotations

from typing import Any

from protocols.spec import Caption, Scenario

EDGE = {"open": "opened", "half-open": "half_opened", "closed": "closed"}

STORM: dict[str, Any] = {
    "consumers": 2, "providers": 1, "calls_per_consumer": 15, "call_interval_ms": 100,
    "slow_provider": "p1", "slow_ms": 70, "provider_capacity": 2, "timeout_ms": 120,
    "max_retries": 3, "backoff_ms": 10, "retry_budget": "none", "breaker": False,
}
"""service-invocation's storm, with the timeout stretched for the two extra hops of each attempt (four
hops of 5 to 20 ms and 70 ms of work: about half the attempts beat the timeout even before the storm)."""

REMEDY: dict[str, Any] = {**STORM, "retry_budget": "0.2", "breaker": True, "failure_threshold": 3,
                          "cooldown_ms": 150}

POLICY_CHANGE: dict[str, Any] = {
    "failing_provider": "p1", "fail_ratio": 1.0, "calls_per_consumer": 40, "call_interval_ms": 25,
    "breaker": False, "retry_budget": "none", "max_retries": 2,
    "policy_change_at_ms": 500, "policy_change": "breaker=on;failure_threshold=3;cooldown_ms=300",
}
"""p1 refuses everything. Version 1 has no breaker, so a third of the attempts go to p1 and come back as
errors to be retried; version 2 turns the breakers on, and p1 stops getting calls."""


def _breaker(node: str, provider: str, state: str) -> dict[str, Any]:
    """Match the first time ``node``'s breaker for ``provider`` enters ``state`` (by its edge counter)."""
    return {"kind": "state", "node": node, f"state.breakers.{provider}.{EDGE[state]}": 1}


SCENARIOS = (
    Scenario(
        name="steady",
        description="Three healthy providers: every call crosses six hops (app, sidecar, sidecar, app and back) "
                    "and succeeds at the first attempt.",
        captions=(
            Caption(match={"kind": "send", "src": "control", "message.type": "policy"},
                    text="The control plane pushes policy version 1 (endpoints, timeouts, retries, breakers) "
                         "to every sidecar."),
            Caption(match={"kind": "send", "src": "u1", "message.type": "call"},
                    text="The app u1 only talks to its own sidecar: the sidecar balances, retries and times out."),
            Caption(match={"kind": "send", "src": "u1-sidecar", "message.type": "call"},
                    text="u1's sidecar picks a provider's sidecar: the second hop."),
            Caption(match={"kind": "send", "dst": "u1", "message.type": "result"},
                    text="Six hops later, the result is back with u1."),
        ),
    ),
    Scenario(
        name="sidecar-policy-change",
        description="p1 refuses every call. At 500 ms the control plane pushes policy version 2, which "
                    "turns the circuit breakers on: the sidecars adopt it, their breakers for p1 open, and "
                    "p1 stops receiving calls (and the sidecars stop retrying). No app changed.",
        params=POLICY_CHANGE,
        captions=(
            Caption(match={"kind": "send", "src": "p1-sidecar", "message.type": "error"},
                    text="Policy version 1 has no breaker: calls keep going to p1, fail, and are retried."),
            Caption(match={"kind": "timer", "node": "control", "timer": "policy_change"},
                    text="The operator changes the policy: the control plane pushes version 2 to every sidecar."),
            Caption(match={"kind": "state", "node": "u1-sidecar", "state.version": 2},
                    text="u1's sidecar runs version 2 now (see its state): breakers on, a cool-down of 300 ms."),
            Caption(match=_breaker("u1-sidecar", "p1-sidecar", "open"),
                    text="Three failures in a row: u1's sidecar opens its breaker for p1; calls now avoid p1."),
        ),
    ),
    Scenario(
        name="retry-storm",
        description="A slow provider, three retries per call, no budget, no breaker, all in the sidecars' "
                    "policy: the load on p1 multiplies as in service-invocation, two hops further away.",
        params=STORM,
        captions=(
            Caption(match={"kind": "send", "message.type": "call", "message.body.attempt": 2},
                    text="A sidecar retries a timed-out attempt; p1 still works on the first one."),
            Caption(match={"kind": "state", "node": "p1", "state.phase": "queueing"},
                    text="p1's workers are all busy: calls queue up, and more attempts time out."),
        ),
    ),
    Scenario(
        name="retry-storm-remedied",
        description="The same slow provider and seed, with a retry budget of 0.2 and circuit breakers in "
                    "the sidecars' policy.",
        params=REMEDY,
        captions=(
            Caption(match=_breaker("u1-sidecar", "p1-sidecar", "open"),
                    text="u1's sidecar opens its breaker for p1: calls fail fast and p1 drains its queue."),
            Caption(match=_breaker("u1-sidecar", "p1-sidecar", "half-open"),
                    text="After the cool-down, one trial call may go to p1."),
        ),
    ),
    Scenario(
        name="breaker-trip-and-recover",
        description="p1 refuses every call until 500 ms. Each consumer sidecar's breaker for p1 opens, "
                    "half-opens after the cool-down, and closes once a trial succeeds.",
        params={"breaker": True, "failing_provider": "p1", "fail_ratio": 1.0, "fail_until_ms": 500,
                "calls_per_consumer": 30, "call_interval_ms": 25, "failure_threshold": 3, "cooldown_ms": 150,
                "max_retries": 1},
        captions=(
            Caption(match=_breaker("u1-sidecar", "p1-sidecar", "open"),
                    text="Three consecutive failures: u1's sidecar opens its breaker for p1."),
            Caption(match=_breaker("u1-sidecar", "p1-sidecar", "half-open"),
                    text="The cool-down is over: half-open. The next call to p1 is a trial."),
            Caption(match=_breaker("u1-sidecar", "p1-sidecar", "closed"),
                    text="p1 has healed and the trial succeeded: the breaker closes."),
        ),
    ),
    Scenario(
        name="idempotent-retry",
        description="p1 executes u1's first call but the reply is lost. The sidecar retries with the same "
                    "idempotency key and p1 answers from the stored result: it takes effect once.",
        params={"consumers": 1, "providers": 1, "calls_per_consumer": 3, "call_interval_ms": 150,
                "timeout_ms": 100},
        faults=({"action": "drop", "after": {"kind": "send", "src": "p1", "message.type": "reply"}},),
        captions=(
            Caption(match={"kind": "drop", "src": "p1"},
                    text="p1 executed the call, but its reply to its sidecar is lost."),
            Caption(match={"kind": "send", "src": "u1-sidecar", "message.body.attempt": 2},
                    text="u1's sidecar times out and retries, with the same idempotency key."),
            Caption(match={"kind": "send", "src": "p1", "message.body.deduped": True},
                    text="p1 knows this key: it answers from the stored result and executes nothing."),
            Caption(match={"kind": "violation", "invariant": "at-most-once"},
                    text="Without an idempotency key p1 executed the call a second time."),
        ),
    ),
)
