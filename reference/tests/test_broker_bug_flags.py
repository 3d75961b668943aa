"""Each of the broker's bug flags changes exactly the behaviour its catalogue entry describes.

For every flag: the same short run with the flag off (glasskafka as designed) and on (the
historical bug), showing the one decision that differs.  The model suite proves that the
difference breaks the invariants the catalogue names; these tests pin down where it acts.
"""

from __future__ import annotations

import pytest
from glasskafka.broker import Truncated
from glasskafka.bugs import CATALOGUE, NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId, Offset
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition,
    OffsetForLeaderTopic,
)
from glasskafka.protocol.messages.produce import ProduceResponse
from tests.test_broker_harness import (
    PRODUCER,
    TOPIC,
    ZK,
    Bench,
    batch,
    bench,
    fetch_request,
    one_partition,
    produce_request,
    values_of,
)

__all__ = ["bench"]

B1 = NodeId("broker-1")
B2 = NodeId("broker-2")
BROKER_FLAGS = [
    "truncate_to_local_hw_on_follow",
    "kip101_lookup",
    "skip_truncation_if_same_leader",
    "unfenced_fetch",
    "expand_isr_on_hw_only",
    "apply_isr_change_before_zk_ack",
    "ack_before_hw",
]


def flags(name: str, on: bool) -> BugFlags:
    return BugFlags.only(name) if on else NO_BUGS


def produce(bench: Bench, *values: str, acks: int = 1) -> None:
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch(*values), acks=acks)))
    bench.take_one(PRODUCER, ProduceResponse)


def follower_fetch(
    bench: Bench, follower: int, offset: int, epoch: int
) -> tuple[int, int, list[str]]:
    peer = NodeId(f"broker-{follower}")
    bench.send(peer, B1, bench.envelope(fetch_request(offset, replica_id=follower, epoch=epoch)))
    return one_partition(bench.take_one(peer, FetchResponse))


def test_every_broker_flag_is_catalogued_here() -> None:
    assert set(BROKER_FLAGS) <= set(CATALOGUE)
    assert {CATALOGUE[name].location.split("/")[1] for name in BROKER_FLAGS} == {"broker"}


@pytest.mark.parametrize("on", [False, True])
def test_truncate_to_local_hw_on_follow(bench: Bench, on: bool) -> None:
    """S1: a follower with LEO 2 and HW 1 gets a new epoch; the bug cuts m2 (KIP-101)."""
    broker = bench.add_broker(1, bugs=flags("truncate_to_local_hw_on_follow", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,), replicas=(1, 2))
    produce(bench, "m1")
    produce(bench, "m2")
    partition = broker.replicas.partitions[(TOPIC, 0)]  # type: ignore[index]
    partition.high_watermark = Offset(1)  # as a follower whose HW lags a round trip behind
    bench.leader_and_isr(1, leader=2, leader_epoch=2, isr=(1, 2), replicas=(1, 2))
    cuts = [e for e in bench.take_events(1) if isinstance(e, Truncated)]
    state = broker.partition_state(TOPIC, 0)
    assert state is not None
    if on:
        assert [(c.from_offset, c.to_offset, c.reason) for c in cuts] == [
            (2, 1, "own high watermark")
        ]
        assert state.log_end_offset == 1
        (request,) = bench.take(B2)
        assert isinstance(request, KafkaRequest) and isinstance(request.body, FetchRequest)
    else:
        assert cuts == [] and state.log_end_offset == 2
        (request,) = bench.take(B2)
        assert isinstance(request, KafkaRequest)
        assert isinstance(request.body, OffsetForLeaderEpochRequest)


