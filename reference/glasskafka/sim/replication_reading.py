"""Reading a simulated cluster's public state as the parts of a replication snapshot.

Theory of operation
-------------------
:class:`~glasskafka.sim.replication_observer.ReplicationObserver` builds a
:class:`~glasskafka.sim.kafka_snapshot.ClusterSnapshot` from what the nodes show anyone who looks,
never from their private fields.  This module does the looking, as pure functions:

* **the coordination service** (:func:`known_partitions`, :func:`read_zk_state`,
  :func:`topic_min_insync_replicas`): ``/brokers/topics/<t>`` for the assignment, the partition
  state znodes for the ZK state (their ``version`` is the ``zk_version``), ``/config/topics/<t>``
  for ``min.insync.replicas``;
* **a running broker** (:func:`read_running_broker`): ``BrokerNode.partition_state`` for each
  replica's view, its log decoded by :func:`log_entries`, its metadata cache and controller epoch;
* **a stopped broker** (:func:`read_stopped_broker`): what its disk holds, as a restart would
  find it.  The logs are opened -- and so recovered, which may cut a torn tail -- on a *copy* of
  the disk, so looking never changes what the broker will find; the high watermarks are those of
  ``replication-offset-checkpoint``, kept within each log.

A log is shown as ``(record id, leader epoch of the batch)`` per offset (KIP-101's stamp).  A
record's id is its value as text: the model tests and tutorials give every record a distinct
value, so an id names one produce attempt.

Spec IDs: none maintained; this is the input of REPL-1..16, CTRL-1 and LIVE-1..3.

Simplified from Kafka: Kafka's tools read the same facts one at a time -- ``kafka-topics
--describe`` (leader, ISR), ``kafka-dump-log`` (batches and their ``partitionLeaderEpoch``), the
``replication-offset-checkpoint`` file -- and never all at one instant.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from glasskafka.broker import BrokerNode
from glasskafka.controller.znodes import (
    NO_LEADER,
    PartitionState,
    ZnodeFormatError,
    decode_partition_state,
    decode_topic_assignment,
    decode_topic_config,
    partition_state_path,
    topic_config_path,
    topic_path,
)
from glasskafka.coordination import CoordinationServer
from glasskafka.ids import (
    BrokerId,
    Epoch,
    Millis,
    NodeId,
    Offset,
    PartitionId,
    TopicName,
    TopicPartition,
)
from glasskafka.log import LogError, LogManager, PartitionLog
from glasskafka.records import CorruptRecordError, DecodedRecord, decode_batch
from glasskafka.records.batch import iter_batches
from glasskafka.records.compression import UnsupportedCompressionError
from glasskafka.sim.kafka_snapshot import (
    NO_EPOCH,
    BrokerSnapshot,
    LogEntry,
    PartitionMetadata,
    ReplicaRole,
    ReplicaState,
    ZkPartitionState,
)
from glasskafka.storage import SimDisk

__all__ = [
    "TOPICS_PATH",
    "UNKNOWN_RECORD",
    "BrokerReading",
    "broker_of",
    "decode_records",
    "known_partitions",
    "log_entries",
    "read_running_broker",
    "read_stopped_broker",
    "read_zk_state",
    "record_id",
    "to_zk_partition_state",
    "topic_assignment",
    "topic_min_insync_replicas",
]

TOPICS_PATH = "/brokers/topics"
UNKNOWN_RECORD = "?"
"""The id shown for an offset whose record cannot be read (a gap, or a damaged batch)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerReading:
    """One broker's part of a snapshot: the broker itself and its replicas by partition."""

    broker: BrokerSnapshot
    replicas: dict[TopicPartition, ReplicaState]


def broker_of(node_id: NodeId) -> BrokerId | None:
    """The broker id of node ``broker-<n>``, or ``None`` for any other node."""
    prefix, _, number = node_id.partition("-")
    return BrokerId(int(number)) if prefix == "broker" and number.isdigit() else None


# ---------------------------------------------------------------------------------------------
# Records and logs


def record_id(record: DecodedRecord) -> str:
    """A record's id in snapshots: its value as text (``<null>`` for a null value)."""
    return "<null>" if record.value is None else record.value.decode("utf-8", "replace")


def decode_records(records: bytes | None) -> list[tuple[Epoch, DecodedRecord]]:
    """``(batch leader epoch, record)`` for every record of the whole batches in ``records``.

    Decoding stops at the first damaged batch (or one compressed with a codec glasskafka does
    not read): what came before it still counts, as a reader of a torn log would see it.
    """
    decoded: list[tuple[Epoch, DecodedRecord]] = []
    data = records or b""
    try:
        for position, header in iter_batches(data):
            epoch = Epoch(header.partition_leader_epoch)
            decoded += [(epoch, record) for record in decode_batch(data, position).records]
    except (CorruptRecordError, UnsupportedCompressionError):
        pass
    return decoded


def log_entries(log: PartitionLog) -> tuple[LogEntry, ...]:
    """The log as ``(record id, batch leader epoch)`` per offset, from its log start offset.

    An offset the log does not hold (a compaction gap) shows as ``("?", -1)``, so positions stay
    aligned with offsets.
    """
    entries: list[LogEntry] = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        decoded = decode_records(log.read(offset, max_bytes=1 << 30))
        if not decoded:
            break
        for epoch, record in decoded:
            if record.offset < offset:
                continue
            while log.log_start_offset + len(entries) < record.offset:
                entries.append((UNKNOWN_RECORD, NO_EPOCH))
            entries.append((record_id(record), epoch))
            offset = record.offset + 1
    return tuple(entries)


