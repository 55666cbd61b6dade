"""A trace as a transcript a class can read aloud.

One line per event a student would point at: messages sent, delivered and
lost; records forced to a log; phase changes; faults; the protocol's own
notes. Timer bookkeeping (``timer_set``, ``timer_cancel``) and the initial
``start``/``state`` pair are left out: the header lists the nodes, and a
timer only matters when it fires, which is shown. Captions are narration,
indented under the event that triggered them; violations are shouted.
Everything is computed from the trace and its protocol's spec alone, so a
saved file prints the same transcript as the live run that produced it.
Every word goes through the reader's ``Language`` (protocols/sim/words.py):
English by default, Chinese with ``--lang zh-hans``; identifiers (nodes,
messages, invariants) are data and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from protocols.findings import violation_text
from protocols.sim.words import ENGLISH, Language, gettext_noop, pad
from protocols.spec import ProtocolSpec

Event = Mapping[str, Any]

TIME_WIDTH = 7
"""Room for the time column: up to a million virtual milliseconds stays aligned."""

BY_WORDS = {"plan": gettext_noop("fault plan"), "chaos": gettext_noop("chaos"), "command": gettext_noop("by hand"),
            "network": gettext_noop("network"), "auto": ""}
"""Who caused a fault or a delivery, in words (automatic steps say nothing)."""

DROP_WORDS = {
    "loss": gettext_noop("lost by the network"),
    "overflow": gettext_noop("too many messages in flight"),
    "partition": gettext_noop("blocked by the partition"),
    "node down": gettext_noop("the receiver is down"),
    "fault": gettext_noop("dropped by an injected fault"),
    "command": gettext_noop("dropped by hand"),
}
"""Why a message never arrived, in words."""

DUPLICATED_BY = {"network": gettext_noop("the network"), "chaos": gettext_noop("chaos"),
                 "plan": gettext_noop("the fault plan")}
"""Who duplicated a message, in words (anyone else is "a user")."""


def why_lost(event: Event, lang: Language = ENGLISH) -> str:
    """Return why a dropped message never arrived, in words."""
    reason = str(event["reason"])
    return lang.gettext(DROP_WORDS[reason]) if reason in DROP_WORDS else reason


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


def log_words(records: Sequence[Mapping[str, Any]], lang: Language = ENGLISH) -> str:
    """Return a durable log as ``type=prepared / type=committed`` (or ``empty``)."""
    return " / ".join(pairs(r) for r in records) or lang.gettext("empty")


def placement(trace: Mapping[str, Any]) -> list[str]:
    """Return the nodes in placement order (the order they started in)."""
    order = [e["node"] for e in trace["events"] if e["kind"] == "start"]
    return order + [n for n in trace["final"] if n not in order]


def message_label(message: Mapping[str, Any], upper: bool = True) -> str:
    """Return a message's type and, if it has one, its body: ``VOTE vote=yes``."""
    name = str(message["type"]).upper() if upper else str(message["type"])
    body = message.get("body") or {}
    return f"{name} {pairs(body)}" if body else name


def by_suffix(event: Event, lang: Language = ENGLISH) -> str:
    """Return `` (fault plan)``-style words for who caused the event, or nothing."""
    by = str(event.get("by", ""))
    words = lang.gettext(BY_WORDS[by]) if BY_WORDS.get(by) else BY_WORDS.get(by, by)
    return f" ({words})" if words else ""


# ------------------------------------------------------------- one line each


def _send(e: Event, lang: Language) -> str:
    msg = e["message"]
    said = {"src": e["src"], "dst": e["dst"], "message": message_label(msg), "msg_id": msg["msg_id"]}
    if msg.get("in_reply_to"):
        return lang.gettext("{src} -> {dst}  {message} ({msg_id}, reply to {reply_to})",
                            reply_to=msg["in_reply_to"], **said)
    return f"{e['src']} -> {e['dst']}  {said['message']} ({msg['msg_id']})"  # Nothing here is a word.


def _deliver(e: Event, lang: Language) -> str:
    by = lang.gettext("  [delivered by hand]") if e.get("by") == "command" else ""
    return f"{e['dst']} <- {e['src']}  {message_label(e['message'])} ({e['message']['msg_id']}){by}"


def _drop(e: Event, lang: Language) -> str:
    msg = e["message"]
    return lang.gettext("xx {src} -> {dst}  {message} ({msg_id}) never arrives: {why}", src=e["src"], dst=e["dst"],
                        message=message_label(msg), msg_id=msg["msg_id"], why=why_lost(e, lang))


