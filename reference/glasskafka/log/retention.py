"""Retention: which old segments a ``cleanup.policy=delete`` log may delete now.

Theory of operation
-------------------
A log does not keep data forever.  Kafka deletes *whole segments* from the old end of the log,
never single records, when one of three rules says so (``UnifiedLog.deleteOldSegments``):

* **time** -- ``retention.ms`` (the broker's ``log.retention.ms``/``.minutes``/``.hours``): a
  segment whose newest record is older than that (``now - max_timestamp > retention.ms``);
* **size** -- ``retention.bytes``: while the log without its oldest segment would still be at
  least that big, the oldest segment goes;
* **log start** -- a segment that lies wholly below the log start offset (moved up by a follower
  or DeleteRecords) is no longer readable and goes too.

Each rule walks from the oldest segment and stops at the first it may not delete, so only a
prefix of the segment list is ever deleted.  A segment may only go if all of it is below the
high watermark (data consumers may not have seen yet is never deleted), and an empty active
segment is never counted.  Deleting moves the log start offset up to the new first segment's
base offset.  If every segment is to go, the log first rolls a new empty segment, because a log
always has an active segment (the partition log does that).

Rule kept (LOG-5): retention never removes data at or above the log start offset it reports.

Spec IDs: LOG-5.

Simplified from Kafka: a segment whose batches carry no timestamps (``NO_TIMESTAMP``) falls back
to the file's modification time in Kafka; glasskafka has no file times, and never deletes such
a segment by time.  Kafka also renames deleted files to ``.deleted`` and removes them a minute
later (``file.delete.delay.ms``) so that in-flight reads can finish; glasskafka has no concurrent
reads and deletes at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from glasskafka.config import TopicConfig
from glasskafka.log.segment import LogSegment

__all__ = ["deletable_segments"]

_Rule = Callable[[int, LogSegment], bool]


def deletable_segments(
    segments: Sequence[LogSegment],
    *,
    config: TopicConfig,
    now_ms: int,
    log_start_offset: int,
    log_end_offset: int,
    high_watermark: int,
) -> int:
    """How many segments, counted from the oldest, retention deletes now.

    The three rules are applied one after another, as Kafka does, each on what the previous
    left.  Returns 0 unless ``cleanup.policy`` includes ``delete``.  Invariants: LOG-5.
    """
    if not config.delete:
        return 0
    deleted = 0
    # The size rule counts what the time rule left; ``remaining`` is updated as it deletes.
    remaining = 0

    def by_time(_: int, segment: LogSegment) -> bool:
        return (
            config.retention_ms >= 0
            and segment.max_timestamp >= 0
            and now_ms - segment.max_timestamp > config.retention_ms
        )

    def by_size(_: int, segment: LogSegment) -> bool:
        nonlocal remaining
        if config.retention_bytes < 0 or remaining - segment.size < config.retention_bytes:
            return False
        remaining -= segment.size
        return True

    def by_log_start(number: int, _: LogSegment) -> bool:
        return _upper_bound(segments, number, log_end_offset) <= log_start_offset

    for rule in (by_time, by_size, by_log_start):
        remaining = sum(segment.size for segment in segments[deleted:])
        deleted += _prefix(segments, deleted, rule, log_end_offset, high_watermark)
    return deleted


def _prefix(
    segments: Sequence[LogSegment],
    first: int,
    rule: _Rule,
    log_end_offset: int,
    high_watermark: int,
) -> int:
    """How many segments from number ``first`` on ``rule`` deletes, stopping at the first kept.

    A segment counts only if everything in it lies below the high watermark and it is not the
    empty active segment (``UnifiedLog.deletableSegments``).
    """
    count = 0
    for number in range(first, len(segments)):
        segment = segments[number]
        last_and_empty = number == len(segments) - 1 and segment.size == 0
        upper = _upper_bound(segments, number, log_end_offset)
        if last_and_empty or high_watermark < upper or not rule(number, segment):
            break
        count += 1
    return count


def _upper_bound(segments: Sequence[LogSegment], number: int, log_end_offset: int) -> int:
    """The offset where segment ``number``'s range ends: the next base, or the log end."""
    return segments[number + 1].base_offset if number + 1 < len(segments) else log_end_offset
