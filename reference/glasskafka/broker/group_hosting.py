"""Hosting the group coordinator: the broker's side of the seam in ``glasskafka/group/host.py``.

Theory of operation
-------------------
Every Kafka broker runs a group coordinator; which groups it serves follows from which
``__consumer_offsets`` partitions it leads.  :class:`GroupHosting` embeds the plain-data
:class:`~glasskafka.group.GroupCoordinator` in a broker and carries out what it asks for, as
Kafka's ``KafkaApis`` and ``ReplicaManager`` do for ``GroupCoordinator``:

* **requests** (:meth:`~GroupHosting.on_request`): the nine group APIs (FindCoordinator,
  JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
  ListGroups) go to the role.  A request the role does not answer in the same step is *parked*
  there -- a JoinGroup waiting for the join phase, a SyncGroup for the leader's assignment, an
  OffsetCommit for its records -- and the peer stays muted until its answer goes out
  (``request_channel.py``), so each peer's answers leave in request order;
* **timers** named ``"group:..."`` go back to the role;
* **leadership** (:meth:`~GroupHosting.follow_leadership`, after every LeaderAndIsr and
  StopReplica): for each offsets partition this broker now leads in a new leader epoch, the role
  is told ``become_leader`` and then ``load`` with the partition's batches from the log start to
  the *log end* (``host.py`` says why not the high watermark); for each it no longer leads,
  ``become_follower``.  Loading is synchronous, so COORDINATOR_LOAD_IN_PROGRESS is never seen
  (Kafka loads on a background thread);
* **appends**: each :class:`~glasskafka.group.OffsetsAppend` is appended by the leader of its
  offsets partition with ``acks=all`` semantics (``offsets.commit.required.acks``): refused
  up front if this broker does not lead the partition or its ISR is below
  ``min.insync.replicas``; once appended, completed when the high watermark passes it (NONE, or
  NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR has meanwhile shrunk below the minimum), when the
  broker stops leading the partition in that epoch (NOT_LEADER_OR_FOLLOWER), or after
  :data:`OFFSETS_COMMIT_TIMEOUT_MS` (REQUEST_TIMED_OUT).  Every append is completed exactly once,
  so every parked request is answered (GROUP-5);
* **FindCoordinator before ``__consumer_offsets`` exists**: the broker asks the controller to
  create it -- ``offsets.topic.num.partitions`` partitions, ``offsets.topic.replication.factor``
  replicas, ``cleanup.policy=compact`` -- and answers COORDINATOR_NOT_AVAILABLE, which clients
  retry.  Since KIP-115 (Kafka 0.11) the replication factor is *not* capped at the live
  brokers: while fewer brokers are alive than it asks for, nothing is created and the answer
  says why (``AutoTopicCreationManager.hasEnoughLiveBrokers`` logs the same complaint);
* **the coordinators' addresses** come from the metadata cache after every UpdateMetadata
  (:meth:`~GroupHosting.refresh_leaders`), for FindCoordinator;
* **a broken connection** detaches the peer's parked requests in the role: they keep their
  effect, their answers are dropped.

Spec IDs: GROUP-5 (every parked request answered) and GROUP-6 (acknowledged commits survive a
failover) depend on this file keeping the seam's contract; :meth:`GroupHosting.check_invariants`
asserts that the role only holds partitions this broker leads.

Simplified from Kafka: ``offsets.commit.timeout.ms`` and ``offsets.topic.segment.bytes`` are
fixed at Kafka's defaults (:data:`OFFSETS_COMMIT_TIMEOUT_MS`, and ``OFFSETS_TOPIC_SEGMENT_BYTES``
in ``metadata_cache.py``) because ``server.properties`` does not carry them here; the
partition count used for hashing is the broker's ``offsets.topic.num.partitions``, where Kafka
reads the real topic's partition count from ZooKeeper; and the topic's compaction settings reach
ZooKeeper but not the brokers' logs (glasskafka's brokers use their defaults for every log).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from glasskafka.broker.effects import Answer, Effects, Outcome, Unanswered
from glasskafka.broker.idempotence import record_leader_append
from glasskafka.broker.replica_manager import ReplicaManager
from glasskafka.broker.request_channel import RequestChannel
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig
from glasskafka.errors import ErrorCode
from glasskafka.group import (
    OFFSETS_TOPIC,
    TIMER_PREFIX,
    CoordinatorEndpoint,
    GroupCoordinator,
    GroupCoordinatorConfig,
    GroupStep,
    OffsetsAppend,
)
from glasskafka.ids import Epoch, Millis, NodeId, Offset, PartitionId, TopicName, TopicPartition
from glasskafka.log import LogError
from glasskafka.log.validation import AppendOrigin
from glasskafka.node import CancelTimer, SetTimer
from glasskafka.node import Send as SendOutput
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetFetchRequest,
)
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_listing import DescribeGroupsRequest, ListGroupsRequest
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    JoinGroupRequest,
    LeaveGroupRequest,
    SyncGroupRequest,
)
from glasskafka.records import iter_batches

__all__ = [
    "GROUP_APPEND_TIMER_PREFIX",
    "GROUP_REQUESTS",
    "OFFSETS_COMMIT_TIMEOUT_MS",
    "BrokerParts",
    "GroupHosting",
    "PendingOffsetsAppend",
    "is_group_request",
]

GROUP_REQUESTS = (
    FindCoordinatorRequest,
    JoinGroupRequest,
    SyncGroupRequest,
    HeartbeatRequest,
    LeaveGroupRequest,
    OffsetCommitRequest,
    OffsetFetchRequest,
    DescribeGroupsRequest,
    ListGroupsRequest,
)
"""The request bodies the group coordinator role serves."""

OFFSETS_COMMIT_TIMEOUT_MS = 5000
"""Kafka's default ``offsets.commit.timeout.ms``: how long an append may wait for the ISR."""

