"""Partitioners: which partition of a topic each record goes to.

Theory of operation
-------------------
A topic is split into partitions, and Kafka keeps order only inside one partition.  So the
producer's choice of partition decides which records stay in order relative to each other: the
course's warning (乱序问题) is that records written to several partitions at once come out in no
particular order.  Records that must stay in order need one partition, which is what a key gives
them.  Kafka 3.3+ chooses in this order (``KafkaProducer.partition`` and
``reference/clients-and-groups.md`` §8):

1. a partition given in the record wins;
2. else a configured partitioner decides (``partitioner.class``, or a function handed to the
   producer); a negative answer is an error;
3. else a key (unless ``partitioner.ignore.keys=true``) decides:
   ``to_positive(murmur2(key_bytes)) % num_partitions``, over **all** partitions, available or
   not, so that a key's partition never changes while the topic keeps its partition count;
4. else the built-in *uniform sticky* partitioner of KIP-794 decides, in the accumulator.

**Sticky** (KIP-794, ``BuiltInPartitioner.java``).  Sending each keyless record to the next
partition makes many small batches.  The built-in partitioner instead sticks to one partition
until at least ``batch.size`` bytes were produced to it, then picks the next one uniformly at
random among the *available* partitions (those with a known leader; all of them if none is), which
may be the same one again.  If the partition's last batch is not full yet, the switch waits for
it, but never beyond ``2 * batch.size`` bytes, so batches are not cut in pieces.

**Round robin** (``RoundRobinPartitioner``) ignores keys and counts per topic from 0 over the
available partitions.  In Kafka 3.7 a configured partitioner is asked a second time when its
choice needs a new batch (``onNewBatch``, kept from KIP-480), and round robin counts that second
call too: every new batch skips a partition, and with an even number of partitions and one
record per batch only every other partition gets data (KAFKA-9965, KAFKA-16283; fixed in 3.9.1
and 4.0 by KAFKA-17632).  glasskafka keeps 3.7's behaviour, because that is what a student
running Kafka 3.7 sees.

**Random** is the choice of the old Scala producer of Kafka 0.8 for keyless records, which the
course lists as "随机（不使用）：较早版本"; glasskafka offers it as
``partitioner.class=glasskafka.client.partitioner.RandomPartitioner``.

**Custom**: a function ``(topic, key_bytes, value_bytes, partitions) -> int`` given to the
producer, as a ``Partitioner`` class is given to Kafka's.

All randomness comes from the ``random.Random`` the producer node was given; state (sticky
partitions, round-robin counters) is plain data in :class:`PartitionerState`.

Spec IDs: none directly; ORDER-1 holds per partition, and the placement rules are checked by
``model_tests/test_partitioner_properties.py``.

Simplified from Kafka: the adaptive weighting of KIP-794
(``partitioner.adaptive.partitioning.enable``, which favours partitions with shorter queues) and
``partitioner.availability.timeout.ms`` are left out, so the sticky choice is always uniform;
the deprecated ``DefaultPartitioner`` and ``UniformStickyPartitioner`` classes are not offered.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from glasskafka.client.murmur2 import murmur2, to_positive
from glasskafka.errors import GlassKafkaError

__all__ = [
    "PARTITIONER_CLASSES",
    "CustomPartitioner",
    "PartitionerKind",
    "PartitionerState",
    "StickyPartition",
    "TopicPartitions",
    "keyed_partition",
    "random_partition",
    "round_robin_partition",
]


class PartitionerKind(enum.Enum):
    """The partitioners a producer can be configured with."""

    BUILT_IN = "built-in"
    ROUND_ROBIN = "round-robin"
    RANDOM = "random"
    CUSTOM = "custom"


PARTITIONER_CLASSES: dict[str, PartitionerKind] = {
    "org.apache.kafka.clients.producer.RoundRobinPartitioner": PartitionerKind.ROUND_ROBIN,
    "glasskafka.client.partitioner.RandomPartitioner": PartitionerKind.RANDOM,
}
"""The ``partitioner.class`` values glasskafka knows; unset means the built-in partitioner."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicPartitions:
    """What a partitioner may know about a topic: its partition count and which have a leader."""

    topic: str
    num_partitions: int
    available: tuple[int, ...]

    def candidates(self) -> tuple[int, ...]:
        """The available partitions, or every partition if none is available (Kafka's rule)."""
        return self.available or tuple(range(self.num_partitions))


