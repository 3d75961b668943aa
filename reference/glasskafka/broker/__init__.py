"""The broker: partition replicas, produce and fetch, pull replication, ISR, HW, leader epochs.

Read it in this order, lowest concept first:

* ``partition`` -- one replica's state: role (leader, follower, none), leader epoch, ISR and the
  maximal ISR, followers' positions, the high watermark, KIP-320 fencing;
* ``effects`` -- what one input makes the broker do, and the events observers read;
* ``purgatory`` and ``request_channel`` -- parked requests, and connection muting;
* ``metadata_cache`` -- what UpdateMetadata told the broker; answering Metadata;
* ``isr`` -- shrinking and expanding the ISR through conditional coordination writes;
* ``truncation`` and ``fetcher`` -- how a follower reconciles its log by leader epoch, then
  copies the leader's;
* ``replica_manager`` -- every replica, and the controller's LeaderAndIsr and StopReplica;
* ``produce_path`` and ``fetch_path`` -- the leader's side of Produce, Fetch, ListOffsets and
  OffsetForLeaderEpoch;
* ``apis``, ``responses``, ``registration``, ``session`` -- request dispatch, error answers, the
  ephemeral registration, the coordination session;
* ``node`` -- :class:`BrokerNode`, which ties them together and hosts the controller role.

``docs/concepts/broker.md`` tells the story; ``docs/concepts/replication.md`` states what the
broker promises (REPL-n, CTRL-1) and the scenarios the bug flags bring back.

Simplified from Kafka: see each module's own note; the largest omissions are the group
coordinator, idempotent-producer state and transactions, quotas and fetch sessions.
"""

from glasskafka.broker.effects import (
    BrokerEvent,
    IsrWriteResult,
    IsrWriteSent,
    LeaderAndIsrApplied,
    ProduceAnswered,
    ProduceAppended,
    ReplicaFetchServed,
    Truncated,
)
from glasskafka.broker.fetcher import FetchState
from glasskafka.broker.metadata_cache import CachedBroker, CachedPartition, MetadataCache
from glasskafka.broker.node import BrokerNode
from glasskafka.broker.partition import ROLE_TRANSITIONS, PartitionView, Role, role_transitions_dot
from glasskafka.broker.session import COORDINATION_NODE_ID

__all__ = [
    "COORDINATION_NODE_ID",
    "ROLE_TRANSITIONS",
    "BrokerEvent",
    "BrokerNode",
    "CachedBroker",
    "CachedPartition",
    "FetchState",
    "IsrWriteResult",
    "IsrWriteSent",
    "LeaderAndIsrApplied",
    "MetadataCache",
    "PartitionView",
    "ProduceAnswered",
    "ProduceAppended",
    "ReplicaFetchServed",
    "Role",
    "Truncated",
    "role_transitions_dot",
]