def _duplicate(e: Event, lang: Language) -> str:
    who = lang.gettext(DUPLICATED_BY[e["by"]]) if e["by"] in DUPLICATED_BY else lang.gettext("a user")
    return lang.gettext("{who} duplicates {of} as {copy} ({src} -> {dst})", who=who, of=e["of"],
                        copy=e["message"]["msg_id"], src=e["src"], dst=e["dst"])


def _recover(e: Event, lang: Language) -> str:
    log = ", ".join(compact(r) for r in e["durable"]) or lang.gettext("nothing")
    return lang.gettext("RECOVER {node}{by}; its log holds {log}", node=e["node"], by=by_suffix(e, lang), log=log)


def _partition(e: Event, lang: Language) -> str:
    return lang.gettext("PARTITION {groups}{by}", groups=" | ".join(compact(g) for g in e["groups"]),
                        by=by_suffix(e, lang))


def _clock(e: Event, lang: Language) -> str:
    return lang.gettext("{node}'s clock now runs at {rate}x, offset {offset}ms", node=e["node"],
                        rate=f"{e['rate']:g}", offset=f"{e['offset_ms']:+d}")


def finding_words(e: Event, spec: ProtocolSpec | None = None, lang: Language = ENGLISH) -> str:
    """Return what a violation event says went wrong, in words: ``spec``'s template, in ``lang``.

    Without the protocol's spec the finding's id is all that can be said.
    """
    if spec is None:
        return violation_text({}, e)
    words = lang.finding_words(spec.finding_words(), spec.declared_finding_words())
    return violation_text(spec.findings(), e, lang.translate, words, spec.finding_word_fields(), lang.list_separator())


def _violation(e: Event, spec: ProtocolSpec | None, lang: Language) -> str:
    said = {"invariant": e["invariant"], "finding": finding_words(e, spec, lang)}
    if e["invariant_kind"] == "liveness":
        return lang.gettext("!!! VIOLATION of {invariant} (at the end): {finding}", **said)
    return lang.gettext("!!! VIOLATION of {invariant}: {finding}", **said)


LINES: dict[str, Callable[[Event, Language], str]] = {
    "send": _send,
    "deliver": _deliver,
    "drop": _drop,
    "duplicate": _duplicate,
    "recover": _recover,
    "partition": _partition,
    "clock": _clock,
    "timer": lambda e, lang: lang.gettext("{node}: timer {timer} fires{by}", node=e["node"], timer=e["timer"],
                                          by=by_suffix(e, lang)),
    "crash": lambda e, lang: lang.gettext("CRASH {node}{by}", node=e["node"], by=by_suffix(e, lang)),
    "pause": lambda e, lang: lang.gettext("PAUSE {node}{by}", node=e["node"], by=by_suffix(e, lang)),
    "resume": lambda e, lang: lang.gettext("RESUME {node}{by}", node=e["node"], by=by_suffix(e, lang)),
    "heal": lambda e, lang: lang.gettext("HEAL: the network is whole again{by}", by=by_suffix(e, lang)),
    "client": lambda e, lang: lang.gettext("client -> {node}  {request} {body}", node=e["node"],
                                           request=str(e["request"]).upper(), body=compact(e["body"])),
    "persist": lambda e, lang: lang.gettext("{node} logs {record}", node=e["node"], record=compact(e["record"])),
    "note": lambda e, lang: lang.gettext("{node} notes: {text}", node=e["node"], text=e["text"]),
}
"""How each shown event kind reads; kinds not listed here (and not state or caption) are skipped."""


# ------------------------------------------------------------------ sections


def _header(trace: Mapping[str, Any], spec: ProtocolSpec | None, lang: Language) -> Iterator[str]:
    name = trace["protocol"]
    title = f"{lang.gettext(spec.title)} ({name})" if spec else name
    if trace.get("scenario"):
        yield lang.gettext("{title}, seed {seed}, scenario {scenario}", title=title, seed=str(trace["seed"]),
                           scenario=trace["scenario"])
    else:
        yield lang.gettext("{title}, seed {seed}", title=title, seed=str(trace["seed"]))
    defaults = {p.name: p.default for p in spec.all_params()} if spec else {}
    changed = {k: v for k, v in trace["params"].items() if k not in defaults or defaults[k] != v}
    yield lang.gettext("params: {params}", params=pairs(changed) or lang.gettext("all defaults"))
    for fault in trace.get("faults", []):
        yield lang.gettext("fault: {fault}", fault=_describe_fault(fault, lang))
    if trace.get("chaos"):
        yield lang.gettext("chaos: a random fault with probability {chance} per step", chance=f"{trace['chaos']:g}")
    roles = {node: info["role"] for node, info in trace["final"].items()}
    nodes = ", ".join(f"{n} ({_role(roles.get(n, '?'), lang)})" for n in placement(trace))
    yield lang.gettext("nodes: {nodes}", nodes=nodes)
    yield ""


