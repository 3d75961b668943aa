"""What the scripts of chapter 3 share: the cluster, the topic, and the page visits.

The topic is the course's example, ``page_visits``, here with 5 partitions and replication
factor 2 on a simulated cluster of 3 brokers, so that the placement rule wraps around the
brokers and each broker holds only some of the partitions.  Each page visit is a record whose
key is the user and whose value is the page; the producer's key partitioner
(``glasskafka.client.partitioner.keyed_partition``, murmur2 as in Kafka's Java client) chooses
its partition, and the harness's scripted client sends it there with ``acks=all``.

Spec IDs: none (tutorial helpers).

Simplified from Kafka: the real producer (``glasskafka.client.ProducerNode``) batches records
per partition and learns leaders from Metadata; here one record goes in one request, to the
leader the coordination service names.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.client import keyed_partition
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.sim.kafka_cluster import ACKS_ALL, KafkaCluster
from glasskafka.sim.replication_observer import ReplicationObserver

__all__ = [
    "PARTITIONS",
    "REPLICATION_FACTOR",
    "SEED",
    "TOPIC",
    "VISITS",
    "Visit",
    "produce_visits",
    "start_with_topic",
]

TOPIC = "page_visits"
PARTITIONS = 5
REPLICATION_FACTOR = 2
SEED = 0
VISITS = (
    ("user-2", "/home"),
    ("user-3", "/home"),
    ("user-2", "/search"),
    ("user-7", "/home"),
    ("user-3", "/cart"),
    ("user-2", "/cart"),
    ("user-3", "/pay"),
    ("user-2", "/pay"),
)
"""(user, page) in the order they happen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One page visit after it was written: where it went."""

    user: str
    page: str
    partition: int
    offset: int


def start_with_topic(observer: ReplicationObserver | None = None) -> KafkaCluster:
    """Three brokers, started, holding ``page_visits`` (5 partitions, replication factor 2).

    ``observer``, if given, watches the simulation from before the first broker starts (a
    picture of the cluster is drawn from its snapshots).  Raises :class:`GlassKafkaError` if
    the topic cannot be created.
    """
    cluster = KafkaCluster(brokers=3, seed=SEED)
    if observer is not None:
        observer.attach(cluster.sim)
    cluster.start()
    result = cluster.create_topic(
        TOPIC, partitions=PARTITIONS, replication_factor=REPLICATION_FACTOR
    )
    if result.error_code != ErrorCode.NONE:
        raise GlassKafkaError(f"creating {TOPIC} failed: {ErrorCode(result.error_code).name}")
    return cluster


def produce_visits(cluster: KafkaCluster) -> list[Visit]:
    """Write every visit of :data:`VISITS` to the partition its key chooses; then let the
    followers catch up.  Raises :class:`GlassKafkaError` if a write is not acknowledged."""
    written = []
    for user, page in VISITS:
        partition = keyed_partition(user.encode(), PARTITIONS)
        result = cluster.produce(TOPIC, partition, [(user.encode(), page.encode())], acks=ACKS_ALL)
        if not result.answered or result.error is not ErrorCode.NONE:
            raise GlassKafkaError(f"writing {user} {page} failed: {result.error.name}")
        written.append(Visit(user=user, page=page, partition=partition, offset=result.base_offset))
    # acks=all already waited for the in-sync followers; a second lets them learn the new
    # high watermark too, so every replica shows the same picture.
    cluster.run_for(1000)
    return written
