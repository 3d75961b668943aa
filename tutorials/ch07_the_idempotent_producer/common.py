"""What the scripts of chapter 7 share: one produce whose answer the network loses.

Every script drives glasskafka's simulated cluster -- a coordination node and one broker in one
process, in virtual time, the same on every run -- with a real
:class:`~glasskafka.client.ProducerNode`.  :func:`lose_one_response` plays the course's question
"how do we demonstrate idempotence?" as an experiment: the producer sends ``r0``, the broker
appends it, and the network between them breaks before the ProduceResponse arrives.  The
producer learns nothing, so after the connection heals it sends the batch again.  The helpers
print what the partition's log then holds, batch by batch, with the producer id, epoch and
sequence number each batch carries; the message listing is chapter 6's ``exchange_lines``.

Spec IDs: none directly (tutorial output); the subject is IDEM-1 and IDEM-3.

Simplified from Kafka: Kafka's tools show the same facts with ``kafka-dump-log
--print-data-log`` (``producerId``, ``producerEpoch``, ``baseSequence`` per batch).
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.client import FutureId, FutureState, ProducerNode, ProducerRecord, producer_config
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Output
from glasskafka.records.batch import decode_batch, iter_batches
from glasskafka.sim import TraceEvent
from glasskafka.sim.kafka_cluster import KafkaCluster

from tutorials.ch06_partitions_keys_and_ordering.common import exchange_lines

__all__ = [
    "BROKER",
    "PRODUCER",
    "SEED",
    "TOPIC",
    "LostResponse",
    "add_producer",
    "answer_line",
    "events_since",
    "exchange_lines",
    "log_end",
    "log_lines",
    "lose_one_response",
    "producer",
    "send",
    "started_cluster",
]

SEED = 7
TOPIC = "payments"
PRODUCER = NodeId("producer-1")
BROKER = NodeId("broker-1")
PROPERTIES = {
    "bootstrap.servers": "broker-1",
    "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
    "acks": "all",
    "request.timeout.ms": "300",
    "retry.backoff.ms": "20",
    "linger.ms": "0",
}


@dataclass(slots=True)
class LostResponse:
    """The experiment after it ran: the cluster, the answer the producer got, the trace."""

    cluster: KafkaCluster
    future: FutureId
    first_event: int


def add_producer(cluster: KafkaCluster, node_id: NodeId, *, idempotent: bool) -> None:
    """Add a producer node with ``enable.idempotence`` as given (and ``acks=all``)."""
    config = producer_config({**PROPERTIES, "enable.idempotence": str(idempotent).lower()})
    cluster.sim.add_node(node_id, lambda name, disk, rng: ProducerNode(name, config, rng))


def send(cluster: KafkaCluster, node_id: NodeId, value: str) -> FutureId:
    """Call ``send`` on the producer ``node_id`` now; return the future's id."""
    futures: list[FutureId] = []

    def call(node: ProducerNode, now_ms: Millis) -> list[Output]:
        future, outputs = node.send(ProducerRecord(topic=TOPIC, value=value), now_ms=now_ms)
        futures.append(future)
        return outputs

    cluster.sim.call(node_id, call, kind=ProducerNode, label=f"send {value}")
    return futures[0]


def producer(cluster: KafkaCluster, node_id: NodeId = PRODUCER) -> ProducerNode:
    """The producer node ``node_id`` of ``cluster``."""
    return cluster.sim.node_as(node_id, ProducerNode)


def log_end(cluster: KafkaCluster) -> int:
    """The log end offset of ``payments-0`` on the broker."""
    log = cluster.broker(1).log(TOPIC, 0)
    return log.log_end_offset if log is not None else 0


def started_cluster() -> KafkaCluster:
    """One broker, the topic ``payments`` with one partition, ready."""
    cluster = KafkaCluster(brokers=1, seed=SEED)
    cluster.start()
    cluster.create_topic(TOPIC, partitions=1, replication_factor=1)
    return cluster


def lose_one_response(*, idempotent: bool) -> LostResponse:
    """Send ``r0``; break the network after the broker appended it, so its answer is lost;
    heal; let the producer retry until it has an answer."""
    cluster = started_cluster()
    add_producer(cluster, PRODUCER, idempotent=idempotent)
    # Let the producer learn the metadata (and, if idempotent, its producer id) first, so the
    # trace from here on is the one produce.
    cluster.run_for(500)
    first_event = len(cluster.sim.trace.events)
    future = send(cluster, PRODUCER, "r0")
    assert cluster.run_until(lambda: log_end(cluster) == 1), "the broker never appended r0"
    cluster.sim.partition([PRODUCER])  # the ProduceResponse is in flight: it is lost
    cluster.run_for(50)
    cluster.heal()
    cluster.run_until(lambda: producer(cluster).future(future).state is not FutureState.PENDING)
    return LostResponse(cluster=cluster, future=future, first_event=first_event)


def log_lines(cluster: KafkaCluster) -> list[str]:
    """One line per batch of ``payments-0``: offset, value, producer id, epoch, sequence."""
    log = cluster.broker(1).log(TOPIC, 0)
    assert log is not None
    data = log.read(log.log_start_offset, max_bytes=1 << 20)
    lines = []
    for position, header in iter_batches(data):
        values = [(record.value or b"").decode() for record in decode_batch(data, position).records]
        lines.append(
            f"  offset {header.base_offset}: {', '.join(values):<4} producer id "
            f"{header.producer_id}, epoch {header.producer_epoch}, sequence {header.base_sequence}"
        )
    return lines


def events_since(run: LostResponse) -> list[TraceEvent]:
    """The trace events of the experiment (after the producer was ready)."""
    return list(run.cluster.sim.trace.events[run.first_event :])


def answer_line(run: LostResponse) -> str:
    """What ``send`` finally reported for r0."""
    future = producer(run.cluster).future(run.future)
    if future.metadata is not None:
        return f"the producer is told: r0 is stored at offset {future.metadata.offset}"
    return f"the producer is told: r0 failed ({future.error})"
