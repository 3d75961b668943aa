"""The partition log: segments, sparse indexes, retention, compaction, checkpoints, recovery.

Lowest concept first: ``names`` (topic, directory and segment file names), ``errors``
(:class:`LogError`), ``index`` and ``time_index`` (the sparse indexes), ``segment`` (one
``.log`` file and its indexes), ``recovery`` and ``loader`` (opening after a crash),
``epoch_cache`` (leader epochs), ``checkpoint`` (Kafka's checkpoint files), ``validation``
(what may be appended), ``retention`` and ``cleaner`` (deleting and compacting),
``partition_log`` (:class:`PartitionLog`) and ``manager`` (:class:`LogManager`, one log
directory).

Simplified from Kafka: see each module's own note; the largest omissions are transactions'
``.txnindex`` and tiered storage.
"""

from glasskafka.log.checkpoint import (
    CorruptCheckpointError,
    read_epoch_checkpoint,
    read_offset_checkpoint,
    write_epoch_checkpoint,
    write_offset_checkpoint,
)
from glasskafka.log.cleaner import CleanerStats
from glasskafka.log.epoch_cache import UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, LeaderEpochCache
from glasskafka.log.errors import LogError
from glasskafka.log.index import OFFSET_INDEX_ENTRY_SIZE, OffsetIndex, decode_offset_index
from glasskafka.log.manager import (
    LOG_START_OFFSET_CHECKPOINT,
    RECOVERY_POINT_CHECKPOINT,
    REPLICATION_OFFSET_CHECKPOINT,
    LogManager,
)
from glasskafka.log.names import (
    INDEX_SUFFIX,
    LEADER_EPOCH_CHECKPOINT,
    LOG_SUFFIX,
    TIME_INDEX_SUFFIX,
    parse_partition_dir,
    parse_segment_file,
    partition_dir,
    segment_file,
    validate_topic,
)
from glasskafka.log.partition_log import LogAppendInfo, PartitionLog
from glasskafka.log.segment import LogSegment
from glasskafka.log.time_index import TIME_INDEX_ENTRY_SIZE, TimeIndex, decode_time_index
from glasskafka.log.validation import AppendOrigin

__all__ = [
    "INDEX_SUFFIX",
    "LEADER_EPOCH_CHECKPOINT",
    "LOG_START_OFFSET_CHECKPOINT",
    "LOG_SUFFIX",
    "OFFSET_INDEX_ENTRY_SIZE",
    "RECOVERY_POINT_CHECKPOINT",
    "REPLICATION_OFFSET_CHECKPOINT",
    "TIME_INDEX_ENTRY_SIZE",
    "TIME_INDEX_SUFFIX",
    "UNDEFINED_EPOCH",
    "UNDEFINED_EPOCH_OFFSET",
    "AppendOrigin",
    "CleanerStats",
    "CorruptCheckpointError",
    "LeaderEpochCache",
    "LogAppendInfo",
    "LogError",
    "LogManager",
    "LogSegment",
    "OffsetIndex",
    "PartitionLog",
    "TimeIndex",
    "decode_offset_index",
    "decode_time_index",
    "parse_partition_dir",
    "parse_segment_file",
    "partition_dir",
    "read_epoch_checkpoint",
    "read_offset_checkpoint",
    "segment_file",
    "validate_topic",
    "write_epoch_checkpoint",
    "write_offset_checkpoint",
]
