"""Producer-state snapshots in a partition log: written at rolls, used and tidied at recovery.

Transcripts on one :class:`~glasskafka.log.PartitionLog`: a roll writes
``<base offset>.snapshot`` holding the state below the new segment; recovery starts from the
newest snapshot at or below the recovery point and reads only the log after it; a truncation,
retention and opening after a crash delete the snapshots that no longer describe the log; a
damaged or foreign snapshot is skipped with a logged reason and never stops the log from
opening.  The property-based version is ``model_tests/test_producer_state_recovery.py``.

Spec IDs: IDEM-5.

Simplified from Kafka: Kafka's ``ProducerStateManagerTest`` checks its own snapshot format; these
tests check glasskafka's (see ``glasskafka/log/producer_state.py``).
"""

from __future__ import annotations

import logging
import pathlib

import pytest
from glasskafka.config import TopicConfig
from glasskafka.log import PartitionLog
from glasskafka.log.producer_state import (
    SNAPSHOT_SUFFIX,
    ProducerStateTable,
    encode_snapshot,
    rebuild_producer_state,
    snapshot_file,
    snapshot_offsets,
)
from glasskafka.log.recovery import headers_from
from glasskafka.records import Record, encode_batch
from glasskafka.storage import RealDisk, SimDisk

TOPIC = "payments"
CONFIG = TopicConfig()
DIRECTORY = f"{TOPIC}-0"


def append(log: PartitionLog, *, producer: int, epoch: int, sequence: int, count: int = 1) -> None:
    records = [Record(key=None, value=b"v", timestamp=1_000) for _ in range(count)]
    batch = encode_batch(
        records, producer_id=producer, producer_epoch=epoch, base_sequence=sequence
    )
    log.append_as_leader(batch, leader_epoch=0, now_ms=1_000)


def replayed(log: PartitionLog) -> ProducerStateTable:
    """The state a replay of every batch in the log gives."""
    return rebuild_producer_state(headers_from(log.segments, log.segments[0].base_offset))


def entries(table: ProducerStateTable) -> dict[int, object]:
    return dict(sorted(table.entries.items()))


def three_segments(disk: SimDisk) -> PartitionLog:
    """Batches of producers 7 and 8 in three segments (rolls at offsets 3 and 5)."""
    log = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0)
    append(log, producer=7, epoch=0, sequence=0, count=2)
    append(log, producer=8, epoch=0, sequence=0)
    log.roll(now_ms=1_000)
    append(log, producer=7, epoch=0, sequence=2)
    append(log, producer=8, epoch=0, sequence=1)
    log.roll(now_ms=1_000)
    append(log, producer=7, epoch=0, sequence=3)
    return log


def test_a_roll_writes_the_state_below_the_new_segment() -> None:
    disk = SimDisk()
    log = three_segments(disk)
    assert snapshot_offsets(disk, DIRECTORY) == [3, 5]
    assert disk.exists(f"{DIRECTORY}/00000000000000000003{SNAPSHOT_SUFFIX}")
    found = log.recover_producer_state()
    assert found.snapshot_offset == 5 and found.skipped == ()
    assert entries(found.state) == entries(replayed(log))
    assert found.state.map_end_offset == log.log_end_offset == 6


def test_recovery_starts_at_or_below_the_recovery_point() -> None:
    disk = SimDisk()
    three_segments(disk)
    reopened = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0, recovery_point=4)
    found = reopened.recover_producer_state()
    assert found.snapshot_offset == 3
    assert entries(found.state) == entries(replayed(reopened))


def test_a_damaged_snapshot_is_skipped_with_a_reason(caplog: pytest.LogCaptureFixture) -> None:
    disk = SimDisk()
    three_segments(disk)
    newest = snapshot_file(DIRECTORY, 5)
    data = bytearray(disk.read(newest))
    data[-1] ^= 0x40
    disk.write(newest, bytes(data))
    log = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0, recovery_point=6)
    with caplog.at_level(logging.WARNING, logger="glasskafka.log"):
        found = log.recover_producer_state()
    assert found.snapshot_offset == 3
    assert len(found.skipped) == 1 and "CRC-32C mismatch" in found.skipped[0]
    assert "00000000000000000005.snapshot" in caplog.text
    assert not disk.exists(newest)  # deleted, as Kafka's loadFromSnapshot does
    assert entries(found.state) == entries(replayed(log))


