"""The ring itself, without a simulation: how many keys a membership change moves.

The acceptance test: with 4 nodes and 10,000 keys, adding a fifth moves
about a fifth of the keys on a ring with enough virtual nodes, and about four
fifths with modulo hashing. It is checked on the shared helpers
(protocols.common.ring) and on the protocol's memoised owner tables, which
must agree with them key for key. Hypothesis then checks monotonicity: a
join moves keys only to the new node, a leave only from the old one. Last,
the drawing the router logs for the ring panel places points and keys as
the shared helpers do, and stays bounded.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.common.ring import modulo_owner, ring_owner, ring_points, stable_hash
from protocols.common.workload import key_name
from protocols.hashring.drawing import MAX_DOTS, MAX_POINTS, POSITION_DECIMALS, TURN, drawing, fraction
from protocols.hashring.placement import moved_keys, moves, owner, owner_table

KEYS = 10_000
FOUR = ["cache1", "cache2", "cache3", "cache4"]
FIVE = [*FOUR, "cache5"]
RING_SHARE = (0.15, 0.25)
MODULO_SHARE = (0.7, 0.9)


@pytest.mark.parametrize("vnodes", [100, 200, 500])
def test_adding_a_fifth_node_moves_a_fifth_of_the_keys_on_the_ring_and_four_fifths_with_modulo(vnodes: int) -> None:
    before, after = ring_points(FOUR, vnodes), ring_points(FIVE, vnodes)
    keys = [key_name(i) for i in range(KEYS)]
    ring_moved = [k for k in keys if ring_owner(before, k) != ring_owner(after, k)]
    modulo_moved = [k for k in keys if modulo_owner(FOUR, k) != modulo_owner(FIVE, k)]
    assert RING_SHARE[0] <= len(ring_moved) / KEYS <= RING_SHARE[1], len(ring_moved)
    assert MODULO_SHARE[0] <= len(modulo_moved) / KEYS <= MODULO_SHARE[1], len(modulo_moved)
    assert {ring_owner(after, k) for k in ring_moved} == {"cache5"}, "every moved key moves to the new node"
    assert moves(FOUR, FIVE, vnodes, KEYS) == {"ring": len(ring_moved), "modulo": len(modulo_moved)}


def test_with_one_virtual_node_the_share_is_left_to_chance() -> None:
    """Why virtual nodes: one point per node gives arcs of wildly different lengths."""
    shares = {node: owner_table(tuple(FOUR), 1, "ring", KEYS).count(node) / KEYS for node in FOUR}
    smooth = {node: owner_table(tuple(FOUR), 200, "ring", KEYS).count(node) / KEYS for node in FOUR}
    assert max(shares.values()) - min(shares.values()) > max(smooth.values()) - min(smooth.values())
    assert all(0.15 < share < 0.35 for share in smooth.values()), smooth


@pytest.mark.parametrize("vnodes", [1, 7, 100])
def test_the_protocols_owner_tables_agree_with_the_shared_helpers(vnodes: int) -> None:
    points = ring_points(FIVE, vnodes)
    table = owner_table(tuple(FIVE), vnodes, "ring", 2_000)
    assert list(table) == [ring_owner(points, key_name(i)) for i in range(2_000)]
    assert [owner(FIVE, vnodes, "ring", key_name(i)) for i in range(50)] == list(table[:50])
    modulo = owner_table(tuple(FIVE), vnodes, "modulo", 500)
    assert list(modulo) == [modulo_owner(FIVE, key_name(i)) for i in range(500)]


def test_owner_uses_the_sorted_membership_whatever_order_it_is_given_in() -> None:
    shuffled = ["cache3", "cache1", "cache4", "cache2"]
    assert [owner(shuffled, 50, p, key_name(i)) for p in ("ring", "modulo") for i in range(100)] == \
        [owner(FOUR, 50, p, key_name(i)) for p in ("ring", "modulo") for i in range(100)]


NODES = [f"cache{i}" for i in range(1, 9)]


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(NODES), min_size=2, max_size=8), st.integers(1, 120), st.data())
def test_a_join_moves_keys_only_to_the_new_node_and_a_leave_only_from_the_old(
        members: set[str], vnodes: int, data: st.DataObject) -> None:
    leaving = data.draw(st.sampled_from(sorted(members)))
    smaller = sorted(members - {leaving})
    bigger = sorted(members)
    for index in moved_keys(smaller, bigger, vnodes, "ring", 1_000):
        assert owner(bigger, vnodes, "ring", key_name(index)) == leaving, "a join moves keys to the joiner only"
    for index in moved_keys(bigger, smaller, vnodes, "ring", 1_000):
        assert owner(bigger, vnodes, "ring", key_name(index)) == leaving, "a leave moves the leaver's keys only"
    assert moved_keys(smaller, bigger, vnodes, "ring", 1_000) == moved_keys(bigger, smaller, vnodes, "ring", 1_000)


def test_modulo_hashing_moves_keys_between_nodes_that_did_not_change() -> None:
    between = [i for i in moved_keys(FOUR, FIVE, 100, "modulo", 1_000)
               if "cache5" not in (owner(FOUR, 100, "modulo", key_name(i)), owner(FIVE, 100, "modulo", key_name(i)))]
    assert len(between) > 500


# ------------------------------------------------ what the ring panel draws


def shared_owners(members: list[str], vnodes: int, placement: str, names: list[str]) -> list[str]:
    """Return each key's owner as protocols.common.ring places it, not through the protocol's memoised tables."""
    nodes = sorted(members)
    points = ring_points(nodes, vnodes)
    return [modulo_owner(nodes, k) if placement == "modulo" else ring_owner(points, k) for k in names]


def test_a_position_is_a_rounded_fraction_of_a_turn() -> None:
    assert fraction(0) == 0.0 and fraction(TURN // 4) == 0.25
    assert fraction(TURN - 1) == 0.0, "a point just before the top rounds to the top, not to 1"
    assert fraction(stable_hash("k0")) == round(stable_hash("k0") / TURN, POSITION_DECIMALS)


@pytest.mark.parametrize("placement", ["ring", "modulo"])
@pytest.mark.parametrize("vnodes", [1, 7, 100])
def test_the_drawing_places_points_and_keys_as_the_shared_helpers_do(vnodes: int, placement: str) -> None:
    keys = MAX_DOTS  # Every key is a dot.
    picture = drawing(FIVE, FOUR, vnodes, placement, keys)
    points = ring_points(FIVE, vnodes)
    assert picture["points"] == {node: sorted(fraction(p) for p, n in points if n == node) for node in FIVE}
    names = [key_name(i) for i in range(keys)]
    before, after = shared_owners(FOUR, vnodes, placement, names), shared_owners(FIVE, vnodes, placement, names)
    assert picture["dots"] == [[k, fraction(stable_hash(k)), o] for k, o in zip(names, after, strict=True)]
    assert picture["moved"] == {k: b for k, b, a in zip(names, before, after, strict=True) if b != a}
    assert picture["shares"] == {node: after.count(node) for node in FIVE}
    assert (picture["placement"], picture["vnodes"], picture["keys"]) == (placement, vnodes, keys)
    assert drawing(FOUR, None, vnodes, placement, keys)["moved"] == {}, "at boot nothing has moved"


def test_the_drawing_stays_bounded_however_large_the_ring() -> None:
    members = [f"cache{i}" for i in range(1, 9)]
    picture = drawing(members, members[1:], 500, "ring", 10_000)
    per_member = MAX_POINTS // 8
    assert {node: len(p) for node, p in picture["points"].items()} == dict.fromkeys(members, per_member)
    assert picture["points"]["cache3"] == sorted(fraction(p) for p, _ in ring_points(["cache3"], per_member)), \
        "each member keeps its first points, cache3#0 to cache3#249"
    assert [d[0] for d in picture["dots"][:3]] == ["k0", "k25", "k50"] and len(picture["dots"]) == MAX_DOTS
    assert set(picture["moved"]) <= {d[0] for d in picture["dots"]}
    assert sum(picture["shares"].values()) == 10_000, "the shares count every key, not only the dots"
    assert len(json.dumps(picture, separators=(",", ":"))) < 32_000
    assert sum(map(len, drawing(FOUR, None, 500, "ring", 50)["points"].values())) == 4 * 500, "under the cap: all"
