"""The replication observer records ghost state from the network and snapshots the nodes.

These tests drive a ``KafkaCluster`` through its own verbs, with a ``ReplicationObserver``
attached, and check what the observer makes of it: acknowledgements with their acks level,
offset, epoch and ISR size; reads; errors; grants; dirty restarts; snapshots of stopped brokers
read from their disks without touching them; the step events of single inputs.  The last tests
feed it hostile input -- garbage record bytes, answers nobody asked for, messages of no interest,
misuse of the API -- and check that it refuses clearly or ignores, never crashes, and loses
nothing it had.
"""

from __future__ import annotations

import copy

import pytest
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Millis, NodeId
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaResponse
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceData,
    TopicProduceResponse,
)
from glasskafka.records import Record, encode_batch
from glasskafka.sim import Delivered, Sent, disk_image
from glasskafka.sim.kafka_cluster import KafkaCluster, ScriptedClient
from glasskafka.sim.kafka_snapshot import Acks, FetchHandled, ProduceHandled
from glasskafka.sim.replication_observer import ReplicationObserver, acks_of
from glasskafka.sim.replication_reading import decode_records, record_id

from model_tests.replication_bench import ReplicationBench, ReplicationConfig

TOPIC = "t"


@pytest.fixture
def cluster() -> tuple[KafkaCluster, ReplicationObserver]:
    kafka = KafkaCluster(brokers=3, seed=7, overrides={"min.insync.replicas": "2"})
    observer = ReplicationObserver()
    observer.attach(kafka.sim)
    kafka.start()
    kafka.create_topic(TOPIC, replication_factor=3)
    return kafka, observer


def value(text: str) -> list[tuple[bytes | None, bytes | None]]:
    return [(None, text.encode())]


