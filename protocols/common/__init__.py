"""Pieces several protocol families share: a seeded generator, workloads, hash rings.

All pure: randomness comes from a seed the simulator hands a node
(``Start.draw``) and is carried in the node's own state as an integer.
"""
