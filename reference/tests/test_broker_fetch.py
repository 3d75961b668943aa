"""The fetch path on a leader: consumer reads below the HW, long polls, fencing (REPL-12),
ListOffsets and OffsetForLeaderEpoch (KIP-279).

Broker 1 leads ``orders-0`` with ISR {1} unless a test says otherwise, so every appended batch
is committed at once; a fake follower ``broker-2`` is used where the HW must lag.
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode
from glasskafka.ids import NodeId
from glasskafka.protocol.messages.fetch import FetchResponse
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from glasskafka.protocol.messages.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition,
    OffsetForLeaderTopic,
)
from glasskafka.protocol.messages.produce import ProduceResponse
from tests.test_broker_harness import (
    CONSUMER,
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


def produce(bench: Bench, *values: str, timestamp: int = 1000) -> None:
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch(*values, timestamp=timestamp))))
    bench.take_one(PRODUCER, ProduceResponse)


def consume(bench: Bench, offset: int, **options: object) -> tuple[int, int, list[str]]:
    bench.send(CONSUMER, B1, bench.envelope(fetch_request(offset, **options)))  # type: ignore[arg-type]
    return one_partition(bench.take_one(CONSUMER, FetchResponse))


def test_a_consumer_gets_whole_batches_from_the_one_holding_the_offset(bench: Bench) -> None:
    """wire-protocol.md §6: the batch *containing* fetch_offset, whole, and KIP-74's one batch."""
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    produce(bench, "a", "b", "c")
    produce(bench, "d")
    assert consume(bench, 0) == (0, 4, ["a", "b", "c", "d"])
    assert consume(bench, 1) == (0, 4, ["a", "b", "c", "d"])  # mid-batch: the whole batch
    assert consume(bench, 3) == (0, 4, ["d"])
    assert consume(bench, 4) == (0, 4, [])  # at the LEO: nothing yet
    assert consume(bench, 0, max_bytes=1) == (0, 4, ["a", "b", "c"])  # KIP-74: one batch anyway
    assert consume(bench, 5)[0] == ErrorCode.OFFSET_OUT_OF_RANGE
    assert consume(bench, -1)[0] == ErrorCode.OFFSET_OUT_OF_RANGE


def test_a_consumer_reads_only_below_the_high_watermark(bench: Bench) -> None:
    """REPL-6: records between the HW and the LEO are not visible."""
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1, 2))
    produce(bench, "a")
    assert consume(bench, 0) == (0, 0, [])
    bench.send(FOLLOWER, B1, bench.envelope(fetch_request(1, replica_id=2, epoch=1)))
    assert one_partition(bench.take_one(FOLLOWER, FetchResponse))[:2] == (0, 1)
    assert consume(bench, 0) == (0, 1, ["a"])


def test_a_long_poll_waits_for_data_or_for_its_deadline(bench: Bench) -> None:
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    bench.send(CONSUMER, B1, bench.envelope(fetch_request(0, max_wait_ms=500)))
    bench.advance(100)
    assert bench.take(CONSUMER) == []
    produce(bench, "a")  # the HW passes offset 0: the parked fetch completes
    assert one_partition(bench.take_one(CONSUMER, FetchResponse)) == (0, 1, ["a"])
    bench.send(CONSUMER, B1, bench.envelope(fetch_request(1, max_wait_ms=500)))
    bench.advance(499)
    assert bench.take(CONSUMER) == []
    bench.advance(1)
    assert one_partition(bench.take_one(CONSUMER, FetchResponse)) == (0, 1, [])


def test_fetch_epoch_fencing(bench: Bench) -> None:
    """REPL-12 / KIP-320: older epoch FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH."""
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=5, isr=(1,))
    produce(bench, "a")
    assert consume(bench, 0, epoch=4)[0] == ErrorCode.FENCED_LEADER_EPOCH
    assert consume(bench, 0, epoch=6)[0] == ErrorCode.UNKNOWN_LEADER_EPOCH
    assert consume(bench, 0, epoch=5) == (0, 1, ["a"])
    assert consume(bench, 0, epoch=-1) == (0, 1, ["a"])  # none given: not checked
    assert consume(bench, 0, partition=3)[0] == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def list_offsets(
    bench: Bench, timestamp: int, *, epoch: int = -1, version: int = -1
) -> tuple[int, int, int, int]:
    body = ListOffsetsRequest(
        replica_id=-1,
        topics=(
            ListOffsetsTopic(
                name=TOPIC,
                partitions=(
                    ListOffsetsPartition(
                        partition_index=0, current_leader_epoch=epoch, timestamp=timestamp
                    ),
                ),
            ),
        ),
    )
    bench.send(CONSUMER, B1, bench.envelope(body, api_version=version))
    (topic,) = bench.take_one(CONSUMER, ListOffsetsResponse).topics
    (found,) = topic.partitions
    return found.error_code, found.offset, found.timestamp, found.leader_epoch