@pytest.mark.parametrize("on", [False, True])
def test_kip101_lookup(bench: Bench, on: bool) -> None:
    """S3: asked where epoch 2 ends, a leader with epochs {1: 0, 3: 2} answers (1, 2) by
    KIP-279 -- or, with the bug, "2" with no epoch, the start of the next larger epoch."""
    bench.add_broker(1, bugs=flags("kip101_lookup", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    produce(bench, "m1", "m2")
    bench.leader_and_isr(1, leader=1, leader_epoch=3, isr=(1,))
    produce(bench, "m4")
    asked = OffsetForLeaderPartition(partition=0, current_leader_epoch=3, leader_epoch=2)
    body = OffsetForLeaderEpochRequest(
        replica_id=2, topics=(OffsetForLeaderTopic(topic=TOPIC, partitions=(asked,)),)
    )
    bench.send(B2, B1, bench.envelope(body))
    (topic,) = bench.take_one(B2, OffsetForLeaderEpochResponse).topics
    (answer,) = topic.partitions
    assert (answer.leader_epoch, answer.end_offset) == ((-1, 2) if on else (1, 2))


@pytest.mark.parametrize("on", [False, True])
def test_skip_truncation_if_same_leader(bench: Bench, on: bool) -> None:
    """S4 (KAFKA-7164): a newer epoch from the same leader; the bug skips reconciliation."""
    broker = bench.add_broker(1, bugs=flags("skip_truncation_if_same_leader", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=0, isr=(1,), replicas=(1, 2, 3))
    produce(bench, "x")
    bench.leader_and_isr(1, leader=2, leader_epoch=1, isr=(2,), replicas=(1, 2, 3))
    bench.take(B2)
    bench.lose_connection(B1, B2)  # that request goes unanswered
    bench.leader_and_isr(1, leader=2, leader_epoch=2, isr=(2,), replicas=(1, 2, 3))
    (request,) = bench.take(B2)
    assert isinstance(request, KafkaRequest)
    expected = FetchRequest if on else OffsetForLeaderEpochRequest
    assert isinstance(request.body, expected)
    assert str(broker.fetch_state(TOPIC, 0)) == (
        "FetchState.FETCHING" if on else "FetchState.TRUNCATING"
    )


@pytest.mark.parametrize("on", [False, True])
def test_unfenced_fetch(bench: Bench, on: bool) -> None:
    """S5 (KIP-320): a fetch from epoch 2 reaches a leader of epoch 3."""
    broker = bench.add_broker(1, bugs=flags("unfenced_fetch", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=3, isr=(1, 2))
    produce(bench, "a")
    error, hw, _ = follower_fetch(bench, 2, 1, epoch=2)
    state = broker.partition_state(TOPIC, 0)
    assert state is not None
    if on:
        assert (error, hw, state.high_watermark) == (0, 1, 1)  # served and counted
    else:
        assert (error, state.high_watermark) == (ErrorCode.FENCED_LEADER_EPOCH, 0)


@pytest.mark.parametrize("on", [False, True])
def test_expand_isr_on_hw_only(bench: Bench, on: bool) -> None:
    """S6 (KAFKA-7128): a new leader whose HW (0) lags its epoch start (1) admits an empty
    follower only with the bug."""
    broker = bench.add_broker(1, bugs=flags("expand_isr_on_hw_only", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1, 2), replicas=(1, 2, 3))
    produce(bench, "m1")  # m1 is on 1 only; the HW is still 0
    # Re-elected in epoch 2; 2 is still listed in sync but has not fetched in this epoch.
    bench.leader_and_isr(1, leader=1, leader_epoch=2, isr=(1, 2), replicas=(1, 2, 3))
    follower_fetch(bench, 3, 0, epoch=2)
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and state.high_watermark == 0 and state.leader_epoch_start_offset == 1
    assert state.isr == (frozenset({1, 2, 3}) if on else frozenset({1, 2}))


@pytest.mark.parametrize("on", [False, True])
def test_apply_isr_change_before_zk_ack(bench: Bench, on: bool) -> None:
    """S7: while a shrink to {1, 2} is unconfirmed the HW moves over {1, 2} only with the bug;
    as designed it waits for 3, which ZooKeeper still lists."""
    broker = bench.add_broker(1, bugs=flags("apply_isr_change_before_zk_ack", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1, 2, 3), replicas=(1, 2, 3))
    produce(bench, "a")
    bench.advance(9000)
    follower_fetch(bench, 2, 1, epoch=1)
    bench.hold_zk = True
    bench.advance(6000)  # 3 is out of sync: the leader proposes {1, 2}; zk has not answered
    produce(bench, "b")
    follower_fetch(bench, 2, 2, epoch=1)
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and state.pending_isr == frozenset({1, 2})
    if on:
        assert (state.maximal_isr, state.high_watermark) == (frozenset({1, 2}), 2)
    else:
        assert (state.maximal_isr, state.high_watermark) == (frozenset({1, 2, 3}), 0)
    bench.hold_zk = False
    bench.pump()
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and state.isr == frozenset({1, 2}) and state.high_watermark == 2
    assert ZK in bench.timers


@pytest.mark.parametrize("on", [False, True])
def test_ack_before_hw(bench: Bench, on: bool) -> None:
    """acks=all answered right after the local append with the bug, like acks=1."""
    bench.add_broker(1, bugs=flags("ack_before_hw", on))
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1, 2))
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("m1"), acks=-1)))
    if on:
        (topic,) = bench.take_one(PRODUCER, ProduceResponse).responses
        assert [(p.error_code, p.base_offset) for p in topic.partition_responses] == [(0, 0)]
    else:
        assert bench.take(PRODUCER) == []
        follower_fetch(bench, 2, 1, epoch=1)
        bench.take_one(PRODUCER, ProduceResponse)


