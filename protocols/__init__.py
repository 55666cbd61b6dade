"""Pure protocol state machines and the deterministic engine that runs them.

Nothing in this package performs I/O, reads a clock or draws random numbers
of its own; ``tests/protocols/test_layering.py`` enforces it.
"""

from __future__ import annotations

from protocols.base import ParameterError
from protocols.bft import SPEC as COUNTER_BFT
from protocols.cache import SPECS as CACHE_SPECS
from protocols.counters.lease import SPEC as LOCK_LEASE
from protocols.counters.locked import SPEC as COUNTER_LOCKED
from protocols.counters.naive import SPEC as COUNTER_NAIVE
from protocols.crdt import G_COUNTER, PN_COUNTER
from protocols.hashring import SPEC as CONSISTENT_HASHING
from protocols.invocation import SPEC as SERVICE_INVOCATION
from protocols.mesh import SPEC as SERVICE_MESH
from protocols.mesi import SPEC as MESI
from protocols.registry import SPEC as SERVICE_REGISTRY
from protocols.sharded import SPEC as COUNTER_SHARDED
from protocols.spec import ProtocolSpec
from protocols.twophase import SPEC as TWO_PHASE_COMMIT

# Each family adds its specs to its own list (one line per family keeps edits apart).
_TRANSACTIONS: tuple[ProtocolSpec, ...] = (TWO_PHASE_COMMIT,)
_CACHES: tuple[ProtocolSpec, ...] = CACHE_SPECS
_COHERENCE: tuple[ProtocolSpec, ...] = (MESI, CONSISTENT_HASHING)
_COUNTERS_AND_LOCKS: tuple[ProtocolSpec, ...] = (COUNTER_NAIVE, LOCK_LEASE, COUNTER_LOCKED)
_REPLICATED_COUNTERS: tuple[ProtocolSpec, ...] = (COUNTER_SHARDED, G_COUNTER, PN_COUNTER, COUNTER_BFT)
_REGISTRIES: tuple[ProtocolSpec, ...] = (SERVICE_REGISTRY,)
_INVOCATION: tuple[ProtocolSpec, ...] = (SERVICE_INVOCATION, SERVICE_MESH)

REGISTRY: dict[str, ProtocolSpec] = {
    spec.name: spec
    for family in (_TRANSACTIONS, _CACHES, _COHERENCE, _COUNTERS_AND_LOCKS, _REPLICATED_COUNTERS,
                   _REGISTRIES, _INVOCATION)
    for spec in family
}
"""Every protocol the lab offers, by name."""

FAMILIES: tuple[tuple[str, tuple[ProtocolSpec, ...]], ...] = (
    ("Transactions", _TRANSACTIONS),
    ("Caches", _CACHES),
    ("Coherence and sharding", _COHERENCE),
    ("Counters and locks", _COUNTERS_AND_LOCKS),
    ("Replicated counters", _REPLICATED_COUNTERS),
    ("Service registries", _REGISTRIES),
    ("Service invocation", _INVOCATION),
)
"""The catalogue's chapters, in teaching order: (title, protocols)."""


def get_protocol(name: str) -> ProtocolSpec:
    """Return a protocol by name, or raise a ParameterError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ParameterError(f"unknown protocol {name!r}; known: {', '.join(REGISTRY)}") from None
