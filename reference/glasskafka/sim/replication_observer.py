"""The replication observer: ghost state from the network, snapshots from the nodes' public state.

Theory of operation
-------------------
``specs/replication.py`` judges a :class:`~glasskafka.sim.kafka_snapshot.ClusterSnapshot`.  A
:class:`ReplicationObserver`, attached to a :class:`~glasskafka.sim.Simulator` running a
coordination node and brokers (usually through ``KafkaCluster``), produces one on demand, with
three kinds of content kept apart (DESIGN §4):

* **Ghost state** (reference §2), one :class:`~glasskafka.sim.kafka_snapshot.GhostRecorder` per
  partition, fed only from what crosses the network, seen as trace events:

  - a ProduceRequest *sent* by a client is a produce attempt (``sent``); when it is *delivered*
    the observer notes the leader's epoch and ISR size at that moment (the state the request is
    accepted in); the ProduceResponse *delivered* to the client is the answer the producer got:
    a success per record (``acked``, with its acks level and offset) or an error (``nacked``).
    A connection that breaks first is an error too (``NETWORK_EXCEPTION``, as a Java client
    reports it).  ``acks=0`` requests expect no answer, so they never count as attempts;
  - a FetchResponse delivered to a consumer is what the consumer read (``consumed``);
  - every partition-state znode written with a leader is a leadership grant (``granted``,
    through :class:`~glasskafka.sim.kafka_cluster.LeadershipGrants`);
  - a broker restarted after a crash that changed its disk (a power loss or a lossy crash that
    cut unsynced bytes) is *dirty* until it holds the committed log again;
  - the true leader's high watermark moves ``true_high_watermark`` and ``committed_log``: the
    observer reads it at the start of every input and in every snapshot.

  No node is ever asked to record anything, so a bug in a node cannot bend its own check.

* **Snapshots** (:meth:`ReplicationObserver.snapshot`) are built from the nodes' public state by
  ``replication_reading.py``: ``/brokers/topics`` and the partition state znodes of the
  coordination service (the ZK state), each broker's ``partition_state`` and log (decoded to
  ``(record id, batch leader epoch)`` per offset; a record's id is its value), its metadata cache
  and controller epoch.  A broker that is down is read from its disk, as a restart would find it.
  Per-broker readings are cached and read again only after the broker took an input, so a
  snapshot after every input stays cheap.  The ghost's view of the true leader is refreshed at
  the start of every input and in every snapshot; a caller that crashes a broker right after the
  broker's last input should take a snapshot first, or that input's HW move is only seen if
  another input follows.

* **Step events** (:meth:`ReplicationObserver.step_events`) say what the last input was, for the
  transition properties: the broker's own account of it (``BrokerNode.events``, Kafka's
  state-change log as data) turned into ``FetchHandled``, ``ProduceHandled``,
  ``ProduceCompleted``, ``LeaderAndIsrHandled`` and ``IsrWriteAnswered``; and, for an input at
  the coordination service, the leader's conditional ISR write it received
  (``IsrWriteHandled``).  LeaderAndIsr comes from the broker's account rather than the network
  because the controller's request to its own broker never crosses the network.

Spec IDs: none maintained; this module supplies the data of REPL-1..16, CTRL-1 and LIVE-1..3.

Simplified from Kafka: Kafka has no global observer; its system tests (ducktape) compare what
producers were told with what consumers read afterwards, which is this module's ghost state
without the view inside the brokers.  Record ids are record values, so producers in a checked
run must give every record a distinct value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from glasskafka.broker import (
    BrokerEvent,
    BrokerNode,
    IsrWriteResult,
    LeaderAndIsrApplied,
    ProduceAnswered,
    ProduceAppended,
    ReplicaFetchServed,
    Role,
)
from glasskafka.controller.znodes import (
    NO_LEADER,
    ZnodeFormatError,
    decode_partition_state,
    partition_state_path,
)
from glasskafka.coordination import CoordinationServer, SetDataRequest
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Epoch, NodeId, Offset, PartitionId, TopicName, TopicPartition
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.sim.kafka_cluster import COORDINATION_NODE, LeadershipGrants
from glasskafka.sim.kafka_snapshot import (
    NO_EPOCH,
    Acks,
    ClusterSnapshot,
    FetchHandled,
    GhostRecorder,
    IsrWriteAnswered,
    IsrWriteHandled,
    LeaderAndIsrHandled,
    PartitionGhost,
    PartitionSnapshot,
    ProduceCompleted,
    ProduceHandled,
    ReplicaState,
    StepEvent,
)
from glasskafka.sim.replication_reading import (
    UNKNOWN_RECORD,
    BrokerReading,
    broker_of,
    decode_records,
    known_partitions,
    log_entries,
    read_running_broker,
    read_stopped_broker,
    read_zk_state,
    record_id,
    to_zk_partition_state,
    topic_assignment,
    topic_min_insync_replicas,
)
from glasskafka.sim.simulator import Simulator
from glasskafka.sim.trace import (
    Called,
    ConnectionLost,
    Crashed,
    Delivered,
    Restarted,
    Sent,
    Started,
    TimerFired,
    TraceEvent,
)

__all__ = ["ReplicationObserver", "acks_of"]

_COMPLETIONS = (ErrorCode.NONE, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
"""Delayed produce answers given because the HW passed the batch.  A timeout or a lost
leadership also answers a parked produce, but that is not a completion (REPL-16)."""


def acks_of(acks: int) -> Acks:
    """The ``Acks`` of a ProduceRequest's ``acks`` field (-1 is ``all``)."""
    return Acks.ZERO if acks == 0 else Acks.ONE if acks == 1 else Acks.ALL