def test_acknowledgements_carry_acks_level_offset_epoch_and_isr_size(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"), acks=-1)
    kafka.produce(TOPIC, 0, value("b"), acks=1)
    kafka.produce(TOPIC, 0, value("c"), acks=0)
    kafka.run_for(100)
    ghost = observer.snapshot().partitions[0].ghost
    assert [(a.record, a.acks, a.offset, a.leader_epoch, a.isr_size) for a in ghost.acked] == [
        ("a", Acks.ALL, 0, 0, 3),
        ("b", Acks.ONE, 1, 0, 3),
    ]
    assert ghost.sent == ("a", "b"), "acks=0 expects no answer, so it is no attempt"
    assert ghost.true_high_watermark == 3 and [e[0] for e in ghost.committed_log] == ["a", "b", "c"]


def test_reads_errors_and_grants_are_recorded(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"))
    kafka.consume(TOPIC, 0)
    kafka.kill(2)
    kafka.kill(3)
    kafka.produce(TOPIC, 0, value("b"))  # only the leader is left in sync: refused
    ghost = observer.snapshot().partitions[0].ghost
    assert ghost.consumed == ((0, "a"),)
    assert (1, 0) in ghost.granted
    kafka.run_for(30_000)
    errors = dict(observer.snapshot().partitions[0].ghost.nacked)
    refusals = (ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
    assert errors["b"] in refusals


def test_a_broken_connection_is_an_error_answer(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.partition({"broker-2"}, {"broker-3"})  # the leader cannot commit anything now
    kafka.sim.call(
        NodeId("client-1"),
        lambda n, _: n.send(NodeId("broker-1"), _produce_body(encode_batch([Record(value=b"x")]))),
        kind=ScriptedClient,
    )
    kafka.run_for(50)
    kafka.kill(1)
    kafka.run_for(50)
    assert observer.snapshot().partitions[0].ghost.nacked == (("x", ErrorCode.NETWORK_EXCEPTION),)


def test_a_lossy_restart_is_dirty_and_a_stopped_disk_is_read_without_changing_it(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"))
    kafka.kill(3, disk="lossy")
    before = disk_image(kafka.sim.disk(NodeId("broker-3")))
    stopped = observer.snapshot().partitions[0].replica(BrokerId(3))
    assert stopped is not None and not stopped.running and not stopped.log_intact
    assert disk_image(kafka.sim.disk(NodeId("broker-3"))) == before
    kafka.run_for(50)  # the peers learn that their connections to broker 3 broke
    kafka.restart(3)
    assert observer.snapshot().partitions[0].ghost.dirty == frozenset({3})
    kafka.run_for(15_000)  # its old session expires, it registers again and catches up
    assert observer.snapshot().partitions[0].ghost.dirty == frozenset(), "caught up again"


def test_a_process_crash_keeps_the_log_intact(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"))
    kafka.kill(2)
    stopped = observer.snapshot().partitions[0].replica(BrokerId(2))
    assert stopped is not None and stopped.log_intact and stopped.log == (("a", 0),)
    kafka.run_for(50)
    kafka.restart(2)
    assert observer.snapshot().partitions[0].ghost.dirty == frozenset()


def test_step_events_name_the_fetch_and_the_produce_of_one_input() -> None:
    bench = ReplicationBench(ReplicationConfig(), seed=3)
    bench.produce(Acks.ALL)
    before = bench.latest
    assert bench.deliver_first(ProduceRequest, to=NodeId("broker-1"))
    events = bench.observer.step_events(before, bench.latest)
    (handled,) = events
    assert isinstance(handled, ProduceHandled)
    assert (handled.record, handled.acks, handled.leader) == ("m1", Acks.ALL, 1)
    fetched: list[FetchHandled] = []
    for _ in range(50):
        before = bench.latest
        bench.deliver(0)
        fetched += [
            e
            for e in bench.observer.step_events(before, bench.latest)
            if isinstance(e, FetchHandled)
        ]
    assert fetched and all(e.current_leader_epoch == 0 for e in fetched)


def test_a_deep_copy_of_the_simulation_carries_the_observer_along(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"))
    twin_sim = copy.deepcopy(kafka.sim)
    (twin,) = [o for o in twin_sim.trace.observers if isinstance(o, ReplicationObserver)]
    assert twin is not observer and twin.sim is twin_sim
    assert twin.snapshot() == observer.snapshot()


# ---------------------------------------------------------------------------------------------
# Hostile and malformed input


def _produce_body(records: bytes) -> ProduceRequest:
    return ProduceRequest(
        acks=-1,
        timeout_ms=1_000,
        topic_data=(
            TopicProduceData(
                name=TOPIC, partition_data=(PartitionProduceData(index=0, records=records),)
            ),
        ),
    )


def test_garbage_record_bytes_are_ignored_and_nothing_recorded_is_lost(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"))
    before = observer.snapshot().partitions[0].ghost
    good = encode_batch([Record(value=b"z")])
    for garbage in (b"\x00" * 70, b"\xff" * 3, good[:-5], b""):
        kafka.request(NodeId("broker-1"), _produce_body(garbage))
    after = observer.snapshot().partitions[0].ghost
    assert after.acked == before.acked and after.committed_log == before.committed_log
    assert decode_records(b"\x00" * 70) == [] and decode_records(None) == []


def test_answers_nobody_asked_for_and_unrelated_messages_are_ignored(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    kafka, observer = cluster
    kafka.produce(TOPIC, 0, value("a"))
    before = observer.snapshot().partitions[0].ghost
    kafka.request(NodeId("zk"), _produce_body(b""), deadline_ms=100)  # a request at the wrong node
    kafka.run_for(100)
    assert observer.snapshot().partitions[0].ghost == before


def test_record_ids_survive_values_that_are_not_text() -> None:
    (decoded,) = [r for _, r in decode_records(encode_batch([Record(value=b"\xff\xfe")]))]
    assert record_id(decoded) == "\ufffd\ufffd"
    (null,) = [r for _, r in decode_records(encode_batch([Record(value=None)]))]
    assert record_id(null) == "<null>"
    assert [acks_of(a) for a in (0, 1, -1)] == [Acks.ZERO, Acks.ONE, Acks.ALL]


def test_misuse_of_the_observer_is_refused_with_a_clear_error() -> None:
    observer = ReplicationObserver()
    with pytest.raises(GlassKafkaError, match="attach"):
        observer.snapshot()
    kafka = KafkaCluster(brokers=1, seed=1)
    observer.attach(kafka.sim)
    with pytest.raises(GlassKafkaError, match="already attached"):
        observer.attach(kafka.sim)


def test_an_answer_with_an_unknown_error_code_or_for_no_request_is_handled(
    cluster: tuple[KafkaCluster, ReplicationObserver],
) -> None:
    _, observer = cluster
    client, broker = NodeId("evil-client"), NodeId("broker-1")
    request = envelope.request(_produce_body(encode_batch([Record(value=b"q")])), correlation_id=9)
    observer(Sent(time_ms=Millis(0), sender=client, receiver=broker, sequence=1, message=request))
    answer = ProduceResponse(
        responses=(
            TopicProduceResponse(
                name=TOPIC,
                partition_responses=(
                    PartitionProduceResponse(index=0, error_code=12345, base_offset=-1),
                ),
            ),
        )
    )
    for correlation_id in (9, 9, 77):  # the answer, the same again, one nobody asked for
        response = KafkaResponse(correlation_id=correlation_id, body=answer)
        observer(
            Delivered(
                time_ms=Millis(0), sender=broker, receiver=client, sequence=2, message=response
            )
        )
    ghost = observer.snapshot().partitions[0].ghost
    assert ghost.nacked == (("q", ErrorCode.UNKNOWN_SERVER_ERROR),)
