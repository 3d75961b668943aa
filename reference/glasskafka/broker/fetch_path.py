"""The fetch path on a leader: Fetch for consumers and followers, ListOffsets, OffsetForLeaderEpoch.

Theory of operation
-------------------
**Fetch** (``ReplicaManager.fetchMessages``).  One request serves two kinds of reader:

* a **consumer** (``replica_id`` -1) may read only below the high watermark: records start at
  the batch that *contains* ``fetch_offset``, whole batches, at least one batch even past
  ``max_bytes`` (KIP-74); a fetch offset below the log start or above the LEO is
  OFFSET_OUT_OF_RANGE; between the HW and the LEO the answer is empty (wire-protocol.md §6);
* a **follower** (``replica_id`` = its broker id) reads up to the LEO.  Its ``fetch_offset`` *is*
  its LEO, so when the request arrives -- and only if it carries the leader's current epoch
  (REPL-12) -- the leader records it, may admit the follower to the ISR, and may raise its HW
  (REPL-8, REPL-13); the answer carries the HW, which is how followers learn it.

Both are checked first: the broker must lead the partition (NOT_LEADER_OR_FOLLOWER /
UNKNOWN_TOPIC_OR_PARTITION), and a ``current_leader_epoch`` other than -1 must be the leader's
(FENCED_LEADER_EPOCH for older, UNKNOWN_LEADER_EPOCH for newer; KIP-320).  If fewer than
``min_bytes`` are available and nothing failed, the fetch is parked (a long poll) until enough
arrive or ``max_wait_ms`` passes; it is then read again from scratch (``purgatory.py``).

**ListOffsets**: ``-2`` gives the log start, ``-1`` the HW (for read_committed the last stable
offset, which equals the HW without transactions), any other timestamp the first offset below
the HW whose record's timestamp is at or after it (-1 if there is none).

**OffsetForLeaderEpoch** (the follower's truncation question, KIP-279): the leader answers with
the largest epoch in its cache at or below the one asked, and where that epoch ends in its log
(``LeaderEpochCache.end_offset_for``).

Spec IDs: REPL-6 (consumers read only below the HW), REPL-8, REPL-12, REPL-13, REPL-14.

Simplified from Kafka: no fetch sessions (KIP-227: ``session_id`` 0 keeps clients on full
fetches), no follower fetching for consumers (KIP-392), no aborted-transaction index, no
throttling; ListOffsets v0's list of segment offsets is not served.
"""

from __future__ import annotations

from glasskafka.broker.effects import Answer, Effects, Outcome, Parked, ReplicaFetchServed
from glasskafka.broker.isr import maybe_expand_isr
from glasskafka.broker.partition import Partition
from glasskafka.broker.purgatory import DelayedFetch
from glasskafka.broker.replica_manager import ReplicaManager
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId, Offset, PartitionId, TopicName
from glasskafka.log import UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, LogError, PartitionLog
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.fetch import (
    FetchableTopicResponse,
    FetchPartition,
    FetchRequest,
    FetchResponse,
    PartitionData,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsPartitionResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    EpochEndOffset,
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition,
    OffsetForLeaderTopicResult,
)
from glasskafka.records import CorruptRecordError, UnsupportedCompressionError, decode_batch

__all__ = [
    "EARLIEST_TIMESTAMP",
    "LATEST_TIMESTAMP",
    "complete_fetch",
    "end_offset_for_epoch",
    "handle_fetch",
    "handle_list_offsets",
    "handle_offset_for_leader_epoch",
]

EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1


# -- Fetch --------------------------------------------------------------------------------------


def handle_fetch(
    manager: ReplicaManager,
    sender: NodeId,
    request: KafkaRequest,
    body: FetchRequest,
    *,
    now_ms: Millis,
    effects: Effects,
) -> Outcome:
    """Record a follower's position, then answer now or park until ``min_bytes`` are there.

    Invariants: REPL-6, REPL-12, REPL-13.
    """
    if body.replica_id >= 0:
        for topic in body.topics:
            for asked in topic.partitions:
                _on_follower_position(
                    manager, BrokerId(body.replica_id), topic.topic, asked, now_ms, effects
                )
    response, available, failed = read_fetch(manager, body)
    if body.max_wait_ms <= 0 or available >= body.min_bytes or failed or not body.topics:
        return Answer(body=response)
    operation = DelayedFetch(
        operation_id=manager.purgatory.new_id(),
        sender=sender,
        request=request,
        fetch=body,
        deadline_ms=Millis(now_ms + body.max_wait_ms),
    )
    effects.outputs.append(manager.purgatory.park(operation))
    return Parked(operation_id=operation.operation_id)


