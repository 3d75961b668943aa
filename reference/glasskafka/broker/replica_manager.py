"""The replica manager: every partition replica on this broker, and the controller's orders.

Theory of operation
-------------------
:class:`ReplicaManager` owns the broker's replication state (Kafka's ``ReplicaManager.scala``):
the log manager (the log directory), one :class:`~glasskafka.broker.partition.Partition` per
replica, the purgatory of parked requests, the replica fetchers, and the highest controller
epoch the broker has seen.  The produce and fetch paths (``produce_path.py``, ``fetch_path.py``)
read and change it; this module handles what the controller sends.

**LeaderAndIsr** (``becomeLeaderOrFollower``), fenced as CTRL-1 says:

1. a request from a controller epoch older than the highest seen is refused whole with
   STALE_CONTROLLER_EPOCH and changes nothing; otherwise its epoch becomes the highest seen;
2. per partition: a state that does not list this broker as a replica is answered
   UNKNOWN_TOPIC_OR_PARTITION; a state naming this broker leader but leaving it out of the ISR
   is malformed (INVALID_REQUEST); a leader epoch *older* than the one the replica knows is
   STALE_CONTROLLER_EPOCH, and the *same* epoch is a repeat of a decision already applied:
   answered NONE, changing nothing.  Only a newer epoch is applied;
3. the log is created if missing (an illegal name is refused before any file exists);
4. **become leader**: stop fetching, keep the whole log, note the LESO and the epoch start, and
   let the HW wait for the followers (``partition.py``);
5. **become follower**: the replica fetcher first reconciles the log with the leader's epoch
   cache, then fetches (``fetcher.py``).  Never truncate to the local HW.

**StopReplica**: stop fetching and serving; with ``delete_partitions`` also delete the log.
**UpdateMetadata** only needs the controller-epoch check here (:meth:`accept_controller_epoch`);
the cache is ``metadata_cache.py``.

Periodic work: the isr-expiration task (``isr.py``) and the high-watermark checkpoint, written
every ``replica.high.watermark.checkpoint.interval.ms`` (Kafka's default 5000 ms) to
``replication-offset-checkpoint`` and read back when the broker restarts.

Spec IDs: CTRL-1 (fencing), REPL-10 (epochs only rise), REPL-14 (followers reconcile by epoch).

Simplified from Kafka: no broker epochs (KIP-380), no reassignment, no log-directory failures;
``is_new`` is ignored because creating a missing log is always safe here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.broker.effects import Effects, LeaderAndIsrApplied
from glasskafka.broker.fetcher import ReplicaFetcherManager
from glasskafka.broker.idempotence import rebuild_from_log
from glasskafka.broker.isr import maybe_shrink_isr
from glasskafka.broker.metadata_cache import MetadataCache
from glasskafka.broker.partition import NO_EPOCH, Partition, Role
from glasskafka.broker.purgatory import Purgatory
from glasskafka.broker.responses import error_body
from glasskafka.broker.truncation import truncate_partition
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig, TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Millis, PartitionId, TopicName, TopicPartition
from glasskafka.log import LogError, LogManager
from glasskafka.protocol.messages.leader_and_isr import (
    LeaderAndIsrPartitionError,
    LeaderAndIsrPartitionState,
    LeaderAndIsrRequest,
    LeaderAndIsrResponse,
)
from glasskafka.protocol.messages.stop_replica import (
    StopReplicaPartitionError,
    StopReplicaRequest,
    StopReplicaResponse,
)
from glasskafka.storage import Disk

__all__ = ["HW_CHECKPOINT_INTERVAL_MS", "HW_CHECKPOINT_TIMER", "ReplicaManager"]

HW_CHECKPOINT_INTERVAL_MS = 5000
"""Kafka's default ``replica.high.watermark.checkpoint.interval.ms``."""

HW_CHECKPOINT_TIMER = "broker:hw-checkpoint"


