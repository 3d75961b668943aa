"""Log compaction: the latest record per key survives at its offset; tombstones expire (LOG-6)."""

from __future__ import annotations

from glasskafka.config import TopicConfig
from glasskafka.log import PartitionLog
from glasskafka.records import Compression, Record, decode_batch, encode_batch, iter_batches
from glasskafka.storage import SimDisk

COMPACT = TopicConfig(cleanup_policy="compact", segment_bytes=300, delete_retention_ms=1_000)


def put(log: PartitionLog, *pairs: tuple[bytes, bytes | None], timestamp: int = 0) -> None:
    records = [Record(key=key, value=value, timestamp=timestamp) for key, value in pairs]
    log.append_as_leader(encode_batch(records), leader_epoch=0, now_ms=timestamp)


def contents(log: PartitionLog) -> list[tuple[int, bytes | None, bytes | None]]:
    found = []
    for segment in log.segments:
        data = log.disk.read(segment.log_path)
        for position, _ in iter_batches(data):
            found += [(r.offset, r.key, r.value) for r in decode_batch(data, position).records]
    return found


def test_compaction_keeps_the_latest_value_of_each_key_at_its_offset() -> None:
    log = PartitionLog.open(SimDisk(), "profiles", 0, COMPACT, now_ms=0)
    put(log, (b"alice", b"v1"), (b"bob", b"v1"))
    put(log, (b"alice", b"v2"))
    for number in range(8):
        put(log, (b"carol", b"v%d" % number))
    active = log.active_segment.base_offset
    stats = log.compact(now_ms=0)
    assert stats.first_uncleanable_offset == active
    kept = contents(log)
    below = [entry for entry in kept if entry[0] < active]
    latest_carol = max(o for o, k, _ in kept if k == b"carol" and o < active)
    assert (1, b"bob", b"v1") in below and (2, b"alice", b"v2") in below
    assert all(k != b"carol" or o == latest_carol for o, k, _ in below)
    assert [o for o, _, _ in kept] == sorted(o for o, _, _ in kept)
    assert (stats.records_read, stats.records_removed) == (active, active - len(below))


def test_the_active_segment_is_never_cleaned() -> None:
    log = PartitionLog.open(SimDisk(), "profiles", 0, COMPACT, now_ms=0)
    put(log, (b"a", b"1"), (b"a", b"2"), (b"a", b"3"))
    assert log.compact(now_ms=0).segments_cleaned == 0
    assert [o for o, _, _ in contents(log)] == [0, 1, 2]


def test_tombstones_stay_for_delete_retention_ms_then_go() -> None:
    log = PartitionLog.open(SimDisk(), "profiles", 0, COMPACT, now_ms=0)
    put(log, (b"gone", b"x" * 80), timestamp=0)
    put(log, (b"gone", None), timestamp=100)
    put(log, (b"other", b"y" * 200), timestamp=200)
    log.roll(now_ms=200)
    log.compact(now_ms=500)
    assert (1, b"gone", None) in contents(log)
    log.compact(now_ms=1_101)
    assert all(key != b"gone" for _, key, _ in contents(log))


def test_min_compaction_lag_protects_young_records() -> None:
    config = TopicConfig(cleanup_policy="compact", segment_bytes=300, min_compaction_lag_ms=1_000)
    log = PartitionLog.open(SimDisk(), "profiles", 0, config, now_ms=0)
    for number in range(6):
        put(log, (b"k", b"v" * 60 + b"%d" % number), timestamp=number)
    assert log.compact(now_ms=500).first_uncleanable_offset == 0
    assert log.compact(now_ms=2_000).records_removed > 0


def test_a_gzip_batch_is_rebuilt_gzipped_with_its_offsets() -> None:
    log = PartitionLog.open(SimDisk(), "profiles", 0, COMPACT, now_ms=0)
    records = [Record(key=key, value=b"v" * 50) for key in (b"a", b"b", b"a", b"c")]
    log.append_as_leader(
        encode_batch(records, compression=Compression.GZIP), leader_epoch=0, now_ms=0
    )
    log.roll(now_ms=0)
    log.compact(now_ms=0)
    batch = decode_batch(log.read(0, max_bytes=10_000))
    assert batch.header.compression is Compression.GZIP
    assert [r.offset for r in batch.records] == [1, 2, 3]
    assert batch.header.last_offset == 3


def test_reads_step_over_the_gaps_compaction_leaves() -> None:
    log = PartitionLog.open(SimDisk(), "profiles", 0, COMPACT, now_ms=0)
    for number in range(6):
        put(log, (b"same", b"x" * 70 + b"%d" % number))
    log.roll(now_ms=0)
    log.compact(now_ms=0)
    assert [o for o, _, _ in contents(log)] == [5]
    assert decode_batch(log.read(0, max_bytes=10_000)).records[0].offset == 5


def test_compaction_twice_changes_nothing_more() -> None:
    log = PartitionLog.open(SimDisk(), "profiles", 0, COMPACT, now_ms=0)
    for number in range(10):
        put(log, (b"k%d" % (number % 3), b"v" * 40))
    log.roll(now_ms=0)
    log.compact(now_ms=0)
    once = contents(log)
    assert log.compact(now_ms=0).segments_cleaned == 0
    assert contents(log) == once


def test_a_delete_only_topic_is_not_compacted() -> None:
    log = PartitionLog.open(SimDisk(), "orders", 0, TopicConfig(segment_bytes=300), now_ms=0)
    for _ in range(6):
        put(log, (b"same", b"x" * 70))
    assert log.compact(now_ms=0).segments_cleaned == 0
    assert len(contents(log)) == 6


def test_a_crash_mid_clean_leaves_the_old_segment() -> None:
    disk = SimDisk()
    log = PartitionLog.open(disk, "profiles", 0, COMPACT, now_ms=0)
    put(log, (b"a", b"1"), (b"a", b"2"))
    log.roll(now_ms=0)
    disk.write("profiles-0/00000000000000000000.log.cleaned", b"half written")
    reopened = PartitionLog.open(disk, "profiles", 0, COMPACT, now_ms=0)
    assert [o for o, _, _ in contents(reopened)] == [0, 1]
    assert "00000000000000000000.log.cleaned" not in disk.list_dir("profiles-0")
