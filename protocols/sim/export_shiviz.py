"""A trace as a ShiViz log (https://bestchai.bitbucket.io/shiviz/).

ShiViz reads a file whose first line is the parsing regular expression, the
second the (here empty) delimiter between executions, and the rest the log:
each event is a line of text followed by ``host {vector clock}``. It draws
the happens-before graph from the clocks alone, so the clocks must be exact:
a local event ticks the host's own entry; a send ticks and stamps the
message with the sender's clock; a delivery merges (pointwise maximum) the
message's stamp and then ticks. ShiViz insists that each host's own entry
counts 1, 2, 3... with no gaps, so a host ticks only for a line it prints.

The event text may be in any language (``lang``): the regex takes any
characters up to the end of the line, and a brace (which could make an event
line pass for a clock line) is written as a parenthesis.

A duplicate carries the stamp of the send it copies: it is the same send,
delivered twice. A lost message is shown where its fate is decided: at the
sender when the network loses it on sending, at the receiver otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from protocols.sim.export_text import finding_words, log_words, message_label, pairs, why_lost
from protocols.sim.words import ENGLISH, Language
from protocols.spec import ProtocolSpec

SHIVIZ_REGEX = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"
"""ShiViz's default parser: event text on one line, ``host {clock}`` on the next."""

SENDER_SIDE_DROPS = ("loss", "overflow")
"""Drop reasons decided as the message is sent, so shown on the sender's line."""

Clock = dict[str, int]


class VectorClocks:
    """Each host's vector clock, and the stamp every message carries."""

    def __init__(self) -> None:
        self.hosts: dict[str, Clock] = {}
        self.stamps: dict[str, Clock] = {}

    def local(self, host: str) -> Clock:
        """Tick ``host`` for a local event; return its new clock."""
        clock = self.hosts.setdefault(host, {})
        clock[host] = clock.get(host, 0) + 1
        return dict(clock)

    def send(self, host: str, msg_id: str) -> Clock:
        """Tick ``host`` for a send and stamp the message with the result."""
        self.stamps[msg_id] = self.local(host)
        return dict(self.stamps[msg_id])

    def copy(self, msg_id: str, of: str) -> None:
        """Give a duplicate the stamp of the message it copies."""
        if of in self.stamps:
            self.stamps[msg_id] = self.stamps[of]

    def receive(self, host: str, msg_id: str) -> Clock:
        """Merge the message's stamp into ``host``'s clock, then tick."""
        clock = self.hosts.setdefault(host, {})
        for other, count in self.stamps.get(msg_id, {}).items():
            clock[other] = max(clock.get(other, 0), count)
        return self.local(host)


def _one_line(text: str) -> str:
    # Braces would let an event line pass for a clock line; newlines would split it.
    return " ".join(text.split()).replace("{", "(").replace("}", ")")


def _host(name: str) -> str:
    return "_".join(name.split()) or "_"  # ShiViz hosts are \S*.


def _entries(events: list[Mapping[str, Any]], clocks: VectorClocks, spec: ProtocolSpec | None,
             lang: Language) -> Iterator[tuple[int, str, str, Clock]]:
    """Yield (time, host, text, clock) for each event ShiViz should show, ticking clocks as it goes."""
    phases: dict[str, Any] = {}
    for e in events:
        kind, node = e["kind"], e.get("node", "")
        if kind == "state":
            before, phases[node] = phases.get(node), e["state"].get("phase")
            if e["cause"] != "init" and before != phases[node]:
                text = lang.gettext("phase {before} -> {after}", before=lang.phase(before, str(before)),
                                    after=lang.phase(phases[node], str(phases[node])))
                yield e["time"], node, text, clocks.local(node)
            continue
        for host, text, clock in _shown(e, clocks, spec, lang):
            yield e["time"], host, text, clock


def _shown(e: Mapping[str, Any], clocks: VectorClocks, spec: ProtocolSpec | None,
           lang: Language) -> Iterator[tuple[str, str, Clock]]:
    kind, node = e["kind"], e.get("node", "")
    if kind == "send":
        msg = e["message"]
        text = lang.gettext("send {message} {msg_id} to {dst}", message=message_label(msg), msg_id=msg["msg_id"],
                            dst=e["dst"])
        yield node, text, clocks.send(node, msg["msg_id"])
    elif kind == "duplicate":
        clocks.copy(e["message"]["msg_id"], e["of"])
    elif kind == "deliver":
        msg = e["message"]
        text = lang.gettext("receive {message} {msg_id} from {src}", message=message_label(msg),
                            msg_id=msg["msg_id"], src=e["src"])
        yield node, text, clocks.receive(node, msg["msg_id"])
    elif kind == "drop":
        msg, where = e["message"], e["src"] if e["reason"] in SENDER_SIDE_DROPS else e["dst"]
        text = lang.gettext("{message} {msg_id} {src} -> {dst} never arrives: {why}", message=message_label(msg),
                            msg_id=msg["msg_id"], src=e["src"], dst=e["dst"], why=why_lost(e, lang))
        yield where, text, clocks.local(where)
    elif kind == "violation":
        text = lang.gettext("VIOLATION {invariant}: {finding}", invariant=e["invariant"],
                            finding=finding_words(e, spec, lang))
        for culprit in e["nodes"]:
            yield culprit, text, clocks.local(culprit)
    elif kind in LOCAL_TEXT:
        yield node, LOCAL_TEXT[kind](e, lang), clocks.local(node)


LOCAL_TEXT: dict[str, Callable[[Mapping[str, Any], Language], str]] = {
    "start": lambda e, lang: lang.gettext("start as {role}", role=lang.label(f"role.{e['role']}", e["role"])),
    "timer": lambda e, lang: lang.gettext("timer {timer} fires", timer=e["timer"]),
    "crash": lambda e, lang: lang.gettext("CRASH"),
    "recover": lambda e, lang: lang.gettext("RECOVER, log: {log}", log=log_words(e["durable"], lang)),
    "pause": lambda e, lang: lang.gettext("PAUSE"),
    "resume": lambda e, lang: lang.gettext("RESUME"),
    "clock": lambda e, lang: lang.gettext("clock rate {rate}x offset {offset}ms", rate=f"{e['rate']:g}",
                                          offset=f"{e['offset_ms']:+d}"),
    "client": lambda e, lang: lang.gettext("client request {request} {body}", request=e["request"],
                                           body=pairs(e["body"])),
    "persist": lambda e, lang: lang.gettext("log {record}", record=pairs(e["record"])),
    "note": lambda e, lang: lang.gettext("note: {text}", text=e["text"]),
}
"""Text for events that happen at one node and involve no message."""


def render_shiviz(trace: Mapping[str, Any], spec: ProtocolSpec | None = None, lang: Language = ENGLISH) -> str:
    """Return the trace as a ShiViz input file: regex, empty delimiter line, then the log.

    ``spec`` (the trace's protocol) gives the findings' words, ``lang`` the language of every label.
    """
    lines = [SHIVIZ_REGEX, ""]
    for time, host, text, clock in _entries(trace["events"], VectorClocks(), spec, lang):
        stamp = json.dumps({_host(h): n for h, n in sorted(clock.items())}, ensure_ascii=False)
        lines += [_one_line(f"{time}ms {text}"), f"{_host(host)} {stamp}"]
    return "\n".join(lines) + "\n"
