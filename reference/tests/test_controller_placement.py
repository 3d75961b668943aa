"""Replica placement: the course's rule and Kafka's rack-unaware rule, on golden cases."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from glasskafka.controller.placement import (
    PlacementRule,
    assign_replicas,
    assign_replicas_course,
    assign_replicas_rack_unaware,
)
from glasskafka.ids import BrokerId, PartitionId
from hypothesis import given
from hypothesis import strategies as st


def brokers(*ids: int) -> list[BrokerId]:
    return [BrokerId(i) for i in ids]


def plain(assignment: dict[PartitionId, tuple[BrokerId, ...]]) -> dict[int, list[int]]:
    return {int(p): [int(b) for b in replicas] for p, replicas in assignment.items()}


def test_course_rule_puts_partition_i_on_broker_i_mod_n_and_replica_j_on_i_plus_j() -> None:
    assignment = assign_replicas_course(brokers(1, 2, 3), num_partitions=3, replication_factor=3)
    assert plain(assignment) == {0: [1, 2, 3], 1: [2, 3, 1], 2: [3, 1, 2]}


def test_course_rule_sorts_the_brokers_first() -> None:
    shuffled = assign_replicas_course(brokers(30, 10, 20), num_partitions=4, replication_factor=2)
    assert plain(shuffled) == {0: [10, 20], 1: [20, 30], 2: [30, 10], 3: [10, 20]}


def test_course_rule_with_more_partitions_than_brokers_wraps_around() -> None:
    assignment = assign_replicas_course(brokers(1, 2), num_partitions=5, replication_factor=1)
    assert plain(assignment) == {0: [1], 1: [2], 2: [1], 3: [2], 4: [1]}


def test_kafkas_rule_reproduces_kafkas_own_test_vector() -> None:
    # AdminRackAwareTest.testReplicaAssignment (Kafka's core tests), fixedStartIndex = 0.
    assignment = assign_replicas_rack_unaware(
        brokers(0, 1, 2, 3, 4),
        num_partitions=10,
        replication_factor=3,
        rng=random.Random(0),
        fixed_start_index=0,
    )
    assert plain(assignment) == {
        0: [0, 1, 2],
        1: [1, 2, 3],
        2: [2, 3, 4],
        3: [3, 4, 0],
        4: [4, 0, 1],
        5: [0, 2, 3],
        6: [1, 3, 4],
        7: [2, 4, 0],
        8: [3, 0, 1],
        9: [4, 1, 2],
    }


def test_kafkas_rule_differs_from_the_course_rule_after_the_first_round() -> None:
    five = brokers(0, 1, 2, 3, 4)
    course = assign_replicas_course(five, num_partitions=10, replication_factor=3)
    kafka = assign_replicas_rack_unaware(
        five, num_partitions=10, replication_factor=3, rng=random.Random(0), fixed_start_index=0
    )
    assert [p for p in course if course[p] != kafka[p]] == [5, 6, 7, 8, 9]


def test_kafkas_rule_is_random_but_reproducible_from_the_rng() -> None:
    five = brokers(1, 2, 3, 4, 5)
    first = assign_replicas_rack_unaware(
        five, num_partitions=6, replication_factor=2, rng=random.Random(42)
    )
    again = assign_replicas_rack_unaware(
        five, num_partitions=6, replication_factor=2, rng=random.Random(42)
    )
    starts = {
        assign_replicas_rack_unaware(
            five, num_partitions=1, replication_factor=1, rng=random.Random(seed)
        )[PartitionId(0)][0]
        for seed in range(40)
    }
    assert first == again
    assert len(starts) > 1, "the start index should vary with the random stream"


def test_assign_replicas_dispatches_on_the_rule() -> None:
    three = brokers(1, 2, 3)
    rng = random.Random(1)
    course = assign_replicas(
        PlacementRule.COURSE, three, num_partitions=2, replication_factor=2, rng=rng
    )
    assert plain(course) == {0: [1, 2], 1: [2, 3]}
    kafka = assign_replicas(
        PlacementRule.KAFKA_RACK_UNAWARE, three, num_partitions=2, replication_factor=2, rng=rng
    )
    assert all(len(set(r)) == 2 for r in kafka.values())


@pytest.mark.parametrize(
    ("ids", "partitions", "factor", "problem"),
    [
        ([1, 2, 3], 0, 1, "at least 1 partition"),
        ([1, 2, 3], 3, 4, "between 1 and the 3"),
        ([1, 2, 3], 3, 0, "between 1 and the 3"),
        ([1, 1, 2], 3, 1, "duplicates"),
        ([], 1, 1, "between 1 and the 0"),
    ],
)
def test_impossible_placements_are_refused(
    ids: list[int], partitions: int, factor: int, problem: str
) -> None:
    for place in (assign_replicas_course, _kafka_rule):
        with pytest.raises(ValueError, match=problem):
            place(brokers(*ids), num_partitions=partitions, replication_factor=factor)


def _kafka_rule(
    broker_ids: list[BrokerId], *, num_partitions: int, replication_factor: int
) -> dict[PartitionId, tuple[BrokerId, ...]]:
    return assign_replicas_rack_unaware(
        broker_ids,
        num_partitions=num_partitions,
        replication_factor=replication_factor,
        rng=random.Random(0),
    )


@given(
    broker_count=st.integers(1, 7),
    partitions=st.integers(1, 30),
    data=st.data(),
)
def test_both_rules_place_distinct_live_replicas_and_spread_leaders_evenly(
    broker_count: int, partitions: int, data: st.DataObject
) -> None:
    live = brokers(*range(1, broker_count + 1))
    factor = data.draw(st.integers(1, broker_count), label="replication_factor")
    seed = data.draw(st.integers(0, 1000), label="seed")
    for assignment in (
        assign_replicas_course(live, num_partitions=partitions, replication_factor=factor),
        assign_replicas_rack_unaware(
            live, num_partitions=partitions, replication_factor=factor, rng=random.Random(seed)
        ),
    ):
        assert sorted(assignment) == list(range(partitions))
        for replicas in assignment.values():
            assert len(replicas) == factor and len(set(replicas)) == factor
            assert set(replicas) <= set(live)
        leaders = Counter(replicas[0] for replicas in assignment.values())
        counts = [leaders[b] for b in live]
        assert max(counts) - min(counts) <= 1, f"preferred leaders unevenly spread: {counts}"