@dataclass(slots=True, kw_only=True)
class ReplicaManager:
    """All replicas on this broker, their fetchers and parked requests."""

    broker_id: BrokerId
    config: BrokerConfig
    log_manager: LogManager
    metadata_cache: MetadataCache
    fetchers: ReplicaFetcherManager
    bugs: BugFlags = NO_BUGS
    partitions: dict[TopicPartition, Partition] = field(default_factory=dict)
    purgatory: Purgatory = field(default_factory=Purgatory)
    controller_epoch: Epoch = NO_EPOCH

    @classmethod
    def open(
        cls,
        disk: Disk,
        *,
        broker_id: BrokerId,
        config: BrokerConfig,
        metadata_cache: MetadataCache,
        bugs: BugFlags,
        now_ms: Millis,
    ) -> ReplicaManager:
        """Open the log directory (recovering every log) and restore the high watermarks.

        Every log found gets a replica with role NONE until the controller says otherwise; its
        HW is the checkpointed one, kept within the log.
        """
        log_manager = LogManager.open(
            disk, now_ms=now_ms, default_config=TopicConfig.from_broker(config), bugs=bugs
        )
        manager = cls(
            broker_id=broker_id,
            config=config,
            log_manager=log_manager,
            metadata_cache=metadata_cache,
            fetchers=ReplicaFetcherManager(local_broker_id=broker_id, config=config),
            bugs=bugs,
        )
        checkpointed = log_manager.read_high_watermarks()
        for key in sorted(log_manager.logs):
            partition = manager._partition_for(key)
            partition.restore_high_watermark(checkpointed.get(key, 0))
        return manager

    def _partition_for(self, key: TopicPartition) -> Partition:
        """The replica of ``key``, created (role NONE) around its log if it has none yet."""
        existing = self.partitions.get(key)
        if existing is not None:
            return existing
        partition = Partition(
            topic=key[0],
            partition=key[1],
            local_broker_id=self.broker_id,
            log=self.log_manager.logs[key],
            bugs=self.bugs,
        )
        # A replica's producer state is recomputed from its log when the broker starts (recovery)
        # and is empty for a new log (IDEM-5).
        rebuild_from_log(partition)
        self.partitions[key] = partition
        self.partitions = dict(sorted(self.partitions.items()))
        return partition

    # -- lookups --------------------------------------------------------------------------------

    def leader_partition(self, topic: str, partition: int) -> tuple[Partition | None, ErrorCode]:
        """The replica of ``topic``-``partition`` if this broker leads it, else the error for the
        client: NOT_LEADER_OR_FOLLOWER if the partition exists (here or in the metadata cache),
        UNKNOWN_TOPIC_OR_PARTITION if not (``ReplicaManager.getPartitionOrError``)."""
        found = self.partitions.get((TopicName(topic), PartitionId(partition)))
        if found is None:
            known = self.metadata_cache.get(topic, partition) is not None
            error = (
                ErrorCode.NOT_LEADER_OR_FOLLOWER if known else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            )
            return None, error
        if not found.is_leader:
            return found, ErrorCode.NOT_LEADER_OR_FOLLOWER
        return found, ErrorCode.NONE

    def accept_controller_epoch(self, controller_epoch: int) -> bool:
        """CTRL-1: refuse an older controller; remember a newer one.  Invariants: CTRL-1."""
        if controller_epoch < self.controller_epoch:
            return False
        self.controller_epoch = Epoch(controller_epoch)
        return True

    # -- LeaderAndIsr ---------------------------------------------------------------------------

    def on_leader_and_isr(
        self, request: LeaderAndIsrRequest, *, now_ms: Millis, effects: Effects
    ) -> LeaderAndIsrResponse:
        """Become leader or follower of each partition the request names (module docstring).

        Invariants: CTRL-1, REPL-10, REPL-14.
        """
        if not self.accept_controller_epoch(request.controller_epoch):
            for topic, state in request.partition_states():
                self._report(
                    topic, state, request, ErrorCode.STALE_CONTROLLER_EPOCH, False, effects
                )
            refused = error_body(request, ErrorCode.STALE_CONTROLLER_EPOCH)
            assert isinstance(refused, LeaderAndIsrResponse)
            return refused
        errors = []
        for topic, state in request.partition_states():
            error, applied = self._apply(topic, state, now_ms=now_ms, effects=effects)
            self._report(topic, state, request, error, applied, effects)
            errors.append(
                LeaderAndIsrPartitionError(
                    topic_name=topic, partition_index=state.partition_index, error_code=int(error)
                )
            )
        return LeaderAndIsrResponse(error_code=int(ErrorCode.NONE), partition_errors=tuple(errors))

    def _report(
        self,
        topic: str,
        state: LeaderAndIsrPartitionState,
        request: LeaderAndIsrRequest,
        error: ErrorCode,
        applied: bool,
        effects: Effects,
    ) -> None:
        effects.events.append(
            LeaderAndIsrApplied(
                topic=TopicName(topic),
                partition=PartitionId(state.partition_index),
                controller_epoch=Epoch(request.controller_epoch),
                leader=BrokerId(state.leader),
                leader_epoch=Epoch(state.leader_epoch),
                isr=frozenset(BrokerId(b) for b in state.isr),
                error=error,
                applied=applied,
            )
        )

    def _apply(
        self, topic: str, state: LeaderAndIsrPartitionState, *, now_ms: Millis, effects: Effects
    ) -> tuple[ErrorCode, bool]:
        """Apply one partition state; return its error and whether anything changed."""
        if self.broker_id not in state.replicas:
            return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, False
        leads = state.leader == self.broker_id
        if state.leader_epoch < 0 or (leads and self.broker_id not in state.isr):
            return ErrorCode.INVALID_REQUEST, False
        existing = self.partitions.get((TopicName(topic), PartitionId(state.partition_index)))
        if existing is not None and state.leader_epoch <= existing.leader_epoch:
            stale = state.leader_epoch < existing.leader_epoch
            return (ErrorCode.STALE_CONTROLLER_EPOCH if stale else ErrorCode.NONE), False
        try:
            self.log_manager.get_or_create_log(topic, state.partition_index, now_ms=now_ms)
        except LogError as refused:
            return refused.code, False
        partition = self._partition_for((TopicName(topic), PartitionId(state.partition_index)))
        if leads:
            self._make_leader(partition, state, now_ms=now_ms)
        else:
            self._make_follower(partition, state, now_ms=now_ms, effects=effects)
        effects.touch(partition.topic, partition.partition)
        return ErrorCode.NONE, True

    def _make_leader(
        self, partition: Partition, state: LeaderAndIsrPartitionState, *, now_ms: Millis
    ) -> None:
        self.fetchers.remove_partition((partition.topic, partition.partition))
        partition.become_leader(
            leader_epoch=Epoch(state.leader_epoch),
            isr=frozenset(BrokerId(b) for b in state.isr),
            replicas=tuple(BrokerId(b) for b in state.replicas),
            zk_version=state.partition_epoch,
            controller_epoch=Epoch(state.controller_epoch),
            now_ms=now_ms,
        )
        partition.maybe_increment_high_watermark()

    def _make_follower(
        self,
        partition: Partition,
        state: LeaderAndIsrPartitionState,
        *,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        key = (partition.topic, partition.partition)
        previous_leader = partition.leader if partition.role is Role.FOLLOWER else None
        leader = BrokerId(state.leader) if state.leader >= 0 else None
        partition.become_follower(
            leader=leader,
            leader_epoch=Epoch(state.leader_epoch),
            replicas=tuple(BrokerId(b) for b in state.replicas),
            zk_version=state.partition_epoch,
            controller_epoch=Epoch(state.controller_epoch),
        )
        if leader is None:
            self.fetchers.remove_partition(key)  # no leader to follow yet
            return
        epoch = partition.leader_epoch
        if self.bugs.truncate_to_local_hw_on_follow:
            # Before KIP-101 a new follower cut its log back to its own high watermark and
            # fetched from there.  Its HW lags the leader's by a round trip, so this can drop a
            # record the leader has already committed and acknowledged (S1, S2).
            truncate_partition(
                partition,
                self.log_manager,
                partition.high_watermark,
                reason="own high watermark",
                now_ms=now_ms,
                effects=effects,
            )
            self.fetchers.add_partition(key, leader=leader, leader_epoch=epoch, reconcile=False)
            return
        reconcile = True
        if self.bugs.skip_truncation_if_same_leader and previous_leader == leader:
            # KAFKA-7164: makeFollower skipped the follower steps when the leader id had not
            # changed, so a replica that missed an epoch in between never reconciled and kept
            # a tail written in that epoch (S4).
            reconcile = False
        self.fetchers.add_partition(key, leader=leader, leader_epoch=epoch, reconcile=reconcile)

    # -- StopReplica ----------------------------------------------------------------------------

    def on_stop_replica(
        self, request: StopReplicaRequest, *, now_ms: Millis, effects: Effects
    ) -> StopReplicaResponse:
        """Stop (and with ``delete_partitions``, delete) the named replicas.  CTRL-1 fenced."""
        del now_ms
        if not self.accept_controller_epoch(request.controller_epoch):
            refused = error_body(request, ErrorCode.STALE_CONTROLLER_EPOCH)
            assert isinstance(refused, StopReplicaResponse)
            return refused
        errors = []
        for topic, index in request.partitions():
            key = (TopicName(topic), PartitionId(index))
            self.fetchers.remove_partition(key)
            partition = self.partitions.get(key)
            if partition is not None:
                partition.stop()
                effects.touch(key[0], key[1])
            if request.delete_partitions:
                self.partitions.pop(key, None)
                if key in self.log_manager.logs:
                    self.log_manager.delete_log(topic, index)
            errors.append(
                StopReplicaPartitionError(
                    topic_name=topic, partition_index=index, error_code=int(ErrorCode.NONE)
                )
            )
        return StopReplicaResponse(error_code=int(ErrorCode.NONE), partition_errors=tuple(errors))

    # -- periodic work --------------------------------------------------------------------------

    def on_isr_expiration(self, *, now_ms: Millis, effects: Effects) -> None:
        """The isr-expiration task: propose shrinking every led partition's lagging ISR."""
        for partition in self.partitions.values():
            maybe_shrink_isr(
                partition,
                now_ms=now_ms,
                replica_lag_time_max_ms=self.config.replica_lag_time_max_ms,
                effects=effects,
            )

    def checkpoint_high_watermarks(self) -> None:
        """Write ``replication-offset-checkpoint`` (and the log directory's other checkpoints)."""
        self.log_manager.checkpoint_high_watermarks(
            {key: p.high_watermark for key, p in self.partitions.items()}
        )
        self.log_manager.checkpoint_recovery_points()
        self.log_manager.checkpoint_log_start_offsets()

    def send_fetches(self, *, now_ms: Millis, effects: Effects) -> None:
        """Let every fetcher with nothing in flight send its next request."""
        for leader in self.fetchers.leaders():
            self.fetchers.maybe_send(
                leader,
                partitions=self.partitions,
                log_manager=self.log_manager,
                now_ms=now_ms,
                effects=effects,
            )

    def check_invariants(self) -> None:
        """Every replica's local invariants, and the fetchers'."""
        for key, partition in self.partitions.items():
            assert (partition.topic, partition.partition) == key, f"{key} filed under another key"
            assert partition.log is self.log_manager.logs.get(key), f"{key} lost its log"
            partition.check_invariants()
        self.fetchers.check_invariants(self.partitions)
