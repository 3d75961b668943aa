"""What the scripts of chapter 1 share: a small simulated cluster, requests, and a fetch.

Every script of this chapter runs a real glasskafka cluster -- a coordination service and
brokers running the actual protocol code -- inside the simulator, in virtual time, with a fixed
seed, so each run prints the same thing.  Records are sent and read by the harness's
:class:`~glasskafka.sim.kafka_cluster.ScriptedClient`, a thin protocol client that sends the
ProduceRequest or FetchRequest it is given and keeps the answer.

:func:`read_from` is a consumer's fetch reduced to its core: ask the partition's leader for the
records from an offset on, at most ``max_bytes`` of them (Kafka's ``max.partition.fetch.bytes``),
and decode the batches that come back.  The caller keeps the position, as a consumer does.
:func:`produce_and_fetch` is the lab bench's first experiment: one record written and read back.

Spec IDs: none (tutorial helpers).

Simplified from Kafka: the real consumer (chapter on consumers) finds leaders through Metadata,
fetches from many partitions in one request, keeps its position per partition, commits it to
``__consumer_offsets`` and retries; here the script does only the fetch.
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.node import Message
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages import fetch as fetch_api
from glasskafka.protocol.messages import produce as produce_api
from glasskafka.records import DecodedRecord, Record, decode_batch, encode_batch, iter_batches
from glasskafka.sim.kafka_cluster import ACKS_ALL, KafkaCluster

__all__ = [
    "LAB_SEED",
    "LAB_TOPIC",
    "decode_records",
    "fetch_request",
    "message_name",
    "produce_and_fetch",
    "produce_request",
    "read_from",
    "start_cluster",
]

LAB_TOPIC = "greetings"
LAB_SEED = 7


def start_cluster(
    *, brokers: int, seed: int, topic: str, partitions: int = 1, replication_factor: int = 1
) -> KafkaCluster:
    """A started cluster of ``brokers`` brokers holding ``topic``, its network quiet.

    Raises :class:`GlassKafkaError` if the topic cannot be created.
    """
    cluster = KafkaCluster(brokers=brokers, seed=seed)
    cluster.start()
    result = cluster.create_topic(
        topic, partitions=partitions, replication_factor=replication_factor
    )
    if result.error_code != ErrorCode.NONE:
        raise GlassKafkaError(f"creating {topic} failed: {ErrorCode(result.error_code).name}")
    cluster.sim.run_until_quiet(cluster.now_ms + 10_000)
    return cluster


def produce_request(
    topic: str, partition: int, values: list[bytes], *, now_ms: int, acks: int = ACKS_ALL
) -> produce_api.ProduceRequest:
    """A ProduceRequest carrying ``values`` (no keys) as one batch for ``topic``-``partition``."""
    batch = encode_batch([Record(key=None, value=value, timestamp=now_ms) for value in values])
    data = produce_api.PartitionProduceData(index=partition, records=batch)
    per_topic = produce_api.TopicProduceData(name=topic, partition_data=(data,))
    return produce_api.ProduceRequest(acks=acks, timeout_ms=30_000, topic_data=(per_topic,))


def fetch_request(
    topic: str, partition: int, offset: int, *, max_bytes: int = 1 << 20
) -> fetch_api.FetchRequest:
    """A consumer's FetchRequest (``replica_id`` -1) for one partition, answered at once."""
    wanted = fetch_api.FetchPartition(
        partition=partition, fetch_offset=offset, partition_max_bytes=max_bytes
    )
    return fetch_api.FetchRequest(
        max_wait_ms=0,
        min_bytes=1,
        topics=(fetch_api.FetchTopic(topic=topic, partitions=(wanted,)),),
    )


def decode_records(records: bytes | None) -> list[DecodedRecord]:
    """Every record of the batches in a fetch answer's ``records`` field."""
    data = records or b""
    return [
        record
        for position, _ in iter_batches(data)
        for record in decode_batch(data, position).records
    ]


def read_from(
    cluster: KafkaCluster,
    topic: str,
    partition: int,
    offset: int,
    *,
    max_bytes: int = 1 << 20,
    client: str = "client-1",
) -> list[DecodedRecord]:
    """The records of ``topic``-``partition`` from ``offset`` on, up to about ``max_bytes``.

    A leader always returns at least one whole batch, even one larger than ``max_bytes``
    (KIP-74), and it returns whole batches, so the first records may lie below ``offset``:
    they are skipped here, as the consumer skips them.  Raises :class:`GlassKafkaError` if the
    leader answers with an error or not at all.
    """
    leader = cluster.leader(topic, partition)
    body = fetch_request(topic, partition, offset, max_bytes=max_bytes)
    answer = cluster.request(cluster.node_of(leader), body, client=client)
    if answer is None or not isinstance(answer.body, fetch_api.FetchResponse):
        raise GlassKafkaError(f"broker {leader} did not answer the fetch of {topic}-{partition}")
    data = answer.body.responses[0].partitions[0]
    if data.error_code != ErrorCode.NONE:
        raise GlassKafkaError(f"fetching {topic}-{partition}: {ErrorCode(data.error_code).name}")
    return [record for record in decode_records(data.records) if record.offset >= offset]


def produce_and_fetch(seed: int) -> tuple[KafkaCluster, int]:
    """Three brokers; write ``hello`` to ``greetings``-0 with acks=all, then read it back.

    Returns the cluster and the index of the first trace event of the produce.
    """
    cluster = start_cluster(brokers=3, seed=seed, topic=LAB_TOPIC)
    first_event = len(cluster.sim.trace.events)
    result = cluster.produce(LAB_TOPIC, 0, [(None, b"hello")], acks=ACKS_ALL)
    assert result.error is ErrorCode.NONE, f"the produce failed: {result.error.name}"
    records = read_from(cluster, LAB_TOPIC, 0, 0)
    assert [r.value for r in records] == [b"hello"], f"read back {records}"
    return cluster, first_event


def message_name(message: Message) -> str:
    """``ProduceRequest``, ``FetchResponse``, ...: the API message inside an envelope."""
    if isinstance(message, KafkaRequest | KafkaResponse):
        return type(message.body).__name__
    return type(message).__name__
