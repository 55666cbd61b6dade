"""Which caches serve a key under the run's remedy: the owner alone, or a hot key's replicas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.hotkeys.ring import hot_key_names, preference


def is_hot(params: Mapping[str, Any], key: str) -> bool:
    """Say whether ``key`` is one of the keys declared hot."""
    return key in hot_key_names(params["hot_keys"], params["keys"])


def holders(params: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """Return the caches holding ``key``: its replicas if it is hot and replicated, else its owner alone."""
    count = params["replicas"] if params["remedy"] == "replicate" and is_hot(params, key) else 1
    return preference(params["caches"], params["vnodes"], key, count)


def read_target(params: Mapping[str, Any], key: str, client_index: int) -> str:
    """Return where client number ``client_index`` reads ``key``: a replicated key from the replica its number
    picks (c1 the one after the owner, c2 the next...), as a client pinned to a nearby node would; the spread
    comes from many clients."""
    nodes = holders(params, key)
    return nodes[client_index % len(nodes)]


def write_target(params: Mapping[str, Any], key: str) -> str:
    """Return where a write of ``key`` goes: its owner, first of its holders."""
    return holders(params, key)[0]
