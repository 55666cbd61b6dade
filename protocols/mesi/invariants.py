"""What a coherence protocol guarantees, checked from the outside.

- ``single-writer-multiple-readers`` (state, after every step): per line, at
  any moment either one cache may write (M or E) and no other may even read,
  or any number may read (S, and SM_AD/SM_A, which still hold their shared
  copy) and none may write. M or E in one cache means I in all the others:
  the "MESI compatibility" of the states.
- ``directory-agrees`` (state): whenever the directory is not in the middle
  of a transaction on a line, its record is right: the cache holding the
  line in M or E is the recorded owner, and every cache holding it in S is a
  recorded sharer (silent evictions may leave extra sharers listed).
- ``data-value`` (history): every read returns the value of the last write
  to its line, in the order the writes were performed (a write is performed
  when its cache answers write_ok). The finding points at the stale answer.
- ``clients-finish`` (liveness): with every node up and the network whole,
  every client completes all its operations.

Crashed caches are left out of the state checks: a crash loses the lines,
whatever the last state event showed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from protocols.common.cache_clients import CLIENTS_FINISH
from protocols.spec import Finding, Invariant, NodeView

WRITERS = ("M", "E")
READERS = ("S", "SM_AD", "SM_A")
"""States in which a cache holds a copy it could read without asking anyone."""


def _caches(views: Mapping[str, NodeView]) -> list[tuple[str, NodeView]]:
    return [(n, v) for n, v in views.items() if v.role == "cache" and v.up]


def _holders(views: Mapping[str, NodeView]) -> dict[str, dict[str, list[str]]]:
    """Return key -> {"w": caches in M/E, "r": caches with a readable shared copy}."""
    found: dict[str, dict[str, list[str]]] = {}
    for node, view in _caches(views):
        for key, line in view.state.get("lines", {}).items():
            st = line["st"]
            if st in WRITERS:
                found.setdefault(key, {"w": [], "r": []})["w"].append(node)
            elif st in READERS:
                found.setdefault(key, {"w": [], "r": []})["r"].append(node)
    return found


def single_writer(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """One writer and no reader, or readers only, per line."""
    for key, who in sorted(_holders(views).items()):
        writers, readers = who["w"], who["r"]
        if len(writers) > 1:
            yield Finding(nodes=tuple(sorted(writers)), id="two-writers", data={"key": key, "writers": sorted(writers)})
        elif writers and readers:
            yield Finding(nodes=tuple(sorted(writers + readers)), id="writer-and-readers",
                          data={"key": key, "writer": writers[0], "readers": sorted(readers)})


def directory_agrees(views: Mapping[str, NodeView]) -> Iterator[Finding]:
    """Between transactions, the directory's owner and sharers cover every copy."""
    directory = next((v for v in views.values() if v.role == "directory"), None)
    if directory is None or not directory.up:
        return
    lines = directory.state.get("lines", {})
    for node, view in _caches(views):
        for key, line in view.state.get("lines", {}).items():
            record = lines.get(key)
            if record is not None and record["busy"] is not None:
                continue
            st = line["st"]
            owner = record["owner"] if record else None
            sharers = record["sharers"] if record else []
            if st in WRITERS and owner != node:
                yield Finding(nodes=(node,), id="owner-unknown" if owner is None else "owner-differs",
                              data={"node": node, "key": key, "st": st, "owner": owner or ""})
            elif st == "S" and node not in sharers:
                yield Finding(nodes=(node,), id="sharer-unlisted", data={"node": node, "key": key})


def data_value(event: Mapping[str, Any], memo: dict[str, Any]) -> Iterator[Finding]:
    """A read answers with the last write performed on its line."""
    if event["kind"] != "send":
        return
    message = event["message"]
    kind = message["type"]
    if kind not in ("read_ok", "write_ok"):
        return
    body = message["body"]
    key = body["key"]
    if kind == "write_ok":
        memo[key] = body["value"]
        return
    latest = memo.get(key)
    if body["value"] != latest:
        yield Finding(nodes=(event["src"], message["dest"]), cause_seq=event["seq"], id="read-not-last-write",
                      data={"src": event["src"], "dest": message["dest"], "key": key, "value": _shown(body["value"]),
                            "latest": _shown(latest)})


def _shown(value: Any) -> str:
    """Write a line's value as a finding shows it: a write's stamp (``c2:4``), or ∅ for a line never written."""
    return "∅" if value is None else str(value)


INVARIANTS = (
    Invariant(name="single-writer-multiple-readers", kind="state", check=single_writer,
              description="Per line: one cache in M or E and every other Invalid, or any number of readers "
                          "and no writer.",
              findings={"two-writers": "{key} is writable in {writers} at once",
                        "writer-and-readers": "{key} is writable in {writer} while {readers} can still read an old "
                                              "copy"}),
    Invariant(name="directory-agrees", kind="state", check=directory_agrees,
              description="Between transactions the directory knows every copy: the owner of an M or E line, "
                          "each cache with an S copy among the sharers.",
              findings={"owner-differs": "{node} holds {key} in {st} but the directory says owner {owner}",
                        "owner-unknown": "{node} holds {key} in {st} but the directory names no owner",
                        "sharer-unlisted": "{node} holds {key} in S but the directory does not list it"}),
    Invariant(name="data-value", kind="history", check=data_value,
              description="Every read returns the value of the last write to its line.",
              findings={"read-not-last-write": "{src} answered {dest}'s read of {key} with {value}, but the last "
                                               "write was {latest}"}),
    CLIENTS_FINISH,
)