def _role(role: str, lang: Language) -> str:
    return lang.label(f"role.{role}", role)


def _describe_fault(fault: Mapping[str, Any], lang: Language) -> str:
    what = " ".join(str(fault[k]) if k != "groups" else compact(fault[k])
                    for k in ("action", "node", "groups") if k in fault)
    if "at_ms" in fault:
        return lang.gettext("{what} at {at}ms", what=what, at=str(fault["at_ms"]))
    after = compact(fault.get("after", {}))
    if fault.get("delay_ms"):
        return lang.gettext("{what} {delay}ms after {after}", what=what, delay=str(fault["delay_ms"]), after=after)
    return lang.gettext("{what} after {after}", what=what, after=after)


def _body(events: Sequence[Event], spec: ProtocolSpec | None, lang: Language) -> Iterator[str]:
    phases: dict[str, Any] = {}
    pad = " " * (TIME_WIDTH + 4)
    for e in events:
        kind = e["kind"]
        if kind == "caption":
            yield f"{pad}| {lang.gettext(e['text'])}"
            continue
        if kind == "violation":
            line = _violation(e, spec, lang)
        elif kind == "state":
            node, phase = e["node"], e["state"].get("phase")
            before, phases[node] = phases.get(node), phase
            if e["cause"] == "init" or before == phase:
                continue  # Boot, or a change of bookkeeping rather than of phase.
            line = f"{node}: {lang.phase(before, str(before))} -> {lang.phase(phase, str(phase))}"
        elif kind in LINES:
            line = LINES[kind](e, lang)
        else:
            continue
        yield f"{e['time']:>{TIME_WIDTH}}ms  {line}"


def _footer(trace: Mapping[str, Any], lang: Language) -> Iterator[str]:
    yield ""
    yield lang.gettext("final state:")
    width = max((len(n) for n in trace["final"]), default=0)
    for node in placement(trace):
        info = trace["final"][node]
        life = "" if info["up"] else "  " + lang.pgettext("node status", "DOWN")
        life += "  " + lang.gettext("paused") if info.get("paused") else ""
        records = len(info["durable"])
        log = (lang.gettext("log: 1 record") if records == 1
               else lang.gettext("log: {count} records", count=str(records)))
        phase = compact(info["state"].get("phase"))
        yield f"  {node:<{width}}  {pad(lang.phase(info['state'].get('phase'), phase), 10)}  {log}{life}"
    yield lang.gettext("verdicts:")
    width = max((len(n) for n in trace["verdicts"]), default=0)
    for name, verdict in sorted(trace["verdicts"].items()):
        yield f"  {name:<{width}}  {_verdict(verdict, lang)}"
    yield lang.gettext("summary:")
    for key, value in sorted(trace["summary"].items()):
        yield f"  {lang.label(f'figure.{key}', key)}: {compact(value)}"
    steps = max((e["step"] for e in trace["events"]), default=0)
    if trace["truncated"]:
        end = lang.gettext("stopped at the limit of {limit} events", limit=str(trace["max_events"]))
    elif trace["quiescent"]:
        end = lang.gettext("ended with nothing more to happen")
    else:
        end = lang.gettext("stopped before the run was over")
    yield lang.gettext("{events} events in {steps} steps; {end}.", events=str(len(trace["events"])),
                       steps=str(steps), end=end)


def _verdict(verdict: str, lang: Language) -> str:
    if verdict == "violated":
        return lang.gettext("VIOLATED")
    return lang.gettext("holds") if verdict == "holds" else verdict


def render_text(trace: Mapping[str, Any], spec: ProtocolSpec | None = None, lang: Language = ENGLISH) -> str:
    """Return the trace as a readable transcript: header, events in words, outcome.

    ``spec`` is the trace's protocol: its title, its parameters' defaults and its findings' templates
    (without it the header names the protocol and a finding is its id). Every word is English unless
    ``lang`` is another language (``simulate --format text --lang zh-hans``).
    """
    lines = [*_header(trace, spec, lang), *_body(trace["events"], spec, lang), *_footer(trace, lang)]
    return "\n".join(lines) + "\n"
