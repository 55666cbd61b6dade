"""The distributed cache family: five write policies and the stampede on one topology and one workload.

``cache-write-through``, ``cache-write-back``, ``cache-write-behind``,
``cache-write-around`` and ``cache-aside`` place the same nodes (clients ``c1..cN``, caches
``cache1..cacheM``, database ``db``) and draw the same operations for one
seed, so ``manage.py compare`` can set them side by side. ``cache-stampede`` puts the same nodes
under one hot key and a TTL: the herd of misses at expiry, and its remedies. Each module opens
with its own theory of operation; ``detectors`` holds the anomaly checks,
``linearizability`` a register checker other families may reuse.
"""

from __future__ import annotations

from protocols.cache.aside import SPEC as CACHE_ASIDE
from protocols.cache.stampede import SPEC as STAMPEDE
from protocols.cache.write_around import SPEC as WRITE_AROUND
from protocols.cache.write_back import SPEC as WRITE_BACK
from protocols.cache.write_behind import SPEC as WRITE_BEHIND
from protocols.cache.write_through import SPEC as WRITE_THROUGH
from protocols.spec import Catalogue

WRITE_POLICIES = (WRITE_THROUGH, WRITE_BACK, WRITE_BEHIND, WRITE_AROUND, CACHE_ASIDE)
"""The five write policies: one workload of reads and writes, the family's shared tests run over these."""

SPECS = (*WRITE_POLICIES, STAMPEDE)

__all__ = ["CACHE_ASIDE", "SPECS", "STAMPEDE", "WRITE_AROUND", "WRITE_BACK", "WRITE_BEHIND", "WRITE_POLICIES",
           "WRITE_THROUGH"]

CATALOGUE = Catalogue(chapter="Caches", place=1, specs=SPECS)
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
