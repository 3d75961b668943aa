"""The idempotent producer's side of KIP-98: producer id, epoch and sequence numbers.

Theory of operation
-------------------
Before its first batch an idempotent producer asks a broker for a producer id (PID) and epoch
(InitProducerId).  Then, per partition, it numbers records from 0: a batch carries the sequence of
its first record, and the next batch starts where it ended, wrapping from 2147483647 to 0.  The
partition leader uses the numbers to drop a retry it already appended and to refuse a batch that
overtook an earlier one (``glasskafka.log.producer_state``).  For that to work the producer keeps
these rules (Kafka's ``TransactionManager`` and
``RecordAccumulator.shouldStopDrainBatchesForPartition``; ``reference/replication-invariants.md``
§6.1):

* A batch gets its sequence when it is first sent, and keeps it, with its PID and epoch, for
  every retry: a retry must look exactly like the first attempt, or the leader could not tell
  that it is one.
* While a partition has unresolved batches (sent, not yet answered for good), a retried batch
  is sent only when it is the first unresolved one.  So after a failure the in-flight batches of
  a partition go out again one at a time, in sequence order.
* An OUT_OF_ORDER_SEQUENCE_NUMBER answer for a batch that is *not* the next after the last
  acknowledged one means an earlier batch is missing at the leader and will be retried: retry
  this one too, later.  For the next batch in line it means the leader lost data the producer
  had; the gap cannot be filled under these numbers.
* A batch that fails for good (an error that is not retriable, retries used up, delivery timeout)
  takes every later unresolved batch of its partition with it, because their sequences can no
  longer follow on.  The producer then bumps its epoch (KIP-360) and numbers that partition from
  0 again, once no batch of the old epoch is unresolved there.  When the epoch would pass 32767,
  it asks for a new PID instead.

Spec IDs: IDEM-1, IDEM-2, IDEM-3 (the producer's half), ORDER-1.

Simplified from Kafka: no transactions; the KIP-360 epoch bump is done locally (as Kafka's
idempotent producer does) without asking the broker (InitProducerId v3 is not served); an
OUT_OF_ORDER_SEQUENCE_NUMBER on the next batch in line fails that batch instead of re-sending it
under the new epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.client.accumulator import ProducerBatch
from glasskafka.ids import TopicPartition
from glasskafka.log.producer_state import next_sequence

__all__ = ["MAX_PRODUCER_EPOCH", "IdempotenceState", "PartitionSequences"]

MAX_PRODUCER_EPOCH = 2**15 - 1
"""The largest producer epoch (an int16); past it the producer needs a new producer id."""


@dataclass(slots=True, kw_only=True)
class PartitionSequences:
    """One partition's numbering: its PID and epoch, the next sequence, what is unresolved."""

    producer_id: int
    producer_epoch: int
    next_sequence: int = 0
    last_acked_sequence: int = -1
    unresolved: list[int] = field(default_factory=list)


@dataclass(slots=True)
class IdempotenceState:
    """The producer's identity and per-partition sequence numbers, as plain data."""

    producer_id: int = -1
    producer_epoch: int = -1
    partitions: dict[TopicPartition, PartitionSequences] = field(default_factory=dict)

    @property
    def has_producer_id(self) -> bool:
        """Whether InitProducerId has answered (batches cannot be numbered before)."""
        return self.producer_id >= 0

    def set_producer_id(self, producer_id: int, producer_epoch: int) -> None:
        """Take the identity InitProducerId gave; partitions start again at the next batch."""
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch

    def _current(self, sequences: PartitionSequences) -> bool:
        return (sequences.producer_id, sequences.producer_epoch) == (
            self.producer_id,
            self.producer_epoch,
        )

    def may_send(self, batch: ProducerBatch) -> bool:
        """Whether ``batch`` may be sent now under the rules above."""
        if not self.has_producer_id:
            return False
        sequences = self.partitions.get(batch.topic_partition)
        if batch.base_sequence < 0:
            # A new batch waits until no batch of an older epoch is unresolved here.
            return sequences is None or self._current(sequences) or not sequences.unresolved
        # A retry goes only as the first unresolved batch of its partition.
        return sequences is not None and sequences.unresolved[:1] == [batch.batch_id]

    def assign(self, batch: ProducerBatch) -> None:
        """Number a batch that is about to be sent for the first time."""
        tp = batch.topic_partition
        sequences = self.partitions.get(tp)
        if sequences is None or not self._current(sequences):
            assert sequences is None or not sequences.unresolved, "may_send holds new batches back"
            sequences = PartitionSequences(
                producer_id=self.producer_id, producer_epoch=self.producer_epoch
            )
            self.partitions[tp] = sequences
        batch.producer_id = self.producer_id
        batch.producer_epoch = self.producer_epoch
        batch.base_sequence = sequences.next_sequence
        sequences.next_sequence = (sequences.next_sequence + len(batch.records)) % 2**31
        sequences.unresolved.append(batch.batch_id)

    def is_next_in_line(self, batch: ProducerBatch) -> bool:
        """Whether ``batch`` is the one right after the last acknowledged batch."""
        sequences = self.partitions.get(batch.topic_partition)
        if sequences is None or sequences.producer_epoch != batch.producer_epoch:
            return False
        return batch.base_sequence == next_sequence(sequences.last_acked_sequence)

    def acknowledged(self, batch: ProducerBatch) -> None:
        """A batch succeeded: it is resolved, and the acknowledged sequence moves on."""
        sequences = self.partitions.get(batch.topic_partition)
        if sequences is None or batch.batch_id not in sequences.unresolved:
            return
        sequences.unresolved.remove(batch.batch_id)
        if (sequences.producer_id, sequences.producer_epoch) == (
            batch.producer_id,
            batch.producer_epoch,
        ):
            sequences.last_acked_sequence = batch.last_sequence

    def forget(self, batch: ProducerBatch) -> None:
        """Stop tracking a batch that was failed without a sequence break (a forced close)."""
        sequences = self.partitions.get(batch.topic_partition)
        if sequences is not None and batch.batch_id in sequences.unresolved:
            sequences.unresolved.remove(batch.batch_id)

    def break_sequence(self, batch: ProducerBatch) -> list[int]:
        """A numbered batch failed for good: return it and every later unresolved batch of its
        partition (all of them fail), and bump the epoch (KIP-360).

        Returns the ids to fail, the failed batch first.
        """
        sequences = self.partitions.get(batch.topic_partition)
        if sequences is None or batch.batch_id not in sequences.unresolved:
            return [batch.batch_id]
        index = sequences.unresolved.index(batch.batch_id)
        failed = sequences.unresolved[index:]
        del sequences.unresolved[index:]
        self.bump_epoch()
        return failed

    def bump_epoch(self) -> None:
        """Start a new epoch; past the largest epoch, forget the PID so a new one is asked for."""
        if self.producer_epoch >= MAX_PRODUCER_EPOCH:
            self.producer_id, self.producer_epoch = -1, -1
        else:
            self.producer_epoch += 1
