"""Two-phase commit (2PC): one coordinator, 2 to 16 participants.

Theory of operation
-------------------
Roles: a coordinator (transaction manager) and participants (resource
managers). Phase 1: the coordinator sends PREPARE; each participant votes.
A yes vote is a promise: the participant first forces PREPARED to its log,
and from then on may not decide alone. Phase 2: with every vote yes, the
coordinator forces COMMIT to its log and sends it; with any no, or votes
missing at the timeout, it forces and sends ABORT. Participants acknowledge;
the coordinator re-sends to the silent ones a bounded number of times.

Failure model: crash-recovery nodes with durable logs; a network that
delays, loses, duplicates and reorders messages and may partition.

Recovery: the coordinator re-reads its decision and sends it again; with
none logged it aborts (presumed abort: no COMMIT can have been sent). A
participant that had not voted aborts; a prepared one is *in doubt* and
blocks, asking the coordinator (and, with ``cooperative_termination``, its
peers) until it is told. If the coordinator is down and no peer knows, the
participants stay blocked: this is 2PC's famous weakness.

The ``variant=majority-commit`` coordinator is deliberately wrong (a no vote
no longer vetoes), so that the checker and the explorer can be seen to
catch a real bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import ParameterError
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec
from protocols.twophase import estimate
from protocols.twophase.handlers import initial_state
from protocols.twophase.invariants import INVARIANTS
from protocols.twophase.scenarios import SCENARIOS
from protocols.twophase.table import TABLE

MAX_PARTICIPANTS = 16
"""A coordinator and 16 participants is already 17 lanes on a projector."""


def _check_votes(value: str) -> str | None:
    tokens = [t.strip() for t in value.split(",")]
    if len(tokens) > MAX_PARTICIPANTS:
        return f"at most {MAX_PARTICIPANTS} votes"
    for token in tokens:
        if token in ("yes", "no"):
            continue
        try:
            if 0.0 <= float(token) <= 1.0:
                continue
        except ValueError:
            pass
        return f"{token!r} is not yes, no or a probability from 0 to 1"
    return None


PARAMS = (
    Param(name="participants", kind="int", default=3, min=2, max=MAX_PARTICIPANTS,
          help="How many participants (resource managers) take part."),
    Param(name="votes", kind="str", default="yes", check=_check_votes,
          help="Each participant's vote, comma-separated: yes, no, or the probability of yes. "
               "One value applies to all; missing ones vote yes."),
    Param(name="variant", kind="choice", default="correct", choices=("correct", "majority-commit"),
          help="'majority-commit' is a deliberately broken coordinator."),
    Param(name="cooperative_termination", kind="bool", default=False,
          help="In-doubt participants also ask their peers for the outcome."),
    Param(name="vote_timeout_ms", kind="int", default=200, min=10, max=60_000,
          help="How long the coordinator waits for votes before aborting."),
    Param(name="prepare_timeout_ms", kind="int", default=400, min=10, max=60_000,
          help="How long a participant waits for PREPARE before aborting on its own."),
    Param(name="max_resends", kind="int", default=5, min=0, max=20,
          help="How many times the coordinator re-sends its decision to a silent participant "
               "(0 for none: a smaller model for the explorer)."),
    Param(name="max_status_queries", kind="int", default=4, min=0, max=20,
          help="How many times an in-doubt participant asks for the outcome before it waits to be told."),
    Param(name="resend_ms", kind="int", default=100, min=10, max=60_000,
          help="Interval for re-sending the decision; in-doubt participants ask every 2x this."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the coordinator first, then p1..pN."""
    votes = params["votes"].split(",")
    if len(votes) > 1 and len(votes) > params["participants"]:
        raise ParameterError(f"parameter votes: {len(votes)} votes for {params['participants']} participants")
    roles = {"coordinator": "coordinator"}
    roles.update({f"p{i}": "participant" for i in range(1, params["participants"] + 1)})
    return roles


def symmetry(params: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """Return the participants as one interchangeable group when they all vote alike for sure."""
    if params["votes"].strip() not in ("yes", "no"):
        return ()  # Votes differ by participant, or are drawn at random: no two are alike.
    return (tuple(f"p{i}" for i in range(1, params["participants"] + 1)),)


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the outcome, when each participant decided and how long it was blocked in doubt."""
    entered: dict[str, int] = {}
    blocked: dict[str, int] = {}
    decided_at: dict[str, int] = {}
    end = trace["events"][-1]["time"] if trace["events"] else 0
    for event in trace["events"]:
        node = event.get("node", "")
        if event["kind"] != "state" or not node.startswith("p"):
            continue
        phase = event["state"]["phase"]
        if node in entered and phase != "prepared":
            blocked[node] = blocked.get(node, 0) + event["time"] - entered.pop(node)
        if phase == "prepared" and node not in entered:
            entered[node] = event["time"]
        if phase in ("committed", "aborted") and node not in decided_at:
            decided_at[node] = event["time"]
    for node, since in entered.items():
        blocked[node] = blocked.get(node, 0) + end - since
    phases = {n: f["state"].get("phase") for n, f in trace["final"].items() if f["role"] == "participant"}
    outcomes = set(phases.values())
    if outcomes == {"committed"}:
        outcome = "committed"
    elif outcomes == {"aborted"}:
        outcome = "aborted"
    elif {"committed", "aborted"} <= outcomes:
        outcome = "inconsistent"
    else:
        outcome = "undecided"
    return {
        "outcome": outcome,
        "participant_phases": phases,
        "decided_at_ms": decided_at,
        "blocked_ms": {n: blocked.get(n, 0) for n in phases},
        "messages_sent": sum(1 for e in trace["events"] if e["kind"] == "send"),
    }


SPEC = ProtocolSpec(
    estimate=estimate.events,
    name="two-phase-commit",
    title="Two-phase commit",
    summary="Atomic commitment across participants, and why a crashed coordinator blocks everyone.",
    theory=__doc__ or "",
    roles=("coordinator", "participant"),
    params=PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # Retransmission makes the interleavings explode (over 500,000 worlds for 3 participants);
    # without it every order of every message and timer is tried in seconds.
    explore_params={"max_resends": 0, "max_status_queries": 0},
    # Even with every vote yes, the broken coordinator commits on two votes while the third participant
    # may still abort alone (its prepare timer fires).
    foils=(Foil(params={"variant": "majority-commit"}, breaks=("commit-needs-all-yes", "consistency")),),
    symmetry=symmetry,
)

CATALOGUE = Catalogue(chapter="Transactions", place=1, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
