"""Keyed records: the same key always lands in the same partition, and here is the arithmetic.

Run from the repository root::

    python -m tutorials.ch06_partitions_keys_and_ordering.keyed_records

Part 1 does by hand what Kafka's producer does for a record with a key (``KafkaProducer``,
``BuiltInPartitioner.partitionForKey``): hash the serialized key with 32-bit murmur2, clear the
sign bit (``toPositive``, ``x & 0x7fffffff``, not an absolute value), and take the remainder by
the topic's partition count.  The first rows are Kafka's own test vectors (``UtilsTest.
testMurmur2``), so the numbers can be checked against Java.

Part 2 sends records with those keys through a real producer to a topic with three partitions on
a simulated broker, and prints where each landed (the ``RecordMetadata`` the producer was
given): every key in the partition part 1 computed, and one key's records in one partition in
the order they were sent, at rising offsets.

Spec IDs: ORDER-1 (a key's records stay in send order, in its partition).

Simplified from Kafka: nothing in the arithmetic; glasskafka's murmur2 passes Kafka's vectors.
"""

from __future__ import annotations

from glasskafka.client import keyed_partition, murmur2, to_positive

from tutorials.ch06_partitions_keys_and_ordering.common import (
    add_producer,
    producer,
    send,
    settle,
    started_cluster,
)

__all__ = ["KEYS", "PARTITIONS", "SENDS", "TOPIC", "main", "placements"]

TOPIC = "orders"
PARTITIONS = 3
KEYS = ["21", "foobar", "key", "alice", "dave", "carol"]
SENDS = [
    ("alice", "alice: order 1"),
    ("dave", "dave: order 1"),
    ("alice", "alice: order 2"),
    ("carol", "carol: order 1"),
    ("dave", "dave: order 2"),
    ("alice", "alice: order 3"),
]


def placements() -> list[tuple[str, str, int, int]]:
    """Send :data:`SENDS` through a real producer; ``(key, value, partition, offset)`` of each."""
    cluster = started_cluster(TOPIC, partitions=PARTITIONS)
    add_producer(cluster, {"linger.ms": "0"})
    futures = [send(cluster, TOPIC, value, key=key) for key, value in SENDS]
    settle(cluster, futures)
    placed = []
    for (key, value), future in zip(SENDS, futures, strict=True):
        metadata = producer(cluster).future(future).metadata
        assert metadata is not None
        placed.append((key, value, metadata.partition, metadata.offset))
    return placed


def main() -> None:
    """Print the hash arithmetic for each key, then where a real producer put each record."""
    print(f"{'key':<8} {'murmur2':>12} {'toPositive':>11}  partition of {PARTITIONS}")
    for key in KEYS:
        hashed = murmur2(key.encode())
        print(
            f"{key:<8} {hashed:>12} {to_positive(hashed):>11}  "
            f"{keyed_partition(key.encode(), PARTITIONS)}"
        )
    print()
    for key, value, partition, offset in placements():
        print(f"send(key={key!r:<8} value={value!r:<17}) -> partition {partition}, offset {offset}")


if __name__ == "__main__":
    main()
