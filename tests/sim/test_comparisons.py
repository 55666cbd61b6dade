"""The ready-made comparisons each family's lesson rests on: run them and check the lesson shows."""

from __future__ import annotations

from typing import Any

import pytest

from protocols import REGISTRY, get_protocol
from protocols.comparisons import PRESETS, available
from protocols.sim.compare import compare, parse_run, table


def run_preset(name: str, seed: int) -> list[dict[str, Any]]:
    preset = next(p for p in PRESETS if p["name"] == name)
    return compare([parse_run(text, get_protocol) for text in preset["runs"]], preset["params"], seed=seed)


def figure(rows: list[dict[str, Any]], name: str) -> list[Any]:
    return [row["summary"][name] for row in rows]


def test_every_preset_is_available():
    assert [p["name"] for p in available(REGISTRY)] == [p["name"] for p in PRESETS]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_four_write_policies_on_one_workload(seed):
    rows = run_preset("write-policies", seed)
    text = table(rows)
    assert text.splitlines()[0].split() == [
        "figure", "cache-write-through", "cache-write-back", "cache-write-around", "cache-aside"]
    for name in ("reads", "writes", "hit_ratio", "stale_reads", "max_staleness", "lost_writes", "db_reads",
                 "db_writes", "messages_per_op"):
        assert name in text
    assert len(set(figure(rows, "writes"))) == 1 and len(set(figure(rows, "reads"))) == 1, "one workload for all"
    assert all(row["quiescent"] for row in rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_cache_crash_loses_a_write_back_write_and_no_write_through_one(seed):
    back, through = run_preset("write-back-vs-through-crash", seed)
    assert back["summary"]["lost_writes"] >= 1 and "lost-write" in back["violated"]
    assert through["summary"]["lost_writes"] == 0 and through["violated"] == []


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_one_crash_write_through_waits_and_loses_nothing_write_back_and_volatile_behind_lose(seed):
    """Issue 20's three policies on write-behind's workload and crash: what a write costs and what the crash takes."""
    through, back, volatile, durable = rows = run_preset("write-policies-crash", seed)
    assert len(set(figure(rows, "writes"))) == 1, "the same three writes acknowledged everywhere"
    assert figure(rows, "lost_writes")[0] == 0 and figure(rows, "lost_writes")[3] == 0
    assert figure(rows, "lost_writes")[1] >= 1 and figure(rows, "lost_writes")[2] >= 1
    assert through["violated"] == [] == durable["violated"] and "lost-write" in back["violated"]
    # Write-through makes every write wait for the database and writes each; write-behind answers at once
    # and folds the two writes of k0 into one database write.
    assert through["summary"]["db_writes"] == through["summary"]["writes"] > durable["summary"]["db_writes"]
    assert through["summary"]["write_latency_p50"] > durable["summary"]["write_latency_p50"]
    assert volatile["summary"]["db_writes"] == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_naive_counter_loses_updates_and_the_others_do_not(seed):
    naive, locked, sharded, crdt = run_preset("counters", seed)
    assert naive["summary"]["lost_updates"] > 0 and "lost-update" in naive["violated"]
    for row in (locked, sharded, crdt):
        assert row["summary"]["lost_updates"] == 0, row["run"]
        assert row["summary"]["acknowledged_increments"] == naive["summary"]["acknowledged_increments"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fencing_turns_an_accepted_stale_write_into_a_rejected_one(seed):
    unfenced, fenced = run_preset("fencing", seed)
    assert figure([unfenced, fenced], "stale_writes_accepted") == [1, 0]
    assert fenced["summary"]["stale_writes_rejected"] >= 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_retry_budget_and_breaker_stop_the_storm(seed):
    storm, remedied = run_preset("retry-budget", seed)
    assert storm["summary"]["amplification"] > 2
    assert remedied["summary"]["amplification"] <= 1.2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_self_preservation_keeps_every_instance_through_a_registry_partition(seed):
    plain, preserving = run_preset("self-preservation", seed)
    assert plain["summary"]["evictions"] >= 3
    assert preserving["summary"]["evictions"] == 0
