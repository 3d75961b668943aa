"""Order within one partition under retries: five requests in flight reorder, idempotence does not.

Run from the repository root::

    python -m tutorials.ch06_partitions_keys_and_ordering.retries_reorder

One partition is not enough for order by itself: the producer keeps up to
``max.in.flight.requests.per.connection`` requests (5 by default) on their way to the leader at
once, and a request that fails with a retriable error is sent again *after* the ones behind it.
The experiment, on a topic with two replicas and ``min.insync.replicas=2``:

1. the producer writes m0, acknowledged, so that with idempotence the broker knows the
   producer's last sequence number (it accepts any sequence from a producer it has never seen);
2. the follower is cut off while another application writes ``x`` with ``acks=1``, so the
   follower falls behind and, after ``replica.lag.time.max.ms`` (1 second here), leaves the ISR;
3. the producer sends m1 and then m2: two requests, A and B, on the same connection.  A arrives
   while the ISR is {1}, smaller than ``min.insync.replicas``: refused with NOT_ENOUGH_REPLICAS,
   a retriable error.  B is held on the wire (the simulator's controlled mode) while the network
   heals and the follower catches up and rejoins the ISR;
4. B arrives and A's retry after it.

With ``enable.idempotence=false`` the leader appends m2, then m1: the log no longer holds the
records in the order they were sent (ORDER-1), though every request was answered "stored".
With ``enable.idempotence=true`` the leader refuses B: its sequence number, 2, does not follow
the last one it has, 0, so OUT_OF_ORDER_SEQUENCE_NUMBER; A's retry is appended, then the producer
sends B again, and the log keeps send order.  (Before idempotence, keeping order meant
``max.in.flight.requests.per.connection=1``, at a cost in throughput.)

Spec IDs: ORDER-1, IDEM-2.

Simplified from Kafka: B is held back deliberately to line up in one run what a real network does
now and then; Kafka's producer behaves the same way on the same answers.
"""

from __future__ import annotations

from glasskafka.ids import NodeId
from glasskafka.sim.kafka_cluster import KafkaCluster

from tutorials.ch06_partitions_keys_and_ordering.common import (
    PRODUCER,
    add_producer,
    deliver_next,
    exchange_lines,
    log_values,
    run_holding,
    send,
    settle,
    started_cluster,
)

__all__ = ["main", "reorder_run"]

TOPIC = "transfers"
LEADER = NodeId("broker-1")


def reorder_run(*, idempotent: bool) -> tuple[KafkaCluster, int]:
    """Play the experiment; return the cluster and the trace position where m1 is sent."""
    cluster = started_cluster(
        TOPIC,
        partitions=1,
        brokers=2,
        overrides={"min.insync.replicas": "2", "replica.lag.time.max.ms": "1000"},
    )
    add_producer(
        cluster,
        {
            "enable.idempotence": str(idempotent).lower(),
            "acks": "all",
            "max.in.flight.requests.per.connection": "5",
            "linger.ms": "0",
        },
    )
    settle(cluster, [send(cluster, TOPIC, "m0", partition=0)])
    cluster.partition({"broker-2"})
    cluster.produce(TOPIC, 0, [(None, b"x")], acks=1)

    def isr() -> frozenset[int]:
        view = cluster.broker(1).partition_state(TOPIC, 0)
        return frozenset(view.isr) if view is not None else frozenset()

    assert cluster.run_until(lambda: isr() == {1}), "the follower never left the ISR"
    start = len(cluster.sim.trace.events)
    futures = [send(cluster, TOPIC, value, partition=0) for value in ("m1", "m2")]
    # Request A arrives now; B stays on the wire while the follower comes back.
    deliver_next(cluster, (PRODUCER, LEADER))
    cluster.heal()
    run_holding(cluster, (PRODUCER, LEADER), lambda: isr() == {1, 2})
    settle(cluster, futures)
    return cluster, start


def main() -> None:
    """Run the experiment without and with idempotence; print the messages and the log."""
    for idempotent in (False, True):
        cluster, start = reorder_run(idempotent=idempotent)
        print(f"== enable.idempotence={str(idempotent).lower()} ==")
        print("\n".join(exchange_lines(cluster.sim.trace.events[start:])))
        values = log_values(cluster, TOPIC, 0)
        print("the log of transfers-0: " + " ".join(values))
        mine = [value for value in values if value.startswith("m")]
        print(f"m0 m1 m2 in send order: {'yes' if mine == ['m0', 'm1', 'm2'] else 'no'}")
        print()


if __name__ == "__main__":
    main()
