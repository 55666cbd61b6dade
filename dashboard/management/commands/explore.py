"""``manage.py explore``: try every delivery order of a small configuration and report what breaks."""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils.translation import gettext_noop

from dashboard import explore_all
from dashboard.language import LANGUAGES, language
from dashboard.management.base import LabCommand, parse_params
from protocols import REGISTRY, get_protocol
from protocols.base import ParameterError
from protocols.findings import render
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
from protocols.sim.words import ENGLISH, Language
from protocols.spec import ProtocolSpec


class Command(LabCommand):
    help = "Search every delivery order (and a few faults) of a protocol; save each counterexample as a trace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("protocol", nargs="?", help="Protocol name (see `manage.py protocols`).")
        parser.add_argument("--all", action="store_true",
                            help="Search every protocol's small model, its foils and its other correct "
                                 "configurations; print one row each.")
        parser.add_argument("--markdown", action="store_true",
                            help="With --all: print the table docs/protocols.md ends with.")
        parser.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                            help=f"With --all: search N protocols at once, one process each (1 to "
                                 f"{explore_all.MAX_JOBS}; default 1).")
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
        parser.add_argument("--lang", choices=LANGUAGES, default="en",
                            help="Language of the printed report and of --all's rows (English by default; "
                                 "--json and --markdown are always English).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] == bool(options["protocol"]):
            raise ParameterError("name one protocol, or give --all")
        if options["jobs"] != 1 and not options["all"]:
            raise ParameterError("--jobs is for --all: one protocol is searched in one process")
        if options["all"]:
            self._all(markdown=options["markdown"], lang=language(options["lang"]), jobs=options["jobs"])
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
            self.stdout.write(describe(spec, report, files, language(options["lang"])))

    def _all(self, *, markdown: bool, lang: Language, jobs: int) -> None:
        # A SIGTERM leaves as an exception does, so the worker processes are terminated with the pool.
        previous = signal.signal(signal.SIGTERM, _leave)
        try:
            self._rows(markdown=markdown, lang=lang, jobs=jobs)
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _rows(self, *, markdown: bool, lang: Language, jobs: int) -> None:
        rows = []
        for entry in explore_all.rows(REGISTRY.values(), jobs=jobs, find=get_protocol):
            rows.append(entry)
            if not markdown:
                self.stdout.write(explore_table.plain(entry, lang))
                self.stdout.flush()
        if markdown:
            self.stdout.write(explore_table.markdown(rows, jobs=jobs), ending="")


def _leave(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _jobs(text: str) -> int:
    """Parse --jobs: a whole number of processes within ``explore_all.MAX_JOBS`` (argparse names the flag)."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= jobs <= explore_all.MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{jobs} is not from 1 to {explore_all.MAX_JOBS}")
    return jobs


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


def describe(spec: ProtocolSpec, report: Report, files: list[Path], lang: Language = ENGLISH) -> str:
    """Return the short human report, in ``lang``."""
    changed = {p.name: report.params[p.name] for p in spec.all_params() if report.params[p.name] != p.default}
    said = {"protocol": spec.name, "seed": str(report.seed), "drops": str(report.max_drops),
            "crashes": str(report.max_crashes),
            "setting": ", ".join(f"{k}={v}" for k, v in changed.items()) or lang.gettext("defaults")}
    lines = [
        lang.gettext("explore {protocol} ({setting}; seed {seed}; up to {drops} drops, {crashes} crashes per path)",
                     **said),
        "  " + (lang.gettext("search complete") if report.complete
                else lang.gettext("stopped at --max-states {limit} (not complete)", limit=str(report.max_states))),
        "  " + lang.gettext("{states} states, {transitions} transitions, max depth {depth}, {seconds} s, "
                            "{rate} states/s", states=str(report.states), transitions=str(report.transitions),
                            depth=str(report.max_depth), seconds=f"{report.elapsed_s:.1f}",
                            rate=f"{report.states_per_s:,.0f}"),
    ]
    if report.clean:
        lines.append("  " + (lang.gettext("clean: no safety violation, liveness failure or protocol exception")
                             if report.complete else
                             lang.gettext("clean: no safety violation, liveness failure or protocol exception "
                                          "found so far")))
    else:
        lines.append("  " + lang.gettext("not clean"))
    where = dict(zip(map(id, report.counterexamples), files, strict=True))
    templates, fields = spec.findings(), spec.finding_word_fields()
    words = lang.finding_words(spec.finding_words(), spec.declared_finding_words())
    for category, heading in CATEGORY_HEADINGS:
        found_here = report.found(category)
        if found_here:
            lines.append(f"  {lang.gettext(heading)}:")
        for found in found_here:
            what = lang.gettext(CATEGORY_WORDS["exception" if found.kind == "exception" else category])
            text = (found.text if found.finding is None
                    else render(templates, found.finding, lang.translate, words, fields, lang.list_separator()))
            lines.append("    " + lang.gettext("{what} {name} in {steps} steps: {text}", what=what, name=found.name,
                                               steps=str(len(found.commands)), text=text.splitlines()[0]))
            lines.append("      " + lang.gettext("replay: {command}",
                                                 command=f"python manage.py simulate --replay {where[id(found)]}"))
    return "\n".join(lines)


CATEGORY_HEADINGS = (
    ("safety", gettext_noop("safety violations and protocol exceptions")),
    ("liveness", gettext_noop("liveness failures (judged at the end of fair schedules only)")),
    ("illustrative", gettext_noop("illustrative findings (the lesson expects these; they do not make it unclean)")),
)
"""How the human report groups findings, in this order."""

CATEGORY_WORDS = {"safety": gettext_noop("safety"), "liveness": gettext_noop("liveness"),
                  "illustrative": gettext_noop("illustrative"), "exception": gettext_noop("exception")}
"""What one finding is, in a word, on its line of the report."""
