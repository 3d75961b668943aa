"""The consumer's view of the cluster: leaders to fetch from, partition counts to assign with.

Theory of operation
-------------------
A consumer needs metadata for two jobs: its Fetches and ListOffsets go to each partition's
leader, and a group leader's assignor needs the partition count of every topic any member
subscribes to.  :class:`ConsumerMetadata` wraps the producer's
:class:`~glasskafka.client.metadata.ClusterView` (the same defensive reading of a
MetadataResponse) with the consumer's rules for *when* to ask (Kafka's ``ConsumerMetadata``):

* it asks when told the view is stale (a fetch error, a new subscription, a leader that needs
  more topics), when an assigned partition has no known leader, and at least every
  ``metadata.max.age.ms``; one request at a time, after ``retry.backoff.ms`` if the last
  answer was incomplete (a topic being created answers LEADER_NOT_AVAILABLE for a while);
* it asks about the subscribed topics, the assigned ones and any a group leader wants; a
  pattern subscription asks about every topic (``topics=None``), since new ones may match;
* after a fetch error it is ``doubted``: no Fetch goes out on it until the next answer, so a
  broker that keeps failing a partition is not asked again and again at network speed.

Spec IDs: none.

Simplified from Kafka: no leader epochs in the view (KIP-320) and no topic ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from glasskafka.client.metadata import ClusterView
from glasskafka.ids import BrokerId, NodeId, TopicName, TopicPartition, broker_node_id
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)

__all__ = ["ConsumerMetadata"]


@dataclass(slots=True, kw_only=True)
class ConsumerMetadata:
    """What the consumer believes about brokers and topics, and whether to ask again."""

    cluster: ClusterView = field(default_factory=ClusterView)
    wanted: set[str] = field(default_factory=set)
    request: int | None = None
    stale: bool = True
    doubted: bool = False
    refreshed_ms: int = 0
    retry_at_ms: int = 0

    def due(self, now_ms: int, max_age_ms: int, assigned: Iterable[TopicPartition]) -> bool:
        """Whether to send a Metadata request now."""
        if self.request is not None or now_ms < self.retry_at_ms:
            return False
        aged = now_ms - self.refreshed_ms >= max_age_ms
        return self.stale or aged or any(self.leader(tp) is None for tp in assigned)

    def request_for(
        self, topics: Iterable[str], *, pattern: bool, auto_create: bool
    ) -> MetadataRequest | None:
        """The Metadata request to send (None: nothing to ask about)."""
        if pattern:
            return MetadataRequest(topics=None, allow_auto_topic_creation=auto_create)
        names = sorted(set(topics) | self.wanted)
        if not names:
            return None
        return MetadataRequest(
            topics=tuple(MetadataRequestTopic(name=name) for name in names),
            allow_auto_topic_creation=auto_create,
        )

    def on_response(
        self, response: MetadataResponse, *, now_ms: int, retry_backoff_ms: int
    ) -> None:
        """Take in an answer; an incomplete one (unknown topic, no leader) is retried later."""
        self.request = None
        self.doubted = False
        self.cluster.update(response, now_ms=now_ms)
        self.refreshed_ms = now_ms
        incomplete = False
        for topic in response.topics:
            state = self.cluster.topic(topic.name)
            incomplete |= state is None or not state.known or -1 in state.leaders
        self.stale = incomplete
        self.retry_at_ms = now_ms + retry_backoff_ms if incomplete else 0

    def leader(self, partition: TopicPartition) -> NodeId | None:
        """The node that leads ``partition``, if known."""
        leader = self.cluster.leader_for(partition[0], partition[1])
        return None if leader is None else broker_node_id(BrokerId(leader))

    def leaders(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, NodeId]:
        """The known leaders of ``partitions``."""
        found = {tp: self.leader(tp) for tp in partitions}
        return {tp: leader for tp, leader in found.items() if leader is not None}

    def partition_count(self, topic: str) -> int | None:
        """How many partitions ``topic`` has, if known."""
        state = self.cluster.topic(topic)
        return len(state.leaders) if state is not None and state.known else None

    def counts_of(self, topics: Iterable[str]) -> tuple[dict[TopicName, int], set[str]]:
        """The known partition counts of ``topics``, and the topics not known yet."""
        known: dict[TopicName, int] = {}
        unknown: set[str] = set()
        for topic in sorted(set(topics)):
            count = self.partition_count(topic)
            if count is None:
                unknown.add(topic)
            else:
                known[TopicName(topic)] = count
        return known, unknown

    def counts(self) -> dict[TopicName, int]:
        """Every known topic's partition count."""
        return {
            TopicName(name): len(state.leaders)
            for name, state in sorted(self.cluster.topics.items())
            if state.known
        }

    def brokers(self) -> tuple[NodeId, ...]:
        return tuple(broker_node_id(BrokerId(b)) for b in self.cluster.brokers)
