"""A clock reading that tells when it is looked at: the explorer's proof that time does not matter.

The explorer abstracts time away (any timer may fire at any point), yet the
virtual time stays in a world's fingerprint, because a handler may read the
``now`` it is given (a lease's expiry, a horizon) and a history check may
read an event's ``time``. Two worlds that differ only in the time (and in
their timers' due times) are merged only when nothing can tell them apart:
the protocol has no history check, and no handler ever *used* the ``now`` it
was handed.

To know the second, the engine hands handlers a :class:`WatchedNow` instead
of a plain int while a search runs with the clock left out. It is an int
whose every operation (arithmetic, comparison, hashing, formatting,
conversion) first records, in a :class:`ClockWatch` shared by every world of
the search, that the clock was read. Passing ``now`` on untouched (say,
into a state field that is never compared) is not a reading; the value then
sits in the state, and so in the fingerprint, where it keeps worlds apart
anyway. If the watch ever records a reading, the explorer throws the search
away and starts again with the time in the fingerprint
(protocols/sim/explorer.py), so a merge made on the assumption is never
reported.
"""

from __future__ import annotations

from typing import Any


class ClockWatch:
    """Whether any handler of a search has read the clock; shared by every world of that search."""

    __slots__ = ("read", "where")

    def __init__(self) -> None:
        self.read = False
        self.where = ""
        """The first reading: which operation (for the explorer's note)."""

    def note(self, operation: str) -> None:
        """Record a reading of the clock."""
        if not self.read:
            self.read = True
            self.where = operation


class WatchedNow(int):
    """An int (the virtual time a handler is given) that notes every use of itself in its watch."""

    watch: ClockWatch

    def __new__(cls, value: int, watch: ClockWatch) -> WatchedNow:
        """Return ``value`` watched by ``watch``."""
        self = super().__new__(cls, value)
        self.watch = watch
        return self

    def __reduce__(self) -> Any:
        self.watch.note("__reduce__")
        return (int, (int(self),))


# Every operation int defines, but those that build, describe or copy the object itself.
_NOT_A_READING = frozenset({
    "__new__", "__init__", "__init_subclass__", "__getattribute__", "__setattr__", "__delattr__",
    "__class__", "__subclasshook__", "__dir__", "__doc__", "__getnewargs__", "__reduce__", "__reduce_ex__",
    "__getstate__", "__sizeof__", "__class_getitem__",
})


def _watched(name: str) -> Any:
    plain = getattr(int, name)

    def operation(self: WatchedNow, *args: Any) -> Any:
        self.watch.note(name)
        return plain(self, *args)

    operation.__name__ = name
    return operation


def _watched_property(name: str) -> property:
    plain = getattr(int, name)

    def read(self: WatchedNow) -> Any:
        self.watch.note(name)
        return plain.__get__(self)

    return property(read)


for _name in dir(int):
    if _name in _NOT_A_READING:
        continue
    _attribute = getattr(int, _name)
    if callable(_attribute):
        setattr(WatchedNow, _name, _watched(_name))
    else:  # real, imag, numerator, denominator: descriptors.
        setattr(WatchedNow, _name, _watched_property(_name))
