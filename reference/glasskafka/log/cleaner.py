"""Log compaction: keep only the latest record for each key (``cleanup.policy=compact``).

Theory of operation
-------------------
A compacted topic is a table in log form: ``__consumer_offsets`` keeps, for each (group, topic,
partition) key, the last committed offset.  Old values of a key are garbage, so the *cleaner*
rewrites old segments keeping only each key's latest record (``LogCleaner.scala``, KIP-58 for the
lag).  A record with a null value, a *tombstone*, deletes its key; it is kept for
``delete.retention.ms`` so that consumers reading the topic from the start see the deletion, and
then removed too.

One cleaning pass here:

1. **Cleanable range.**  Only whole segments below the *first uncleanable offset* are cleaned:
   never the active segment, nothing at or above the high watermark, and nothing in or after a
   segment holding a record newer than ``min.compaction.lag.ms``.
2. **Offset map.**  Read every record of the cleanable range and note, per key, the offset of its
   latest record.  A newer value *beyond* the cleanable range is not seen, so the older one
   survives this pass (as in Kafka).
3. **Rewrite.**  For each cleanable segment, copy the batches to ``<base>.log.cleaned``: a batch
   whose records all survive is copied byte for byte; one that loses some is rebuilt around its
   survivors with their **original offsets** and its original last offset delta, so offsets
   never change and gaps appear instead; a batch that loses all its records is dropped.  Control
   batches are kept as they are.
4. **Swap.**  fsync the ``.cleaned`` file, delete the old indexes, rename it over the ``.log``,
   and rebuild the indexes from it.  A crash at any step leaves either the old segment or the
   new one (a missing index is rebuilt when the log opens).  A middle segment left with no
   batches is deleted; the first one is kept, empty, since it marks where the log starts.

Rule kept (LOG-6): after a pass, the records below the first uncleanable offset are exactly the
latest record of each key (minus expired tombstones), at their original offsets and in offset
order; everything from the first uncleanable offset on is untouched.

Spec IDs: LOG-1 (gaps only from compaction), LOG-6.

Simplified from Kafka: Kafka's cleaner runs in background threads, tracks how far each log was
cleaned in ``cleaner-offset-checkpoint`` so it reads only the "dirty" part, limits its offset map
to ``log.cleaner.dedupe.buffer.size``, merges small segments into one, and (KIP-534) stamps a
delete horizon into batches holding tombstones.  glasskafka cleans the whole cleanable range on
each call, segment by segment, and expires a tombstone ``delete.retention.ms`` after its own
timestamp.  Keyless records, which a compacted topic refuses at append, are dropped as Kafka's
cleaner drops them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log.recovery import recover_segment
from glasskafka.log.segment import LogSegment
from glasskafka.records import (
    DecodedBatch,
    DecodedRecord,
    Record,
    UnsupportedCompressionError,
    decode_batch,
    encode_batch,
)

__all__ = ["CLEANED_SUFFIX", "CleanerStats", "clean_segments", "first_uncleanable_offset"]

CLEANED_SUFFIX = ".cleaned"


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanerStats:
    """What one cleaning pass did."""

    first_uncleanable_offset: int
    segments_cleaned: int
    records_read: int
    records_removed: int
    bytes_before: int
    bytes_after: int


def first_uncleanable_offset(
    segments: list[LogSegment], *, config: TopicConfig, now_ms: int, high_watermark: int
) -> int:
    """The offset from which nothing may be cleaned yet (``LogCleanerManager``).

    The smallest of: the active segment's base offset, the high watermark, and the base offset
    of the first segment holding a record younger than ``min.compaction.lag.ms``.
    """
    bound = min(segments[-1].base_offset, high_watermark)
    for segment in segments[:-1]:
        if segment.max_timestamp > now_ms - config.min_compaction_lag_ms:
            return min(bound, segment.base_offset)
    return bound


def clean_segments(
    segments: list[LogSegment],
    *,
    config: TopicConfig,
    now_ms: int,
    first_uncleanable: int,
    bugs: BugFlags = NO_BUGS,
) -> CleanerStats:
    """Compact every whole segment below ``first_uncleanable``; change ``segments`` in place.

    Invariants: LOG-1, LOG-6.
    """
    cleanable = 0
    while (
        cleanable + 1 < len(segments) and segments[cleanable + 1].base_offset <= first_uncleanable
    ):
        cleanable += 1
    latest: dict[bytes, int] = {}
    read = 0
    for number in range(cleanable):
        for decoded in _decoded_batches(segments[number]):
            if decoded is not None and not decoded.header.is_control:
                for record in decoded.records:
                    read += 1
                    if record.key is not None:
                        latest[record.key] = record.offset
    horizon_ms = now_ms - config.delete_retention_ms
    before = sum(segment.size for segment in segments[:cleanable])
    removed = cleaned = 0
    for number in reversed(range(cleanable)):
        dropped = _clean_one(segments, number, latest, horizon_ms, config, bugs)
        if dropped is not None:
            removed += dropped
            cleaned += 1
    after = sum(segment.size for segment in segments if segment.base_offset < first_uncleanable)
    return CleanerStats(
        first_uncleanable_offset=first_uncleanable,
        segments_cleaned=cleaned,
        records_read=read,
        records_removed=removed,
        bytes_before=before,
        bytes_after=after,
    )


def _decoded_batches(segment: LogSegment) -> Iterator[DecodedBatch | None]:
    """Each batch of ``segment`` decoded, or None for one whose codec glasskafka cannot open."""
    for position, header in segment.batches_from(0):
        try:
            yield decode_batch(segment.disk.read(segment.log_path, position, header.size))
        except UnsupportedCompressionError:
            yield None


def _retained(record: DecodedRecord, latest: dict[bytes, int], horizon_ms: int) -> bool:
    """Whether ``record`` survives: its key's latest, and not a tombstone past its horizon."""
    if record.key is None or latest.get(record.key) != record.offset:
        return False
    return record.value is not None or record.timestamp > horizon_ms


