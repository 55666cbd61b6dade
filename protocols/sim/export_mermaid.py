"""A trace as a Mermaid sequence diagram, for slides, READMEs and issues.

One lane per node in placement order. A message is drawn once, when it is
delivered (Mermaid has no notion of time in flight), as ``src->>dst``; a
message that never arrives is a crossed arrow ``src-xdst`` with a note
saying why. Phase changes, log writes, the protocol's notes, faults,
captions and violations are notes over the lanes concerned.

Mermaid reads ``;`` as a statement separator, ``#`` as the start of an
entity code and ``%%`` as a comment, and node names may collide with its
keywords (``end``, ``loop``...). Every label goes through :func:`escape`
(entity codes, e.g. ``#59;``) and every node gets a safe identifier, with
its real name as the alias when the two differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from protocols.sim.export_text import compact, finding_words, log_words, message_label, pairs, placement, why_lost
from protocols.sim.words import ENGLISH, Language
from protocols.spec import ProtocolSpec

INDENT = "    "

KEYWORDS = frozenset((
    "activate", "actor", "and", "alt", "as", "autonumber", "box", "break", "create", "critical",
    "deactivate", "destroy", "else", "end", "left", "link", "links", "loop", "note", "of", "opt",
    "over", "par", "participant", "rect", "right", "sequencediagram", "title",
))
"""Words Mermaid's sequence grammar reserves; a node named so gets an alias."""

_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

_ESCAPES = {c: f"#{ord(c)};" for c in "#;%<>\"&{}"}
"""Characters Mermaid would take for syntax, as its decimal entity codes."""


def escape(text: str) -> str:
    """Return ``text`` on one line with Mermaid's syntax characters as entity codes."""
    return "".join(_ESCAPES.get(c, c) for c in " ".join(str(text).split()))


def participant_ids(nodes: Sequence[str]) -> dict[str, str]:
    """Map each node to a Mermaid identifier: its own name when safe, else ``n<index>``."""
    ids: dict[str, str] = {}
    for index, node in enumerate(nodes):
        safe = _SAFE_ID.fullmatch(node) and node.lower() not in KEYWORDS and not re.fullmatch(r"n\d+", node)
        ids[node] = node if safe else f"n{index}"
    return ids


class _Diagram:
    """The lanes of one diagram and the lines drawn so far."""

    def __init__(self, nodes: Sequence[str]) -> None:
        self.nodes = list(nodes)
        self.ids = participant_ids(self.nodes)
        self.lines = ["sequenceDiagram"]
        for node in self.nodes:
            alias = "" if self.ids[node] == node else f" as {escape(node)}"
            self.lines.append(f"{INDENT}participant {self.ids[node]}{alias}")

    def note(self, over: Sequence[str], text: str) -> None:
        """Add a note spanning the leftmost to the rightmost of ``over`` (every lane if empty)."""
        lanes = sorted((n for n in over if n in self.ids), key=self.nodes.index) or self.nodes
        span = self.ids[lanes[0]] if len(lanes) == 1 else f"{self.ids[lanes[0]]},{self.ids[lanes[-1]]}"
        self.lines.append(f"{INDENT}Note over {span}: {escape(text)}")

    def arrow(self, src: str, arrow: str, dst: str, label: str) -> None:
        """Add a message arrow between two lanes."""
        self.lines.append(f"{INDENT}{self.ids[src]}{arrow}{self.ids[dst]}: {escape(label)}")


def _draw(diagram: _Diagram, events: Sequence[Mapping[str, Any]], spec: ProtocolSpec | None, lang: Language) -> None:
    phases: dict[str, Any] = {}
    copies: set[str] = set()
    for e in events:
        kind, node = e["kind"], e.get("node", "")
        if kind == "duplicate":
            copies.add(e["message"]["msg_id"])
        elif kind in ("deliver", "drop") and e["src"] in diagram.ids and e["dst"] in diagram.ids:
            msg = e["message"]
            label = message_label(msg, upper=False) + (lang.gettext(" (copy)") if msg["msg_id"] in copies else "")
            diagram.arrow(e["src"], "->>" if kind == "deliver" else "-x", e["dst"], label)
            if kind == "drop":
                diagram.note([e["src"], e["dst"]], lang.gettext("{msg_id} never arrives: {why}", msg_id=msg["msg_id"],
                                                                why=why_lost(e, lang)))
        elif kind == "state":
            before, phases[node] = phases.get(node), e["state"].get("phase")
            if e["cause"] != "init" and before != phases[node]:
                diagram.note([node], lang.phase(phases[node], compact(phases[node])))
        elif kind == "violation":
            diagram.note(e["nodes"], lang.gettext("VIOLATION {invariant}: {finding}", invariant=e["invariant"],
                                                  finding=finding_words(e, spec, lang)))
        elif kind in ("partition", "heal", "caption"):
            diagram.note([], _wide_text(e, lang))
        elif kind == "persist" and "stream" in e["record"]:
            continue  # a client's bookkeeping (its next op and random stream state), not what the reader follows
        elif kind in NODE_TEXT and node in diagram.ids:
            diagram.note([node], NODE_TEXT[kind](e, lang))


def _wide_text(e: Mapping[str, Any], lang: Language) -> str:
    if e["kind"] == "partition":
        return lang.gettext("partition {groups}", groups=" | ".join(compact(g) for g in e["groups"]))
    return lang.gettext("network healed") if e["kind"] == "heal" else lang.gettext(str(e["text"]))


NODE_TEXT: dict[str, Callable[[Mapping[str, Any], Language], str]] = {
    "crash": lambda e, lang: lang.gettext("CRASH"),
    "recover": lambda e, lang: lang.gettext("RECOVER, log: {log}", log=log_words(e["durable"], lang)),
    "pause": lambda e, lang: lang.gettext("PAUSE"),
    "resume": lambda e, lang: lang.gettext("RESUME"),
    "clock": lambda e, lang: lang.gettext("clock {rate}x, {offset}ms", rate=f"{e['rate']:g}",
                                          offset=f"{e['offset_ms']:+d}"),
    "client": lambda e, lang: lang.gettext("client asks {request} {body}", request=e["request"],
                                           body=pairs({k: v for k, v in e["body"].items() if k != "stream"})),
    "persist": lambda e, lang: lang.gettext("log {record}", record=pairs(e["record"])),
    "note": lambda e, lang: str(e["text"]),
}
"""Notes over a single lane, by event kind."""


def render_mermaid(trace: Mapping[str, Any], spec: ProtocolSpec | None = None, lang: Language = ENGLISH) -> str:
    """Return the trace as a Mermaid ``sequenceDiagram``.

    ``spec`` (the trace's protocol) gives the findings' words, ``lang`` the language of every note.
    """
    diagram = _Diagram(placement(trace))
    _draw(diagram, trace["events"], spec, lang)
    return "\n".join(diagram.lines) + "\n"
