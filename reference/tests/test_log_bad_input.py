"""Bad input to the partition log: refused with Kafka's error code, and nothing changes.

The rule (DESIGN §7, wire-protocol.md §12.4): a malformed batch gets an error code, never a
crash and never a partial write.  Every test here compares the whole disk before and after.
Illegal topic names are refused before any file exists.  Damaged files are recovered, not
crashed on, in ``test_log_recovery.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.log import LogError, LogManager, PartitionLog
from glasskafka.records import Record, batch_crc, encode_batch, encode_control_batch
from glasskafka.storage import SimDisk
from hypothesis import given
from hypothesis import strategies as st

CONFIG = TopicConfig(segment_bytes=4_000, max_message_bytes=2_000)


def good_batch(count: int = 2) -> bytes:
    return encode_batch([Record(key=b"k", value=b"value", timestamp=1) for _ in range(count)])


def snapshot(disk: SimDisk) -> dict[str, bytes]:
    return {path: bytes(entry.current) for path, entry in sorted(disk.files.items())}


def open_log(config: TopicConfig = CONFIG) -> tuple[SimDisk, PartitionLog]:
    disk = SimDisk()
    log = PartitionLog.open(disk, "orders", 0, config, now_ms=0)
    log.append_as_leader(good_batch(), leader_epoch=0, now_ms=0)
    return disk, log


def refused(log: PartitionLog, disk: SimDisk, batch: bytes, code: ErrorCode) -> None:
    before, end = snapshot(disk), log.log_end_offset
    with pytest.raises(LogError) as raised:
        log.append_as_leader(batch, leader_epoch=0, now_ms=0)
    assert raised.value.code is code, raised.value
    assert snapshot(disk) == before and log.log_end_offset == end


def changed(batch: bytes, position: int, fmt: str, value: int) -> bytes:
    data = bytearray(batch)
    struct.pack_into(fmt, data, position, value)
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("wrong CRC", lambda b: changed(b, 17, ">I", 12345)),
        ("a flipped record byte", lambda b: b[:-1] + bytes([b[-1] ^ 1])),
        ("wrong magic", lambda b: changed(b, 16, ">b", 1)),
        ("batchLength too long", lambda b: changed(b, 8, ">i", len(b))),
        ("batchLength too short", lambda b: changed(b, 8, ">i", 10)),
        ("negative batchLength", lambda b: changed(b, 8, ">i", -5)),
        ("cut short", lambda b: b[:-3]),
        ("only a header's worth", lambda b: b[:40]),
        ("empty", lambda b: b""),
        ("garbage", lambda b: b"\xff" * 200),
    ],
)
def test_a_corrupt_batch_is_corrupt_message_and_changes_nothing(
    name: str, make: Callable[[bytes], bytes]
) -> None:
    disk, log = open_log()
    refused(log, disk, make(good_batch()), ErrorCode.CORRUPT_MESSAGE)


def test_two_batches_in_one_produce_are_invalid() -> None:
    disk, log = open_log()
    refused(log, disk, good_batch() + good_batch(), ErrorCode.INVALID_RECORD)


def test_a_batch_over_max_message_bytes_is_too_large() -> None:
    disk, log = open_log()
    big = encode_batch([Record(key=b"k", value=b"v" * 2_100, timestamp=1)])
    refused(log, disk, big, ErrorCode.MESSAGE_TOO_LARGE)


def test_a_batch_over_segment_bytes_is_a_record_list_too_large() -> None:
    disk, log = open_log(TopicConfig(segment_bytes=200))
    big = encode_batch([Record(key=b"k", value=b"v" * 300, timestamp=1)])
    refused(log, disk, big, ErrorCode.RECORD_LIST_TOO_LARGE)


def test_an_unknown_codec_is_unsupported() -> None:
    disk, log = open_log()
    # Codec 7 in the attributes; the CRC is recomputed so only the codec is wrong.
    data = bytearray(changed(good_batch(), 21, ">h", 7))
    struct.pack_into(">I", data, 17, batch_crc(data))
    refused(log, disk, bytes(data), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)


def test_a_count_that_does_not_match_the_offsets_is_invalid() -> None:
    disk, log = open_log()
    data = bytearray(changed(good_batch(3), 23, ">i", 5))  # lastOffsetDelta 5 for 3 records
    struct.pack_into(">I", data, 17, batch_crc(data))
    refused(log, disk, bytes(data), ErrorCode.INVALID_RECORD)


def test_a_client_may_not_write_a_control_batch() -> None:
    disk, log = open_log()
    marker = encode_control_batch(commit=False, producer_id=1, producer_epoch=0)
    refused(log, disk, marker, ErrorCode.INVALID_RECORD)


def test_a_compacted_topic_refuses_a_keyless_record() -> None:
    disk, log = open_log(TopicConfig(cleanup_policy="compact"))
    keyless = encode_batch([Record(key=b"k", value=b"1"), Record(key=None, value=b"2")])
    refused(log, disk, keyless, ErrorCode.INVALID_RECORD)


def test_follower_garbage_changes_nothing() -> None:
    disk, log = open_log()
    before = snapshot(disk)
    with pytest.raises(LogError) as raised:
        log.append_as_follower(b"\x00" * 8 + b"\x00\x00\x00\x05" + b"\x01" * 30, now_ms=0)
    assert raised.value.code is ErrorCode.CORRUPT_MESSAGE
    assert snapshot(disk) == before


@pytest.mark.parametrize(
    "topic",
    [
        "",
        ".",
        "..",
        "a/b",
        "../escape",
        "a\\b",
        "with space",
        "tab\t",
        "naïve",
        "x" * 250,
        "nul\x00",
    ],
)
def test_an_illegal_topic_name_is_refused_before_any_file_exists(topic: str) -> None:
    disk = SimDisk()
    with pytest.raises(LogError) as raised:
        PartitionLog.open(disk, topic, 0, CONFIG, now_ms=0)
    assert raised.value.code is ErrorCode.INVALID_TOPIC_EXCEPTION
    manager = LogManager.open(disk, now_ms=0)
    with pytest.raises(LogError):
        manager.get_or_create_log(topic, 0, now_ms=0)
    assert disk.files == {} and disk.directories == set()


def test_the_longest_legal_topic_name_works() -> None:
    disk = SimDisk()
    PartitionLog.open(disk, "a._-Z9" + "x" * 243, 0, CONFIG, now_ms=0)
    assert disk.list_dir("")[0].endswith("-0")


@pytest.mark.parametrize("partition", [-1, 2**31])
def test_an_illegal_partition_is_refused(partition: int) -> None:
    disk = SimDisk()
    with pytest.raises(LogError) as raised:
        PartitionLog.open(disk, "orders", partition, CONFIG, now_ms=0)
    assert raised.value.code is ErrorCode.INVALID_PARTITIONS
    assert disk.files == {}


@given(data=st.binary(max_size=300), as_leader=st.booleans())
def test_random_bytes_never_crash_the_leader_or_the_follower(data: bytes, as_leader: bool) -> None:
    disk, log = open_log()
    before = snapshot(disk)
    try:
        if as_leader:
            log.append_as_leader(data, leader_epoch=0, now_ms=0)
        else:
            log.append_as_follower(data, now_ms=0)
    except LogError:
        assert snapshot(disk) == before


@given(position=st.integers(0, 150), value=st.integers(0, 255))
def test_any_changed_byte_is_refused_or_harmless(position: int, value: int) -> None:
    disk, log = open_log()
    original = good_batch()
    data = bytearray(original)
    data[position % len(data)] = value
    before = snapshot(disk)
    try:
        log.append_as_leader(bytes(data), leader_epoch=0, now_ms=0)
    except LogError:
        assert snapshot(disk) == before
        return
    # Accepted: the change was in a field the leader overwrites (base offset, leader epoch) or
    # it changed nothing.
    assert position % len(data) < 16 or bytes(data) == original
