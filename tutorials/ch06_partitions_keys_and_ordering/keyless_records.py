"""Records without a key: the sticky partitioner, round robin, an explicit partition, your own.

Run from the repository root::

    python -m tutorials.ch06_partitions_keys_and_ordering.keyless_records

Twelve keyless records of 60 bytes, one every 4 ms (``linger.ms=20``), go to a topic with
three partitions through four producers; the script prints the partition each landed in:

1. the **built-in partitioner** (Kafka 3.3+, KIP-794 "uniform sticky", the default): it sticks
   to one partition until ``batch.size`` bytes have gone there (400 here), then picks another at
   random, so records travel in few, full batches;
2. ``partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner``: one record to
   each partition in turn -- the course's "轮询" -- and, as in Kafka 3.7, every new batch makes it
   skip a partition (KAFKA-9965), so the turn is not quite what one expects;
3. an **explicit partition** in every record (``ProducerRecord(partition=2)``): it always wins;
4. a **partitioner of your own**, a Python function given to the producer as Kafka takes a
   ``Partitioner`` class: here, records whose value starts with ``vip`` go to partition 0 and
   the others share the remaining partitions.

Each line also says how many batches the producer sent (one per partition per ProduceRequest):
fewer, fuller batches are what the sticky partitioner is for (KIP-480, KIP-794).

Spec IDs: none (placement); ORDER-1 holds within each partition in every case.

Simplified from Kafka: the built-in partitioner's adaptive weighting by queue length
(``partitioner.adaptive.partitioning.enable``) is left out, so its choice is uniform.
"""

from __future__ import annotations

from glasskafka.client import TopicPartitions

from tutorials.ch06_partitions_keys_and_ordering.common import (
    add_producer,
    produce_batches,
    producer,
    send,
    settle,
    started_cluster,
)

__all__ = ["main", "vip_first"]

TOPIC = "clicks"
RECORDS = [f"{'vip' if n % 4 == 0 else 'guest'}-{n:02d}".ljust(60, ".") for n in range(12)]
PROPERTIES = {"batch.size": "400", "linger.ms": "20"}
GAP_MS = 4
"""The application sends one record every 4 ms."""


def vip_first(
    topic: str, key: bytes | None, value: bytes | None, partitions: TopicPartitions
) -> int:
    """A user's partitioner: VIP records to partition 0, the others spread over the rest."""
    if value is not None and value.startswith(b"vip"):
        return 0
    rest = partitions.num_partitions - 1
    return 1 + (int(value[6:8]) if value is not None else 0) % rest


def _run(title: str, properties: dict[str, str], *, explicit: int | None = None) -> None:
    cluster = started_cluster(TOPIC, partitions=3)
    add_producer(
        cluster,
        {**PROPERTIES, **properties},
        partitioner=vip_first if title.startswith("your own") else None,
    )
    futures = []
    for value in RECORDS:
        futures.append(send(cluster, TOPIC, value, partition=explicit))
        cluster.run_for(GAP_MS)
    settle(cluster, futures)
    node = producer(cluster)
    placed = []
    for future in futures:
        metadata = node.future(future).metadata
        assert metadata is not None
        placed.append(str(metadata.partition))
    batches = produce_batches(cluster)
    print(f"{title:<34} {' '.join(placed)}   ({batches} batches)")


def main() -> None:
    """Send the twelve records four ways and print where they went."""
    print(f"{'partitioner':<34} partition of record 0 .. 11")
    _run("built-in sticky (KIP-794)", {})
    _run("RoundRobinPartitioner", {"partitioner.class": ROUND_ROBIN})
    _run("explicit partition=2", {}, explicit=2)
    _run("your own (vip_first)", {})


ROUND_ROBIN = "org.apache.kafka.clients.producer.RoundRobinPartitioner"


if __name__ == "__main__":
    main()
