"""The replica fetcher: how a follower reconciles its log with the leader's, then copies it.

Theory of operation
-------------------
Replication is pull: a follower sends Fetch requests to its leader, exactly as a consumer does
(the course's 拉模式).  Kafka runs one fetcher thread per source broker (``ReplicaFetcherThread``,
``AbstractFetcherThread``); glasskafka keeps one :class:`ReplicaFetcher` per leader broker, with
at most one request in flight, covering every partition it follows there.  Each partition is in
one of two states (:class:`FetchState`, Kafka's ``Truncating`` and ``Fetching``):

1. **TRUNCATING** -- first the follower must cut any tail of its log that the leader does not
   have, and not one record more.  It asks the leader with OffsetForLeaderEpoch: "where does my
   latest epoch end in your log?", carrying its current leader epoch (KIP-320).  The leader
   answers with the largest epoch it knows at or below the one asked, and where that epoch ends
   in its log (KIP-279).  The follower then (:func:`truncation_point`):

   * if the leader's epoch is also in its own cache, truncates to the smaller of the leader's end
     offset and its own end of that epoch, and is done;
   * if not, truncates to its own end of the largest epoch below the leader's answer and asks
     again -- each round strictly lowers the epoch asked about, so this ends.

   Never to its own high watermark: that lost acknowledged data before KIP-101 (S1).
2. **FETCHING** -- Fetch from the follower's LEO, carrying its current leader epoch.  The leader
   answers with whole batches and its HW; the follower appends them as they are (offsets and
   epochs kept) and sets its HW to ``min(its LEO, the leader's HW)``.

Errors: FENCED_LEADER_EPOCH means the follower's epoch is stale, so it stops fetching the
partition until a newer LeaderAndIsr arrives.  UNKNOWN_LEADER_EPOCH (the leader has not heard of
the epoch yet), NOT_LEADER_OR_FOLLOWER and the like are retried after a backoff.
OFFSET_OUT_OF_RANGE means the follower is below the leader's log start (it starts over there) or
its log is longer than the leader's (it reconciles again).  A response is applied to a partition
only if the partition's state, epoch and offset are still those the request was sent with.

Spec IDs: REPL-9 (a follower's HW never exceeds the leader's HW it applied), REPL-12 (requests
carry the current leader epoch), REPL-14 (truncation only to the divergence point).

Simplified from Kafka: no fetch sessions (KIP-227), no throttling, no ``replica.fetch.backoff.ms``
setting (the backoff is Kafka's default, 1000 ms); KIP-595's diverging-epoch field in Fetch
responses (truncation while fetching, Kafka 2.7+) is a later chapter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from glasskafka.broker.effects import Effects
from glasskafka.broker.idempotence import record_replicated
from glasskafka.broker.partition import Partition
from glasskafka.broker.truncation import (
    start_at_leader_log_start,
    truncate_partition,
    truncation_point,
)
from glasskafka.config import BrokerConfig
from glasskafka.errors import ErrorCode
from glasskafka.ids import (
    BrokerId,
    Epoch,
    Millis,
    Offset,
    PartitionId,
    TopicName,
    TopicPartition,
    broker_node_id,
)
from glasskafka.log import (
    UNDEFINED_EPOCH,
    LogError,
    LogManager,
)
from glasskafka.node import Send, SetTimer
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.messages.fetch import (
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
    PartitionData,
)
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    EpochEndOffset,
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition,
    OffsetForLeaderTopic,
)

__all__ = [
    "FETCHER_TIMER_PREFIX",
    "REPLICA_FETCH_BACKOFF_MS",
    "FetchState",
    "FetcherPartition",
    "ReplicaFetcher",
    "ReplicaFetcherManager",
]

FETCHER_TIMER_PREFIX = "broker:fetcher:"
"""Backoff timers of the fetchers: ``broker:fetcher:<leader broker id>``."""

REPLICA_FETCH_BACKOFF_MS = 1000
"""Kafka's default ``replica.fetch.backoff.ms``: the wait before retrying after an error."""

NOT_DELAYED = Millis(0)
"""The backoff deadline of a partition that may be fetched at once."""

