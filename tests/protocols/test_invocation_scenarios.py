"""Each named service-invocation scenario ends as its description promises.

Runs are deterministic: a scenario and a seed fix the whole log. The retry
storm and its remedy are compared on the same seeds; the breaker's moves
are followed in the log; the idempotent retry is run with keys and without.
Every trace must be schema-valid, reproducible byte for byte, and carry the
family's summary figures.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from protocols import get_protocol
from protocols.invocation import SPEC
from protocols.sim.engine import Engine
from protocols.sim.trace import build_trace, dumps
from tests.helpers import ROOT, assert_valid_trace, run_manage, words

SEEDS = range(8)
SCENARIOS = [s.name for s in SPEC.scenarios]
FIGURES = {"calls", "successes", "failures", "retries", "latency_p50", "latency_p99", "detection_time",
           "stale_discoveries", "false_evictions", "breaker_transitions", "amplification", "executions_duplicated"}


def run(scenario: str | None, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Run to the end; return the trace (the run must come to rest by itself)."""
    engine = Engine(SPEC, params, seed=seed, scenario=scenario)
    engine.run()
    assert engine.quiescent and not engine.truncated, f"{scenario} seed={seed} did not come to rest"
    return build_trace(engine)


def states(trace: dict[str, Any], node: str) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == "state" and e["node"] == node]


def breaker_moves(trace: dict[str, Any], node: str, endpoint: str) -> list[tuple[str, int]]:
    """Return (state, since) each time ``node``'s breaker for ``endpoint`` changed state."""
    moves: list[tuple[str, int]] = []
    for event in states(trace, node):
        b = event["state"].get("breakers", {}).get(endpoint)
        if b and (not moves or moves[-1][0] != b["state"]):
            moves.append((b["state"], b["since"]))
    return moves


def test_every_scenario_is_tested_here() -> None:
    assert set(SCENARIOS) == {"steady", "retry-storm", "retry-storm-remedied", "breaker-trip-and-recover",
                              "provider-crash", "idempotent-retry"}


@pytest.mark.parametrize("scenario", [None, *SCENARIOS])
def test_every_trace_is_valid_deterministic_safe_and_summarized(scenario: str | None) -> None:
    trace = run(scenario, seed=3)
    assert_valid_trace(trace)
    assert dumps(trace) == dumps(run(scenario, seed=3)), "same seed, same bytes"
    assert set(trace["summary"]) >= FIGURES
    summary = trace["summary"]
    assert summary["detection_time"] is None and summary["stale_discoveries"] == summary["false_evictions"] == 0
    assert summary["successes"] + summary["failures"] == summary["calls"], "every call ended"
    assert trace["verdicts"]["breaker-discipline"] == trace["verdicts"]["retry-budget"] == "holds"
    assert trace["verdicts"]["calls-finish"] == "holds"
    assert len(trace["events"]) < 5_000, "a lesson's run stays small"


def test_different_seeds_give_different_runs() -> None:
    assert dumps(run("retry-storm", seed=1)) != dumps(run("retry-storm", seed=2))


def test_steady_calls_all_succeed_first_time_round_robin() -> None:
    trace = run("steady")
    summary = trace["summary"]
    assert (summary["successes"], summary["retries"], summary["amplification"]) == (20, 0, 1.0)
    targets = [e["dst"] for e in trace["events"] if e["kind"] == "send" and e["src"] == "u1"]
    assert targets[:6] == ["p1", "p2", "p3", "p1", "p2", "p3"]


# ------------------------------------------------------------ retry storm


@pytest.mark.parametrize("seed", SEEDS)
def test_the_storm_multiplies_the_load_and_the_remedy_contains_it_on_the_same_seed(seed: int) -> None:
    storm = run("retry-storm", seed)["summary"]
    remedied = run("retry-storm-remedied", seed)["summary"]
    assert storm["calls"] == remedied["calls"] == 30
    assert storm["amplification"] > 2, storm
    assert remedied["amplification"] <= 1.2, remedied
    assert remedied["successes"] > storm["successes"], "fewer retries, more successes"
    assert remedied["max_queue"] < storm["max_queue"]
    assert storm["breaker_transitions"] == 0


