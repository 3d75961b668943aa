"""Two partitions break total order: sent m0, m1, m2, ...; read back in another order.

Run from the repository root::

    python -m tutorials.ch06_partitions_keys_and_ordering.two_partitions

The course warns: "乱序问题：同时写入多个分区，就会出现该问题" -- writing to several partitions at
once brings the ordering problem.  Here it happens.  A producer sends six records, m0 to m5, one
after the other, alternating between partition 0 and partition 1 of the topic ``events`` (as a
key or a round-robin partitioner would).  Each partition's log keeps its own records in the order
they were sent.  Then a consumer assigned both partitions polls them back: it receives them
partition by partition, because a fetch response carries each partition's records together, so
it reads m0 m2 m4 m1 m3 m5.  Neither order is wrong.  Kafka promises order within a partition
and nothing across partitions; a consumer reading several partitions may see any interleaving
that keeps each partition's own order.

Spec IDs: ORDER-1 (per partition; no order across partitions is promised).

Simplified from Kafka: the interleaving a real consumer sees depends on fetch sizes, timing and
which brokers lead the partitions; with one broker and small records the simulator's consumer
gets each partition's records in one go.
"""

from __future__ import annotations

from tutorials.ch06_partitions_keys_and_ordering.common import (
    add_consumer,
    add_producer,
    log_values,
    poll_all,
    send,
    settle,
    started_cluster,
)

__all__ = ["main"]

TOPIC = "events"


def main() -> None:
    """Send m0..m5 alternately to two partitions; print the logs and what the consumer read."""
    cluster = started_cluster(TOPIC, partitions=2)
    add_producer(cluster, {"linger.ms": "0"})
    sent = [f"m{n}" for n in range(6)]
    futures = []
    for number, value in enumerate(sent):
        futures.append(send(cluster, TOPIC, value, partition=number % 2))
        cluster.run_for(10)
    settle(cluster, futures)
    print("the producer sent:   " + " ".join(sent))
    for partition in (0, 1):
        print(f"partition {partition} holds:  " + " ".join(log_values(cluster, TOPIC, partition)))
    add_consumer(cluster, TOPIC, [0, 1])
    read = poll_all(cluster, expected=len(sent))
    print("the consumer read:   " + " ".join(value for value, _ in read))
    print("                     " + " ".join(f"p{partition}" for _, partition in read))
    in_order = [value for value, _ in read] == sent
    print(f"total order kept: {'yes' if in_order else 'no'}")


if __name__ == "__main__":
    main()
