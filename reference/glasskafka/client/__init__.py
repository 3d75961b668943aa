"""Clients: the producer and the consumer as sans-IO nodes.

The producer's modules, in reading order (the consumer's modules describe themselves):

* ``murmur2`` and ``partitioner`` -- which partition a record goes to;
* ``serializers`` -- keys and values to bytes;
* ``producer_config`` -- ``producer.properties`` with Kafka 3.7's defaults and checks;
* ``delivery`` -- records, futures, metadata and errors as the caller sees them;
* ``metadata`` -- the producer's view of brokers and leaders;
* ``dispatch`` -- from ``send`` into the accumulator (waiting for metadata and memory);
* ``accumulator`` -- per-partition batches, ``batch.size``, ``linger.ms``, ``buffer.memory``;
* ``idempotence`` -- producer id, epoch and sequence numbers (KIP-98);
* ``sender`` -- ProduceRequests, answers, retries, timeouts;
* ``producer`` -- :class:`ProducerNode`, which ties them together.

``docs/concepts/producer.md`` and ``docs/concepts/idempotence.md`` tell the story.

Spec IDs: ORDER-1, IDEM-1..3 (the producer's half); see each module.

Simplified from Kafka: no admin client here; see each module's own note for what it leaves out.
"""

from glasskafka.client.delivery import (
    Callback,
    DeliveryError,
    FutureId,
    FutureState,
    ProducerRecord,
    RecordFuture,
    RecordMetadata,
)
from glasskafka.client.murmur2 import murmur2, to_positive
from glasskafka.client.partitioner import (
    PARTITIONER_CLASSES,
    CustomPartitioner,
    TopicPartitions,
    keyed_partition,
)
from glasskafka.client.producer import WAKEUP_TIMER, ProducerNode, ProducerStatistics
from glasskafka.client.producer_config import ProducerConfig, producer_config
from glasskafka.client.serializers import SERIALIZERS

__all__ = [
    "PARTITIONER_CLASSES",
    "SERIALIZERS",
    "WAKEUP_TIMER",
    "Callback",
    "CustomPartitioner",
    "DeliveryError",
    "FutureId",
    "FutureState",
    "ProducerConfig",
    "ProducerNode",
    "ProducerRecord",
    "ProducerStatistics",
    "RecordFuture",
    "RecordMetadata",
    "TopicPartitions",
    "keyed_partition",
    "murmur2",
    "producer_config",
    "to_positive",
]
