"""The partition log's public operations, example by example, on both kinds of disk.

Each test names the rule it checks; the LOG-n invariants are checked exhaustively by
``model_tests/test_log_model.py``.
"""

from __future__ import annotations

import pathlib
import struct
from collections.abc import Iterator

import pytest
from glasskafka.config import BrokerConfig, TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.log import (
    LEADER_EPOCH_CHECKPOINT,
    AppendOrigin,
    LogError,
    PartitionLog,
    read_epoch_checkpoint,
)
from glasskafka.records import (
    Record,
    decode_batch,
    encode_batch,
    encode_control_batch,
    iter_batches,
    read_header,
)
from glasskafka.storage import Disk, RealDisk, SimDisk

SMALL = TopicConfig(segment_bytes=400, index_interval_bytes=100)


@pytest.fixture(params=["sim", "real"])
def disk(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[Disk]:
    made: Disk = SimDisk() if request.param == "sim" else RealDisk(tmp_path)
    yield made
    made.close()


def batch(*values: bytes, timestamp: int = 1_000, key: bytes | None = b"k") -> bytes:
    return encode_batch([Record(key=key, value=v, timestamp=timestamp) for v in values])


def offsets_in(data: bytes) -> list[int]:
    return [r.offset for _, h in iter_batches(data) for r in decode_batch(data, _).records]


def test_a_new_log_is_one_empty_segment_named_by_offset_zero(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 3, SMALL, now_ms=0)
    assert disk.list_dir("orders-3") == [
        "00000000000000000000.index",
        "00000000000000000000.log",
        "00000000000000000000.timeindex",
        "leader-epoch-checkpoint",
    ]
    assert (log.log_start_offset, log.log_end_offset) == (0, 0)


def test_append_stamps_offsets_and_epoch_and_keeps_the_crc(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    first = log.append_as_leader(batch(b"a", b"b"), leader_epoch=4, now_ms=0)
    second = log.append_as_leader(batch(b"c"), leader_epoch=4, now_ms=0)
    assert (first.first_offset, first.last_offset, second.first_offset) == (0, 1, 2)
    assert (first.log_append_time_ms, first.records_count) == (-1, 2)
    stored = disk.read("orders-0/00000000000000000000.log")
    original = batch(b"c")
    position = read_header(stored).size
    # Only baseOffset and partitionLeaderEpoch (both before byte 21) changed; CRC unchanged.
    assert stored[position + 21 :] == original[21:]
    assert struct.unpack_from(">qiib", stored, position) == (2, len(original) - 12, 4, 2)
    assert decode_batch(stored, position).records[0].offset == 2


def test_read_starts_at_the_batch_that_contains_the_offset(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a", b"b", b"c"), leader_epoch=0, now_ms=0)
    log.append_as_leader(batch(b"d"), leader_epoch=0, now_ms=0)
    assert offsets_in(log.read(1, max_bytes=10_000)) == [0, 1, 2, 3]
    assert offsets_in(log.read(3, max_bytes=10_000)) == [3]
    assert log.read(4, max_bytes=10_000) == b""


def test_read_returns_whole_batches_within_max_bytes_but_at_least_one(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    for value in (b"a", b"b", b"c"):
        log.append_as_leader(batch(value), leader_epoch=0, now_ms=0)
    size = len(batch(b"a"))
    assert offsets_in(log.read(0, max_bytes=2 * size + 5)) == [0, 1]
    assert offsets_in(log.read(0, max_bytes=1)) == [0]  # KIP-74
    assert log.read(0, max_bytes=1, min_one_batch=False) == b""


def test_read_stops_before_max_offset(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    for value in (b"a", b"b", b"c"):
        log.append_as_leader(batch(value), leader_epoch=0, now_ms=0)
    assert offsets_in(log.read(0, max_bytes=10_000, max_offset=2)) == [0, 1]
    assert log.read(2, max_bytes=10_000, max_offset=2) == b""


@pytest.mark.parametrize("offset", [-1, 4])
def test_read_outside_the_log_is_offset_out_of_range(disk: Disk, offset: int) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a", b"b", b"c"), leader_epoch=0, now_ms=0)
    with pytest.raises(LogError) as raised:
        log.read(offset, max_bytes=100)
    assert raised.value.code is ErrorCode.OFFSET_OUT_OF_RANGE


def test_segments_roll_at_segment_bytes_and_reads_cross_them(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    for number in range(12):
        log.append_as_leader(batch(b"value-%d" % number), leader_epoch=0, now_ms=0)
    bases = [segment.base_offset for segment in log.segments]
    assert len(bases) > 2 and bases[0] == 0
    assert all(segment.size <= SMALL.segment_bytes for segment in log.segments)
    assert f"{bases[1]:020d}.log" in disk.list_dir("orders-0")
    offset, seen = 0, []
    while offset < log.log_end_offset:
        got = offsets_in(log.read(offset, max_bytes=150))
        seen += got
        offset = got[-1] + 1
    assert seen == list(range(12))


def test_segments_roll_after_segment_ms_counted_from_the_first_timestamp(disk: Disk) -> None:
    config = TopicConfig(segment_ms=1_000)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    log.append_as_leader(batch(b"a", timestamp=5_000), leader_epoch=0, now_ms=0)
    log.append_as_leader(batch(b"b", timestamp=6_000), leader_epoch=0, now_ms=0)
    assert len(log.segments) == 1
    log.append_as_leader(batch(b"c", timestamp=6_001), leader_epoch=0, now_ms=0)
    assert [segment.base_offset for segment in log.segments] == [0, 2]


def test_segments_roll_when_the_index_is_full(disk: Disk) -> None:
    # 24 bytes hold three offset-index entries (8 bytes each); an entry is due every batch but
    # the first of a segment when index.interval.bytes is 0.
    config = TopicConfig(index_interval_bytes=0, segment_index_bytes=24)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    for value in (b"a", b"b", b"c", b"d", b"e"):
        log.append_as_leader(batch(value), leader_epoch=0, now_ms=0)
    assert [segment.base_offset for segment in log.segments] == [0, 4]
    assert log.segments[0].offset_index.entries == 3


def test_index_entries_are_kafkas_bytes(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, TopicConfig(index_interval_bytes=100), now_ms=0)
    for _ in range(3):
        log.append_as_leader(batch(b"x" * 60, b"y" * 60), leader_epoch=0, now_ms=0)
    size = len(batch(b"x" * 60, b"y" * 60))
    # An entry goes in once more than 100 bytes were appended since the last: at the second and
    # third batches, each recording the batch's last offset and its position.
    entries = struct.pack(">ii", 3, size) + struct.pack(">ii", 5, 2 * size)
    assert disk.read("orders-0/00000000000000000000.index") == entries
    # Every record has timestamp 1000, so the time index holds one entry, naming the last offset
    # of the first batch that reached it (Kafka's "shallow offset of max timestamp").
    assert disk.read("orders-0/00000000000000000000.timeindex") == struct.pack(">qi", 1_000, 1)


def test_offset_for_timestamp_finds_the_first_record_at_or_after(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    for number in range(10):
        records = [Record(key=b"k", value=b"v", timestamp=100 * number + d) for d in (0, 50)]
        log.append_as_leader(encode_batch(records), leader_epoch=0, now_ms=0)
    assert log.offset_for_timestamp(0) == 0
    assert log.offset_for_timestamp(420) == 9  # 450 at offset 9 is the first >= 420
    assert log.offset_for_timestamp(500) == 10
    assert log.offset_for_timestamp(951) is None


def test_log_append_time_replaces_the_timestamp_and_recomputes_the_crc(disk: Disk) -> None:
    config = TopicConfig(message_timestamp_type="LogAppendTime")
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    info = log.append_as_leader(batch(b"a", timestamp=5), leader_epoch=0, now_ms=77)
    assert info.log_append_time_ms == 77
    decoded = decode_batch(log.read(0, max_bytes=1_000))
    assert decoded.header.log_append_time and decoded.records[0].timestamp == 77


def test_follower_append_keeps_the_leaders_offsets_and_epochs(disk: Disk) -> None:
    leader = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    leader.append_as_leader(batch(b"a", b"b"), leader_epoch=1, now_ms=0)
    leader.append_as_leader(batch(b"c"), leader_epoch=3, now_ms=0)
    follower = PartitionLog.open(disk, "orders", 1, SMALL, now_ms=0)
    info = follower.append_as_follower(leader.read(0, max_bytes=10_000), now_ms=0)
    assert (info.first_offset, info.last_offset, follower.log_end_offset) == (0, 2, 3)
    assert follower.epoch_cache.entries == [(1, 0), (3, 2)]
    assert follower.end_offset_for_epoch(1) == (1, 2)
    assert follower.end_offset_for_epoch(2) == (1, 2)
    assert follower.end_offset_for_epoch(3) == (3, 3)


def test_follower_batches_must_continue_the_log(disk: Disk) -> None:
    leader = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    leader.append_as_leader(batch(b"a"), leader_epoch=0, now_ms=0)
    leader.append_as_leader(batch(b"b"), leader_epoch=0, now_ms=0)
    follower = PartitionLog.open(disk, "orders", 1, SMALL, now_ms=0)
    with pytest.raises(LogError) as raised:
        follower.append_as_follower(leader.read(1, max_bytes=10_000), now_ms=0)
    assert raised.value.code is ErrorCode.INVALID_RECORD
    assert follower.log_end_offset == 0


@pytest.mark.parametrize(("jump_to", "first_base"), [(5, 0), (2**32, 2**32)])
def test_a_follower_of_a_compacted_topic_may_jump_a_gap(
    disk: Disk, jump_to: int, first_base: int
) -> None:
    config = TopicConfig(cleanup_policy="compact")
    leader = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    leader.append_as_leader(batch(b"a", b"b", b"c"), leader_epoch=0, now_ms=0)
    follower = PartitionLog.open(disk, "orders", 1, config, now_ms=0)
    fetched = bytearray(leader.read(0, max_bytes=1_000))
    struct.pack_into(">q", fetched, 0, jump_to)  # as if the offsets before had been compacted
    follower.append_as_follower(bytes(fetched), now_ms=0)
    # A small gap fits the empty first segment; one beyond an int32 of relative offset needs a
    # segment of its own, which replaces the empty one and moves the log start.
    assert [s.base_offset for s in follower.segments] == [first_base]
    assert (follower.log_start_offset, follower.log_end_offset) == (first_base, jump_to + 3)
    assert offsets_in(follower.read(first_base, max_bytes=1_000))[0] == jump_to


def test_a_stale_leader_epoch_is_fenced(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a"), leader_epoch=5, now_ms=0)
    with pytest.raises(LogError) as raised:
        log.append_as_leader(batch(b"b"), leader_epoch=4, now_ms=0)
    assert raised.value.code is ErrorCode.FENCED_LEADER_EPOCH


def test_coordinators_may_write_control_batches(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    marker = encode_control_batch(commit=True, producer_id=7, producer_epoch=0)
    info = log.append_as_leader(marker, leader_epoch=0, now_ms=0, origin=AppendOrigin.COORDINATOR)
    assert info.first_offset == 0 and read_header(log.read(0, max_bytes=100)).is_control


def test_truncate_removes_whole_batches_and_the_later_epochs(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    for epoch in range(6):
        log.append_as_leader(batch(b"a" * 30, b"b" * 30), leader_epoch=epoch, now_ms=0)
    assert len(log.segments) > 1
    assert log.truncate_to(5, now_ms=0)  # offset 5 is inside the batch 4..5
    assert log.log_end_offset == 4
    assert offsets_in(log.read(0, max_bytes=10_000))[-1] <= 3
    assert log.epoch_cache.entries == [(0, 0), (1, 2)]
    assert not log.truncate_to(9, now_ms=0)
    log.append_as_leader(batch(b"c"), leader_epoch=7, now_ms=0)
    assert log.log_end_offset == 5


def test_a_new_leader_records_its_epoch_at_the_log_end_durably(disk: Disk) -> None:
    """KIP-101, apache/kafka #5678: the epoch is known before any batch of it is written."""
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a", b"b"), leader_epoch=1, now_ms=0)
    assert log.maybe_assign_epoch_start_offset(leader_epoch=3)
    assert log.epoch_cache.entries == [(1, 0), (3, 2)]
    assert log.end_offset_for_epoch(2) == (1, 2)
    saved = read_epoch_checkpoint(disk, f"orders-0/{LEADER_EPOCH_CHECKPOINT}")
    assert saved == [(1, 0), (3, 2)]
    # A repeat or an older epoch (a stale LeaderAndIsr) changes nothing.
    assert not log.maybe_assign_epoch_start_offset(leader_epoch=3)
    assert not log.maybe_assign_epoch_start_offset(leader_epoch=2)
    assert log.epoch_cache.entries == [(1, 0), (3, 2)]


def test_truncating_at_the_log_end_drops_an_empty_epoch(disk: Disk) -> None:
    """KAFKA-10706: an epoch that wrote nothing goes, though no batch does."""
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a", b"b"), leader_epoch=1, now_ms=0)
    log.maybe_assign_epoch_start_offset(leader_epoch=3)
    assert not log.truncate_to(5, now_ms=0)
    assert log.log_end_offset == 2
    assert log.epoch_cache.entries == [(1, 0)]
    saved = read_epoch_checkpoint(disk, f"orders-0/{LEADER_EPOCH_CHECKPOINT}")
    assert saved == [(1, 0)]
    assert log.end_offset_for_epoch(1) == (1, 2)


def test_truncate_below_the_log_start_starts_over(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a", b"b"), leader_epoch=0, now_ms=0)
    log.maybe_increment_log_start_offset(2)
    log.truncate_to(1, now_ms=0)
    assert (log.log_start_offset, log.log_end_offset) == (1, 1)
    assert disk.list_dir("orders-0")[0] == "00000000000000000001.index"


def test_flush_messages_flushes_by_itself(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, TopicConfig(flush_messages=3), now_ms=0)
    log.append_as_leader(batch(b"a", b"b"), leader_epoch=0, now_ms=0)
    assert log.recovery_point == 0
    log.append_as_leader(batch(b"c"), leader_epoch=0, now_ms=0)
    assert log.recovery_point == 3


def test_retention_by_time_deletes_old_segments_and_moves_the_log_start(disk: Disk) -> None:
    config = TopicConfig(segment_bytes=200, retention_ms=1_000)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    for number in range(6):
        log.append_as_leader(batch(b"v" * 40, timestamp=1_000 * number), leader_epoch=0, now_ms=0)
    bases = [segment.base_offset for segment in log.segments]
    deleted = log.delete_old_segments(now_ms=5_500)
    assert deleted >= 1
    assert log.log_start_offset == log.segments[0].base_offset == bases[deleted]
    assert all(segment.max_timestamp >= 4_500 for segment in log.segments[:-1])
    assert f"{bases[0]:020d}.log" not in disk.list_dir("orders-0")


def test_retention_hours_come_from_the_broker_config(disk: Disk) -> None:
    broker = BrokerConfig(log_retention_hours=1, log_segment_bytes=200)
    config = TopicConfig.from_broker(broker)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    for number in range(4):
        log.append_as_leader(batch(b"v" * 40, timestamp=number), leader_epoch=0, now_ms=0)
    assert len(log.segments) == 4  # one batch per 200-byte segment
    assert log.delete_old_segments(now_ms=3_600_000) == 0
    # An hour after timestamps 0 and 1, their segments go; 2 and 3 are not yet older than that.
    assert log.delete_old_segments(now_ms=3_600_002) == 2
    assert log.log_start_offset == 2


def test_retention_by_size_keeps_at_least_retention_bytes(disk: Disk) -> None:
    config = TopicConfig(segment_bytes=200, retention_bytes=300, retention_ms=-1)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    for _ in range(10):
        log.append_as_leader(batch(b"v" * 40), leader_epoch=0, now_ms=0)
    log.delete_old_segments(now_ms=0)
    assert log.size_in_bytes >= 300
    assert log.size_in_bytes - log.segments[0].size < 300


def test_retention_that_empties_the_log_rolls_first(disk: Disk) -> None:
    config = TopicConfig(retention_ms=10)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    log.append_as_leader(batch(b"a", b"b"), leader_epoch=0, now_ms=0)
    assert log.delete_old_segments(now_ms=1_000_000) == 1
    assert [segment.base_offset for segment in log.segments] == [2]
    assert (log.log_start_offset, log.log_end_offset) == (2, 2)


def test_retention_never_passes_the_high_watermark(disk: Disk) -> None:
    config = TopicConfig(segment_bytes=200, retention_ms=10)
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    for _ in range(6):
        log.append_as_leader(batch(b"v" * 40), leader_epoch=0, now_ms=0)
    assert log.delete_old_segments(now_ms=1_000_000, high_watermark=0) == 0
    second = log.segments[1].base_offset
    assert log.delete_old_segments(now_ms=1_000_000, high_watermark=second) == 1


def test_log_start_offset_inside_a_segment(disk: Disk) -> None:
    log = PartitionLog.open(disk, "orders", 0, SMALL, now_ms=0)
    log.append_as_leader(batch(b"a", b"b", b"c"), leader_epoch=0, now_ms=0)
    assert log.maybe_increment_log_start_offset(2)
    with pytest.raises(LogError):
        log.read(1, max_bytes=100)
    assert log.offset_for_timestamp(0) == 2
    with pytest.raises(LogError):
        log.maybe_increment_log_start_offset(9)
