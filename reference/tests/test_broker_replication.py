"""Replication on the leader: the high watermark, fenced progress, ISR shrink and expansion with
conditional writes, version conflicts and lost answers (REPL-8, REPL-12, REPL-13, CTRL-1).

Broker 1 leads ``orders-0`` over the real coordination server; followers 2 and 3 are fake, and
the test sends their fetches by hand.
"""

from __future__ import annotations

import json

from glasskafka.broker import IsrWriteResult, IsrWriteSent, PartitionView, ReplicaFetchServed
from glasskafka.controller.znodes import (
    PartitionState,
    decode_isr_change,
    decode_partition_state,
    encode_partition_state,
    partition_state_path,
)
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, NodeId, PartitionId, TopicName
from glasskafka.protocol.messages.fetch import FetchResponse
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
)

__all__ = ["bench"]

B1 = NodeId("broker-1")
STATE_PATH = partition_state_path(TopicName(TOPIC), PartitionId(0))


def lead(bench: Bench, *, isr: tuple[int, ...], epoch: int = 1) -> None:
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=epoch, isr=isr, replicas=(1, 2, 3))


def produce(bench: Bench, *values: str) -> None:
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch(*values))))
    bench.take_one(PRODUCER, ProduceResponse)


def fetch_from(
    bench: Bench, follower: int, offset: int, *, epoch: int = 1
) -> tuple[int, int, list[str]]:
    peer = NodeId(f"broker-{follower}")
    bench.send(peer, B1, bench.envelope(fetch_request(offset, replica_id=follower, epoch=epoch)))
    return one_partition(bench.take_one(peer, FetchResponse))


def state(bench: Bench) -> PartitionView:
    found = bench.brokers[B1].partition_state(TOPIC, 0)
    assert found is not None
    return found


def zk_isr(bench: Bench) -> tuple[int, ...]:
    read = bench.zk_read(STATE_PATH)
    assert read.stat is not None
    return decode_partition_state(read.data, zk_version=read.stat.version).isr


def children(bench: Bench, path: str) -> list[str]:
    prefix = path + "/"
    return sorted(p.removeprefix(prefix) for p in bench.zk.paths() if p.startswith(prefix))


def test_the_hw_is_the_smallest_leo_over_the_isr(bench: Bench) -> None:
    lead(bench, isr=(1, 2, 3))
    produce(bench, "a", "b")
    assert fetch_from(bench, 2, 0) == (0, 0, ["a", "b"])
    assert fetch_from(bench, 2, 2) == (0, 0, [])  # 3 has not fetched: its LEO is unknown
    assert fetch_from(bench, 3, 1)[:2] == (0, 1)
    assert fetch_from(bench, 3, 2)[:2] == (0, 2)
    assert state(bench).high_watermark == 2
    assert state(bench).follower_log_end_offsets == ((2, 2), (3, 2))


def test_a_fetch_from_another_epoch_moves_neither_hw_nor_isr(bench: Bench) -> None:
    """REPL-12: only fetches carrying the leader's epoch count."""
    lead(bench, isr=(1, 2), epoch=3)
    produce(bench, "a")
    before = state(bench)
    assert fetch_from(bench, 2, 1, epoch=2)[0] == ErrorCode.FENCED_LEADER_EPOCH
    assert fetch_from(bench, 2, 1, epoch=4)[0] == ErrorCode.UNKNOWN_LEADER_EPOCH
    assert fetch_from(bench, 2, 1, epoch=-1) == (0, 0, [])  # served, not counted
    assert state(bench) == before
    (served,) = bench.brokers[B1].events
    assert isinstance(served, ReplicaFetchServed) and not served.counted
    assert fetch_from(bench, 2, 1, epoch=3)[:2] == (0, 1)


def test_a_lagging_follower_leaves_the_isr_by_a_conditional_write(bench: Bench) -> None:
    """CTRL-1, REPL-7: the shrink is written with the znode's version, applied once confirmed,
    and announced in /isr_change_notification; the leader never leaves its own ISR."""
    lead(bench, isr=(1, 2, 3))
    produce(bench, "a")
    version = bench.zk_read(STATE_PATH).stat.version  # type: ignore[union-attr]
    bench.advance(9000)
    fetch_from(bench, 2, 1)  # 2 keeps up; 3 never fetches
    bench.advance(6000)  # the isr-expiration task runs at 15000: 3 is 15 s behind
    assert state(bench).isr == frozenset({1, 2})
    assert zk_isr(bench) == (1, 2)
    assert bench.zk_read(STATE_PATH).stat.version == version + 1  # type: ignore[union-attr]
    (notification,) = children(bench, "/isr_change_notification")
    data = bench.zk_read(f"/isr_change_notification/{notification}").data
    assert decode_isr_change(data) == ((TopicName(TOPIC), PartitionId(0)),)
    assert state(bench).high_watermark == 1  # 3 no longer holds the HW back
    bench.advance(30000)  # 2 stops fetching, but it is at the leader's LEO: still in sync
    assert state(bench).isr == frozenset({1, 2})
    produce(bench, "b")  # now 2 is behind, and has not caught up for 36 s
    bench.advance(5000)
    assert state(bench).isr == frozenset({1})  # the leader itself always stays
    assert zk_isr(bench) == (1,)