CustomPartitioner = Callable[[str, bytes | None, bytes | None, TopicPartitions], int]
"""A user's partitioner: ``(topic, key_bytes, value_bytes, partitions) -> partition``."""


@dataclass(slots=True, kw_only=True)
class StickyPartition:
    """The built-in partitioner's current partition of a topic and the bytes produced to it."""

    partition: int
    produced_bytes: int = 0


@dataclass(slots=True)
class PartitionerState:
    """Per-topic state of the partitioners, as plain data (copyable, comparable)."""

    sticky: dict[str, StickyPartition] = field(default_factory=dict)
    round_robin: dict[str, int] = field(default_factory=dict)

    def sticky_partition(self, topic: TopicPartitions, rng: random.Random) -> int:
        """The built-in partitioner's current partition, chosen now if there is none.

        (``BuiltInPartitioner.peekCurrentPartitionInfo``.)
        """
        current = self.sticky.get(topic.topic)
        if current is None or current.partition >= topic.num_partitions:
            current = StickyPartition(partition=random_partition(topic, rng))
            self.sticky[topic.topic] = current
        return current.partition

    def update_sticky(
        self,
        topic: TopicPartitions,
        *,
        appended_bytes: int,
        batch_size: int,
        batch_full: bool,
        rng: random.Random,
    ) -> None:
        """Count ``appended_bytes`` produced to the sticky partition; maybe switch (KIP-794).

        Switch once ``batch.size`` bytes went to the partition and its last batch is full
        (``batch_full``), or unconditionally at twice ``batch.size``
        (``BuiltInPartitioner.updatePartitionInfo``).
        """
        current = self.sticky.get(topic.topic)
        if current is None:
            return
        current.produced_bytes += appended_bytes
        enough = current.produced_bytes >= batch_size
        if (enough and batch_full) or current.produced_bytes >= 2 * batch_size:
            self.sticky[topic.topic] = StickyPartition(partition=random_partition(topic, rng))

    def next_round_robin(self, topic: TopicPartitions) -> int:
        """Round robin's next partition of ``topic``; advances the topic's counter."""
        counter = self.round_robin.get(topic.topic, 0)
        self.round_robin[topic.topic] = (counter + 1) % 2**32
        return round_robin_partition(topic, counter)


def keyed_partition(key_bytes: bytes, num_partitions: int) -> int:
    """The partition of a keyed record: ``to_positive(murmur2(key)) % num_partitions``.

    Raises :class:`GlassKafkaError` if ``num_partitions`` is not positive.
    """
    if num_partitions <= 0:
        raise GlassKafkaError(f"num_partitions={num_partitions}: a topic has 1 or more partitions")
    return to_positive(murmur2(key_bytes)) % num_partitions


def round_robin_partition(topic: TopicPartitions, counter: int) -> int:
    """``RoundRobinPartitioner.partition`` for counter value ``counter``."""
    candidates = topic.candidates()
    # The Java counter is an int that wraps; toPositive keeps the index non-negative.
    signed = counter - 2**32 if counter >= 2**31 else counter
    return candidates[to_positive(signed) % len(candidates)]


def random_partition(topic: TopicPartitions, rng: random.Random) -> int:
    """A uniformly random available partition (all partitions if none is available).

    Java's ``toPositive(ThreadLocalRandom.nextInt())`` is a uniform number in [0, 2**31); the
    same here comes from the producer's own ``random.Random``.
    """
    candidates = topic.candidates()
    return candidates[rng.randrange(2**31) % len(candidates)]
