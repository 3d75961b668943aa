"""From ``send`` to the accumulator: check, serialize, wait for metadata and memory, partition.

Theory of operation
-------------------
``KafkaProducer.send`` does, in this order (``KafkaProducer.doSend``): wait for the topic's
metadata, serialize key and value, choose the partition, check the record's size, and append it
to the accumulator, waiting for buffer memory if there is none.  The two waits block the caller
for at most ``max.block.ms`` in total; after that the send fails with a timeout.

A sans-IO node cannot block, so a record that must wait is kept in :attr:`Dispatcher.waiting`,
in send order, and admitted as soon as its topic's metadata is known and memory is free.  Because
Kafka's caller is blocked while it waits, nothing sent after a waiting record can overtake it:
the queue is strict first-in, first-out, which keeps ORDER-1 for records of one partition.

Checks that need nothing but the record happen at once and raise
:class:`~glasskafka.errors.GlassKafkaError` (Kafka throws from ``send`` too): a topic name that
breaks Kafka's rules, a negative partition or timestamp, malformed headers, a key or value its
serializer refuses.  A record too large for ``max.request.size`` or ``buffer.memory`` fails its
future instead (Kafka's ``RecordTooLargeException`` reaches the callback).

The partition is chosen when the record is admitted (see ``partitioner.py``).  A configured
partitioner (``partitioner.class`` or a function) is asked again when its choice would start a
new batch: Kafka 3.7's ``abortOnNewBatch`` path, which is what skews round robin (KAFKA-9965).

Spec IDs: ORDER-1 (first in, first out into the accumulator).

Simplified from Kafka: no interceptors; a record waiting for memory keeps the partition chosen
before the wait.
"""

from __future__ import annotations

import enum
import random
import re
from dataclasses import dataclass, field

from glasskafka.client.accumulator import RecordAccumulator, record_size
from glasskafka.client.delivery import DeliveryError, FutureId, ProducerRecord
from glasskafka.client.metadata import ClusterView
from glasskafka.client.partitioner import (
    CustomPartitioner,
    PartitionerKind,
    PartitionerState,
    TopicPartitions,
    keyed_partition,
    random_partition,
)
from glasskafka.client.producer_config import ProducerConfig
from glasskafka.client.serializers import SERIALIZERS
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import PartitionId, TopicName
from glasskafka.records import BATCH_HEADER_SIZE, Record

__all__ = ["Dispatcher", "PendingSend", "prepare", "size_error"]

_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
_UNRETRIABLE_TOPIC_ERRORS = frozenset(
    {ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.TOPIC_AUTHORIZATION_FAILED}
)


class _Append(enum.Enum):
    APPENDED = "appended"
    RECHOSEN = "rechosen"
    WAIT_FOR_MEMORY = "wait for memory"


@dataclass(slots=True, kw_only=True)
class PendingSend:
    """A serialized record on its way into the accumulator."""

    future: FutureId
    topic: TopicName
    partition: int | None
    explicit: bool
    record: Record
    key_size: int
    value_size: int
    deadline_ms: int
    rechosen: bool = False


def _check_record(record: object) -> ProducerRecord:
    if not isinstance(record, ProducerRecord):
        raise GlassKafkaError(f"send() takes a ProducerRecord, got {type(record).__name__}")
    topic = record.topic
    if not isinstance(topic, str) or not _TOPIC.fullmatch(topic) or topic in (".", ".."):
        raise GlassKafkaError(
            f"topic {topic!r} is not a legal topic name; allowed: 1 to 249 of A-Z a-z 0-9 . _ -, "
            "not '.' or '..'"
        )
    for name in ("partition", "timestamp"):
        value = getattr(record, name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63
        ):
            raise GlassKafkaError(
                f"{name}={value!r}; it must be None or a non-negative integer (Kafka: "
                f'"Invalid {name}")'
            )
    if not isinstance(record.headers, tuple) or not all(
        isinstance(h, tuple)
        and len(h) == 2
        and isinstance(h[0], str)
        and (h[1] is None or isinstance(h[1], bytes))
        for h in record.headers
    ):
        raise GlassKafkaError(
            f"headers={record.headers!r}; they must be a tuple of (str, bytes or None) pairs"
        )
    return record


