"""A clock that tells how it is looked at: the explorer's proof of how much time matters.

The explorer abstracts time away (any timer may fire at any point), yet a
handler may read the ``now`` it is given (a lease's expiry, a sweep, a
horizon) and a history check may read an event's ``time``. So while a
search runs, the engine hands handlers (and the checker hands history
checks) a :class:`WatchedNow` instead of a plain int: a *time stamp* that
knows which of its uses are shift-invariant. Three kinds of reading:

* *relative*: one stamp against another (``now - sent``, ``expiry > now``,
  ``max(a, b)``). Shifting every time of a world by the same amount changes
  none of these verdicts.
* *threshold*: the current time against a constant (``now >= duration_ms``,
  a horizon). Time only moves forward, so once it has passed the largest
  such constant every later comparison is decided.
* *absolute*: anything else (formatting, hashing, ``now // 2``, a stored
  stamp against a constant).

Arithmetic that makes a new time (``now + lease_ms``, ``due - 5``) is no
reading at all: it returns a stamp, which the handler may keep in its
state or send. Passing ``now`` on untouched is not a reading either.

Each watch says which readings its search may make (:class:`ClockWatch`):
none (the search leaves the time out of its fingerprints), or relative ones
and thresholds from a known set (the fingerprint then holds every time
relative to the current one, and the current one only until it passes the
largest threshold). Any other reading raises :class:`ClockRead` at once,
and the explorer starts the search again with what that reading needs
(protocols/sim/explorer.py), so a merge made on a wrong assumption is never
reported.

A stamp's int value is its time plus :data:`TIME_BASE`, so the fingerprint
finds stamps in the JSON text of states, messages and the history checks'
memory (:func:`relative_stamps`), and a handler never computes with a
shifted value: every use that would see the base is an absolute reading,
which raises before it returns. Stamps never leave a search: findings are
given back their plain times (:func:`plain_times`).
"""

from __future__ import annotations

import re
from typing import Any

TIME_BASE = 7_000_000 * 10**11
"""Added to a watched time's int value: 7000000 then eleven digits, a pattern no other value in a world
takes (a 64-bit hash falls in that range with odds near 5e-9, and would then only be renamed)."""

MAX_WATCHED_MS = 10**11 - 1
"""Virtual times a stamp can carry (three years): the explorer's worlds are minutes old at most."""

_STAMP = re.compile(r"(?<![\w.\"-])7000000(\d{11})(?![\w.])")
"""A stamp as JSON text: a number token (not inside a word or a name) that is TIME_BASE plus a time."""


class ClockRead(Exception):
    """A reading of the clock that the running search does not allow; the explorer starts again."""

    def __init__(self, kind: str, operation: str, bound: int | None = None, context: str = "") -> None:
        super().__init__(f"{kind} reading of the clock ({operation}, in a {context or 'boot'} command)")
        self.kind = kind
        """``relative``, ``threshold``, ``reach``, ``exact`` or ``absolute``."""
        self.operation = operation
        self.bound = bound
        """For a threshold, the constant the time was compared with; for a reach, the age."""
        self.context = context
        """The explorer's command during which it happened (``deliver``, ``fire``, ``recover``...)."""


class ClockWatch:
    """What the readings of one search may be; shared by every world of that search."""

    __slots__ = ("absolute_in", "context", "current", "last", "reach", "read", "relative", "thresholds", "where")

    def __init__(self, *, relative: bool = False, thresholds: frozenset[int] = frozenset(),
                 reach: int | None = 0, absolute_in: frozenset[str] = frozenset()) -> None:
        self.relative = relative
        """Whether relative readings are allowed (the fingerprint then holds times relative to now)."""
        self.thresholds = thresholds
        """Constants the current time may be compared with (the fingerprint holds the time until past them)."""
        self.reach = reach
        """Ages (ms before now) the fingerprint keeps exactly; older times are written as old. None: all."""
        self.absolute_in = absolute_in
        """Commands during which any reading is allowed: the explorer keeps the absolute time in every world
        from which one of them can still come (a recovery, while a node is down or a crash is left)."""
        self.context = ""
        """The command being carried out, set by the explorer."""
        self.current: int | None = None
        """The current time plus TIME_BASE, set by the explorer before each command and by each new stamp."""
        self.read = False
        self.where = ""
        """The first reading not allowed: which operation (for the explorer's note)."""
        self.last: ClockRead | None = None

    def note(self, operation: str, kind: str = "absolute", bound: int | None = None) -> None:
        """Let an allowed reading pass; raise :class:`ClockRead` for any other."""
        if self.context in self.absolute_in:
            return
        if self.relative and (kind == "relative" or (kind == "exact" and self.reach is None)):
            return
        if kind == "threshold" and bound in self.thresholds:
            return
        if kind == "reach" and self.relative and (self.reach is None or (bound is not None and bound <= self.reach)):
            return
        if not self.read:
            self.read = True
            self.where = operation
        self.last = ClockRead(kind, operation, bound, self.context)
        raise self.last

    def old(self, stamp: int) -> bool:
        """Say whether a stamp (base included) is older than the reach: its fingerprint says only "old"."""
        if self.reach is None:
            return False
        current = self.current
        if current is None:
            self.note("age", "exact")  # Nothing to measure it against: it must be exact.
            return False
        return _plain_sub(current, stamp) > self.reach


