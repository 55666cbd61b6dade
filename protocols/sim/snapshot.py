"""Canonical descriptions of a world, for the explorer's state hashing.

Kept out of the engine: only the explorer needs them, and they are the
explorer's hottest code after the handlers themselves.

A fingerprint holds everything that decides what can happen next and what
the checker will say about it: each node's state, durable log, timers (with
their due times) and life; the messages in flight (with the request each
answers); the virtual time, which handlers may read; planned faults; and
the memory of the history invariants. Only names the engine invents (message
and timer ids, event sequence numbers outside the checkers' memory) are left
out.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from protocols.sim.engine import Engine


def _canonical_default(value: Any) -> Any:
    """Encode what JSON cannot: sets sorted (so their text is stable), anything else as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return str(value)


# The encoders json.dumps(..., sort_keys=True) and json.dumps(..., sort_keys=True,
# default=...) build afresh on every call; the fingerprint reuses these.
_CANONICAL = json.JSONEncoder(sort_keys=True)
_CANONICAL_LENIENT = json.JSONEncoder(sort_keys=True, default=_canonical_default)


def _one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """Return a function giving ``encoder.encode(value)``'s text, without building a C encoder per call.

    ``JSONEncoder.encode`` makes a new C-level encoder on every call; the symmetric fingerprint
    encodes a dozen small pieces per world, where that setup was most of the cost.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode  # No C accelerator here: the plain (slower) path, same text.
    iterencode = make(None, encoder.default, json.encoder.encode_basestring_ascii, None, ": ", ", ",
                      True, False, True)
    return lambda value: "".join(iterencode(value, 0))


_ENCODE = _one_shot(_CANONICAL)
_ENCODE_LENIENT = _one_shot(_CANONICAL_LENIENT)


def fingerprint(engine: Engine, symmetric: Sequence[Sequence[str]] = ()) -> str:
    """Return a canonical description of the world, without ids, for state hashing.

    ``symmetric`` lists groups of interchangeable nodes: the nodes of each group
    are renamed in an order decided by what each holds, so that two worlds that
    differ only by such a renaming get the same description.
    """
    pending = engine.pending
    nodes = [
        (name, rt.up, rt.paused, rt.state, rt.durable,
         sorted((timer, pending[pid].due) for timer, pid in rt.timers.items()), len(rt.held))
        for name, rt in engine.nodes.items()
    ]
    # The explorer calls this once per transition, so each message body is
    # encoded once per call (resends share an empty body, duplicates share
    # the original's) with a ready-made encoder; the text is the same as
    # json.dumps(body, sort_keys=True) would give.
    bodies: dict[int, str] = {}
    flights = []
    faults = []
    for p in pending.values():
        message = p.message
        if message is not None:
            body = message.body
            text = bodies.get(id(body))
            if text is None:
                text = bodies[id(body)] = _ENCODE(body) if body else "{}"
            flights.append((message.src, message.dest, message.type, text, message.in_reply_to or ""))
        if p.fault:
            faults.append(_ENCODE(p.fault))
    flights.sort()
    faults.sort()
    partition = sorted(engine.network.partition.items()) if engine.network.partition else None
    world = [engine.now, nodes, flights, faults, partition, len(engine._watches), engine.checker.memory()]
    if symmetric and not faults and not engine._watches and partition is None:
        return _canonical(world, symmetric)  # A fault plan or a partition names nodes inside its text.
    return _ENCODE_LENIENT(world)


def _canonical(world: list[Any], groups: Sequence[Sequence[str]]) -> str:
    """Return the world's text with the nodes of each group renamed in the order of their signatures.

    Each node and each message is encoded on its own; renaming is then a substitution of the
    quoted names (a JSON string token is a whole name or not), and the pieces are sorted again.
    """
    now, nodes, flights, _, _, watches, memory = world
    node_texts = {entry[0]: _ENCODE_LENIENT(entry) for entry in nodes}
    flight_texts = [(src, dest, f"{_ENCODE([src, dest, kind, reply])[:-1]},{body}]")
                    for src, dest, kind, body, reply in flights]
    renaming: dict[str, str] = {}
    for group in groups:
        anonymous = _substitution(tuple((name, "*") for name in group))
        # A node's signature: what it holds and what is on its way to or from it, its group anonymous.
        signature = {name: (anonymous(node_texts[name][len(name) + 4:]),
                            sorted(anonymous(text) for src, dest, text in flight_texts if name in (src, dest)))
                     for name in group}
        ordered = sorted(group, key=lambda name: (signature[name], name))
        renaming.update((old, new) for old, new in zip(ordered, group, strict=True) if old != new)
    rename = _substitution(tuple(sorted(renaming.items()))) if renaming else (lambda text: text)
    return (f"[{now},[{','.join(sorted(rename(text) for text in node_texts.values()))}],"
            f"[{','.join(sorted(rename(text) for _, _, text in flight_texts))}],[],null,{watches},"
            f"{rename(_ENCODE_LENIENT(memory))}]")


@functools.lru_cache(maxsize=4096)
def _substitution(pairs: tuple[tuple[str, str], ...]) -> Callable[[str], str]:
    """Return a function renaming, in JSON text, every string token that is exactly a name in ``pairs``."""
    names = dict(pairs)
    pattern = re.compile('"(' + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + ')"')
    return lambda text: pattern.sub(lambda found: f'"{names[found.group(1)]}"', text)
