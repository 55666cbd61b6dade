"""Run several protocols on one workload, seed and fault plan; set their figures side by side.

The families share workload parameters and node names (the cache policies
all have clients ``c1..``, caches ``cache1..`` and ``db``), so one set of
parameters and one fault plan means the same thing to each protocol, and with
one seed every client draws the same operations. A parameter is given to
every protocol that has it; one that no protocol has is a mistake and is
refused. A named scenario is used by each protocol that has it.

A run may also be a protocol with its own scenario and parameters, so one
protocol can be set beside itself: ``service-invocation:retry_budget=0``
against ``service-invocation@retry-storm-remedied``. Written as text
``PROTOCOL[@SCENARIO][:NAME=VALUE,...]``; a run's own values win over the
shared ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from protocols.base import ParameterError
from protocols.sim.engine import Engine
from protocols.sim.runtime import DEFAULT_MAX_EVENTS
from protocols.sim.trace import build_trace
from protocols.sim.words import ENGLISH, Language, pad, width
from protocols.spec import ProtocolSpec

MAX_COMPARED = 8
"""More columns than this no longer fit a projector, nor a terminal."""


@dataclass(frozen=True, kw_only=True)
class Run:
    """One column of a comparison: a protocol, maybe a scenario, maybe its own parameters."""

    spec: ProtocolSpec
    scenario: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Name the run as it is written on the command line."""
        text = self.spec.name + (f"@{self.scenario}" if self.scenario else "")
        if self.params:
            text += ":" + ",".join(f"{k}={v}" for k, v in self.params.items())
        return text


def parse_run(text: str, lookup: Any) -> Run:
    """Read ``PROTOCOL[@SCENARIO][:NAME=VALUE,...]``; ``lookup`` finds a protocol by name."""
    head, _, tail = text.partition(":")
    name, _, scenario = head.partition("@")
    spec = lookup(name)
    params: dict[str, Any] = {}
    for pair in filter(None, tail.split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise ParameterError(f"{text}: {pair!r} is not NAME=VALUE")
        params[key.strip()] = value.strip()
    if scenario:
        spec.scenario(scenario)  # refuses an unknown one, naming the known ones
    for key in params:
        spec.param(key)
    return Run(spec=spec, scenario=scenario or None, params=params)


def split_params(runs: Sequence[Run], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return, per run, the shared parameters its protocol knows, then its own; refuse one no run knows."""
    known = [{p.name for p in run.spec.all_params()} for run in runs]
    for name in params:
        if not any(name in names for names in known):
            raise ParameterError(f"no compared protocol has a parameter {name!r}")
    return [
        {**{k: v for k, v in params.items() if k in names}, **run.params}
        for run, names in zip(runs, known, strict=True)
    ]


def compare(
    runs: Sequence[Run],
    params: Mapping[str, Any],
    *,
    seed: int = 0,
    scenario: str | None = None,
    faults: Sequence[Mapping[str, Any]] = (),
    max_events: int = DEFAULT_MAX_EVENTS,
) -> list[dict[str, Any]]:
    """Run each protocol to its end; return its trace's figures (one row per run)."""
    if not 1 <= len(runs) <= MAX_COMPARED:
        raise ParameterError(f"compare from 1 to {MAX_COMPARED} runs")
    if scenario is not None and not any(has_scenario(run.spec, scenario) for run in runs):
        raise ParameterError(f"no compared protocol has a scenario {scenario!r}")
    rows = []
    for run, own in zip(runs, split_params(runs, params), strict=True):
        chosen = run.scenario or (scenario if has_scenario(run.spec, scenario) else None)
        engine = Engine(run.spec, own, seed=seed, scenario=chosen, faults=list(faults), max_events=max_events)
        engine.run()
        trace = build_trace(engine)
        rows.append({
            "run": run.label,
            "protocol": run.spec.name,
            "scenario": trace["scenario"],
            "summary": trace["summary"],
            "violated": sorted(name for name, verdict in trace["verdicts"].items() if verdict == "violated"),
            "events": len(trace["events"]),
            "quiescent": trace["quiescent"],
        })
    return rows


def has_scenario(spec: ProtocolSpec, name: str | None) -> bool:
    """Say whether a protocol has a scenario of this name."""
    return name is not None and any(s.name == name for s in spec.scenarios)


def figure_names(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return every summary figure of the rows, in order of first appearance."""
    names: list[str] = []
    for row in rows:
        names += [name for name in row["summary"] if name not in names]
    return names


def format_value(value: Any) -> str:
    """Write one figure for a table cell: short numbers, compact JSON for the rest.

    The compare page writes figures with ``formatValue`` (static/js/compare-table.js) by the same
    rules, and static/js/tests/format-cases.json holds both to them (tests/sim/test_format_cases.py
    runs the two side by side):

    * nothing (None, or a number that is not finite) is "—"; a boolean is "yes" or "no";
    * a whole number (an int, or a float without a fraction: JSON cannot tell them apart) is its
      digits, without separators;
    * any other number of 1,000 or more once rounded to a whole number (halves away from zero) is
      that whole number with "," between thousands;
    * any other number keeps three significant digits (halves away from zero, on the exact binary
      value), written in plain decimals without trailing zeros;
    * a mapping or a list is compact JSON with sorted keys (whole floats inside written as ints);
    * anything else is its text.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, float):
        return _short(value)
    if isinstance(value, (dict, list)):
        return json.dumps(_whole(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _short(value: float) -> str:
    """Write a number with a fraction by the rules of :func:`format_value`."""
    sign = "-" if value < 0 else ""
    exact = Decimal(abs(value))
    whole = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if whole >= 1000:
        return f"{sign}{whole:,}"
    exponent = exact.adjusted()
    mantissa = exact.scaleb(-exponent).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if mantissa >= 10:  # 9.995 rounds up to the next power of ten
        mantissa, exponent = mantissa / 10, exponent + 1
    digits = "".join(str(d) for d in mantissa.as_tuple().digits)[:3].ljust(3, "0")
    point = exponent + 1  # Digits before the decimal point.
    if point <= 0:
        text = "0." + "0" * -point + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return sign + text


def _whole(value: Any) -> Any:
    """Return a figure's JSON with whole floats as ints, as a browser would write it."""
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def table(rows: Sequence[Mapping[str, Any]], lang: Language = ENGLISH) -> str:
    """Return the rows as a plain-text table: one column per protocol, one line per figure.

    In English a figure is named by its identifier; another language names it by its label
    (``lang.label("figure.<name>")``), and says yes, no and the row headings in its own words.
    """
    header = [lang.gettext("figure"), *(row["run"] for row in rows)]
    lines = [[lang.label(f"figure.{name}", name), *(_cell(row["summary"].get(name), lang) for row in rows)]
             for name in figure_names(rows)]
    lines.append([lang.gettext("violated"), *(", ".join(row["violated"]) or lang.gettext("none") for row in rows)])
    lines.append([lang.gettext("events"), *(str(row["events"]) for row in rows)])
    widths = [max(width(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = [_line(header, widths), _line(["-" * w for w in widths], widths)]
    out += [_line(line, widths) for line in lines]
    return "\n".join(out) + "\n"


def _cell(value: Any, lang: Language) -> str:
    if isinstance(value, bool):  # format_value's "yes" and "no", in the reader's words
        return lang.gettext("yes") if value else lang.gettext("no")
    return format_value(value)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(pad(cell, columns) for cell, columns in zip(cells, widths, strict=True)).rstrip()
