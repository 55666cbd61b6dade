"""A trace as a transcript a class can read aloud.

One line per event a student would point at: messages sent, delivered and
lost; records forced to a log; phase changes; faults; the protocol's own
notes. Timer bookkeeping (``timer_set``, ``timer_cancel``) and the initial
``start``/``state`` pair are left out: the header lists the nodes, and a
timer only matters when it fires, which is shown. Captions are narration,
indented under the event that triggered them; violations are shouted.
Everything is computed from the trace alone, so a saved file prints the
same transcript as the live run that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from protocols import REGISTRY
from protocols.findings import violation_text

Event = Mapping[str, Any]
Translate = Callable[[str], str]
"""Maps an English template or caption to another language's (gettext at the edge); None for English."""

TIME_WIDTH = 7
"""Room for the time column: up to a million virtual milliseconds stays aligned."""

BY_WORDS = {"plan": "fault plan", "chaos": "chaos", "command": "by hand", "network": "network", "auto": ""}
"""Who caused a fault or a delivery, in words (automatic steps say nothing)."""

DROP_WORDS = {
    "loss": "lost by the network",
    "overflow": "too many messages in flight",
    "partition": "blocked by the partition",
    "node down": "the receiver is down",
    "fault": "dropped by an injected fault",
    "command": "dropped by hand",
}
"""Why a message never arrived, in words."""


