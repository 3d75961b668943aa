"""Truncation by leader epoch (KIP-101, KIP-279): the follower cuts exactly at the divergence point.

Three layers: the divergence cases of Vanlightly/kafka-tlaplus ``description/3_log_divergence.md``
(A to G) as unit vectors for the rounds of OffsetForLeaderEpoch; a Hypothesis property that the
rounds always stop at ``specs.replication_steps.divergence_offset`` for histories a cluster can
reach; and end-to-end runs between two real brokers (REPL-14, REPL-1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from glasskafka.broker import Truncated
from glasskafka.broker.effects import Effects
from glasskafka.broker.partition import Partition
from glasskafka.broker.truncation import truncate_partition, truncation_point
from glasskafka.config import TopicConfig
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId, Offset, PartitionId, TopicName
from glasskafka.log import LogManager, PartitionLog
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.offset_for_leader_epoch import OffsetForLeaderEpochRequest
from glasskafka.protocol.messages.produce import ProduceResponse
from glasskafka.records import Record, encode_batch
from glasskafka.sim.kafka_snapshot import ReplicaState
from glasskafka.storage import SimDisk
from hypothesis import given
from hypothesis import strategies as st
from tests.test_broker_harness import PRODUCER, TOPIC, Bench, batch, bench, produce_request

from specs.replication_steps import divergence_offset

__all__ = ["bench"]

B1 = NodeId("broker-1")
B2 = NodeId("broker-2")


# ---------------------------------------------------------------------------------------------
# The rounds, on logs built from epoch lists


@dataclass
class Replica:
    """A log holding one record per offset, with the given batch epochs."""

    partition: Partition
    manager: LogManager


def replica(epochs: list[int], *, leader_epoch: int | None = None) -> Replica:
    """A replica whose log has these record epochs; a leader also notes its epoch at its LEO."""
    manager = LogManager(disk=SimDisk(), default_config=TopicConfig())
    log = manager.get_or_create_log(TOPIC, 0, now_ms=0)
    for offset, epoch in enumerate(epochs):
        log.append_as_leader(
            encode_batch([Record(value=f"r{offset}e{epoch}".encode())]),
            leader_epoch=epoch,
            now_ms=0,
        )
    partition = Partition(
        topic=TopicName(TOPIC), partition=PartitionId(0), local_broker_id=BrokerId(1), log=log
    )
    if leader_epoch is not None:
        partition.become_leader(
            leader_epoch=Epoch(leader_epoch),
            isr=frozenset({BrokerId(1)}),
            replicas=(BrokerId(1),),
            zk_version=0,
            controller_epoch=Epoch(1),
            now_ms=Millis(0),
        )
    return Replica(partition=partition, manager=manager)


def reconcile(follower: Replica, leader: PartitionLog) -> tuple[int, int]:
    """Run OffsetForLeaderEpoch rounds until the follower is done; ``(its LEO, rounds)``."""
    for rounds in range(1, 20):
        log = follower.partition.log
        if log.latest_epoch < 0:
            return log.log_end_offset, rounds - 1
        answer_epoch, end_offset = leader.end_offset_for_epoch(log.latest_epoch)
        offset, done = truncation_point(
            log, leader_epoch=answer_epoch, end_offset=end_offset, high_watermark=0
        )
        truncate_partition(
            follower.partition,
            follower.manager,
            offset,
            reason="test",
            now_ms=Millis(0),
            effects=Effects(),
        )
        if done:
            return follower.partition.log_end_offset, rounds
    raise AssertionError("reconciliation did not end")


def epochs_of(r: Replica) -> list[int]:
    log = r.partition.log
    return [log.epoch_cache.epoch_for_offset(o) for o in range(log.log_end_offset)]


# Each case: (leader log epochs, leader's current epoch, follower log epochs, truncation point).
DIVERGENCE_CASES = {
    "A: behind, same epoch": ([1, 1, 1, 1], 1, [1, 1], 2),
    "B: behind, later epoch": ([1, 1, 3, 3], 3, [1, 1], 2),
    "C: ahead, same epoch": ([1, 1], 1, [1, 1, 1, 1], 2),
    "D: ahead, later epoch": ([1, 1], 3, [1, 1, 2, 2], 2),
    "E: fork, both later epochs": ([1, 1, 3, 3], 3, [1, 1, 2, 2], 2),
    "F: fork, leader kept epoch 1": ([1, 1], 3, [1, 2, 2], 1),
    "G: no common epoch": ([1], 3, [2, 2], 0),
}


def test_the_divergence_cases_of_kafka_tlaplus() -> None:
    """Vanlightly/kafka-tlaplus 3_log_divergence.md, cases A-G (REPL-14)."""
    for name, (leader_epochs, current, follower_epochs, expected) in DIVERGENCE_CASES.items():
        leader = replica(leader_epochs, leader_epoch=current)
        follower = replica(follower_epochs)
        end, _ = reconcile(follower, leader.partition.log)
        assert end == expected, name
        assert epochs_of(follower) == leader_epochs[:expected], name


def test_s3_and_a_two_round_reconciliation() -> None:
    """KIP-279's S3 in one round; a history with no common epoch in two."""
    leader = replica([1, 1, 3], leader_epoch=3)  # A: m1@0/1, m2@1/1, m4@2/3
    follower = replica([1, 2])  # B: m1@0/1, m3@1/2
    assert reconcile(follower, leader.partition.log) == (1, 1)
    # Asked about 4, the leader answers "epoch 3 ends at 4"; the follower never had epoch 3, so
    # it cuts to the end of its epoch 2 (offset 1) and asks about 2: "epoch 1 ends at 2".
    follower = replica([2, 4, 4])
    leader = replica([1, 1, 3, 3], leader_epoch=5)
    assert reconcile(follower, leader.partition.log) == (0, 2)