def _error(code: int) -> ErrorCode:
    """The error an answer carries; a code Kafka does not define counts as an unknown error."""
    try:
        return ErrorCode(code)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


def _ids(records: bytes | None) -> tuple[str, ...]:
    return tuple(record_id(record) for _, record in decode_records(records))


@dataclass(slots=True)
class _Produce:
    """One produce request in flight: its records per partition, and how it was accepted."""

    acks: Acks
    records: dict[TopicPartition, tuple[str, ...]]
    accepted: dict[TopicPartition, tuple[Epoch, int]] = field(default_factory=dict)


@dataclass(slots=True)
class ReplicationObserver:
    """Keeps ghost state from trace events and builds snapshots of a simulated cluster.

    Attach it with :meth:`attach` before the traffic it should judge.  It is plain data, so a
    deep copy of the simulation copies it along (``Trace.__deepcopy__``).
    """

    coordination_node: NodeId = COORDINATION_NODE
    recorders: dict[TopicPartition, GhostRecorder] = field(default_factory=dict)
    grants: LeadershipGrants = field(default_factory=LeadershipGrants)
    sim: Simulator | None = field(default=None, repr=False)
    _produces: dict[tuple[NodeId, NodeId, int], _Produce] = field(default_factory=dict, repr=False)
    _fetches: dict[tuple[NodeId, NodeId, int], dict[TopicPartition, int]] = field(
        default_factory=dict
    )
    _disk_changed: set[NodeId] = field(default_factory=set)
    _views: dict[NodeId, BrokerReading] = field(default_factory=dict, repr=False)
    inputs: int = 0
    """How many inputs (and crashes, restarts, starts) the observer has seen begin."""
    _input_node: NodeId | None = None
    _input_records: tuple[str, ...] = ()
    _isr_writes: list[IsrWriteHandled] = field(default_factory=list)

    def attach(self, sim: Simulator) -> None:
        """Observe ``sim`` from now on.  Raises ``GlassKafkaError`` if already attached."""
        if self.sim is not None:
            raise GlassKafkaError("this ReplicationObserver is already attached to a simulation")
        self.sim = sim
        sim.observe(self)

    def recorder(self, topic: str, partition: int) -> GhostRecorder:
        """The ghost recorder of one partition, created on first use."""
        key = (TopicName(topic), PartitionId(partition))
        return self.recorders.setdefault(key, GhostRecorder())

    @property
    def last_input_node(self) -> NodeId | None:
        """The node that took the latest input (or was crashed, restarted or started)."""
        return self._input_node

    # -- trace events --------------------------------------------------------------------------

    def __call__(self, event: TraceEvent) -> None:
        self.grants(event)
        match event:
            case Delivered(receiver=node_id) | TimerFired(node_id=node_id):
                self._start_input(node_id)
            case ConnectionLost(node_id=node_id) | Called(node_id=node_id):
                self._start_input(node_id)
            case Started(node_id=node_id) | Restarted(node_id=node_id) | Crashed(node_id=node_id):
                self._start_input(node_id)
            case _:
                pass
        match event:
            case Sent(sender=sender, receiver=receiver, message=KafkaRequest() as request):
                self._on_request_sent(sender, receiver, request)
            case Delivered(sender=sender, receiver=receiver, message=KafkaRequest() as request):
                self._on_request_delivered(sender, receiver, request)
            case Delivered(sender=sender, receiver=receiver, message=KafkaResponse() as response):
                self._on_response_delivered(sender, receiver, response)
            case Delivered(sender=sender, receiver=receiver, message=SetDataRequest() as write):
                if receiver == self.coordination_node:
                    self._on_state_write(sender, write)
            case ConnectionLost(node_id=node_id, peer=peer):
                self._on_connection_lost(node_id, peer)
            case Crashed(node_id=node_id, disk_before=before, disk_after=after):
                if before != after:
                    self._disk_changed.add(node_id)
            case Restarted(node_id=node_id):
                self._on_restart(node_id)
            case _:
                pass

    def _start_input(self, node_id: NodeId) -> None:
        """A node is about to take an input: what the previous input did is now complete."""
        self._refresh_true_leaders()
        self.inputs += 1
        self._input_node = node_id
        self._input_records = ()
        self._isr_writes = []
        self._views.pop(node_id, None)

    def _on_request_sent(self, sender: NodeId, receiver: NodeId, request: KafkaRequest) -> None:
        key = (sender, receiver, request.correlation_id)
        match request.body:
            case ProduceRequest(acks=acks, topic_data=topics) if acks != 0:
                records = {
                    (TopicName(t.name), PartitionId(p.index)): _ids(p.records)
                    for t in topics
                    for p in t.partition_data
                }
                self._produces[key] = _Produce(acks=acks_of(acks), records=records)
                for (topic, partition), ids in sorted(records.items()):
                    for record in ids:
                        self.recorder(topic, partition).record_send(record)
            case FetchRequest(replica_id=replica_id, topics=topics) if replica_id < 0:
                self._fetches[key] = {
                    (TopicName(t.topic), PartitionId(p.partition)): p.fetch_offset
                    for t in topics
                    for p in t.partitions
                }
            case _:
                pass

    def _on_request_delivered(
        self, sender: NodeId, receiver: NodeId, request: KafkaRequest
    ) -> None:
        """Note the leader's epoch and ISR size as it accepts a produce (reference §2)."""
        body = request.body
        if not isinstance(body, ProduceRequest):
            return
        self._input_records = tuple(
            record for t in body.topic_data for p in t.partition_data for record in _ids(p.records)
        )
        produce = self._produces.get((sender, receiver, request.correlation_id))
        broker = self._running_broker(receiver)
        if produce is None or broker is None:
            return
        for topic, partition in produce.records:
            view = broker.partition_state(topic, partition)
            if view is not None:
                produce.accepted[(topic, partition)] = (view.leader_epoch, len(view.isr))

    def _on_response_delivered(
        self, sender: NodeId, receiver: NodeId, response: KafkaResponse
    ) -> None:
        key = (receiver, sender, response.correlation_id)
        match response.body:
            case ProduceResponse(responses=topics) if key in self._produces:
                produce = self._produces.pop(key)
                for t in topics:
                    for p in t.partition_responses:
                        tp = (TopicName(t.name), PartitionId(p.index))
                        self._record_answer(tp, produce, _error(p.error_code), p.base_offset)
            case FetchResponse(responses=topics) if key in self._fetches:
                offsets = self._fetches.pop(key)
                for fetched in topics:
                    for data in fetched.partitions:
                        tp = (TopicName(fetched.topic), PartitionId(data.partition_index))
                        if data.error_code == ErrorCode.NONE and tp in offsets:
                            self._record_read(tp, offsets[tp], data.records)
            case _:
                pass

    def _record_answer(
        self, tp: TopicPartition, produce: _Produce, error: ErrorCode, base_offset: int
    ) -> None:
        recorder = self.recorder(*tp)
        epoch, isr_size = produce.accepted.get(tp, (NO_EPOCH, 0))
        for index, record in enumerate(produce.records.get(tp, ())):
            if error is ErrorCode.NONE:
                offset = Offset(base_offset + index)
                recorder.record_ack(
                    record, acks=produce.acks, offset=offset, leader_epoch=epoch, isr_size=isr_size
                )
            else:
                recorder.record_error(record, error)

    def _record_read(self, tp: TopicPartition, fetch_offset: int, records: bytes | None) -> None:
        recorder = self.recorder(*tp)
        for _, record in decode_records(records):
            if record.offset >= fetch_offset:
                recorder.record_consumed(offset=Offset(record.offset), record=record_id(record))

    def _on_connection_lost(self, node_id: NodeId, peer: NodeId) -> None:
        """``node_id`` learns that its requests to ``peer`` will never be answered."""
        for key in sorted(k for k in self._produces if k[:2] == (node_id, peer)):
            produce = self._produces.pop(key)
            for tp in sorted(produce.records):
                self._record_answer(tp, produce, ErrorCode.NETWORK_EXCEPTION, -1)
        for key in sorted(k for k in self._fetches if k[:2] == (node_id, peer)):
            del self._fetches[key]

    def _on_state_write(self, sender: NodeId, write: SetDataRequest) -> None:
        """A conditional write of a state znode that keeps its leader epoch is a leader's own ISR
        write; the controller bumps the epoch on every change it makes (``election.py``)."""
        if broker_of(sender) is None:
            return
        server = self._server()
        for tp in known_partitions(server):
            current = read_zk_state(server, tp)
            if write.path != partition_state_path(*tp) or current is None:
                continue
            try:
                written = decode_partition_state(write.data)
            except ZnodeFormatError:
                return
            if written.leader_epoch == current.leader_epoch:
                self._isr_writes.append(
                    IsrWriteHandled(
                        topic=tp[0],
                        partition=tp[1],
                        leader=written.leader,
                        isr=frozenset(written.isr),
                        expected_zk_version=write.version,
                    )
                )

    def _on_restart(self, node_id: NodeId) -> None:
        broker_id = broker_of(node_id)
        if node_id in self._disk_changed and broker_id is not None:
            for tp in known_partitions(self._server()):
                self.recorder(*tp).mark_dirty(broker_id)
        self._disk_changed.discard(node_id)

    # -- the true leader's high watermark ------------------------------------------------------

    def _refresh_true_leaders(self) -> None:
        """Let each partition's true leader move the true HW and the committed log (§2)."""
        if self.sim is None or not self.sim.is_up(self.coordination_node):
            return
        server = self._server()
        for tp in known_partitions(server):
            state = read_zk_state(server, tp)
            if state is None or state.leader == NO_LEADER:
                continue
            broker = self._running_broker(NodeId(f"broker-{state.leader}"))
            view = broker.partition_state(*tp) if broker is not None else None
            log = broker.log(*tp) if broker is not None else None
            recorder = self.recorder(*tp)
            if (
                view is None
                or log is None
                or not (view.role is Role.LEADER and view.leader_epoch == state.leader_epoch)
                or view.high_watermark <= recorder.true_high_watermark
            ):
                continue
            recorder.record_true_leader_hw(
                view.high_watermark, log_entries(log), log_start_offset=view.log_start_offset
            )

    # -- snapshots -----------------------------------------------------------------------------

    def _server(self) -> CoordinationServer:
        if self.sim is None:
            raise GlassKafkaError("attach the ReplicationObserver to a simulation first")
        return self.sim.node_as(self.coordination_node, CoordinationServer)

    def _running_broker(self, node_id: NodeId) -> BrokerNode | None:
        if self.sim is None or node_id not in self.sim.hosts or not self.sim.is_up(node_id):
            return None
        node = self.sim.node(node_id)
        return node if isinstance(node, BrokerNode) else None

    def snapshot(self) -> ClusterSnapshot:
        """The cluster now: every broker, every partition with a state znode, and its ghost.

        Raises ``GlassKafkaError`` if the observer is not attached or the coordination node is
        down (the ZK state would be unknown).
        """
        self._refresh_true_leaders()
        server = self._server()
        assert self.sim is not None
        readings = {
            reading.broker.broker_id: reading
            for node_id in self.sim.node_ids
            if (reading := self._reading(node_id)) is not None
        }
        default_min_isr = next(
            (
                b.config.min_insync_replicas
                for n in self.sim.node_ids
                if (b := self._running_broker(n))
            ),
            1,
        )
        partitions = []
        for tp in known_partitions(server):
            state = read_zk_state(server, tp)
            if state is None:
                continue
            assigned = topic_assignment(server, tp[0]).get(tp[1], ())
            partition = PartitionSnapshot(
                topic=tp[0],
                partition=tp[1],
                replicas=tuple(_replica(readings.get(b), b, tp) for b in assigned),
                zk_state=to_zk_partition_state(state),
                min_insync_replicas=topic_min_insync_replicas(server, tp[0], default_min_isr),
            )
            partitions.append(dataclasses.replace(partition, ghost=self._ghost(partition)))
        brokers = tuple(readings[b].broker for b in sorted(readings))
        return ClusterSnapshot(brokers=brokers, partitions=tuple(partitions))

    def _ghost(self, partition: PartitionSnapshot) -> PartitionGhost:
        recorder = self.recorder(partition.topic, partition.partition)
        for broker_id, epoch in sorted(self.grants.of(partition.topic, partition.partition)):
            recorder.record_grant(replica=broker_id, leader_epoch=epoch)
        recorder.observe(partition)
        return recorder.ghost()

    def _reading(self, node_id: NodeId) -> BrokerReading | None:
        """A broker's part of the snapshot, read again only if it took an input since."""
        assert self.sim is not None
        broker_id = broker_of(node_id)
        if broker_id is None:
            return None
        cached = self._views.get(node_id)
        if cached is None:
            broker = self._running_broker(node_id)
            if broker is not None:
                cached = read_running_broker(broker)
            else:
                intact = node_id not in self._disk_changed
                disk, now_ms = self.sim.disk(node_id), self.sim.now_ms
                cached = read_stopped_broker(broker_id, disk, now_ms=now_ms, log_intact=intact)
            self._views[node_id] = cached
        return cached

    # -- step events ---------------------------------------------------------------------------

    def step_events(self, before: ClusterSnapshot, after: ClusterSnapshot) -> list[StepEvent]:
        """What the latest input did, as the transition properties' step events.

        ``before`` and ``after`` are the snapshots around that input; they supply the record ids
        of produce events (from the leader's log).  An input at a client or a timer that did
        nothing of interest gives ``[]``.
        """
        events: list[StepEvent] = list(self._isr_writes)
        node_id = self._input_node
        broker = self._running_broker(node_id) if node_id is not None else None
        if broker is None:
            return events
        for event in broker.events:
            converted = self._convert(broker.broker_id, event, before, after)
            if converted is not None:
                events.append(converted)
        return events

    def _convert(
        self,
        broker_id: BrokerId,
        event: BrokerEvent,
        before: ClusterSnapshot,
        after: ClusterSnapshot,
    ) -> StepEvent | None:
        match event:
            case ReplicaFetchServed():
                epoch = event.current_leader_epoch
                return FetchHandled(
                    topic=event.topic,
                    partition=event.partition,
                    leader=broker_id,
                    follower=event.follower,
                    fetch_offset=event.fetch_offset,
                    current_leader_epoch=None if epoch < 0 else epoch,
                    error=event.error,
                )
            case ProduceAppended():
                record = _record_at(
                    after, event.topic, event.partition, broker_id, event.base_offset
                )
                if record == UNKNOWN_RECORD and self._input_records:
                    record = self._input_records[0]
                return ProduceHandled(
                    topic=event.topic,
                    partition=event.partition,
                    leader=broker_id,
                    record=record,
                    acks=acks_of(event.acks),
                    error=event.error,
                )
            case ProduceAnswered(delayed=True, error=error) if error in _COMPLETIONS:
                return ProduceCompleted(
                    topic=event.topic,
                    partition=event.partition,
                    leader=broker_id,
                    record=_record_at(
                        before, event.topic, event.partition, broker_id, event.base_offset
                    ),
                    offset=event.base_offset,
                    error=error,
                )
            case LeaderAndIsrApplied():
                return LeaderAndIsrHandled(
                    broker=broker_id,
                    topic=event.topic,
                    partition=event.partition,
                    controller_epoch=event.controller_epoch,
                    leader=event.leader,
                    leader_epoch=event.leader_epoch,
                    isr=event.isr,
                    error=event.error,
                )
            case IsrWriteResult(outcome_unknown=False):
                return IsrWriteAnswered(
                    broker=broker_id,
                    topic=event.topic,
                    partition=event.partition,
                    isr=event.isr,
                    succeeded=event.succeeded,
                )
            case _:
                return None


_COMPLETIONS = (ErrorCode.NONE, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
"""Delayed produce answers given because the HW passed the batch.  A timeout or a lost
leadership also answers a parked produce, but that is not a completion (REPL-16)."""


def _replica(
    reading: BrokerReading | None, broker_id: BrokerId, tp: TopicPartition
) -> ReplicaState:
    """The broker's replica of ``tp``; a broker without one holds an empty log, with no role."""
    if reading is None:
        return ReplicaState(broker_id=broker_id, running=False)
    found = reading.replicas.get(tp)
    return found or ReplicaState(broker_id=broker_id, running=reading.broker.running)


def _record_at(
    snapshot: ClusterSnapshot,
    topic: TopicName,
    partition: PartitionId,
    broker: BrokerId,
    offset: int,
) -> str:
    """The id of the record at ``offset`` on ``broker``'s replica, or ``"?"``."""
    found = snapshot.partition(topic, partition)
    replica = found.replica(broker) if found is not None else None
    entry = replica.entry_at(offset) if replica is not None else None
    return UNKNOWN_RECORD if entry is None else entry[0]