def compact(value: Any) -> str:
    """Return a short, JSON-like rendering without quotes: ``{vote: yes}``.

    Keys are sorted: a trace read back from its canonical JSON (sorted keys)
    must print exactly as the live one did.
    """
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {compact(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(compact(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pairs(mapping: Mapping[str, Any]) -> str:
    """Return a mapping as ``key=value`` words, sorted, for labels where braces would be noise."""
    return " ".join(f"{k}={compact(mapping[k])}" for k in sorted(mapping))


def log_words(records: Sequence[Mapping[str, Any]]) -> str:
    """Return a durable log as ``type=prepared / type=committed`` (or ``empty``)."""
    return " / ".join(pairs(r) for r in records) or "empty"


def placement(trace: Mapping[str, Any]) -> list[str]:
    """Return the nodes in placement order (the order they started in)."""
    order = [e["node"] for e in trace["events"] if e["kind"] == "start"]
    return order + [n for n in trace["final"] if n not in order]


def message_label(message: Mapping[str, Any], upper: bool = True) -> str:
    """Return a message's type and, if it has one, its body: ``VOTE vote=yes``."""
    name = str(message["type"]).upper() if upper else str(message["type"])
    body = message.get("body") or {}
    return f"{name} {pairs(body)}" if body else name


def by_suffix(event: Event) -> str:
    """Return `` (fault plan)``-style words for who caused the event, or nothing."""
    words = BY_WORDS.get(str(event.get("by", "")), str(event.get("by", "")))
    return f" ({words})" if words else ""


# ------------------------------------------------------------- one line each


def _send(e: Event) -> str:
    msg = e["message"]
    reply = f", reply to {msg['in_reply_to']}" if msg.get("in_reply_to") else ""
    return f"{e['src']} -> {e['dst']}  {message_label(msg)} ({msg['msg_id']}{reply})"


def _deliver(e: Event) -> str:
    by = "  [delivered by hand]" if e.get("by") == "command" else ""
    return f"{e['dst']} <- {e['src']}  {message_label(e['message'])} ({e['message']['msg_id']}){by}"


def _drop(e: Event) -> str:
    msg = e["message"]
    why = DROP_WORDS.get(e["reason"], e["reason"])
    return f"xx {e['src']} -> {e['dst']}  {message_label(msg)} ({msg['msg_id']}) never arrives: {why}"


def _duplicate(e: Event) -> str:
    who = {"network": "the network", "chaos": "chaos", "plan": "the fault plan"}.get(e["by"], "a user")
    return f"{who} duplicates {e['of']} as {e['message']['msg_id']} ({e['src']} -> {e['dst']})"


def _recover(e: Event) -> str:
    log = ", ".join(compact(r) for r in e["durable"]) or "nothing"
    return f"RECOVER {e['node']}{by_suffix(e)}; its log holds {log}"


def _partition(e: Event) -> str:
    return "PARTITION " + " | ".join(compact(g) for g in e["groups"]) + by_suffix(e)


def _clock(e: Event) -> str:
    return f"{e['node']}'s clock now runs at {e['rate']:g}x, offset {e['offset_ms']:+d}ms"


def finding_words(e: Event, translate: Translate | None = None) -> str:
    """Return what a violation event says went wrong, in words (English, or through ``translate``)."""
    return violation_text(finding_templates(), e, translate)


def finding_templates() -> dict[str, str]:
    """Return every registered protocol's finding templates (an id means one thing in every protocol)."""
    return {fid: text for spec in REGISTRY.values() for fid, text in spec.findings().items()}


def _violation(e: Event, translate: Translate | None = None) -> str:
    when = " (at the end)" if e["invariant_kind"] == "liveness" else ""
    return f"!!! VIOLATION of {e['invariant']}{when}: {finding_words(e, translate)}"


LINES: dict[str, Callable[[Event], str]] = {
    "send": _send,
    "deliver": _deliver,
    "drop": _drop,
    "duplicate": _duplicate,
    "recover": _recover,
    "partition": _partition,
    "clock": _clock,
    "timer": lambda e: f"{e['node']}: timer {e['timer']} fires{by_suffix(e)}",
    "crash": lambda e: f"CRASH {e['node']}{by_suffix(e)}",
    "pause": lambda e: f"PAUSE {e['node']}{by_suffix(e)}",
    "resume": lambda e: f"RESUME {e['node']}{by_suffix(e)}",
    "heal": lambda e: f"HEAL: the network is whole again{by_suffix(e)}",
    "client": lambda e: f"client -> {e['node']}  {str(e['request']).upper()} {compact(e['body'])}",
    "persist": lambda e: f"{e['node']} logs {compact(e['record'])}",
    "note": lambda e: f"{e['node']} notes: {e['text']}",
}
"""How each shown event kind reads; kinds not listed here (and not state or caption) are skipped."""


# ------------------------------------------------------------------ sections


def _header(trace: Mapping[str, Any]) -> Iterator[str]:
    spec = REGISTRY.get(trace["protocol"])
    title = f"{spec.title} ({trace['protocol']})" if spec else trace["protocol"]
    scenario = f", scenario {trace['scenario']}" if trace.get("scenario") else ""
    yield f"{title}, seed {trace['seed']}{scenario}"
    defaults = {p.name: p.default for p in spec.all_params()} if spec else {}
    changed = {k: v for k, v in trace["params"].items() if k not in defaults or defaults[k] != v}
    yield "params: " + (pairs(changed) or "all defaults")
    for fault in trace.get("faults", []):
        yield "fault: " + _describe_fault(fault)
    if trace.get("chaos"):
        yield f"chaos: a random fault with probability {trace['chaos']:g} per step"
    roles = {node: info["role"] for node, info in trace["final"].items()}
    yield "nodes: " + ", ".join(f"{n} ({roles.get(n, '?')})" for n in placement(trace))
    yield ""


def _describe_fault(fault: Mapping[str, Any]) -> str:
    what = " ".join(str(fault[k]) if k != "groups" else compact(fault[k])
                    for k in ("action", "node", "groups") if k in fault)
    if "at_ms" in fault:
        return f"{what} at {fault['at_ms']}ms"
    delay = f"{fault['delay_ms']}ms " if fault.get("delay_ms") else ""
    return f"{what} {delay}after {compact(fault.get('after', {}))}"


def _body(events: Sequence[Event], translate: Translate | None = None) -> Iterator[str]:
    phases: dict[str, Any] = {}
    pad = " " * (TIME_WIDTH + 4)
    for e in events:
        kind = e["kind"]
        if kind == "caption":
            yield f"{pad}| {translate(e['text']) if translate else e['text']}"
            continue
        if kind == "violation":
            line = _violation(e, translate)
        elif kind == "state":
            node, phase = e["node"], e["state"].get("phase")
            before, phases[node] = phases.get(node), phase
            if e["cause"] == "init" or before == phase:
                continue  # Boot, or a change of bookkeeping rather than of phase.
            line = f"{node}: {before} -> {phase}"
        elif kind in LINES:
            line = LINES[kind](e)
        else:
            continue
        yield f"{e['time']:>{TIME_WIDTH}}ms  {line}"


def _footer(trace: Mapping[str, Any]) -> Iterator[str]:
    yield ""
    yield "final state:"
    width = max((len(n) for n in trace["final"]), default=0)
    for node in placement(trace):
        info = trace["final"][node]
        life = "" if info["up"] else "  DOWN"
        life += "  paused" if info.get("paused") else ""
        records = len(info["durable"])
        yield (f"  {node:<{width}}  {compact(info['state'].get('phase')):<10}  "
               f"log: {records} record{'s' if records != 1 else ''}{life}")
    yield "verdicts:"
    width = max((len(n) for n in trace["verdicts"]), default=0)
    for name, verdict in sorted(trace["verdicts"].items()):
        yield f"  {name:<{width}}  {'VIOLATED' if verdict == 'violated' else verdict}"
    yield "summary:"
    for key, value in sorted(trace["summary"].items()):
        yield f"  {key}: {compact(value)}"
    steps = max((e["step"] for e in trace["events"]), default=0)
    if trace["truncated"]:
        end = f"stopped at the limit of {trace['max_events']} events"
    elif trace["quiescent"]:
        end = "ended with nothing more to happen"
    else:
        end = "stopped before the run was over"
    yield f"{len(trace['events'])} events in {steps} steps; {end}."


def render_text(trace: Mapping[str, Any], translate: Translate | None = None) -> str:
    """Return the trace as a readable transcript: header, events in words, outcome.

    Findings and captions are the protocol's English unless ``translate`` gives another language's
    words for them (``simulate --format text --lang zh-hans``).
    """
    lines = [*_header(trace), *_body(trace["events"], translate), *_footer(trace)]
    return "\n".join(lines) + "\n"