# ---------------------------------------------------------------------------------------------
# Two scenarios end to end, between real brokers (reachable by ordinary inputs)


def log_values(bench: Bench, broker: int) -> list[str]:
    log = bench.brokers[NodeId(f"broker-{broker}")].log(TOPIC, 0)
    assert log is not None
    return values_of(log.read(0, max_bytes=1 << 20)) if log.log_end_offset else []


def produce_to(bench: Bench, broker: int, value: str) -> None:
    bench.send(PRODUCER, NodeId(f"broker-{broker}"), bench.envelope(produce_request(batch(value))))
    bench.take_one(PRODUCER, ProduceResponse)


@pytest.mark.parametrize("on", [False, True])
def test_s3_end_to_end(bench: Bench, on: bool) -> None:
    """S3 with brokers A=1 and B=2: under ``kip101_lookup`` B keeps m3 where A holds m2."""
    bugs = flags("kip101_lookup", on)
    bench.add_broker(1, bugs=bugs)
    bench.add_broker(2, bugs=bugs)
    for broker in (1, 2):
        bench.leader_and_isr(broker, leader=1, leader_epoch=1, isr=(1, 2))
    bench.settle()
    produce_to(bench, 1, "m1")
    bench.settle()
    produce_to(bench, 1, "m2")  # A appends m2; the fetch response carrying it is lost
    bench.drop(B1, B2)
    bench.leader_and_isr(2, leader=2, leader_epoch=2, isr=(2,))  # A does not hear of epoch 2
    produce_to(bench, 2, "m3")
    bench.crash(2)  # B stops cleanly (its disk is kept)
    bench.leader_and_isr(1, leader=1, leader_epoch=3, isr=(1,))
    produce_to(bench, 1, "m4")
    bench.add_broker(2, bugs=bugs)
    bench.leader_and_isr(2, leader=1, leader_epoch=3, isr=(1,))
    bench.settle()
    assert log_values(bench, 1) == ["m1", "m2", "m4"]
    assert log_values(bench, 2) == (["m1", "m3", "m4"] if on else ["m1", "m2", "m4"])
    bench.take_events(1)
    bench.take_events(2)
    bench.in_flight.clear()


@pytest.mark.parametrize("on", [False, True])
def test_s4_end_to_end(bench: Bench, on: bool) -> None:
    """S4 with r1, r2, r3: under ``skip_truncation_if_same_leader`` r3 keeps x@0/0."""
    bugs = flags("skip_truncation_if_same_leader", on)
    for broker in (1, 2, 3):
        bench.add_broker(broker, bugs=bugs)
    every = (1, 2, 3)
    for broker in every:
        bench.leader_and_isr(broker, leader=1, leader_epoch=0, isr=every, replicas=every)
    bench.settle()
    produce_to(bench, 1, "x")
    bench.lose_connection(B1, B2)  # r2 does not get x
    bench.deliver(B1, NodeId("broker-3"))  # r3 does
    bench.lose_connection(B1, NodeId("broker-3"))
    for broker in (1, 2):  # r3 never hears of epoch 1
        bench.leader_and_isr(broker, leader=2, leader_epoch=1, isr=(2,), replicas=every)
    bench.settle()
    assert log_values(bench, 1) == []  # r1 truncated x to follow r2
    bench.crash(2)
    for broker in (1, 3):
        bench.leader_and_isr(broker, leader=1, leader_epoch=2, isr=(1, 3), replicas=every)
    produce_to(bench, 1, "y")
    bench.settle()
    assert log_values(bench, 1) == ["y"]
    assert log_values(bench, 3) == (["x"] if on else ["y"])
    bench.take_events(1)
    bench.take_events(3)
    bench.in_flight.clear()
