"""StopReplica (API key 5): the controller tells a broker to stop (and maybe delete) replicas.

Theory of operation
-------------------
The controller sends StopReplica when a replica leaves a broker: the topic is being deleted
(``delete_partitions`` true: stop fetching and delete the log) or the replica is moved away by a
reassignment, or the broker is shutting down in a controlled way (``delete_partitions`` false:
stop fetching, keep the log).  As with LeaderAndIsr, a request from a controller whose
``controller_epoch`` is older than the newest one the broker knows is refused with
STALE_CONTROLLER_EPOCH (11) (``KafkaController.scala``, ``ReplicaManager.stopReplicas``).

The request changed shape at v1, and glasskafka keeps both, as Kafka's schema does:

* v0: ``ungrouped_partitions``, a flat list of (topic, partition);
* v1: ``topics``, each with its partition indexes, and ``broker_epoch`` (KIP-380).

:meth:`StopReplicaRequest.partitions` reads either shape.

Versions served: 0-1, the non-flexible range (``StopReplicaRequest.json``).  Not advertised to
clients: it is an inter-broker API.

Spec IDs: none here; the controller's specs check what it carries.

Simplified from Kafka: v2+ (flexible; v3 a per-partition leader epoch and delete flag, KIP-570)
are not needed by glasskafka's ZooKeeper-era cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import BOOLEAN, INT16, INT32, INT64, STRING, ArrayOf, field, struct

__all__ = [
    "STOP_REPLICA_REQUEST",
    "STOP_REPLICA_RESPONSE",
    "StopReplicaPartitionError",
    "StopReplicaPartitionV0",
    "StopReplicaRequest",
    "StopReplicaResponse",
    "StopReplicaTopicV1",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaPartitionV0:
    """v0: one partition to stop, with its topic."""

    topic_name: str
    partition_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaTopicV1:
    """v1: one topic and the indexes of its partitions to stop."""

    name: str
    partition_indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaRequest(Message):
    """Stop these replicas, deleting their logs if ``delete_partitions`` (from the controller)."""

    controller_id: int
    controller_epoch: int
    broker_epoch: int = -1
    delete_partitions: bool
    ungrouped_partitions: tuple[StopReplicaPartitionV0, ...] = ()
    topics: tuple[StopReplicaTopicV1, ...] = ()

    def partitions(self) -> Iterator[tuple[str, int]]:
        """Every (topic name, partition index), whichever of the two shapes holds them."""
        for partition in self.ungrouped_partitions:
            yield partition.topic_name, partition.partition_index
        for topic in self.topics:
            for index in topic.partition_indexes:
                yield topic.name, index


@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaPartitionError:
    """The outcome for one partition."""

    topic_name: str
    partition_index: int
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaResponse(Message):
    """The broker's answer: a request-level error and one per partition."""

    error_code: int
    partition_errors: tuple[StopReplicaPartitionError, ...]


_STOP_REPLICA_PARTITION_V0 = struct(
    StopReplicaPartitionV0,
    field("topic_name", STRING, "0"),
    field("partition_index", INT32, "0"),
)

_STOP_REPLICA_TOPIC_V1 = struct(
    StopReplicaTopicV1,
    field("name", STRING, "1-2"),
    field("partition_indexes", ArrayOf(INT32), "1-2"),
)

STOP_REPLICA_REQUEST = struct(
    StopReplicaRequest,
    field("controller_id", INT32),
    field("controller_epoch", INT32),
    field("broker_epoch", INT64, "1+", ignorable=True),
    field("delete_partitions", BOOLEAN, "0-2"),
    field("ungrouped_partitions", ArrayOf(_STOP_REPLICA_PARTITION_V0), "0"),
    field("topics", ArrayOf(_STOP_REPLICA_TOPIC_V1), "1-2"),
)

_STOP_REPLICA_PARTITION_ERROR = struct(
    StopReplicaPartitionError,
    field("topic_name", STRING),
    field("partition_index", INT32),
    field("error_code", INT16),
)

STOP_REPLICA_RESPONSE = struct(
    StopReplicaResponse,
    field("error_code", INT16),
    field("partition_errors", ArrayOf(_STOP_REPLICA_PARTITION_ERROR)),
)