# ---------------------------------------------------------------------------------------------
# The coordination service


def topic_assignment(
    server: CoordinationServer, topic: TopicName
) -> dict[PartitionId, tuple[BrokerId, ...]]:
    """The topic's replica assignment, ``{}`` if it has none (or an unreadable one)."""
    znode = server.znode(topic_path(topic))
    if znode is None:
        return {}
    try:
        return dict(decode_topic_assignment(znode.data))
    except ZnodeFormatError:
        return {}


def known_partitions(server: CoordinationServer) -> list[TopicPartition]:
    """Every partition that has an assignment in ``/brokers/topics``, sorted."""
    topics = server.znode(TOPICS_PATH)
    found: list[TopicPartition] = []
    for topic in sorted(topics.children if topics is not None else ()):
        assignment = topic_assignment(server, TopicName(topic))
        found += [(TopicName(topic), partition) for partition in sorted(assignment)]
    return found


def read_zk_state(server: CoordinationServer, tp: TopicPartition) -> PartitionState | None:
    """The partition state znode (with its version as ``zk_version``), or ``None``."""
    znode = server.znode(partition_state_path(*tp))
    if znode is None:
        return None
    try:
        return decode_partition_state(znode.data, zk_version=znode.version)
    except ZnodeFormatError:
        return None


def to_zk_partition_state(state: PartitionState) -> ZkPartitionState:
    """The snapshot's form of a state znode: leader ``None`` when offline."""
    return ZkPartitionState(
        leader=None if state.leader == NO_LEADER else state.leader,
        leader_epoch=state.leader_epoch,
        isr=frozenset(state.isr),
        zk_version=state.zk_version,
        controller_epoch=state.controller_epoch,
    )


def topic_min_insync_replicas(server: CoordinationServer, topic: TopicName, default: int) -> int:
    """``min.insync.replicas`` from the topic's config znode, else ``default`` (the brokers')."""
    znode = server.znode(topic_config_path(topic))
    if znode is None:
        return default
    try:
        return int(decode_topic_config(znode.data)["min.insync.replicas"])
    except (ZnodeFormatError, KeyError, ValueError):
        return default


# ---------------------------------------------------------------------------------------------
# Brokers


def read_running_broker(broker: BrokerNode) -> BrokerReading:
    """A running broker's replicas (its own view of each), metadata cache and controller epoch."""
    replicas = {}
    for tp in broker.partitions():
        view, log = broker.partition_state(*tp), broker.log(*tp)
        if view is None or log is None:
            continue
        replicas[tp] = ReplicaState(
            broker_id=broker.broker_id,
            role=ReplicaRole[view.role.name],
            leader=view.leader,
            leader_epoch=view.leader_epoch,
            isr=view.isr,
            pending_isr=view.pending_isr,
            maximal_isr=view.maximal_isr,
            leader_epoch_start_offset=view.leader_epoch_start_offset,
            log=log_entries(log),
            log_start_offset=view.log_start_offset,
            high_watermark=view.high_watermark,
            last_fetched_high_watermark=view.last_fetched_high_watermark,
            epoch_cache=view.epoch_cache,
        )
    metadata = tuple(
        PartitionMetadata(
            topic=cached.topic,
            partition=cached.partition,
            leader=None if cached.leader < 0 else cached.leader,
            leader_epoch=cached.leader_epoch,
            isr=frozenset(cached.isr),
        )
        for cached in sorted(broker.metadata_cache.entries(), key=lambda c: (c.topic, c.partition))
    )
    snapshot = BrokerSnapshot(
        broker_id=broker.broker_id, controller_epoch=broker.controller_epoch, metadata=metadata
    )
    return BrokerReading(broker=snapshot, replicas=replicas)


def read_stopped_broker(
    broker_id: BrokerId, disk: SimDisk, *, now_ms: Millis, log_intact: bool
) -> BrokerReading:
    """A stopped broker's replicas as a restart would find them (module docstring).

    ``log_intact`` is false after a crash that changed the disk (a power loss or a lossy crash
    that lost unsynced bytes).  A disk too damaged to open shows no replicas.
    """
    stopped = BrokerSnapshot(broker_id=broker_id, running=False)
    try:
        manager = LogManager.open(copy.deepcopy(disk), now_ms=now_ms)
        checkpointed = manager.read_high_watermarks()
    except LogError:
        return BrokerReading(broker=stopped, replicas={})
    replicas = {}
    for tp, log in sorted(manager.logs.items()):
        entries = log_entries(log)
        end = log.log_start_offset + len(entries)
        high_watermark = max(log.log_start_offset, min(checkpointed.get(tp, 0), end))
        replicas[tp] = ReplicaState(
            broker_id=broker_id,
            running=False,
            log_intact=log_intact,
            log=entries,
            log_start_offset=Offset(log.log_start_offset),
            high_watermark=Offset(high_watermark),
            epoch_cache=tuple((Epoch(e), Offset(s)) for e, s in log.epoch_cache.entries),
        )
    return BrokerReading(broker=stopped, replicas=replicas)
