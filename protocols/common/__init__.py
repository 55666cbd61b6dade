"""Pieces several protocol families share: a seeded generator, workloads, hash rings, clients, calls.

No family imports another (tests/protocols/test_boundaries.py): what two
share lives here. ``counter_clients``, ``counter_reads`` and
``counter_figures`` serve the replicated counters (g-counter, pn-counter,
counter-sharded, counter-bft); ``cache_clients`` and ``cache_figures`` the
coherence protocols (mesi, consistent-hashing); ``calls/`` service-invocation
and service-mesh. Nothing here imports a family.

All pure: randomness comes from a seed the simulator hands a node
(``Start.draw``) and is carried in the node's own state as an integer.
"""
