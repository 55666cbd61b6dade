"""Pure protocol state machines and the deterministic engine that runs them.

Nothing in this package performs I/O, reads a clock or draws random numbers
of its own; ``tests/protocols/test_layering.py`` enforces it.
"""

from __future__ import annotations

from protocols.base import ParameterError
from protocols.spec import ProtocolSpec
from protocols.twophase import SPEC as TWO_PHASE_COMMIT

REGISTRY: dict[str, ProtocolSpec] = {spec.name: spec for spec in (TWO_PHASE_COMMIT,)}
"""Every protocol the lab offers, by name."""


def get_protocol(name: str) -> ProtocolSpec:
    """Return a protocol by name, or raise a ParameterError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ParameterError(f"unknown protocol {name!r}; known: {', '.join(REGISTRY)}") from None
