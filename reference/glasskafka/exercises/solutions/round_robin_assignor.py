"""Lab round-robin-assignor, solved: ``glasskafka.assignors.round_robin`` in the lab's shape.

Simplified from Kafka: nothing beyond the lab's contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["assign_round_robin"]


def assign_round_robin(
    partitions_per_topic: Mapping[str, int], subscriptions: Mapping[str, Sequence[str]]
) -> dict[str, list[tuple[str, int]]]:
    """Deal every partition, in topic order, round the ring of subscribed members."""
    ring = list(subscriptions)
    assignment: dict[str, list[tuple[str, int]]] = {member: [] for member in ring}
    cursor = 0
    for topic, count in partitions_per_topic.items():
        for partition in range(count):
            while topic not in subscriptions[ring[cursor]]:
                cursor = (cursor + 1) % len(ring)
            assignment[ring[cursor]].append((topic, partition))
            cursor = (cursor + 1) % len(ring)
    return assignment
