"""The service registry's transition table: the single source of truth.

Every (role, phase, input) a registry, provider or consumer can meet is a
row; rows without a handler are deliberate ignores and say why. Most
registry inputs are answered the same in every phase and leave it as it was
(``ANY_PHASE`` to ``STAY``): its phase only says whether the sweep evicts (``serving``), holds back
(``preserving``, self-preservation) or has stopped at the horizon.
"""

from __future__ import annotations

from protocols.base import ANY_PHASE, STAY, Handler, Transition, TransitionTable
from protocols.registry import consumer as c
from protocols.registry import provider as p
from protocols.registry import server as s
from protocols.registry.names import CONSUMER, PROVIDER, REGISTRY

R_PHASES = ("serving", "preserving", "stopped")


def _registry_rows() -> list[Transition]:
    def any_phase(on: str, handler: Handler) -> Transition:
        return Transition(role=REGISTRY, phase=ANY_PHASE, on=on, to=(STAY,), handler=handler)

    rows = [
        Transition(role=REGISTRY, phase="serving", on="start", to=("serving",), handler=s.start),
        Transition(role=REGISTRY, phase=ANY_PHASE, on="recover", to=("serving", "stopped"), handler=s.recover),
        any_phase("msg:register", s.on_register),
        any_phase("msg:heartbeat", s.on_heartbeat),
        any_phase("msg:replicate", s.on_replicate),
        any_phase("msg:peer_unknown", s.on_peer_unknown),
        any_phase("msg:discover", s.on_discover),
        any_phase("msg:watch", s.on_watch),
    ]
    for phase in ("serving", "preserving"):
        rows.append(Transition(role=REGISTRY, phase=phase, on="timer:sweep", to=R_PHASES, handler=s.sweep))
    return rows


def _provider_rows() -> list[Transition]:
    return [
        Transition(role=PROVIDER, phase="registering", on="start", to=("registering",), handler=p.start),
        Transition(role=PROVIDER, phase=ANY_PHASE, on="recover", to=("registering", "stopped"), handler=p.recover),
        Transition(role=PROVIDER, phase="registering", on="msg:register_ok", to=("registering", "up"),
                   handler=p.registered),
        Transition(role=PROVIDER, phase="up", on="msg:register_ok", to=("up",),
                   why="a duplicated or late acknowledgement: this incarnation is already registered"),
        Transition(role=PROVIDER, phase="stopped", on="msg:register_ok", to=("stopped",),
                   why="the horizon has passed: the provider no longer keeps its registration"),
        Transition(role=PROVIDER, phase="registering", on="timer:register_retry", to=("registering", "stopped"),
                   handler=p.retry),
        Transition(role=PROVIDER, phase="up", on="timer:heartbeat", to=("up", "stopped"), handler=p.heartbeat),
        Transition(role=PROVIDER, phase="registering", on="msg:unknown_instance", to=("registering", "stopped"),
                   handler=p.unknown),
        Transition(role=PROVIDER, phase="up", on="msg:unknown_instance", to=("up", "registering", "stopped"),
                   handler=p.unknown),
        Transition(role=PROVIDER, phase="stopped", on="msg:unknown_instance", to=("stopped",),
                   why="the horizon has passed: the provider does not register again"),
        Transition(role=PROVIDER, phase=ANY_PHASE, on="msg:call", to=(STAY,), handler=p.serve),
    ]


def _consumer_rows() -> list[Transition]:
    rows = [
        Transition(role=CONSUMER, phase="discovering", on="start", to=("discovering",), handler=c.start),
        Transition(role=CONSUMER, phase=ANY_PHASE, on="recover", to=("discovering", "stopped"), handler=c.recover),
        # The first answer with instances makes a discovering consumer ready; later ones refresh its cache.
        Transition(role=CONSUMER, phase=ANY_PHASE, on="msg:instances", to=(STAY, "ready"), handler=c.instances),
        Transition(role=CONSUMER, phase=ANY_PHASE, on="msg:call_ok", to=(STAY,), handler=c.answered),
        Transition(role=CONSUMER, phase=ANY_PHASE, on="timer:call_timeout", to=(STAY,), handler=c.timed_out),
    ]
    for phase in ("discovering", "ready"):
        rows += [
            Transition(role=CONSUMER, phase=phase, on="timer:refresh", to=(phase, "stopped"), handler=c.refresh),
            Transition(role=CONSUMER, phase=phase, on="timer:call", to=(phase, "stopped"), handler=c.call),
        ]
    return rows


TABLE = TransitionTable(_registry_rows() + _provider_rows() + _consumer_rows())
