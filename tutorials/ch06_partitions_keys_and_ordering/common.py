"""What the scripts of chapter 6 share: a small simulated cluster, a real producer, a consumer.

Every script drives glasskafka's simulated cluster -- a coordination node and brokers in one
process, in virtual time, the same on every run -- with the real
:class:`~glasskafka.client.ProducerNode` and :class:`~glasskafka.client.consumer.ConsumerNode`.
The helpers here start a cluster with a topic, add a producer with given properties, call
``send`` and ``poll`` as an application would, print a partition's log, list the producer's
messages from the simulator's trace with what became of each, and run the simulation
while holding back the messages of one connection (the controlled mode of
``glasskafka.sim``), so that a request can be made to arrive late on purpose.

Spec IDs: none directly (tutorial output); ORDER-1 is the chapter's subject.

Simplified from Kafka: Kafka's tools show the same facts with ``kafka-console-producer
--property parse.key=true``, ``kafka-console-consumer --property print.partition=true`` and
``kafka-dump-log``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from glasskafka.client import (
    CustomPartitioner,
    FutureId,
    FutureState,
    ProducerNode,
    ProducerRecord,
    producer_config,
)
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import PollResult
from glasskafka.config import config_from_properties
from glasskafka.errors import ErrorCode
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Output
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.records.batch import decode_batch, iter_batches
from glasskafka.sim import Delivered, DeliverMessage, Dropped, Sent, TraceEvent
from glasskafka.sim.kafka_cluster import KafkaCluster

__all__ = [
    "CONSUMER",
    "PRODUCER",
    "SEED",
    "add_consumer",
    "add_producer",
    "deliver_next",
    "exchange_lines",
    "log_values",
    "poll_all",
    "produce_batches",
    "producer",
    "run_holding",
    "send",
    "settle",
    "started_cluster",
]

SEED = 11
PRODUCER = NodeId("producer-1")
CONSUMER = NodeId("consumer-1")
STRING = "org.apache.kafka.common.serialization.StringSerializer"


def started_cluster(
    topic: str, *, partitions: int, brokers: int = 1, overrides: Mapping[str, str] | None = None
) -> KafkaCluster:
    """A started cluster of ``brokers`` brokers with ``topic`` (replicated on every broker)."""
    cluster = KafkaCluster(brokers=brokers, seed=SEED, overrides=overrides)
    cluster.start()
    cluster.create_topic(topic, partitions=partitions, replication_factor=brokers)
    return cluster


def add_producer(
    cluster: KafkaCluster,
    properties: Mapping[str, str],
    *,
    node_id: NodeId = PRODUCER,
    partitioner: CustomPartitioner | None = None,
) -> None:
    """Add a producer with string keys and values and ``properties`` on top, and let it start."""
    brokers = ",".join(f"broker-{b}" for b in cluster.broker_ids)
    config = producer_config(
        {
            "bootstrap.servers": brokers,
            "key.serializer": STRING,
            "value.serializer": STRING,
            **properties,
        }
    )
    cluster.sim.add_node(
        node_id, lambda name, disk, rng: ProducerNode(name, config, rng, partitioner=partitioner)
    )
    # Give it time to start (and, if idempotent, to get its producer id) before the first send.
    cluster.run_for(500)


def producer(cluster: KafkaCluster, node_id: NodeId = PRODUCER) -> ProducerNode:
    """The producer node ``node_id``."""
    return cluster.sim.node_as(node_id, ProducerNode)


def send(
    cluster: KafkaCluster,
    topic: str,
    value: str,
    *,
    key: str | None = None,
    partition: int | None = None,
    node_id: NodeId = PRODUCER,
) -> FutureId:
    """Call the producer's ``send`` now, as an application would; return the future's id."""
    futures: list[FutureId] = []

    def call(node: ProducerNode, now_ms: Millis) -> list[Output]:
        record = ProducerRecord(topic=topic, key=key, value=value, partition=partition)
        future, outputs = node.send(record, now_ms=now_ms)
        futures.append(future)
        return outputs

    cluster.sim.call(node_id, call, kind=ProducerNode, label=f"send {value}")
    return futures[0]


def settle(cluster: KafkaCluster, futures: list[FutureId], node_id: NodeId = PRODUCER) -> None:
    """Run until every future in ``futures`` has succeeded or failed."""
    node = producer(cluster, node_id)
    done = cluster.run_until(
        lambda: all(node.future(f).state is not FutureState.PENDING for f in futures)
    )
    assert done, "the producer did not finish in time"


def log_values(cluster: KafkaCluster, topic: str, partition: int) -> list[str]:
    """The values in the leader's log of ``topic``-``partition``, in offset order."""
    log = cluster.broker(cluster.leader(topic, partition)).log(topic, partition)
    assert log is not None
    data = log.read(log.log_start_offset, max_bytes=1 << 24)
    return [
        (record.value or b"").decode()
        for position, _ in iter_batches(data)
        for record in decode_batch(data, position).records
    ]


def add_consumer(cluster: KafkaCluster, topic: str, partitions: list[int]) -> None:
    """Add a consumer that reads ``partitions`` of ``topic`` from the beginning (``assign``)."""
    brokers = ",".join(f"broker-{b}" for b in cluster.broker_ids)
    config = config_from_properties(
        ConsumerConfig, {"bootstrap.servers": brokers, "auto.offset.reset": "earliest"}
    )
    cluster.sim.add_node(
        CONSUMER, lambda name, disk, rng: ConsumerNode(name, config=config, rng=rng)
    )
    cluster.sim.call(
        CONSUMER,
        lambda node, now_ms: node.assign([(topic, p) for p in partitions], now_ms),
        kind=ConsumerNode,
    )


