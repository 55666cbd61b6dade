"""The merging search finds exactly what following every path finds.

The explorer merges two orders that reach the same world (by fingerprint).
That is sound only if the fingerprint holds everything that decides future
verdicts: node states, timers, messages, time and what the history checks
remember. Here each protocol's tiny configuration is searched twice, to the
same depth: merging, and without merging (every path on its own, the
reference); the sets of broken invariants and exceptions must be the same.
A made-up protocol whose violation only the history shows, and the stale
read of cache-aside that issue 14 reported missed, pin the history memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from protocols import REGISTRY
from protocols.base import Context, Send, State, Transition, TransitionTable
from protocols.sim.explorer import Report, explore
from protocols.spec import Finding, Invariant, ProtocolSpec

TINY: dict[str, tuple[dict[str, Any], int]] = {
    "two-phase-commit": ({"participants": 2}, 5),
    "cache-write-through": ({"script": "c1: r k0, r k0; c2: w k0"}, 6),
    "cache-write-back": ({"script": "c1: w k0; c2: r k0"}, 6),
    "cache-write-around": ({"script": "c1: r k0, r k0; c2: w k0"}, 6),
    "cache-aside": ({"script": "c1: r k0, r k0; c2: w k0"}, 6),
    "mesi": ({"clients": 2, "keys": 1, "ops_per_client": 1}, 10),
    "consistent-hashing": ({"clients": 1, "keys": 1, "ops_per_client": 1}, 30),
    "counter-naive": ({}, 7),
    "lock-lease": ({}, 6),
    "counter-locked": ({}, 6),
    "counter-sharded": ({}, 7),
    "g-counter": ({}, 5),
    "pn-counter": ({}, 5),
    "counter-bft": ({}, 6),
    "service-registry": ({"providers": 1, "consumers": 1}, 4),
    "service-invocation": ({"max_retries": 1}, 30),
    "service-mesh": ({}, 5),
}
"""Per protocol: settings over its small model, and the depth both searches go to (every path
to that depth is a few thousand worlds at most)."""

EXTRA = [
    ("two-phase-commit", {"participants": 3, "variant": "majority-commit"}, 4),
    ("two-phase-commit", {"participants": 3}, 5),
]
"""Configurations with a violation within reach of the reference search."""

TREE_STATES = 20_000
"""Ceiling of the reference search: it must complete within it, or the comparison means nothing."""


def broken(report: Report) -> set[tuple[str, str]]:
    """Return what a search found: (kind, invariant or exception) pairs."""
    return {(c.kind, c.name) for c in report.counterexamples}


def test_every_protocol_has_a_tiny_configuration() -> None:
    assert set(TINY) == set(REGISTRY)


@pytest.mark.parametrize("name, params, depth",
                         [(name, *TINY[name]) for name in REGISTRY] + EXTRA)
def test_merging_finds_what_every_path_finds(name: str, params: dict[str, Any], depth: int) -> None:
    spec = REGISTRY[name]
    every_path = explore(spec, params, merge=False, depth_limit=depth, max_states=TREE_STATES)
    assert every_path.complete, f"the reference search of {name} to depth {depth} did not complete"
    for symmetry in (False, True):
        merged = explore(spec, params, depth_limit=depth, max_states=TREE_STATES, symmetry=symmetry)
        assert merged.complete
        assert merged.states <= every_path.states
        assert broken(merged) == broken(every_path), f"symmetry={symmetry}"


def test_the_majority_commit_comparison_has_something_to_compare() -> None:
    name, params, depth = EXTRA[0]
    assert broken(explore(REGISTRY[name], params, depth_limit=depth))


def test_symmetry_merges_worlds_that_differ_by_a_renaming_of_participants() -> None:
    spec = REGISTRY["two-phase-commit"]
    plain = explore(spec, {"participants": 3}, depth_limit=6, symmetry=False)
    reduced = explore(spec, {"participants": 3}, depth_limit=6)
    assert plain.complete and reduced.complete
    assert reduced.states * 3 < plain.states
    assert explore(spec, {"participants": 3, "votes": "yes,no,yes"}, depth_limit=6).states == explore(
        spec, {"participants": 3, "votes": "yes,no,yes"}, depth_limit=6, symmetry=False).states


# ------------------------------------------------------------ history only


def _gossip_spec() -> ProtocolSpec:
    """a and b each tell c; c ends in the same state either way, but only one order is 'late'.

    The history check remembers who c heard first; it reports when c hears from b
    first and then, at the last step, from a. Both orders end in the same node
    states and network, so a fingerprint without the checker's memory merges
    them and never expands the second.
    """

    def start(dest: str, word: str) -> Any:
        return lambda ctx, state, event, now: (state, [Send(dest=dest, type=word)])

    def heard(ctx: Context, state: State, event: Any, now: int) -> tuple[State, list[Send]]:
        count = state["heard"] + 1
        return {**state, "heard": count}, ([Send(dest="d", type="done")] if count == 2 else [])

    rows = [
        Transition(role="a", phase="idle", on="start", to=("idle",), handler=start("c", "x")),
        Transition(role="b", phase="idle", on="start", to=("idle",), handler=start("c", "y")),
        Transition(role="c", phase="idle", on="start", to=("idle",)),
        Transition(role="c", phase="idle", on="msg:x", to=("idle",), handler=heard),
        Transition(role="c", phase="idle", on="msg:y", to=("idle",), handler=heard),
        Transition(role="d", phase="idle", on="start", to=("idle",)),
        Transition(role="d", phase="idle", on="msg:done", to=("done",),
                   handler=lambda ctx, state, event, now: ({**state, "phase": "done"}, [])),
    ]

    def a_first(event: Mapping[str, Any], memo: dict[str, Any]) -> list[Finding]:
        if event["kind"] == "deliver" and event["node"] == "c":
            memo.setdefault("first", event["src"])
        if event["kind"] == "deliver" and event["node"] == "d" and memo.get("first") == "b":
            return [Finding(nodes=("c",), id="b-before-a")]
        return []

    return ProtocolSpec(
        name="gossip", title="Gossip", summary="", theory="", roles=("a", "b", "c", "d"), params=(),
        table=TransitionTable(rows), topology=lambda params: {n: n for n in "abcd"},
        initial_state=lambda ctx: {"phase": "idle", "heard": 0},
        invariants=(Invariant(name="a-first", kind="history", description="", check=a_first,
                              findings={"b-before-a": "c heard b before a"}),),
        scenarios=(), summarize=lambda trace: {},
    )


def test_a_violation_only_the_history_shows_is_found() -> None:
    spec = _gossip_spec()
    every_path = explore(spec, merge=False)
    merged = explore(spec)
    assert every_path.complete and merged.complete
    assert broken(every_path) == {("violation", "a-first")}
    assert broken(merged) == broken(every_path)


@pytest.mark.slow
def test_the_stale_read_of_cache_aside_from_issue_14_is_found() -> None:
    report = explore(REGISTRY["cache-aside"], {"script": "c1: r k0, r k0; c2: w k0"})
    found = {c.name: c for c in report.counterexamples}
    assert "stale-read" in found, f"{report.states} worlds, complete={report.complete}"
    assert len(found["stale-read"].commands) == 14
