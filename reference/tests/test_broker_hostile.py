"""Hostile and malformed input: every bad request gets Kafka's error code, nothing crashes, and
nothing is half-done (DESIGN §7; wire-protocol.md §12 "garbage never crashes").

Hand-picked cases first (unknown topics, negative partitions, corrupt records, illegal topic
names and impossible epochs in LeaderAndIsr, unserved versions), then a Hypothesis run that
sends the broker any request of any API at any version the codec knows.
"""

from __future__ import annotations

from typing import Any

from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.fetch import FetchResponse
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrResponse
from glasskafka.protocol.messages.produce import ProduceResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_broker_harness import (
    CONTROLLER,
    PRODUCER,
    TOPIC,
    Bench,
    batch,
    bench,
    fetch_request,
    leader_and_isr_request,
    one_partition,
    produce_request,
    values_of,
)

from model_tests.test_protocol_strategies import api_versions, message_at

__all__ = ["bench"]

B1 = NodeId("broker-1")


def leader(bench: Bench) -> None:
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("kept"))))
    bench.take_one(PRODUCER, ProduceResponse)


def leo(bench: Bench) -> int:
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None
    return log.log_end_offset


def test_malformed_leader_and_isr_is_refused_per_partition(bench: Bench) -> None:
    """Illegal names reach no disk; impossible epochs and versions change nothing."""
    leader(bench)
    before = bench.brokers[B1].partition_state(TOPIC, 0)
    files = sorted(bench.disks[B1].files)
    cases = [
        (dict(topic="../../etc", leader=1, isr=(1,)), ErrorCode.INVALID_TOPIC_EXCEPTION),
        (dict(topic="a" * 250, leader=1, isr=(1,)), ErrorCode.INVALID_TOPIC_EXCEPTION),
        (dict(topic="ok", partition=-1, leader=1, isr=(1,)), ErrorCode.INVALID_PARTITIONS),
        (dict(topic=TOPIC, leader=1, isr=(1,), leader_epoch=-5), ErrorCode.INVALID_REQUEST),
    ]
    for fields, expected in cases:
        options: dict[str, Any] = {"leader_epoch": 7, "replicas": (1, 2), **fields}
        bench.send(CONTROLLER, B1, bench.envelope(leader_and_isr_request(**options)))
        response = bench.take_one(CONTROLLER, LeaderAndIsrResponse)
        assert [e.error_code for e in response.partition_errors] == [expected], fields
    unserved = leader_and_isr_request(leader=2, leader_epoch=9, isr=(2,), replicas=(1, 2))
    bench.send(CONTROLLER, B1, bench.envelope(unserved, api_version=9))
    response = bench.take_one(CONTROLLER, LeaderAndIsrResponse)
    assert response.error_code == ErrorCode.UNSUPPORTED_VERSION
    assert bench.brokers[B1].partition_state(TOPIC, 0) == before
    assert sorted(bench.disks[B1].files) == files  # nothing created, nothing lost


def test_bad_fetches_are_answered_with_errors(bench: Bench) -> None:
    leader(bench)
    consumer = NodeId("consumer-1")
    cases = [
        (fetch_request(0, topic="missing"), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (fetch_request(0, partition=-3), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (fetch_request(-1), ErrorCode.OFFSET_OUT_OF_RANGE),
        (fetch_request(2**62), ErrorCode.OFFSET_OUT_OF_RANGE),
        (fetch_request(0, replica_id=42, epoch=1), ErrorCode.NOT_LEADER_OR_FOLLOWER),
        (fetch_request(0, topic="bad/name"), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
    ]
    for body, expected in cases:
        bench.send(consumer, B1, bench.envelope(body))
        assert one_partition(bench.take_one(consumer, FetchResponse))[0] == expected, body
    bench.send(consumer, B1, bench.envelope(fetch_request(0, max_bytes=-7)))
    assert one_partition(bench.take_one(consumer, FetchResponse)) == (0, 1, ["kept"])


def test_corrupt_and_oversized_produces_leave_the_log_untouched(bench: Bench) -> None:
    leader(bench)
    good = batch("x")
    bad_crc = bytearray(good)
    bad_crc[30] ^= 1
    truncated = good[:-3]
    two_batches = good + good
    for records in (bytes(bad_crc), truncated, two_batches, b"", b"\x00" * 61):
        bench.send(PRODUCER, B1, bench.envelope(produce_request(records, acks=-1)))
        (topic,) = bench.take_one(PRODUCER, ProduceResponse).responses
        (partition,) = topic.partition_responses
        assert partition.error_code in (ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD)
        assert leo(bench) == 1


REQUESTS = api_versions()
"""Every API at every version the codec knows, served by the broker or not."""


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_request_of_any_api_is_survived(data: st.DataObject) -> None:
    """Random requests from random peers: no exception escapes, invariants hold, and the
    committed record stays where it was."""
    made = Bench()
    leader(made)
    for _ in range(data.draw(st.integers(1, 6), label="requests")):
        api, version = data.draw(st.sampled_from(REQUESTS), label="api")
        body = data.draw(message_at(api, version, "request"), label="body")
        peer = NodeId(data.draw(st.sampled_from(["client-1", "broker-2", "broker-100"])))
        envelope = KafkaRequest(correlation_id=made.correlation, api_version=version, body=body)
        made.correlation += 1
        made.send(peer, B1, envelope)
        made.advance(data.draw(st.integers(0, 2000), label="wait"))
        made.settle()
        for answer in made.take(peer):
            assert isinstance(answer, KafkaResponse | KafkaRequest)
        made.received.clear()
    log = made.brokers[B1].log(TOPIC, 0)
    if log is not None:  # a random StopReplica may have deleted it, and that is allowed
        assert values_of(log.read(0, max_bytes=0))[:1] == ["kept"]