_plain_add = int.__add__
_plain_sub = int.__sub__
_plain_eq = int.__eq__


def stamped(value: int, watch: ClockWatch) -> WatchedNow:
    """Return the time ``value`` (not the current one: say, a timer's due time) as a stamp."""
    if not 0 <= value <= MAX_WATCHED_MS:
        raise ValueError(f"virtual time {value} is out of the explorer's range")
    return _stamp(value + TIME_BASE, watch)


def _stamp(value: int, watch: ClockWatch) -> WatchedNow:
    """Return a stamp whose int value (base included) is ``value``."""
    self = int.__new__(WatchedNow, value)
    self.watch = watch
    return self


class OldAge(int):
    """How long ago an old time was (or, negative, how far ahead of it now is): known only to be past the reach.

    Two merged worlds agree on every age up to the watch's reach and on nothing past it, so this
    value may only be compared with a constant no larger than the reach (the answer is then the same
    in both); any other use is a reading that needs every age exact.
    """

    watch: ClockWatch

    def __copy__(self) -> OldAge:
        return self

    def __deepcopy__(self, memo: Any) -> OldAge:
        return self

    def _against(self, other: Any, operation: str) -> None:
        if type(other) is int:
            self.watch.note(operation, "reach", abs(other))  # Decided when |other| is within the reach.
        else:
            self.watch.note(operation, "exact")

    def __eq__(self, other: object) -> bool:
        self._against(other, "__eq__")
        return _plain_eq(self, other)

    def __ne__(self, other: object) -> bool:
        self._against(other, "__ne__")
        return not _plain_eq(self, other)

    def __lt__(self, other: Any) -> bool:
        self._against(other, "__lt__")
        return int.__lt__(self, other)

    def __le__(self, other: Any) -> bool:
        self._against(other, "__le__")
        return int.__le__(self, other)

    def __gt__(self, other: Any) -> bool:
        self._against(other, "__gt__")
        return int.__gt__(self, other)

    def __ge__(self, other: Any) -> bool:
        self._against(other, "__ge__")
        return int.__ge__(self, other)

    def __hash__(self) -> int:
        self.watch.note("__hash__", "exact")
        return int.__hash__(self)


def _old_age(value: int, watch: ClockWatch) -> OldAge:
    age = int.__new__(OldAge, value)
    age.watch = watch
    return age


