"""The produce path: a leader appends producer batches and answers by the producer's ``acks``.

Theory of operation
-------------------
For each partition of a ProduceRequest (Kafka's ``ReplicaManager.appendRecords`` and
``Partition.appendRecordsToLeader``):

1. the broker must lead the partition: otherwise NOT_LEADER_OR_FOLLOWER if the partition exists,
   UNKNOWN_TOPIC_OR_PARTITION if not; clients may not write internal topics
   (INVALID_TOPIC_EXCEPTION);
2. with ``acks=all`` (-1) the ISR must have at least ``min.insync.replicas`` members *now*, or
   the batch is refused with NOT_ENOUGH_REPLICAS and not appended (REPL-16);
3. an idempotent batch (producer id >= 0) passes the partition's producer state first
   (``idempotence.py``): a retry of a batch the log holds is answered with its original offsets
   and not appended; a stale epoch is INVALID_PRODUCER_EPOCH, a sequence gap
   OUT_OF_ORDER_SEQUENCE_NUMBER (``reference/replication-invariants.md`` §6.3);
4. the log validates the batch (exactly one intact v2 batch: CORRUPT_MESSAGE, INVALID_RECORD,
   MESSAGE_TOO_LARGE...), stamps its base offset and the leader epoch outside the CRC, and
   appends it -- bytes in, bytes on disk, no per-record work (DESIGN §7) -- and the producer
   state records the batch;
5. the HW may rise at once (an ISR of one).

Then, by ``acks``:

========  ===============================================================================
``0``     no answer at all, whatever happened (the producer reads none; wire-protocol.md §2)
``1``     answer now: the batch is in the leader's log
``-1``    wait in the purgatory until the HW passes the batch: NONE, or
          NOT_ENOUGH_REPLICAS_AFTER_APPEND if the maximal ISR has meanwhile fallen below
          ``min.insync.replicas`` (the record stays in the log); NOT_LEADER_OR_FOLLOWER if
          the broker stops leading first; REQUEST_TIMED_OUT after ``timeout_ms``
other     INVALID_REQUIRED_ACKS for every partition, nothing appended
========  ===============================================================================

The course's summary of the trade-off: the longer the producer waits, the slower and the safer.

A parked acks=all produce keeps its request *without* the batches, which are in the log by then,
so the purgatory's memory does not grow with how many requests a producer pipelines.

Spec IDs: REPL-16 (the minISR gate at both ends), REPL-5 (acks=all answered only once the ISR
has the batch), LIVE-1 (a parked produce is always answered), IDEM-1, IDEM-3, IDEM-4, IDEM-6
(through ``idempotence.py``).

Simplified from Kafka: no transactions (a transactional batch is checked like an idempotent one, and
no transaction coordinator hands out transactional ids), no quotas, no ``record_errors`` detail
(KIP-467). Kafka closes the connection of an acks=0 producer whose batch failed, its only way to say
so; a node cannot close connections, so glasskafka stays silent.
"""

from __future__ import annotations

import dataclasses

from glasskafka.broker.effects import (
    Answer,
    Effects,
    Outcome,
    Parked,
    ProduceAnswered,
    ProduceAppended,
    Unanswered,
)
from glasskafka.broker.idempotence import check_client_batch, record_leader_append
from glasskafka.broker.metadata_cache import INTERNAL_TOPICS
from glasskafka.broker.partition import Partition
from glasskafka.broker.purgatory import DelayedProduce, ProducePartitionStatus
from glasskafka.broker.replica_manager import ReplicaManager
from glasskafka.errors import ErrorCode
from glasskafka.ids import Epoch, Millis, NodeId, Offset, PartitionId, TopicName
from glasskafka.log import LogError
from glasskafka.log.producer_state import DuplicateBatch
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceResponse,
)

__all__ = ["complete_produce", "expire_produce", "handle_produce"]

_VALID_ACKS = (0, 1, -1)


