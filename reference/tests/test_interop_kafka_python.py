"""kafka-python 3.x against a real glasskafka cluster on loopback.

The test starts a coordination service and three brokers as real processes
(``glasskafka.runtime.cluster``) on free ports and stops them by pid afterwards.  It checks the
flows of wire-protocol.md §11 with the client unchanged:

* ``KafkaAdminClient`` creates and deletes a topic: CreateTopics and DeleteTopics go to the broker
  Metadata names as the controller;
* a ``KafkaProducer`` with ``acks='all'`` (idempotence off) writes records to a replicated topic,
  each acknowledged at its offset, and a ``KafkaConsumer`` with ``assign()`` and
  ``seek_to_beginning()`` reads them back, in order, from every partition;
* the default producer -- idempotent, ``acks='all'`` -- first asks for a producer id
  (InitProducerId), then writes batches stamped with it and with sequence numbers;
* failover: ``kill -9`` the leader of a partition; once its coordination session expires the
  controller elects a new leader from the ISR, Metadata from the survivors names it with a higher
  leader epoch, and every record acknowledged with ``acks=all`` is still there (REPL-5's promise).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.protocol.messages.metadata import MetadataResponsePartition
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up, is_running
from glasskafka.runtime.kafka_client import KafkaClient

kafka = pytest.importorskip("kafka")
admin_module = pytest.importorskip("kafka.admin")

SESSION_TIMEOUT_MS = 4000
"""The brokers' zookeeper.session.timeout.ms: the coordination service's smallest (2 ticks)."""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ClusterProcess]]:
    directory = tmp_path_factory.mktemp("kafka-python-cluster")
    overrides = {"zookeeper.session.timeout.ms": str(SESSION_TIMEOUT_MS)}
    processes = cluster_up(directory, brokers=3, overrides=overrides)
    try:
        yield processes
    finally:
        cluster_down(directory)


def servers(processes: list[ClusterProcess], *, alive_only: bool = False) -> list[str]:
    return [
        p.address
        for p in processes
        if p.name.startswith("broker-") and (not alive_only or is_running(p.pid))
    ]


def partition_of(bootstrap: str, topic: str, index: int) -> MetadataResponsePartition | None:
    with KafkaClient(bootstrap, timeout_s=5.0) as client:
        for found in client.metadata([topic]).topics:
            if found.name == topic and found.error_code == ErrorCode.NONE:
                return next((p for p in found.partitions if p.partition_index == index), None)
    return None


def wait_for(check: object, timeout_s: float = 30.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def create(processes: list[ClusterProcess], name: str, partitions: int, replication: int) -> None:
    admin = admin_module.KafkaAdminClient(
        bootstrap_servers=servers(processes), request_timeout_ms=10000
    )
    try:
        admin.create_topics([admin_module.NewTopic(name, partitions, replication)])
    finally:
        admin.close()
    bootstrap = ",".join(servers(processes))
    wait_for(lambda: all(
        (p := partition_of(bootstrap, name, n)) is not None and len(p.isr_nodes) == replication
        for n in range(partitions)
    ))  # fmt: skip


def produce(
    processes: list[ClusterProcess], topic: str, records: list[tuple[int, bytes]]
) -> list[int]:
    producer = kafka.KafkaProducer(
        bootstrap_servers=servers(processes, alive_only=True),
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=10000,
    )
    try:
        futures = [producer.send(topic, value, partition=p) for p, value in records]
        producer.flush(timeout=20)
        return [future.get(timeout=20).offset for future in futures]
    finally:
        producer.close(timeout=5)


def consume(
    processes: list[ClusterProcess], topic: str, partitions: int
) -> list[tuple[int, int, bytes]]:
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=servers(processes, alive_only=True),
        consumer_timeout_ms=3000,
        request_timeout_ms=10000,
    )
    try:
        assigned = [kafka.TopicPartition(topic, n) for n in range(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        return [(m.partition, m.offset, m.value) for m in consumer]
    finally:
        consumer.close()


# ---------------------------------------------------------------------------------------------


def test_the_admin_client_creates_and_deletes_a_topic_at_the_controller(
    cluster: list[ClusterProcess],
) -> None:
    admin = admin_module.KafkaAdminClient(
        bootstrap_servers=servers(cluster), request_timeout_ms=10000
    )
    try:
        created = admin.create_topics([admin_module.NewTopic("administered", 2, 3)])
        assert [t["error_code"] for t in created["topics"]] == [0]
        wait_for(lambda: "administered" in admin.list_topics())
        again = admin.create_topics(
            [admin_module.NewTopic("administered", 2, 3)], raise_errors=False
        )
        codes = [t["error_code"] for t in again["topics"]]
        assert codes == [ErrorCode.TOPIC_ALREADY_EXISTS]
        admin.delete_topics(["administered"])
        wait_for(lambda: "administered" not in admin.list_topics())
    finally:
        admin.close()


def test_a_producer_with_acks_all_and_an_assigned_consumer_round_trip(
    cluster: list[ClusterProcess],
) -> None:
    create(cluster, "orders", partitions=3, replication=3)
    records = [(n % 3, f"order {n}".encode()) for n in range(60)]
    offsets = produce(cluster, "orders", records)
    assert offsets == [n // 3 for n in range(60)]
    consumed = consume(cluster, "orders", partitions=3)
    for partition in range(3):
        mine = [(offset, value) for p, offset, value in consumed if p == partition]
        expected = [(n // 3, f"order {n}".encode()) for n in range(partition, 60, 3)]
        assert mine == expected


def test_the_default_idempotent_producer_gets_a_producer_id_and_writes_once(
    cluster: list[ClusterProcess],
) -> None:
    create(cluster, "idempotent", partitions=1, replication=3)
    producer = kafka.KafkaProducer(bootstrap_servers=servers(cluster, alive_only=True))
    try:
        futures = [
            producer.send("idempotent", f"once {n}".encode(), partition=0) for n in range(20)
        ]
        producer.flush(timeout=20)
        offsets = [future.get(timeout=20).offset for future in futures]
    finally:
        producer.close(timeout=5)
    assert offsets == list(range(20))
    assert [value for _, _, value in consume(cluster, "idempotent", partitions=1)] == [
        f"once {n}".encode() for n in range(20)
    ]
    batches = _segment_of(cluster, "idempotent").read_bytes()
    producer_id = int.from_bytes(batches[43:51], "big", signed=True)  # RecordBatch v2 byte 43
    assert producer_id >= 0  # the batch carries the producer id InitProducerId handed out


def _segment_of(processes: list[ClusterProcess], topic: str) -> Path:
    data = processes[0].log_file.parent.parent / "data"
    return next(iter(sorted(data.glob(f"kafka-logs-*/{topic}-0/00000000000000000000.log"))))


def test_killing_the_leader_elects_a_new_one_from_the_isr_and_keeps_acked_records(
    cluster: list[ClusterProcess],
) -> None:
    create(cluster, "failover", partitions=1, replication=3)
    acked = produce(cluster, "failover", [(0, f"event {n}".encode()) for n in range(10)])
    assert acked == list(range(10))
    bootstrap = ",".join(servers(cluster))
    before = partition_of(bootstrap, "failover", 0)
    assert before is not None and before.leader_id > 0
    victim = next(p for p in cluster if p.name == f"broker-{before.leader_id}")
    os.kill(victim.pid, signal.SIGKILL)
    survivors = ",".join(servers(cluster, alive_only=True))

    def moved() -> bool:
        now = partition_of(survivors, "failover", 0)
        return now is not None and now.leader_id not in (-1, before.leader_id)

    wait_for(moved, timeout_s=SESSION_TIMEOUT_MS / 1000 + 25)
    after = partition_of(survivors, "failover", 0)
    assert after is not None
    assert after.leader_id in before.isr_nodes
    assert after.leader_epoch > before.leader_epoch
    assert before.leader_id not in after.isr_nodes
    values = [value for _, _, value in consume(cluster, "failover", partitions=1)]
    assert values == [f"event {n}".encode() for n in range(10)]
