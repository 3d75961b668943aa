"""What an assignor is given: each member's subscription, and the partitions of each topic.

Theory of operation
-------------------
In Kafka's classic group protocol the brokers never assign partitions.  Each member sends its
``Subscription`` as opaque bytes inside JoinGroup; the coordinator hands every member's bytes to
the group leader; the leader's client runs the assignor and sends the result back in SyncGroup
(``reference/clients-and-groups.md`` §2, §10).  This file holds the decoded values the assignors
work on, named as in ``ConsumerPartitionAssignor.java``:

* :class:`Subscription` - the topics a member wants, opaque ``user_data`` that its assignor wrote,
  the partitions it ``owned`` going into the rebalance (KIP-429), the generation those were
  assigned in (KIP-792), its rack (KIP-881) and its ``group.instance.id`` (KIP-345; this one
  travels in the JoinGroup member entry, not in the subscription bytes).
* :class:`MemberData` - the (owned partitions, generation) pair a sticky assignor extracts from a
  subscription (``AbstractStickyAssignor.MemberData``); ``user_data.py`` says where each sticky
  assignor reads it from.
* The framework's two shared rules (``AbstractPartitionAssignor.java``): only topics that some
  member subscribes to *and* that have partitions take part (:func:`assignable_topics`), and
  range and round-robin order members static-first (:func:`member_order`).

Every assignor returns ``dict[MemberId, list[TopicPartition]]`` with an entry for every member,
possibly empty.  :func:`sorted_assignment` puts each list in (topic, partition) order, which is
how glasskafka's public assignor functions return results.

A generation id below zero means "no generation", as Kafka's ``Subscription`` constructor does
(``generationId < 0 ? Optional.empty()``).

Spec IDs: the inputs of ASSIGN-1..6 (``specs/assignment.py``).

Simplified from Kafka: rack ids are carried and encoded but no rack-aware assignment runs; Kafka
switches it on only when members send ``client.rack`` and replica racks differ (KIP-881), which a
default configuration never does.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from glasskafka.assignors.java_order import java_string_key
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import GenerationId, MemberId, PartitionId, TopicName, TopicPartition

__all__ = [
    "NO_GENERATION",
    "MemberData",
    "RebalanceProtocol",
    "Subscription",
    "assignable_topics",
    "member_order",
    "partition_counts",
    "partition_sort_key",
    "sorted_assignment",
    "sorted_partitions",
    "topic_partition",
]

NO_GENERATION = GenerationId(-1)
"""Kafka's ``DEFAULT_GENERATION``: the member has no generation (new, or reset after an error)."""


class RebalanceProtocol(enum.Enum):
    """How members give up partitions (``ConsumerPartitionAssignor.RebalanceProtocol``, KIP-429).

    EAGER members revoke everything before joining; COOPERATIVE members keep what they own through
    the rebalance and revoke only what the new assignment takes away, then rejoin.
    """

    EAGER = "eager"
    COOPERATIVE = "cooperative"


def topic_partition(topic: str, partition: int) -> TopicPartition:
    """The pair ``(topic, partition)``, typed; Kafka prints it ``topic-partition``."""
    return (TopicName(topic), PartitionId(partition))


def partition_counts(counts: Mapping[str, int]) -> dict[TopicName, int]:
    """Type a ``{topic: number of partitions}`` mapping, refusing negative counts.

    Raises :class:`~glasskafka.errors.GlassKafkaError` naming the topic and the count.
    """
    typed: dict[TopicName, int] = {}
    for topic, count in counts.items():
        if count < 0:
            raise GlassKafkaError(
                f"topic {topic!r} has {count} partitions; a partition count is 0 or more"
            )
        typed[TopicName(topic)] = count
    return typed


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """One member's ``ConsumerProtocolSubscription``, decoded (plus its group.instance.id)."""

    topics: tuple[TopicName, ...]
    user_data: bytes | None = None
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation_id: GenerationId = NO_GENERATION
    rack_id: str | None = None
    group_instance_id: str | None = None

    @property
    def generation(self) -> int | None:
        """The generation id, or ``None`` when absent (negative on the wire)."""
        return self.generation_id if self.generation_id >= 0 else None

    @classmethod
    def of(
        cls,
        topics: Iterable[str],
        *,
        owned: Iterable[tuple[str, int]] = (),
        generation: int = -1,
        user_data: bytes | None = None,
        group_instance_id: str | None = None,
        rack_id: str | None = None,
    ) -> Subscription:
        """Build a subscription from plain strings and ints (for tests, tutorials, the CLI)."""
        return cls(
            topics=tuple(TopicName(topic) for topic in topics),
            user_data=user_data,
            owned_partitions=tuple(topic_partition(t, p) for t, p in owned),
            generation_id=GenerationId(generation),
            rack_id=rack_id,
            group_instance_id=group_instance_id,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberData:
    """A sticky assignor's view of a member: what it owned, and in which generation."""

    partitions: tuple[TopicPartition, ...]
    generation: int | None


def partition_sort_key(partition: TopicPartition) -> tuple[bytes, int]:
    """Order topic-partitions by topic (Java string order), then partition number."""
    return java_string_key(partition[0]), partition[1]


def sorted_partitions(partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
    """``partitions`` in (topic, partition) order."""
    return sorted(partitions, key=partition_sort_key)


def sorted_assignment(
    assignment: Mapping[MemberId, Iterable[TopicPartition]],
) -> dict[MemberId, list[TopicPartition]]:
    """Each member's list in (topic, partition) order; members in Java string order."""
    return {
        member: sorted_partitions(assignment[member])
        for member in sorted(assignment, key=java_string_key)
    }


def assignable_topics(
    partitions_per_topic: Mapping[TopicName, int], subscriptions: Mapping[MemberId, Subscription]
) -> dict[TopicName, int]:
    """The topics the assignment covers: subscribed by some member and with partitions.

    ``AbstractPartitionAssignor.assign`` builds exactly this map from the cluster metadata:
    topics without metadata or with no partitions are skipped silently (§2).  Topics are
    returned in Java string order.  Raises :class:`GlassKafkaError` for a negative count.
    """
    subscribed = {topic for subscription in subscriptions.values() for topic in subscription.topics}
    topics: dict[TopicName, int] = {}
    for topic in sorted(subscribed, key=java_string_key):
        count = partitions_per_topic.get(topic, 0)
        if count < 0:
            raise GlassKafkaError(
                f"topic {topic!r} has {count} partitions; a partition count is 0 or more"
            )
        if count > 0:
            topics[topic] = count
    return topics


def member_order(subscriptions: Mapping[MemberId, Subscription]) -> list[MemberId]:
    """Members as range and round-robin order them: static members first, by group.instance.id,
    then dynamic members by member id (``AbstractPartitionAssignor.MemberInfo.compareTo``).

    Example from ``AbstractPartitionAssignorTest``: (a, none), (b, "y"), (c, "x") -> c, b, a.
    """

    def key(member: MemberId) -> tuple[int, bytes]:
        instance = subscriptions[member].group_instance_id
        if instance is not None:
            return 0, java_string_key(instance)
        return 1, java_string_key(member)

    return sorted(subscriptions, key=key)
