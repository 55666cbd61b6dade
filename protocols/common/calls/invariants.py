"""What callers and providers promise, checked from outside; shared by service-invocation and service-mesh.

- ``breaker-discipline`` (transition): a breaker moves only closed -> open
  -> half-open -> closed (or half-open -> open); it opens only once its
  consecutive failures reach the threshold, half-opens only after the
  cool-down and closes only after enough good trials. Judged on every change
  of a caller's state, against the policy the caller holds at that moment.
- ``retry-budget`` (transition): whenever a caller grants a retry, its
  retries over the window stay within the budget's share of its calls.
- ``at-most-once`` (history): a call takes effect at most once: no two
  ``executed`` records (on one provider or on two) name the same call. With
  idempotency keys, a retry that lands on the provider which executed the
  call is answered from the stored result; without them, or when a retry
  lands on another provider, the effect happens twice and this detector
  names the execution that repeated it.
- ``calls-finish`` (liveness): with every node up and the network whole,
  every call has ended (succeeded or failed) once nothing more can happen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.base import State
from protocols.common.calls import breaker as br
from protocols.common.calls.retry import Budget, within
from protocols.spec import Finding, Invariant, NodeView


def breaker_discipline(node: str, before: State, after: State, cause: str) -> Finding | None:
    """Every breaker change follows the state machine, its threshold and its cool-down."""
    if cause == "recover" or not after.get("breakers"):
        return None
    old = before.get("breakers") or {}
    policy = br.BreakerPolicy.of(after["policy"])
    for endpoint, b in after["breakers"].items():
        was = old.get(endpoint)
        if was is None:
            continue  # Created by a policy push: nothing to compare with.
        problem = br.judge(was, b, policy)
        if problem:
            what, data = problem
            return Finding(nodes=(node,), id=f"breaker-{what}",
                           data={"node": node, "endpoint": endpoint, "cause": cause, **data})
    return None


def retry_budget(node: str, before: State, after: State, cause: str) -> Finding | None:
    """A granted retry keeps the caller's retries within its budget over the window."""
    if cause == "recover" or "metrics" not in after or "window" not in after:
        return None
    granted = after["metrics"]["retries"] - (before.get("metrics") or {}).get("retries", 0)
    if granted <= 0:
        return None
    budget = Budget.of(after["policy"])
    window = after["window"]
    if within(window, budget):
        return None
    return Finding(nodes=(node,), id="retries-over-budget",
                   data={"node": node, "retries": len(window["retries"]), "calls": len(window["calls"]),
                         "window": budget.window_ms, "ratio": budget.ratio if budget.ratio is not None else "∞",
                         "cause": cause})


def at_most_once(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """No call is executed twice, on one provider or on two."""
    if event["kind"] != "persist" or event["record"].get("type") != "executed":
        return
    record = event["record"]
    call = str(record.get("call"))
    seen: dict[str, list[str]] = memo.setdefault("executed", {})
    where = seen.setdefault(call, [])
    where.append(event["node"])
    if len(where) < 2:
        return
    if record.get("key") is None:
        why = "executed-twice-no-key"
    elif len(set(where)) > 1:
        why = "executed-twice-two-providers"
    else:
        why = "executed-twice-key-ignored"
    yield Finding(nodes=tuple(sorted(set(where))), cause_seq=event["seq"], id=why,
                  data={"call": call, "times": len(where), "where": list(where)})


def calls_finish(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """With all up and connected, no consumer is left with a call in flight."""
    for node, view in views.items():
        if view.role != "consumer":
            continue
        if view.state.get("phase") != "done":
            yield Finding(nodes=(node,), id="calls-in-flight-at-end", data={"node": node})


INVARIANTS = (
    Invariant(name="breaker-discipline", kind="transition", check=breaker_discipline,
              description="A breaker opens only at its failure threshold, half-opens only after its "
                          "cool-down and closes only after good trials.",
              findings={
                  "breaker-skipped-edge": "{node}'s breaker for {endpoint} went from {was} straight to {now} "
                                          "(on {cause})",
                  "breaker-opened-early": "{node}'s breaker for {endpoint} opened after {failures} consecutive "
                                          "failures; the threshold is {threshold} (on {cause})",
                  "breaker-half-opened-early": "{node}'s breaker for {endpoint} half-opened {after_ms} ms after "
                                               "opening; the cool-down is {cooldown} ms (on {cause})",
                  "breaker-closed-early": "{node}'s breaker for {endpoint} closed after {ok} good trials; it needs "
                                          "{trials} (on {cause})"},
              word_fields=("was", "now"), words=(br.CLOSED, br.OPEN, br.HALF_OPEN)),
    Invariant(name="retry-budget", kind="transition", check=retry_budget,
              description="Retries never exceed the retry budget over its window.",
              findings={"retries-over-budget": "{node} retried {retries} times against {calls} calls in its last "
                                               "{window} ms; the budget allows {ratio} retries per call (on {cause})"}),
    Invariant(name="at-most-once", kind="history", check=at_most_once,
              description="A call takes effect at most once: no call is executed twice.",
              findings={
                  "executed-twice-no-key": "call {call} took effect {times} times (on {where}): it carried no "
                                           "idempotency key",
                  "executed-twice-two-providers": "call {call} took effect {times} times (on {where}): each provider "
                                                  "keeps only the keys it executed itself",
                  "executed-twice-key-ignored": "call {call} took effect {times} times (on {where}): the provider "
                                                "did not honour its key"}),
    Invariant(name="calls-finish", kind="liveness", check=calls_finish,
              description="With all nodes up and the network whole, every call ends.",
              findings={"calls-in-flight-at-end": "{node} still has calls in flight when nothing more can happen"}),
)
