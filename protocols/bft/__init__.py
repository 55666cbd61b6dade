"""A Byzantine-tolerant counter: n = 3f + 1 replicas r1..rN, up to f of them lying; clients c1..cN.

Theory of operation
-------------------
Roles: replicas and clients (the family's shared client,
``protocols/common/counter_clients.py``). An increment is a uniquely tagged
operation, ``ci:k`` for client ci's k-th. The client sends it to every
replica; an honest replica forces the tag to its log, adds it to its set
and acknowledges; the increment counts as done once 2f + 1 distinct
replicas acknowledged. A read asks every replica for its set of tags and
decides by quorum (:func:`protocols.bft.handlers.decide`):

    wait for at least 2f + 1 answers; a tag counts once f + 1 replicas
    report it, is dropped once it can no longer reach f + 1 even if every
    replica yet to answer reported it, and the read decides when no
    reported tag is undecided. The value is the number of tags that count.

Why f liars cannot change the value. *Nothing invented counts*: a tag
counts only with f + 1 reporters, so at least one is honest, and honest
replicas only store real operations. *Nothing acknowledged is missed*: an
acknowledged tag was logged by the 2f + 1 replicas that acknowledged it,
and any 2f + 1 answers share at least f + 1 replicas with them (two sets
of 2f + 1 among 3f + 1 overlap in f + 1), at most f of which lie: some
honest answer reports the tag. Nor can it be dropped: its honest holders
(at least f + 1 of the acknowledgers) keep "reporters so far + replicas
yet to answer" at f + 1 or more, so the read waits until it counts. Hence
the value lies between the increments acknowledged before the read began
and those issued before it ended: the true count, exactly, when nothing
is in flight.

Why f + 1 liars can. Two liars that invent the same operations reach
f + 1 reports, and their fiction counts (``lie-high``, ``equivocate``);
f + 1 liars that acknowledge without storing let an increment be
"acknowledged" while only f honest replicas hold it, so a read can miss it
(``lie-low``, under a partition); f + 1 silent replicas leave only 2f to
answer, and nothing is ever decided (``silent``).

Behaviours (param ``behaviour``; the last ``liars`` replicas have it):
``lie-high`` stores honestly but reports two invented operations per
client on top; ``lie-low`` acknowledges without storing and reports
nothing; ``equivocate`` stores honestly but tells odd-numbered clients the
inflated story and even-numbered ones that nothing happened; ``silent``
never answers. Liars collude: they all invent the same operations.

Failure model: besides the liars, crash-recovery (every replica forces a tag
before acknowledging it), and a network that loses, duplicates and reorders;
clients retry towards the replicas that have not answered, up to the
horizon ``duration_ms``. A read that cannot decide after three rounds of
asking gives up rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import ParameterError
from protocols.bft import estimate
from protocols.bft.handlers import BEHAVIOURS, HONEST, REPLICA, initial_state
from protocols.bft.invariants import INVARIANTS
from protocols.bft.scenarios import SCENARIOS
from protocols.bft.table import TABLE
from protocols.common import counter_clients as clients
from protocols.common.counter_figures import (
    client_reads,
    client_totals,
    duplicates_rejected,
    messages_sent,
    outcome_figures,
)
from protocols.common.counter_reads import read_within_bounds
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec

PARAMS = (
    Param(name="f", kind="int", default=1, min=1, max=3,
          help="How many lying replicas to tolerate; there are n = 3f + 1 replicas."),
    Param(name="liars", kind="int", default=1, min=0, max=10,
          help="How many replicas actually lie (the last ones); more than f breaks the guarantee."),
    Param(name="behaviour", kind="choice", default="lie-high", choices=BEHAVIOURS,
          help="How the liars lie: report invented operations, hide real ones, tell clients different "
               "stories, or never answer."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the clients first (so their draws match the family's), then r1..r(3f+1)."""
    count = 3 * params["f"] + 1
    if params["liars"] > count:
        raise ParameterError(f"parameter liars: {params['liars']} liars among {count} replicas")
    roles = clients.client_names(params)
    roles.update({f"r{i}": REPLICA for i in range(1, count + 1)})
    return roles


def summarize(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the family's figures, with how many reads were right, wrong or undecided."""
    events, final = trace["events"], trace["final"]
    reps = [n for n, node in final.items() if node["role"] == REPLICA]
    f = (len(reps) - 1) // 3
    memo: dict[str, Any] = {}
    wrong = sum(1 for event in events for _ in read_within_bounds(event, memo))
    states = {n: node["state"] for n, node in final.items() if node["role"] == clients.CLIENT}
    finished = sum(1 for s in states.values() if s.get("read") is not None)
    honest_logs = [{r.get("tag") for r in final[n]["durable"]} for n in reps
                   if final[n]["state"].get("phase") == HONEST]
    lost = sum(1 for c, s in states.items() for k in range(1, s.get("acked_inc", 0) + 1)
               if sum(f"{c}:{k}" in log for log in honest_logs) < f + 1)
    return {
        "acknowledged_increments": client_totals(final)[0],
        "final_values": {n: len(final[n]["state"].get("tags", [])) for n in reps},
        "behaviours": {n: final[n]["state"].get("phase") for n in reps},
        "reads": client_reads(final),
        "reads_correct": finished - wrong,
        "reads_wrong": wrong,
        "reads_undecided": len(states) - finished,
        **outcome_figures(events, lost=lost, rejected=duplicates_rejected(events)),
        "messages_sent": messages_sent(events),
    }


SPEC = ProtocolSpec(
    estimate=estimate.events,
    name="counter-bft",
    title="Byzantine-tolerant counter",
    summary="n = 3f + 1 replicas, quorums of 2f + 1: reads stay right with f liars, and go wrong with f + 1.",
    theory=__doc__ or "",
    roles=(clients.CLIENT, REPLICA),
    params=clients.CLIENT_PARAMS + PARAMS,
    table=TABLE,
    topology=topology,
    initial_state=initial_state,
    invariants=INVARIANTS,
    scenarios=SCENARIOS,
    summarize=summarize,
    # One client, one increment, four replicas, one liar; the horizon comes before any retry. Safety
    # holds in every order; the search does report that a read whose timer fires before the answers
    # arrive gives up undecided (reads-decide): under asynchrony a timeout can always come first.
    explore_params={"clients": 1, "increments_per_client": 1, "f": 1, "liars": 1, "duration_ms": 100,
                    "retry_ms": 10_000},
    # One liar of four is tolerated however it lies; two (more than f) outvote the honest.
    foils=(Foil(params={"liars": 2}, breaks=("read-equals-true-count", "acknowledged-held-by-honest")),),
    clean=({}, {"behaviour": "lie-low"}, {"behaviour": "equivocate"}, {"behaviour": "silent"}),
)

CATALOGUE = Catalogue(chapter="Replicated counters", place=3, specs=(SPEC,))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