REPLICA_FETCH_RESPONSE_MAX_BYTES = 10 * 1024 * 1024
"""Kafka's default ``replica.fetch.response.max.bytes``."""


class FetchState(enum.Enum):
    """Where one followed partition stands (Kafka's ``ReplicaState``)."""

    TRUNCATING = "truncating"
    FETCHING = "fetching"

    def __repr__(self) -> str:
        return f"FetchState.{self.name}"


class _Kind(enum.Enum):
    EPOCHS = "epochs"
    FETCH = "fetch"


@dataclass(slots=True, kw_only=True)
class FetcherPartition:
    """One partition a fetcher follows: its state, the epoch it sends, its backoff."""

    topic: TopicName
    partition: PartitionId
    state: FetchState
    leader_epoch: Epoch
    delayed_until_ms: Millis = NOT_DELAYED


@dataclass(frozen=True, slots=True, kw_only=True)
class _InFlight:
    """The request a fetcher waits for: what it asked, per partition (epoch and offset)."""

    correlation_id: int
    kind: _Kind
    sent: tuple[tuple[TopicPartition, Epoch, Offset], ...]

    def sent_for(self, key: TopicPartition) -> tuple[Epoch, Offset] | None:
        return next(((e, o) for k, e, o in self.sent if k == key), None)


@dataclass(slots=True, kw_only=True)
class ReplicaFetcher:
    """The fetcher for one leader broker."""

    leader: BrokerId
    partitions: dict[TopicPartition, FetcherPartition] = field(default_factory=dict)
    in_flight: _InFlight | None = None


