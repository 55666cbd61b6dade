"""Ready-made comparisons: the side-by-side runs each family's lesson is built on.

Each is a list of runs in ``manage.py compare`` syntax
(``PROTOCOL[@SCENARIO][:NAME=VALUE,...]``) and shared parameters. A preset
whose protocols are not all registered is left out, so the list only ever
offers what can run.
"""

from __future__ import annotations

from typing import Any

PRESETS: tuple[dict[str, Any], ...] = (
    {"name": "commit-coordinator-crash", "title": "A coordinator crash: 2PC blocks, 3PC decides without it",
     "runs": ["two-phase-commit@coordinator-crash-after-prepare",
              "three-phase-commit@coordinator-crash-after-precommit"], "params": {}},
    {"name": "commit-three-ways", "title": "2PC, 3PC and Paxos Commit when the coordinator crashes",
     "runs": ["two-phase-commit@coordinator-crash-after-prepare",
              "three-phase-commit@coordinator-crash-after-precommit", "paxos-commit@leader-crash"], "params": {}},
    {"name": "three-phase-partition", "title": "3PC under a partition: deciding splits the outcome, waiting blocks",
     "runs": ["three-phase-commit@partition-during-precommit",
              "three-phase-commit@partition-during-precommit:termination=none"], "params": {}},
    {"name": "outbox-dual-write", "title": "Dual write vs outbox vs outbox with an idempotent consumer, under a crash",
     "runs": ["transactional-outbox@db-first-crash-loses-event", "transactional-outbox@outbox-relay-crash-duplicate",
              "transactional-outbox@outbox-relay-crash-idempotent"], "params": {}},
    {"name": "tcc-control-table",
     "title": "TCC without and with its control table: a Cancel overtakes a slow Try, a Confirm is duplicated",
     "runs": ["tcc@cancel-overtakes-try", "tcc@cancel-overtakes-try-controlled", "tcc@duplicate-confirm",
              "tcc@duplicate-confirm-controlled"], "params": {}},
    {"name": "saga-vs-2pc",
     "title": "2PC vs an orchestrated saga: latency, isolation anomalies, and a service down",
     "runs": ["two-phase-commit", "saga-orchestrated@happy-path", "saga-orchestrated@dirty-read",
              "saga-orchestrated@dirty-read-semantic-lock", "two-phase-commit@participant-crash-before-vote",
              "saga-orchestrated@service-down"], "params": {}},
    {"name": "saga-orchestration-vs-choreography",
     "title": "Orchestrated vs choreographed saga: the same anomalies and the same remedy, at a cost in messages",
     "runs": ["saga-orchestrated@happy-path", "saga-choreographed@happy-path:countermeasure=semantic-lock",
              "saga-orchestrated@dirty-read", "saga-choreographed@concurrent-sagas-dirty-read",
              "saga-orchestrated@dirty-read-semantic-lock", "saga-choreographed@concurrent-sagas-semantic-lock"],
     "params": {}},
    {"name": "write-policies", "title": "Cache write policies on one workload",
     "runs": ["cache-write-through", "cache-write-back", "cache-write-around", "cache-aside"],
     "params": {"clients": 3, "keys": 4, "caches": 2}},
    {"name": "write-back-vs-through-crash", "title": "A cache crash: write-back loses writes, write-through none",
     "runs": ["cache-write-back@cache-crash-loses-dirty", "cache-write-through@cache-crash"], "params": {}},
    {"name": "write-policies-crash",
     "title": "Write-through, write-back and write-behind on one workload and one crash",
     "runs": ["cache-write-through@crash-after-three-writes", "cache-write-back@crash-after-three-writes",
              "cache-write-behind@cache-crash-volatile", "cache-write-behind@cache-crash-durable"], "params": {}},
    {"name": "write-back-vs-behind-crash",
     "title": "A cache crash: write-back loses its dirty writes, write-behind with a durable queue none",
     "runs": ["cache-write-back@cache-crash-loses-dirty", "cache-write-behind@cache-crash-durable"], "params": {}},
    {"name": "stampede-remedies",
     "title": "A hot key expires under six readers: no remedy, single-flight, XFetch, leases",
     "runs": ["cache-stampede:remedy=none", "cache-stampede:remedy=single-flight", "cache-stampede:remedy=xfetch",
              "cache-stampede:remedy=lease"],
     "params": {"clients": 6, "caches": 1, "ttl_ms": 300, "think_ms": 20, "ops_per_client": 16, "query_ms": 20,
                "warm": True}},
    {"name": "session-guarantees",
     "title": "Session guarantees: no guarantee, a session token, reads at the primary",
     "runs": ["session-guarantees:guarantee=none", "session-guarantees:guarantee=session-token",
              "session-guarantees:guarantee=primary-reads"],
     "params": {"clients": 3, "keys": 1, "ops_per_client": 8, "lags_ms": "0,200", "wait_ms": 300}},
    {"name": "hot-keys-remedies",
     "title": "A hot key on a ring of four caches: no remedy, a near-cache, replication",
     "runs": ["cache-hot-keys:remedy=none", "cache-hot-keys:remedy=near-cache", "cache-hot-keys:remedy=replicate"],
     "params": {"clients": 6, "caches": 4, "keys": 20, "zipf_s": 2.0, "hot_keys": 3, "replicas": 4,
                "near_ttl_ms": 200, "ops_per_client": 20}},
    {"name": "counters", "title": "Counters: naive, locked, sharded, CRDT",
     "runs": ["counter-naive", "counter-locked", "counter-sharded", "g-counter"],
     "params": {"clients": 3, "increments_per_client": 3}},
    {"name": "fencing", "title": "A paused lock holder, without and with fencing tokens",
     "runs": ["lock-lease@process-pause", "lock-lease@process-pause-fenced"], "params": {}},
    {"name": "lock-holder-pause", "title": "A lock holder paused past its lock: lease, Redis and ZooKeeper locks",
     "runs": ["lock-lease@process-pause", "lock-lease@process-pause-fenced", "redis-lock@process-pause",
              "redis-lock@process-pause-fenced", "zk-lock@session-expires-in-pause-unfenced",
              "zk-lock@session-expires-in-pause"], "params": {}},
    {"name": "redlock-clocks-and-restarts",
     "title": "Redlock under a clock jump and a restart, and what persistence and fencing change",
     "runs": ["redis-lock@clock-jump", "redis-lock@restart-without-persistence",
              "redis-lock@restart-without-persistence:persistence=always", "redis-lock@fenced-restart",
              "redis-lock@fenced-restart:persistence=always"], "params": {}},
    {"name": "lock-herd", "title": "Five clients queue for a ZooKeeper lock: the recipe wakes one waiter, the herd all",
     "runs": ["zk-lock@many-waiters", "zk-lock@many-waiters-herd"], "params": {}},
    {"name": "retry-budget", "title": "A retry storm, without and with a retry budget and breaker",
     "runs": ["service-invocation@retry-storm", "service-invocation@retry-storm-remedied"], "params": {}},
    {"name": "self-preservation", "title": "A registry partition, without and with self-preservation",
     "runs": ["service-registry@registry-partition", "service-registry@registry-partition-self-preservation"],
     "params": {}},
)


def available(registry: Any) -> list[dict[str, Any]]:
    """Return the presets whose every run names a registered protocol and scenario."""
    def runs_ok(preset: dict[str, Any]) -> bool:
        for text in preset["runs"]:
            name, _, scenario = text.partition(":")[0].partition("@")
            spec = registry.get(name)
            if spec is None or (scenario and scenario not in {s.name for s in spec.scenarios}):
                return False
        return True

    return [dict(p) for p in PRESETS if runs_ok(p)]
