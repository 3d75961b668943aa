"""Observable snapshots of a replicated cluster, ghost state, and the recorder that keeps it.

Theory of operation
-------------------
``specs/replication.py`` judges replication from the outside: its predicates never read a
broker's or controller's private fields, only a :class:`ClusterSnapshot` -- plain, frozen,
hashable data that a harness extracts after every step.  This module defines that data:

* per **replica** (:class:`ReplicaState`): whether its broker runs, whether its log survived the
  last stop intact, the replica's own view (role, whom it believes leads, the leader epoch it
  knows, its local ISR, the proposed ISR of a write in flight, and the *maximal ISR* it advances
  the high watermark over), its log as ``(record id, batch leader epoch)`` per offset, the log
  start offset, the high watermark and the leader-epoch cache;
* per **partition** (:class:`PartitionSnapshot`): its replicas in assignment order, the state the
  coordination service holds for it (:class:`ZkPartitionState`: leader, leader epoch, ISR,
  ``zk_version``, controller epoch), ``min.insync.replicas``, and its ghost state;
* per **broker** (:class:`BrokerSnapshot`): the metadata cache (leader, epoch and ISR of every
  partition, as UpdateMetadata left it) and the highest controller epoch it has seen.

Transition properties also need to know what the step was; the **step events**
(:class:`FetchHandled`, :class:`ProduceHandled`, :class:`ProduceCompleted`,
:class:`LeaderAndIsrHandled`, :class:`IsrWriteHandled`, :class:`IsrWriteAnswered`) say so in a
few fields.  A step that is none of these (a crash, a restart, a tick) passes ``None``.

**Ghost state** (``reference/replication-invariants.md`` §2) is what no node knows: the largest
high watermark a *true* leader ever reached, the log below it, what producers were told, what
consumers read, which leaderships the controller granted, which replicas restarted dirty.  It is
kept by a :class:`GhostRecorder` per partition, which an observer in the simulator calls on each
event; nodes never see it (DESIGN §4).  Its update rules are §2's: ``true_high_watermark`` never
decreases, and ``committed_log`` only grows, copied from the true leader's log.

Conventions that every predicate relies on:

* offsets ``< log_start_offset`` were deleted on purpose and are not compared;
* a stopped replica's ``log`` is what its disk holds (what it will recover), and its role is
  ``NONE``: a process that is down leads nothing;
* ``leader_epoch`` ``-1`` means "no epoch known yet" (Kafka's ``UNDEFINED_EPOCH``).

Spec IDs: this module states none; it is the vocabulary of REPL-1..16, CTRL-1 and LIVE-1..3.

Simplified from Kafka: a real cluster has no global snapshot -- each broker sees only its own
state and a possibly stale metadata cache.  Snapshots exist only in the simulator, which can
stop the world between two inputs; Kafka's own checkers of this kind are TLA+ models
(hachikuji/kafka-specification, Vanlightly/kafka-tlaplus) whose states play the same role.
"""

from __future__ import annotations

import collections.abc
import enum
from dataclasses import dataclass, field

from glasskafka.errors import ErrorCode
from glasskafka.ids import (
    BrokerId,
    Epoch,
    Offset,
    PartitionId,
    ProducerEpoch,
    ProducerId,
    Sequence,
    TopicName,
)

__all__ = [
    "FIRST_OFFSET",
    "NO_EPOCH",
    "AckedRecord",
    "Acks",
    "BrokerSnapshot",
    "ClusterSnapshot",
    "FetchHandled",
    "GhostRecorder",
    "IsrWriteAnswered",
    "IsrWriteHandled",
    "LeaderAndIsrHandled",
    "LogEntry",
    "PartitionGhost",
    "PartitionMetadata",
    "PartitionSnapshot",
    "ProduceCompleted",
    "ProduceHandled",
    "ProducerAck",
    "ReplicaRole",
    "ReplicaState",
    "StepEvent",
    "ZkPartitionState",
    "describe_brokers",
    "describe_entry",
]