@dataclass(slots=True, kw_only=True)
class ReplicaFetcherManager:
    """Every fetcher of this broker, by leader (Kafka's ``ReplicaFetcherManager``)."""

    local_broker_id: BrokerId
    config: BrokerConfig
    fetchers: dict[BrokerId, ReplicaFetcher] = field(default_factory=dict)
    next_correlation_id: int = 0

    # -- which partitions are followed ----------------------------------------------------------

    def add_partition(
        self, key: TopicPartition, *, leader: BrokerId, leader_epoch: Epoch, reconcile: bool
    ) -> None:
        """Follow ``key`` from ``leader`` in ``leader_epoch``; first reconcile, if asked."""
        self.remove_partition(key)
        state = FetchState.TRUNCATING if reconcile else FetchState.FETCHING
        fetcher = self.fetchers.setdefault(leader, ReplicaFetcher(leader=leader))
        fetcher.partitions[key] = FetcherPartition(
            topic=key[0], partition=key[1], state=state, leader_epoch=leader_epoch
        )

    def remove_partition(self, key: TopicPartition) -> None:
        """Stop following ``key`` (a new role, a StopReplica, a fenced epoch)."""
        for leader in sorted(self.fetchers):
            fetcher = self.fetchers[leader]
            fetcher.partitions.pop(key, None)
            if not fetcher.partitions and fetcher.in_flight is None:
                del self.fetchers[leader]

    def state_of(self, key: TopicPartition) -> FetcherPartition | None:
        """How ``key`` is being followed, or None."""
        return next(
            (f.partitions[key] for f in self.fetchers.values() if key in f.partitions), None
        )

    def leaders(self) -> list[BrokerId]:
        return sorted(self.fetchers)

    # -- sending --------------------------------------------------------------------------------

    def maybe_send(
        self,
        leader: BrokerId,
        *,
        partitions: Mapping[TopicPartition, Partition],
        log_manager: LogManager,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        """Send the next request to ``leader`` if none is in flight (truncation first)."""
        fetcher = self.fetchers.get(leader)
        if fetcher is None or fetcher.in_flight is not None:
            return
        ready = [p for p in fetcher.partitions.values() if p.delayed_until_ms <= now_ms]
        truncating = [p for p in ready if p.state is FetchState.TRUNCATING]
        for followed in truncating:
            self._skip_lookup_without_epochs(followed, partitions, log_manager, now_ms, effects)
        truncating = [p for p in truncating if p.state is FetchState.TRUNCATING]
        fetching = [p for p in ready if p.state is FetchState.FETCHING]
        if truncating:
            self._send_epoch_lookup(fetcher, truncating, partitions, effects)
        elif fetching:
            self._send_fetch(fetcher, fetching, partitions, effects)
        elif fetcher.partitions:
            wake = min(p.delayed_until_ms for p in fetcher.partitions.values())
            effects.outputs.append(SetTimer(name=f"{FETCHER_TIMER_PREFIX}{leader}", at_ms=wake))

    def _skip_lookup_without_epochs(
        self,
        followed: FetcherPartition,
        partitions: Mapping[TopicPartition, Partition],
        log_manager: LogManager,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        """A log with no epoch cache has nothing to ask about: an empty log just fetches, a log
        of pre-KIP-101 batches falls back to the HW, as Kafka does for old message formats."""
        partition = partitions[(followed.topic, followed.partition)]
        if partition.log.latest_epoch != UNDEFINED_EPOCH:
            return
        hw = partition.high_watermark
        truncate_partition(
            partition, log_manager, hw, reason="no leader epochs", now_ms=now_ms, effects=effects
        )
        followed.state = FetchState.FETCHING

    def _send(
        self,
        fetcher: ReplicaFetcher,
        body: FetchRequest | OffsetForLeaderEpochRequest,
        *,
        kind: _Kind,
        sent: list[tuple[TopicPartition, Epoch, Offset]],
        effects: Effects,
    ) -> None:
        """Send ``body`` to the fetcher's leader and remember it as its one request in flight."""
        correlation_id = self.next_correlation_id
        self.next_correlation_id += 1
        client_id = f"broker-{self.local_broker_id}-fetcher-{fetcher.leader}"
        message = request(body, correlation_id=correlation_id, client_id=client_id)
        effects.outputs.append(Send(to=broker_node_id(fetcher.leader), message=message))
        fetcher.in_flight = _InFlight(correlation_id=correlation_id, kind=kind, sent=tuple(sent))

    def _send_epoch_lookup(
        self,
        fetcher: ReplicaFetcher,
        followed: list[FetcherPartition],
        partitions: Mapping[TopicPartition, Partition],
        effects: Effects,
    ) -> None:
        sent = []
        by_topic: dict[str, list[OffsetForLeaderPartition]] = {}
        for item in _in_order(followed):
            log = partitions[(item.topic, item.partition)].log
            sent.append(((item.topic, item.partition), item.leader_epoch, Offset(-1)))
            by_topic.setdefault(item.topic, []).append(
                OffsetForLeaderPartition(
                    partition=item.partition,
                    current_leader_epoch=item.leader_epoch,
                    leader_epoch=log.latest_epoch,
                )
            )
        body = OffsetForLeaderEpochRequest(
            replica_id=self.local_broker_id,
            topics=tuple(
                OffsetForLeaderTopic(topic=t, partitions=tuple(p)) for t, p in by_topic.items()
            ),
        )
        self._send(fetcher, body, kind=_Kind.EPOCHS, sent=sent, effects=effects)

    def _send_fetch(
        self,
        fetcher: ReplicaFetcher,
        followed: list[FetcherPartition],
        partitions: Mapping[TopicPartition, Partition],
        effects: Effects,
    ) -> None:
        sent = []
        by_topic: dict[str, list[FetchPartition]] = {}
        for item in _in_order(followed):
            partition = partitions[(item.topic, item.partition)]
            sent.append(((item.topic, item.partition), item.leader_epoch, partition.log_end_offset))
            by_topic.setdefault(item.topic, []).append(
                FetchPartition(
                    partition=item.partition,
                    current_leader_epoch=item.leader_epoch,
                    fetch_offset=partition.log_end_offset,
                    log_start_offset=partition.log_start_offset,
                    partition_max_bytes=self.config.replica_fetch_max_bytes,
                )
            )
        body = FetchRequest(
            replica_id=self.local_broker_id,
            max_wait_ms=self.config.replica_fetch_wait_max_ms,
            min_bytes=self.config.replica_fetch_min_bytes,
            max_bytes=REPLICA_FETCH_RESPONSE_MAX_BYTES,
            topics=tuple(FetchTopic(topic=t, partitions=tuple(p)) for t, p in by_topic.items()),
        )
        self._send(fetcher, body, kind=_Kind.FETCH, sent=sent, effects=effects)

    # -- answers --------------------------------------------------------------------------------

    def on_response(
        self,
        leader: BrokerId,
        response: KafkaResponse,
        *,
        partitions: Mapping[TopicPartition, Partition],
        log_manager: LogManager,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        """Apply the leader's answer to the request in flight, then send the next one."""
        fetcher = self.fetchers.get(leader)
        in_flight = fetcher.in_flight if fetcher is not None else None
        if fetcher is None or in_flight is None:
            return
        if in_flight.correlation_id != response.correlation_id:
            return  # an answer to a request this fetcher gave up on
        fetcher.in_flight = None
        match response.body:
            case OffsetForLeaderEpochResponse() if in_flight.kind is _Kind.EPOCHS:
                for topic in response.body.topics:
                    for answer in topic.partitions:
                        key = (TopicName(topic.topic), PartitionId(answer.partition))
                        self._on_epoch_answer(
                            fetcher,
                            key,
                            answer,
                            in_flight,
                            partitions,
                            log_manager,
                            now_ms,
                            effects,
                        )
            case FetchResponse() if in_flight.kind is _Kind.FETCH:
                for fetched in response.body.responses:
                    for data in fetched.partitions:
                        key = (TopicName(fetched.topic), PartitionId(data.partition_index))
                        self._on_fetched(
                            fetcher, key, data, in_flight, partitions, log_manager, now_ms, effects
                        )
            case _:
                pass  # not what was asked: the leader is confused; ask again
        self._forget_if_idle(fetcher)
        self.maybe_send(
            leader, partitions=partitions, log_manager=log_manager, now_ms=now_ms, effects=effects
        )

    def _forget_if_idle(self, fetcher: ReplicaFetcher) -> None:
        if not fetcher.partitions and fetcher.in_flight is None:
            self.fetchers.pop(fetcher.leader, None)

    def _awaited(
        self,
        fetcher: ReplicaFetcher,
        key: TopicPartition,
        in_flight: _InFlight,
        state: FetchState,
    ) -> FetcherPartition | None:
        """The followed partition an answer is for, if it is still as the request left it."""
        followed = fetcher.partitions.get(key)
        sent = in_flight.sent_for(key)
        if followed is None or sent is None or followed.state is not state:
            return None
        return followed if followed.leader_epoch == sent[0] else None

    def _on_error(
        self, fetcher: ReplicaFetcher, followed: FetcherPartition, error: ErrorCode, now_ms: Millis
    ) -> None:
        """FENCED: our epoch is stale, wait for LeaderAndIsr.  Anything else: back off, retry."""
        key = (followed.topic, followed.partition)
        if error is ErrorCode.FENCED_LEADER_EPOCH:
            fetcher.partitions.pop(key, None)
            return
        followed.delayed_until_ms = Millis(now_ms + REPLICA_FETCH_BACKOFF_MS)

    def _on_epoch_answer(
        self,
        fetcher: ReplicaFetcher,
        key: TopicPartition,
        answer: EpochEndOffset,
        in_flight: _InFlight,
        partitions: Mapping[TopicPartition, Partition],
        log_manager: LogManager,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        """Truncate as KIP-279 says; done, or ask again about an older epoch.  REPL-14."""
        followed = self._awaited(fetcher, key, in_flight, FetchState.TRUNCATING)
        partition = partitions.get(key)
        if followed is None or partition is None:
            return
        error = _error(answer.error_code)
        if error is not ErrorCode.NONE:
            self._on_error(fetcher, followed, error, now_ms)
            return
        offset, done = truncation_point(
            partition.log,
            leader_epoch=answer.leader_epoch,
            end_offset=answer.end_offset,
            high_watermark=partition.high_watermark,
        )
        reason = f"leader {fetcher.leader}: epoch {answer.leader_epoch} ends at {answer.end_offset}"
        truncate_partition(
            partition, log_manager, offset, reason=reason, now_ms=now_ms, effects=effects
        )
        if done:
            followed.state = FetchState.FETCHING

    def _on_fetched(
        self,
        fetcher: ReplicaFetcher,
        key: TopicPartition,
        data: PartitionData,
        in_flight: _InFlight,
        partitions: Mapping[TopicPartition, Partition],
        log_manager: LogManager,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        """Append what came, take the leader's HW; or handle the partition's error."""
        followed = self._awaited(fetcher, key, in_flight, FetchState.FETCHING)
        partition = partitions.get(key)
        sent = in_flight.sent_for(key)
        if followed is None or partition is None or sent is None:
            return
        if partition.log_end_offset != sent[1]:
            return  # the log changed since the request left; its data no longer fits
        error = _error(data.error_code)
        if error is ErrorCode.OFFSET_OUT_OF_RANGE:
            self._out_of_range(followed, partition, data, log_manager, now_ms, effects)
            return
        if error is not ErrorCode.NONE:
            self._on_error(fetcher, followed, error, now_ms)
            return
        try:
            if data.records:
                appended = partition.log.append_as_follower(data.records, now_ms=now_ms)
                # The follower rebuilds the leader's producer state from the same batches, so
                # it deduplicates retries once it leads (AppendOrigin.REPLICATION; IDEM-5).
                record_replicated(partition, data.records, valid_bytes=appended.valid_bytes)
        except LogError as refused:
            if refused.code is ErrorCode.INVALID_RECORD:
                followed.state = FetchState.TRUNCATING  # the batches do not continue our log
            followed.delayed_until_ms = Millis(now_ms + REPLICA_FETCH_BACKOFF_MS)
            return
        if data.log_start_offset > partition.log_start_offset:
            partition.log.maybe_increment_log_start_offset(
                min(data.log_start_offset, partition.log_end_offset)
            )
        partition.apply_leader_high_watermark(Offset(data.high_watermark))

    def _out_of_range(
        self,
        followed: FetcherPartition,
        partition: Partition,
        data: PartitionData,
        log_manager: LogManager,
        now_ms: Millis,
        effects: Effects,
    ) -> None:
        """Below the leader's log start: start over there.  Past its end: reconcile again."""
        leader_start = data.log_start_offset
        if leader_start <= partition.log_end_offset:
            followed.state = FetchState.TRUNCATING
            return
        start_at_leader_log_start(
            partition, log_manager, leader_start, now_ms=now_ms, effects=effects
        )

    # -- connections and timers -----------------------------------------------------------------

    def on_connection_lost(self, leader: BrokerId, *, now_ms: Millis, effects: Effects) -> None:
        """The request in flight to ``leader`` is gone: retry after the backoff."""
        fetcher = self.fetchers.get(leader)
        if fetcher is None:
            return
        fetcher.in_flight = None
        for followed in fetcher.partitions.values():
            followed.delayed_until_ms = Millis(now_ms + REPLICA_FETCH_BACKOFF_MS)
        self._forget_if_idle(fetcher)
        if fetcher.partitions:
            wake = Millis(now_ms + REPLICA_FETCH_BACKOFF_MS)
            effects.outputs.append(SetTimer(name=f"{FETCHER_TIMER_PREFIX}{leader}", at_ms=wake))

    def check_invariants(self, partitions: Mapping[TopicPartition, Partition]) -> None:
        """Each followed partition is a follower of exactly this fetcher's leader, once."""
        seen: set[TopicPartition] = set()
        for leader, fetcher in self.fetchers.items():
            for key in fetcher.partitions:
                assert key not in seen, f"{key} is followed by two fetchers"
                seen.add(key)
                partition = partitions.get(key)
                assert partition is not None and partition.leader == leader, (
                    f"REPL-14: fetcher for leader {leader} follows {key}, whose leader is "
                    f"{partition.leader if partition else None}"
                )


def _error(code: int) -> ErrorCode:
    """The ErrorCode of a response field; an unknown number counts as UNKNOWN_SERVER_ERROR."""
    try:
        return ErrorCode(code)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


def _in_order(followed: list[FetcherPartition]) -> list[FetcherPartition]:
    """Partitions by (topic, partition), so requests never depend on dict order (DESIGN §7)."""
    return sorted(followed, key=lambda item: (item.topic, item.partition))
