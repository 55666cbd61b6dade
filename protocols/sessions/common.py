"""What every role of the session-guarantees model shares: names, the script, the lags, the log's values.

Nodes: the primary ``primary``, replicas ``r1..rR``, clients ``c1..cC``.
A key never written reads as ``∅`` at version 0; a written key's version is
the log position of the write that wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.common.script import ScriptFormat

PRIMARY, REPLICA, CLIENT = "primary", "replica", "client"
PRIMARY_NODE = "primary"
NOTHING = "∅"
"""What a key never written reads as (at version 0)."""

MAX_SCRIPT_OPS = 40
"""A script is a story told by hand: forty operations already fill the space-time diagram."""
MAX_ENTRIES_PER_MESSAGE = 20
"""Log entries one replication message carries: a replica far behind (after a restart) catches up in
batches, each asked for by its acknowledgement, instead of in one message holding the whole log."""


SCRIPT = ScriptFormat(max_ops=MAX_SCRIPT_OPS)
parse_script = SCRIPT.parse
"""Read ``"c1: w k0, r k0; c2: r k0"`` into ``{"c1": [("write", "k0"), ("read", "k0")], ...}``."""
check_script = SCRIPT.check
"""Say what is wrong with a script, or None."""


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
