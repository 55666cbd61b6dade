# ruff: noqa: E501  (the generated lines below hold whole sentences)
"""Texts that reach the page from outside the templates, listed so that ``makemessages`` finds them.

protocols/ is pure Python and speaks English; the browser code names its UI
strings in static/js/i18n-keys.json. Neither is Django source, so neither is
extracted for translation by itself. The dashboard translates both at the
edge, looking each English string up with gettext when it renders a page
(dashboard/views.py); the tuples below are only there for extraction.

They are generated: after changing a protocol's texts or the keys file, run
``python -m dashboard.protocol_texts --write``, then ``manage.py makemessages
-l zh_Hans``, translate, and ``manage.py compilemessages``.
tests/dashboard/test_i18n.py fails while the lists are stale.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import gettext_noop

from protocols.spec import ProtocolSpec

KEYS_FILE = Path(__file__).resolve().parent.parent / "static" / "js" / "i18n-keys.json"
"""The browser's UI strings: a JSON object of key -> English text, written by the author of static/js."""

BEGIN = "# --- generated from the registry and the keys file; edit by running this module with --write"


def spec_texts(spec: ProtocolSpec) -> list[str]:
    """Return a protocol's translatable texts: title, summary, parameter help, scenarios, invariants."""
    described = spec.describe()
    texts = [described["title"], described["summary"]]
    texts += [p["help"] for p in described["params"]]
    for scenario in described["scenarios"]:
        texts.append(scenario["description"])
        texts += [c["text"] for c in scenario["captions"]]
    texts += [i["description"] for i in described["invariants"]]
    return _unique(t for t in texts if t)


def registry_texts() -> list[str]:
    """Return the translatable texts of every registered protocol, in registry order, once each."""
    from protocols import REGISTRY

    return _unique(text for spec in REGISTRY.values() for text in spec_texts(spec))


STARTER_UI_KEYS = {
    "connecting": "Connecting…", "connected": "Connected", "reconnecting": "Reconnecting…",
    "role_controller": "You control this session", "role_watcher": "Watching",
    "play": "Play", "pause": "Pause", "step": "Step", "speed": "Speed", "reset": "Reset",
    "fork": "Fork from here", "export": "Export", "copy_watch_link": "Copy watch link",
    "deliver": "Deliver", "drop": "Drop", "duplicate": "Duplicate", "fire": "Fire timer",
    "crash": "Crash", "recover": "Recover", "partition": "Partition", "heal": "Heal",
    "nodes": "Nodes", "pending": "In flight", "timeline": "Timeline", "invariants": "Invariants",
    "holds": "holds", "violated": "violated", "narration": "Narration", "event_log": "Event log",
}
"""UI strings offered before the keys file exists; the keys file, once written, replaces them."""


