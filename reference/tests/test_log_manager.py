"""Checkpoint files and the log manager: Kafka's text format, atomic writes, safe defaults."""

from __future__ import annotations

import pathlib

import pytest
from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.ids import PartitionId, TopicName
from glasskafka.log import (
    RECOVERY_POINT_CHECKPOINT,
    CorruptCheckpointError,
    LogError,
    LogManager,
    read_epoch_checkpoint,
    read_offset_checkpoint,
    write_offset_checkpoint,
)
from glasskafka.records import Record, encode_batch
from glasskafka.storage import RealDisk, SimDisk

CONFIG = TopicConfig(segment_bytes=300)


def tp(topic: str, partition: int) -> tuple[TopicName, PartitionId]:
    return TopicName(topic), PartitionId(partition)


def append(manager: LogManager, topic: str, partition: int, count: int = 1) -> None:
    log = manager.get_or_create_log(topic, partition, now_ms=0)
    for _ in range(count):
        log.append_as_leader(encode_batch([Record(value=b"v" * 50)]), leader_epoch=0, now_ms=0)


def test_offset_checkpoints_are_kafkas_text_format(tmp_path: pathlib.Path) -> None:
    disk = RealDisk(tmp_path)
    write_offset_checkpoint(disk, "replication-offset-checkpoint", {tp("b", 1): 7, tp("a", 0): 12})
    text = (tmp_path / "replication-offset-checkpoint").read_text()
    assert text == "0\n2\na 0 12\nb 1 7\n"
    assert read_offset_checkpoint(disk, "replication-offset-checkpoint") == {
        tp("a", 0): 12,
        tp("b", 1): 7,
    }
    assert not (tmp_path / "replication-offset-checkpoint.tmp").exists()


def test_a_checkpoint_is_replaced_atomically_and_durably() -> None:
    disk = SimDisk()
    write_offset_checkpoint(disk, "ckpt", {tp("a", 0): 1})
    write_offset_checkpoint(disk, "ckpt", {tp("a", 0): 2})
    disk.crash()
    assert read_offset_checkpoint(disk, "ckpt") == {tp("a", 0): 2}


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"1\n0\n",
        b"0\n2\na 0 1\n",
        b"0\n1\na 0\n",
        b"0\n1\na zero 1\n",
        b"0\n1\n../x 0 1\n",
        b"0\n1\na 0 1e9\n",
        b"\xff\xfe",
        b"0\nx\n",
    ],
)
def test_a_malformed_checkpoint_is_reported(text: bytes) -> None:
    disk = SimDisk()
    disk.write("ckpt", text)
    with pytest.raises(CorruptCheckpointError):
        read_offset_checkpoint(disk, "ckpt")


def test_missing_checkpoints_read_as_nothing() -> None:
    assert read_offset_checkpoint(SimDisk(), "none") == {}
    assert read_epoch_checkpoint(SimDisk(), "none") is None


def test_the_manager_reopens_every_partition_with_its_recovery_point() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    append(manager, "orders", 0, 5)
    append(manager, "orders", 1, 2)
    append(manager, "my-topic", 2, 1)
    manager.flush_all()
    text = disk.read(RECOVERY_POINT_CHECKPOINT).decode()
    assert text.splitlines()[:2] == ["0", "3"] and "my-topic 2 1" in text
    reopened = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    assert sorted(reopened.logs) == [tp("my-topic", 2), tp("orders", 0), tp("orders", 1)]
    assert [reopened.logs[key].recovery_point for key in sorted(reopened.logs)] == [1, 5, 2]


def test_a_truncation_checkpoints_the_lower_recovery_point_at_once() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    append(manager, "orders", 0, 4)
    manager.flush_all()
    assert manager.truncate_to("orders", 0, 2, now_ms=0)
    assert disk.read(RECOVERY_POINT_CHECKPOINT) == b"0\n1\norders 0 2\n"


def test_a_corrupt_recovery_checkpoint_means_recovering_everything() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    append(manager, "orders", 0, 3)
    manager.flush_all()
    disk.write(RECOVERY_POINT_CHECKPOINT, b"garbage")
    reopened = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    log = reopened.get_log("orders", 0)
    assert log is not None and log.recovery_point == 0 and log.log_end_offset == 3


def test_log_start_offsets_survive_a_restart() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    append(manager, "orders", 0, 3)
    log = manager.get_or_create_log("orders", 0, now_ms=0)
    log.maybe_increment_log_start_offset(2)
    manager.checkpoint_log_start_offsets()
    reopened = LogManager.open(disk, now_ms=0, default_config=CONFIG).get_log("orders", 0)
    assert reopened is not None and reopened.log_start_offset == 2


def test_high_watermarks_round_trip_and_default_to_nothing() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0)
    assert manager.read_high_watermarks() == {}
    manager.checkpoint_high_watermarks({tp("orders", 0): 9})
    assert manager.read_high_watermarks() == {tp("orders", 0): 9}
    disk.write("replication-offset-checkpoint", b"0\n5\n")
    assert manager.read_high_watermarks() == {}


def test_deleting_a_log_removes_its_files_and_it_stays_deleted() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, default_config=CONFIG)
    append(manager, "orders", 0, 8)
    assert manager.delete_log("orders", 0)
    assert not manager.delete_log("orders", 0)
    assert disk.list_dir("orders-0") == []
    assert LogManager.open(disk, now_ms=0).logs == {}


def test_other_files_in_the_log_directory_are_left_alone(tmp_path: pathlib.Path) -> None:
    disk = RealDisk(tmp_path)
    (tmp_path / "meta.properties").write_text("version=0\n")
    (tmp_path / "not-a-partition").mkdir()
    (tmp_path / "orders-x").mkdir()
    (tmp_path / "file-0").write_text("a plain file with a partition-like name")
    manager = LogManager.open(disk, now_ms=0, log_dir="")
    assert manager.logs == {}
    assert (tmp_path / "meta.properties").exists()


def test_a_log_directory_inside_the_disk() -> None:
    disk = SimDisk()
    manager = LogManager.open(disk, now_ms=0, log_dir="kafka-logs", default_config=CONFIG)
    append(manager, "orders", 0, 2)
    manager.flush_all()
    assert "orders-0" in disk.list_dir("kafka-logs")
    assert disk.exists("kafka-logs/recovery-point-offset-checkpoint")
    again = LogManager.open(disk, now_ms=0, log_dir="kafka-logs", default_config=CONFIG)
    assert again.get_log("orders", 0) is not None


def test_truncating_an_unknown_log_is_unknown_topic_or_partition() -> None:
    manager = LogManager.open(SimDisk(), now_ms=0)
    with pytest.raises(LogError) as raised:
        manager.truncate_to("orders", 0, 5, now_ms=0)
    assert raised.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