def test_in_the_storm_the_provider_works_on_attempts_nobody_waits_for() -> None:
    trace = run("retry-storm")
    late = sum(e["state"]["metrics"]["late"] for n in ("u1", "u2") for e in states(trace, n)[-1:])
    assert late > 10, "replies arrive for attempts the consumers had already given up"
    attempts = [e["message"]["body"]["attempt"] for e in trace["events"]
                if e["kind"] == "send" and e["message"]["type"] == "call"]
    assert max(attempts) == 4


def test_the_remedy_never_retries_beyond_its_budget() -> None:
    trace = run("retry-storm-remedied")
    for node in ("u1", "u2"):
        for event in states(trace, node):
            window = event["state"]["window"]
            assert len(window["retries"]) <= 0.2 * len(window["calls"]) + 1e-9


# ------------------------------------------------------------ breakers


@pytest.mark.parametrize("seed", SEEDS)
def test_the_breaker_trips_waits_its_cool_down_and_closes_once_the_provider_heals(seed: int) -> None:
    params = SPEC.resolve_params({}, "breaker-trip-and-recover")
    trace = run("breaker-trip-and-recover", seed)
    for node in ("u1", "u2"):
        moves = breaker_moves(trace, node, "p1")
        kinds = [m[0] for m in moves]
        assert kinds[:3] == ["closed", "open", "half-open"], moves
        assert kinds[-1] == "closed", moves
        for (was, since), (now, at) in itertools.pairwise(moves):
            if (was, now) == ("open", "half-open"):
                assert at - since >= params["cooldown_ms"]
        closed_at = next(at for state, at in moves[1:] if state == "closed")
        assert closed_at >= params["fail_until_ms"], "it closes only once p1 has healed"
    assert trace["summary"]["breaker_transitions"] >= 6


def test_while_the_breaker_is_open_the_balancer_routes_around_the_provider() -> None:
    trace = run("breaker-trip-and-recover")
    moves = breaker_moves(trace, "u1", "p1")
    opened, half = moves[1][1], moves[2][1]
    to_p1 = [e for e in trace["events"] if e["kind"] == "send" and e["src"] == "u1" and e["dst"] == "p1"
             and opened < e["time"] < half]
    assert to_p1 == []
    others = [e for e in trace["events"] if e["kind"] == "send" and e["src"] == "u1" and opened < e["time"] < half]
    assert others, "u1 kept calling, elsewhere"


def test_a_crashed_provider_is_routed_around_and_every_call_still_succeeds() -> None:
    trace = run("provider-crash")
    summary = trace["summary"]
    assert summary["successes"] == summary["calls"] == 50
    for node in ("u1", "u2"):
        moves = breaker_moves(trace, node, "p2")
        assert [m[0] for m in moves][:2] == ["closed", "open"]
        opened = moves[1][1]
        after = [e for e in trace["events"] if e["kind"] == "send" and e["src"] == node and e["dst"] == "p2"
                 and e["time"] > opened]
        half_opens = sum(1 for m in moves if m[0] == "half-open")
        assert len(after) <= half_opens, "after opening, only trial calls go to the crashed provider"
    drops = [e for e in trace["events"] if e["kind"] == "drop" and e["dst"] == "p2"]
    assert drops and all(e["reason"] == "node down" for e in drops)


def test_without_a_breaker_calls_to_a_crashed_provider_keep_timing_out() -> None:
    with_breaker = run("provider-crash")["summary"]
    without = run("provider-crash", breaker=False)["summary"]
    assert without["retries"] > with_breaker["retries"]
    assert without["latency_p99"] > with_breaker["latency_p99"] or without["retries"] > 2 * with_breaker["retries"]


# ---------------------------------------------------------- idempotency


