"""What every role of the session-guarantees model shares: names, the script, the lags, the log's values.

Nodes: the primary ``primary``, replicas ``r1..rR``, clients ``c1..cC``.
A key never written reads as ``∅`` at version 0; a written key's version is
the log position of the write that wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRIMARY, REPLICA, CLIENT = "primary", "replica", "client"
PRIMARY_NODE = "primary"
NOTHING = "∅"
"""What a key never written reads as (at version 0)."""

MAX_SCRIPT_OPS = 40
"""A script is a story told by hand: forty operations already fill the space-time diagram."""
MAX_ENTRIES_PER_MESSAGE = 20
"""Log entries one replication message carries: a replica far behind (after a restart) catches up in
batches, each asked for by its acknowledgement, instead of in one message holding the whole log."""


def parse_script(text: str) -> dict[str, list[tuple[str, str]]]:
    """Read ``"c1: w k0, r k0; c2: r k0"`` into ``{"c1": [("write", "k0"), ("read", "k0")], ...}``."""
    script: dict[str, list[tuple[str, str]]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        client, sep, ops = part.partition(":")
        client = client.strip()
        if not sep or not client.startswith("c") or not client[1:].isdigit():
            raise ValueError(f"{part!r} is not 'cN: op, op, ...'")
        if client in script:
            raise ValueError(f"{client} is scripted twice")
        steps = []
        for token in filter(None, (t.strip() for t in ops.split(","))):
            verb, _, key = token.partition(" ")
            if verb not in ("r", "w") or not key.strip():
                raise ValueError(f"{token!r} is not 'r KEY' or 'w KEY'")
            steps.append(("read" if verb == "r" else "write", key.strip()))
        script[client] = steps
    if sum(len(s) for s in script.values()) > MAX_SCRIPT_OPS:
        raise ValueError(f"at most {MAX_SCRIPT_OPS} scripted operations")
    return script


def check_script(value: str) -> str | None:
    """Say what is wrong with a script, or None."""
    try:
        parse_script(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_lags(text: str) -> list[int]:
    """Read ``"10,200"`` into ``[10, 200]``: replica r1's lag, r2's, ... (the last repeats)."""
    lags = [int(part) for part in (p.strip() for p in text.split(",")) if part]
    if not lags or any(lag < 0 or lag > 600_000 for lag in lags):
        raise ValueError("a comma-separated list of lags from 0 to 600000 ms")
    return lags


def check_lags(value: str) -> str | None:
    """Say what is wrong with a list of lags, or None."""
    try:
        parse_lags(value)
    except ValueError as exc:
        return str(exc) if "comma" in str(exc) else f"{value!r} is not a comma-separated list of whole numbers"
    return None


def lag_of(params: Mapping[str, Any], replica: str) -> int:
    """Return how long ``replica`` (``r1``, ``r2``...) holds an entry before applying it."""
    lags = parse_lags(params["lags_ms"])
    index = int(replica[1:]) - 1
    return lags[min(index, len(lags) - 1)]


def value_at(entries: list[Mapping[str, Any]], key: str) -> tuple[str, int]:
    """Return a key's value and version in a log prefix: its last write, or nothing at version 0."""
    for entry in reversed(entries):
        if entry["key"] == key:
            return str(entry["value"]), int(entry["pos"])
    return NOTHING, 0
