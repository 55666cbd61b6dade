"""``manage.py compare``: run several protocols on one workload and print their figures side by side."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from dashboard.language import LANGUAGES, language
from dashboard.management.base import LabCommand, check_budget, parse_params
from protocols import get_protocol
from protocols.base import ParameterError
from protocols.sim.compare import compare, has_scenario, parse_run, split_params, table
from protocols.sim.runtime import DEFAULT_MAX_EVENTS


class Command(LabCommand):
    help = "Run several protocols on the same workload, seed and fault plan; print their summary figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("runs", nargs="+", metavar="PROTOCOL[@SCENARIO][:NAME=VALUE,...]",
                            help="Protocols to compare, each maybe with its own scenario and parameters.")
        parser.add_argument("--param", action="append", metavar="NAME=VALUE",
                            help="Set a parameter for every protocol that has it.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the network's generator.")
        parser.add_argument("--scenario", help="A scenario, used by each protocol that has one of that name.")
        parser.add_argument("--faults", metavar="JSON", default="[]",
                            help="A fault plan for every run, as JSON: a list of faults (docs/trace-format.md).")
        parser.add_argument("--max-events", type=int, default=DEFAULT_MAX_EVENTS, help="Stop each run after N events.")
        parser.add_argument("--format", choices=("table", "json"), default="table", help="Output format.")
        parser.add_argument("--lang", choices=LANGUAGES, default="en",
                            help="Language of the table's words and figure names (English by default).")

    def handle(self, *args: Any, **options: Any) -> None:
        runs = [parse_run(text, get_protocol) for text in options["runs"]]
        try:
            faults = json.loads(options["faults"])
        except json.JSONDecodeError as exc:
            raise ParameterError(f"--faults is not JSON: {exc}") from None
        if not isinstance(faults, list):
            raise ParameterError("--faults must be a JSON list of faults")
        shared = parse_params(options["param"])
        for run, own in zip(runs, split_params(runs, shared), strict=True):
            chosen = run.scenario or (options["scenario"] if has_scenario(run.spec, options["scenario"]) else None)
            check_budget(run.spec, own, chosen, options["max_events"])
        rows = compare(runs, shared, seed=options["seed"],
                       scenario=options["scenario"], faults=faults, max_events=options["max_events"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, sort_keys=True, indent=1, ensure_ascii=False))
        else:
            self.stdout.write(table(rows, language(options["lang"])), ending="")
