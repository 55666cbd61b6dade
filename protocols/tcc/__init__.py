"""TCC (try / confirm / cancel, as in Seata): a business-level two-phase commit whose branches reserve resources.

Theory of operation
-------------------
Roles: a transaction coordinator ``tc`` (Seata's TC) and branches
``b1..bN``, each a service owning an account: a ``balance`` and a ``frozen``
amount. The coordinator begins a global transaction (``tx1``, ...), registers
every branch and sends each a **Try**: the branch reserves, moving the amount
from its balance to frozen. If every Try succeeds the coordinator sends
**Confirm** (the branch spends the frozen amount); if one fails, or not every
Try answers within ``try_timeout_ms``, it sends **Cancel** (the branch gives
the frozen amount back). The second phase goes to every registered branch and
is retried until acknowledged (at most ``max_retries`` times).

Failure model: messages may be delayed, reordered, lost and duplicated; a
Try may run late (the ``slow_branch``). So a branch may get a Cancel before
its Try (the coordinator timed out), a Try after its Cancel, and the same
Confirm or Cancel twice. TCC's classic failures follow from applying each
as it comes: an **empty rollback** (a Cancel gives back what was never
frozen), **hanging** (a late Try freezes an amount nobody will ever confirm
or cancel) and a **non-idempotent** Confirm or Cancel (spent or released twice).

The remedy, ``control_table`` (Seata's transaction control table): each
branch keeps one row per global transaction, ``tried``, ``confirmed`` or
``cancelled``, written with the account change. A Cancel without a row
records ``cancelled`` and changes nothing; a Try that finds ``cancelled`` is
refused; a Confirm or Cancel that finds its row done only acknowledges. With
it TCC guarantees that each transaction's amount is spent once at every
branch if it confirms, or left where it was if it cancels, and that nothing
stays frozen once a transaction ends. It gives no isolation beyond the
reservation: the frozen amount is the business's own lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from protocols.base import Context, ParameterError, State
from protocols.spec import Catalogue, Foil, Param, ProtocolSpec
from protocols.tcc import branch, coordinator, estimate
from protocols.tcc.invariants import INVARIANTS
from protocols.tcc.scenarios import SCENARIOS
from protocols.tcc.summary import FIGURES, summarize
from protocols.tcc.table import TABLE

MAX_BRANCHES = 6
"""Seven lanes fill a projector, and every branch doubles each round's messages."""
MAX_TRANSACTIONS = 20
"""Global transactions run one after another; each branch's control table keeps a row for each."""

_WHOLE_NUMBERS: dict[str, tuple[int, int, int, str]] = {
    # name: (default, least, most, what it means)
    "branches": (2, 1, MAX_BRANCHES, "How many branch services take part (b1, b2, ...), each with its own account."),
    "transactions": (2, 1, MAX_TRANSACTIONS, "Global transactions the coordinator runs, one after another."),
    "amount": (30, 1, 1_000_000, "What each transaction reserves, then spends or releases, at every branch."),
    "balance": (100, 0, 1_000_000, "Each branch's opening balance."),
    "short_branch": (0, 0, MAX_BRANCHES, "A branch that opens with one less than the amount, so its Try fails "
                                         "(0: none)."),
    "slow_branch": (0, 0, MAX_BRANCHES, "A branch that runs each Try only slow_try_ms after it arrives (0: none)."),
    "slow_try_ms": (300, 0, 60_000, "How late the slow branch runs a Try."),
    "try_timeout_ms": (100, 1, 60_000, "How long the coordinator waits for every Try's answer before it cancels."),
    "retry_ms": (50, 1, 60_000, "How long the coordinator waits for Confirm or Cancel acknowledgements before "
                                "sending again."),
    "max_retries": (5, 0, 20, "Resends of Confirm or Cancel before the coordinator leaves the transaction to an "
                              "operator."),
}

PARAMS = (
    *(Param(name=name, kind="int", default=default, min=least, max=most, help=text)
      for name, (default, least, most, text) in _WHOLE_NUMBERS.items()),
    Param(name="control_table", kind="bool", default=True,
          help="Each branch keeps a transaction control table: a Cancel before the Try is an empty rollback, "
               "a Try after the Cancel is refused, a repeated Confirm or Cancel is only acknowledged. "
               "Off: every message is applied as it comes."),
)


def topology(params: Mapping[str, Any]) -> dict[str, str]:
    """Place the coordinator first, then b1..bN."""
    for name in ("short_branch", "slow_branch"):
        if params[name] > params["branches"]:
            raise ParameterError(f"parameter {name}: b{params[name]} is not among {params['branches']} branches")
    return {"tc": "coordinator", **{f"b{i}": "branch" for i in range(1, params["branches"] + 1)}}


def initial_state(ctx: Context) -> State:
    """Return a node's state at the start."""
    return coordinator.initial(ctx) if ctx.role == "coordinator" else branch.initial(ctx)


SPEC = ProtocolSpec(
    name="tcc", title="TCC (try / confirm / cancel)", theory=__doc__ or "",
    summary="Branches reserve in Try, then spend in Confirm or release in Cancel; without a transaction control "
            "table a Cancel before the Try, a late Try or a retried Confirm corrupts the accounts.",
    roles=("coordinator", "branch"), topology=topology, initial_state=initial_state,
    table=TABLE, params=PARAMS, invariants=INVARIANTS, scenarios=SCENARIOS,
    summarize=summarize, figures=FIGURES, estimate=estimate.events,
    # One transaction, two branches, one resend. The explorer does not duplicate messages, but it fires any
    # timer at any moment and delivers in any order: the coordinator's Try timeout fires before the Tries
    # land (Cancel before Try: empty rollback, then the Try runs: hanging), and its retry timer resends a
    # Confirm still on its way (both copies delivered: applied twice). So all three failures are found
    # without a control table; with it the search ends clean (2,360 worlds). With one crash
    # (--max-crashes 1) it finds only transactions-end: a Confirm and its one resend reach b2 while it is
    # down, and the coordinator leaves the transaction to an operator (max_retries), as Seata's TC would.
    explore_params={"branches": 2, "transactions": 1, "max_retries": 1},
    foils=(Foil(params={"control_table": False},
                breaks=("no-double-apply", "no-empty-rollback-effect", "no-hanging-reservation", "conservation")),),
    clean=({},),
)

CATALOGUE = Catalogue(chapter="Transactions", place=5, specs=(SPEC,))
"""Where this package's protocol stands in the catalogue (found by ``protocols.REGISTRY``)."""
