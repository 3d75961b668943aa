"""The round-robin assignor (``"roundrobin"``): deal all partitions out like cards.

Theory of operation
-------------------
``RoundRobinAssignor.java`` (``reference/clients-and-groups.md`` §4):

1. Put the members on a ring in member order (static members first by ``group.instance.id``,
   then dynamic ones by member id); a cursor starts at the first member.
2. List every partition of every subscribed topic: topics sorted by name, partitions ascending.
3. For each partition, move the cursor past members not subscribed to its topic, give the
   partition to the member under the cursor, and move the cursor one more place.

With identical subscriptions the counts differ by at most one (ASSIGN-2).  With different
subscriptions the skipping can skew it badly: C0{t0}, C1{t0, t1}, C2{t0, t1, t2} over t0:1, t1:2,
t2:3 gives C2 four partitions and the others one each (the class Javadoc's example, RR-2).

Round-robin is eager only.

Spec IDs: ASSIGN-1 (validity), ASSIGN-2 (balance under identical subscriptions).

Simplified from Kafka: nothing; racks are ignored by Kafka's round-robin too.
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

__all__ = ["assign_round_robin"]


def assign_round_robin(
    partitions_per_topic: Mapping[TopicName, int], subscriptions: Mapping[MemberId, Subscription]
) -> dict[MemberId, list[TopicPartition]]:
    """Deal every partition, in (topic, partition) order, round the ring of subscribed members.

    Returns an entry for every member (possibly empty), each list sorted by (topic, partition).
    Invariants: ASSIGN-1, ASSIGN-2.
    """
    ring = member_order(subscriptions)
    assignment: dict[MemberId, list[TopicPartition]] = {member: [] for member in subscriptions}
    cursor = 0
    for topic, count in assignable_topics(partitions_per_topic, subscriptions).items():
        for partition in range(count):
            # Skip members not subscribed to this topic (CircularIterator.peek/next); some member
            # is subscribed, since assignable_topics keeps only subscribed topics.
            while topic not in subscriptions[ring[cursor]].topics:
                cursor = (cursor + 1) % len(ring)
            assignment[ring[cursor]].append(topic_partition(topic, partition))
            cursor = (cursor + 1) % len(ring)
    return sorted_assignment(assignment)
