"""The distributed cache family: five write policies on one topology and one workload.

``cache-write-through``, ``cache-write-back``, ``cache-write-behind``,
``cache-write-around`` and ``cache-aside`` place the same nodes (clients ``c1..cN``, caches
``cache1..cacheM``, database ``db``) and draw the same operations for one
seed, so ``manage.py compare`` can set them side by side. Each module opens
with its own theory of operation; ``detectors`` holds the anomaly checks,
``linearizability`` a register checker other families may reuse.
"""

from __future__ import annotations

from protocols.cache.aside import SPEC as CACHE_ASIDE
from protocols.cache.write_around import SPEC as WRITE_AROUND
from protocols.cache.write_back import SPEC as WRITE_BACK
from protocols.cache.write_behind import SPEC as WRITE_BEHIND
from protocols.cache.write_through import SPEC as WRITE_THROUGH
from protocols.spec import Catalogue

SPECS = (WRITE_THROUGH, WRITE_BACK, WRITE_BEHIND, WRITE_AROUND, CACHE_ASIDE)

__all__ = ["CACHE_ASIDE", "SPECS", "WRITE_AROUND", "WRITE_BACK", "WRITE_BEHIND", "WRITE_THROUGH"]

CATALOGUE = Catalogue(chapter="Caches", place=1, specs=SPECS)
"""Where this package's protocols stand in the catalogue (found by ``protocols.REGISTRY``)."""
