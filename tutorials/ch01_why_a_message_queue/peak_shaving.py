"""Peak shaving (削峰): a burst of requests waits in a topic until the database can take it.

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.peak_shaving

The course's example: the system behind the queue (a database) handles 2000 requests a second,
the peak brings 5000 a second, and after the peak only 100 a second arrive.  Here the peak lasts
three seconds.  Every 100 ms of simulated time a producer writes the requests that arrived to
the topic ``orders`` on one broker, and a consumer reads from the topic at most as many as the
database can handle in 100 ms.  Each second the script prints what arrived, what the database
processed, and how many requests wait in the topic (the consumer's *lag*).

Spec IDs: none (a demonstration).

Simplified from Kafka: the database is a counter (200 requests per 100 ms), not a simulated node;
the broker costs no time at all, where the course's queue takes 8000 a second; and the producer
and consumer are the harness's scripted client, not Kafka's clients.
"""

from __future__ import annotations

from glasskafka.records import DecodedRecord
from glasskafka.sim.kafka_cluster import KafkaCluster

from tutorials.ch01_why_a_message_queue.common import read_from, start_cluster

__all__ = ["CAPACITY_PER_S", "RATES_PER_S", "TICK_MS", "consume_tick", "main", "run"]

RATES_PER_S = (5000, 5000, 5000, 100, 100, 100, 100, 100, 100, 100)
"""Requests arriving in each second: three seconds of peak, then the quiet."""
CAPACITY_PER_S = 2000
"""What the database can process in a second."""
TICK_MS = 100
TICKS_PER_S = 1000 // TICK_MS
FETCH_MAX_BYTES = 4096
"""The consumer asks for about what the database can take in one tick (200 small records)."""


def produce_tick(cluster: KafkaCluster, first: int, count: int) -> None:
    """Write requests ``first`` .. ``first + count - 1`` to ``orders`` as one batch."""
    requests = [(None, b"order-%d" % number) for number in range(first, first + count)]
    result = cluster.produce("orders", 0, requests, acks=1)
    assert result.base_offset == first, f"the leader gave offset {result.base_offset}"


def consume_tick(cluster: KafkaCluster, position: int) -> list[DecodedRecord]:
    """The requests the database takes in one tick, read from ``position`` on.

    The database takes what it can handle in one tick; the rest stays in the log.  A fetch
    returns whole batches, so one fetch may bring fewer records than the database could take:
    the consumer fetches again until the tick's share is reached or the topic is drained.
    """
    wanted = CAPACITY_PER_S // TICKS_PER_S
    taken: list[DecodedRecord] = []
    while len(taken) < wanted:
        more = read_from(cluster, "orders", 0, position + len(taken), max_bytes=FETCH_MAX_BYTES)
        if not more:
            break
        taken += more[: wanted - len(taken)]
    return taken


def run(cluster: KafkaCluster) -> None:
    """Drive the producer and the consumer tick by tick; print one line a second."""
    start_ms = cluster.now_ms
    produced = position = longest_wait_ms = peak_lag = 0
    print(f"{'second':>6}  {'arrived':>7}  {'processed':>9}  {'waiting in the topic (lag)':>26}")
    for second, rate in enumerate(RATES_PER_S):
        arrived = processed = 0
        for tick in range(TICKS_PER_S):
            cluster.run_for(start_ms + second * 1000 + tick * TICK_MS - cluster.now_ms)
            produce_tick(cluster, produced, rate // TICKS_PER_S)
            produced += rate // TICKS_PER_S
            arrived += rate // TICKS_PER_S
            taken = consume_tick(cluster, position)
            for record in taken:
                longest_wait_ms = max(longest_wait_ms, cluster.now_ms - record.timestamp)
            position += len(taken)
            processed += len(taken)
        peak_lag = max(peak_lag, produced - position)
        print(f"{second + 1:>6}  {arrived:>7}  {processed:>9}  {produced - position:>26}")
    refused = sum(max(0, rate - CAPACITY_PER_S) for rate in RATES_PER_S)
    print(f"\nwith the topic: {position} of {produced} requests processed, none refused;")
    print(f"  at most {peak_lag} waited at once, and the longest wait was {longest_wait_ms} ms")
    print(f"without it: {refused} requests would have hit the database beyond its")
    print(f"  {CAPACITY_PER_S} a second during the peak, and been refused or timed out")


def main() -> None:
    """Start one broker with the topic ``orders`` and run the peak through it."""
    cluster = start_cluster(brokers=1, seed=1, topic="orders")
    print(
        f"requests arrive at {RATES_PER_S[0]}/s for 3 s, then {RATES_PER_S[-1]}/s; "
        f"the database processes {CAPACITY_PER_S}/s\n"
    )
    run(cluster)


if __name__ == "__main__":
    main()
