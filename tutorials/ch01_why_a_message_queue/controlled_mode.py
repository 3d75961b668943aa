"""The lab bench, part 3: choose the order of deliveries yourself (the controlled mode).

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.controlled_mode

A producer sends ``hello`` to the leader of ``greetings``-0 while a consumer sends a fetch from
offset 0 to the same leader.  Nothing is delivered yet: the script lists the simulator's
``pending()`` choices, copies the whole simulation (``copy.deepcopy``), and plays the choices in
two orders, one on each copy.  Both orders are legal -- the two requests travel on different
connections, and network delays are arbitrary -- and they end differently.

Spec IDs: none here; the controlled mode offers only connection heads (SIM-1).

Simplified from Kafka: a real network interleaves the two requests as it likes, and a real test
cannot choose; the simulator lets the script choose.
"""

from __future__ import annotations

import copy

from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId
from glasskafka.protocol.messages import fetch as fetch_api
from glasskafka.protocol.messages import produce as produce_api
from glasskafka.sim import Choice, DeliverMessage
from glasskafka.sim.kafka_cluster import KafkaCluster, ScriptedClient

from tutorials.ch01_why_a_message_queue.common import (
    LAB_SEED,
    LAB_TOPIC,
    decode_records,
    fetch_request,
    message_name,
    produce_request,
    start_cluster,
)

__all__ = ["describe_choice", "main", "play"]

PRODUCER = NodeId("producer-1")
CONSUMER = NodeId("consumer-1")


def describe_choice(choice: Choice) -> str:
    """One pending choice in words."""
    match choice:
        case DeliverMessage(sender=sender, receiver=receiver, sequence=sequence, message=message):
            return f"deliver #{sequence} {sender} -> {receiver}: {message_name(message)}"
        case _:
            return repr(choice)


def send_both(cluster: KafkaCluster) -> None:
    """The producer and the consumer each send one request to the leader; nothing runs."""
    leader = cluster.node_of(cluster.leader(LAB_TOPIC, 0))
    produce = produce_request(LAB_TOPIC, 0, [b"hello"], now_ms=cluster.now_ms)
    fetch = fetch_request(LAB_TOPIC, 0, 0)
    cluster.client(PRODUCER)
    cluster.client(CONSUMER)
    cluster.sim.call(PRODUCER, lambda n, _: n.send(leader, produce), kind=ScriptedClient)
    cluster.sim.call(CONSUMER, lambda n, _: n.send(leader, fetch), kind=ScriptedClient)


def play(cluster: KafkaCluster, first: str) -> None:
    """Deliver the request from ``first`` (a node id) first, then whatever is pending, in
    ``pending()``'s order, until nothing is; print each delivery and the two answers."""
    sim = cluster.sim
    choice: Choice = next(
        c for c in sim.pending() if isinstance(c, DeliverMessage) and c.sender == first
    )
    while True:
        print(f"  {describe_choice(choice)}")
        sim.deliver(choice)
        pending = sim.pending()
        if not pending:
            break
        choice = pending[0]
    produced = cluster.client(PRODUCER).answers[0].body
    fetched = cluster.client(CONSUMER).answers[0].body
    assert isinstance(produced, produce_api.ProduceResponse)
    assert isinstance(fetched, fetch_api.FetchResponse)
    offset = produced.responses[0].partition_responses[0].base_offset
    data = fetched.responses[0].partitions[0]
    values = [(r.value or b"").decode() for r in decode_records(data.records)]
    print(f"  the producer's hello is at offset {offset}")
    error = ErrorCode(data.error_code).name
    print(f"  the consumer got {values} ({error}, high watermark {data.high_watermark})")


def main() -> None:
    """List the pending choices, then play them in two orders on two copies."""
    cluster = start_cluster(brokers=3, seed=LAB_SEED, topic=LAB_TOPIC)
    send_both(cluster)
    print(f"at {cluster.now_ms} ms, pending():")
    for number, choice in enumerate(cluster.sim.pending()):
        print(f"  {number}: {describe_choice(choice)}")
    other = copy.deepcopy(cluster)
    print("\norder A: the fetch arrives first")
    play(cluster, CONSUMER)
    print("\norder B, on a copy made before: the produce arrives first")
    play(other, PRODUCER)
    print(f"\nneither order moved the clock: it is still {other.now_ms} ms")


if __name__ == "__main__":
    main()
