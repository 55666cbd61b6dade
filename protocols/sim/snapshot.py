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

from protocols.sim.clock_watch import relative_stamps

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


def fingerprint(engine: Engine, symmetric: Sequence[Sequence[str]] = (), *, timeless: bool = False,
                ranked: bool = False, relative: bool = False, horizon: int | None = None,
                reach: int | None = None) -> str:
    """Return a canonical description of the world, without ids, for state hashing.

    ``symmetric`` lists groups of interchangeable nodes: the nodes of each group
    are renamed in an order decided by what each holds, so that two worlds that
    differ only by such a renaming get the same description. ``timeless`` leaves
    out the virtual time and the timers' due times (their names stay): for a
    search in which nothing reads the clock (protocols/sim/clock_watch.py), or,
    with a ``horizon``, a world past every constant the clock is compared with.
    ``ranked`` renames the message ids the world holds by their rank (:func:`ranked_ids`).
    ``relative`` writes every time the world holds (the explorer's stamps, clock_watch.py, and
    the timers' due times) as its distance from now, and now itself only while it is at or before
    ``horizon`` (the largest constant a handler compared it with; None: none), for a search whose
    readings of the clock are all relative or such thresholds; a time more than ``reach`` ms before
    now is written only as old (None: every one exactly).
    """
    pending = engine.pending
    now = engine.now
    nodes: list[tuple[Any, ...]]
    if timeless:
        nodes = [(name, rt.up, rt.paused, rt.state, rt.durable, sorted(rt.timers), len(rt.held))
                 for name, rt in engine.nodes.items()]
    else:
        # Relative: a due time already passed is written as now (0): firing that timer leaves the time as
        # it is (the engine moves it to the later of the two), and nothing else sees a due time.
        nodes = [
            (name, rt.up, rt.paused, rt.state, rt.durable,
             sorted((timer, max(pending[pid].due - now, 0) if relative else pending[pid].due)
                    for timer, pid in rt.timers.items()), len(rt.held))
            for name, rt in engine.nodes.items()
        ]
    # The explorer calls this once per transition, and the worlds it makes share
    # their messages: each message's entry is encoded once (message_entry), with a
    # ready-made encoder; the body's text is the same as json.dumps(body,
    # sort_keys=True) would give.
    flights = []
    faults = []
    for p in pending.values():
        message = p.message
        if message is not None:
            flights.append(message_entry(message))
        if p.fault:
            faults.append(_ENCODE(p.fault))
    flights.sort()
    faults.sort()
    partition = sorted(engine.network.partition.items()) if engine.network.partition else None
    if timeless:
        clock = 0 if horizon is None else -1  # -1: past every threshold.
    elif relative:
        clock = now if horizon is not None and now <= horizon else -1  # -1: past every threshold.
    else:
        clock = now
    memory = engine.checker.memory_text(_ENCODE_LENIENT)  # The text _ENCODE_LENIENT gives memory().
    # The text below is a function of these pieces (each node's entry as its text) and the options: a world
    # met again (another order to the same nodes, messages and memory) is looked up, not written again.
    held = tuple(_held_text(entry) for entry in nodes)
    groups = tuple(tuple(group) for group in symmetric)
    key = (clock, now if relative else None, tuple(engine.nodes), held, tuple(flights), tuple(faults),
           None if partition is None else tuple(partition), len(engine._watches), memory,
           groups, timeless, ranked, relative, horizon, reach)
    text = _WORLDS.get(key)
    if text is not None:
        return text
    world = [clock, nodes, flights, faults, partition, len(engine._watches), memory]
    if symmetric and not faults and not engine._watches and partition is None:
        text = _canonical(world, groups, held)  # A fault plan or a partition names nodes inside its text.
    else:
        text = f"{_ENCODE_LENIENT(world[:-1])[:-1]}, {memory}]"
    if relative:
        text = relative_stamps(text, now, reach)
    if ranked:
        text = ranked_ids(text)
    if len(_WORLDS) >= WORLDS_CACHE_LIMIT:
        _WORLDS.clear()
    _WORLDS[key] = text
    return text


_WORLDS: dict[tuple[Any, ...], str] = {}
"""Finished fingerprints, by the pieces and options they are written from (:func:`fingerprint`)."""
WORLDS_CACHE_LIMIT = 20_000
"""Entries kept before the cache starts again: a world's text and its memory's, some kilobytes at most each.
Most worlds met again are met within a level or two of the search."""


_MESSAGE_ID = re.compile(r'"m(\d+)"')
"""A message id as JSON text: the engine names messages m1, m2, ... (nodes are never so named)."""


