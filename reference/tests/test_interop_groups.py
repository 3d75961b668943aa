"""Consumer groups over the wire: kafka-python, confluent-kafka and kcat against glasskafka.

The tests start a coordination service and three brokers as real processes on loopback
(``glasskafka.runtime.cluster``), with ``offsets.topic.num.partitions=5`` and
``group.initial.rebalance.delay.ms=0`` (the setting Kafka's own test clusters use), and stop them
by pid afterwards.  The first group request makes a broker ask the controller for
``__consumer_offsets`` (three replicas, compacted); after that every flow is a client's own:

* **kafka-python** (its own coordinator connection): a group of two consumers where the second
  joins -- the first gives up partitions in the rebalance -- and then leaves with LeaveGroup, so
  the first takes everything back; every record is consumed; committed offsets survive the
  consumer's restart: a new consumer of the group resumes exactly at the commit;
* **confluent-kafka** (librdkafka, group requests on the broker's ordinary connection, so a
  parked JoinGroup holds that connection as Kafka's muting does): two consumers with
  ``partition.assignment.strategy=range``, and two with ``cooperative-sticky`` (incremental
  assignment); its producer with ``acks`` 0, 1 and all, and with ``enable.idempotence=true``;
* **kcat** ``-G`` (the balanced consumer of librdkafka) reads every record of a topic as a group.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up

kafka = pytest.importorskip("kafka")
admin_module = pytest.importorskip("kafka.admin")
confluent = pytest.importorskip("confluent_kafka")

OVERRIDES = {
    "zookeeper.session.timeout.ms": "4000",
    "offsets.topic.num.partitions": "5",
    "group.initial.rebalance.delay.ms": "0",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ClusterProcess]]:
    directory = tmp_path_factory.mktemp("groups-cluster")
    processes = cluster_up(directory, brokers=3, overrides=OVERRIDES)
    try:
        yield processes
    finally:
        cluster_down(directory)


def servers(processes: list[ClusterProcess]) -> list[str]:
    return [p.address for p in processes if p.name.startswith("broker-")]


def create(processes: list[ClusterProcess], name: str, partitions: int = 3) -> None:
    admin = admin_module.KafkaAdminClient(
        bootstrap_servers=servers(processes), request_timeout_ms=10000
    )
    try:
        admin.create_topics([admin_module.NewTopic(name, partitions, 3)])
    finally:
        admin.close()
    time.sleep(0.5)  # let every broker's metadata name the leaders


def produce(processes: list[ClusterProcess], topic: str, values: list[str]) -> None:
    producer = kafka.KafkaProducer(bootstrap_servers=servers(processes), acks="all")
    try:
        for n, value in enumerate(values):
            producer.send(topic, value.encode(), partition=n % 3)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=5)


def until(done: Callable[[], bool], step: Callable[[], None], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        step()


# -- kafka-python ---------------------------------------------------------------------------


def kp_consumer(processes: list[ClusterProcess], topic: str, group: str) -> Any:
    return kafka.KafkaConsumer(
        topic,
        bootstrap_servers=servers(processes),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        request_timeout_ms=30000,
    )


def kp_poll(*consumers: Any, seen: dict[tuple[int, int], str]) -> None:
    """One ``poll()`` of each consumer, keeping what came back."""
    for consumer in consumers:
        for records in consumer.poll(timeout_ms=200).values():
            for record in records:
                seen[(record.partition, record.offset)] = record.value.decode()


def test_kafka_python_group_join_leave_and_resume(cluster: list[ClusterProcess]) -> None:
    create(cluster, "kp-groups")
    values = [f"a{n}" for n in range(30)]
    produce(cluster, "kp-groups", values)
    seen: dict[tuple[int, int], str] = {}
    first = kp_consumer(cluster, "kp-groups", "kp-g")
    until(lambda: len(seen) >= 15, lambda: kp_poll(first, seen=seen))
    assert len(first.assignment()) == 3

    second = kp_consumer(cluster, "kp-groups", "kp-g")  # joins: the group rebalances

    def both_assigned() -> bool:
        return bool(first.assignment()) and bool(second.assignment())

    until(both_assigned, lambda: kp_poll(first, second, seen=seen))
    shares = [{tp.partition for tp in c.assignment()} for c in (first, second)]
    assert not shares[0] & shares[1] and shares[0] | shares[1] == {0, 1, 2}

    more = [f"b{n}" for n in range(30)]
    produce(cluster, "kp-groups", more)
    until(
        lambda: set(seen.values()) >= set(values + more),
        lambda: kp_poll(first, second, seen=seen),
    )
    first.commit()
    second.commit()
    second.close()  # LeaveGroup: the first member takes every partition back
    until(lambda: len(first.assignment()) == 3, lambda: kp_poll(first, seen=seen))
    first.commit()
    committed = {p: first.committed(kafka.TopicPartition("kp-groups", p)) for p in range(3)}
    first.close()
    assert committed == {0: 20, 1: 20, 2: 20}

    produce(cluster, "kp-groups", [f"c{n}" for n in range(6)])
    again: dict[tuple[int, int], str] = {}
    restarted = kp_consumer(cluster, "kp-groups", "kp-g")
    until(lambda: len(again) >= 6, lambda: kp_poll(restarted, seen=again))
    restarted.close()
    assert min(offset for _, offset in again) == 20  # resumed at the commit, nothing re-read
    assert sorted(again.values()) == sorted(f"c{n}" for n in range(6))


# -- confluent-kafka ------------------------------------------------------------------------


def ck_consumer(processes: list[ClusterProcess], group: str, strategy: str) -> Any:
    return confluent.Consumer(
        {
            "bootstrap.servers": ",".join(servers(processes)),
            "group.id": group,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": strategy,
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500,
            "enable.auto.commit": False,
        }
    )


def ck_poll(*consumers: Any, seen: dict[tuple[int, int], str]) -> None:
    """One ``poll()`` of each consumer, keeping what came back."""
    for consumer in consumers:
        message = consumer.poll(0.2)
        if message is not None and message.error() is None:
            seen[(message.partition(), message.offset())] = message.value().decode()


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_confluent_kafka_group_consumption(cluster: list[ClusterProcess], strategy: str) -> None:
    topic = f"ck-{strategy}"
    create(cluster, topic)
    values = [f"{strategy}-{n}" for n in range(30)]
    produce(cluster, topic, values)
    seen: dict[tuple[int, int], str] = {}
    first = ck_consumer(cluster, f"g-{strategy}", strategy)
    first.subscribe([topic])
    until(lambda: len(seen) >= 3, lambda: ck_poll(first, seen=seen))
    second = ck_consumer(cluster, f"g-{strategy}", strategy)
    second.subscribe([topic])

    def shared() -> bool:
        return bool(first.assignment()) and bool(second.assignment())

    until(shared, lambda: ck_poll(first, second, seen=seen))
    shares = [{tp.partition for tp in c.assignment()} for c in (first, second)]
    assert not shares[0] & shares[1] and shares[0] | shares[1] == {0, 1, 2}
    until(
        lambda: set(seen.values()) == set(values),
        lambda: ck_poll(first, second, seen=seen),
    )
    first.commit(asynchronous=False)
    second.commit(asynchronous=False)
    committed = first.committed([confluent.TopicPartition(topic, p) for p in range(3)], 10)
    first.close()
    second.close()
    assert sorted(tp.offset for tp in committed) == [10, 10, 10]


@pytest.mark.parametrize(
    "settings",
    [{"acks": "0"}, {"acks": "1"}, {"acks": "all"}, {"enable.idempotence": True}],
    ids=["acks=0", "acks=1", "acks=all", "idempotent"],
)
def test_confluent_kafka_producer(cluster: list[ClusterProcess], settings: dict[str, Any]) -> None:
    topic = "ck-produce-" + "-".join(f"{k}{v}" for k, v in settings.items()).replace(".", "")
    create(cluster, topic)
    producer = confluent.Producer(
        {"bootstrap.servers": ",".join(servers(cluster)), "linger.ms": 5, **settings}
    )
    reports: list[Any] = []
    for n in range(20):
        producer.produce(
            topic, f"p{n}".encode(), partition=n % 3, on_delivery=lambda e, m: reports.append(e)
        )
    assert producer.flush(30) == 0
    assert reports == [None] * 20
    seen: dict[tuple[int, int], str] = {}
    reader = ck_consumer(cluster, f"reader-{topic}", "range")
    reader.subscribe([topic])
    until(lambda: len(seen) >= 20, lambda: ck_poll(reader, seen=seen))
    reader.close()
    assert sorted(seen.values()) == sorted(f"p{n}" for n in range(20))


# -- kcat -----------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")
def test_kcat_balanced_consumer(cluster: list[ClusterProcess], tmp_path: Path) -> None:
    create(cluster, "kcat-groups")
    values = [f"k{n}" for n in range(12)]
    produce(cluster, "kcat-groups", values)
    command = [
        "kcat",
        "-b",
        ",".join(servers(cluster)),
        "-G",
        "kcat-g",
        "-o",
        "beginning",
        "-c",
        str(len(values)),
        "-f",
        "%p %o %s\\n",
        "-X",
        "session.timeout.ms=6000",
        "kcat-groups",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    assert sorted(value for _, _, value in lines) == sorted(values)
    assert {int(partition) for partition, _, _ in lines} == {0, 1, 2}