def test_a_follower_joins_only_at_max_of_hw_and_epoch_start(bench: Bench) -> None:
    """REPL-13, KIP-320: the follower's LEO must reach max(HW, LESO), in this epoch."""
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,), replicas=(1, 2))
    produce(bench, "a", "b")
    bench.leader_and_isr(1, leader=1, leader_epoch=2, isr=(1,), replicas=(1, 2))
    assert state(bench).leader_epoch_start_offset == 2
    fetch_from(bench, 2, 1, epoch=2)
    assert state(bench).isr == frozenset({1})  # LEO 1 < LESO 2
    bench.take_events(1)
    assert bench.zk_read(STATE_PATH).stat.version == 1  # type: ignore[union-attr]
    fetch_from(bench, 2, 2, epoch=2)
    assert state(bench).isr == frozenset({1, 2})
    assert zk_isr(bench) == (1, 2)
    sent, result = [e for e in bench.take_events(1) if isinstance(e, IsrWriteSent | IsrWriteResult)]
    assert isinstance(sent, IsrWriteSent) and sent.isr == frozenset({1, 2})
    assert isinstance(result, IsrWriteResult) and result.succeeded


def test_a_version_conflict_is_not_applied_and_the_znode_is_read_back(bench: Bench) -> None:
    """CTRL-1: on BADVERSION the leader keeps its ISR; it learns the new version and retries."""
    lead(bench, isr=(1, 2, 3))
    same = PartitionState(
        leader=BrokerId(1),
        leader_epoch=Epoch(1),
        isr=(BrokerId(1), BrokerId(2), BrokerId(3)),
        controller_epoch=Epoch(1),
    )
    bench.zk_write(STATE_PATH, encode_partition_state(same))  # an operator rewrites it
    bench.take_events(1)
    bench.advance(15000)
    events = [e for e in bench.take_events(1) if isinstance(e, IsrWriteSent | IsrWriteResult)]
    assert [type(e).__name__ for e in events] == ["IsrWriteSent", "IsrWriteResult"]
    result = events[1]
    assert isinstance(result, IsrWriteResult)
    assert not result.succeeded and not result.outcome_unknown
    assert state(bench).isr == frozenset({1, 2, 3})
    assert state(bench).pending_isr is None
    assert state(bench).zk_version == 1  # read back
    bench.advance(5000)  # the next run of the task succeeds with the version it read
    assert state(bench).isr == frozenset({1})
    assert zk_isr(bench) == (1,)


def test_a_lost_answer_keeps_the_proposal_pending_until_the_znode_is_read(bench: Bench) -> None:
    """REPL-8: while the outcome is unknown the HW waits for the proposed members too."""
    lead(bench, isr=(1,))
    produce(bench, "a")
    fetch_from(bench, 2, 0)
    bench.hold_zk = True
    fetch_from(bench, 2, 1)  # 2 caught up: the leader proposes {1, 2}
    assert state(bench).pending_isr == frozenset({1, 2})
    assert state(bench).maximal_isr == frozenset({1, 2})
    bench.deliver(B1, ZK)  # the write reaches zk and is applied...
    bench.drop(ZK, B1)  # ...but its answer is lost with the connection
    bench.lose_connection(B1, ZK)
    assert state(bench).pending_isr == frozenset({1, 2})
    produce(bench, "b")
    assert state(bench).high_watermark == 1  # waits for 2, which may be in the ISR
    bench.hold_zk = False
    bench.advance(1000)  # reconnect, resume the session, read the znode back
    assert state(bench).isr == frozenset({1, 2})
    assert state(bench).pending_isr is None
    assert zk_isr(bench) == (1, 2)


def test_a_write_that_never_arrived_is_dropped_after_reading_back(bench: Bench) -> None:
    lead(bench, isr=(1,))
    produce(bench, "a")
    bench.hold_zk = True
    fetch_from(bench, 2, 1)
    bench.lose_connection(B1, ZK)  # the write is lost before zk sees it
    bench.hold_zk = False
    bench.advance(1000)
    assert state(bench).isr == frozenset({1})
    assert state(bench).pending_isr is None
    assert zk_isr(bench) == (1,)
    fetch_from(bench, 2, 1)  # the next fetch proposes it again, and this time it lands
    assert state(bench).isr == frozenset({1, 2})


def test_the_isr_change_notification_is_kafkas_json(bench: Bench) -> None:
    lead(bench, isr=(1,))
    fetch_from(bench, 2, 0)
    (child,) = children(bench, "/isr_change_notification")
    assert child.startswith("isr_change_")
    data = json.loads(bench.zk_read(f"/isr_change_notification/{child}").data)
    assert data == {"partitions": [{"partition": 0, "topic": TOPIC}], "version": 1}
