"""``manage.py explore``: try every delivery order of a small configuration and report what breaks."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser

from dashboard.management.base import LabCommand, parse_params
from protocols import REGISTRY, get_protocol
from protocols.base import ParameterError
from protocols.sim import explore_table
from protocols.sim.explorer import (
    DEFAULT_MAX_CRASHES,
    DEFAULT_MAX_DROPS,
    DEFAULT_MAX_STATES,
    Report,
    counterexample_trace,
    explore,
)
from protocols.sim.trace import dumps
from protocols.spec import ProtocolSpec


class Command(LabCommand):
    help = "Search every delivery order (and a few faults) of a protocol; save each counterexample as a trace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("protocol", nargs="?", help="Protocol name (see `manage.py protocols`).")
        parser.add_argument("--all", action="store_true",
                            help="Search every protocol's small model and its foils; print one row each.")
        parser.add_argument("--markdown", action="store_true",
                            help="With --all: print the table docs/protocols.md ends with.")
        parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="Set a parameter.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the network's generator.")
        parser.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES, metavar="N",
                            help=f"Stop after N distinct states (default {DEFAULT_MAX_STATES}).")
        parser.add_argument("--max-drops", type=int, default=DEFAULT_MAX_DROPS, metavar="N",
                            help=f"Messages the adversary may drop on one path (default {DEFAULT_MAX_DROPS}).")
        parser.add_argument("--max-crashes", type=int, default=None, metavar="N",
                            help=f"Crashes on one path; recovery is free (default: the protocol's small model "
                                 f"says, else {DEFAULT_MAX_CRASHES}).")
        parser.add_argument("--save-dir", metavar="DIR",
                            help="Where counterexample traces go (default var/counterexamples).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] == bool(options["protocol"]):
            raise ParameterError("name one protocol, or give --all")
        if options["all"]:
            self._all(markdown=options["markdown"])
            return
        spec = get_protocol(options["protocol"])
        report = explore(spec, parse_params(options["param"]), seed=options["seed"],
                         max_states=options["max_states"], max_drops=options["max_drops"],
                         max_crashes=options["max_crashes"], clock=time.perf_counter)
        save_dir = Path(options["save_dir"]) if options["save_dir"] else Path(settings.VAR_DIR) / "counterexamples"
        files = save_counterexamples(spec, report, save_dir)
        if options["json"]:
            data = report.to_json()
            for entry, path in zip(data["counterexamples"], files, strict=True):
                entry["file"] = str(path)
            self.stdout.write(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))
        else:
            self.stdout.write(describe(spec, report, files))

    def _all(self, *, markdown: bool) -> None:
        rows = []
        for spec in REGISTRY.values():
            entry = explore_table.row(spec, clock=time.perf_counter)
            rows.append(entry)
            if not markdown:
                self.stdout.write(explore_table.plain(entry))
                self.stdout.flush()
        if markdown:
            self.stdout.write(explore_table.markdown(rows), ending="")


def save_counterexamples(spec: ProtocolSpec, report: Report, save_dir: Path) -> list[Path]:
    """Write each counterexample's trace to ``save_dir``; return the files, in report order."""
    if not report.counterexamples:
        return []
    # Named after the configuration, so runs of other configurations never overwrite these.
    config = json.dumps({"params": report.params, "seed": report.seed}, sort_keys=True)
    tag = hashlib.blake2b(config.encode(), digest_size=4).hexdigest()
    files = []
    try:
        save_dir.mkdir(parents=True, exist_ok=True)
        for index, found in enumerate(report.counterexamples, start=1):
            path = save_dir / f"{spec.name}-{tag}-{index}-{found.name}.json"
            path.write_text(dumps(counterexample_trace(spec, report, found)), encoding="utf-8")
            files.append(path)
    except OSError as exc:
        raise ParameterError(f"cannot write counterexamples to {save_dir}: {exc.strerror}") from None
    return files


def describe(spec: ProtocolSpec, report: Report, files: list[Path]) -> str:
    """Return the short human report."""
    changed = {p.name: report.params[p.name] for p in spec.all_params() if report.params[p.name] != p.default}
    setting = ", ".join(f"{k}={v}" for k, v in changed.items()) or "defaults"
    lines = [
        f"explore {spec.name} ({setting}; seed {report.seed}; "
        f"up to {report.max_drops} drops, {report.max_crashes} crashes per path)",
        "  search complete" if report.complete else f"  stopped at --max-states {report.max_states} (not complete)",
        f"  {report.states} states, {report.transitions} transitions, max depth {report.max_depth}, "
        f"{report.elapsed_s:.1f} s, {report.states_per_s:,.0f} states/s",
    ]
    if report.clean:
        lines.append("  clean: no safety violation, liveness failure or protocol exception"
                     + ("" if report.complete else " found so far"))
    else:
        lines.append("  not clean")
    where = dict(zip(map(id, report.counterexamples), files, strict=True))
    for category, heading in CATEGORY_HEADINGS:
        found_here = report.found(category)
        if found_here:
            lines.append(f"  {heading}:")
        for found in found_here:
            what = "exception" if found.kind == "exception" else category
            lines.append(f"    {what} {found.name} in {len(found.commands)} steps: {found.text.splitlines()[0]}")
            lines.append(f"      replay: python manage.py simulate --replay {where[id(found)]}")
    return "\n".join(lines)


CATEGORY_HEADINGS = (
    ("safety", "safety violations and protocol exceptions"),
    ("liveness", "liveness failures (judged at the end of fair schedules only)"),
    ("illustrative", "illustrative findings (the lesson expects these; they do not make it unclean)"),
)
"""How the human report groups findings, in this order."""
