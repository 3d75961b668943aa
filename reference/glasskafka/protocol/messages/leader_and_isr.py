"""LeaderAndIsr (API key 4): the controller tells brokers which replicas they lead or follow.

Theory of operation
-------------------
In the ZooKeeper-era design one broker is the *controller*.  When it elects a partition leader
(at topic creation, after a broker failure, on reassignment) it writes the new leader, leader
epoch and ISR to ZooKeeper, then sends LeaderAndIsr to every broker holding a replica of the
partition (Kafka's design, "Replication"; ``KafkaController.scala``).  A broker that finds itself
``leader`` becomes leader (``become_leader``): it starts accepting produce and tracking follower
positions; any other replica becomes a follower of it and starts fetching.

Brokers accept a partition state only if its ``leader_epoch`` is newer than the one they have,
and a request only if ``controller_epoch`` is not older than the newest controller they have
heard from (STALE_CONTROLLER_EPOCH, 11), so a deposed controller cannot undo a newer decision.
``partition_epoch`` (``zkVersion`` in older Kafka) is the version of the partition's state znode;
``live_leaders`` gives the address of every leader named, so followers can connect to it.

The request changed shape at v2, and glasskafka keeps both shapes, as Kafka's schema does:

* v0-1: ``ungrouped_partition_states``, each state carrying its own ``topic_name``;
* v2+: ``topic_states``, each topic listing its partitions' states (whose ``topic_name`` is then
  left at its default and dropped; Kafka marks it ignorable).

:meth:`LeaderAndIsrRequest.partition_states` reads either shape.

Versions served: 0-3, the non-flexible range (``LeaderAndIsrRequest.json``):

=====  ======================================================================================
v1     ``is_new`` per partition (the replica may create its log)
v2     ``broker_epoch`` (KIP-380 fencing of a restarted broker); partitions grouped by topic
v3     ``adding_replicas``, ``removing_replicas`` (KIP-455 reassignment)
=====  ======================================================================================

Not advertised to clients: it is an inter-broker API.

Spec IDs: none here; the controller's and brokers' specs (CTRL-n, REPL-n) check what it carries.

Simplified from Kafka: v4+ (flexible; topic ids, the ``type`` of a full request, leader recovery
state) are not needed by glasskafka's ZooKeeper-era cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import BOOLEAN, INT16, INT32, INT64, STRING, ArrayOf, field, struct

__all__ = [
    "LEADER_AND_ISR_REQUEST",
    "LEADER_AND_ISR_RESPONSE",
    "LeaderAndIsrLiveLeader",
    "LeaderAndIsrPartitionError",
    "LeaderAndIsrPartitionState",
    "LeaderAndIsrRequest",
    "LeaderAndIsrResponse",
    "LeaderAndIsrTopicState",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrPartitionState:
    """The controller's decision for one partition: leader, epoch, ISR and replicas."""

    topic_name: str = ""
    partition_index: int
    controller_epoch: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    partition_epoch: int
    replicas: tuple[int, ...]
    adding_replicas: tuple[int, ...] = ()
    removing_replicas: tuple[int, ...] = ()
    is_new: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrTopicState:
    """v2+: the partition states of one topic."""

    topic_name: str
    partition_states: tuple[LeaderAndIsrPartitionState, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrLiveLeader:
    """Where to reach one of the leaders named in the request."""

    broker_id: int
    host_name: str
    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrRequest(Message):
    """Become leader or follower of these partitions (from the controller)."""

    controller_id: int
    controller_epoch: int
    broker_epoch: int = -1
    ungrouped_partition_states: tuple[LeaderAndIsrPartitionState, ...] = ()
    topic_states: tuple[LeaderAndIsrTopicState, ...] = ()
    live_leaders: tuple[LeaderAndIsrLiveLeader, ...]

    def partition_states(self) -> Iterator[tuple[str, LeaderAndIsrPartitionState]]:
        """Every (topic name, partition state), whichever of the two shapes holds them."""
        for state in self.ungrouped_partition_states:
            yield state.topic_name, state
        for topic in self.topic_states:
            for state in topic.partition_states:
                yield topic.topic_name, state


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrPartitionError:
    """The outcome for one partition."""

    topic_name: str = ""
    partition_index: int
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrResponse(Message):
    """The broker's answer: a request-level error and one per partition."""

    error_code: int
    partition_errors: tuple[LeaderAndIsrPartitionError, ...]


_LEADER_AND_ISR_PARTITION_STATE = struct(
    LeaderAndIsrPartitionState,
    field("topic_name", STRING, "0-1", ignorable=True),
    field("partition_index", INT32),
    field("controller_epoch", INT32),
    field("leader", INT32),
    field("leader_epoch", INT32),
    field("isr", ArrayOf(INT32)),
    field("partition_epoch", INT32),
    field("replicas", ArrayOf(INT32)),
    field("adding_replicas", ArrayOf(INT32), "3+", ignorable=True),
    field("removing_replicas", ArrayOf(INT32), "3+", ignorable=True),
    field("is_new", BOOLEAN, "1+", ignorable=True),
)

_LEADER_AND_ISR_TOPIC_STATE = struct(
    LeaderAndIsrTopicState,
    field("topic_name", STRING, "2+"),
    field("partition_states", ArrayOf(_LEADER_AND_ISR_PARTITION_STATE), "2+"),
)

_LEADER_AND_ISR_LIVE_LEADER = struct(
    LeaderAndIsrLiveLeader,
    field("broker_id", INT32),
    field("host_name", STRING),
    field("port", INT32),
)

LEADER_AND_ISR_REQUEST = struct(
    LeaderAndIsrRequest,
    field("controller_id", INT32),
    field("controller_epoch", INT32),
    field("broker_epoch", INT64, "2+", ignorable=True),
    field("ungrouped_partition_states", ArrayOf(_LEADER_AND_ISR_PARTITION_STATE), "0-1"),
    field("topic_states", ArrayOf(_LEADER_AND_ISR_TOPIC_STATE), "2+"),
    field("live_leaders", ArrayOf(_LEADER_AND_ISR_LIVE_LEADER)),
)

_LEADER_AND_ISR_PARTITION_ERROR = struct(
    LeaderAndIsrPartitionError,
    field("topic_name", STRING, "0-4", ignorable=True),
    field("partition_index", INT32),
    field("error_code", INT16),
)

LEADER_AND_ISR_RESPONSE = struct(
    LeaderAndIsrResponse,
    field("error_code", INT16),
    field("partition_errors", ArrayOf(_LEADER_AND_ISR_PARTITION_ERROR), "0-4"),
)