def test_stale_epoch_entries_at_the_log_end_do_not_loop() -> None:
    """KAFKA-10706: a follower that led an empty epoch drops that entry even when nothing is cut."""
    follower = replica([1, 1], leader_epoch=3)  # led epoch 3 without writing: (3, 2) at the LEO
    follower.partition.become_follower(
        leader=BrokerId(2),
        leader_epoch=Epoch(4),
        replicas=(),
        zk_version=0,
        controller_epoch=Epoch(1),
    )
    leader = replica([1, 1, 2], leader_epoch=4)
    assert reconcile(follower, leader.partition.log) == (2, 2)
    assert follower.partition.log.epoch_cache.entries == [(1, 0)]


def histories() -> st.SearchStrategy[tuple[list[int], int, list[int]]]:
    """(leader epochs, leader's epoch, follower epochs) reachable by a cluster of 3 replicas:
    elections start new epochs at the new leader's LEO; replication copies the leader's log."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[int], int, list[int]]:
        logs: list[list[int]] = [[], [], []]
        leader, epoch = 0, 1
        for _ in range(draw(st.integers(1, 12))):
            step = draw(st.sampled_from(["append", "copy", "elect"]))
            if step == "append":
                logs[leader] += [epoch] * draw(st.integers(1, 2))
            elif step == "copy":
                who = draw(st.integers(0, 2))
                logs[who] = list(logs[leader][: draw(st.integers(0, len(logs[leader])))])
                if logs[who] != logs[leader][: len(logs[who])]:
                    logs[who] = []
            else:
                leader, epoch = draw(st.integers(0, 2)), epoch + 1
        follower = draw(st.sampled_from([i for i in range(3) if i != leader]))
        return logs[leader], epoch, logs[follower]

    return build()


def spec_replica(epochs: list[int], cache: list[tuple[int, int]]) -> ReplicaState:
    return ReplicaState(
        broker_id=BrokerId(1),
        log=tuple((f"r{o}e{e}", Epoch(e)) for o, e in enumerate(epochs)),
        epoch_cache=tuple((Epoch(e), Offset(s)) for e, s in cache),
    )


@given(histories())
def test_the_rounds_stop_at_the_divergence_point_of_the_spec(
    history: tuple[list[int], int, list[int]],
) -> None:
    """REPL-14: KIP-279's rounds cut exactly at ``divergence_offset`` (specs/replication_steps)."""
    leader_epochs, current, follower_epochs = history
    leader = replica(leader_epochs, leader_epoch=current)
    follower = replica(follower_epochs)
    expected = divergence_offset(
        spec_replica(follower_epochs, list(follower.partition.log.epoch_cache.entries)),
        spec_replica(leader_epochs, list(leader.partition.log.epoch_cache.entries)),
    )
    end, _ = reconcile(follower, leader.partition.log)
    assert end == expected
    assert epochs_of(follower) == leader_epochs[:end]


