"""Lab range-assignor: Kafka's ``RangeAssignor``, the default partition assignor.

Write ``assign_range`` below.  ``glasskafka exercise check range-assignor`` plugs it into
glasskafka's assignor dispatch (``glasskafka.assignors.strategies``), where a consumer group's
leader looks the range strategy up, and judges it with the ASSIGN property suite and Kafka's
own golden cases.

Simplified from Kafka: no rack-aware pass (KIP-881); the member order is worked out for you.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["assign_range"]


def assign_range(
    partitions_per_topic: Mapping[str, int], subscriptions: Mapping[str, Sequence[str]]
) -> dict[str, list[tuple[str, int]]]:
    """Assign each topic's partitions in contiguous ranges over the members subscribed to it.

    Before: ``subscriptions`` maps every member id to the topics it subscribes to, and its
    iteration order *is* Kafka's member order (static members by ``group.instance.id``, then
    the rest by member id; already sorted for you).  ``partitions_per_topic`` maps each topic to
    its number of partitions (numbered 0..n-1); every topic in it has at least one subscriber and
    at least one partition.  A member may subscribe to topics missing from
    ``partitions_per_topic``: ignore those.

    Returns: an entry for *every* member (an empty list if it gets nothing): the list of
    ``(topic, partition)`` it reads; the order inside a list does not matter.  Each topic on its
    own (``RangeAssignor.java``): with ``n`` partitions and ``m`` subscribers, each subscriber,
    in member order, takes the next ``n // m`` consecutive partitions, and the first ``n % m``
    subscribers take one more.

    Errors: none.  Must not change its arguments.

    Examples:
        >>> assign_range({"t": 8}, {"C0": ["t"], "C1": ["t"], "C2": ["t"]})
        {'C0': [('t', 0), ('t', 1), ('t', 2)], 'C1': [('t', 3), ('t', 4), ('t', 5)], \
'C2': [('t', 6), ('t', 7)]}
        >>> assign_range({"a": 1}, {"m1": ["a"], "m2": ["a"]})
        {'m1': [('a', 0)], 'm2': []}
    """
    raise NotImplementedError("write assign_range")
