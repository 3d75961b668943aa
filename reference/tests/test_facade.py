"""The blocking facade (``glasskafka.runtime.facade``) against a real glasskafka cluster.

The module starts a coordination service and one broker as real processes on loopback
(``glasskafka.runtime.cluster``, stopped by pid at the end; ``auto.create.topics.enable=false``
so that an unknown topic stays unknown) and drives them through kafka-python-shaped calls only:

* a produce/consume round trip with keys, headers and serializers, read back in order with
  ``assign`` and ``seek_to_beginning``;
* the default producer is idempotent with ``acks=all`` (Kafka 3.x, KIP-679): it holds a producer id
  and its batches on disk carry it;
* ``seek``, ``position``, ``beginning_offsets``/``end_offsets``, ``topics``;
* errors: an unknown topic, a broker that is down (a timeout naming what it waited for), admin
  errors with Kafka's codes;
* ``close()`` leaves no thread and no socket behind.

Group consumption (``subscribe`` with a ``group_id``) needs the broker's group coordinator; those
tests skip, naming the missing piece, while the broker answers FindCoordinator with
COORDINATOR_NOT_AVAILABLE.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.errors import ErrorCode, GlassKafkaError, KafkaProtocolError
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up, free_ports
from glasskafka.runtime.facade import (
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    KafkaTimeoutError,
    NewTopic,
    OffsetAndMetadata,
    RecordMetadata,
    TopicPartition,
)
from glasskafka.runtime.kafka_client import KafkaClient


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ClusterProcess]]:
    directory = tmp_path_factory.mktemp("facade-cluster")
    processes = cluster_up(directory, brokers=1, overrides={"auto.create.topics.enable": "false"})
    try:
        yield processes
    finally:
        cluster_down(directory)


@pytest.fixture(scope="module")
def bootstrap(cluster: list[ClusterProcess]) -> str:
    return ",".join(p.address for p in cluster if p.name.startswith("broker-"))


def create(bootstrap: str, name: str, partitions: int) -> None:
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic(name, partitions, 1)])
        deadline = time.monotonic() + 20
        while (
            not all(
                p["leader"] >= 0 and p["isr"]
                for t in admin.describe_topics([name])
                for p in t["partitions"]
            )
            or name not in admin.list_topics()
        ):
            assert time.monotonic() < deadline, f"topic {name} got no leader"
            time.sleep(0.1)


def client_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("glasskafka-client")]


def open_sockets() -> int:
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue
    return count


# -- the round trip ------------------------------------------------------------------------------


def test_a_round_trip_keeps_keys_values_headers_and_order_per_partition(bootstrap: str) -> None:
    create(bootstrap, "greetings", partitions=2)
    with KafkaProducer(
        bootstrap_servers=bootstrap,
        key_serializer=str.encode,
        value_serializer=lambda v: json.dumps(v).encode(),
        linger_ms=5,
    ) as producer:
        futures = [
            producer.send(
                "greetings",
                {"n": n},
                key=f"user-{n % 3}",
                headers=[("trace", f"t{n}".encode())],
                partition=n % 2,
            )
            for n in range(20)
        ]
        producer.flush(timeout=20)
        sent = [future.get(timeout=20) for future in futures]
    assert all(isinstance(m, RecordMetadata) and m.topic == "greetings" for m in sent)
    assert [m.offset for m in sent if m.partition == 0] == list(range(10))
    assert [m.offset for m in sent if m.partition == 1] == list(range(10))

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        consumer_timeout_ms=2000,
        key_deserializer=bytes.decode,
        value_deserializer=json.loads,
    )
    try:
        consumer.assign([TopicPartition("greetings", 0), TopicPartition("greetings", 1)])
        consumer.seek_to_beginning()
        records = list(consumer)
    finally:
        consumer.close()
    for partition in (0, 1):
        mine = [r for r in records if r.partition == partition]
        assert [r.offset for r in mine] == list(range(10))
        assert [r.value for r in mine] == [{"n": n} for n in range(partition, 20, 2)]
        assert [r.key for r in mine] == [f"user-{n % 3}" for n in range(partition, 20, 2)]
        assert [r.headers for r in mine] == [
            [("trace", f"t{n}".encode())] for n in range(partition, 20, 2)
        ]


def test_the_default_producer_is_idempotent_with_acks_all(
    bootstrap: str, cluster: list[ClusterProcess]
) -> None:
    create(bootstrap, "once", partitions=1)
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        assert producer.config.enable_idempotence and producer.config.acks == "all"
        offsets = [producer.send("once", b"v%d" % n).get(timeout=20).offset for n in range(5)]
        statistics = producer.host.ask(producer.node.statistics)
    assert offsets == list(range(5))
    assert statistics.producer_id >= 0 and statistics.producer_epoch >= 0
    data = cluster[0].log_file.parent.parent / "data"
    segment = next(data.glob("kafka-logs-*/once-0/00000000000000000000.log"))
    batch = segment.read_bytes()
    # RecordBatch v2: producerId at byte 43, baseSequence at byte 53 (wire-protocol.md §9).
    assert int.from_bytes(batch[43:51], "big", signed=True) == statistics.producer_id
    assert int.from_bytes(batch[53:57], "big", signed=True) == 0


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_each_acks_level_delivers(bootstrap: str, acks: object) -> None:
    topic = f"acks-{acks}"
    create(bootstrap, topic, partitions=1)
    with KafkaProducer(bootstrap_servers=bootstrap, acks=acks) as producer:
        sent = [producer.send(topic, b"x", partition=0) for _ in range(3)]
        producer.flush(timeout=20)
        offsets = [future.get(timeout=5).offset for future in sent]
    assert offsets == ([-1, -1, -1] if acks == 0 else [0, 1, 2])  # acks=0: the broker never says
    tp = TopicPartition(topic, 0)
    with KafkaConsumer(bootstrap_servers=bootstrap) as consumer:
        # With acks=0 nothing says when the broker has appended, so look until it has.
        deadline = time.monotonic() + 10
        while consumer.end_offsets([tp])[tp] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert consumer.end_offsets([tp]) == {tp: 3}


def test_callbacks_and_errbacks_run_once_each(bootstrap: str) -> None:
    create(bootstrap, "called-back", partitions=1)
    seen: list[object] = []
    done = threading.Event()
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        future = producer.send("called-back", b"v")

        def on_success(metadata: RecordMetadata) -> None:
            seen.append(metadata.offset)
            done.set()

        future.add_callback(on_success)
        future.add_errback(seen.append)
        future.get(timeout=20)
        assert done.wait(5)
        future.add_callback(seen.append)  # already done: runs at once, in this thread
    assert seen[0] == 0 and isinstance(seen[1], RecordMetadata) and len(seen) == 2


def test_assign_seek_position_and_offsets(bootstrap: str) -> None:
    create(bootstrap, "seekable", partitions=1)
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        for n in range(10):
            producer.send("seekable", b"%d" % n)
        producer.flush(timeout=20)
    tp = TopicPartition("seekable", 0)
    with KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest") as consumer:
        assert "seekable" in consumer.topics()
        assert consumer.partitions_for_topic("seekable") == {0}
        assert consumer.partitions_for_topic("no-such-topic") is None
        assert consumer.beginning_offsets([tp]) == {tp: 0}
        assert consumer.end_offsets([tp]) == {tp: 10}
        consumer.assign([tp])
        assert consumer.assignment() == {tp}
        assert consumer.position(tp) == 0  # auto_offset_reset=earliest, looked up
        consumer.seek(tp, 7)
        assert consumer.position(tp) == 7
        batch = consumer.poll(timeout_ms=5000, max_records=2)
        assert [r.offset for r in batch[tp]] == [7, 8]
        assert consumer.position(tp) == 9
        consumer.seek_to_end(tp)
        assert consumer.position(tp) == 10
        assert consumer.poll(timeout_ms=200) == {}


def test_a_failing_deserializer_loses_nothing(bootstrap: str) -> None:
    create(bootstrap, "picky", partitions=1)
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        for value in (b"1", b"oops", b"3"):
            producer.send("picky", value)
        producer.flush(timeout=20)
    tp = TopicPartition("picky", 0)
    with KafkaConsumer(bootstrap_servers=bootstrap, value_deserializer=int) as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 0)
        with pytest.raises(GlassKafkaError, match="offset 1"):
            while True:
                consumer.poll(timeout_ms=5000, max_records=5)
        assert consumer.position(tp) == 0  # sought back to the first record of that poll


# -- errors ----------------------------------------------------------------------------------


def test_an_unknown_topic_fails_the_send_after_max_block_ms(bootstrap: str) -> None:
    with KafkaProducer(bootstrap_servers=bootstrap, max_block_ms=500) as producer:
        future = producer.send("no-such-topic", b"v")
        with pytest.raises(KafkaTimeoutError, match="no-such-topic not present in metadata"):
            future.get(timeout=20)
        assert future.failed()
    with KafkaConsumer(bootstrap_servers=bootstrap) as consumer:
        with pytest.raises(KafkaProtocolError) as raised:
            consumer.end_offsets([TopicPartition("no-such-topic", 0)])
        assert raised.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_an_illegal_topic_name_is_refused_before_anything_is_sent(bootstrap: str) -> None:
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        with pytest.raises(GlassKafkaError, match="'no spaces allowed' is not a legal topic"):
            producer.send("no spaces allowed", b"v")
        assert producer.host.ask(producer.node.statistics).waiting_records == 0


def test_a_broker_that_is_down_gives_a_clear_timeout() -> None:
    (port,) = free_ports(1)
    down = f"127.0.0.1:{port}"
    producer = KafkaProducer(bootstrap_servers=down, max_block_ms=500, retry_backoff_ms=50)
    try:
        with pytest.raises(KafkaTimeoutError, match="not present in metadata after 500 ms"):
            producer.send("anything", b"v").get(timeout=20)
    finally:
        producer.close(timeout=1)
    consumer = KafkaConsumer(bootstrap_servers=down, default_api_timeout_ms=500)
    try:
        with pytest.raises(GlassKafkaError, match=f"cannot connect to broker 127.0.0.1:{port}"):
            consumer.end_offsets([TopicPartition("anything", 0)])
        consumer.assign([TopicPartition("anything", 0)])
        assert consumer.poll(timeout_ms=300) == {}  # nothing to read, and no crash
    finally:
        consumer.close()
    assert client_threads() == []


def test_admin_errors_carry_kafkas_codes(bootstrap: str) -> None:
    create(bootstrap, "administered", partitions=1)
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        with pytest.raises(KafkaProtocolError) as exists:
            admin.create_topics([NewTopic("administered", 1, 1)])
        assert exists.value.code is ErrorCode.TOPIC_ALREADY_EXISTS
        quiet = admin.create_topics([NewTopic("administered", 1, 1)], raise_errors=False)
        assert quiet["topics"][0]["error_code"] == ErrorCode.TOPIC_ALREADY_EXISTS
        with pytest.raises(KafkaProtocolError) as too_many:
            admin.create_topics([NewTopic("replicated", 1, 3)])
        assert too_many.value.code is ErrorCode.INVALID_REPLICATION_FACTOR
        with pytest.raises(KafkaProtocolError) as illegal:
            admin.create_topics([NewTopic("../escape", 1, 1)])
        assert illegal.value.code is ErrorCode.INVALID_TOPIC_EXCEPTION
        admin.delete_topics(["administered"])
        with pytest.raises(KafkaProtocolError) as gone:
            admin.delete_topics(["never-was"])
        assert gone.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_close_releases_every_thread_and_socket(bootstrap: str) -> None:
    create(bootstrap, "closing", partitions=1)
    before = open_sockets()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send("closing", b"v").get(timeout=20)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=1000)
    consumer.assign([TopicPartition("closing", 0)])
    consumer.seek(TopicPartition("closing", 0), 0)
    assert [r.value for r in consumer] == [b"v"]
    assert len(client_threads()) == 2 and open_sockets() > before
    producer.close()
    consumer.close()
    producer.close()  # idempotent
    consumer.close()
    assert client_threads() == []
    assert open_sockets() == before
    with pytest.raises(GlassKafkaError, match="closed"):
        producer.send("closing", b"late")
    with pytest.raises(GlassKafkaError, match="closed"):
        consumer.poll()


# -- groups ----------------------------------------------------------------------------------


def require_group_coordinator(bootstrap: str) -> None:
    """Skip while the broker does not host the group coordinator yet."""
    deadline = time.monotonic() + 5
    with KafkaClient(bootstrap, timeout_s=5) as client:
        metadata = client.metadata([])
        broker = metadata.brokers[0]
        while True:
            answer = client.request((broker.host, broker.port), FindCoordinatorRequest(key="g"))
            assert isinstance(answer, FindCoordinatorResponse)
            if answer.error_code == ErrorCode.NONE:
                return
            if time.monotonic() >= deadline:
                pytest.skip(
                    "the broker does not host the group coordinator yet (FindCoordinator "
                    f"answers {ErrorCode(answer.error_code).name}: {answer.error_message})"
                )
            time.sleep(0.2)


def test_a_group_consumer_reads_commits_and_is_listed(bootstrap: str) -> None:
    require_group_coordinator(bootstrap)
    create(bootstrap, "grouped", partitions=2)
    with KafkaProducer(bootstrap_servers=bootstrap, value_serializer=str.encode) as producer:
        for n in range(10):
            producer.send("grouped", f"m{n}", partition=n % 2)
        producer.flush(timeout=20)
    consumer = KafkaConsumer(
        "grouped",
        bootstrap_servers=bootstrap,
        group_id="readers",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
        value_deserializer=bytes.decode,
    )
    try:
        values = sorted(str(r.value) for r in consumer)
        assert values == sorted(f"m{n}" for n in range(10))
        assert consumer.assignment() == {TopicPartition("grouped", 0), TopicPartition("grouped", 1)}
        consumer.commit()
        assert consumer.committed(TopicPartition("grouped", 0)) == 5
        with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
            assert ("readers", "consumer") in admin.list_consumer_groups()
            (described,) = admin.describe_consumer_groups(["readers"])
            assert described.state == "Stable" and len(described.members) == 1
            offsets = admin.list_consumer_group_offsets("readers")
            assert offsets == {
                TopicPartition("grouped", 0): OffsetAndMetadata(5, ""),
                TopicPartition("grouped", 1): OffsetAndMetadata(5, ""),
            }
    finally:
        consumer.close()


def test_a_second_group_member_resumes_from_the_commit(bootstrap: str) -> None:
    require_group_coordinator(bootstrap)
    create(bootstrap, "resumed", partitions=1)
    with KafkaProducer(bootstrap_servers=bootstrap) as producer:
        for n in range(6):
            producer.send("resumed", b"%d" % n)
        producer.flush(timeout=20)
    first = KafkaConsumer(
        "resumed", bootstrap_servers=bootstrap, group_id="resumers",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    try:
        got = first.poll(timeout_ms=10000, max_records=3)
        assert [r.offset for r in got[TopicPartition("resumed", 0)]] == [0, 1, 2]
        first.commit()
    finally:
        first.close()
    second = KafkaConsumer(
        "resumed", bootstrap_servers=bootstrap, group_id="resumers", consumer_timeout_ms=5000,
    )  # fmt: skip
    try:
        assert [r.offset for r in second] == [3, 4, 5]
    finally:
        second.close()