def _on_follower_position(
    manager: ReplicaManager,
    follower: BrokerId,
    topic: str,
    asked: FetchPartition,
    now_ms: Millis,
    effects: Effects,
) -> None:
    """A follower's fetch arrived: count it toward the ISR and HW if it may (REPL-12, REPL-13).

    The ISR check comes before the HW moves, as in Kafka's ``updateFollowerFetchState``.
    """
    partition, error = manager.leader_partition(topic, asked.partition)
    counted = False
    if partition is not None and error is ErrorCode.NONE:
        if follower not in partition.remote_replicas:
            error = ErrorCode.NOT_LEADER_OR_FOLLOWER
        else:
            error, counts = partition.fence(asked.current_leader_epoch)
            in_log = partition.log_start_offset <= asked.fetch_offset <= partition.log_end_offset
            if error is ErrorCode.NONE and not in_log:
                error = ErrorCode.OFFSET_OUT_OF_RANGE
            if error is ErrorCode.NONE and counts:
                counted = True
                partition.update_follower_fetch_state(
                    follower,
                    fetch_offset=Offset(asked.fetch_offset),
                    request_epoch=Epoch(asked.current_leader_epoch),
                    now_ms=now_ms,
                )
                maybe_expand_isr(partition, follower, effects=effects)
                if partition.maybe_increment_high_watermark():
                    effects.touch(partition.topic, partition.partition)
    effects.events.append(
        ReplicaFetchServed(
            topic=TopicName(topic),
            partition=PartitionId(asked.partition),
            follower=follower,
            fetch_offset=Offset(asked.fetch_offset),
            current_leader_epoch=Epoch(asked.current_leader_epoch),
            error=error,
            counted=counted,
        )
    )


def read_fetch(manager: ReplicaManager, body: FetchRequest) -> tuple[FetchResponse, int, bool]:
    """Read every partition of ``body`` as things stand: ``(response, bytes, any error)``."""
    remaining = max(body.max_bytes, 0)
    first = True  # KIP-74: the first partition with data returns a batch even past max_bytes
    failed = False
    topics = []
    for topic in body.topics:
        answers = []
        for asked in topic.partitions:
            data = _read_partition(manager, body, topic.topic, asked, remaining, first)
            failed = failed or data.error_code != ErrorCode.NONE
            size = len(data.records or b"")
            remaining = max(remaining - size, 0)
            first = first and size == 0
            answers.append(data)
        topics.append(FetchableTopicResponse(topic=topic.topic, partitions=tuple(answers)))
    response = FetchResponse(responses=tuple(topics))
    available = max(body.max_bytes, 0) - remaining
    return response, available, failed


def _read_partition(
    manager: ReplicaManager,
    body: FetchRequest,
    topic: str,
    asked: FetchPartition,
    remaining: int,
    first: bool,
) -> PartitionData:
    partition, error = manager.leader_partition(topic, asked.partition)
    follower = body.replica_id >= 0
    if partition is not None and error is ErrorCode.NONE:
        error = partition.fence(asked.current_leader_epoch)[0]
        if follower and BrokerId(body.replica_id) not in partition.remote_replicas:
            error = ErrorCode.NOT_LEADER_OR_FOLLOWER
    if partition is None or error is not ErrorCode.NONE:
        return PartitionData(
            partition_index=asked.partition, error_code=int(error), high_watermark=-1, records=b""
        )
    records = b""
    try:
        records = partition.log.read(
            asked.fetch_offset,
            max_bytes=min(max(asked.partition_max_bytes, 0), remaining),
            max_offset=None if follower else partition.high_watermark,
            min_one_batch=first,
        )
    except LogError as refused:
        error = refused.code
    return PartitionData(
        partition_index=asked.partition,
        error_code=int(error),
        high_watermark=partition.high_watermark,
        last_stable_offset=partition.high_watermark,
        log_start_offset=partition.log_start_offset,
        records=records,
    )


def complete_fetch(
    manager: ReplicaManager, operation: DelayedFetch, *, expired: bool
) -> FetchResponse | None:
    """A parked fetch's answer if enough is there (or something failed, or time is up)."""
    response, available, failed = read_fetch(manager, operation.fetch)
    if expired or failed or available >= operation.fetch.min_bytes:
        return response
    return None


# -- ListOffsets --------------------------------------------------------------------------------


def handle_list_offsets(
    manager: ReplicaManager, body: ListOffsetsRequest, *, api_version: int
) -> ListOffsetsResponse:
    """Earliest, latest (the HW) or by timestamp, per partition; the leader answers."""
    with_epochs = api_version < 0 or api_version >= 4  # leader_epoch is on the wire from v4
    return ListOffsetsResponse(
        topics=tuple(
            ListOffsetsTopicResponse(
                name=topic.name,
                partitions=tuple(
                    _list_offset(manager, topic.name, asked, with_epochs=with_epochs)
                    for asked in topic.partitions
                ),
            )
            for topic in body.topics
        )
    )


