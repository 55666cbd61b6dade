"""``manage.py simulate``: run a protocol headless and print its trace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from dashboard.language import LANGUAGES, language
from dashboard.management.base import LabCommand, check_budget, parse_params
from protocols import get_protocol
from protocols.base import ParameterError
from protocols.sim.engine import Engine
from protocols.sim.export import FORMATS, render
from protocols.sim.runtime import DEFAULT_MAX_EVENTS
from protocols.sim.trace import build_trace, replay
from protocols.spec import ProtocolSpec


class Command(LabCommand):
    help = "Run a protocol in the deterministic simulator and print the trace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("protocol", nargs="?", help="Protocol name (see `manage.py protocols`).")
        parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="Set a parameter.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the network's generator.")
        parser.add_argument("--scenario", help="A named scenario of the protocol.")
        parser.add_argument("--chaos", type=float, default=0.0, metavar="RATE",
                            help="Chance per step of a random fault (0 to 1).")
        parser.add_argument("--max-events", type=int, default=DEFAULT_MAX_EVENTS, help="Stop after N events.")
        parser.add_argument("--format", choices=FORMATS, default="text", help="Output format.")
        parser.add_argument("--replay", metavar="FILE", help="Re-run a saved JSON trace step by step.")
        parser.add_argument("--lang", choices=LANGUAGES, default="en",
                            help="Language of the text, ShiViz and Mermaid formats' words (English by default).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["replay"]:
            spec, trace = self._replayed(options)
        else:
            if not options["protocol"]:
                raise ParameterError("name a protocol, or give --replay FILE")
            spec = get_protocol(options["protocol"])
            params = parse_params(options["param"])
            check_budget(spec, params, options["scenario"], options["max_events"])
            engine = Engine(spec, params, seed=options["seed"],
                            scenario=options["scenario"], chaos=options["chaos"],
                            max_events=options["max_events"])
            engine.run()
            trace = build_trace(engine)
        self.stdout.write(render(trace, options["format"], spec, language(options["lang"])), ending="")

    def _replayed(self, options: dict[str, Any]) -> tuple[ProtocolSpec, dict[str, Any]]:
        path = Path(options["replay"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ParameterError(f"cannot read {path}: {exc.strerror}") from None
        except RecursionError:
            raise ParameterError(f"malformed trace {path}: nested too deeply to be a trace") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ParameterError(f"malformed trace {path}: not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("protocol"), str):
            raise ParameterError(f"malformed trace {path}: it needs a 'protocol' name")
        if options["protocol"] and options["protocol"] != data["protocol"]:
            raise ParameterError(f"{path} is a trace of {data['protocol']}, not {options['protocol']}")
        spec = get_protocol(data["protocol"])
        return spec, build_trace(replay(spec, data))
