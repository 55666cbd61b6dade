"""The saga's events: their ids, and who subscribes to which.

An event id names the saga, what happened and where: ``g1.done.s2`` (saga
``g1``'s step ran at ``s2``), ``g1.failed.s3`` (its step at ``s3`` was
refused), ``g1.undone.s2`` (``s2`` compensated its step). The id is fixed by
the saga and the step, not by the publication: a relay that publishes a row
twice publishes the same id twice, which is what a consumer's dedup table
recognises.

Subscriptions (the broker's routing, the choreography itself):

- ``done`` at ``sk`` goes to ``s(k+1)``, which runs the next step; ``done``
  at the last service is the saga's completion and goes to every other
  service when they keep semantic locks (each releases its own on it);
  otherwise nobody needs it.
- ``failed`` and ``undone`` at ``sk`` go to ``s(k-1)``, which compensates:
  compensations flow back in reverse order, each in reaction to the next
  one's event. At ``s1`` nobody listens: the saga is over.
"""

from __future__ import annotations

KINDS = ("done", "failed", "undone")
"""What an event says happened at its service."""


def service(k: int) -> str:
    """Return the name of the k-th service."""
    return f"s{k}"


def number(node: str) -> int:
    """Return a service's position in the saga (``s2`` -> 2)."""
    return int(node[1:])


def saga(n: int) -> str:
    """Return the id of the n-th saga."""
    return f"g{n}"


def saga_number(name: str) -> int:
    """Return a saga's number (``g2`` -> 2)."""
    return int(name[1:])


def event_id(saga_name: str, kind: str, step: int) -> str:
    """Return the id of an event: ``g1.done.s2``."""
    return f"{saga_name}.{kind}.s{step}"


def parse(event: str) -> tuple[str, str, int]:
    """Return an event id's saga, kind and step."""
    saga_name, kind, where = event.split(".")
    return saga_name, kind, int(where[1:])


def subscribers(event: str, services: int, locks: bool) -> list[str]:
    """Return the services an event is delivered to (``locks``: they keep semantic locks)."""
    _, kind, step = parse(event)
    if kind == "done" and step < services:
        return [service(step + 1)]
    if kind == "done":
        return [service(k) for k in range(1, services)] if locks else []
    return [service(step - 1)] if step > 1 else []
