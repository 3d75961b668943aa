"""Lab range-assignor, solved: ``glasskafka.assignors.range_assignor`` in the lab's shape.

Simplified from Kafka: no rack-aware pass (KIP-881).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["assign_range"]


def assign_range(
    partitions_per_topic: Mapping[str, int], subscriptions: Mapping[str, Sequence[str]]
) -> dict[str, list[tuple[str, int]]]:
    """Assign each topic's partitions in contiguous ranges over its subscribers."""
    assignment: dict[str, list[tuple[str, int]]] = {member: [] for member in subscriptions}
    for topic, count in partitions_per_topic.items():
        subscribers = [m for m, topics in subscriptions.items() if topic in topics]
        per_member, extra = divmod(count, len(subscribers))
        start = 0
        for index, member in enumerate(subscribers):
            length = per_member + (1 if index < extra else 0)
            assignment[member] += [(topic, p) for p in range(start, start + length)]
            start += length
    return assignment
