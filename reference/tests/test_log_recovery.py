"""Opening a log after a crash: torn tails cut, damaged files recovered, never a crash (LOG-4)."""

from __future__ import annotations

import random

import pytest
from glasskafka.bugs import BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log import LogManager, PartitionLog
from glasskafka.records import Record, encode_batch, read_header
from glasskafka.storage import SimDisk

CONFIG = TopicConfig(segment_bytes=600, index_interval_bytes=100)
FIRST = "orders-0/00000000000000000000"


def batch(value: bytes) -> bytes:
    return encode_batch([Record(key=b"k", value=value, timestamp=1), Record(value=value)])


def filled(count: int = 4) -> tuple[SimDisk, PartitionLog]:
    disk = SimDisk()
    log = PartitionLog.open(disk, "orders", 0, CONFIG, now_ms=0)
    for number in range(count):
        log.append_as_leader(batch(b"value-%d" % number), leader_epoch=0, now_ms=0)
    return disk, log


def reopen(disk: SimDisk, **kwargs: object) -> PartitionLog:
    return PartitionLog.open(disk, "orders", 0, CONFIG, now_ms=0, **kwargs)  # type: ignore[arg-type]


def test_a_torn_tail_is_cut_at_the_last_whole_batch() -> None:
    disk, log = filled()
    end, size = log.log_end_offset, disk.size(f"{FIRST}.log")
    disk.append(f"{FIRST}.log", batch(b"torn")[:30])
    reopened = reopen(disk)
    assert reopened.log_end_offset == end
    assert disk.size(f"{FIRST}.log") == size


def test_a_batch_whose_crc_fails_is_cut_with_everything_after_it() -> None:
    disk, _ = filled()
    second = read_header(disk.read(f"{FIRST}.log")).size
    data = bytearray(disk.read(f"{FIRST}.log"))
    data[second + 70] ^= 0x10  # inside the second batch's records
    disk.write(f"{FIRST}.log", bytes(data))
    reopened = reopen(disk)
    assert reopened.log_end_offset == 2
    assert disk.size(f"{FIRST}.log") == second


def test_without_the_crc_check_a_damaged_batch_is_kept() -> None:
    disk, log = filled()
    data = bytearray(disk.read(f"{FIRST}.log"))
    data[-3] ^= 0x01
    disk.write(f"{FIRST}.log", bytes(data))
    buggy = reopen(disk, bugs=BugFlags(recover_without_crc_check=True))
    assert buggy.log_end_offset == log.log_end_offset  # the damaged last batch survived


@pytest.mark.parametrize("seed", range(5))
def test_a_garbage_segment_is_recovered_not_crashed_on(seed: int) -> None:
    disk, _ = filled()
    garbage = random.Random(seed).randbytes(500)
    disk.write(f"{FIRST}.log", garbage)
    disk.write(f"{FIRST}.index", garbage[:13])
    reopened = reopen(disk)
    assert reopened.log_end_offset == 0
    assert reopened.read(0, max_bytes=100) == b""


def test_a_recovered_index_is_byte_for_byte_the_appended_one() -> None:
    disk, log = filled(6)
    appended = [disk.read(f"{FIRST}{suffix}") for suffix in (".index", ".timeindex")]
    assert appended[0]  # there are entries to compare
    disk.delete(f"{FIRST}.index")
    disk.write(f"{FIRST}.timeindex", b"\x00" * 5)
    reopen(disk, recovery_point=log.log_end_offset)
    assert [disk.read(f"{FIRST}{suffix}") for suffix in (".index", ".timeindex")] == appended


def test_recovering_closed_segments_rebuilds_their_files_exactly() -> None:
    disk, log = filled(30)
    closed = log.segments[:-1]
    assert len(closed) >= 2
    written = {path: disk.read(path) for s in closed for path in s.paths}
    for segment in closed:
        disk.delete(segment.index_path)
    reopen(disk)  # recovery point 0: every segment is recovered, every index rebuilt
    assert {path: disk.read(path) for s in closed for path in s.paths} == written


def test_an_index_pointing_outside_its_segment_is_rebuilt_below_the_recovery_point() -> None:
    disk, log = filled(6)
    log.flush()
    good = disk.read(f"{FIRST}.index")
    disk.write(f"{FIRST}.index", b"\x00\x00\x00\x01\x7f\xff\xff\xff")
    reopened = reopen(disk, recovery_point=log.log_end_offset)
    assert disk.read(f"{FIRST}.index") == good
    assert reopened.log_end_offset == log.log_end_offset


def test_segments_after_a_cut_are_deleted() -> None:
    disk, log = filled(30)
    assert len(log.segments) >= 3
    second = log.segments[1]
    disk.truncate(second.log_path, second.size - 5)
    reopened = reopen(disk)
    assert [s.base_offset for s in reopened.segments] == [0, second.base_offset]
    assert reopened.log_end_offset < log.segments[2].base_offset


def test_leftovers_of_a_crash_are_removed() -> None:
    disk, _ = filled()
    for name in ("00000000000000000000.log.cleaned", "leader-epoch-checkpoint.tmp"):
        disk.write(f"orders-0/{name}", b"half")
    disk.write("orders-0/00000000000000000099.index", b"")  # an index without its .log
    reopen(disk)
    assert disk.list_dir("orders-0") == [
        "00000000000000000000.index",
        "00000000000000000000.log",
        "00000000000000000000.timeindex",
        "leader-epoch-checkpoint",
    ]


def test_a_damaged_epoch_checkpoint_is_rebuilt_from_the_batches() -> None:
    disk = SimDisk()
    log = PartitionLog.open(disk, "orders", 0, CONFIG, now_ms=0)
    for epoch in (0, 0, 2, 5):
        log.append_as_leader(batch(b"x"), leader_epoch=epoch, now_ms=0)
    disk.write("orders-0/leader-epoch-checkpoint", b"0\n7\nnot numbers\n")
    assert reopen(disk).epoch_cache.entries == [(0, 0), (2, 4), (5, 6)]


def test_a_power_loss_keeps_what_was_flushed_and_nothing_unsynced() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    log = manager.get_or_create_log("orders", 0, now_ms=0)
    log.append_as_leader(batch(b"kept"), leader_epoch=0, now_ms=0)
    manager.flush_all()
    log.append_as_leader(batch(b"lost"), leader_epoch=1, now_ms=0)
    disk.crash()
    reopened = LogManager.open(disk, now_ms=0, default_config=CONFIG).get_log("orders", 0)
    assert reopened is not None
    assert reopened.log_end_offset == 2
    assert reopened.epoch_cache.entries == [(0, 0)]


@pytest.mark.parametrize("seed", range(10))
def test_a_lossy_power_loss_leaves_a_prefix_of_whole_batches(seed: int) -> None:
    disk, log = filled(10)
    log.flush()
    for number in range(6):
        log.append_as_leader(batch(b"more-%d" % number), leader_epoch=0, now_ms=0)
    disk.lossy_crash(random.Random(seed))
    reopened = reopen(disk)
    assert 20 <= reopened.log_end_offset <= 32
    assert reopened.log_end_offset % 2 == 0  # batches of two records, never half of one
