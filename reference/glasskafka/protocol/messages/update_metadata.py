"""UpdateMetadata (API key 6): the controller keeps every broker's metadata cache current.

Theory of operation
-------------------
Any broker must answer a client's Metadata request, but only the controller knows the truth.
So after every change -- a broker joins or dies, a leader is elected, an ISR shrinks or grows, a
topic is created or deleted -- the controller sends UpdateMetadata to **all** live brokers, with
the live brokers' addresses and the partition states that changed (``KafkaController.scala``
``sendUpdateMetadataRequest``; ``MetadataCache.scala``).  Brokers apply it to their metadata
cache and answer Metadata from there, which is why a client can briefly see stale metadata and
must retry on NOT_LEADER_OR_FOLLOWER.  A request with a stale ``controller_epoch`` is refused
(STALE_CONTROLLER_EPOCH, 11).

The request changed shape twice, and glasskafka keeps every shape, as Kafka's schema does:

* brokers: v0 gives one ``v0_host``/``v0_port``; v1+ a list of ``endpoints`` (one per listener,
  with its ``security_protocol`` id, 0 = PLAINTEXT).  Both are ignorable, so a controller can fill
  in both and let the version pick;
* partitions: v0-4 ``ungrouped_partition_states`` (each with its ``topic_name``); v5
  ``topic_states`` grouped by topic.  :meth:`UpdateMetadataRequest.partition_states` reads either.

Versions served: 0-5, the non-flexible range (``UpdateMetadataRequest.json``):

=====  ======================================================================================
v1     broker ``endpoints`` instead of one host and port
v2     broker ``rack``
v3     endpoint ``listener`` name
v4     ``offline_replicas`` per partition
v5     ``broker_epoch`` (KIP-380); partitions grouped by topic
=====  ======================================================================================

Not advertised to clients: it is an inter-broker API.

Spec IDs: none here; the controller's specs check what it carries.

Simplified from Kafka: v6+ (flexible; topic ids, KRaft migration fields) are not needed by
glasskafka's ZooKeeper-era cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT16, INT32, INT64, STRING, ArrayOf, field, struct

__all__ = [
    "UPDATE_METADATA_REQUEST",
    "UPDATE_METADATA_RESPONSE",
    "UpdateMetadataBroker",
    "UpdateMetadataEndpoint",
    "UpdateMetadataPartitionState",
    "UpdateMetadataRequest",
    "UpdateMetadataResponse",
    "UpdateMetadataTopicState",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataPartitionState:
    """One partition's leader, epoch, ISR and replicas, as the controller last decided."""

    topic_name: str = ""
    partition_index: int
    controller_epoch: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    zk_version: int
    replicas: tuple[int, ...]
    offline_replicas: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataTopicState:
    """v5: the partition states of one topic."""

    topic_name: str
    partition_states: tuple[UpdateMetadataPartitionState, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataEndpoint:
    """v1+: one listener of a broker."""

    port: int
    host: str
    listener: str = ""
    security_protocol: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataBroker:
    """A live broker and how to reach it."""

    id: int
    v0_host: str = ""
    v0_port: int = 0
    endpoints: tuple[UpdateMetadataEndpoint, ...] = ()
    rack: str | None = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataRequest(Message):
    """The live brokers and changed partition states (from the controller, to every broker)."""

    controller_id: int
    controller_epoch: int
    broker_epoch: int = -1
    ungrouped_partition_states: tuple[UpdateMetadataPartitionState, ...] = ()
    topic_states: tuple[UpdateMetadataTopicState, ...] = ()
    live_brokers: tuple[UpdateMetadataBroker, ...]

    def partition_states(self) -> Iterator[tuple[str, UpdateMetadataPartitionState]]:
        """Every (topic name, partition state), whichever of the two shapes holds them."""
        for state in self.ungrouped_partition_states:
            yield state.topic_name, state
        for topic in self.topic_states:
            for state in topic.partition_states:
                yield topic.topic_name, state


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateMetadataResponse(Message):
    """The broker's answer: one error code."""

    error_code: int


_UPDATE_METADATA_PARTITION_STATE = struct(
    UpdateMetadataPartitionState,
    field("topic_name", STRING, "0-4", ignorable=True),
    field("partition_index", INT32),
    field("controller_epoch", INT32),
    field("leader", INT32),
    field("leader_epoch", INT32),
    field("isr", ArrayOf(INT32)),
    field("zk_version", INT32),
    field("replicas", ArrayOf(INT32)),
    field("offline_replicas", ArrayOf(INT32), "4+", ignorable=True),
)

_UPDATE_METADATA_TOPIC_STATE = struct(
    UpdateMetadataTopicState,
    field("topic_name", STRING, "5+"),
    field("partition_states", ArrayOf(_UPDATE_METADATA_PARTITION_STATE), "5+"),
)

_UPDATE_METADATA_ENDPOINT = struct(
    UpdateMetadataEndpoint,
    field("port", INT32, "1+"),
    field("host", STRING, "1+"),
    field("listener", STRING, "3+", ignorable=True),
    field("security_protocol", INT16, "1+"),
)

_UPDATE_METADATA_BROKER = struct(
    UpdateMetadataBroker,
    field("id", INT32),
    field("v0_host", STRING, "0", ignorable=True),
    field("v0_port", INT32, "0", ignorable=True),
    field("endpoints", ArrayOf(_UPDATE_METADATA_ENDPOINT), "1+", ignorable=True),
    # Kafka's schema: on the wire from v2, nullable in every version, no default (so "").
    field("rack", STRING, "2+", nullable="0+", ignorable=True),
)

UPDATE_METADATA_REQUEST = struct(
    UpdateMetadataRequest,
    field("controller_id", INT32),
    field("controller_epoch", INT32),
    field("broker_epoch", INT64, "5+", ignorable=True),
    field("ungrouped_partition_states", ArrayOf(_UPDATE_METADATA_PARTITION_STATE), "0-4"),
    field("topic_states", ArrayOf(_UPDATE_METADATA_TOPIC_STATE), "5+"),
    field("live_brokers", ArrayOf(_UPDATE_METADATA_BROKER)),
)

UPDATE_METADATA_RESPONSE = struct(
    UpdateMetadataResponse,
    field("error_code", INT16),
)