def prepare(
    record: object, *, config: ProducerConfig, future: FutureId, now_ms: int
) -> PendingSend:
    """Check and serialize ``record``; raise :class:`GlassKafkaError` for bad input."""
    checked = _check_record(record)
    key = SERIALIZERS[config.key_serializer](checked.topic, checked.key)
    value = SERIALIZERS[config.value_serializer](checked.topic, checked.value)
    for name, _ in checked.headers:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise GlassKafkaError(f"header name {name!r} cannot be encoded as UTF-8") from None
    timestamp = now_ms if checked.timestamp is None else checked.timestamp
    return PendingSend(
        future=future,
        topic=TopicName(checked.topic),
        partition=checked.partition,
        explicit=checked.partition is not None,
        record=Record(key=key, value=value, headers=checked.headers, timestamp=timestamp),
        key_size=-1 if key is None else len(key),
        value_size=-1 if value is None else len(value),
        deadline_ms=now_ms + config.max_block_ms,
    )


def size_error(pending: PendingSend, config: ProducerConfig) -> DeliveryError | None:
    """Kafka's ``ensureValidRecordSize``: a record no request or buffer could ever hold."""
    size = BATCH_HEADER_SIZE + record_size(pending.record)
    if size > config.max_request_size:
        limit = f"{config.max_request_size}, which is the value of the max.request.size"
    elif size > config.buffer_memory:
        limit = f"{config.buffer_memory}, the total memory buffer you have configured with the"
        limit += " buffer.memory"
    else:
        return None
    return DeliveryError(
        code=ErrorCode.MESSAGE_TOO_LARGE,
        message=f"The message is {size} bytes when serialized which is larger than {limit} "
        "configuration.",
    )