def handle_produce(
    manager: ReplicaManager,
    sender: NodeId,
    request: KafkaRequest,
    body: ProduceRequest,
    *,
    now_ms: Millis,
    effects: Effects,
) -> Outcome:
    """Append each partition's batch and answer, park, or stay silent by ``acks``.

    Invariants: REPL-16, REPL-5.
    """
    if body.acks not in _VALID_ACKS:
        statuses = [
            _refused(topic.name, data, ErrorCode.INVALID_REQUIRED_ACKS)
            for topic in body.topic_data
            for data in topic.partition_data
        ]
        return Answer(body=_response(statuses, body.acks, delayed=False, effects=effects))
    statuses = [
        _append(manager, topic.name, data, body.acks, now_ms=now_ms, effects=effects)
        for topic in body.topic_data
        for data in topic.partition_data
    ]
    if body.acks == 0:
        return Unanswered()
    if body.acks == -1 and manager.bugs.ack_before_hw:
        # The bug: answer acks=all like acks=1, before any follower has the batch.  A clean
        # election can then pick a follower without it, and an acknowledged record is lost.
        for status in statuses:
            status.waiting = False
    if not any(status.waiting for status in statuses):
        return Answer(body=_response(statuses, body.acks, delayed=False, effects=effects))
    operation = DelayedProduce(
        operation_id=manager.purgatory.new_id(),
        sender=sender,
        request=_without_records(request, body),
        statuses=statuses,
        deadline_ms=Millis(now_ms + max(body.timeout_ms, 0)),
    )
    effects.outputs.append(manager.purgatory.park(operation))
    return Parked(operation_id=operation.operation_id)


def _without_records(request: KafkaRequest, body: ProduceRequest) -> KafkaRequest:
    """The request as the purgatory keeps it: everything but the batches, now in the log.

    Why: librdkafka lets a producer pipeline up to a million requests per connection, each up to
    a megabyte; holding their batches until the HW passes them would make the leader's memory
    grow with its followers' lag.  The answer needs only the acks and the correlation id.
    """
    topics = tuple(
        dataclasses.replace(
            topic,
            partition_data=tuple(
                dataclasses.replace(data, records=None) for data in topic.partition_data
            ),
        )
        for topic in body.topic_data
    )
    return dataclasses.replace(request, body=dataclasses.replace(body, topic_data=topics))


def _refused(topic: str, data: PartitionProduceData, error: ErrorCode) -> ProducePartitionStatus:
    return ProducePartitionStatus(
        topic=TopicName(topic),
        partition=PartitionId(data.index),
        required_offset=Offset(-1),
        response=PartitionProduceResponse(index=data.index, error_code=int(error), base_offset=-1),
        waiting=False,
    )


def _append(
    manager: ReplicaManager,
    topic: str,
    data: PartitionProduceData,
    acks: int,
    *,
    now_ms: Millis,
    effects: Effects,
) -> ProducePartitionStatus:
    """Steps 1-5 of the module docstring for one partition."""
    partition, error = manager.leader_partition(topic, data.index)
    isr_size = len(partition.isr) if partition is not None else 0
    epoch = partition.leader_epoch if partition is not None else Epoch(-1)
    if error is ErrorCode.NONE and topic in INTERNAL_TOPICS:
        error = ErrorCode.INVALID_TOPIC_EXCEPTION
    minimum = partition.log.config.min_insync_replicas if partition is not None else 0
    if error is ErrorCode.NONE and acks == -1 and isr_size < minimum:
        error = ErrorCode.NOT_ENOUGH_REPLICAS  # checked before the append (REPL-16)
    status = _refused(topic, data, error)
    if error is ErrorCode.NONE and partition is not None:
        check = check_client_batch(partition, data.records or b"")
        if isinstance(check, DuplicateBatch):
            _answer_duplicate(partition, data, check, acks, status, effects=effects)
        elif check is not ErrorCode.NONE:
            # Stale epoch (INVALID_PRODUCER_EPOCH), a sequence gap (OUT_OF_ORDER_SEQUENCE_NUMBER)
            # or no sequence (INVALID_RECORD): refused before the append (IDEM-4, IDEM-6).
            status = _refused(topic, data, check)
        else:
            status = _append_new(partition, data, acks, status, now_ms=now_ms, effects=effects)
    effects.events.append(
        ProduceAppended(
            topic=TopicName(topic),
            partition=PartitionId(data.index),
            acks=acks,
            error=ErrorCode(status.response.error_code),
            base_offset=Offset(status.response.base_offset),
            last_offset=Offset(status.required_offset - 1 if status.required_offset >= 0 else -1),
            leader_epoch=epoch,
            isr_size=isr_size,
        )
    )
    return status


