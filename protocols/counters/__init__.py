"""Distributed counters and locks: a shared counter, a lease lock with fencing tokens.

Three protocols share this package and its node names (``c1..cN``, ``lock``,
``store``), so ``manage.py compare`` can run them on one workload and seed:

- ``counter-naive`` (:mod:`protocols.counters.naive`): read, add one, write
  back; concurrent increments overwrite each other.
- ``lock-lease`` (:mod:`protocols.counters.lease`): a lock service grants
  leases with a time to live; with ``fencing`` every grant carries a token and
  the store refuses a token lower than the highest it has seen.
- ``counter-locked`` (:mod:`protocols.counters.locked`): the naive counter
  made correct by taking the fenced lock around its read-modify-write.

Shared parts: :mod:`params` (workload parameters), :mod:`client` (think time,
numbered operations, recovery), :mod:`lock_client` (acquire, lease check,
release), :mod:`lock_service`, :mod:`store`, :mod:`invariants` (the
detectors), :mod:`summary` and :mod:`scenarios`.
"""

from protocols.counters.lease import SPEC as LOCK_LEASE
from protocols.counters.locked import SPEC as COUNTER_LOCKED
from protocols.counters.naive import SPEC as COUNTER_NAIVE
from protocols.spec import Catalogue

CATALOGUE = Catalogue(chapter="Counters and locks", place=1, specs=(COUNTER_NAIVE, LOCK_LEASE, COUNTER_LOCKED))
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
