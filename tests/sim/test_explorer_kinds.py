"""Kinds of findings (safety, liveness, illustrative) and the fairness rule liveness is judged under.

"Clean" means no safety violation, no liveness failure and no protocol
exception; a finding the lesson expects (two believers of a lease) is
reported apart as illustrative. Liveness is judged only at the end of a fair
schedule: one in which no timer fired while a message was on its way
(docs/architecture.md, "Exploring").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from protocols import REGISTRY
from protocols.base import CancelTimer, Context, Send, SetTimer, State, Transition, TransitionTable
from protocols.sim.explorer import explore
from protocols.spec import Finding, Invariant, NodeView, ProtocolSpec
from tests.helpers import run_manage


def test_counter_bft_no_longer_blames_the_replicas_for_a_retry_that_fired_too_early() -> None:
    # Issue 14: the client's 10,000 ms retry timer fired before any acknowledgement arrived and
    # the search called the unfinished read a liveness failure.
    report = explore(REGISTRY["counter-bft"])
    assert report.complete
    assert "reads-decide" not in {c.name for c in report.counterexamples}
    assert report.clean


def test_two_believers_of_a_lease_are_illustrative_and_leave_the_configuration_clean() -> None:
    report = explore(REGISTRY["lock-lease"], max_states=20_000)
    [believers] = [c for c in report.counterexamples if c.name == "one-believer-at-a-time"]
    assert believers.category == "illustrative"
    assert report.found("illustrative") == [believers]
    assert report.clean
    assert report.to_json()["clean"] is True


def test_a_safety_violation_makes_a_configuration_unclean() -> None:
    report = explore(REGISTRY["two-phase-commit"], {"variant": "majority-commit"}, max_states=3_000)
    assert {c.category for c in report.counterexamples} == {"safety"}
    assert not report.clean
    assert all(entry["category"] == "safety" for entry in report.to_json()["counterexamples"])


# ----------------------------------------------------------- fairness


def _racer_spec(*, answered: bool) -> ProtocolSpec:
    """A client asks a server and sets a timer; a reply that arrives first finishes it.

    With ``answered`` the server replies; the timer firing first is an unfair schedule
    (a message was on its way), and gives up: liveness must not be judged there. Without,
    nobody replies; the timer fires with nothing in flight, and the client that gave up
    is a fair liveness failure.
    """

    def ask(ctx: Context, state: State, event: Any, now: int) -> tuple[State, list[Any]]:
        return state, [Send(dest="server", type="ask"), SetTimer(name="retry", delay_ms=10_000)]

    def reply(ctx: Context, state: State, event: Any, now: int) -> tuple[State, list[Any]]:
        return state, [Send(dest="client", type="ask_ok")] if answered else []

    def phase(to: str) -> Any:
        return lambda ctx, state, event, now: ({**state, "phase": to}, [CancelTimer(name="retry")])

    rows = [
        Transition(role="client", phase="idle", on="start", to=("idle",), handler=ask),
        Transition(role="client", phase="idle", on="msg:ask_ok", to=("done",), handler=phase("done")),
        Transition(role="client", phase="idle", on="timer:retry", to=("gave-up",), handler=phase("gave-up")),
        Transition(role="client", phase="gave-up", on="msg:ask_ok", to=("gave-up",)),
        Transition(role="server", phase="idle", on="start", to=("idle",)),
        Transition(role="server", phase="idle", on="msg:ask", to=("idle",), handler=reply),
    ]

    def finishes(views: dict[str, NodeView]) -> list[Finding]:
        done = views["client"].state.get("phase") == "done"
        return [] if done else [Finding(nodes=("client",), id="no-answer")]

    return ProtocolSpec(
        name="racer", title="Racer", summary="", theory="", roles=("client", "server"), params=(),
        table=TransitionTable(rows), topology=lambda params: {"client": "client", "server": "server"},
        initial_state=lambda ctx: {"phase": "idle"},
        invariants=(Invariant(name="finishes", kind="liveness", description="", check=finishes,
                              findings={"no-answer": "the client never got its answer"}),),
        scenarios=(), summarize=lambda trace: {},
    )


def test_a_timer_that_beats_a_message_on_its_way_is_not_a_liveness_failure() -> None:
    report = explore(_racer_spec(answered=True))
    assert report.complete
    assert report.counterexamples == []
    assert report.clean


def test_a_timer_that_fires_with_nothing_on_its_way_is_judged() -> None:
    report = explore(_racer_spec(answered=False))
    [stuck] = report.counterexamples
    assert (stuck.name, stuck.category) == ("finishes", "liveness")
    assert [c["cmd"] for c in stuck.commands] == ["deliver", "fire", "step"]
    assert not report.clean


# ----------------------------------------------------------- command line


def test_the_command_line_reports_findings_apart(tmp_path: Path) -> None:
    done = run_manage("explore", "lock-lease", "--max-states", "20000", "--save-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "illustrative" in done.stdout
    assert "clean" in done.stdout.lower()
    as_json = run_manage("explore", "lock-lease", "--json", "--max-states", "20000", "--save-dir", str(tmp_path))
    report: dict[str, Any] = json.loads(as_json.stdout)
    assert report["clean"] is True
    assert {c["category"] for c in report["counterexamples"]} == {"illustrative"}
