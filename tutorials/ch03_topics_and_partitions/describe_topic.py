"""Create ``page_visits`` on three brokers, describe it, and check the placement by hand.

Run from the repository root::

    python -m tutorials.ch03_topics_and_partitions.describe_topic

It prints what ``kafka-topics.sh --create`` and ``--describe`` print, then works the course's
placement rule by hand for every replica and checks it against what the controller wrote to the
coordination service.  Last, it sends three CreateTopics requests the controller must refuse.

Spec IDs: none (placement is a policy, not a safety property).

Simplified from Kafka: ``kafka-topics.sh`` asks a broker through the Admin client; here the
script sends CreateTopics to the controller through the simulator's scripted client.
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode
from glasskafka.ids import PartitionId
from glasskafka.sim.kafka_cluster import KafkaCluster

from tutorials.ch03_topics_and_partitions.common import (
    PARTITIONS,
    REPLICATION_FACTOR,
    TOPIC,
    start_with_topic,
)

__all__ = ["by_hand", "main", "refusals"]


def by_hand(cluster: KafkaCluster) -> None:
    """The course's rule, replica by replica, checked against the controller's assignment."""
    brokers = sorted(cluster.broker_ids)
    n = len(brokers)
    print(f"\nby hand: the sorted brokers are {brokers}, so n = {n}")
    assignment = cluster.assignment(TOPIC)
    for i in range(PARTITIONS):
        steps = [f"({i}+{j}) mod {n} = {(i + j) % n}" for j in range(REPLICATION_FACTOR)]
        replicas = tuple(brokers[(i + j) % n] for j in range(REPLICATION_FACTOR))
        same = "same as the controller" if assignment[PartitionId(i)] == replicas else "DIFFERENT"
        print(f"  partition {i}: {', '.join(steps)} -> brokers {list(replicas)}  ({same})")


def refusals(cluster: KafkaCluster) -> None:
    """Three topics the controller refuses, with Kafka's error codes."""
    print("\nwhat the controller refuses:")
    tries = (
        ("page_visits_copy", 3, 4, "replication factor 4 on 3 brokers"),
        ("empty", 0, 1, "0 partitions"),
        ("../escape", 1, 1, "a name that is not a safe directory name"),
    )
    for name, partitions, factor, why in tries:
        result = cluster.create_topic(name, partitions=partitions, replication_factor=factor)
        error = ErrorCode(result.error_code)
        print(f"  {why}: {error.name} ({error.value})")


def main() -> None:
    """Create, describe, check by hand, and try three bad topics."""
    print(
        f"$ kafka-topics.sh --create --topic {TOPIC} --partitions {PARTITIONS} "
        f"--replication-factor {REPLICATION_FACTOR}"
    )
    cluster = start_with_topic()
    print(f"Created topic {TOPIC}.")
    print(f"$ kafka-topics.sh --describe --topic {TOPIC}")
    for line in cluster.describe_lines(TOPIC):
        print(line)
    by_hand(cluster)
    refusals(cluster)


if __name__ == "__main__":
    main()
