"""The produce path: acks 0, 1 and all, the minISR gate (REPL-16), timeouts, connection muting.

One real leader (broker 1) with a fake follower (``broker-2``, whose fetches the test sends by
hand) and a fake producer; every answer is checked.
"""

from __future__ import annotations

from typing import Any

from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from glasskafka.protocol.messages.produce import ProduceResponse
from tests.test_broker_harness import (
    PRODUCER,
    TOPIC,
    Bench,
    batch,
    bench,
    fetch_request,
    one_partition,
    produce_request,
)

__all__ = ["bench"]

B1 = NodeId("broker-1")
FOLLOWER = NodeId("broker-2")


def outcome(response: ProduceResponse) -> tuple[int, int]:
    """(error, base offset) of a one-partition produce response."""
    (topic,) = response.responses
    (partition,) = topic.partition_responses
    return partition.error_code, partition.base_offset


def lead(bench: Bench, *, isr: tuple[int, ...] = (1, 2), **config: Any) -> None:
    bench.add_broker(1, **config)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=isr)


def follower_fetch(bench: Bench, offset: int, *, epoch: int = 1) -> FetchResponse:
    bench.send(FOLLOWER, B1, bench.envelope(fetch_request(offset, replica_id=2, epoch=epoch)))
    return bench.take_one(FOLLOWER, FetchResponse)


def test_acks_1_is_answered_after_the_local_append(bench: Bench) -> None:
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1", "m2"), acks=1)))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (0, 0)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m3"), acks=1)))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (0, 2)
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 3


def test_acks_0_is_never_answered_even_on_error(bench: Bench) -> None:
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=0)))
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("x"), acks=0, partition=7)))
    assert bench.take(PRODUCER) == []
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 1


def test_acks_all_waits_for_the_high_watermark(bench: Bench) -> None:
    """REPL-5: the answer goes out only once every ISR member has the batch."""
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1)))
    assert bench.take(PRODUCER) == []
    error, hw, values = one_partition(follower_fetch(bench, 0))
    assert (error, hw, values) == (0, 0, ["m1"])
    assert bench.take(PRODUCER) == []  # the follower has not shown it holds m1 yet
    error, hw, values = one_partition(follower_fetch(bench, 1))
    assert (error, hw, values) == (0, 1, [])
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (0, 0)
    state = bench.brokers[B1].partition_state(TOPIC, 0)
    assert state is not None and state.high_watermark == 1


def test_acks_all_is_refused_before_the_append_when_the_isr_is_too_small(bench: Bench) -> None:
    """REPL-16: NOT_ENOUGH_REPLICAS, and nothing is appended."""
    lead(bench, isr=(1,), min_insync_replicas=2)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1)))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (ErrorCode.NOT_ENOUGH_REPLICAS, -1)
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 0
    # acks=1 does not care about min.insync.replicas.
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=1)))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (0, 0)


def test_acks_all_after_the_isr_shrank_is_not_enough_replicas_after_append(bench: Bench) -> None:
    """REPL-16: the HW passed the batch with the ISR below minISR; the record stays."""
    lead(bench, isr=(1, 2), min_insync_replicas=2)
    bench.send(
        PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1, timeout_ms=60000))
    )
    assert bench.take(PRODUCER) == []
    bench.advance(15000)  # follower 2 never fetched: the isr-expiration task drops it
    error, base = outcome(bench.take_one(PRODUCER, ProduceResponse))
    assert (error, base) == (ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, 0)
    state = bench.brokers[B1].partition_state(TOPIC, 0)
    assert state is not None and state.isr == frozenset({1}) and state.high_watermark == 1


def test_acks_all_times_out_and_keeps_the_record(bench: Bench) -> None:
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1, timeout_ms=1000)))
    bench.advance(999)
    assert bench.take(PRODUCER) == []
    bench.advance(1)
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (ErrorCode.REQUEST_TIMED_OUT, 0)
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 1


