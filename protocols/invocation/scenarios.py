"""Named service-invocation scenarios: each a set of parameters, a fault plan and its narration."""

from __future__ import annotations

from typing import Any

from protocols.spec import Caption, Scenario

STORM: dict[str, Any] = {
    "consumers": 2, "providers": 1, "calls_per_consumer": 15, "call_interval_ms": 100,
    "slow_provider": "p1", "slow_ms": 70, "provider_capacity": 2, "timeout_ms": 100,
    "max_retries": 3, "backoff_ms": 10, "retry_budget": "none", "breaker": False,
}
"""A provider that mostly copes with the calls alone (70 ms of work on two workers, a call every 50 ms:
busy 70% of the time) but not with their retries: the few attempts that time out are retried, the extra
load makes waits longer, more attempts time out, and soon every call is tried four times."""

REMEDY: dict[str, Any] = {**STORM, "retry_budget": "0.2", "breaker": True, "failure_threshold": 3,
                          "cooldown_ms": 150}


EDGE = {"open": "opened", "half-open": "half_opened", "closed": "closed"}


def _breaker(node: str, provider: str, state: str) -> dict[str, Any]:
    """Match the first time ``node``'s breaker for ``provider`` enters ``state`` (by its edge counter)."""
    return {"kind": "state", "node": node, f"state.breakers.{provider}.{EDGE[state]}": 1}


SCENARIOS = (
    Scenario(
        name="steady",
        description="Three healthy providers, round-robin: every call succeeds at the first attempt.",
        captions=(
            Caption(match={"kind": "send", "message.type": "call"},
                    text="A consumer starts a call; its balancer picks the next provider in turn."),
            Caption(match={"kind": "persist", "record.type": "executed"},
                    text="The provider executes the call (the effect is written down), then replies."),
        ),
    ),
    Scenario(
        name="retry-storm",
        description="A slow provider, three retries per call, no budget, no breaker: every timed-out "
                    "attempt is retried while the provider still works on it, and the load multiplies.",
        params=STORM,
        captions=(
            Caption(match={"kind": "timer", "timer": "attempt_timeout"},
                    text="An attempt timed out. The consumer gives up on it, but p1 does not know: "
                         "the work stays in its queue."),
            Caption(match={"kind": "send", "message.type": "call", "message.body.attempt": 2},
                    text="The first retry: one more request for the slow provider, on top of the abandoned one."),
            Caption(match={"kind": "state", "node": "p1", "state.phase": "queueing"},
                    text="p1's workers are all busy: calls queue up, waits grow, more attempts time out."),
            Caption(match={"kind": "send", "message.type": "call", "message.body.attempt": 4},
                    text="A fourth attempt of the same call: retries now multiply the load p1 must carry."),
        ),
    ),
    Scenario(
        name="retry-storm-remedied",
        description="The same slow provider and seed, with a retry budget of 0.2 and a circuit breaker: "
                    "few retries, and an open breaker gives p1 room to drain its queue.",
        params=REMEDY,
        captions=(
            Caption(match={"kind": "persist", "record.why": "timeout; retry budget spent"},
                    text="The retry budget is spent: this call fails instead of adding to the storm."),
            Caption(match=_breaker("u1", "p1", "open"),
                    text="Three failures in a row: u1's breaker for p1 opens, and its calls fail fast "
                         "without reaching p1."),
            Caption(match=_breaker("u1", "p1", "half-open"),
                    text="After the cool-down the breaker half-opens: one trial call may go to p1."),
            Caption(match=_breaker("u1", "p1", "closed"),
                    text="The trial succeeded: p1 has drained its queue, the breaker closes."),
        ),
    ),
    Scenario(
        name="breaker-trip-and-recover",
        description="p1 refuses every call until 500 ms. Each consumer's breaker for p1 opens after three "
                    "failures, half-opens after the cool-down, and closes once a trial succeeds.",
        params={"breaker": True, "failing_provider": "p1", "fail_ratio": 1.0, "fail_until_ms": 500,
                "calls_per_consumer": 30, "call_interval_ms": 25, "failure_threshold": 3, "cooldown_ms": 150,
                "max_retries": 1},
        captions=(
            Caption(match={"kind": "send", "src": "p1", "message.type": "error"},
                    text="p1 refuses the call with an error; the consumer counts a failure and retries elsewhere."),
            Caption(match=_breaker("u1", "p1", "open"),
                    text="Three consecutive failures: u1's breaker for p1 opens. The balancer now skips p1."),
            Caption(match=_breaker("u1", "p1", "half-open"),
                    text="The cool-down is over: half-open. The next call to p1 is a trial."),
            Caption(match={"kind": "state", "node": "u1", "state.breakers.p1.reopened": 1},
                    text="The trial failed (p1 is still sick): the breaker opens again for another cool-down."),
            Caption(match=_breaker("u1", "p1", "closed"),
                    text="p1 has healed, the trial succeeded: the breaker closes and p1 gets its share again."),
        ),
    ),
    Scenario(
        name="provider-crash",
        description="p2 crashes at 100 ms and stays down. Calls to it time out until each consumer's "
                    "breaker opens; from then on the balancer routes around p2.",
        params={"breaker": True, "calls_per_consumer": 25, "call_interval_ms": 20, "failure_threshold": 2,
                "cooldown_ms": 250, "timeout_ms": 80},
        faults=({"action": "crash", "node": "p2", "at_ms": 100},),
        captions=(
            Caption(match={"kind": "crash", "node": "p2"},
                    text="p2 crashes. The consumers do not know: discovery is static."),
            Caption(match={"kind": "drop", "dst": "p2"},
                    text="A call to p2 is lost: p2 is down. The consumer will only notice at the timeout."),
            Caption(match=_breaker("u1", "p2", "open"),
                    text="Two timeouts in a row: u1's breaker for p2 opens. Its calls now go to p1 and p3."),
            Caption(match=_breaker("u1", "p2", "half-open"),
                    text="Half-open: one trial call is sent to p2 to see whether it is back. It is not."),
        ),
    ),
    Scenario(
        name="idempotent-retry",
        description="p1 executes u1's first call but the reply is lost. The retry carries the same "
                    "idempotency key, so p1 answers it from the stored result: it takes effect once "
                    "(with idempotency off it executes twice, and the checker flags it).",
        params={"consumers": 1, "providers": 1, "calls_per_consumer": 3, "call_interval_ms": 100,
                "timeout_ms": 60},
        faults=({"action": "drop", "after": {"kind": "send", "src": "p1", "message.type": "reply"}},),
        captions=(
            Caption(match={"kind": "persist", "node": "p1", "record.type": "executed"},
                    text="p1 executes call u1-1: the effect has happened."),
            Caption(match={"kind": "drop", "src": "p1"},
                    text="The reply is lost. u1 cannot tell whether the call executed."),
            Caption(match={"kind": "send", "message.type": "call", "message.body.attempt": 2},
                    text="u1 times out and retries, with the same idempotency key when idempotency is on."),
            Caption(match={"kind": "send", "src": "p1", "message.body.deduped": True},
                    text="p1 knows this key: it answers with the stored result and executes nothing."),
            Caption(match={"kind": "violation", "invariant": "at-most-once"},
                    text="Without an idempotency key p1 executed the call a second time: the effect happened twice."),
        ),
    ),
)