@dataclass(slots=True, kw_only=True)
class Dispatcher:
    """Records waiting for metadata or memory, and the partitioners' state."""

    kind: PartitionerKind
    waiting: list[PendingSend] = field(default_factory=list)
    partitioner: PartitionerState = field(default_factory=PartitionerState)
    memory_wait: bool = False

    def admit(
        self,
        accumulator: RecordAccumulator,
        metadata: ClusterView,
        config: ProducerConfig,
        *,
        rng: random.Random,
        custom: CustomPartitioner | None,
        now_ms: int,
    ) -> tuple[list[tuple[PendingSend, DeliveryError]], bool]:
        """Move waiting records into the accumulator, first in first out, while possible.

        Returns the records that failed (a topic that cannot be written, a partitioner's bad
        answer) and whether metadata is missing for the record at the head of the queue.
        """
        failed: list[tuple[PendingSend, DeliveryError]] = []
        self.memory_wait = False
        while self.waiting:
            pending = self.waiting[0]
            topic = metadata.partitions_of(pending.topic)
            if topic is None:
                state = metadata.topic(pending.topic)
                if state is None or state.error not in _UNRETRIABLE_TOPIC_ERRORS:
                    return failed, True
                self.waiting.pop(0)
                why = f"the cluster answered {state.error.name} for topic {pending.topic}"
                failed.append((pending, DeliveryError(code=state.error, message=why)))
                continue
            try:
                if pending.partition is None:
                    pending.partition = self._choose(pending, topic, config, rng, custom)
                if pending.partition >= topic.num_partitions:
                    return failed, True  # Kafka waits for metadata that has the partition
                outcome = self._append(pending, topic, accumulator, config, rng, custom, now_ms)
            except GlassKafkaError as error:
                self.waiting.pop(0)
                failed.append((pending, DeliveryError(code=None, message=str(error))))
                continue
            if outcome is _Append.WAIT_FOR_MEMORY:
                self.memory_wait = True
                return failed, False
            if outcome is _Append.APPENDED:
                self.waiting.pop(0)
        return failed, False

    def _configured(self, custom: CustomPartitioner | None) -> bool:
        return custom is not None or self.kind is not PartitionerKind.BUILT_IN

    def _choose(
        self,
        pending: PendingSend,
        topic: TopicPartitions,
        config: ProducerConfig,
        rng: random.Random,
        custom: CustomPartitioner | None,
    ) -> int:
        """Kafka's order: a configured partitioner, else the key, else the sticky partition."""
        record = pending.record
        if custom is not None:
            chosen = custom(pending.topic, record.key, record.value, topic)
            if not isinstance(chosen, int) or isinstance(chosen, bool) or chosen < 0:
                raise GlassKafkaError(
                    f"The partitioner generated an invalid partition number: {chosen!r}. "
                    "Partition number should always be non-negative."
                )
            return chosen
        match self.kind:
            case PartitionerKind.ROUND_ROBIN:
                return self.partitioner.next_round_robin(topic)
            case PartitionerKind.RANDOM:
                return random_partition(topic, rng)
            case PartitionerKind.BUILT_IN | PartitionerKind.CUSTOM:
                pass
        if record.key is not None and not config.partitioner_ignore_keys:
            return keyed_partition(record.key, topic.num_partitions)
        return self.partitioner.sticky_partition(topic, rng)

    def _append(
        self,
        pending: PendingSend,
        topic: TopicPartitions,
        accumulator: RecordAccumulator,
        config: ProducerConfig,
        rng: random.Random,
        custom: CustomPartitioner | None,
        now_ms: int,
    ) -> _Append:
        """Append the head record, or say why not yet."""
        assert pending.partition is not None
        tp = (pending.topic, PartitionId(pending.partition))
        needs_batch = not accumulator.has_room(tp, pending.record)
        configured = self._configured(custom) and not pending.explicit
        if needs_batch and configured and not pending.rechosen:
            # Kafka 3.7 asks a configured partitioner again before starting a new batch
            # (abortOnNewBatch); round robin counts that call too (KAFKA-9965).
            pending.rechosen = True
            pending.partition = self._choose(pending, topic, config, rng, custom)
            return _Append.RECHOSEN
        if needs_batch and not accumulator.can_allocate(
            accumulator.new_batch_bytes(pending.record)
        ):
            return _Append.WAIT_FOR_MEMORY
        result = accumulator.append(
            tp,
            pending.record,
            future=pending.future,
            key_size=pending.key_size,
            value_size=pending.value_size,
            now_ms=now_ms,
        )
        sticky = not self._configured(custom) and (
            pending.record.key is None or config.partitioner_ignore_keys
        )
        if sticky and not pending.explicit:
            self.partitioner.update_sticky(
                topic,
                appended_bytes=result.appended_bytes,
                batch_size=config.effective_batch_size,
                batch_full=result.batch_full,
                rng=rng,
            )
        return _Append.APPENDED

    def expire(
        self, metadata: ClusterView, *, now_ms: int, max_block_ms: int
    ) -> list[tuple[PendingSend, DeliveryError]]:
        """Fail the waiting records whose ``max.block.ms`` has passed, with Kafka's messages."""
        expired = []
        while self.waiting and self.waiting[0].deadline_ms <= now_ms:
            pending = self.waiting.pop(0)
            topic = metadata.partitions_of(pending.topic)
            if topic is None:
                why = f"Topic {pending.topic} not present in metadata after {max_block_ms} ms."
            elif pending.partition is not None and pending.partition >= topic.num_partitions:
                why = (
                    f"Partition {pending.partition} of topic {pending.topic} with partition count "
                    f"{topic.num_partitions} is not present in metadata after {max_block_ms} ms."
                )
            else:
                why = (
                    "Failed to allocate memory within the configured max blocking time "
                    f"{max_block_ms} ms."
                )
            expired.append((pending, DeliveryError(code=ErrorCode.REQUEST_TIMED_OUT, message=why)))
        return expired

    def next_deadline_ms(self) -> int | None:
        """When the oldest waiting record gives up (None: nothing waits)."""
        return self.waiting[0].deadline_ms if self.waiting else None
