"""Pure protocol state machines and the deterministic engine that runs them.

Nothing in this package performs I/O, reads a clock or draws random numbers
of its own; ``tests/protocols/test_layering.py`` enforces it.
"""

from __future__ import annotations

import importlib
import pkgutil

from protocols.base import ParameterError
from protocols.spec import Catalogue, ProtocolSpec

CHAPTERS: tuple[str, ...] = (
    "Transactions",
    "Caches",
    "Coherence and sharding",
    "Counters and locks",
    "Replicated counters",
    "Service registries",
    "Service invocation",
)
"""The catalogue's chapters, in teaching order. A protocol package names its chapter in its ``CATALOGUE``."""

INFRASTRUCTURE = ("common", "sim")
"""Packages under protocols/ that hold no protocol (shared parts, the engine)."""


def _catalogues() -> list[Catalogue]:
    """Import every protocol package and return its CATALOGUE, in chapter order, then place."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg and info.name not in INFRASTRUCTURE:
            catalogue = getattr(importlib.import_module(f"{__name__}.{info.name}"), "CATALOGUE", None)
            if catalogue is None:
                raise ImportError(f"protocols/{info.name}/ sets no CATALOGUE (a protocol package must)")
            if catalogue.chapter not in CHAPTERS:
                raise ImportError(f"protocols/{info.name}/: chapter {catalogue.chapter!r} is not one of {CHAPTERS}")
            found.append(catalogue)
    return sorted(found, key=lambda c: (CHAPTERS.index(c.chapter), c.place))


_FOUND = _catalogues()

REGISTRY: dict[str, ProtocolSpec] = {spec.name: spec for catalogue in _FOUND for spec in catalogue.specs}
"""Every protocol the lab offers, by name (each package registers its own: see ``Catalogue``)."""

FAMILIES: tuple[tuple[str, tuple[ProtocolSpec, ...]], ...] = tuple(
    (chapter, tuple(spec for catalogue in _FOUND if catalogue.chapter == chapter for spec in catalogue.specs))
    for chapter in CHAPTERS
)
"""The catalogue's chapters, in teaching order: (title, protocols)."""


def get_protocol(name: str) -> ProtocolSpec:
    """Return a protocol by name, or raise a ParameterError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ParameterError(f"unknown protocol {name!r}; known: {', '.join(REGISTRY)}") from None
