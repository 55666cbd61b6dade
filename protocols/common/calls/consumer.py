"""A consumer app's open loop, the same in service-invocation and service-mesh.

A consumer starts a call every ``call_interval_ms`` whether or not earlier
calls have returned, the first at a random point of the first interval
(drawn from its seeded stream, so consumers do not all call in step), until
it has started ``calls_per_consumer``. Both protocols seed the stream alike,
so with one seed their consumers call at the very same times: ``manage.py
compare`` sets them side by side. Who turns a call into attempts differs:
the consumer's own library (``caller.py``) in service-invocation, its
sidecar in service-mesh.

Phases: ``calling`` (calls left to start), ``draining`` (all started, some
in flight), ``done``.
"""

from __future__ import annotations

from protocols.base import Context, Outcome, SetTimer, Start, State
from protocols.common.rng import Stream, seed_from_draw

NEXT_CALL = "next_call"
CONSUMER_SALT = 3
PHASES = ("calling", "draining", "done")
"""A consumer's phases; every caller step may end any call, so it may lead to any of them."""


def consumer_start(ctx: Context, state: State, event: Start, now: int) -> Outcome:
    """Seed the stream; schedule the first call at a random point of the first interval."""
    stream = Stream(seed_from_draw(event.draw, CONSUMER_SALT))
    if ctx.params["calls_per_consumer"] == 0:
        return {**state, "rng": stream.state, "phase": "done"}, ()
    first = 1 + stream.below(ctx.params["call_interval_ms"])  # Consumers do not all call in step.
    return {**state, "rng": stream.state}, [SetTimer(name=NEXT_CALL, delay_ms=first)]