def ui_keys() -> dict[str, str]:
    """Return the browser's UI strings, key -> English (the starter set before the keys file exists)."""
    try:
        data = json.loads(KEYS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return dict(STARTER_UI_KEYS)
    return {k: v for k, v in data.items() if isinstance(v, str) and not k.startswith("_")}


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def render_generated() -> str:
    """Return the generated section of this module for the current registry and keys file."""
    lines = [BEGIN, "PROTOCOL_TEXTS = ("]
    lines += [f"    gettext_noop({json.dumps(t, ensure_ascii=False)})," for t in registry_texts()]
    lines += [")", "", "UI_TEXTS = ("]
    lines += [f"    gettext_noop({json.dumps(t, ensure_ascii=False)})," for t in _unique(ui_keys().values())]
    lines += [")"]
    return "\n".join(lines) + "\n"


def _write() -> None:
    path = Path(__file__)
    source = path.read_text(encoding="utf-8")
    path.write_text(source[: source.rindex(BEGIN)] + render_generated(), encoding="utf-8")


if __name__ == "__main__":  # Stop before the tuples below: gettext_noop needs Django's settings.
    if sys.argv[1:] == ["--write"]:
        _write()
    else:
        sys.stdout.write(render_generated())
    sys.exit(0)


# --- generated from the registry and the keys file; edit by running this module with --write
PROTOCOL_TEXTS = (
    gettext_noop("Two-phase commit"),
    gettext_noop("Atomic commitment across participants, and why a crashed coordinator blocks everyone."),
    gettext_noop("How many participants (resource managers) take part."),
    gettext_noop("Each participant's vote, comma-separated: yes, no, or the probability of yes. One value applies to all; missing ones vote yes."),
    gettext_noop("'majority-commit' is a deliberately broken coordinator."),
    gettext_noop("In-doubt participants also ask their peers for the outcome."),
    gettext_noop("How long the coordinator waits for votes before aborting."),
    gettext_noop("How long a participant waits for PREPARE before aborting on its own."),
    gettext_noop("How many times the coordinator re-sends its decision to a silent participant (0 for none: a smaller model for the explorer)."),
    gettext_noop("How many times an in-doubt participant asks for the outcome before it waits to be told."),
    gettext_noop("Interval for re-sending the decision; in-doubt participants ask every 2x this."),
    gettext_noop("Shortest one-way message delay, in virtual milliseconds."),
    gettext_noop("Longest one-way message delay, in virtual milliseconds."),
    gettext_noop("Chance that the network silently loses a message."),
    gettext_noop("Chance that the network delivers a message twice."),
    gettext_noop("Keep each link in order (no overtaking)."),
    gettext_noop("Every participant votes yes; the coordinator commits and everyone follows."),
    gettext_noop("Phase 1: the coordinator asks every participant to prepare."),
    gettext_noop("Phase 2: all voted yes; the coordinator forces COMMIT to its log, then tells everyone."),
    gettext_noop("One participant votes no, so the coordinator must abort."),
    gettext_noop("A participant votes no: one no is enough to abort the whole transaction."),
    gettext_noop("A participant crashes before it votes; the coordinator times out and aborts."),
    gettext_noop("p2 crashes before it has voted: its PREPARE will be lost."),
    gettext_noop("The coordinator waited long enough for p2's vote: it aborts."),
    gettext_noop("p2 recovers with nothing in its log: it never voted, so it may abort on its own."),
    gettext_noop("The coordinator logs COMMIT and crashes before sending it: the participants block."),
    gettext_noop("The coordinator has logged COMMIT and crashes before sending it: the participants are prepared and cannot decide alone."),
    gettext_noop("An in-doubt participant asks for the outcome; nobody who knows can answer."),
    gettext_noop("The coordinator recovers, reads COMMIT from its log and sends it again."),
    gettext_noop("The network loses p1's vote; the coordinator times out and aborts."),
    gettext_noop("p1's yes vote is lost on the way."),
    gettext_noop("Without p1's vote the coordinator cannot commit: it aborts."),
    gettext_noop("The coordinator crashes while sending COMMIT; it recovers and finishes the job."),
    gettext_noop("The coordinator crashes after telling only p1 to commit."),
    gettext_noop("Its log says COMMIT, so on recovery it sends COMMIT to everyone again."),
    gettext_noop("The coordinator dies after telling p1; the others learn the outcome from p1."),
    gettext_noop("In doubt, the participants ask each other: p1 knows the outcome."),
    gettext_noop("The deliberately broken coordinator commits on a majority of yes votes."),
    gettext_noop("The checker catches it: a participant voted no, yet the transaction committed."),
    gettext_noop("No participant commits while another aborts (TCConsistent)."),
    gettext_noop("Commit only if every participant voted yes."),
    gettext_noop("A prepared participant never aborts on its own; it waits to be told."),
    gettext_noop("A decision, once taken, is never changed."),
    gettext_noop("A running node is in the phase its durable log implies; no log holds two outcomes."),
    gettext_noop("With all nodes up and the network whole, everyone decides."),
)

UI_TEXTS = (
    gettext_noop("{name} · read-only"),
    gettext_noop("Watching {owner}'s session"),
    gettext_noop("Watching this session"),
    gettext_noop("seq"),
    gettext_noop("Connecting"),
    gettext_noop("Live"),
    gettext_noop("Reconnecting"),
    gettext_noop("Offline"),
    gettext_noop("Trace file"),
    gettext_noop("Not connected: the command was not sent"),
    gettext_noop("Session controls"),
    gettext_noop("Run"),
    gettext_noop("History"),
    gettext_noop("Play"),
    gettext_noop("Play (Space)"),
    gettext_noop("Pause"),
    gettext_noop("Pause (Space)"),
    gettext_noop("Step"),
    gettext_noop("One step forward (Right arrow)"),
    gettext_noop("Forward"),
    gettext_noop("One step forward in history (Right arrow)"),
    gettext_noop("Back"),
    gettext_noop("One step back in history (Left arrow); the session is not changed"),
    gettext_noop("Reset"),
    gettext_noop("Start the session over (history is kept on the server)"),
    gettext_noop("Fork here"),
    gettext_noop("Start a new session from the state shown, in a new tab"),
    gettext_noop("Fork failed"),
    gettext_noop("Follow the newest event"),
    gettext_noop("Speed"),
    gettext_noop("Virtual milliseconds per real millisecond"),
    gettext_noop("fastest"),
    gettext_noop("Position in the log"),
    gettext_noop("seq {seq} / {last} · {time} ms"),
    gettext_noop("Details"),
    gettext_noop("Close the details"),
    gettext_noop("step"),
    gettext_noop("by"),
    gettext_noop("sent"),
    gettext_noop("due"),
    gettext_noop("delivered"),
    gettext_noop("dropped"),
    gettext_noop("in flight"),
    gettext_noop("copy of"),
    gettext_noop("Refused"),
    gettext_noop("Too large"),
    gettext_noop("Not JSON"),
    gettext_noop("Malformed message"),
    gettext_noop("Unknown message"),
    gettext_noop("Out of range"),
    gettext_noop("Too fast"),
    gettext_noop("Not greeted yet"),
    gettext_noop("Only the session's controller can do that"),
    gettext_noop("The control link is not valid for this session; you are watching"),
    gettext_noop("The lab is busy"),
    gettext_noop("The lab is restarting; try again"),
    gettext_noop("Unknown command"),
    gettext_noop("Invalid command"),
    gettext_noop("No such node"),
    gettext_noop("Nothing pending with that id"),
    gettext_noop("Held for a paused node"),
    gettext_noop("That node is down"),
    gettext_noop("Not supported by this protocol"),
    gettext_noop("Invalid partition groups"),
    gettext_noop("A limit was reached"),
    gettext_noop("Export"),
    gettext_noop("Trace (JSON)"),
    gettext_noop("ShiViz log"),
    gettext_noop("Mermaid diagram"),
    gettext_noop("Space-time diagram (SVG)"),
    gettext_noop("Space-time diagram (PNG)"),
    gettext_noop("Open trace"),
    gettext_noop("Replay a saved JSON trace here, without a session"),
    gettext_noop("That file is not JSON"),
    gettext_noop("That file is not a version 1 trace"),
    gettext_noop("That file has no events"),
    gettext_noop("That trace's events are not numbered 1, 2, 3…"),
    gettext_noop("That file is too large"),
    gettext_noop("Invariants"),
    gettext_noop("Violations found"),
    gettext_noop("holds"),
    gettext_noop("violated"),
    gettext_noop("None so far"),
    gettext_noop("after every step"),
    gettext_noop("on every change"),
    gettext_noop("at the end"),
    gettext_noop("lost"),
    gettext_noop("No caption yet"),
    gettext_noop("Go to the event this caption is about"),
    gettext_noop("crashed"),
    gettext_noop("paused"),
    gettext_noop("Durable log"),
    gettext_noop("empty"),
    gettext_noop("Timers"),
    gettext_noop("Crash"),
    gettext_noop("Recover"),
    gettext_noop("Resume"),
    gettext_noop("Put the nodes in groups, then cut: no message crosses between groups."),
    gettext_noop("Cut"),
    gettext_noop("Heal"),
    gettext_noop("group"),
    gettext_noop("Put the nodes in at least two groups"),
    gettext_noop("Now"),
    gettext_noop("The network is whole"),
    gettext_noop("Only the session's controller can partition the network."),
    gettext_noop("Next up at {now} ms ({total} pending)"),
    gettext_noop("Finished"),
    gettext_noop("Id"),
    gettext_noop("What"),
    gettext_noop("Due"),
    gettext_noop("Do it now"),
    gettext_noop("Deliver"),
    gettext_noop("Drop"),
    gettext_noop("Duplicate"),
    gettext_noop("Fire"),
    gettext_noop("held"),
    gettext_noop("and {n} more"),
    gettext_noop("Only the session's controller sees what is pending."),
    gettext_noop("A trace file has nothing pending."),
    gettext_noop("The session failed"),
    gettext_noop("Space-time diagram"),
    gettext_noop("Vertical axis: one row per event, or virtual time"),
    gettext_noop("by event"),
    gettext_noop("by time"),
    gettext_noop("Zoom in"),
    gettext_noop("Zoom out"),
    gettext_noop("Fit the whole run"),
    gettext_noop("Fit"),
    gettext_noop("violation"),
    gettext_noop("cut"),
    gettext_noop("heal"),
    gettext_noop("State diagram"),
    gettext_noop("This protocol publishes no transition table."),
    gettext_noop("ignored"),
    gettext_noop("Nodes"),
    gettext_noop("States"),
    gettext_noop("Pending"),
    gettext_noop("Partition"),
    gettext_noop("Captions"),
    gettext_noop("Topology"),
    gettext_noop("Partitioned: no message crosses here"),
    gettext_noop("All {n} invariants hold"),
    gettext_noop("{n} others hold"),
    gettext_noop("caption"),
    gettext_noop("Coordinator"),
    gettext_noop("Participant"),
    gettext_noop("init"),
    gettext_noop("working"),
    gettext_noop("prepared"),
    gettext_noop("committed"),
    gettext_noop("aborted"),
)
