"""The range assignor (``"range"``): each topic cut into contiguous ranges, in member order.

Theory of operation
-------------------
``RangeAssignor.java`` treats every topic on its own (``reference/clients-and-groups.md`` §3):

1. Take the members subscribed to the topic, in member order (static members first by
   ``group.instance.id``, then dynamic ones by member id; :func:`member_order`).
2. With ``n`` partitions and ``m`` such members, ``q = n // m`` and ``r = n % m``.
3. Walk the members from partition 0: the first ``r`` take ``q + 1`` consecutive partitions,
   the others ``q``.  If there are more members than partitions, the last ones get none.

So when partitions do not divide evenly, the *first* members in the order get the extra
partition - of every topic.  Two members and three topics of three partitions give the first
member 6 and the second 3: balance holds per topic only (ASSIGN-2), which is why subscribing
many small topics with range is a known way to overload one consumer.

Range is eager only: every member gives everything up before each rebalance.

Spec IDs: ASSIGN-1 (validity), ASSIGN-2 (per-topic balance), ASSIGN-6 (the range layout).

Simplified from Kafka: the rack-aware pass of KIP-881, which first matches partitions to members
in the same rack and co-partitions topics with equal partition counts, is left out; it never runs
unless members set ``client.rack``.  Kafka returns each member's partitions topic by topic in
Java ``HashMap`` order of topic names; glasskafka sorts them, since only the set matters.
"""

from __future__ import annotations

from collections.abc import Mapping

from glasskafka.assignors.subscription import (
    Subscription,
    assignable_topics,
    member_order,
    sorted_assignment,
    topic_partition,
)
from glasskafka.ids import MemberId, TopicName, TopicPartition

__all__ = ["assign_range"]


def assign_range(
    partitions_per_topic: Mapping[TopicName, int], subscriptions: Mapping[MemberId, Subscription]
) -> dict[MemberId, list[TopicPartition]]:
    """Assign each topic's partitions in contiguous ranges over its subscribers.

    Returns an entry for every member (possibly empty), each list sorted by (topic, partition).
    Invariants: ASSIGN-1, ASSIGN-2, ASSIGN-6.
    """
    ordered = member_order(subscriptions)
    assignment: dict[MemberId, list[TopicPartition]] = {member: [] for member in subscriptions}
    for topic, count in assignable_topics(partitions_per_topic, subscriptions).items():
        subscribers = [member for member in ordered if topic in subscriptions[member].topics]
        per_member, extra = divmod(count, len(subscribers))
        start = 0
        for index, member in enumerate(subscribers):
            # The first `extra` members in member order take one more (RangeAssignor.java).
            length = per_member + (1 if index < extra else 0)
            assignment[member].extend(
                topic_partition(topic, p) for p in range(start, start + length)
            )
            start += length
    return sorted_assignment(assignment)