class WatchedNow(int):
    """A time a handler or a check is given during a search: its uses are checked against its watch."""

    watch: ClockWatch

    def __new__(cls, value: int, watch: ClockWatch) -> WatchedNow:
        """Return the current time ``value`` watched by ``watch``."""
        if not 0 <= value <= MAX_WATCHED_MS:
            raise ValueError(f"virtual time {value} is out of the explorer's range")
        self = _stamp(value + TIME_BASE, watch)
        watch.current = value + TIME_BASE
        return self

    def __reduce__(self) -> Any:
        self.watch.note("__reduce__")
        return (int, (int(self),))

    def __copy__(self) -> WatchedNow:
        return self

    def __deepcopy__(self, memo: Any) -> WatchedNow:
        return self

    def _current(self) -> bool:
        current = self.watch.current
        return current is not None and _plain_eq(self, current)

    def __add__(self, other: Any) -> Any:
        if type(other) is int:
            if self.watch.old(self):
                self.watch.note("__add__", "exact")  # A time derived from an old one: its age is not known.
            return _stamp(_plain_add(self, other), self.watch)  # A time plus a duration: a time.
        self.watch.note("__add__")
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        watch = self.watch
        if type(other) is WatchedNow:
            watch.note("__sub__", "relative")
            difference = _plain_sub(self, other)  # The bases cancel: a duration.
            mine, theirs = watch.old(self), watch.old(other)
            if not mine and not theirs:
                return difference
            if (self._current() and theirs) or (other._current() and mine):
                return _old_age(difference, watch)  # Now against an old time: past the reach either way.
            watch.note("__sub__", "exact")
            return difference
        if type(other) is int:
            if watch.old(self):
                watch.note("__sub__", "exact")
            return _stamp(_plain_sub(self, other), watch)
        watch.note("__sub__")
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        self.watch.note("__rsub__")
        return NotImplemented

    def __hash__(self) -> int:
        self.watch.note("__hash__")
        return int.__hash__(self)

    def _against(self, other: Any, operation: str) -> int | None:
        """Note a comparison; return the other side as a based int, or None when it is not a number."""
        watch = self.watch
        if type(other) is WatchedNow:
            watch.note(operation, "relative")
            if watch.old(self) and watch.old(other):
                watch.note(operation, "exact")  # Two old times: their order is not kept.
            return _plain_add(other, 0)  # Else decided: an old time is before every time within the reach.
        if type(other) is int:
            if self._current():
                watch.note(operation, "threshold", other)
            else:
                watch.note(operation)  # A stored time against a constant: absolute.
            return other + TIME_BASE
        if isinstance(other, int | float):
            watch.note(operation)
        return None

    def __eq__(self, other: object) -> bool:
        based = self._against(other, "__eq__")
        return False if based is None else _plain_eq(self, based)

    def __ne__(self, other: object) -> bool:
        based = self._against(other, "__ne__")
        return True if based is None else not _plain_eq(self, based)

    def __lt__(self, other: Any) -> bool:
        based = self._against(other, "__lt__")
        return NotImplemented if based is None else int.__lt__(self, based)

    def __le__(self, other: Any) -> bool:
        based = self._against(other, "__le__")
        return NotImplemented if based is None else int.__le__(self, based)

    def __gt__(self, other: Any) -> bool:
        based = self._against(other, "__gt__")
        return NotImplemented if based is None else int.__gt__(self, based)

    def __ge__(self, other: Any) -> bool:
        based = self._against(other, "__ge__")
        return NotImplemented if based is None else int.__ge__(self, based)


# Every other operation int defines, but those that build, describe or copy the object itself, is
# an absolute reading (it would see the base).
_NOT_A_READING = frozenset({
    "__new__", "__init__", "__init_subclass__", "__getattribute__", "__setattr__", "__delattr__",
    "__class__", "__subclasshook__", "__dir__", "__doc__", "__getnewargs__", "__reduce__", "__reduce_ex__",
    "__getstate__", "__sizeof__", "__class_getitem__", "__copy__", "__deepcopy__",
})


def _watched(name: str, kind: str) -> Any:
    plain = getattr(int, name)

    def operation(self: Any, *args: Any) -> Any:
        self.watch.note(name, kind)  # An absolute reading always raises; an exact one may pass.
        return plain(self, *args)

    operation.__name__ = name
    return operation


def _watched_property(name: str, kind: str) -> property:
    plain = getattr(int, name)

    def read(self: Any) -> Any:
        self.watch.note(name, kind)
        return plain.__get__(self)

    return property(read)


for _class, _kind in ((WatchedNow, "absolute"), (OldAge, "exact")):
    for _name in dir(int):
        if _name in _NOT_A_READING or _name in _class.__dict__:
            continue
        _attribute = getattr(int, _name)
        if callable(_attribute):
            setattr(_class, _name, _watched(_name, _kind))
        else:  # real, imag, numerator, denominator: descriptors.
            setattr(_class, _name, _watched_property(_name, _kind))


def relative_stamps(text: str, now: int, reach: int | None = None) -> str:
    """Return a world's JSON text with every stamp written as its distance from ``now`` (``"@-40"``).

    A stamp more than ``reach`` ms before now is written ``"@old"`` (None: every one exactly).
    """
    if "7000000" not in text:
        return text
    if reach is None:
        return _STAMP.sub(lambda found: f'"@{int(found.group(1)) - now}"', text)
    oldest = now - reach

    def written(found: re.Match[str]) -> str:
        time = int(found.group(1))
        return f'"@{time - now}"' if time >= oldest else '"@old"'

    return _STAMP.sub(written, text)


def plain_times(value: Any) -> Any:
    """Return ``value`` with every stamp in it replaced by the plain time it stands for."""
    if type(value) is WatchedNow:
        return _plain_sub(value, TIME_BASE)
    if type(value) is OldAge:
        return _plain_add(value, 0)
    if isinstance(value, dict):
        return {k: plain_times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain_times(v) for v in value)
    return value
