"""Is a history of reads and writes on registers linearizable? (Wing & Gong, with memoization)

A history is linearizable if every operation can be given a single instant
between its invocation and its response such that, in that order, each read
returns the value of the last write before it (or the initial value).
Registers are independent (a property of linearizability: it is *local*),
so each key is checked on its own: :func:`check_registers`.

The search is Wing and Gong's: repeatedly pick an operation that may come
first (one invoked before every pending operation has responded), apply it
to the register, recurse; backtrack on a read that does not match. Lowe's
improvement memoizes the pairs (set of operations done, register value)
already known to fail, which turns most histories from exponential into
quick. Operations that never responded (a write that timed out) may take
effect at any instant after their invocation, or never: they are optional.

Limits keep the verdict cheap: more than ``max_ops`` operations on one key,
or more than ``MAX_STATES`` search states, and the answer is ``None`` (too
big to say). Any family may use it: build :class:`RegisterOp` lists per key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_OPS_PER_KEY = 200
"""Beyond this many operations on one key the verdict is ``None``: the search could take too long."""

MAX_STATES = 50_000
"""Search states explored (over all keys of one check) before giving up with ``None``: about a
second of Python at worst, and most histories need about one state per operation."""

_NEVER = float("inf")


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterOp:
    """One operation on a register: a read that returned ``value`` or a write of ``value``.

    ``call`` and ``ret`` are the instants of invocation and response, in any
    totally ordered unit (event seq numbers, times); ``ret`` is None for an
    operation that never responded.
    """

    kind: str  # "read" or "write"
    value: Any
    call: float
    ret: float | None = None


def check_register(ops: Sequence[RegisterOp], initial: Any = None, max_ops: int = MAX_OPS_PER_KEY,
                   max_states: int = MAX_STATES) -> bool | None:
    """Return True if the single-register history is linearizable, False if not, None if too big."""
    return _check(ops, initial, max_ops, max_states)[0]


def _check(ops: Sequence[RegisterOp], initial: Any, max_ops: int, max_states: int) -> tuple[bool | None, int]:
    """Return the verdict and how many search states it took."""
    # A read that never answered constrains nothing. A write that never answered is optional, and
    # if no read returned its value it may as well never have happened: leaving it out changes no
    # verdict (no read sits between it and the next write) and spares the search most branches.
    observed = {op.value for op in ops if op.kind == "read" and op.ret is not None}
    history = sorted((op for op in ops if op.ret is not None or (op.kind == "write" and op.value in observed)),
                     key=lambda o: o.call)
    if len(history) > max_ops:
        return None, 0
    for op in history:
        if op.kind not in ("read", "write"):
            raise ValueError(f"unknown register operation {op.kind!r}")
        if op.ret is not None and op.ret < op.call:
            raise ValueError(f"operation answered before it was invoked: {op}")
    calls = [op.call for op in history]
    rets = [op.ret if op.ret is not None else _NEVER for op in history]
    required = 0
    for i, op in enumerate(history):
        if op.ret is not None:
            required |= 1 << i
    return _search(history, calls, rets, required, initial, max_states)


def _search(history: Sequence[RegisterOp], calls: Sequence[float], rets: Sequence[float],
            required: int, initial: Any, max_states: int) -> tuple[bool | None, int]:
    """Depth-first search over linearization prefixes, with failed states memoized."""
    n = len(history)
    failed: set[tuple[int, Any]] = set()
    stack: list[tuple[int, Any, int]] = [(0, initial, 0)]  # (done mask, register value, next candidate)
    explored = 0
    while stack:
        done, value, start = stack.pop()
        if done & required == required:
            return True, explored
        bound = min(rets[i] for i in range(n) if not done >> i & 1)
        child = None
        for i in range(start, n):
            if calls[i] > bound:
                break  # Sorted by call: every later one starts after some pending operation ended.
            if done >> i & 1:
                continue
            op = history[i]
            if op.kind == "read" and op.value != value:
                continue
            after = op.value if op.kind == "write" else value
            if (done | 1 << i, after) not in failed:
                child = (i, after)
                break
        if child is None:
            failed.add((done, value))  # Every way on from here fails.
            continue
        explored += 1
        if explored > max_states:
            return None, explored
        i, after = child
        stack.append((done, value, i + 1))  # Come back for the next candidate.
        stack.append((done | 1 << i, after, 0))
    return False, explored


def check_registers(histories: Mapping[Any, Sequence[RegisterOp]], initial: Any = None,
                    max_ops: int = MAX_OPS_PER_KEY) -> tuple[bool | None, Any]:
    """Check each key's history; return (verdict, first non-linearizable key or None).

    The verdict is False as soon as one key fails, None if none fails but
    one was too big to check, True otherwise.
    """
    verdict: bool | None = True
    budget = MAX_STATES  # Shared by all keys, so many keys cannot multiply the cost.
    for key in sorted(histories, key=str):
        result, used = _check(histories[key], initial, max_ops, max(budget, 0))
        budget -= used
        if result is False:
            return False, key
        if result is None:
            verdict = None
    return verdict, None


def register_ops(operations: Iterable[Mapping[str, Any]]) -> dict[Any, list[RegisterOp]]:
    """Group finished client operations (see ``history``) into register histories per key.

    A read counts only if it was answered; a write that was answered counts
    with its response; one that failed *definitely* is left out; one that
    timed out or whose client crashed may have taken effect, so it stays,
    without a response.
    """
    per_key: dict[Any, list[RegisterOp]] = {}
    for op in operations:
        if op["op"] == "read":
            if not op.get("ok"):
                continue
            item = RegisterOp(kind="read", value=op["value"], call=op["s0"], ret=op["s1"])
        else:
            if not op.get("ok") and op.get("definite"):
                continue
            item = RegisterOp(kind="write", value=op["value"], call=op["s0"], ret=op["s1"] if op.get("ok") else None)
        per_key.setdefault(op["key"], []).append(item)
    return per_key