NO_EPOCH = Epoch(-1)
"""Kafka's ``UNDEFINED_EPOCH``: the replica knows no leader epoch yet."""

FIRST_OFFSET = Offset(0)
"""Where every log begins (offsets start at 0)."""

LogEntry = tuple[str, Epoch]
"""One offset of a log: the record's id and the leader epoch stamped on its batch (KIP-101)."""


def describe_entry(entry: LogEntry, offset: int) -> str:
    """``m2@1/1``: record ``m2`` at offset 1, written in epoch 1 (the notation of the reference)."""
    return f"{entry[0]}@{offset}/{entry[1]}"


def describe_brokers(broker_ids: collections.abc.Iterable[BrokerId]) -> str:
    """``{1, 3}``: a set of brokers, sorted, as the docs and violation messages print it."""
    return "{" + ", ".join(str(broker_id) for broker_id in sorted(broker_ids)) + "}"


class ReplicaRole(enum.Enum):
    """What a replica believes it is (its local view, which may be stale)."""

    LEADER = "leader"
    FOLLOWER = "follower"
    NONE = "none"

    def __repr__(self) -> str:
        return f"ReplicaRole.{self.name}"


class Acks(enum.Enum):
    """The producer's ``acks`` setting.  ``ALL`` is ``-1`` on the wire."""

    ZERO = "0"
    ONE = "1"
    ALL = "all"

    def __repr__(self) -> str:
        return f"Acks.{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaState:
    """One replica of one partition, as its broker sees it and as its disk holds it."""

    broker_id: BrokerId
    running: bool = True
    log_intact: bool = True
    """False while the broker is down after a lossy crash that may have cut its log."""
    role: ReplicaRole = ReplicaRole.NONE
    leader: BrokerId | None = None
    """Whom this replica believes leads (Kafka's ``leaderReplicaIdOpt``)."""
    leader_epoch: Epoch = NO_EPOCH
    isr: frozenset[BrokerId] = frozenset()
    """A leader's local ISR view, as last confirmed; empty on followers."""
    pending_isr: frozenset[BrokerId] | None = None
    """The ISR a leader has proposed and not yet seen confirmed, or ``None``."""
    maximal_isr: frozenset[BrokerId] = frozenset()
    """The set a leader advances its HW over: ``isr | pending_isr`` while a change is in flight."""
    leader_epoch_start_offset: Offset | None = None
    """A leader's LEO when it became leader of its current epoch (Kafka's LESO)."""
    log: tuple[LogEntry, ...] = ()
    log_start_offset: Offset = FIRST_OFFSET
    high_watermark: Offset = FIRST_OFFSET
    last_fetched_high_watermark: Offset | None = None
    """A follower's HW as carried by the last fetch response it applied, or ``None``."""
    epoch_cache: tuple[tuple[Epoch, Offset], ...] = ()
    """The leader-epoch cache: ``(epoch, start offset)`` pairs (KIP-101)."""

    @property
    def log_end_offset(self) -> Offset:
        """The LEO: one past the last offset held."""
        return Offset(self.log_start_offset + len(self.log))

    @property
    def is_presumed_leader(self) -> bool:
        """Running and believing it leads (zombies included)."""
        return self.running and self.role is ReplicaRole.LEADER

    def entry_at(self, offset: int) -> LogEntry | None:
        """The entry at ``offset``, or ``None`` if the log does not hold that offset."""
        if self.log_start_offset <= offset < self.log_end_offset:
            return self.log[offset - self.log_start_offset]
        return None

    def epoch_at(self, offset: int) -> Epoch | None:
        """The leader epoch of the record at ``offset``, or ``None`` if the log does not hold it."""
        entry = self.entry_at(offset)
        return None if entry is None else entry[1]

    def describe_at(self, offset: int) -> str:
        """``m2@1/1`` for the record at ``offset``, or ``nothing``."""
        entry = self.entry_at(offset)
        return "nothing" if entry is None else describe_entry(entry, offset)

    def holds(self, record: str, offset: int) -> bool:
        """Whether ``record`` is at ``offset``, counting offsets deleted below the log start."""
        if offset < self.log_start_offset:
            return True
        entry = self.entry_at(offset)
        return entry is not None and entry[0] == record


