"""Hypothesis strategies for simulation runs: seeds, parameters and fault plans.

A *run* is plain data (``seed``, ``params``, ``faults``, ``chaos``), so a
failing example can be printed, pasted into a test and replayed exactly.
Fault plans are generated against a list of node names and only ever contain
faults the engine's plan validator accepts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
"""Every seed the engine accepts."""

PROBABILITIES = st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.2, 0.3])
"""Loss and duplication rates: often none, sometimes a lot."""

CHAOS_RATES = st.sampled_from([0.0, 0.0, 0.0, 0.02, 0.05, 0.1, 0.2])
"""Chance per step that the engine injects a random fault."""

TIMED_ACTIONS = ("crash", "recover", "pause", "resume", "heal", "partition", "clock")
"""Fault actions that may fire at a virtual time (drop and duplicate need a send to match)."""

PATTERN_KINDS = ("state", "persist", "send", "timer_set", "deliver", "note")
"""Event kinds a node emits; crashing right after one of them interrupts a handler midway."""

TWO_PC_MESSAGES = ("prepare", "vote", "commit", "abort", "ack", "status_request", "status_reply")

TWO_PC_DETAILS: dict[str, tuple[str, tuple[str, ...]]] = {
    "send": ("message.type", TWO_PC_MESSAGES),
    "state": ("state.phase", ("init", "working", "prepared", "committed", "aborted")),
    "persist": ("record.type", ("prepared", "committed", "aborted", "decision")),
}
"""Finer patterns: crash after a node's first COMMIT sent, not merely its first send."""

MAX_FAULT_TIME_MS = 2_000
"""Later than any two-phase commit run with default timeouts lasts."""


def two_pc_nodes(participants: int) -> list[str]:
    """Return the node names two-phase commit places for ``participants``."""
    return ["coordinator"] + [f"p{i}" for i in range(1, participants + 1)]


@st.composite
def partitions(draw: st.DrawFn, nodes: Sequence[str]) -> list[list[str]]:
    """Split some of ``nodes`` into two or three non-empty groups (the rest are alone)."""
    sides = draw(st.integers(min_value=2, max_value=min(3, len(nodes))))
    labels = draw(st.lists(st.integers(min_value=-1, max_value=sides - 1),
                           min_size=len(nodes), max_size=len(nodes)))
    groups = [[n for n, label in zip(nodes, labels, strict=True) if label == side] for side in range(sides)]
    groups = [g for g in groups if g]
    if len(groups) < 2:  # Too few sides drawn: fall back to "the first node alone".
        groups = [[nodes[0]], list(nodes[1:])]
    return groups


@st.composite
def timed_faults(draw: st.DrawFn, nodes: Sequence[str]) -> dict[str, Any]:
    """One fault at a random virtual time."""
    action = draw(st.sampled_from(TIMED_ACTIONS))
    fault: dict[str, Any] = {"action": action, "at_ms": draw(st.integers(0, MAX_FAULT_TIME_MS))}
    if action == "partition":
        fault["groups"] = draw(partitions(nodes))
    elif action == "clock":
        fault["node"] = draw(st.sampled_from(nodes))
        fault["rate"] = draw(st.sampled_from([0.5, 0.9, 1.0, 1.5, 2.0]))
        fault["offset_ms"] = draw(st.integers(-500, 500))
    elif action != "heal":
        fault["node"] = draw(st.sampled_from(nodes))
    return fault


@st.composite
def midstep_crashes(draw: st.DrawFn, nodes: Sequence[str],
                    details: Mapping[str, tuple[str, Sequence[str]]] = TWO_PC_DETAILS) -> list[dict[str, Any]]:
    """A crash right after one of a node's own events (so midway through a handler), maybe a recovery later.

    ``details`` offers, per event kind, a field that can narrow the pattern.
    The recovery is at least 1 ms later, so it is a step of its own.
    """
    node = draw(st.sampled_from(nodes))
    kind = draw(st.sampled_from(PATTERN_KINDS))
    pattern = {"kind": kind, "node": node}
    if kind in details and draw(st.booleans()):
        key, values = details[kind]
        pattern[key] = draw(st.sampled_from(values))
    crash = {"action": "crash", "node": node, "after": pattern}
    plan = [crash]
    if draw(st.booleans()):
        plan.append({"action": "recover", "node": node, "after": {"kind": "crash", "node": node},
                     "delay_ms": draw(st.integers(1, 1_000))})
    return plan


