"""Client workloads shared by the cache and counter families: same parameters, same stream.

Every protocol of a family takes the same workload parameters, so that
``manage.py compare`` can run them on one workload: with the same seed each
client draws the same sequence of operations whatever the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.rng import Stream
from protocols.spec import Param

WORKLOAD_PARAMS = (
    Param(name="clients", kind="int", default=2, min=1, max=8, help="How many clients issue operations."),
    Param(name="keys", kind="int", default=4, min=1, max=10_000, help="How many distinct keys the clients use."),
    Param(name="read_ratio", kind="float", default=0.7, min=0.0, max=1.0,
          help="Fraction of operations that are reads."),
    Param(name="distribution", kind="choice", default="uniform", choices=("uniform", "zipf"),
          help="How keys are chosen: uniformly, or skewed towards a few hot keys (Zipf)."),
    Param(name="zipf_s", kind="float", default=1.1, min=0.1, max=4.0, help="Skew of the Zipf distribution."),
    Param(name="think_ms", kind="int", default=20, min=0, max=60_000,
          help="Pause of a client between one answer and its next operation."),
    Param(name="ops_per_client", kind="int", default=8, min=0, max=10_000,
          help="How many operations each client issues before it stops."),
)


def key_name(index: int) -> str:
    """Return the name of key number ``index`` (k0, k1...)."""
    return f"k{index}"


def zipf_weights(n: int, s: float) -> list[float]:
    """Return the cumulative Zipf weights of ranks 1..n, normalised to end at 1."""
    total = 0.0
    cumulative = []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cumulative.append(total)
    return [c / total for c in cumulative]


def pick_key(stream: Stream, params: Mapping[str, Any]) -> str:
    """Draw a key by the workload's distribution."""
    n = params["keys"]
    if params["distribution"] == "uniform" or n == 1:
        return key_name(stream.below(n))
    u = stream.random()
    lo, hi = 0, n - 1
    cumulative = _zipf_cache(n, params["zipf_s"])
    while lo < hi:  # the first rank whose cumulative weight reaches u
        mid = (lo + hi) // 2
        if cumulative[mid] < u:
            lo = mid + 1
        else:
            hi = mid
    return key_name(lo)


_ZIPF: dict[tuple[int, float], list[float]] = {}


def _zipf_cache(n: int, s: float) -> list[float]:
    # A pure function of (n, s): caching it changes no result, only the cost.
    weights = _ZIPF.get((n, s))
    if weights is None:
        weights = _ZIPF[(n, s)] = zipf_weights(n, s)
    return weights


def next_op(stream: Stream, params: Mapping[str, Any], client: str, number: int) -> dict[str, Any]:
    """Draw a client's next operation: ``{"op": "read"|"write", "key", "value"}``.

    A write's value names its client and number (``c1:3``), so every written
    value is unique and a read tells exactly which write it saw.
    """
    key = pick_key(stream, params)
    if stream.chance(params["read_ratio"]):
        return {"op": "read", "key": key}
    return {"op": "write", "key": key, "value": f"{client}:{number}"}