@dataclass(frozen=True, slots=True, kw_only=True)
class ZkPartitionState:
    """The partition state znode (``/brokers/topics/<t>/partitions/<p>/state``)."""

    leader: BrokerId | None
    leader_epoch: Epoch
    isr: frozenset[BrokerId]
    zk_version: int
    controller_epoch: Epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class AckedRecord:
    """One success answer a producer received: where and how its record was acknowledged."""

    record: str
    acks: Acks
    offset: Offset
    leader_epoch: Epoch
    isr_size: int
    """The size of the leader's ISR when it accepted the record."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerAck:
    """The offset of the first successful append of one idempotent batch (IDEM-3, IDEM-6)."""

    producer_id: ProducerId
    producer_epoch: ProducerEpoch
    first_sequence: Sequence
    last_sequence: Sequence
    offset: Offset


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionGhost:
    """Ghost state of one partition (reference §2); read by specs, never by nodes."""

    true_high_watermark: Offset = FIRST_OFFSET
    committed_log: tuple[LogEntry, ...] = ()
    acked: tuple[AckedRecord, ...] = ()
    """Every success answer, in order; a retried record that was answered twice is here twice."""
    sent: tuple[str, ...] = ()
    """Every produce attempt, in order; a retry repeats the record id."""
    nacked: tuple[tuple[str, ErrorCode], ...] = ()
    consumed: tuple[tuple[Offset, str], ...] = ()
    """``(offset, record)`` pairs read by any consumer, sorted; two pairs may share an offset."""
    granted: frozenset[tuple[BrokerId, Epoch]] = frozenset()
    dirty: frozenset[BrokerId] = frozenset()
    producer_acks: tuple[ProducerAck, ...] = ()

    @property
    def acked_all(self) -> tuple[AckedRecord, ...]:
        """The answers to ``acks=all`` produce requests."""
        return tuple(ack for ack in self.acked if ack.acks is Acks.ALL)

    @property
    def acked_one(self) -> tuple[AckedRecord, ...]:
        """The answers to ``acks=1`` produce requests (``acks=0`` is never answered)."""
        return tuple(ack for ack in self.acked if ack.acks is Acks.ONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionSnapshot:
    """One partition: its replicas (in assignment order), its znode, its config, its ghost."""

    topic: TopicName
    partition: PartitionId
    replicas: tuple[ReplicaState, ...]
    zk_state: ZkPartitionState
    min_insync_replicas: int = 1
    ghost: PartitionGhost = PartitionGhost()

    @property
    def name(self) -> str:
        """``topic-partition``, as Kafka prints a TopicPartition."""
        return f"{self.topic}-{self.partition}"

    @property
    def assigned_replicas(self) -> tuple[BrokerId, ...]:
        return tuple(replica.broker_id for replica in self.replicas)

    def replica(self, broker_id: BrokerId | None) -> ReplicaState | None:
        """The replica on ``broker_id``, or ``None`` if it holds none of this partition."""
        return next((r for r in self.replicas if r.broker_id == broker_id), None)

    def true_leader(self) -> ReplicaState | None:
        """The running replica that the znode names leader and that knows the znode's epoch."""
        replica = self.replica(self.zk_state.leader)
        if replica is None or not replica.is_presumed_leader:
            return None
        return replica if replica.leader_epoch == self.zk_state.leader_epoch else None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionMetadata:
    """One partition's entry in a broker's metadata cache."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId | None
    leader_epoch: Epoch
    isr: frozenset[BrokerId]


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerSnapshot:
    """One broker: up or down, its metadata cache, the newest controller epoch it has seen."""

    broker_id: BrokerId
    running: bool = True
    controller_epoch: Epoch = NO_EPOCH
    metadata: tuple[PartitionMetadata, ...] = ()

    def metadata_for(self, topic: TopicName, partition: PartitionId) -> PartitionMetadata | None:
        return next(
            (m for m in self.metadata if (m.topic, m.partition) == (topic, partition)), None
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterSnapshot:
    """Everything the replication specs may look at, after one step."""

    brokers: tuple[BrokerSnapshot, ...]
    partitions: tuple[PartitionSnapshot, ...]

    def broker(self, broker_id: BrokerId) -> BrokerSnapshot | None:
        return next((b for b in self.brokers if b.broker_id == broker_id), None)

    def partition(self, topic: TopicName, partition: PartitionId) -> PartitionSnapshot | None:
        return next(
            (p for p in self.partitions if (p.topic, p.partition) == (topic, partition)), None
        )


# ---------------------------------------------------------------------------------------------
# Step events: what happened in the step between two snapshots (for transition properties)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchHandled:
    """Broker ``leader`` handled a replica fetch from ``follower`` (REPL-12, REPL-13)."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    follower: BrokerId
    fetch_offset: Offset
    current_leader_epoch: Epoch | None
    """The epoch the request carried (KIP-320), or ``None`` for a request that carries none."""
    error: ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceHandled:
    """Broker ``leader`` accepted (appended) or refused a produce request (REPL-16)."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    record: str
    acks: Acks
    error: ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceCompleted:
    """Broker ``leader`` answered a waiting ``acks=all`` produce as its HW passed it (REPL-16)."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    record: str
    offset: Offset
    error: ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrHandled:
    """``broker`` handled one partition state of a LeaderAndIsr request (CTRL-1)."""

    broker: BrokerId
    topic: TopicName
    partition: PartitionId
    controller_epoch: Epoch
    leader: BrokerId
    leader_epoch: Epoch
    isr: frozenset[BrokerId]
    error: ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class IsrWriteHandled:
    """The coordination service handled a leader's conditional ISR write (CTRL-1, REPL-10)."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    isr: frozenset[BrokerId]
    expected_zk_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IsrWriteAnswered:
    """Leader ``broker`` learnt whether its ISR write of ``isr`` succeeded (CTRL-1)."""

    broker: BrokerId
    topic: TopicName
    partition: PartitionId
    isr: frozenset[BrokerId]
    succeeded: bool


StepEvent = (
    FetchHandled
    | ProduceHandled
    | ProduceCompleted
    | LeaderAndIsrHandled
    | IsrWriteHandled
    | IsrWriteAnswered
)
"""Every kind of step a transition property looks into."""


# ---------------------------------------------------------------------------------------------
# The ghost recorder


@dataclass(slots=True, kw_only=True)
class GhostRecorder:
    """Keeps one partition's ghost state by the update rules of reference §2.

    An observer in the simulator calls one method per event it sees; :meth:`ghost` returns the
    frozen :class:`PartitionGhost` to put in the next snapshot.  Call :meth:`observe` with every
    new snapshot of the partition: it lets the true leader's HW move the committed prefix and
    clears dirty replicas that caught up.
    """

    true_high_watermark: Offset = FIRST_OFFSET
    committed_log: list[LogEntry] = field(default_factory=list)
    acked: list[AckedRecord] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    nacked: list[tuple[str, ErrorCode]] = field(default_factory=list)
    consumed: set[tuple[Offset, str]] = field(default_factory=set)
    granted: set[tuple[BrokerId, Epoch]] = field(default_factory=set)
    dirty: set[BrokerId] = field(default_factory=set)
    producer_acks: dict[tuple[int, int, int, int], ProducerAck] = field(default_factory=dict)

    def record_send(self, record: str) -> None:
        """A producer sent (or re-sent) ``record``."""
        self.sent.append(record)

    def record_ack(
        self, record: str, *, acks: Acks, offset: Offset, leader_epoch: Epoch, isr_size: int
    ) -> None:
        """A producer received a success answer for ``record``.

        Raises ``ValueError`` for ``acks=0``: such a request is never answered, so an observer
        that reports an answer has misread the trace.
        """
        if acks is Acks.ZERO:
            raise ValueError(f"record {record!r}: acks=0 produce requests are never answered")
        ack = AckedRecord(
            record=record, acks=acks, offset=offset, leader_epoch=leader_epoch, isr_size=isr_size
        )
        self.acked.append(ack)

    def record_error(self, record: str, error: ErrorCode) -> None:
        """A producer received error ``error`` for ``record`` (it may still be in the log)."""
        self.nacked.append((record, error))

    def record_consumed(self, *, offset: Offset, record: str) -> None:
        """A consumer fetch returned ``record`` at ``offset``."""
        self.consumed.add((offset, record))

    def record_grant(self, *, replica: BrokerId, leader_epoch: Epoch) -> None:
        """The controller made ``replica`` leader of ``leader_epoch`` (written to the znode)."""
        self.granted.add((replica, leader_epoch))

    def record_true_leader_hw(
        self,
        high_watermark: Offset,
        log: collections.abc.Sequence[LogEntry],
        *,
        log_start_offset: Offset = FIRST_OFFSET,
    ) -> None:
        """The true leader, holding ``log`` from ``log_start_offset``, has this HW.

        ``true_high_watermark`` rises to ``high_watermark`` and never falls; ``committed_log``
        is extended from the leader's log up to it and never rewritten.  A leader whose HW
        exceeds its LEO (a REPL-9 violation) extends it only as far as its log reaches.
        """
        if high_watermark <= self.true_high_watermark:
            return
        self.true_high_watermark = high_watermark
        for offset in range(len(self.committed_log), high_watermark):
            position = offset - log_start_offset
            if not 0 <= position < len(log):
                break
            self.committed_log.append(log[position])

    def mark_dirty(self, replica: BrokerId) -> None:
        """``replica`` restarted after a lossy crash (REPL-15)."""
        self.dirty.add(replica)

    def mark_clean(self, replica: BrokerId) -> None:
        """``replica`` caught up after a lossy restart."""
        self.dirty.discard(replica)

    def record_producer_ack(self, ack: ProducerAck) -> None:
        """An idempotent batch was appended; the first answer for a batch is the one kept."""
        key = (ack.producer_id, ack.producer_epoch, ack.first_sequence, ack.last_sequence)
        self.producer_acks.setdefault(key, ack)

    def observe(self, partition: PartitionSnapshot) -> None:
        """Update from a fresh snapshot: the true leader's HW, and dirty replicas caught up.

        A dirty replica has caught up once it runs and holds the whole committed log.
        """
        leader = partition.true_leader()
        if leader is not None:
            self.record_true_leader_hw(
                leader.high_watermark, leader.log, log_start_offset=leader.log_start_offset
            )
        for broker_id in sorted(self.dirty):
            replica = partition.replica(broker_id)
            if replica is not None and replica.running and self._holds_committed(replica):
                self.dirty.discard(broker_id)

    def _holds_committed(self, replica: ReplicaState) -> bool:
        if replica.log_end_offset < self.true_high_watermark:
            return False
        return all(
            replica.entry_at(offset) == entry
            for offset, entry in enumerate(self.committed_log)
            if offset >= replica.log_start_offset
        )

    def ghost(self) -> PartitionGhost:
        """The ghost state as frozen, comparable data."""
        return PartitionGhost(
            true_high_watermark=self.true_high_watermark,
            committed_log=tuple(self.committed_log),
            acked=tuple(self.acked),
            sent=tuple(self.sent),
            nacked=tuple(self.nacked),
            consumed=tuple(sorted(self.consumed)),
            granted=frozenset(self.granted),
            dirty=frozenset(self.dirty),
            producer_acks=tuple(self.producer_acks[key] for key in sorted(self.producer_acks)),
        )
