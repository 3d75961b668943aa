"""Names on disk: topic names, partition directories and segment files.

Theory of operation
-------------------
Kafka keeps one directory per partition under each ``log.dirs`` entry, named
``<topic>-<partition>``, and inside it one set of files per segment, each named by the segment's
base offset written as 20 zero-padded digits (``LogFileUtils.java``; wire-protocol.md §10)::

    orders-0/
        00000000000000000000.log        batches, exactly as appended
        00000000000000000000.index      offset index: (relative offset, position) entries
        00000000000000000000.timeindex  time index: (timestamp, relative offset) entries
        00000000000000001207.log        the next segment starts at offset 1207
        ...
        leader-epoch-checkpoint

Because a topic name becomes a directory name, it is checked before any file is created: Kafka's
rule (``Topic.validate``) allows only ASCII letters, digits, ``.``, ``_`` and ``-``, at most 249
characters, and neither ``.`` nor ``..``.  That also keeps every path inside the log directory.
The 249 comes from the 255-byte file-name limit of common file systems, less room for the
``-<partition>`` suffix and the ``.<uuid>-delete`` suffix Kafka adds when deleting a partition.

Spec IDs: none directly; these names are how the LOG-n invariants find the files they check.

Simplified from Kafka: Kafka also warns about topics that differ only in ``.`` versus ``_``
(they collide in metric names); glasskafka has no metrics and accepts both.
"""

from __future__ import annotations

import re

from glasskafka.errors import ErrorCode
from glasskafka.log.errors import LogError

__all__ = [
    "INDEX_SUFFIX",
    "LEADER_EPOCH_CHECKPOINT",
    "LOG_SUFFIX",
    "MAX_TOPIC_LENGTH",
    "TEMPORARY_SUFFIXES",
    "TIME_INDEX_SUFFIX",
    "parse_partition_dir",
    "parse_segment_file",
    "partition_dir",
    "segment_file",
    "validate_partition",
    "validate_topic",
]

LOG_SUFFIX = ".log"
INDEX_SUFFIX = ".index"
TIME_INDEX_SUFFIX = ".timeindex"
LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"

TEMPORARY_SUFFIXES = (".cleaned", ".swap", ".deleted", ".tmp")
"""Suffixes of files a crash can leave behind half-made; opening a log deletes them."""

MAX_TOPIC_LENGTH = 249
"""Kafka's ``Topic.MAX_NAME_LENGTH``."""

_LEGAL_TOPIC = re.compile(r"[A-Za-z0-9._-]+")
_SEGMENT = re.compile(r"([0-9]{20})(\.log|\.index|\.timeindex)")
_MAX_PARTITION = 2**31 - 1


def validate_topic(topic: object) -> str:
    """Return ``topic`` if it is a legal Kafka topic name.

    Raises :class:`LogError` with INVALID_TOPIC_EXCEPTION naming the problem otherwise.
    """
    if not isinstance(topic, str) or not topic:
        raise LogError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"topic name {topic!r} is empty")
    if topic in (".", ".."):
        raise LogError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"topic name {topic!r} is not allowed")
    if len(topic) > MAX_TOPIC_LENGTH:
        raise LogError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"topic name of {len(topic)} characters is too long; at most {MAX_TOPIC_LENGTH}",
        )
    if not _LEGAL_TOPIC.fullmatch(topic):
        raise LogError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"topic name {topic!r} may contain only ASCII letters, digits, '.', '_' and '-'",
        )
    return topic


def validate_partition(partition: object) -> int:
    """Return ``partition`` if it is a partition number (a non-negative Java int).

    Raises :class:`LogError` with INVALID_PARTITIONS otherwise.
    """
    if isinstance(partition, bool) or not isinstance(partition, int):
        raise LogError(ErrorCode.INVALID_PARTITIONS, f"partition {partition!r} is not an integer")
    if not 0 <= partition <= _MAX_PARTITION:
        raise LogError(
            ErrorCode.INVALID_PARTITIONS,
            f"partition {partition} is out of range; allowed: 0 to {_MAX_PARTITION}",
        )
    return partition


def partition_dir(topic: str, partition: int, *, log_dir: str = "") -> str:
    """The directory of one partition's log: ``[<log_dir>/]<topic>-<partition>``.

    Checks both names first (raises :class:`LogError`), so no bad name reaches the disk.
    """
    name = f"{validate_topic(topic)}-{validate_partition(partition)}"
    return f"{log_dir}/{name}" if log_dir else name


def parse_partition_dir(name: str) -> tuple[str, int] | None:
    """``(topic, partition)`` for a directory name such as ``orders-0``, or None if it is not one.

    The partition number follows the *last* ``-``, since topic names may contain dashes.
    """
    topic, dash, number = name.rpartition("-")
    if not dash or not number.isdigit() or not number.isascii():
        return None
    try:
        return validate_topic(topic), validate_partition(int(number))
    except LogError:
        return None


def segment_file(directory: str, base_offset: int, suffix: str) -> str:
    """The path of a segment file, e.g. ``orders-0/00000000000000001207.index``."""
    return f"{directory}/{base_offset:020d}{suffix}"


def parse_segment_file(name: str) -> tuple[int, str] | None:
    """``(base_offset, suffix)`` for a segment file name, or None if it is not one."""
    match = _SEGMENT.fullmatch(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)