GROUP_APPEND_TIMER_PREFIX = "broker:group-append:"
"""Timer names of offsets appends waiting for the ISR: ``broker:group-append:<append id>``."""

CREATE_RETRY_MS = 3000
"""How long after asking the controller to create ``__consumer_offsets`` the broker asks again."""


def is_group_request(request: KafkaRequest) -> bool:
    """Whether the group coordinator role serves this request."""
    return isinstance(request.body, GROUP_REQUESTS)


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerParts:
    """What the hosting needs of its broker for one input: its replicas, its request channel,
    the effects being collected, and the time."""

    replicas: ReplicaManager
    channel: RequestChannel
    effects: Effects
    now_ms: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingOffsetsAppend:
    """An offsets append in the log, waiting for the high watermark to pass ``required_offset``.

    ``leader_epoch`` is the epoch it was appended in: if the broker leads the partition in any
    other epoch when it is checked, the log may have been truncated and refilled in between, so
    the append is failed rather than judged by offsets that may now hold other records.
    """

    append_id: int
    partition: PartitionId
    required_offset: Offset
    leader_epoch: Epoch


@dataclass(slots=True, kw_only=True)
class GroupHosting:
    """The group coordinator role of one broker, and what the broker does on its behalf."""

    coordinator: GroupCoordinator
    appends: dict[int, PendingOffsetsAppend] = field(default_factory=dict)
    led_epochs: dict[PartitionId, Epoch] = field(default_factory=dict)
    create_requested_ms: int | None = None

    @classmethod
    def for_broker(
        cls, config: BrokerConfig, rng: random.Random, *, bugs: BugFlags = NO_BUGS
    ) -> GroupHosting:
        """The role as ``config`` sets it up, drawing member ids from ``rng``."""
        coordinator = GroupCoordinator(
            broker_id=config.broker_id,
            config=GroupCoordinatorConfig.from_broker(config),
            rng=rng,
            bugs=bugs,
        )
        return cls(coordinator=coordinator)

    # -- inputs --------------------------------------------------------------------------------

    def on_request(
        self, sender: NodeId, request: KafkaRequest, config: BrokerConfig, parts: BrokerParts
    ) -> Outcome:
        """Serve one group request: answered now, or parked in the role with ``sender`` muted."""
        body = request.body
        if isinstance(body, FindCoordinatorRequest) and body.key_type == 0 and body.key:
            missing = self._offsets_topic_missing(config, parts)
            if missing is not None:
                return Answer(body=missing)
        step = self.coordinator.on_request(sender, request, parts.now_ms)
        answered = any(
            isinstance(output, SendOutput)
            and output.to == sender
            and isinstance(output.message, KafkaResponse)
            and output.message.correlation_id == request.correlation_id
            for output in step.outputs
        )
        if not answered:
            parts.channel.mute_for_group(sender, request.correlation_id)
        self.carry_out(step, parts)
        return Unanswered()  # answered through carry_out, now or later

    def _offsets_topic_missing(
        self, config: BrokerConfig, parts: BrokerParts
    ) -> FindCoordinatorResponse | None:
        """COORDINATOR_NOT_AVAILABLE while ``__consumer_offsets`` does not exist, after asking
        the controller to create it if enough brokers are alive (KIP-115); else None."""
        cache = parts.replicas.metadata_cache
        if cache.has_topic(OFFSETS_TOPIC):
            return None
        alive, wanted = len(cache.brokers), config.offsets_topic_replication_factor
        if alive < wanted:
            message = (
                f"{OFFSETS_TOPIC} is not created while {alive} broker(s) are alive: "
                f"offsets.topic.replication.factor asks for {wanted}"
            )
        else:
            message = f"{OFFSETS_TOPIC} is being created"
            last = self.create_requested_ms
            if last is None or parts.now_ms >= last + CREATE_RETRY_MS:
                self.create_requested_ms = parts.now_ms
                parts.effects.auto_create.append(OFFSETS_TOPIC)
        return FindCoordinatorResponse(
            error_code=int(ErrorCode.COORDINATOR_NOT_AVAILABLE),
            error_message=message,
            node_id=-1,
            host="",
            port=-1,
        )

    @staticmethod
    def owns_timer(name: str) -> bool:
        """Whether ``name`` is the role's timer or an append's deadline."""
        return name.startswith((TIMER_PREFIX, GROUP_APPEND_TIMER_PREFIX))

    def on_timer(self, name: str, parts: BrokerParts) -> None:
        """A ``group:...`` timer of the role, or an append's deadline, fired."""
        if not name.startswith(GROUP_APPEND_TIMER_PREFIX):
            self.carry_out(self.coordinator.on_timer(name, parts.now_ms), parts)
            return
        tail = name.removeprefix(GROUP_APPEND_TIMER_PREFIX)
        if tail.isdigit() and self.appends.pop(int(tail), None) is not None:
            code = ErrorCode.REQUEST_TIMED_OUT  # offsets.commit.timeout.ms passed
            step = self.coordinator.on_append_completed(int(tail), code, parts.now_ms)
            self.carry_out(step, parts)

    def on_connection_lost(self, peer: NodeId) -> None:
        """The peer's parked requests can no longer be answered on its connection."""
        self.coordinator.on_connection_lost(peer)

    # -- carrying out a step -------------------------------------------------------------------

    def carry_out(self, step: GroupStep, parts: BrokerParts) -> None:
        """Send the role's answers (unmuting the peers that waited), pass its timers on, and
        append its records; an append refused up front is completed at once."""
        for output in step.outputs:
            parts.effects.outputs.append(output)
            if isinstance(output, SendOutput) and isinstance(output.message, KafkaResponse):
                parts.channel.group_answered(output.to, output.message.correlation_id)
        for append in step.appends:
            refused = self._append(append, parts)
            if refused is not None:
                done = self.coordinator.on_append_completed(append.append_id, refused, parts.now_ms)
                self.carry_out(done, parts)

    def _append(self, append: OffsetsAppend, parts: BrokerParts) -> ErrorCode | None:
        """Append as the leader (``acks=all``); the error if refused, else None (now pending)."""
        partition, error = parts.replicas.leader_partition(OFFSETS_TOPIC, append.partition)
        if error is not ErrorCode.NONE or partition is None:
            return error
        if len(partition.isr) < partition.log.config.min_insync_replicas:
            return ErrorCode.NOT_ENOUGH_REPLICAS  # checked before the append, as for producers
        batch = append.batch()
        try:
            info = partition.log.append_as_leader(
                batch,
                leader_epoch=partition.leader_epoch,
                now_ms=parts.now_ms,
                origin=AppendOrigin.COORDINATOR,
            )
        except LogError as refused:
            return refused.code
        record_leader_append(partition, batch, base_offset=info.first_offset)
        partition.maybe_increment_high_watermark()
        parts.effects.touch(partition.topic, partition.partition)
        self.appends[append.append_id] = PendingOffsetsAppend(
            append_id=append.append_id,
            partition=append.partition,
            required_offset=Offset(info.last_offset + 1),
            leader_epoch=partition.leader_epoch,
        )
        deadline = Millis(parts.now_ms + OFFSETS_COMMIT_TIMEOUT_MS)
        parts.effects.outputs.append(SetTimer(name=_append_timer(append.append_id), at_ms=deadline))
        return None

    def complete_appends(self, touched: Iterable[TopicPartition], parts: BrokerParts) -> None:
        """Complete the pending appends of the touched offsets partitions that have settled:
        the HW passed them, or the broker no longer leads the partition in their epoch."""
        partitions = {p for topic, p in touched if topic == OFFSETS_TOPIC}
        for append_id, pending in sorted(self.appends.items()):
            code = _settled(pending, parts.replicas) if pending.partition in partitions else None
            if code is None or append_id not in self.appends:
                continue
            del self.appends[append_id]
            parts.effects.outputs.append(CancelTimer(name=_append_timer(append_id)))
            step = self.coordinator.on_append_completed(append_id, code, parts.now_ms)
            self.carry_out(step, parts)

    # -- leadership and metadata ---------------------------------------------------------------

    def follow_leadership(self, parts: BrokerParts) -> None:
        """Bring the role in line with the offsets partitions this broker leads now.

        A partition led in a new epoch is (re)loaded from its log; one no longer led is
        unloaded.  Run after every LeaderAndIsr and StopReplica.  Invariants: GROUP-6.
        """
        led: dict[PartitionId, Epoch] = {
            p: partition.leader_epoch
            for (topic, p), partition in parts.replicas.partitions.items()
            if topic == OFFSETS_TOPIC and partition.is_leader
        }
        for p in sorted(set(self.led_epochs) | set(led)):
            before, after = self.led_epochs.get(p), led.get(p)
            if before == after:
                continue
            if before is not None:
                self.carry_out(self.coordinator.become_follower(p, parts.now_ms), parts)
            if after is not None:
                whole = _whole_log(parts.replicas, p)
                step = self.coordinator.become_leader(p, parts.now_ms)
                self.carry_out(step + self.coordinator.load(p, whole, parts.now_ms), parts)
            parts.effects.touch(TopicName(OFFSETS_TOPIC), p)  # appends of the old epoch fail
        self.led_epochs = dict(sorted(led.items()))

    def refresh_leaders(self, replicas: ReplicaManager) -> None:
        """Tell the role who leads each offsets partition, from the metadata cache."""
        cache = replicas.metadata_cache
        leaders: dict[PartitionId, CoordinatorEndpoint] = {}
        for cached in cache.entries():
            broker = cache.brokers.get(cached.leader)
            if cached.topic == OFFSETS_TOPIC and broker is not None:
                leaders[cached.partition] = CoordinatorEndpoint(
                    node_id=broker.broker_id, host=broker.host, port=broker.port
                )
        self.coordinator.set_offsets_topic_leaders(leaders)

    # -- invariants ----------------------------------------------------------------------------

    def check_invariants(self, replicas: ReplicaManager) -> None:
        """The role's own rules, and: it holds only offsets partitions this broker leads."""
        self.coordinator.check_invariants()
        for p in self.coordinator.partitions:
            partition = replicas.partitions.get((TopicName(OFFSETS_TOPIC), p))
            assert partition is not None and partition.is_leader, (
                f"GROUP-6: the coordinator holds {OFFSETS_TOPIC}-{p}, which this broker does "
                "not lead"
            )
        assert set(self.appends) <= set(self.coordinator.ledger.pending), (
            "GROUP-5: an append is pending here that the role has forgotten"
        )


