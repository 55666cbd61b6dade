"""Each named service-mesh scenario ends as its description promises.

The acceptance test follows ``sidecar-policy-change``: every sidecar's
policy version moves from 1 to 2 after the push, and the behaviour changes
with it (the failing provider stops receiving calls once the new policy's
breakers open). The rest: six hops per call, the family's storm and remedy,
the breaker and idempotency stories through sidecars; every trace
schema-valid and reproducible.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocols.mesh import SPEC
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from tests.helpers import assert_valid_trace, run_manage

SEEDS = range(6)
SCENARIOS = [s.name for s in SPEC.scenarios]
SIDECARS = ("u1-sidecar", "u2-sidecar", "p1-sidecar", "p2-sidecar", "p3-sidecar")


def run(scenario: str | None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Run to the end; return the trace (the run must come to rest by itself)."""
    engine = Engine(SPEC, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated, f"{scenario} seed={seed} did not come to rest"
    return build_trace(engine)


def sends(trace: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == "send" and all(e.get(k) == v for k, v in fields.items())]


def delivered_calls(trace: dict[str, Any], node: str, start: int, end: int) -> int:
    return sum(1 for e in trace["events"] if e["kind"] == "deliver" and e["node"] == node
               and e["message"]["type"] == "call" and start <= e["time"] < end)


def version_changes(trace: dict[str, Any], node: str) -> list[tuple[int, int]]:
    """Return (time, version) each time ``node``'s policy version changed."""
    seen: list[tuple[int, int]] = []
    for e in trace["events"]:
        if e["kind"] == "state" and e["node"] == node:
            version = e["state"]["version"]
            if not seen or seen[-1][1] != version:
                seen.append((e["time"], version))
    return seen


def test_every_scenario_is_tested_here() -> None:
    assert set(SCENARIOS) == {"steady", "sidecar-policy-change", "retry-storm", "retry-storm-remedied",
                              "breaker-trip-and-recover", "idempotent-retry"}


@pytest.mark.parametrize("scenario", [None, *SCENARIOS])
def test_every_trace_is_valid_deterministic_safe_and_converged(scenario: str | None) -> None:
    trace = run(scenario, seed=5)
    assert_valid_trace(trace)
    assert dumps(trace) == dumps(run(scenario, seed=5)), "same seed, same bytes"
    summary = trace["summary"]
    assert summary["successes"] + summary["failures"] == summary["calls"]
    assert {"amplification", "breaker_transitions", "executions_duplicated", "policy_versions"} <= set(summary)
    for name in ("breaker-discipline", "retry-budget", "calls-finish", "policy-converges"):
        assert trace["verdicts"][name] == "holds", name
    assert len(trace["events"]) < 5_000


def test_the_topology_puts_each_sidecar_beside_its_service() -> None:
    roles = SPEC.topology(SPEC.resolve_params({"consumers": 2, "providers": 2}))
    assert list(roles) == ["control", "u1", "u1-sidecar", "u2", "u2-sidecar", "p1-sidecar", "p1", "p2-sidecar", "p2"]


def test_a_call_crosses_six_hops_and_the_apps_talk_only_to_their_sidecars() -> None:
    trace = run("steady")
    hops = [(e["src"], e["dst"]) for e in trace["events"] if e["kind"] == "send"
            and e["message"]["body"].get("call") == "u1-1"]
    assert len(hops) == 6
    assert hops[0] == ("u1", "u1-sidecar") and hops[-1] == ("u1-sidecar", "u1")
    provider = hops[2][1]
    assert hops[1:5] == [("u1-sidecar", f"{provider}-sidecar"), (f"{provider}-sidecar", provider),
                         (provider, f"{provider}-sidecar"), (f"{provider}-sidecar", "u1-sidecar")]
    for e in sends(trace):
        if e["src"] in ("u1", "u2", "p1", "p2", "p3"):
            assert e["dst"] == f"{e['src']}-sidecar", f"an app talked past its sidecar: {e['src']} -> {e['dst']}"
    invocation = run_invocation_steady()
    assert trace["summary"]["latency_p50"] > invocation["latency_p50"], "the extra hops cost time"


def run_invocation_steady() -> dict[str, Any]:
    from protocols.invocation import SPEC as INVOCATION

    engine = Engine(INVOCATION, {}, seed=0, scenario="steady")
    engine.run()
    return build_trace(engine)["summary"]


def test_calls_wait_at_the_sidecar_until_its_first_policy_arrives() -> None:
    faults = [{"action": "drop", "after": {"kind": "send", "dst": "u1-sidecar", "message.type": "policy"}}]
    engine = Engine(SPEC, {}, seed=0, scenario="steady", faults=faults)
    engine.run()
    trace = build_trace(engine)
    held = [e for e in trace["events"] if e["kind"] == "state" and e["node"] == "u1-sidecar" and e["state"]["held"]]
    assert held, "u1's first call reached its sidecar before the (re-sent) policy and was held"
    first_attempt = next(e for e in sends(trace, src="u1-sidecar") if e["message"]["type"] == "call")
    adopted = version_changes(trace, "u1-sidecar")[1][0]
    assert first_attempt["time"] >= adopted
    assert trace["summary"]["successes"] == trace["summary"]["calls"]


# ------------------------------------------------------------ policy change


@pytest.mark.parametrize("seed", SEEDS)
def test_the_policy_change_reaches_every_sidecar_and_changes_what_they_do(seed: int) -> None:
    params = SPEC.resolve_params({}, "sidecar-policy-change")
    at = params["policy_change_at_ms"]
    trace = run("sidecar-policy-change", seed)
    for sidecar in SIDECARS:
        changes = version_changes(trace, sidecar)
        assert [v for _, v in changes] == [0, 1, 2], (sidecar, changes)
        assert changes[2][0] >= at, "version 2 arrives after the push, not before"
        assert trace["final"][sidecar]["state"]["version"] == 2
        assert [r["version"] for r in trace["final"][sidecar]["durable"]] == [1, 2], "each version is in its log"
    assert trace["final"]["control"]["state"] == {"phase": "steady", "version": 2, "resends": 0,
                                                  "acked": {sc: 2 for sc in SIDECARS}}
    for sidecar in ("u1-sidecar", "u2-sidecar"):
        before = [e for e in trace["events"] if e["kind"] == "state" and e["node"] == sidecar and e["time"] < at]
        assert all(e["state"]["breakers"] == {} for e in before), "version 1 has no breakers"
        final = trace["final"][sidecar]["state"]
        assert final["policy"]["breaker"] and final["policy"]["cooldown_ms"] == 300
        assert final["breakers"]["p1-sidecar"]["opened"] >= 1, "the new breakers trip on the failing p1"
    # Behaviour: before the change p1 gets a share of the calls; after the breakers opened, only trials.
    before = delivered_calls(trace, "p1", 100, at)
    after = delivered_calls(trace, "p1", at + 200, 10**9)
    assert before >= 10 and after <= 4, (before, after)


def test_without_the_change_the_failing_provider_keeps_getting_calls() -> None:
    trace = run("sidecar-policy-change", policy_change_at_ms=0)
    params = SPEC.resolve_params({}, "sidecar-policy-change")
    at = params["policy_change_at_ms"]
    assert delivered_calls(trace, "p1", at + 200, 10**9) >= 10
    assert trace["summary"]["policy_versions"] == {sc: 1 for sc in SIDECARS}
    changed = run("sidecar-policy-change")
    assert changed["summary"]["retries"] < 0.8 * trace["summary"]["retries"], "open breakers cut the retries"


def test_a_lost_policy_is_resent_until_acknowledged() -> None:
    faults = [{"action": "drop", "after": {"kind": "send", "src": "control", "dst": "p2-sidecar",
                                           "message.type": "policy"}}]
    engine = Engine(SPEC, {}, seed=1, scenario="steady", faults=faults)
    engine.run()
    trace = build_trace(engine)
    pushes = sends(trace, src="control", dst="p2-sidecar")
    assert len(pushes) == 2 and trace["final"]["p2-sidecar"]["state"]["version"] == 1
    assert trace["verdicts"]["policy-converges"] == "holds"


def test_a_sidecar_the_control_plane_never_reaches_is_flagged_at_the_end() -> None:
    faults = [{"action": "partition", "groups": [["control"], ["u1", "u1-sidecar", "u2", "u2-sidecar", "p1-sidecar",
                                                               "p1", "p2-sidecar", "p2", "p3-sidecar", "p3"]],
               "at_ms": 0},
              {"action": "heal", "at_ms": 2000}]
    engine = Engine(SPEC, {"calls_per_consumer": 1}, seed=0, faults=faults)
    engine.run()
    trace = build_trace(engine)
    assert trace["verdicts"]["policy-converges"] == "violated"
    assert trace["summary"]["policy_versions"] == {sc: 0 for sc in SIDECARS}
    assert trace["summary"]["failures"] == 2, "held calls are given up at the apps' deadline"


# ------------------------------------------------------- the family's stories


@pytest.mark.parametrize("seed", SEEDS)
def test_the_storm_and_its_remedy_through_sidecars(seed: int) -> None:
    storm = run("retry-storm", seed)["summary"]
    remedied = run("retry-storm-remedied", seed)["summary"]
    assert storm["amplification"] > 2 and remedied["amplification"] <= 1.2, (storm, remedied)


def test_breakers_in_the_sidecars_trip_and_recover() -> None:
    trace = run("breaker-trip-and-recover")
    for sidecar in ("u1-sidecar", "u2-sidecar"):
        b = trace["final"][sidecar]["state"]["breakers"]["p1-sidecar"]
        assert b["state"] == "closed" and b["opened"] >= 1 and b["half_opened"] >= 1 and b["closed"] >= 1


@pytest.mark.parametrize(("idempotency", "executions"), [(True, 1), (False, 2)])
def test_an_idempotent_retry_through_sidecars(idempotency: bool, executions: int) -> None:
    trace = run("idempotent-retry", idempotency=idempotency)
    done = [e for e in trace["events"] if e["kind"] == "persist" and e["record"].get("call") == "u1-1"
            and e["record"]["type"] == "executed"]
    assert len(done) == executions
    assert trace["verdicts"]["at-most-once"] == ("holds" if idempotency else "violated")


def test_the_command_line_runs_the_policy_change() -> None:
    done = run_manage("simulate", "service-mesh", "--scenario", "sidecar-policy-change", "--format", "text")
    assert done.returncode == 0, done.stderr
    assert "policy_ack" in done.stdout.lower() or "POLICY" in done.stdout


def test_a_bad_policy_change_is_refused() -> None:
    done = run_manage("simulate", "service-mesh", "--param", "policy_change=breaker=maybe")
    assert done.returncode != 0 and "policy_change" in done.stderr
