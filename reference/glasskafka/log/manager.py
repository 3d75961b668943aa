"""The log manager: every partition log in one log directory, and the directory's checkpoints.

Theory of operation
-------------------
A broker's ``log.dirs`` holds one directory per partition replica plus three checkpoint files
that cover all of them (``LogManager.scala``; formats in ``checkpoint.py``):

* ``recovery-point-offset-checkpoint`` -- per partition, the log end offset at its last flush.
  Recovery after a crash starts there (``recovery.py``).  It is written after flushes, and at
  once after a truncation: a truncation lowers the recovery point, and a checkpoint left higher
  would make a later recovery trust batches that were never synced
  (``LogManager.truncateTo`` does the same);
* ``log-start-offset-checkpoint`` -- per partition, the log start offset, which may lie inside
  the first segment;
* ``replication-offset-checkpoint`` -- per partition, the high watermark.  The replica manager
  owns the values; this class only reads and writes the file.

A checkpoint that is missing or malformed is not fatal: every value has a safe default (recovery
from offset 0, log start at the first segment, high watermark unknown).

:class:`LogManager` is plain data over a :class:`~glasskafka.storage.Disk`, like the logs it
holds.  It opens every partition directory it finds when it starts (:meth:`LogManager.open`),
creates and deletes logs on request, and writes the checkpoints when asked.

Spec IDs: LOG-4 (recovery points), LOG-5 (log start offsets).

Simplified from Kafka: one log directory per manager (Kafka spreads partitions over several and
moves them between directories, KIP-113); the broker calls the checkpoint methods from its timers
(``log.flush.offset.checkpoint.interval.ms``) instead of background threads; a deleted
partition's files are removed at once instead of after a rename to ``-delete``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.ids import PartitionId, TopicName, TopicPartition
from glasskafka.log.checkpoint import (
    CorruptCheckpointError,
    read_offset_checkpoint,
    write_offset_checkpoint,
)
from glasskafka.log.errors import LogError
from glasskafka.log.names import (
    LOG_SUFFIX,
    parse_partition_dir,
    parse_segment_file,
    validate_partition,
    validate_topic,
)
from glasskafka.log.partition_log import PartitionLog
from glasskafka.storage import Disk, DiskError

__all__ = [
    "LOG_START_OFFSET_CHECKPOINT",
    "RECOVERY_POINT_CHECKPOINT",
    "REPLICATION_OFFSET_CHECKPOINT",
    "LogManager",
]

RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint"
REPLICATION_OFFSET_CHECKPOINT = "replication-offset-checkpoint"
LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint"


@dataclass(slots=True, kw_only=True)
class LogManager:
    """The partition logs of one log directory on ``disk``."""

    disk: Disk
    log_dir: str = ""
    default_config: TopicConfig = field(default_factory=TopicConfig)
    topic_configs: dict[str, TopicConfig] = field(default_factory=dict)
    logs: dict[TopicPartition, PartitionLog] = field(default_factory=dict)
    bugs: BugFlags = NO_BUGS

    @classmethod
    def open(
        cls,
        disk: Disk,
        *,
        now_ms: int,
        log_dir: str = "",
        default_config: TopicConfig | None = None,
        topic_configs: Mapping[str, TopicConfig] | None = None,
        bugs: BugFlags = NO_BUGS,
    ) -> LogManager:
        """Open every partition directory in ``log_dir``, recovering each from its checkpoint.

        Directories that are not ``<topic>-<partition>`` or hold no ``.log`` file (the remains
        of a deleted partition) are skipped.  Invariants: LOG-4, LOG-5.
        """
        manager = cls(
            disk=disk,
            log_dir=log_dir,
            default_config=default_config or TopicConfig(),
            topic_configs=dict(topic_configs or {}),
            bugs=bugs,
        )
        if log_dir:
            disk.make_dirs(log_dir)
        recovery_points = manager._read(RECOVERY_POINT_CHECKPOINT)
        log_starts = manager._read(LOG_START_OFFSET_CHECKPOINT)
        for name in disk.list_dir(log_dir):
            parsed = parse_partition_dir(name)
            if parsed is None or not manager._has_segments(name):
                continue
            key = (TopicName(parsed[0]), PartitionId(parsed[1]))
            manager.logs[key] = PartitionLog.open(
                disk,
                key[0],
                key[1],
                manager.config_for(key[0]),
                now_ms=now_ms,
                log_dir=log_dir,
                recovery_point=recovery_points.get(key, 0),
                log_start_offset=log_starts.get(key, 0),
                bugs=bugs,
            )
        return manager

    def _path(self, name: str) -> str:
        return f"{self.log_dir}/{name}" if self.log_dir else name

    def _has_segments(self, name: str) -> bool:
        path = self._path(name)
        try:
            names = self.disk.list_dir(path)
        except DiskError:  # a plain file with a partition-like name: not a log
            return False
        return any(
            (parsed := parse_segment_file(entry)) is not None and parsed[1] == LOG_SUFFIX
            for entry in names
        )

    def _read(self, name: str) -> dict[TopicPartition, int]:
        try:
            return read_offset_checkpoint(self.disk, self._path(name))
        except CorruptCheckpointError:
            return {}

    def config_for(self, topic: str) -> TopicConfig:
        """The topic's own config, or the default."""
        return self.topic_configs.get(topic, self.default_config)

    # -- logs ---------------------------------------------------------------------------------

    def get_log(self, topic: str, partition: int) -> PartitionLog | None:
        """The log of ``topic``-``partition``, or None if this directory has none."""
        return self.logs.get((TopicName(topic), PartitionId(partition)))

    def get_or_create_log(
        self, topic: str, partition: int, *, now_ms: int, config: TopicConfig | None = None
    ) -> PartitionLog:
        """The log of ``topic``-``partition``, created empty if missing.

        Raises :class:`~glasskafka.log.errors.LogError` INVALID_TOPIC_EXCEPTION (or
        INVALID_PARTITIONS) before any file is created if a name is illegal.
        """
        key = (TopicName(validate_topic(topic)), PartitionId(validate_partition(partition)))
        existing = self.logs.get(key)
        if existing is not None:
            return existing
        if config is not None:
            self.topic_configs[topic] = config
        log = PartitionLog.open(
            self.disk,
            topic,
            partition,
            self.config_for(topic),
            now_ms=now_ms,
            log_dir=self.log_dir,
            bugs=self.bugs,
        )
        self.logs[key] = log
        return log

    def delete_log(self, topic: str, partition: int) -> bool:
        """Delete the log of ``topic``-``partition`` and its files; return whether it existed."""
        log = self.logs.pop((TopicName(topic), PartitionId(partition)), None)
        if log is None:
            return False
        log.delete()
        self.checkpoint_recovery_points()
        self.checkpoint_log_start_offsets()
        return True

    def truncate_to(self, topic: str, partition: int, offset: int, *, now_ms: int) -> bool:
        """Truncate one log and, if it changed, checkpoint the lowered recovery point at once.

        Raises :class:`~glasskafka.log.errors.LogError` UNKNOWN_TOPIC_OR_PARTITION if this
        directory has no such log.
        """
        log = self.get_log(topic, partition)
        if log is None:
            raise LogError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"no log for {topic}-{partition} here"
            )
        if not log.truncate_to(offset, now_ms=now_ms):
            return False
        self.checkpoint_recovery_points()
        self.checkpoint_log_start_offsets()
        return True

    # -- checkpoints --------------------------------------------------------------------------

    def flush_all(self) -> None:
        """Flush every log, then checkpoint the recovery points."""
        for key in sorted(self.logs):
            self.logs[key].flush()
        self.checkpoint_recovery_points()

    def checkpoint_recovery_points(self) -> None:
        """Write ``recovery-point-offset-checkpoint`` from the logs' recovery points."""
        write_offset_checkpoint(
            self.disk,
            self._path(RECOVERY_POINT_CHECKPOINT),
            {key: log.recovery_point for key, log in self.logs.items()},
        )

    def checkpoint_log_start_offsets(self) -> None:
        """Write ``log-start-offset-checkpoint`` from the logs' start offsets."""
        write_offset_checkpoint(
            self.disk,
            self._path(LOG_START_OFFSET_CHECKPOINT),
            {key: log.log_start_offset for key, log in self.logs.items()},
        )

    def checkpoint_high_watermarks(self, high_watermarks: Mapping[TopicPartition, int]) -> None:
        """Write ``replication-offset-checkpoint`` (the replica manager's high watermarks)."""
        write_offset_checkpoint(
            self.disk, self._path(REPLICATION_OFFSET_CHECKPOINT), dict(high_watermarks)
        )

    def read_high_watermarks(self) -> dict[TopicPartition, int]:
        """The checkpointed high watermarks; empty if the file is missing or malformed.

        Empty is safe: a leader's high watermark only rises again as followers fetch.
        """
        return self._read(REPLICATION_OFFSET_CHECKPOINT)
