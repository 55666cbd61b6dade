"""Traces: a run written down, and a written run brought back to life.

A trace carries what produced it (protocol, parameters, seed, scenario,
fault plan, chaos rate, the command list) and what happened (the event log,
every node's final state, violations, verdicts, summary figures). Because
the engine is deterministic, :func:`replay` re-runs the commands on a fresh
engine and must obtain the very same events; a trace whose events do not
follow from its inputs is refused. The format is documented in
``docs/trace-format.md`` and ``docs/trace.schema.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from protocols.base import ParameterError, ProtocolError
from protocols.sim.commands import CommandError
from protocols.sim.engine import Engine
from protocols.spec import ProtocolSpec

TRACE_VERSION = 2
"""2: a violation carries its finding as data (``finding``: ``{id, data}``) instead of English ``text``."""


def build_trace(engine: Engine, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return the JSON-ready trace of a run so far (``events`` where the engine keeps no log)."""
    log = engine.log if events is None else events
    trace: dict[str, Any] = {
        "version": TRACE_VERSION,
        "protocol": engine.spec.name,
        "params": dict(engine.params),
        "seed": engine.seed,
        "scenario": engine.scenario,
        "faults": engine.faults,
        "chaos": engine.chaos,
        "max_events": engine.max_events,
        "commands": list(engine.commands),
        "events": log,
        "final": {
            node: {
                "role": rt.ctx.role,
                "up": rt.up,
                "paused": rt.paused,
                "state": dict(rt.state),
                "durable": [dict(r) for r in rt.durable],
            }
            for node, rt in engine.nodes.items()
        },
        "violations": [e for e in log if e["kind"] == "violation"],
        "verdicts": engine.checker.verdicts(),
        "quiescent": engine.quiescent,
        "truncated": engine.truncated,
    }
    trace["summary"] = engine.spec.summarize(trace)
    return trace


def dumps(trace: Mapping[str, Any]) -> str:
    """Serialize a trace canonically: same trace, same bytes."""
    return json.dumps(trace, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def engine_for(spec: ProtocolSpec, trace: Mapping[str, Any]) -> Engine:
    """Build a fresh engine with a trace's inputs (before any command)."""
    try:
        return Engine(
            spec,
            trace["params"],
            seed=trace["seed"],
            scenario=trace.get("scenario"),
            faults=trace.get("faults", []),
            scenario_faults=False,  # The trace's plan already holds the scenario's faults.
            chaos=trace.get("chaos", 0.0),
            max_events=trace.get("max_events", len(trace.get("events", [])) + 1),
        )
    except (KeyError, TypeError) as exc:
        raise ParameterError(f"malformed trace: missing or wrong field {exc}") from None


def replay(spec: ProtocolSpec, trace: Mapping[str, Any], check: bool = True) -> Engine:
    """Re-run a trace's commands; with ``check``, insist the events come out the same."""
    if not isinstance(trace, Mapping) or not isinstance(trace.get("commands"), list):
        raise ParameterError("malformed trace: it needs a 'commands' list")
    engine = engine_for(spec, trace)
    for index, command in enumerate(trace["commands"]):
        try:
            engine.apply(command)
        except CommandError as exc:
            raise ParameterError(f"malformed trace: command {index + 1} ({command!r}) is refused: {exc}") from None
        except ProtocolError as exc:
            raise ParameterError(f"the protocol fails at command {index + 1} ({command!r}): {exc}") from None
    if check and "events" in trace:
        _compare(engine.log, trace["events"])
    return engine


def _compare(got: list[dict[str, Any]], want: Any) -> None:
    if not isinstance(want, list):
        raise ParameterError("malformed trace: 'events' must be a list")
    for index, (mine, theirs) in enumerate(zip(got, want, strict=False)):
        if mine != theirs:
            raise ParameterError(
                f"trace does not replay: event {index + 1} is {json.dumps(theirs, sort_keys=True)[:200]} "
                f"in the file but {json.dumps(mine, sort_keys=True)[:200]} when re-run"
            )
    if len(got) != len(want):
        raise ParameterError(f"trace does not replay: the file has {len(want)} events, the re-run {len(got)}")