def poll_all(cluster: KafkaCluster, expected: int) -> list[tuple[str, int]]:
    """Call ``poll`` until ``expected`` records came; return ``(value, partition)`` in order."""
    got: list[tuple[str, int]] = []

    def consumer() -> ConsumerNode:
        return cluster.sim.node_as(CONSUMER, ConsumerNode)

    for _ in range(20):
        cluster.sim.call(CONSUMER, lambda node, now_ms: node.poll(500, now_ms), kind=ConsumerNode)
        assert cluster.run_until(lambda: consumer().result_ready), "poll did not return"
        result = consumer().take_result()
        assert isinstance(result, PollResult)
        got += [((r.value or b"").decode(), r.partition) for r in result.records]
        if len(got) >= expected:
            break
    return got


def deliver_next(cluster: KafkaCluster, connection: tuple[NodeId, NodeId]) -> None:
    """Deliver the first message waiting on ``connection`` now, and nothing else."""
    for choice in cluster.sim.pending():
        if isinstance(choice, DeliverMessage) and (choice.sender, choice.receiver) == connection:
            cluster.sim.deliver(choice)
            return
    raise AssertionError(f"no message is waiting on {connection}")


def run_holding(
    cluster: KafkaCluster,
    held: tuple[NodeId, NodeId],
    until: Callable[[], bool],
    *,
    max_steps: int = 100_000,
) -> None:
    """Run, one choice at a time, delivering nothing on the connection ``held`` until ``until()``.

    This is the simulator's controlled mode (``Simulator.pending``/``deliver``): every other
    message is delivered and every due timer fires; when nothing else is pending, the clock moves
    on by 1 ms.  The held messages stay on their connection, in order, as on a slow link.
    """
    sim = cluster.sim
    for _ in range(max_steps):
        if until():
            return
        choices = [
            choice
            for choice in sim.pending()
            if not (isinstance(choice, DeliverMessage) and (choice.sender, choice.receiver) == held)
        ]
        if choices:
            sim.deliver(choices[0])
        else:
            sim.advance_time(1)
    raise AssertionError(f"nothing made {until} true within {max_steps} steps")


def produce_batches(cluster: KafkaCluster, node_id: NodeId = PRODUCER) -> int:
    """How many batches the producer ``node_id`` sent (one per partition per ProduceRequest)."""
    count = 0
    for event in cluster.sim.trace.events:
        if isinstance(event, Sent) and event.sender == node_id:
            message = event.message
            if isinstance(message, KafkaRequest) and isinstance(message.body, ProduceRequest):
                count += sum(len(topic.partition_data) for topic in message.body.topic_data)
    return count


def _records(records: bytes | None) -> str:
    """``r0 (producer id 0, epoch 0, sequence 0)`` for the batch(es) in a produce request."""
    data = records or b""
    parts = []
    for position, header in iter_batches(data):
        values = ",".join(
            (record.value or b"").decode() for record in decode_batch(data, position).records
        )
        if header.producer_id < 0:
            parts.append(f"{values} (no producer id)")
        else:
            parts.append(
                f"{values} (producer id {header.producer_id}, epoch {header.producer_epoch}, "
                f"sequence {header.base_sequence})"
            )
    return "; ".join(parts)


def _describe(body: Message) -> str | None:
    """What one message of the idempotence story says, or None for other messages."""
    match body:
        case InitProducerIdRequest():
            return "InitProducerIdRequest"
        case InitProducerIdResponse(producer_id=pid, producer_epoch=epoch, error_code=code):
            return (
                f"InitProducerIdResponse: producer id {pid}, epoch {epoch}, {ErrorCode(code).name}"
            )
        case ProduceRequest(topic_data=topics):
            batches = [_records(p.records) for t in topics for p in t.partition_data]
            return "ProduceRequest " + "; ".join(batches)
        case ProduceResponse(responses=topics):
            answers = [
                f"offset {p.base_offset}, {ErrorCode(p.error_code).name}"
                for t in topics
                for p in t.partition_responses
            ]
            return "ProduceResponse: " + "; ".join(answers)
        case _:
            return None


def exchange_lines(events: Sequence[TraceEvent]) -> list[str]:
    """One line per InitProducerId and Produce message in ``events``, and what became of it."""
    fates: dict[int, str] = {}
    for event in events:
        match event:
            case Delivered(sequence=sequence, time_ms=time_ms):
                fates[sequence] = f"arrives at {time_ms} ms"
            case Dropped(sequence=sequence, reason=reason):
                fates[sequence] = f"LOST ({reason.value})"
            case _:
                pass
    lines = []
    for event in events:
        if not isinstance(event, Sent):
            continue
        message = event.message
        body = message.body if isinstance(message, KafkaRequest | KafkaResponse) else message
        said = _describe(body)
        if said is not None:
            fate = fates.get(event.sequence, "still in flight")
            lines.append(
                f"  {event.time_ms:>4} ms  {event.sender} -> {event.receiver}  #{event.sequence} "
                f"{said}  => {fate}"
            )
    return lines
