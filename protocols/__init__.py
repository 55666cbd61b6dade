"""Pure protocol state machines and the deterministic engine that runs them.

Nothing in this package performs I/O, reads a clock or draws random numbers
of its own; ``tests/protocols/test_layering.py`` enforces it.
"""

from __future__ import annotations

from protocols.base import ParameterError
from protocols.spec import ProtocolSpec
from protocols.twophase import SPEC as TWO_PHASE_COMMIT

# Each family adds its specs to its own list (one line per family keeps edits apart).
_TRANSACTIONS: tuple[ProtocolSpec, ...] = (TWO_PHASE_COMMIT,)
_CACHES: tuple[ProtocolSpec, ...] = ()
_COHERENCE: tuple[ProtocolSpec, ...] = ()
_COUNTERS_AND_LOCKS: tuple[ProtocolSpec, ...] = ()
_REPLICATED_COUNTERS: tuple[ProtocolSpec, ...] = ()
_REGISTRIES: tuple[ProtocolSpec, ...] = ()
_INVOCATION: tuple[ProtocolSpec, ...] = ()

REGISTRY: dict[str, ProtocolSpec] = {
    spec.name: spec
    for family in (_TRANSACTIONS, _CACHES, _COHERENCE, _COUNTERS_AND_LOCKS, _REPLICATED_COUNTERS,
                   _REGISTRIES, _INVOCATION)
    for spec in family
}
"""Every protocol the lab offers, by name."""


def get_protocol(name: str) -> ProtocolSpec:
    """Return a protocol by name, or raise a ParameterError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ParameterError(f"unknown protocol {name!r}; known: {', '.join(REGISTRY)}") from None
