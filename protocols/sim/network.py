"""The simulated network: the one place randomness lives.

Every random decision of a run (a message's delay, whether it is lost or
duplicated, chaos faults, the draw a node receives at start) comes from the
single seeded generator owned by :class:`Network`, in the order the engine
asks for them. Same seed, same questions, same answers: that is what makes a
trace reproducible byte for byte.

Loss and duplication are decided when a message is sent, so a message in
flight is always going to arrive unless a partition, a crash or a user's
command says otherwise. Without ``fifo``, independent delays reorder messages
on the same link; with it, a link never overtakes itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from protocols.spec import Param

NETWORK_PARAMS: tuple[Param, ...] = (
    Param(name="delay_ms_min", kind="int", default=5, min=0, max=60_000,
          help="Shortest one-way message delay, in virtual milliseconds."),
    Param(name="delay_ms_max", kind="int", default=20, min=0, max=60_000,
          help="Longest one-way message delay, in virtual milliseconds."),
    Param(name="loss_probability", kind="float", default=0.0, min=0.0, max=1.0,
          help="Chance that the network silently loses a message."),
    Param(name="duplicate_probability", kind="float", default=0.0, min=0.0, max=1.0,
          help="Chance that the network delivers a message twice."),
    Param(name="fifo", kind="bool", default=False,
          help="Keep each link in order (no overtaking)."),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkOptions:
    """How one directed link behaves; the session's defaults apply where unset."""

    delay_ms_min: int
    delay_ms_max: int
    loss_probability: float
    duplicate_probability: float

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> LinkOptions:
        """Build link options from checked session parameters."""
        low, high = params["delay_ms_min"], params["delay_ms_max"]
        return cls(
            delay_ms_min=min(low, high),
            delay_ms_max=max(low, high),
            loss_probability=params["loss_probability"],
            duplicate_probability=params["duplicate_probability"],
        )


class _LazyRandom:
    """Stand-in for a copied generator: thaws a real one from the snapshot on first use.

    It answers every attribute of :class:`random.Random` by delegation, so the
    network cannot tell it from the generator it replaces: same state, same
    draws. Until then its snapshot is the state, free for further copies.
    """

    __slots__ = ("_rng", "snapshot")

    def __init__(self, snapshot: tuple[Any, ...]) -> None:
        self.snapshot = snapshot
        self._rng: random.Random | None = None

    @property
    def unused(self) -> bool:
        """True while no draw has been made, so the snapshot is still the state."""
        return self._rng is None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # Copying or pickling asks for these; it must not thaw.
        rng = self._rng
        if rng is None:
            rng = self._rng = _thawed(self.snapshot)
            self.snapshot = ()  # 625 numbers: let them go with the last copy that shares them.
        return getattr(rng, name)


def _thawed(snapshot: tuple[Any, ...]) -> random.Random:
    """Return a generator in the state ``snapshot`` (from getstate), without seeding it first."""
    rng = random.Random.__new__(random.Random)
    rng.setstate(snapshot)
    return rng


class Network:
    """Delays, loss, duplication and partitions, all decided by one seeded PRNG."""

    def __init__(self, seed: int, params: Mapping[str, Any]) -> None:
        self.rng = random.Random(seed)
        self.defaults = LinkOptions.from_params(params)
        self.fifo: bool = params["fifo"]
        self.links: dict[tuple[str, str], LinkOptions] = {}
        self.partition: dict[str, int] | None = None
        self._last_due: dict[tuple[str, str], int] = {}

    def copy(self) -> Network:
        """Return an independent copy whose generator continues from the same point."""
        twin = Network.__new__(Network)
        twin.__dict__.update(self.__dict__)
        # Reading a generator's state costs more than the rest of an engine's
        # copy, and the explorer copies one world once per choice. So read it
        # once and share the (immutable) snapshot: both sides get a stand-in
        # that thaws a real generator only if it draws again, and copies of a
        # side that has not drawn reuse the snapshot. Many copies never draw.
        rng: Any = self.rng
        snapshot = rng.snapshot if isinstance(rng, _LazyRandom) and rng.unused else rng.getstate()
        self.rng = cast(random.Random, _LazyRandom(snapshot))
        twin.rng = cast(random.Random, _LazyRandom(snapshot))
        twin.links = dict(self.links)
        twin.partition = dict(self.partition) if self.partition is not None else None
        twin._last_due = dict(self._last_due)
        return twin

    def options(self, src: str, dst: str) -> LinkOptions:
        """Return the options in force on the link src -> dst."""
        return self.links.get((src, dst), self.defaults)

    def transmit(self, src: str, dst: str, now: int) -> list[int]:
        """Decide a sent message's fate: its delivery times (none if lost, two if duplicated)."""
        link = self.options(src, dst)
        if link.loss_probability and self.rng.random() < link.loss_probability:
            return []
        copies = 1
        if link.duplicate_probability and self.rng.random() < link.duplicate_probability:
            copies = 2
        return [self._due(src, dst, now, link) for _ in range(copies)]

    def _due(self, src: str, dst: str, now: int, link: LinkOptions) -> int:
        # A fixed delay draws nothing: the explorer's copies then never touch the generator.
        spread = link.delay_ms_max - link.delay_ms_min
        due = now + link.delay_ms_min + (self.rng.randint(0, spread) if spread else 0)
        if self.fifo:
            due = max(due, self._last_due.get((src, dst), 0))
            self._last_due[(src, dst)] = due
        return due

    def draw(self) -> float:
        """Return a number in [0, 1) for whoever the engine is asking on behalf of."""
        return self.rng.random()

    def choose(self, options: Sequence[Any]) -> Any:
        """Pick one of ``options`` (which must be in a deterministic order)."""
        return options[self.rng.randrange(len(options))]

    def split(self, groups: Iterable[Iterable[str]]) -> None:
        """Cut the network into groups: messages cross no boundary until healed."""
        self.partition = {}
        for index, group in enumerate(groups):
            for node in group:
                self.partition[node] = index

    def heal(self) -> None:
        """Remove every partition."""
        self.partition = None

    def connected(self, src: str, dst: str) -> bool:
        """Say whether a message can currently pass from src to dst."""
        if self.partition is None or src == dst:
            return True
        # A node named in no group is alone on its own side.
        side = self.partition.get(src)
        return side is not None and side == self.partition.get(dst)
