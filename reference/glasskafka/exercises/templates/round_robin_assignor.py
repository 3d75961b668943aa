"""Lab round-robin-assignor: Kafka's ``RoundRobinAssignor``.

Write ``assign_round_robin`` below.  ``glasskafka exercise check round-robin-assignor`` plugs
it into glasskafka's assignor dispatch (``glasskafka.assignors.strategies``), where a consumer
group's leader looks the roundrobin strategy up, and judges it with the ASSIGN property suite
and Kafka's own golden cases.

Simplified from Kafka: the member order and topic order are worked out for you.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["assign_round_robin"]


def assign_round_robin(
    partitions_per_topic: Mapping[str, int], subscriptions: Mapping[str, Sequence[str]]
) -> dict[str, list[tuple[str, int]]]:
    """Deal every partition, one at a time, round the ring of members.

    Before: ``subscriptions`` maps every member id to the topics it subscribes to, and its
    iteration order *is* the ring's order (Kafka's member order, already sorted for you).
    ``partitions_per_topic`` maps each topic to its number of partitions (numbered 0..n-1), in
    the order to deal them; every topic in it has at least one subscriber.  A member may
    subscribe to topics missing from ``partitions_per_topic``: ignore those.

    Returns: an entry for *every* member (an empty list if it gets nothing): the list of
    ``(topic, partition)`` it reads; the order inside a list does not matter.  The rule
    (``RoundRobinAssignor.java``): take the partitions topic by topic, in order, partition 0
    first; keep one cursor going round the ring *across topics*; for each partition, move the
    cursor on past members not subscribed to its topic, give the partition to the member at the
    cursor, then move the cursor one on.

    Errors: none.  Must not change its arguments.

    Examples:
        >>> assign_round_robin({"t": 8}, {"C0": ["t"], "C1": ["t"], "C2": ["t"]})
        {'C0': [('t', 0), ('t', 3), ('t', 6)], 'C1': [('t', 1), ('t', 4), ('t', 7)], \
'C2': [('t', 2), ('t', 5)]}
        >>> assign_round_robin({"t0": 1, "t1": 2}, {"C0": ["t0"], "C1": ["t0", "t1"]})
        {'C0': [('t0', 0)], 'C1': [('t1', 0), ('t1', 1)]}
    """
    raise NotImplementedError("write assign_round_robin")