def test_a_broker_that_stops_leading_answers_waiting_produces_not_leader(bench: Bench) -> None:
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1)))
    bench.leader_and_isr(1, leader=2, leader_epoch=2, isr=(2,))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        0,
    )
    (lookup,) = bench.take(FOLLOWER)  # the new follower's first OffsetForLeaderEpoch
    assert isinstance(lookup, KafkaRequest)
    assert isinstance(lookup.body, OffsetForLeaderEpochRequest)


def test_a_producers_later_requests_wait_behind_a_parked_one(bench: Bench) -> None:
    """Connection muting (wire-protocol.md §2): answers go out in request order."""
    lead(bench)
    first = bench.envelope(produce_request(batch("m1"), acks=-1, timeout_ms=1000))
    second = bench.envelope(produce_request(batch("m2"), acks=1))
    bench.send(PRODUCER, B1, first)
    bench.send(PRODUCER, B1, second)
    assert bench.take(PRODUCER) == []
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 1  # m2 waits, unread
    bench.advance(1000)
    answers = bench.take(PRODUCER)
    assert [a.correlation_id for a in answers if isinstance(a, KafkaResponse)] == [
        first.correlation_id,
        second.correlation_id,
    ]
    bodies = [a.body for a in answers if isinstance(a, KafkaResponse)]
    assert isinstance(bodies[0], ProduceResponse) and isinstance(bodies[1], ProduceResponse)
    assert outcome(bodies[0]) == (ErrorCode.REQUEST_TIMED_OUT, 0)
    assert outcome(bodies[1]) == (0, 1)
    # Other peers are never held back by this producer.
    assert one_partition(follower_fetch(bench, 0))[0] == 0


def test_a_lost_connection_drops_the_parked_produce(bench: Bench) -> None:
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1, timeout_ms=1000)))
    bench.lose_connection(PRODUCER, B1)
    bench.advance(2000)
    assert bench.take(PRODUCER) == []
    assert bench.brokers[B1].replicas.purgatory.operations == {}
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m2"), acks=1)))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (0, 1)


def test_produce_errors_per_partition(bench: Bench) -> None:
    lead(bench, message_max_bytes=200)
    cases = [
        (produce_request(batch("m1"), partition=5), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (produce_request(batch("m1"), partition=-1), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (produce_request(batch("m1"), topic="nope"), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (produce_request(batch("x" * 300)), ErrorCode.MESSAGE_TOO_LARGE),
        (produce_request(b"garbage-not-a-batch"), ErrorCode.CORRUPT_MESSAGE),
        (produce_request(batch("m1"), acks=2), ErrorCode.INVALID_REQUIRED_ACKS),
        (
            produce_request(batch("m1"), topic="__consumer_offsets"),
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ),
    ]
    for body, expected in cases:
        bench.send(PRODUCER, B1, bench.envelope(body))
        assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (expected, -1), body
    corrupted = bytearray(batch("m1"))
    corrupted[-1] ^= 0xFF  # the CRC no longer matches
    bench.send(PRODUCER, B1, bench.envelope(produce_request(bytes(corrupted))))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (ErrorCode.CORRUPT_MESSAGE, -1)
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 0  # nothing was appended


def test_a_follower_does_not_accept_produce(bench: Bench) -> None:
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=2, leader_epoch=1, isr=(1, 2))
    (fetch,) = bench.take(FOLLOWER)  # an empty log has no epoch to ask about: it fetches
    assert isinstance(fetch, KafkaRequest) and isinstance(fetch.body, FetchRequest)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"))))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        -1,
    )


def test_produce_versions_0_to_2_are_advertised_but_refused(bench: Bench) -> None:
    lead(bench)
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1")), api_version=2))
    assert outcome(bench.take_one(PRODUCER, ProduceResponse)) == (ErrorCode.UNSUPPORTED_VERSION, -1)
    log = bench.brokers[B1].log(TOPIC, 0)
    assert log is not None and log.log_end_offset == 0