@pytest.mark.parametrize(
    "damage",
    [b"", b"GKPS", b"not a snapshot at all", b"\x00" * 64],
    ids=["empty", "cut", "foreign", "zeros"],
)
def test_without_a_sound_snapshot_the_whole_log_is_replayed(damage: bytes) -> None:
    disk = SimDisk()
    three_segments(disk)
    for offset in snapshot_offsets(disk, DIRECTORY):
        disk.write(snapshot_file(DIRECTORY, offset), damage)
    log = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0, recovery_point=6)
    found = log.recover_producer_state()
    assert found.snapshot_offset is None and len(found.skipped) == 2
    assert entries(found.state) == entries(replayed(log))


def test_a_snapshot_under_another_name_is_refused() -> None:
    disk = SimDisk()
    three_segments(disk)
    disk.write(snapshot_file(DIRECTORY, 4), disk.read(snapshot_file(DIRECTORY, 3)))
    log = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0, recovery_point=4)
    found = log.recover_producer_state()
    assert found.snapshot_offset == 3
    assert found.skipped == (
        f"{snapshot_file(DIRECTORY, 4)}: snapshot {snapshot_file(DIRECTORY, 4)} holds offset 3",
    )


def test_a_truncation_deletes_the_snapshots_above_the_cut() -> None:
    disk = SimDisk()
    log = three_segments(disk)
    log.truncate_to(4, now_ms=1_000)
    assert snapshot_offsets(disk, DIRECTORY) == [3]
    # New batches of a new epoch where the old ones were: the state must follow the new log.
    append(log, producer=7, epoch=1, sequence=0, count=3)
    log.flush()
    found = log.recover_producer_state()
    assert entries(found.state) == entries(replayed(log))
    assert found.state.entries[7].producer_epoch == 1


def test_opening_after_a_power_loss_deletes_snapshots_beyond_the_log() -> None:
    disk = SimDisk()
    log = three_segments(disk)
    # A snapshot far beyond anything the log will hold after the crash.
    disk.write(snapshot_file(DIRECTORY, 40), encode_snapshot(ProducerStateTable(map_end_offset=40)))
    disk.fsync(snapshot_file(DIRECTORY, 40))
    del log
    disk.crash()
    reopened = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0, recovery_point=5)
    assert 40 not in snapshot_offsets(disk, DIRECTORY)
    assert all(offset <= reopened.log_end_offset for offset in snapshot_offsets(disk, DIRECTORY))
    assert entries(reopened.recover_producer_state().state) == entries(replayed(reopened))


def test_retention_deletes_the_snapshots_of_deleted_segments() -> None:
    disk = SimDisk()
    log = three_segments(disk)
    log.maybe_increment_log_start_offset(5)
    assert log.delete_old_segments(now_ms=1_000) == 2
    assert snapshot_offsets(disk, DIRECTORY) == [5]
    found = log.recover_producer_state()
    # The snapshot at 5 remembers batches below 5; the log no longer holds them.
    assert entries(found.state) == entries(replayed(log))
    assert set(found.state.entries) == {7}


def test_deleting_the_log_deletes_its_snapshots() -> None:
    disk = SimDisk()
    log = three_segments(disk)
    log.delete()
    assert snapshot_offsets(disk, DIRECTORY) == []


def test_snapshots_on_a_real_directory(tmp_path: pathlib.Path) -> None:
    disk = RealDisk(str(tmp_path))
    log = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0)
    append(log, producer=7, epoch=0, sequence=0, count=2)
    log.roll(now_ms=1_000)
    append(log, producer=7, epoch=0, sequence=2)
    assert snapshot_offsets(disk, DIRECTORY) == [2]
    assert not any(name.endswith(".tmp") for name in disk.list_dir(DIRECTORY))
    reopened = PartitionLog.open(disk, TOPIC, 0, CONFIG, now_ms=0, recovery_point=3)
    found = reopened.recover_producer_state()
    assert found.snapshot_offset == 2
    assert entries(found.state) == entries(replayed(reopened))
