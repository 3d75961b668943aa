"""The record accumulator: records wait in per-partition batches until a batch is worth sending.

Theory of operation
-------------------
``send`` does not send.  It appends the record to the newest batch of its partition (Kafka's
``RecordAccumulator``), and the sender later takes whole batches, at most one per partition per
request.  Batching is where Kafka's throughput comes from: one request, one disk write and one
fetch carry many records.  Two settings decide when a batch goes:

* ``batch.size``: a batch takes records until its encoded size would pass this many bytes (a
  record larger than that gets a batch of its own);
* ``linger.ms``: a batch that is not full waits this long for more records.  Kafka 3.7's default
  is 0, so a batch goes as soon as the sender can take it, and batches form only while requests
  are in flight (4.0 waits 5 ms, KIP-1030).

The first batch of a partition is **ready** when it is full, or another batch waits behind it,
or it has lingered ``linger.ms``, or a flush or close asks for everything, or records are waiting
for buffer memory (``RecordAccumulator.ready``).  A batch that failed and waits for a retry is
ready only ``retry.backoff.ms`` after its last attempt, whatever else holds.

**Memory.**  Every open or in-flight batch holds ``max(batch.size, its first record)`` bytes of
``buffer.memory`` until it completes (Kafka's ``BufferPool``).  When no more can be had, a new
batch cannot be started and ``send`` waits, up to ``max.block.ms``.

**Retries** go back to the front of their partition's queue.  With idempotence the queue is kept
in sequence order (``insertInSequenceOrder``): batches that already have sequence numbers come
first, ascending, so a retry never overtakes an earlier batch (ORDER-1).

Batch sizes are computed exactly for uncompressed records (the same varints the encoder writes);
for gzip the uncompressed size stands in, an upper bound in practice.

Spec IDs: ORDER-1 (batches of a partition leave in order; retries go back in sequence order).

Simplified from Kafka: no estimate of the compression ratio, and no splitting of a batch that a
broker refused as too large (``MESSAGE_TOO_LARGE`` fails its records instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.client.delivery import FutureId
from glasskafka.ids import PartitionId, TopicName, TopicPartition
from glasskafka.records import BATCH_HEADER_SIZE, Compression, Record, encode_batch
from glasskafka.records.varint import zigzag_varint_size, zigzag_varlong_size

__all__ = ["AppendResult", "ProducerBatch", "RecordAccumulator", "record_size"]


def record_size(record: Record, *, offset_delta: int = 0, timestamp_delta: int = 0) -> int:
    """Bytes of one record in a batch, length prefix included (``DefaultRecord.sizeInBytes``)."""
    body = 1 + zigzag_varlong_size(timestamp_delta) + zigzag_varint_size(offset_delta)
    for data in (record.key, record.value):
        body += zigzag_varint_size(-1 if data is None else len(data)) + len(data or b"")
    body += zigzag_varint_size(len(record.headers))
    for name, value in record.headers:
        encoded = name.encode("utf-8")
        body += zigzag_varint_size(len(encoded)) + len(encoded)
        body += zigzag_varint_size(-1 if value is None else len(value)) + len(value or b"")
    return zigzag_varint_size(body) + body


@dataclass(slots=True, kw_only=True)
class ProducerBatch:
    """One batch of one partition, from its first record to its answer."""

    batch_id: int
    topic: TopicName
    partition: PartitionId
    created_ms: int
    allocated_bytes: int
    records: list[Record] = field(default_factory=list)
    futures: list[FutureId] = field(default_factory=list)
    key_sizes: list[int] = field(default_factory=list)
    value_sizes: list[int] = field(default_factory=list)
    size_bytes: int = BATCH_HEADER_SIZE
    closed: bool = False
    encoded: bytes | None = None
    producer_id: int = -1
    producer_epoch: int = -1
    base_sequence: int = -1
    attempts: int = 0
    last_attempt_ms: int | None = None
    in_flight: bool = False

    @property
    def topic_partition(self) -> TopicPartition:
        """The batch's ``(topic, partition)``."""
        return (self.topic, self.partition)

    @property
    def last_sequence(self) -> int:
        """The sequence of the last record, or -1 before a sequence is assigned."""
        if self.base_sequence < 0:
            return -1
        return (self.base_sequence + len(self.records) - 1) % 2**31

    def encode(self, compression: Compression) -> bytes:
        """The batch's bytes, built when first sent; a retry re-sends exactly these bytes."""
        if self.encoded is None:
            self.encoded = encode_batch(
                self.records,
                producer_id=self.producer_id,
                producer_epoch=self.producer_epoch,
                base_sequence=self.base_sequence,
                compression=compression,
            )
        return self.encoded


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendResult:
    """Where a record went: its batch, whether that batch is new or now full, and its bytes."""

    batch_id: int
    new_batch: bool
    batch_full: bool
    appended_bytes: int


