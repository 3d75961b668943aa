"""Partition movements: how the general sticky builder avoids shuffling partitions in circles.

Theory of operation
-------------------
While the general builder rebalances (``general.py``) it moves partitions one at a time from a
fuller member to an emptier one.  Without care it could move ``t-1`` from A to B and later ``t-2``
from B to A: the sizes end up the same, but two partitions changed hands for nothing, and each
move costs a consumer its caches and a pause.  ``AbstractStickyAssignor.PartitionMovements``
prevents this (KIP-54):

* every partition that moved has one record ``source -> destination``, where ``source`` is the
  member that held it before its *first* move; moving it back to its source erases the record;
* before moving a partition of topic ``t`` from ``old`` to ``new``, the builder asks
  :meth:`PartitionMovements.partition_to_move`: if some partition of ``t`` already moved
  ``new -> old``, move *that one* back instead, which undoes a move rather than adding one.

Which of several such partitions is returned is the first of a Java ``HashSet``
(``set.iterator().next()``), so :class:`~glasskafka.assignors.java_order.JavaHashSet` keeps the
result bit-exact with Kafka's.

:meth:`PartitionMovements.two_cycles` is Kafka's ``isSticky()`` check: no topic may show moves in
both directions between the same two members.

Spec IDs: ASSIGN-3 (no topic moves both ways between two members).

Simplified from Kafka: ``isSticky()`` also searches for longer cycles and only logs them; it
fails only on cycles of length two, which is all this file reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.assignors.java_order import JavaHashSet, topic_partition_hash
from glasskafka.ids import MemberId, TopicName, TopicPartition

__all__ = ["ConsumerPair", "PartitionMovements"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerPair:
    """A movement ``source -> destination`` between two members."""

    source: MemberId
    destination: MemberId


@dataclass(slots=True)
class PartitionMovements:
    """The net movement of every partition moved so far in one run of the general builder."""

    _by_partition: dict[TopicPartition, ConsumerPair] = field(default_factory=dict)
    _by_topic: dict[TopicName, dict[ConsumerPair, JavaHashSet[TopicPartition]]] = field(
        default_factory=dict
    )

    def _forget(self, partition: TopicPartition) -> ConsumerPair:
        pair = self._by_partition.pop(partition)
        topic_moves = self._by_topic[partition[0]]
        topic_moves[pair].remove(partition)
        if not topic_moves[pair]:
            del topic_moves[pair]
        if not topic_moves:
            del self._by_topic[partition[0]]
        return pair

    def _record(self, partition: TopicPartition, pair: ConsumerPair) -> None:
        self._by_partition[partition] = pair
        topic_moves = self._by_topic.setdefault(partition[0], {})
        topic_moves.setdefault(pair, JavaHashSet(topic_partition_hash)).add(partition)

    def move(self, partition: TopicPartition, old: MemberId, new: MemberId) -> None:
        """Record that ``partition`` moved from ``old`` to ``new`` (its current holder is old)."""
        if partition not in self._by_partition:
            self._record(partition, ConsumerPair(source=old, destination=new))
            return
        earlier = self._forget(partition)
        if earlier.source != new:
            self._record(partition, ConsumerPair(source=earlier.source, destination=new))

    def partition_to_move(
        self, partition: TopicPartition, old: MemberId, new: MemberId
    ) -> TopicPartition:
        """The partition to move so that moving ``partition`` old -> new adds no reverse move.

        Returns ``partition`` itself unless a partition of the same topic already moved from
        ``new`` to (the original source of) ``old``; then that one goes back instead.
        """
        topic_moves = self._by_topic.get(partition[0])
        if topic_moves is None:
            return partition
        if partition in self._by_partition:
            old = self._by_partition[partition].source
        reverse = topic_moves.get(ConsumerPair(source=new, destination=old))
        if reverse is None:
            return partition
        return reverse.first()

    def two_cycles(self) -> list[tuple[TopicName, MemberId, MemberId]]:
        """Topics with moves both ways between two members: ``(topic, a, b)`` with a < b."""
        found = []
        for topic in sorted(self._by_topic):
            pairs = self._by_topic[topic]
            for pair in pairs:
                back = ConsumerPair(source=pair.destination, destination=pair.source)
                if pair.source < pair.destination and back in pairs:
                    found.append((topic, pair.source, pair.destination))
        return sorted(found)