def _list_offset(
    manager: ReplicaManager, topic: str, asked: ListOffsetsPartition, *, with_epochs: bool
) -> ListOffsetsPartitionResponse:
    partition, error = manager.leader_partition(topic, asked.partition_index)
    if partition is not None and error is ErrorCode.NONE:
        error = partition.fence(asked.current_leader_epoch)[0]
    if error is ErrorCode.NONE and asked.timestamp < EARLIEST_TIMESTAMP:
        error = ErrorCode.INVALID_REQUEST  # -3 (max timestamp, KIP-734) needs v7+
    if partition is None or error is not ErrorCode.NONE:
        return ListOffsetsPartitionResponse(
            partition_index=asked.partition_index, error_code=int(error)
        )
    log = partition.log
    timestamp, offset, epoch_offset = -1, -1, -1
    if asked.timestamp == EARLIEST_TIMESTAMP:
        offset = epoch_offset = partition.log_start_offset
    elif asked.timestamp == LATEST_TIMESTAMP:
        offset = partition.high_watermark
        epoch_offset = offset - 1
    else:
        found = log.offset_for_timestamp(asked.timestamp)
        if found is not None and found < partition.high_watermark:
            offset, epoch_offset = found, found
            timestamp = _timestamp_at(log, found)
    return ListOffsetsPartitionResponse(
        partition_index=asked.partition_index,
        error_code=int(ErrorCode.NONE),
        timestamp=timestamp,
        offset=offset,
        leader_epoch=_epoch_at(log, epoch_offset) if with_epochs else -1,
    )


def _epoch_at(log: PartitionLog, offset: int) -> int:
    if not log.log_start_offset <= offset < log.log_end_offset:
        return -1
    return log.epoch_cache.epoch_for_offset(offset)


def _timestamp_at(log: PartitionLog, offset: int) -> int:
    """The timestamp of the record at ``offset`` (the batch's max timestamp if unreadable)."""
    batch = log.read(offset, max_bytes=0)
    try:
        decoded = decode_batch(batch)
    except (CorruptRecordError, UnsupportedCompressionError):
        return -1
    if decoded.header.log_append_time:
        return decoded.header.max_timestamp
    found = next((r for r in decoded.records if r.offset >= offset), None)
    return found.timestamp if found is not None else decoded.header.max_timestamp


# -- OffsetForLeaderEpoch -----------------------------------------------------------------------


def handle_offset_for_leader_epoch(
    manager: ReplicaManager, body: OffsetForLeaderEpochRequest
) -> OffsetForLeaderEpochResponse:
    """Where each asked epoch ends in the leader's log (KIP-279), fenced by KIP-320."""
    return OffsetForLeaderEpochResponse(
        topics=tuple(
            OffsetForLeaderTopicResult(
                topic=topic.topic,
                partitions=tuple(
                    _epoch_end(manager, topic.topic, asked) for asked in topic.partitions
                ),
            )
            for topic in body.topics
        )
    )


def _epoch_end(
    manager: ReplicaManager, topic: str, asked: OffsetForLeaderPartition
) -> EpochEndOffset:
    partition, error = manager.leader_partition(topic, asked.partition)
    if partition is not None and error is ErrorCode.NONE:
        error = partition.fence(asked.current_leader_epoch)[0]
    if partition is None or error is not ErrorCode.NONE:
        return EpochEndOffset(error_code=int(error), partition=asked.partition)
    epoch, end_offset = end_offset_for_epoch(partition, asked.leader_epoch)
    return EpochEndOffset(
        error_code=int(ErrorCode.NONE),
        partition=asked.partition,
        leader_epoch=epoch,
        end_offset=end_offset,
    )


def end_offset_for_epoch(partition: Partition, requested: int) -> tuple[int, int]:
    """The leader's answer for ``requested``: ``(largest epoch <= requested, its end offset)``.

    Invariants: REPL-14.
    """
    log = partition.log
    if not partition.bugs.kip101_lookup:
        return log.end_offset_for_epoch(requested)
    # KIP-101's first lookup, replaced by KIP-279: the start of the first epoch *larger* than the
    # one asked, with no epoch in the answer.  After a quick succession of leaders the asking
    # follower may hold an epoch the leader never had, and keeps a record that differs (S3).
    entries = log.epoch_cache.entries
    if requested == UNDEFINED_EPOCH or not entries or requested > entries[-1][0]:
        return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
    if requested == entries[-1][0]:
        return UNDEFINED_EPOCH, log.log_end_offset
    later = next(start for epoch, start in entries if epoch > requested)
    return UNDEFINED_EPOCH, later
