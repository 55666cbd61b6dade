"""Three-phase commit (3PC, Skeen 1981): atomic commitment that does not block when the coordinator crashes.

Theory of operation
-------------------
Roles: a coordinator and participants ``p1..pN``. Two-phase commit blocks
because a participant that voted yes cannot tell, while the coordinator is
down, whether someone already committed. 3PC adds a round so that this can
never be in doubt: nobody commits until everyone knows that everyone voted yes.

1. **CanCommit**: the coordinator asks; each participant votes. A yes is
   forced to the log first and leaves it ``uncertain``; a no aborts it.
2. **PreCommit**: with every vote yes the coordinator logs ``precommitted``
   and tells everyone to get ready; each forces ``prepared`` and acknowledges.
   With a no, or a vote missing at its timeout, it aborts instead.
3. **DoCommit**: with every acknowledgement (or at its timeout: the silent
   are taken for crashed, and everyone voted yes) it commits and tells all.

The rule 3PC rests on: no participant is ``uncertain`` while another has
committed, so the state of the living is always enough to decide. Every
waiting phase has a timeout. A participant that hears nothing in ``working``
aborts alone (it never voted). In ``uncertain`` or ``prepared`` it suspects
the coordinator and runs the **termination protocol** (``termination=elected``,
see termination.py): the first participant by name it has not given up on
leads, asks everyone's state and decides: some committed, commit; some
aborted, abort; some prepared, PreCommit the uncertain and commit; all
uncertain, abort. After ``termination_rounds`` rounds (by default one per
participant) it stops suspecting and waits to be told. A recovered node asks
everyone for the outcome.

Failure model: crash-recovery nodes with durable logs, and a network whose
delays stay below the timeouts (``participant_timeout_ms`` well above
``coordinator_timeout_ms`` plus two round trips). Then it guarantees
atomicity (nobody commits while another aborts) and validity (commit only if
all voted yes), and every live participant decides without waiting for the
coordinator to return.

What it does not guarantee: safety when a timeout lies. A partition (or a
message slower than a timeout) makes a node suspect one that is alive: the
two sides each decide on half the facts, one commits and the other aborts.
The explorer, which lets any timer fire at any moment, finds this at once.

Variants, to see why each part is there: ``termination=unilateral``
decides alone on a timeout (uncertain aborts, prepared commits), which
splits when the coordinator crashes halfway through its PreCommits;
``termination=none`` waits to be told, safe even under partitions, and
blocks like 2PC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, ParameterError, State
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec
from protocols.threephase import coordinator, estimate, participant
from protocols.threephase.invariants import INVARIANTS
from protocols.threephase.scenarios import SCENARIOS
from protocols.threephase.summary import FIGURES, summarize
from protocols.threephase.table import TABLE

MAX_PARTICIPANTS = 8
"""Nine lanes already fill a projector, and every termination round asks all of them."""


def _votes_problem(text: str) -> str | None:
    """Say what is wrong with a ``votes`` value, or None."""
    votes = [v.strip() for v in text.split(",")]
    wrong = [v for v in votes if v not in ("yes", "no")]
    if wrong:
        return f"{wrong[0]!r} is neither yes nor no"
    return f"at most {MAX_PARTICIPANTS} votes" if len(votes) > MAX_PARTICIPANTS else None


PARAMS = (
    Param(name="participants", help="How many participants take part (p1, p2, ...; the termination protocol "
                                    "elects them in that order).",
          kind="int", default=3, min=2, max=MAX_PARTICIPANTS),
    Param(name="votes", kind="str", default="yes", check=_votes_problem, help="Each participant's vote, "
          "comma-separated, yes or no; one value applies to all, missing ones vote yes."),
    Param(name="termination", kind="choice", choices=("elected", "unilateral", "none"), default="elected",
          help="What a participant does when its timeout fires after voting yes: 'elected' runs the termination "
               "protocol; 'unilateral' decides alone (uncertain aborts, prepared commits: broken); 'none' waits "
               "to be told, blocking like 2PC."),
    Param(name="coordinator_timeout_ms", kind="int", default=100, min=10, max=60_000, help="How long the "
          "coordinator (and a termination leader) waits for votes, states or acknowledgements."),
    Param(name="participant_timeout_ms", kind="int", default=300, min=10, max=60_000, help="How long a "
          "participant waits for the next message before it suspects the coordinator (or the leader it waits for)."),
    Param(name="termination_rounds", kind="int", default=MAX_PARTICIPANTS, min=1, max=MAX_PARTICIPANTS,
          help="How many rounds of the termination protocol a participant goes through (p1 leads the first, p2 "
               "the second, ...) before it stops suspecting and waits to be told; the default lets every "
               "participant lead."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the coordinator first, then p1..pN."""
    votes = params["votes"].split(",")
    if len(votes) > 1 and len(votes) > params["participants"]:
        raise ParameterError(f"parameter votes: {len(votes)} votes for {params['participants']} participants")
    return {"coordinator": "coordinator", **{f"p{i}": "participant" for i in range(1, params["participants"] + 1)}}


def initial_state(ctx: Context) -> State:
    """Return a node's state at boot and after a crash, before its recovery handler runs."""
    return coordinator.initial(ctx) if ctx.role == "coordinator" else participant.initial(ctx)


def symmetry(params: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """Without termination the participants are alike when they all vote alike; an election orders them."""
    if params["termination"] != "none" or params["votes"].strip() not in ("yes", "no"):
        return ()
    return (tuple(f"p{i}" for i in range(1, params["participants"] + 1)),)


SPEC = ProtocolSpec(
    name="three-phase-commit", title="Three-phase commit", theory=__doc__ or "",
    summary="A third round and a termination protocol so that a crashed coordinator blocks nobody; "
            "a partition splits the decision.",
    roles=("coordinator", "participant"), topology=topology, initial_state=initial_state, symmetry=symmetry,
    table=TABLE, params=PARAMS, invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # The explorer has no partitions, but it abstracts time away: any timer may fire at any moment, so a
    # participant may suspect a coordinator that is alive and merely slow. That is the partition's lie told
    # by the clock, and the search finds the same split (one side commits, the other aborts) with no fault
    # at all: 3PC is safe only under bounded delays. The bare timeout rules split too. Only 'none', which never
    # decides on a timeout after voting yes, is clean: safe under asynchrony, and blocking.
    # The small model keeps one round of the termination protocol: p1 leads it, as in the shortest split (p1
    # times out collecting and aborts while the coordinator, its acknowledgements late, commits). A second
    # round (p2 leading after suspecting p1) finds nothing more, only more stale messages in flight: the
    # search completes at 159,092 worlds with it (the same two findings, at the same depths), 9,878 without.
    explore_params={"participants": 2, "termination_rounds": 1},
    foils=(Foil(params={}, breaks=("atomicity",)), Foil(params={"termination": "unilateral"}, breaks=("atomicity",))),
    clean=({"termination": "none"},),
)

CATALOGUE = Catalogue(chapter="Transactions", place=2, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
