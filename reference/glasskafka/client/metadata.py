"""The producer's view of the cluster: which brokers exist and who leads each partition.

Theory of operation
-------------------
A producer knows only what its last MetadataResponse said (Kafka's ``Metadata`` and ``Cluster``
classes).  It sends each batch to the broker it believes leads the partition; when a broker
answers NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION, or a connection breaks, the belief
is stale and the producer asks again.  :class:`ClusterView` is that belief as plain data:

* the brokers' ids, in ascending order;
* per topic, either an error code (the topic is unknown, being created, invalid...) or one
  entry per partition, ``0 .. n-1``, holding the leader's broker id or ``-1`` for none.

A response is read defensively: a partition list that is not exactly ``0 .. n-1``, or a leader
that is not among the listed brokers, does not crash the producer; the topic or partition is
treated as unknown or leaderless until a better answer comes.

Spec IDs: none.

Simplified from Kafka: no leader epochs (KIP-320 fencing of stale metadata), no topic ids, no
per-topic expiry of unused topics (``metadata.max.idle.ms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.client.partitioner import TopicPartitions
from glasskafka.errors import ErrorCode
from glasskafka.protocol.messages.metadata import MetadataResponse, MetadataResponseTopic

__all__ = ["ClusterView", "TopicState"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicState:
    """One topic as the last metadata described it."""

    error: ErrorCode
    leaders: tuple[int, ...] = ()

    @property
    def known(self) -> bool:
        """Whether the topic's partitions are known (no error, at least one partition)."""
        return self.error is ErrorCode.NONE and bool(self.leaders)


@dataclass(slots=True)
class ClusterView:
    """Brokers and partition leaders, as of ``updated_ms`` (None: never updated)."""

    brokers: tuple[int, ...] = ()
    topics: dict[str, TopicState] = field(default_factory=dict)
    updated_ms: int | None = None

    def update(self, response: MetadataResponse, *, now_ms: int) -> None:
        """Replace what the response describes (brokers, and each topic it lists)."""
        self.brokers = tuple(sorted({broker.node_id for broker in response.brokers}))
        for topic in response.topics:
            self.topics[topic.name] = self._read_topic(topic)
        self.updated_ms = now_ms

    def _read_topic(self, topic: MetadataResponseTopic) -> TopicState:
        error = _code(topic.error_code)
        if error is not ErrorCode.NONE:
            return TopicState(error=error)
        by_index = {p.partition_index: p for p in topic.partitions}
        if not by_index or sorted(by_index) != list(range(len(topic.partitions))):
            # Partitions must be exactly 0..n-1; anything else cannot be trusted.
            return TopicState(error=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        # A leader the response does not list as a broker cannot be reached: no leader.
        leaders = tuple(
            by_index[i].leader_id if by_index[i].leader_id in self.brokers else -1
            for i in range(len(by_index))
        )
        return TopicState(error=ErrorCode.NONE, leaders=leaders)

    def topic(self, name: str) -> TopicState | None:
        """What the metadata says about topic ``name`` (None: never asked about)."""
        return self.topics.get(name)

    def partitions_of(self, name: str) -> TopicPartitions | None:
        """The topic's partition count and available partitions, if its partitions are known."""
        state = self.topics.get(name)
        if state is None or not state.known:
            return None
        available = tuple(i for i, leader in enumerate(state.leaders) if leader >= 0)
        return TopicPartitions(topic=name, num_partitions=len(state.leaders), available=available)

    def leader_for(self, name: str, partition: int) -> int | None:
        """The broker id leading ``name``-``partition``, or None if unknown or leaderless."""
        state = self.topics.get(name)
        if state is None or not 0 <= partition < len(state.leaders):
            return None
        leader = state.leaders[partition]
        return leader if leader >= 0 else None


def _code(number: int) -> ErrorCode:
    try:
        return ErrorCode(number)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR
