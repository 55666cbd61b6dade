"""What each summary figure is called in words: the compare table's row labels.

A protocol's ``summarize`` returns figures under short identifiers that
families share (``hit_ratio``, ``latency_p50``), so ``manage.py compare`` and
the compare page can set protocols side by side. People read them under the
labels below, English here and translated at the edge like every protocol
text (dashboard/protocol_texts.py extracts them). A figure only one protocol
has may be labelled in its own spec instead (``ProtocolSpec.figures``), so a
new protocol touches only its package; :func:`labels` gathers both.
``tests/dashboard/test_findings.py`` fails when a protocol's summary holds a
figure without a label.
"""

from __future__ import annotations

import functools

FIGURES: dict[str, str] = {
    "acknowledged_decrements": "Decrements acknowledged",
    "acknowledged_increments": "Increments acknowledged",
    "acquire_ms_p50": "Time to acquire the lock p50 (ms)",
    "acquire_ms_p99": "Time to acquire the lock p99 (ms)",
    "amplification": "Amplification (attempts per call)",
    "behaviours": "Replica behaviours",
    "blocked_ms": "Time blocked (ms)",
    "breaker_transitions": "Breaker transitions",
    "calls": "Calls",
    "changes": "Membership changes",
    "convergence_time": "Time to converge (ms)",
    "db_reads": "Database reads",
    "db_writes": "Database writes",
    "decided_at_ms": "Decided at (ms)",
    "detection_time": "Time to detect a crash (ms)",
    "evictions": "Evictions",
    "executions_duplicated": "Executions duplicated",
    "failures": "Failed calls",
    "false_evictions": "False evictions",
    "final_values": "Final values",
    "grants": "Lock grants",
    "hit_ratio": "Hit ratio",
    "invalidations": "Invalidations",
    "keys_moved": "Keys moved",
    "keys_moved_modulo": "Keys moved by modulo placement",
    "latency_p50": "Latency p50 (ms)",
    "latency_p99": "Latency p99 (ms)",
    "linearizable": "Linearizable",
    "load_per_node": "Load per node",
    "lost_updates": "Lost updates",
    "lost_writes": "Lost writes",
    "max_queue": "Longest queue",
    "max_staleness": "Greatest staleness (ms)",
    "max_token": "Highest token",
    "messages_per_op": "Messages per operation",
    "messages_per_read": "Messages per read",
    "messages_sent": "Messages sent",
    "nonlinearizable_key": "First key not linearizable",
    "outcome": "Outcome",
    "partial_reads": "Partial reads",
    "participant_phases": "Participants' phases",
    "policy_versions": "Policy versions",
    "reads": "Reads",
    "reads_correct": "Correct reads",
    "reads_undecided": "Undecided reads",
    "reads_wrong": "Wrong reads",
    "registrations": "Registrations",
    "retries": "Retries",
    "stale_discoveries": "Stale discoveries",
    "stale_reads": "Stale reads",
    "stale_writes_accepted": "Stale writes accepted",
    "stale_writes_rejected": "Stale writes rejected",
    "successes": "Successful calls",
    "two_holders": "Two holders at once",
    "unavailable_ms": "Lock unavailable after a holder crash (ms)",
    "writes": "Writes",
    "write_latency_p50": "Write latency p50 (ms)",
    "write_latency_p99": "Write latency p99 (ms)",
}
"""The summary figures families share: identifier -> English label."""


@functools.cache
def labels() -> dict[str, str]:
    """Return every summary figure's English label: the shared ones, then each protocol's own (``spec.figures``).

    Computed once (the registry does not change while the process runs); the dict is read-only.

    Raises ValueError when a protocol labels a figure differently from another protocol or from the shared
    list: one identifier is one row of the compare table, under one label.
    """
    from protocols import REGISTRY  # Here, not at the top: the protocols' packages import this module's siblings.

    found = dict(FIGURES)
    for spec in REGISTRY.values():
        for name, text in spec.figures.items():
            if found.setdefault(name, text) != text:
                raise ValueError(f"{spec.name} labels figure {name!r} {text!r}, elsewhere {found[name]!r}")
    return found


def label(name: str) -> str:
    """Return a figure's English label (its identifier when it has none: the tests forbid that)."""
    return labels().get(name, name)