def _clean_one(
    segments: list[LogSegment],
    number: int,
    latest: dict[bytes, int],
    horizon_ms: int,
    config: TopicConfig,
    bugs: BugFlags,
) -> int | None:
    """Rewrite segment ``number``; return records removed, or None if nothing changed."""
    segment = segments[number]
    disk = segment.disk
    cleaned_path = segment.log_path + CLEANED_SUFFIX
    disk.write(cleaned_path, b"")
    removed = 0
    for position, header in segment.batches_from(0):
        batch = disk.read(segment.log_path, position, header.size)
        kept_batch, dropped = _clean_batch(batch, latest, horizon_ms)
        removed += dropped
        if kept_batch:
            disk.append(cleaned_path, kept_batch)
    if removed == 0:
        disk.delete(cleaned_path)
        return None
    disk.fsync(cleaned_path)
    disk.delete(segment.index_path)
    disk.delete(segment.time_index_path)
    disk.rename(cleaned_path, segment.log_path)
    fresh = LogSegment.empty(
        disk,
        segment.directory,
        segment.base_offset,
        config=config,
        now_ms=segment.created_ms,
        bugs=bugs,
    )
    limit = segments[number + 1].base_offset
    recover_segment(fresh, limit_offset=limit, bugs=bugs)
    fresh.on_become_inactive()
    fresh.flush()
    if fresh.size == 0 and number > 0:
        fresh.delete()
        del segments[number]
    else:
        segments[number] = fresh
    return removed


def _clean_batch(batch: bytes, latest: dict[bytes, int], horizon_ms: int) -> tuple[bytes, int]:
    """The batch to keep in place of ``batch`` (b"" for none) and how many records it lost."""
    try:
        decoded = decode_batch(batch)
    except UnsupportedCompressionError:
        return batch, 0
    if decoded.header.is_control:
        return batch, 0
    kept = [record for record in decoded.records if _retained(record, latest, horizon_ms)]
    dropped = len(decoded.records) - len(kept)
    if not dropped:
        return batch, 0
    if not kept:
        return b"", dropped
    header = decoded.header
    rebuilt = encode_batch(
        [Record(key=r.key, value=r.value, headers=r.headers, timestamp=r.timestamp) for r in kept],
        base_offset=header.base_offset,
        partition_leader_epoch=header.partition_leader_epoch,
        producer_id=header.producer_id,
        producer_epoch=header.producer_epoch,
        base_sequence=header.base_sequence,
        compression=header.compression,
        is_transactional=header.is_transactional,
        log_append_time=header.log_append_time,
        offset_deltas=[record.offset - header.base_offset for record in kept],
        last_offset_delta=header.last_offset_delta,
    )
    return rebuilt, dropped
