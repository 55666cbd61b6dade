"""Paxos Commit (Gray and Lamport, "Consensus on Transaction Commit", 2006): 2PC's decision made fault-tolerant.

Theory of operation
-------------------
Roles: resource managers ``p1..pN`` (the participants), 2F+1 acceptors
``a1..`` and two leaders: ``leader``, the registrar that starts the
transaction, and ``backup``, which takes over. 2PC blocks because one
process, the coordinator, holds the decision. Paxos Commit gives each
resource manager's vote its own instance of Paxos consensus, with the same
2F+1 acceptors for all: a vote, once chosen by a quorum (F+1) of acceptors,
survives any F of them failing and any leader failing.

1. The leader sends BEGIN to every resource manager.
2. Each resource manager forces its vote to its log and proposes it in its
   own instance, at ballot 0 (which belongs to it), straight to every
   acceptor: ``prepared``, or ``aborted`` if it votes no.
3. Each acceptor accepts, forces that to its log, and reports it to both
   leaders. An instance's value is chosen when F+1 acceptors accepted it in
   one ballot; the transaction commits when every instance chose
   ``prepared`` and aborts as soon as one chose ``aborted``. The leader tells
   the resource managers.

With F=0 (one acceptor, which is then the coordinator's log) this is 2PC;
in the failure-free case it costs one more message delay and 2F+1 times the
messages, and no process's failure blocks it. Recovery: when the leader's
timeout fires with instances still open, or a prepared resource manager
hears nothing and asks the backup, that leader runs a ballot of its own
(phase 1 for all instances at once, then phase 2), proposing for each
instance the value reported with the highest ballot, or ``aborted`` where
none was. Paxos keeps a chosen value chosen, so every leader reaches the
same outcome.

Failure model: crash-recovery processes with logs, a network that delays,
loses, duplicates and reorders (safety needs no timing at all). It
guarantees atomicity and validity always, and an outcome for every resource
manager while at most F acceptors are down and a leader and the network
work. With F+1 acceptors down it blocks: nothing can be chosen.

``recovery=blind`` is deliberately broken: a leader that takes over
proposes ``aborted`` for every instance without phase 1, so it can overturn a
vote already chosen, and the leaders learn different outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, ParameterError, State
from protocols.paxoscommit import acceptor, estimate, leader, participant
from protocols.paxoscommit.invariants import INVARIANTS
from protocols.paxoscommit.scenarios import SCENARIOS
from protocols.paxoscommit.summary import FIGURES, summarize
from protocols.paxoscommit.table import TABLE
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

LARGEST_F = 2
"""Five acceptors, two leaders and six resource managers are thirteen lanes: a projector's worth."""


def _vote_list_error(text: str) -> str | None:
    """Return what is wrong with a ``votes`` list, or None when every entry is yes or no."""
    entries = text.replace(" ", "").split(",")
    odd = next((e for e in entries if e not in {"yes", "no"}), None)
    return None if odd is None else f"{odd!r}: each vote is yes or no"


PARAMS = (
    Param(kind="int", name="participants", default=3, min=1, max=6, help="How many resource managers vote."),
    Param(kind="int", name="f", default=1, min=0, max=LARGEST_F,
          help="Acceptor failures tolerated: 2F+1 acceptors, a quorum of F+1. F=0 is 2PC, its log on one acceptor."),
    Param(kind="str", name="votes", default="yes", check=_vote_list_error,
          help="The resource managers' votes, comma-separated, yes or no; one for all, missing ones yes."),
    Param(kind="choice", name="recovery", default="paxos", choices=("paxos", "blind"),
          help="How a leader closes open instances: 'paxos' asks a quorum what they accepted first (phase 1); "
               "'blind' proposes aborted for every instance straight away (broken)."),
    Param(kind="int", name="leader_timeout_ms", default=100, min=10, max=60_000,
          help="How long the leader waits for every instance to be chosen before it runs its own ballot."),
    Param(kind="int", name="participant_timeout_ms", default=300, min=10, max=60_000,
          help="How long a resource manager waits for BEGIN (then aborts) or, prepared, for the outcome "
               "(then asks the backup)."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the two leaders, the resource managers, then the acceptors."""
    votes = params["votes"].split(",")
    if len(votes) > max(1, params["participants"]):
        raise ParameterError(f"parameter votes: {len(votes)} votes for {params['participants']} resource managers")
    nodes = {"leader": "leader", "backup": "leader"}
    nodes.update((f"p{k}", "participant") for k in range(1, params["participants"] + 1))
    nodes.update((f"a{k}", "acceptor") for k in range(1, 2 * params["f"] + 2))
    return nodes


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    make = {"leader": leader.initial, "acceptor": acceptor.initial, "participant": participant.initial}
    return make[ctx.role](ctx)


SPEC = ProtocolSpec(
    name="paxos-commit", title="Paxos Commit", theory=__doc__ or "",
    summary="Each vote chosen by Paxos among 2F+1 acceptors: no leader's crash blocks the transaction, "
            "F+1 acceptor crashes do.",
    roles=("leader", "participant", "acceptor"), topology=topology, initial_state=initial_state,
    table=TABLE, params=PARAMS, invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # Paxos is safe under any timing, so the small model (where any timer may fire at any moment) is clean.
    # One resource manager and one acceptor (F=0) keep it small enough to finish (2,508 worlds): two of each
    # are past 50,000 worlds at depth 13. The two leaders' ballots still race, which is what Paxos is for;
    # skipping phase 1 lets the backup overturn a chosen vote (found at depth 7).
    explore_params={"participants": 1, "f": 0},
    foils=(Foil(params={"recovery": "blind"}, breaks=("atomicity",)),),
)

CATALOGUE = Catalogue(chapter="Transactions", place=3, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