# ---------------------------------------------------------------------------------------------
# End to end, between two real brokers


def produce(bench: Bench, broker: NodeId, *values: str) -> None:
    bench.send(PRODUCER, broker, bench.envelope(produce_request(batch(*values), acks=1)))
    bench.take_one(PRODUCER, ProduceResponse)


def values(bench: Bench, broker: NodeId) -> list[str]:
    from tests.test_broker_harness import values_of

    log = bench.brokers[broker].log(TOPIC, 0)
    assert log is not None
    return values_of(log.read(0, max_bytes=1 << 20)) if log.log_end_offset else []


def test_a_follower_with_a_stale_tail_truncates_to_the_new_leader(bench: Bench) -> None:
    """Vanlightly 3.1: the old leader's uncommitted record goes; the committed one stays."""
    bench.add_broker(1)
    bench.add_broker(2)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1, 2))
    bench.leader_and_isr(2, leader=1, leader_epoch=1, isr=(1, 2))
    bench.settle(limit=5)  # broker 2 fetches (and its fetch parks at the leader)
    produce(bench, B1, "A")
    bench.settle(limit=20)
    produce(bench, B1, "B")  # B reaches nobody: the fetch carrying it is lost
    bench.drop(B1, B2)
    assert values(bench, B1) == ["A", "B"] and values(bench, B2) == ["A"]
    bench.leader_and_isr(2, leader=2, leader_epoch=2, isr=(2,))
    bench.leader_and_isr(1, leader=2, leader_epoch=2, isr=(2,))
    produce(bench, B2, "C")
    bench.settle(limit=40)
    assert values(bench, B1) == ["A", "C"] == values(bench, B2)
    cut = [e for e in bench.take_events(1) if isinstance(e, Truncated)]
    assert [(e.from_offset, e.to_offset) for e in cut] == [(2, 1)]
    bench.take_events(2)
    bench.drop(B1, B2)


def test_reconciliation_never_uses_the_local_high_watermark(bench: Bench) -> None:
    """S1 without the bug: the follower keeps a record above its own HW that the leader has."""
    bench.add_broker(1)
    bench.add_broker(2)
    bench.leader_and_isr(2, leader=2, leader_epoch=1, isr=(1, 2))
    bench.leader_and_isr(1, leader=2, leader_epoch=1, isr=(1, 2))
    produce(bench, B2, "m1")
    bench.settle()
    produce(bench, B2, "m2")  # completes broker 1's parked fetch
    bench.deliver(B2, B1)  # broker 1 appends m2; the response carried HW 1
    bench.lose_connection(B1, B2)  # its next fetch, which would have moved the HW, is lost
    state = bench.brokers[B1].partition_state(TOPIC, 0)
    assert state is not None and (state.log_end_offset, state.high_watermark) == (2, 1)
    bench.take_events(1)
    bench.leader_and_isr(1, leader=2, leader_epoch=2, isr=(1, 2))  # a new epoch, same leader
    (asked,) = [m for a, b, m in bench.in_flight if (a, b) == (B1, B2)]
    assert isinstance(asked, KafkaRequest) and isinstance(asked.body, OffsetForLeaderEpochRequest)
    bench.leader_and_isr(2, leader=2, leader_epoch=2, isr=(1, 2))
    bench.settle()
    assert values(bench, B1) == ["m1", "m2"]
    assert not [e for e in bench.take_events(1) if isinstance(e, Truncated)]
    bench.take_events(2)


def test_random_histories_settle_with_identical_logs(bench: Bench) -> None:
    """REPL-1 end to end: after leader changes, both replicas settle on the leader's log."""
    rng = random.Random(7)
    bench.add_broker(1)
    bench.add_broker(2)
    epoch, leader = 1, 1
    for _ in range(12):
        epoch += 1
        leader = rng.choice([1, 2])
        for broker in (1, 2):
            bench.leader_and_isr(broker, leader=leader, leader_epoch=epoch, isr=(leader,))
        produce(bench, NodeId(f"broker-{leader}"), f"e{epoch}")
        for _ in range(rng.randrange(0, 6)):
            if bench.in_flight:
                sender, to, _ = bench.in_flight[0]
                bench.deliver(sender, to)
    bench.settle(limit=200)
    assert values(bench, B1) == values(bench, B2)
    bench.take_events(1)
    bench.take_events(2)
    bench.in_flight.clear()