def _settled(pending: PendingOffsetsAppend, replicas: ReplicaManager) -> ErrorCode | None:
    """How a pending append ends now, or None if it must still wait."""
    partition = replicas.partitions.get((TopicName(OFFSETS_TOPIC), pending.partition))
    if (
        partition is None
        or not partition.is_leader
        or partition.leader_epoch != pending.leader_epoch
    ):
        return ErrorCode.NOT_LEADER_OR_FOLLOWER
    if partition.high_watermark < pending.required_offset:
        return None
    enough = len(partition.maximal_isr) >= partition.log.config.min_insync_replicas
    return ErrorCode.NONE if enough else ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND


def _whole_log(replicas: ReplicaManager, partition: PartitionId) -> bytes:
    """Every batch of the offsets partition, from the log start to the log end."""
    log = replicas.log_manager.get_log(OFFSETS_TOPIC, partition)
    if log is None:
        return b""
    chunks: list[bytes] = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        data = log.read(offset, max_bytes=1 << 20)
        if not data:
            break
        last = offset
        for _, header in iter_batches(data):
            last = header.last_offset
        chunks.append(data)
        offset = last + 1
    return b"".join(chunks)


def _append_timer(append_id: int) -> str:
    return f"{GROUP_APPEND_TIMER_PREFIX}{append_id}"