def test_list_offsets_earliest_latest_and_by_time(bench: Bench) -> None:
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=2, isr=(1, 2))
    produce(bench, "a", "b", timestamp=1000)
    produce(bench, "c", timestamp=2000)
    bench.send(FOLLOWER, B1, bench.envelope(fetch_request(2, replica_id=2, epoch=2)))
    bench.take_one(FOLLOWER, FetchResponse)  # the HW is now 2; offset 2 is not committed
    assert list_offsets(bench, -2) == (0, 0, -1, 2)
    assert list_offsets(bench, -1) == (0, 2, -1, 2)  # the HW, not the LEO
    assert list_offsets(bench, 1000) == (0, 0, 1000, 2)
    assert list_offsets(bench, 1500) == (0, -1, -1, -1)  # c (2000) is above the HW
    assert list_offsets(bench, -1, version=3) == (0, 2, -1, -1)  # no epoch before v4
    assert list_offsets(bench, -1, epoch=1)[0] == ErrorCode.FENCED_LEADER_EPOCH
    assert list_offsets(bench, -3)[0] == ErrorCode.INVALID_REQUEST


def epoch_end(bench: Bench, asked: int, *, current: int = -1) -> tuple[int, int, int]:
    body = OffsetForLeaderEpochRequest(
        replica_id=2,
        topics=(
            OffsetForLeaderTopic(
                topic=TOPIC,
                partitions=(
                    OffsetForLeaderPartition(
                        partition=0, current_leader_epoch=current, leader_epoch=asked
                    ),
                ),
            ),
        ),
    )
    bench.send(FOLLOWER, B1, bench.envelope(body))
    (topic,) = bench.take_one(FOLLOWER, OffsetForLeaderEpochResponse).topics
    (answer,) = topic.partitions
    return answer.error_code, answer.leader_epoch, answer.end_offset


def test_offset_for_leader_epoch_answers_the_largest_epoch_not_above_the_one_asked(
    bench: Bench,
) -> None:
    """KIP-279: (largest epoch <= asked, where it ends); the current epoch ends at the LEO."""
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    produce(bench, "a", "b")
    bench.leader_and_isr(1, leader=1, leader_epoch=3, isr=(1,))
    produce(bench, "c")
    state = bench.brokers[B1].partition_state(TOPIC, 0)
    assert state is not None and state.epoch_cache == ((1, 0), (3, 2))
    assert epoch_end(bench, 1) == (0, 1, 2)
    assert epoch_end(bench, 2) == (0, 1, 2)  # never had epoch 2: epoch 1, ending at 2
    assert epoch_end(bench, 3) == (0, 3, 3)
    assert epoch_end(bench, 0) == (0, 0, 0)  # older than every entry: the first start
    assert epoch_end(bench, 7) == (0, -1, -1)
    assert epoch_end(bench, 1, current=2)[0] == ErrorCode.FENCED_LEADER_EPOCH
    assert epoch_end(bench, 1, current=4)[0] == ErrorCode.UNKNOWN_LEADER_EPOCH


def test_a_consumer_checks_its_position_with_offset_for_leader_epoch(bench: Bench) -> None:
    """KIP-320: Metadata shows real epochs, so a consumer (replica_id -1, v2-3) may ask too."""
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    produce(bench, "a", "b")
    bench.leader_and_isr(1, leader=1, leader_epoch=2, isr=(1,))
    asked = OffsetForLeaderPartition(partition=0, current_leader_epoch=2, leader_epoch=1)
    body = OffsetForLeaderEpochRequest(
        replica_id=-1, topics=(OffsetForLeaderTopic(topic=TOPIC, partitions=(asked,)),)
    )
    for version in (2, 3):
        bench.send(CONSUMER, B1, bench.envelope(body, api_version=version))
        (topic,) = bench.take_one(CONSUMER, OffsetForLeaderEpochResponse).topics
        (answer,) = topic.partitions
        assert (answer.error_code, answer.leader_epoch, answer.end_offset) == (0, 1, 2)