@st.composite
def message_faults(draw: st.DrawFn, nodes: Sequence[str], types: Sequence[str]) -> dict[str, Any]:
    """Drop or duplicate the first send matching a random (source, type)."""
    pattern: dict[str, Any] = {"kind": "send", "message.type": draw(st.sampled_from(types))}
    if draw(st.booleans()):
        pattern["src"] = draw(st.sampled_from(nodes))
    return {"action": draw(st.sampled_from(["drop", "duplicate"])), "after": pattern}


@st.composite
def fault_plans(draw: st.DrawFn, nodes: Sequence[str], types: Sequence[str] = TWO_PC_MESSAGES,
                max_faults: int = 8) -> list[dict[str, Any]]:
    """A plan mixing timed faults, mid-handler crashes and message faults."""
    plan: list[dict[str, Any]] = []
    length = draw(st.sampled_from([0, 0, 1, 1, 2, 3, max_faults // 2, max_faults]))
    for _ in range(length):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            plan += draw(midstep_crashes(nodes))
        elif choice == 1:
            plan.append(draw(message_faults(nodes, types)))
        else:
            plan.append(draw(timed_faults(nodes)))
    return plan


@st.composite
def votes(draw: st.DrawFn, participants: int) -> str:
    """A ``votes`` parameter: often all yes (commits are where the bugs are), else mixed tokens."""
    if draw(st.booleans()):
        return "yes"
    token = st.sampled_from(["yes", "yes", "no"]) | st.sampled_from(["0.0", "0.5", "0.9", "1.0"])
    tokens = draw(st.lists(token, min_size=1, max_size=participants))
    return ",".join(tokens)


@st.composite
def two_pc_runs(draw: st.DrawFn, variant: str = "correct", max_participants: int = 16) -> dict[str, Any]:
    """A whole two-phase commit run as data: seed, parameters, fault plan, chaos rate."""
    participants = draw(st.integers(2, 4) | st.integers(2, max_participants))
    nodes = two_pc_nodes(participants)
    low, high = sorted(draw(st.lists(st.integers(0, 60), min_size=2, max_size=2)))
    params = {
        "participants": participants,
        "votes": draw(votes(participants)),
        "variant": variant,
        "cooperative_termination": draw(st.booleans()),
        "loss_probability": draw(PROBABILITIES),
        "duplicate_probability": draw(PROBABILITIES),
        "delay_ms_min": low,
        "delay_ms_max": high,
        "fifo": draw(st.booleans()),
        "vote_timeout_ms": draw(st.sampled_from([10, 100, 200, 500, 1_000])),
        "prepare_timeout_ms": draw(st.sampled_from([10, 100, 400, 1_000])),
        "resend_ms": draw(st.sampled_from([10, 50, 100, 300])),
    }
    return {
        "seed": draw(SEEDS),
        "params": params,
        "faults": draw(fault_plans(nodes)),
        "chaos": draw(CHAOS_RATES),
    }


INT_SPAN = 4
"""How far above its default (or minimum) a derived int parameter goes: small models, fast runs."""


def spec_params(spec: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters for any protocol, derived from what its spec declares (no bound restated here).

    ints from their minimum to a little above their default (never past their maximum), floats over
    their whole range, bools and choices as declared; a free-text parameter (a script, a weights
    list) takes its default or a value one of the protocol's scenarios uses, since only the protocol
    knows what text it accepts. A new protocol is fuzzed by this without a strategy of its own.
    """
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for param in spec.all_params():
        if param.kind == "int":
            low = int(param.min) if param.min is not None else min(0, int(param.default))
            high = max(low, int(param.default)) + INT_SPAN
            if param.max is not None:
                high = min(high, int(param.max))
            fields[param.name] = st.integers(low, high)
        elif param.kind == "float":
            low = param.min if param.min is not None else min(0.0, float(param.default))
            high = param.max if param.max is not None else max(1.0, float(param.default))
            fields[param.name] = st.just(float(param.default)) | st.floats(low, high, allow_nan=False)
        elif param.kind == "bool":
            fields[param.name] = st.booleans()
        elif param.kind == "choice":
            fields[param.name] = st.sampled_from(list(param.choices))
        else:
            seen = [param.default] + [s.params[param.name] for s in spec.scenarios if param.name in s.params]
            fields[param.name] = st.sampled_from(sorted(set(map(str, seen))))
    return st.fixed_dictionaries(fields)