def executions(trace: dict[str, Any], call: str) -> list[dict[str, Any]]:
    return [e for e in trace["events"] if e["kind"] == "persist" and e["record"].get("type") == "executed"
            and e["record"]["call"] == call]


@pytest.mark.parametrize("seed", SEEDS)
def test_an_idempotent_retry_takes_effect_once(seed: int) -> None:
    trace = run("idempotent-retry", seed)
    assert len(executions(trace, "u1-1")) == 1
    replies = [e["message"]["body"] for e in trace["events"] if e["kind"] == "send" and e["src"] == "p1"
               and e["message"]["body"]["call"] == "u1-1"]
    assert [r["deduped"] for r in replies] == [False, True]
    assert replies[0]["result"] == replies[1]["result"], "the retry gets the stored result"
    assert trace["verdicts"]["at-most-once"] == "holds"
    assert trace["summary"]["executions_duplicated"] == 0 and trace["summary"]["successes"] == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_without_idempotency_the_retry_takes_effect_twice_and_is_flagged(seed: int) -> None:
    trace = run("idempotent-retry", seed, idempotency=False)
    twice = executions(trace, "u1-1")
    assert len(twice) == 2
    assert trace["verdicts"]["at-most-once"] == "violated"
    [violation] = [v for v in trace["violations"] if v["invariant"] == "at-most-once"]
    assert violation["cause_seq"] == twice[1]["seq"], "the finding points at the second execution"
    assert violation["nodes"] == ["p1"] and "no idempotency key" in words(violation)
    assert trace["summary"]["executions_duplicated"] == 1


def test_keys_are_kept_per_provider_so_a_retry_elsewhere_runs_again() -> None:
    """With two providers the retry lands on p2, which never saw the key: flagged, even with keys on."""
    trace = run("idempotent-retry", providers=2)
    assert {e["node"] for e in executions(trace, "u1-1")} == {"p1", "p2"}
    [violation] = [v for v in trace["violations"] if v["invariant"] == "at-most-once"]
    assert "each provider keeps only the keys it executed itself" in words(violation)


def test_a_crashed_provider_remembers_its_keys() -> None:
    faults = [{"action": "crash", "node": "p1", "after": {"kind": "drop", "src": "p1"}},
              {"action": "recover", "node": "p1", "after": {"kind": "crash", "node": "p1"}, "delay_ms": 1}]
    engine = Engine(SPEC, {}, seed=0, scenario="idempotent-retry", faults=faults)
    engine.run()
    trace = build_trace(engine)
    assert len(executions(trace, "u1-1")) == 1 and trace["verdicts"]["at-most-once"] == "holds"


# ------------------------------------------------------------------ CLI


def test_the_command_line_runs_a_scenario() -> None:
    done = run_manage("simulate", "service-invocation", "--scenario", "retry-storm", "--seed", "7", "--format", "json")
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)
    assert trace["quiescent"] and trace["summary"]["amplification"] > 2


def test_the_command_line_refuses_an_unknown_provider() -> None:
    done = run_manage("simulate", "service-invocation", "--param", "slow_provider=p9", "--param", "providers=2")
    assert done.returncode != 0 and "slow_provider" in done.stderr


# -------------------------------------------------------- browser fixtures

FIXTURES = ROOT / "static" / "js" / "tests" / "fixtures"


@pytest.mark.parametrize("protocol", ["service-invocation", "service-mesh"])
def test_the_browser_tests_fixtures_are_what_the_engine_produces(protocol: str) -> None:
    """static/js/tests/invocation.test.js reads these traces; regenerate them with
    ``manage.py simulate PROTOCOL --scenario idempotent-retry --seed 0 --format json > FILE``."""
    name = {"service-invocation": "invocation", "service-mesh": "mesh"}[protocol]
    engine = Engine(get_protocol(protocol), {}, seed=0, scenario="idempotent-retry")
    engine.run()
    saved = (FIXTURES / f"{name}-idempotent-retry.json").read_text(encoding="utf-8")
    assert dumps(build_trace(engine)) == saved, "the fixture is stale: regenerate it (see the docstring)"