def ranked_ids(text: str) -> str:
    """Return the text with each message id renamed by its rank among those it holds.

    Ids are names the engine invents from one counter: a world holds them where a
    request is answered (``in_reply_to``), remembered (a state's pending request, a
    history check's messages in flight) or forwarded. Handlers and checks only
    compare them for equality (and every id still to come is larger than all of
    them), so renaming them in order keeps every verdict, and two orders of a run
    that differ only in how the engine numbered its messages look the same.
    """
    numbers = sorted({int(found) for found in _MESSAGE_ID.findall(text)})
    if not numbers:
        return text
    rank = {str(number): index for index, number in enumerate(numbers)}
    return _MESSAGE_ID.sub(lambda found: f'"m#{rank[found.group(1)]}"', text)


_STRING: Callable[[str], str] = json.encoder.encode_basestring_ascii

_FLIGHTS: dict[int, tuple[Any, tuple[str, str, str, str, str]]] = {}
"""A message's entry in the fingerprint, by the identity of the (immutable) message, which clones share."""
FLIGHTS_CACHE_LIMIT = 50_000
"""Entries kept before the cache starts again: each keeps its message alive, a few hundred bytes."""


def message_entry(message: Any) -> tuple[str, str, str, str, str]:
    """Return a message's entry (its ends, type, body as JSON text and the request it answers); remembered.

    Two messages with the same entry are the same choice for the explorer (protocols/sim/explorer.py).
    """
    hit = _FLIGHTS.get(id(message))
    if hit is None or hit[0] is not message:  # Kept alive, so an id is never reused while it is here.
        if len(_FLIGHTS) >= FLIGHTS_CACHE_LIMIT:
            _FLIGHTS.clear()
        body = message.body
        hit = _FLIGHTS[id(message)] = (message, (message.src, message.dest, message.type,
                                                 _ENCODE(body) if body else "{}", message.in_reply_to or ""))
    return hit[1]


_HELD: dict[tuple[int, int], tuple[Any, Any, str, dict[tuple[Any, ...], str]]] = {}
"""Text of a node's state and durable log, by the identity of the two (which worlds share, immutable),
and of its whole entry by the rest of it (life, timers, messages held)."""
HELD_CACHE_LIMIT = 20_000
"""Entries kept before the cache starts again: each keeps its state alive, some kilobytes at most."""


def _held_text(entry: tuple[Any, ...]) -> str:
    """Return a node's entry as JSON text, less its name; states shared with the parent are encoded once."""
    _, up, paused, state, durable, timers, held = entry
    key = (id(state), id(durable))
    hit = _HELD.get(key)
    if hit is None or hit[0] is not state or hit[1] is not durable:  # Kept alive, so an id is never reused.
        if len(_HELD) >= HELD_CACHE_LIMIT:
            _HELD.clear()
        hit = _HELD[key] = (state, durable, _ENCODE_LENIENT([state, durable]), {})
    rest = (up, paused, tuple(timers), held)
    text = hit[3].get(rest)
    if text is None:  # The same string object each time: its hash, for the lookups that follow, is kept.
        text = hit[3][rest] = (f"[{'true' if up else 'false'},{'true' if paused else 'false'},{hit[2]},"
                               f"{_ENCODE_LENIENT(timers) if timers else '[]'},{held}]")
    return text