@dataclass(slots=True, kw_only=True)
class RecordAccumulator:
    """Per-partition queues of batches and the memory they hold, as plain data."""

    batch_size: int
    buffer_memory: int
    linger_ms: int
    retry_backoff_ms: int
    queues: dict[TopicPartition, list[int]] = field(default_factory=dict)
    batches: dict[int, ProducerBatch] = field(default_factory=dict)
    used_memory: int = 0
    next_batch_id: int = 0

    # -- appending -------------------------------------------------------------------------------

    def _open_batch(self, tp: TopicPartition) -> ProducerBatch | None:
        queue = self.queues.get(tp)
        if not queue:
            return None
        last = self.batches[queue[-1]]
        return None if last.closed else last

    def _size_in(self, batch: ProducerBatch, record: Record) -> int:
        first = batch.records[0].timestamp if batch.records else record.timestamp
        return record_size(
            record, offset_delta=len(batch.records), timestamp_delta=record.timestamp - first
        )

    def has_room(self, tp: TopicPartition, record: Record) -> bool:
        """Whether the partition's open batch takes ``record`` without passing ``batch.size``."""
        batch = self._open_batch(tp)
        return batch is not None and batch.size_bytes + self._size_in(batch, record) <= (
            self.batch_size
        )

    def new_batch_bytes(self, record: Record) -> int:
        """The memory a new batch for ``record`` needs: ``max(batch.size, its size)``."""
        return max(self.batch_size, BATCH_HEADER_SIZE + record_size(record))

    def can_allocate(self, size: int) -> bool:
        """Whether ``size`` more bytes of ``buffer.memory`` are free."""
        return self.used_memory + size <= self.buffer_memory

    def append(
        self,
        tp: TopicPartition,
        record: Record,
        *,
        future: FutureId,
        key_size: int,
        value_size: int,
        now_ms: int,
    ) -> AppendResult:
        """Append ``record`` to the partition's open batch, or to a new one.

        The caller checked :meth:`has_room` or :meth:`can_allocate` first; a new batch takes its
        memory here.
        """
        batch = self._open_batch(tp) if self.has_room(tp, record) else None
        new = batch is None
        if batch is None:
            old = self._open_batch(tp)
            if old is not None:
                old.closed = True  # full: the next record starts a new batch
            size = self.new_batch_bytes(record)
            batch = ProducerBatch(
                batch_id=self.next_batch_id,
                topic=tp[0],
                partition=tp[1],
                created_ms=now_ms,
                allocated_bytes=size,
            )
            self.next_batch_id += 1
            self.used_memory += size
            self.batches[batch.batch_id] = batch
            self.queues.setdefault(tp, []).append(batch.batch_id)
        appended = self._size_in(batch, record) + (BATCH_HEADER_SIZE if new else 0)
        batch.size_bytes += self._size_in(batch, record)
        batch.records.append(record)
        batch.futures.append(future)
        batch.key_sizes.append(key_size)
        batch.value_sizes.append(value_size)
        full = batch.size_bytes >= self.batch_size
        return AppendResult(
            batch_id=batch.batch_id, new_batch=new, batch_full=full, appended_bytes=appended
        )

    # -- readiness -------------------------------------------------------------------------------

    def first(self, tp: TopicPartition) -> ProducerBatch | None:
        """The batch at the head of the partition's queue."""
        queue = self.queues.get(tp)
        return self.batches[queue[0]] if queue else None

    def backing_off(self, batch: ProducerBatch, now_ms: int) -> bool:
        """Whether a retried batch is still inside ``retry.backoff.ms`` of its last attempt."""
        last = batch.last_attempt_ms
        return batch.attempts > 0 and last is not None and now_ms < last + self.retry_backoff_ms

    def ready_at(self, tp: TopicPartition, *, hurry: bool) -> int | None:
        """When the partition's first batch becomes sendable (None: no batch).

        ``hurry`` is a flush, a close or a wait for memory: everything is sendable at once.
        """
        batch = self.first(tp)
        if batch is None:
            return None
        if batch.attempts > 0 and batch.last_attempt_ms is not None:
            return batch.last_attempt_ms + self.retry_backoff_ms
        full = batch.size_bytes >= self.batch_size or len(self.queues[tp]) > 1
        if full or hurry:
            return batch.created_ms
        return batch.created_ms + self.linger_ms

    def partitions(self) -> list[TopicPartition]:
        """Partitions with queued batches, sorted (no dependence on dict order)."""
        return sorted(tp for tp, queue in self.queues.items() if queue)

    def take_first(self, tp: TopicPartition) -> ProducerBatch:
        """Remove the partition's first batch from its queue for sending (no more appends)."""
        queue = self.queues[tp]
        batch = self.batches[queue.pop(0)]
        if not queue:
            del self.queues[tp]
        batch.closed = True
        batch.in_flight = True
        return batch

    def reenqueue(self, batch: ProducerBatch, *, now_ms: int) -> None:
        """Put a failed batch back at the front, before newer ones, in sequence order."""
        batch.in_flight = False
        batch.last_attempt_ms = now_ms
        queue = self.queues.setdefault(batch.topic_partition, [])
        position = 0
        if batch.base_sequence >= 0:
            # After the retries with lower sequences, before everything else.
            while position < len(queue):
                queued = self.batches[queue[position]]
                if queued.base_sequence < 0 or queued.base_sequence > batch.base_sequence:
                    break
                position += 1
        queue.insert(position, batch.batch_id)

    # -- completion ------------------------------------------------------------------------------

    def complete(self, batch_id: int) -> ProducerBatch | None:
        """Forget a finished batch (success or failure) and free its memory."""
        batch = self.batches.pop(batch_id, None)
        if batch is None:
            return None
        self.used_memory -= batch.allocated_bytes
        queue = self.queues.get(batch.topic_partition)
        if queue is not None and batch_id in queue:
            queue.remove(batch_id)
            if not queue:
                del self.queues[batch.topic_partition]
        return batch

    def expired(self, now_ms: int, delivery_timeout_ms: int) -> list[ProducerBatch]:
        """Incomplete batches past ``delivery.timeout.ms`` since creation, oldest first (KIP-91)."""
        return sorted(
            (b for b in self.batches.values() if now_ms >= b.created_ms + delivery_timeout_ms),
            key=lambda b: b.batch_id,
        )

    def next_expiry_ms(self, delivery_timeout_ms: int) -> int | None:
        """When the oldest incomplete batch expires (None: there is none)."""
        if not self.batches:
            return None
        return min(b.created_ms for b in self.batches.values()) + delivery_timeout_ms
