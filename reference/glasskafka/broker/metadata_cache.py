"""The metadata cache: what this broker believes about the cluster, as UpdateMetadata left it.

Theory of operation
-------------------
Every broker answers a client's Metadata request, but only the controller knows the truth (in
ZooKeeper).  After every change the controller sends UpdateMetadata to all live brokers with the
live brokers' addresses and the changed partition states; each broker applies it here and answers
Metadata from here (``MetadataCache.scala``).  So a client may briefly see a stale leader, gets
NOT_LEADER_OR_FOLLOWER from the broker it picked, refreshes and retries -- the normal way Kafka
clients find leaders.

Rules kept:

* the cache holds what the latest accepted UpdateMetadata said: its live brokers replace the old
  list; its partition states replace those of the same partitions; a partition whose leader is
  -2 (``LEADER_DURING_DELETE``, Kafka's ``LeaderAndIsr.LeaderDuringDelete``) is being deleted
  and leaves the cache.  The controller-epoch check (CTRL-1) is the caller's, who keeps the
  broker's highest epoch;
* a partition whose leader is not a live broker is answered LEADER_NOT_AVAILABLE with leader
  -1, as Kafka's ``getPartitionMetadata`` does;
* the leader epoch is the real one (v7+), not -1: clients may check it with
  OffsetForLeaderEpoch, which the broker advertises and serves (``apis.py``, KIP-320);
* an unknown topic is answered UNKNOWN_TOPIC_OR_PARTITION -- or, when both the request
  (``allow_auto_topic_creation``, v4+) and the broker (``auto.create.topics.enable``) allow it,
  LEADER_NOT_AVAILABLE, and the topic is named in the answer's ``to_create`` so the broker can
  ask the controller to create it (wire-protocol.md §6 "Metadata").  An illegal name is
  INVALID_TOPIC_EXCEPTION and is never created.

Spec IDs: LIVE-3 (metadata convergence) is checked on what :meth:`MetadataCache.entries` shows.

Simplified from Kafka: one listener (PLAINTEXT), no racks unless UpdateMetadata names one, no
``cluster_id`` (Kafka's ZooKeeper mode reads ``/cluster/id``; glasskafka answers null), no
authorized-operations bitfields (KIP-430); Kafka 2.x creates auto-created topics through the
broker's own AdminManager writing to ZooKeeper, glasskafka sends CreateTopics to the controller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.config import BrokerConfig
from glasskafka.controller.znodes import LEADER_DURING_DELETE, NO_LEADER
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, PartitionId, TopicName, TopicPartition
from glasskafka.log import LogError, validate_topic
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
)
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataBroker,
    UpdateMetadataRequest,
)

__all__ = [
    "INTERNAL_TOPICS",
    "OFFSETS_TOPIC_CONFIGS",
    "OFFSETS_TOPIC_SEGMENT_BYTES",
    "CachedBroker",
    "CachedPartition",
    "MetadataAnswer",
    "MetadataCache",
    "auto_create_request",
]

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
"""Topics Metadata marks ``is_internal`` (``Topic.INTERNAL_TOPICS``)."""

_OFFSETS_TOPIC = "__consumer_offsets"

OFFSETS_TOPIC_SEGMENT_BYTES = 104857600
"""Kafka's default ``offsets.topic.segment.bytes`` (100 MiB, a tenth of other topics' segments,
so that compaction -- which never touches the active segment -- can start sooner)."""

OFFSETS_TOPIC_CONFIGS = {
    "cleanup.policy": "compact",
    "segment.bytes": str(OFFSETS_TOPIC_SEGMENT_BYTES),
}
"""The overrides ``__consumer_offsets`` is created with (Kafka's
``GroupCoordinator.offsetsTopicConfigs``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedBroker:
    """A live broker and the address clients should use."""

    broker_id: BrokerId
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedPartition:
    """One partition's state as the controller last sent it."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    leader_epoch: Epoch
    isr: tuple[BrokerId, ...]
    replicas: tuple[BrokerId, ...]
    offline_replicas: tuple[BrokerId, ...]
    zk_version: int
    controller_epoch: Epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataAnswer:
    """A Metadata response, and the unknown topics the broker should ask to have created."""

    response: MetadataResponse
    to_create: tuple[str, ...]


def _endpoint(broker: UpdateMetadataBroker) -> tuple[str, int]:
    """The PLAINTEXT address of a broker: v1+ ``endpoints`` (security protocol 0), else v0's."""
    for endpoint in broker.endpoints:
        if endpoint.security_protocol == 0 or endpoint.listener == "PLAINTEXT":
            return endpoint.host, endpoint.port
    return broker.v0_host, broker.v0_port


@dataclass(slots=True, kw_only=True)
class MetadataCache:
    """Live brokers, the controller and partition states, as UpdateMetadata left them."""

    controller_id: BrokerId = NO_LEADER
    brokers: dict[BrokerId, CachedBroker] = field(default_factory=dict)
    partitions: dict[TopicPartition, CachedPartition] = field(default_factory=dict)

    # -- updating -------------------------------------------------------------------------------

    def update(self, request: UpdateMetadataRequest) -> None:
        """Apply an UpdateMetadata the caller has accepted (its controller epoch is current)."""
        self.controller_id = BrokerId(request.controller_id)
        self.brokers = {}
        for broker in sorted(request.live_brokers, key=lambda b: b.id):
            host, port = _endpoint(broker)
            rack = broker.rack if broker.rack else None
            self.brokers[BrokerId(broker.id)] = CachedBroker(
                broker_id=BrokerId(broker.id), host=host, port=port, rack=rack
            )
        for topic, state in request.partition_states():
            key = (TopicName(topic), PartitionId(state.partition_index))
            if state.leader == LEADER_DURING_DELETE:
                self.partitions.pop(key, None)
                continue
            self.partitions[key] = CachedPartition(
                topic=key[0],
                partition=key[1],
                leader=BrokerId(state.leader),
                leader_epoch=Epoch(state.leader_epoch),
                isr=tuple(BrokerId(b) for b in state.isr),
                replicas=tuple(BrokerId(b) for b in state.replicas),
                offline_replicas=tuple(BrokerId(b) for b in state.offline_replicas),
                zk_version=state.zk_version,
                controller_epoch=Epoch(state.controller_epoch),
            )
        self.partitions = dict(sorted(self.partitions.items()))

    # -- reading --------------------------------------------------------------------------------

    def get(self, topic: str, partition: int) -> CachedPartition | None:
        """The cached state of one partition, or None."""
        return self.partitions.get((TopicName(topic), PartitionId(partition)))

    def topics(self) -> list[TopicName]:
        """Every topic in the cache, sorted."""
        return sorted({topic for topic, _ in self.partitions})

    def has_topic(self, topic: str) -> bool:
        return any(t == topic for t, _ in self.partitions)

    def is_alive(self, broker_id: int) -> bool:
        return BrokerId(broker_id) in self.brokers

    def entries(self) -> tuple[CachedPartition, ...]:
        """Every cached partition, in (topic, partition) order (for observers, LIVE-3)."""
        return tuple(self.partitions.values())

    # -- answering Metadata ---------------------------------------------------------------------

    def answer(
        self, request: MetadataRequest, *, api_version: int, auto_create_enabled: bool
    ) -> MetadataAnswer:
        """The Metadata response for ``request`` (see the module docstring for the rules)."""
        every_topic = request.topics is None or (api_version == 0 and not request.topics)
        names = self.topics() if every_topic else [t.name for t in request.topics or ()]
        may_create = auto_create_enabled and request.allow_auto_topic_creation
        topics: list[MetadataResponseTopic] = []
        to_create: list[str] = []
        for name in dict.fromkeys(names):  # a topic named twice is answered once
            described = self._describe(name)
            if described is None:
                error = _unknown_topic_error(name, may_create=may_create)
                if error is ErrorCode.LEADER_NOT_AVAILABLE:
                    to_create.append(name)
                described = MetadataResponseTopic(
                    error_code=int(error), name=name, is_internal=False, partitions=()
                )
            topics.append(described)
        brokers = tuple(
            MetadataResponseBroker(node_id=b.broker_id, host=b.host, port=b.port, rack=b.rack)
            for b in self.brokers.values()
        )
        response = MetadataResponse(
            brokers=brokers, controller_id=self.controller_id, topics=tuple(topics)
        )
        return MetadataAnswer(response=response, to_create=tuple(to_create))

    def _describe(self, topic: str) -> MetadataResponseTopic | None:
        found = [p for (t, _), p in self.partitions.items() if t == topic]
        if not found:
            return None
        return MetadataResponseTopic(
            error_code=int(ErrorCode.NONE),
            name=topic,
            is_internal=topic in INTERNAL_TOPICS,
            partitions=tuple(self._describe_partition(p) for p in found),
        )

    def _describe_partition(self, cached: CachedPartition) -> MetadataResponsePartition:
        available = self.is_alive(cached.leader)
        error = ErrorCode.NONE if available else ErrorCode.LEADER_NOT_AVAILABLE
        return MetadataResponsePartition(
            error_code=int(error),
            partition_index=cached.partition,
            leader_id=cached.leader if available else -1,
            leader_epoch=cached.leader_epoch,
            replica_nodes=cached.replicas,
            isr_nodes=cached.isr,
            offline_replicas=cached.offline_replicas,
        )


def _unknown_topic_error(name: str, *, may_create: bool) -> ErrorCode:
    """UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE (being created) or INVALID_TOPIC."""
    try:
        validate_topic(name)
    except LogError as error:
        return error.code
    if may_create and name not in INTERNAL_TOPICS:
        return ErrorCode.LEADER_NOT_AVAILABLE
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def auto_create_request(
    topic: str, config: BrokerConfig, *, timeout_ms: int
) -> CreateTopicsRequest:
    """The CreateTopics a broker forwards for an auto-created topic: ``num.partitions``
    partitions and ``default.replication.factor`` replicas, as Kafka's auto-creation uses.

    ``__consumer_offsets`` (created for FindCoordinator, ``group_hosting.py``) takes
    ``offsets.topic.num.partitions`` and ``offsets.topic.replication.factor`` instead, and is
    compacted (``AutoTopicCreationManager.creatableTopic``).
    """
    partitions, factor = config.num_partitions, config.default_replication_factor
    configs: tuple[CreatableTopicConfig, ...] = ()
    if topic == _OFFSETS_TOPIC:
        partitions = config.offsets_topic_num_partitions
        factor = config.offsets_topic_replication_factor
        configs = tuple(
            CreatableTopicConfig(name=k, value=v) for k, v in sorted(OFFSETS_TOPIC_CONFIGS.items())
        )
    return CreateTopicsRequest(
        topics=(
            CreatableTopic(
                name=topic,
                num_partitions=partitions,
                replication_factor=factor,
                assignments=(),
                configs=configs,
            ),
        ),
        timeout_ms=timeout_ms,
    )