def _canonical(world: list[Any], groups: tuple[tuple[str, ...], ...], texts: tuple[str, ...]) -> str:
    """Return the world's text with the nodes of each group renamed in the order of their signatures.

    Each node (less its name) and each message (less its ends) is encoded on its own; a
    node's signature is what it holds and what is on its way to or from it, with its
    group's names made anonymous. Renaming is then a substitution of the quoted names
    (a JSON string token is a whole name or not), run only on the pieces that mention
    a member of a group; the pieces are sorted again. Worlds share most of their pieces,
    so each message's pieces are remembered (:func:`_groups_context`). ``texts`` are the nodes' entries
    as :func:`_held_text` writes them, in the order of ``world``'s nodes.
    """
    now, nodes, flights, _, _, watches, memory = world  # The memory comes as its JSON text.
    context = _groups_context(groups)
    mentions, hiders, pieces = context
    held = {entry[0]: text for entry, text in zip(nodes, texts, strict=True)}
    carried = []
    touching: dict[str, list[str]] = {name: [] for _, group, _ in hiders for name in group}
    for flight in flights:
        piece = pieces.get(flight)
        if piece is None:
            if len(pieces) >= TEXTS_CACHE_LIMIT:
                pieces.clear()
            piece = pieces[flight] = _flight_pieces(flight, context)
        carried.append(piece)
        for end, text in piece[3]:
            touching[end].append(text)
    renaming: dict[str, str] = {}
    for _, group, anonymous in hiders:
        signature = {name: (_memo(anonymous, mentions, held[name]), sorted(touching[name])) for name in group}
        ordered = sorted(group, key=lambda name: (signature[name], name))
        renaming.update((old, new) for old, new in zip(ordered, group, strict=True) if old != new)
    rename = _substitution(tuple(sorted(renaming.items()))) if renaming else None
    finished = _FINISHED
    if len(finished) >= TEXTS_CACHE_LIMIT:
        finished.clear()
    node_texts = []
    for name, text in held.items():
        done = finished.get((rename, name, text))
        if done is None:
            done = finished[(rename, name, text)] = (
                f'"{renaming.get(name, name)}",{text if rename is None else _memo(rename, mentions, text)}')
        node_texts.append(done)
    flight_texts = []
    for piece in carried:
        done = finished.get((rename, piece))
        if done is None:
            src, dest, rest, _ = piece
            done = finished[(rename, piece)] = (
                f'"{renaming.get(src, src)}","{renaming.get(dest, dest)}",'
                f'{rest if rename is None else _memo(rename, mentions, rest)}')
        flight_texts.append(done)
    node_texts.sort()
    flight_texts.sort()
    memory_text = memory if rename is None else _memo(rename, mentions, memory)
    return (f"[{now},[{'],['.join(node_texts)}],[{'],['.join(flight_texts)}],[],null,{watches},"
            f"{memory_text}]")


_Hider = tuple[frozenset[str], tuple[str, ...], Callable[[str], str]]
_Context = tuple[Callable[[str], object], tuple[_Hider, ...], dict[Any, Any]]


@functools.lru_cache(maxsize=64)
def _groups_context(groups: tuple[tuple[str, ...], ...]) -> _Context:
    """Return, for groups of interchangeable nodes, the finder of their names, each group's anonymiser,
    and the pieces of each message already made for them."""
    mentions = _mention_finder(tuple(name for group in groups for name in group))
    hiders = tuple((frozenset(group), group, _substitution(tuple((name, "*") for name in group))) for group in groups)
    return mentions, hiders, {}


def _flight_pieces(flight: tuple[str, str, str, str, str], context: _Context) -> tuple[str, str, str,
                                                                                      tuple[tuple[str, str], ...]]:
    """Return a message's ends, its text less its ends, and what it adds to the signature of each group member
    at one of its ends (its text with that group's names made anonymous)."""
    mentions, hiders, _ = context
    src, dest, kind, body, reply = flight
    rest = f"{_STRING(kind)},{_STRING(reply)},{body}"
    touches: list[tuple[str, str]] = []
    for members, _, anonymous in hiders:
        if src in members or dest in members:
            text = (f"{'*' if src in members else src}>{'*' if dest in members else dest}:"
                    f"{_memo(anonymous, mentions, rest)}")
            touches.extend((end, text) for end in sorted({src, dest} & members))
    return src, dest, rest, tuple(touches)


_FINISHED: dict[tuple[Any, ...], str] = {}
"""A node's or a message's final piece of text, by the renaming and what it renames (names, text)."""

_TEXTS: dict[tuple[Callable[[str], str], str], str] = {}
"""Pieces of text already renamed, by renaming: worlds share most of their nodes' and messages' texts."""
TEXTS_CACHE_LIMIT = 10_000
"""Entries kept before the cache starts again: some hundreds of bytes each."""


def _memo(rename: Callable[[str], str], mentions: Callable[[str], object], text: str) -> str:
    """Return ``rename(text)`` if the text mentions a name to rename, else the text; remembered."""
    key = (rename, text)
    done = _TEXTS.get(key)
    if done is None:
        if len(_TEXTS) >= TEXTS_CACHE_LIMIT:
            _TEXTS.clear()
        done = _TEXTS[key] = rename(text) if mentions(text) else text
    return done


@functools.lru_cache(maxsize=256)
def _mention_finder(names: tuple[str, ...]) -> Callable[[str], object]:
    """Return a function saying whether a JSON text holds any of ``names`` as a string token."""
    return re.compile('"(?:' + "|".join(re.escape(name) for name in names) + ')"').search


@functools.lru_cache(maxsize=4096)
def _substitution(pairs: tuple[tuple[str, str], ...]) -> Callable[[str], str]:
    """Return a function renaming, in JSON text, every string token that is exactly a name in ``pairs``."""
    names = dict(pairs)
    pattern = re.compile('"(' + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + ')"')
    return lambda text: pattern.sub(lambda found: f'"{names[found.group(1)]}"', text)
