"""Replica placement: which brokers hold the replicas of each partition of a new topic.

Theory of operation
-------------------
When a topic is created without an explicit assignment, the controller decides where its
partitions live.  The assignment is a map ``partition -> replicas``; the first replica of each
list is the partition's *preferred leader*, so placement also spreads leadership.

glasskafka uses **the course's rule** (:func:`assign_replicas_course`), which is easy to do by hand:

1. sort the ``n`` live brokers;
2. put partition ``i`` on broker ``i mod n`` (its first replica, the preferred leader);
3. put replica ``j`` of partition ``i`` on broker ``(i + j) mod n``.

With brokers 1, 2, 3 and three partitions of replication factor 3 this gives ``0: [1, 2, 3]``,
``1: [2, 3, 1]``, ``2: [3, 1, 2]``: every broker leads one partition and holds a replica of all.

**Kafka's rule** (:func:`assign_replicas_rack_unaware`, Kafka's
``AdminUtils.assignReplicasToBrokersRackUnaware`` in ``core/src/main/scala/kafka/admin/``) is the
same idea with two twists.  The start index is random, so that many small topics do not all put
their first leader on the lowest broker id.  And the followers are *shifted*: the gap between the
first replica and the second grows by one each time the partitions wrap around the broker list,
so that the followers of one broker's partitions are spread over all the others instead of always
being its neighbours.  With ``fixed_start_index=0`` and five brokers it gives Kafka's own test
vector (``AdminRackAwareTest.testReplicaAssignment``): ``0: [0, 1, 2]`` ... ``5: [0, 2, 3]``.

Both functions are pure: they need the sorted broker list, and Kafka's rule a ``random.Random``.

Spec IDs: none (placement is a policy, not a safety property; replication factor <= brokers is
checked by CreateTopics validation).

Simplified from Kafka: no rack awareness (Kafka's ``assignReplicasToBrokersRackAware`` alternates
racks), and placement looks only at live brokers, as Kafka's ``AdminZkClient`` does.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from typing import assert_never

from glasskafka.ids import BrokerId, PartitionId

__all__ = [
    "Assignment",
    "PlacementRule",
    "assign_replicas",
    "assign_replicas_course",
    "assign_replicas_rack_unaware",
]

Assignment = dict[PartitionId, tuple[BrokerId, ...]]
"""Partition -> its replicas, preferred leader first."""


class PlacementRule(enum.Enum):
    """Which placement rule to apply."""

    COURSE = "course"
    KAFKA_RACK_UNAWARE = "kafka-rack-unaware"


def _checked(
    broker_ids: Sequence[BrokerId], *, num_partitions: int, replication_factor: int
) -> list[BrokerId]:
    """The brokers sorted, after checking the counts (a caller bug raises ``ValueError``)."""
    brokers = sorted(set(broker_ids))
    if len(brokers) != len(broker_ids):
        raise ValueError(f"broker ids {list(broker_ids)} contain duplicates")
    if num_partitions < 1:
        raise ValueError(f"num_partitions={num_partitions}: a topic needs at least 1 partition")
    if not 1 <= replication_factor <= len(brokers):
        raise ValueError(
            f"replication_factor={replication_factor} must be between 1 and the "
            f"{len(brokers)} available brokers"
        )
    return brokers


def assign_replicas_course(
    broker_ids: Sequence[BrokerId], *, num_partitions: int, replication_factor: int
) -> Assignment:
    """The course's rule: replica ``j`` of partition ``i`` on sorted broker ``(i + j) mod n``.

    Raises ``ValueError`` for fewer than 1 partition or a replication factor outside ``1..n``.
    """
    brokers = _checked(
        broker_ids, num_partitions=num_partitions, replication_factor=replication_factor
    )
    n = len(brokers)
    return {
        PartitionId(i): tuple(brokers[(i + j) % n] for j in range(replication_factor))
        for i in range(num_partitions)
    }


def assign_replicas_rack_unaware(
    broker_ids: Sequence[BrokerId],
    *,
    num_partitions: int,
    replication_factor: int,
    rng: random.Random,
    fixed_start_index: int = -1,
    start_partition_id: int = -1,
) -> Assignment:
    """Kafka's ``AdminUtils.assignReplicasToBrokersRackUnaware``, step for step.

    ``fixed_start_index >= 0`` replaces both random draws (the first broker and the initial
    replica shift), as Kafka's tests do; ``start_partition_id`` numbers partitions added to an
    existing topic.  Raises ``ValueError`` as :func:`assign_replicas_course` does.
    """
    brokers = _checked(
        broker_ids, num_partitions=num_partitions, replication_factor=replication_factor
    )
    n = len(brokers)
    fixed = fixed_start_index >= 0
    start_index = fixed_start_index if fixed else rng.randrange(n)
    next_replica_shift = fixed_start_index if fixed else rng.randrange(n)
    current = max(0, start_partition_id)
    result: Assignment = {}
    for _ in range(num_partitions):
        # Each full round over the brokers widens the gap to the followers by one.
        if current > 0 and current % n == 0:
            next_replica_shift += 1
        first = (current + start_index) % n
        replicas = [brokers[first]]
        for j in range(replication_factor - 1):
            shift = 1 + (next_replica_shift + j) % (n - 1)
            replicas.append(brokers[(first + shift) % n])
        result[PartitionId(current)] = tuple(replicas)
        current += 1
    return result


def assign_replicas(
    rule: PlacementRule,
    broker_ids: Sequence[BrokerId],
    *,
    num_partitions: int,
    replication_factor: int,
    rng: random.Random,
) -> Assignment:
    """Apply ``rule`` (the course's ignores ``rng``)."""
    match rule:
        case PlacementRule.COURSE:
            return assign_replicas_course(
                broker_ids, num_partitions=num_partitions, replication_factor=replication_factor
            )
        case PlacementRule.KAFKA_RACK_UNAWARE:
            return assign_replicas_rack_unaware(
                broker_ids,
                num_partitions=num_partitions,
                replication_factor=replication_factor,
                rng=rng,
            )
        case _:
            assert_never(rule)
