"""A script of client operations written by hand, shared by the cache family and session-guarantees.

A script replaces the random workload for the clients it names:
``"c1: r k0, w k1; c2: w k0"`` reads as ``{"c1": [("read", "k0"), ("write", "k1")],
"c2": [("write", "k0")]}``. Clients are separated by ``;``, operations by
``,``; an operation is ``r KEY`` or ``w KEY``. Each family sets its own limit
on the number of operations; whether the clients and keys exist is the
family's topology's question, not the syntax's.
"""

from __future__ import annotations

from dataclasses import dataclass

Script = dict[str, list[tuple[str, str]]]
"""Client name -> its operations in order, each ``("read" | "write", key)``."""


@dataclass(frozen=True, kw_only=True)
class ScriptFormat:
    """The script syntax with one family's limit on how many operations a script may hold."""

    max_ops: int

    def parse(self, text: str) -> Script:
        """Read ``"c1: r k0, w k1; c2: w k0"`` into ``{"c1": [("read", "k0"), ("write", "k1")], ...}``."""
        script: Script = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            client, sep, ops = part.partition(":")
            client = client.strip()
            if not sep or not client.startswith("c") or not client[1:].isdigit():
                raise ValueError(f"{part!r} is not 'cN: op, op, ...'")
            if client in script:
                raise ValueError(f"{client} is scripted twice")
            steps = []
            for token in filter(None, (t.strip() for t in ops.split(","))):
                verb, _, key = token.partition(" ")
                if verb not in ("r", "w") or not key.strip():
                    raise ValueError(f"{token!r} is not 'r KEY' or 'w KEY'")
                steps.append(("read" if verb == "r" else "write", key.strip()))
            script[client] = steps
        if sum(len(s) for s in script.values()) > self.max_ops:
            raise ValueError(f"at most {self.max_ops} scripted operations")
        return script

    def check(self, value: str) -> str | None:
        """Say what is wrong with a script, or None."""
        try:
            self.parse(value)
        except ValueError as exc:
            return str(exc)
        return None