def _append_new(
    partition: Partition,
    data: PartitionProduceData,
    acks: int,
    status: ProducePartitionStatus,
    *,
    now_ms: Millis,
    effects: Effects,
) -> ProducePartitionStatus:
    """Steps 4-5: append a batch the producer state let through and record it there."""
    records = data.records or b""
    try:
        info = partition.log.append_as_leader(
            records, leader_epoch=partition.leader_epoch, now_ms=now_ms
        )
    except LogError as refused:
        return _refused(partition.topic, data, refused.code)
    status.response = PartitionProduceResponse(
        index=data.index,
        error_code=int(ErrorCode.NONE),
        base_offset=info.first_offset,
        log_append_time_ms=info.log_append_time_ms,
        log_start_offset=info.log_start_offset,
    )
    status.required_offset = Offset(info.last_offset + 1)
    status.waiting = acks == -1
    record_leader_append(partition, records, base_offset=info.first_offset)
    partition.maybe_increment_high_watermark()
    effects.touch(partition.topic, partition.partition)
    return status


def _answer_duplicate(
    partition: Partition,
    data: PartitionProduceData,
    duplicate: DuplicateBatch,
    acks: int,
    status: ProducePartitionStatus,
    *,
    effects: Effects,
) -> None:
    """A retry of a batch the log already holds: succeed with the offsets of its first append
    and write nothing (IDEM-1, IDEM-3).

    With acks=all the answer still waits until the HW covers the original, as Kafka's delayed
    produce does for a duplicate; the partition is touched so that a parked answer whose HW is
    already there completes at once.
    """
    status.response = PartitionProduceResponse(
        index=data.index,
        error_code=int(ErrorCode.NONE),
        base_offset=duplicate.first_offset,
        log_start_offset=partition.log_start_offset,
    )
    status.required_offset = Offset(duplicate.last_offset + 1)
    status.waiting = acks == -1
    effects.touch(partition.topic, partition.partition)


def complete_produce(
    manager: ReplicaManager, operation: DelayedProduce, *, effects: Effects
) -> ProduceResponse | None:
    """The answer to a parked produce if every partition is settled, else None.

    A partition settles when the HW reaches its batch's end (NONE, or
    NOT_ENOUGH_REPLICAS_AFTER_APPEND if the maximal ISR is below ``min.insync.replicas``,
    ``Partition.checkEnoughReplicasReachOffset``) or when the broker no longer leads it.
    Invariants: REPL-16.
    """
    for status in operation.statuses:
        if not status.waiting:
            continue
        partition = manager.partitions.get((status.topic, status.partition))
        if partition is None or not partition.is_leader:
            _settle(status, ErrorCode.NOT_LEADER_OR_FOLLOWER)
        elif partition.high_watermark >= status.required_offset:
            enough = len(partition.maximal_isr) >= partition.log.config.min_insync_replicas
            _settle(
                status, ErrorCode.NONE if enough else ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
            )
    if any(status.waiting for status in operation.statuses):
        return None
    assert isinstance(operation.request.body, ProduceRequest)
    return _response(operation.statuses, operation.request.body.acks, delayed=True, effects=effects)


def expire_produce(operation: DelayedProduce, *, effects: Effects) -> ProduceResponse:
    """``timeout_ms`` passed: partitions still waiting are answered REQUEST_TIMED_OUT."""
    for status in operation.statuses:
        if status.waiting:
            _settle(status, ErrorCode.REQUEST_TIMED_OUT)
    assert isinstance(operation.request.body, ProduceRequest)
    return _response(operation.statuses, operation.request.body.acks, delayed=True, effects=effects)


def _settle(status: ProducePartitionStatus, error: ErrorCode) -> None:
    status.response = dataclasses.replace(status.response, error_code=int(error))
    status.waiting = False


def _response(
    statuses: list[ProducePartitionStatus], acks: int, *, delayed: bool, effects: Effects
) -> ProduceResponse:
    """The ProduceResponse, topics in request order; reports every answer as an event."""
    by_topic: dict[str, list[PartitionProduceResponse]] = {}
    for status in statuses:
        by_topic.setdefault(status.topic, []).append(status.response)
        effects.events.append(
            ProduceAnswered(
                topic=status.topic,
                partition=status.partition,
                acks=acks,
                error=ErrorCode(status.response.error_code),
                base_offset=Offset(status.response.base_offset),
                delayed=delayed,
            )
        )
    return ProduceResponse(
        responses=tuple(
            TopicProduceResponse(name=name, partition_responses=tuple(responses))
            for name, responses in by_topic.items()
        )
    )
