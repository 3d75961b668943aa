"""Metadata (API key 3): which brokers exist, and who leads each partition.

Theory of operation
-------------------
Every client starts here and comes back whenever an answer says NOT_LEADER_OR_FOLLOWER or
UNKNOWN_TOPIC_OR_PARTITION.  The response lists the live brokers (id, host, port -- an address
the client can actually reach), the controller, and per topic and partition the leader, the
replicas and the in-sync replicas.

Which topics are asked for changed meaning at v1, a classic trap:

* v0: an **empty** array means *all topics*; null is not allowed.
* v1+: **null** means all topics, and an empty array means *none* (a cheap broker list).

Versions served: 0-8 (``reference/wire-protocol.md`` §4-5; ``MetadataRequest.json``):

=====  ======================================================================================
v1     null = all topics; broker ``rack``, ``controller_id`` (admin clients route creates and
       deletes to it, so it must name a listed broker), topic ``is_internal``
v2     ``cluster_id``
v3     ``throttle_time_ms`` (first field)
v4     ``allow_auto_topic_creation`` (not ignorable: false cannot be sent at v0-3)
v5     ``offline_replicas`` per partition
v6     same as v5
v7     ``leader_epoch`` per partition (clients then fence with KIP-320)
v8     ``include_*_authorized_operations``; responses carry ``authorized_operations``
       (-2147483648 = not requested)
=====  ======================================================================================

Spec IDs: none.

Simplified from Kafka: v9+ (flexible, topic ids, a top-level error code) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import BOOLEAN, INT16, INT32, STRING, ArrayOf, field, struct

__all__ = [
    "AUTHORIZED_OPERATIONS_OMITTED",
    "METADATA_REQUEST",
    "METADATA_RESPONSE",
    "MetadataRequest",
    "MetadataRequestTopic",
    "MetadataResponse",
    "MetadataResponseBroker",
    "MetadataResponsePartition",
    "MetadataResponseTopic",
]

AUTHORIZED_OPERATIONS_OMITTED = -(2**31)
"""The value of ``*_authorized_operations`` when the client did not ask for them (KIP-430)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataRequestTopic:
    """One topic to describe."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataRequest(Message):
    """Describe the cluster; ``topics=None`` (v1+) or ``()`` (v0) means every topic."""

    topics: tuple[MetadataRequestTopic, ...] | None
    allow_auto_topic_creation: bool = True
    include_cluster_authorized_operations: bool = False
    include_topic_authorized_operations: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponseBroker:
    """A live broker and the address clients should connect to."""

    node_id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponsePartition:
    """One partition: its leader, replicas and in-sync replicas (broker ids)."""

    error_code: int
    partition_index: int
    leader_id: int
    leader_epoch: int = -1
    replica_nodes: tuple[int, ...]
    isr_nodes: tuple[int, ...]
    offline_replicas: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponseTopic:
    """One topic, or an error for it (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE...)."""

    error_code: int
    name: str
    is_internal: bool = False
    partitions: tuple[MetadataResponsePartition, ...]
    topic_authorized_operations: int = AUTHORIZED_OPERATIONS_OMITTED


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponse(Message):
    """The brokers, the controller and the topics asked for."""

    throttle_time_ms: int = 0
    brokers: tuple[MetadataResponseBroker, ...]
    cluster_id: str | None = None
    controller_id: int = -1
    topics: tuple[MetadataResponseTopic, ...]
    cluster_authorized_operations: int = AUTHORIZED_OPERATIONS_OMITTED


_METADATA_REQUEST_TOPIC = struct(
    MetadataRequestTopic,
    field("name", STRING),
)

METADATA_REQUEST = struct(
    MetadataRequest,
    field("topics", ArrayOf(_METADATA_REQUEST_TOPIC), nullable="1+"),
    field("allow_auto_topic_creation", BOOLEAN, "4+"),
    field("include_cluster_authorized_operations", BOOLEAN, "8-10"),
    field("include_topic_authorized_operations", BOOLEAN, "8+"),
)

_METADATA_RESPONSE_BROKER = struct(
    MetadataResponseBroker,
    field("node_id", INT32),
    field("host", STRING),
    field("port", INT32),
    field("rack", STRING, "1+", nullable="1+", ignorable=True),
)

_METADATA_RESPONSE_PARTITION = struct(
    MetadataResponsePartition,
    field("error_code", INT16),
    field("partition_index", INT32),
    field("leader_id", INT32),
    field("leader_epoch", INT32, "7+", ignorable=True),
    field("replica_nodes", ArrayOf(INT32)),
    field("isr_nodes", ArrayOf(INT32)),
    field("offline_replicas", ArrayOf(INT32), "5+", ignorable=True),
)

_METADATA_RESPONSE_TOPIC = struct(
    MetadataResponseTopic,
    field("error_code", INT16),
    field("name", STRING),
    field("is_internal", BOOLEAN, "1+", ignorable=True),
    field("partitions", ArrayOf(_METADATA_RESPONSE_PARTITION)),
    field("topic_authorized_operations", INT32, "8+"),
)

METADATA_RESPONSE = struct(
    MetadataResponse,
    field("throttle_time_ms", INT32, "3+", ignorable=True),
    field("brokers", ArrayOf(_METADATA_RESPONSE_BROKER)),
    field("cluster_id", STRING, "2+", nullable="2+", ignorable=True),
    field("controller_id", INT32, "1+", ignorable=True),
    field("topics", ArrayOf(_METADATA_RESPONSE_TOPIC)),
    field("cluster_authorized_operations", INT32, "8-10"),
)
