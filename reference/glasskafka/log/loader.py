"""Opening a partition directory: from the files on disk to segments and a leader-epoch cache.

Theory of operation
-------------------
When a broker starts, each partition directory is read back (``LogLoader.scala``):

1. **Tidy.**  Files a crash left half-made (``.cleaned``, ``.swap``, ``.deleted``, ``.tmp``) are
   deleted, and so are index files whose ``.log`` is gone.  Other unknown files are left alone.
2. **Segments.**  The ``.log`` files, by base offset.  Segments that end below the recovery point
   are loaded (indexes checked, rebuilt only if broken); from the segment holding the recovery
   point on, every batch is validated and the torn tail cut (``recovery.py``).  If a segment is
   cut, the later ones are deleted.  A directory with no segment gets an empty one, durably.
3. **Leader epochs.**  ``leader-epoch-checkpoint`` is read; entries starting in the recovered
   part are dropped and learned again from the recovered batches, so the cache matches the log
   even if the crash hit between writing the checkpoint and the batch.  A missing or malformed
   checkpoint is rebuilt from every batch header.  The cache is then cut to the log's end and
   start (LOG-7).
4. **Offsets.**  The log start offset is the larger of the checkpointed one and the first
   segment's base; the recovery point is never above the log end.
5. **Producer-state snapshots.**  Snapshots above the recovered log end describe batches the
   crash took, and those below the first segment describe deleted ones: both are deleted, as
   Kafka's ``ProducerStateManager.removeStraySnapshots`` and ``truncateAndReload`` do.  The
   state itself is recovered on demand (``PartitionLog.recover_producer_state``, the newest
   snapshot at or below the recovery point plus the log after it; ``recovery.py``).

Spec IDs: LOG-4, LOG-7, IDEM-5 (step 5).

Simplified from Kafka: Kafka also completes interrupted segment swaps from ``.swap`` files (the
cleaner's and the splitter's); glasskafka's cleaner swaps with one atomic rename, so a leftover
temporary file is always safe to delete.  Kafka keeps a missing epoch checkpoint as an empty
cache; glasskafka rebuilds it, which costs one header read per batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log.checkpoint import (
    CorruptCheckpointError,
    read_epoch_checkpoint,
    write_epoch_checkpoint,
)
from glasskafka.log.epoch_cache import LeaderEpochCache
from glasskafka.log.names import (
    LEADER_EPOCH_CHECKPOINT,
    LOG_SUFFIX,
    TEMPORARY_SUFFIXES,
    parse_segment_file,
)
from glasskafka.log.producer_state import remove_snapshots
from glasskafka.log.recovery import load_segment, recover_segment
from glasskafka.log.segment import LogSegment
from glasskafka.records import BatchHeader
from glasskafka.storage import Disk

__all__ = ["LoadedPartition", "load_partition"]


@dataclass(slots=True, kw_only=True)
class LoadedPartition:
    """What opening a partition directory found."""

    segments: list[LogSegment]
    log_start_offset: int
    recovery_point: int
    epoch_cache: LeaderEpochCache


def load_partition(
    disk: Disk,
    directory: str,
    *,
    config: TopicConfig,
    now_ms: int,
    recovery_point: int,
    log_start_offset: int,
    bugs: BugFlags = NO_BUGS,
) -> LoadedPartition:
    """Read, tidy and recover the partition directory ``directory`` (created if missing).

    Invariants: LOG-4, LOG-7, IDEM-5.
    """
    disk.make_dirs(directory)
    bases = _tidy(disk, directory)
    epochs_path = f"{directory}/{LEADER_EPOCH_CHECKPOINT}"
    cache, trusted = _read_epochs(disk, epochs_path)
    segments = _open_segments(
        disk,
        directory,
        bases,
        config=config,
        now_ms=now_ms,
        recovery_point=recovery_point,
        cache=cache if trusted else None,
        bugs=bugs,
    )
    if not segments:
        segments.append(
            LogSegment.create(
                disk, directory, max(log_start_offset, 0), config=config, now_ms=now_ms, bugs=bugs
            )
        )
    if not trusted:
        for segment in segments:
            for _, header in segment.batches_from(0):
                cache.assign(epoch=header.partition_leader_epoch, start_offset=header.base_offset)
    log_end = segments[-1].next_offset
    start = min(max(log_start_offset, segments[0].base_offset), log_end)
    before = list(cache.entries)
    cache.truncate_from_end(log_end)
    cache.truncate_from_start(start)
    if cache.entries != before or not trusted:
        write_epoch_checkpoint(disk, epochs_path, cache.entries)
    remove_snapshots(disk, directory, below=segments[0].base_offset, above=log_end)
    return LoadedPartition(
        segments=segments,
        log_start_offset=start,
        recovery_point=min(max(recovery_point, 0), log_end),
        epoch_cache=cache,
    )


def _tidy(disk: Disk, directory: str) -> list[int]:
    """Delete leftovers; return the base offsets of the ``.log`` files, ascending."""
    names = disk.list_dir(directory)
    bases = set()
    for name in names:
        parsed = parse_segment_file(name)
        if parsed is not None and parsed[1] == LOG_SUFFIX:
            bases.add(parsed[0])
    for name in names:
        parsed = parse_segment_file(name)
        orphan = parsed is not None and parsed[0] not in bases
        if orphan or name.endswith(TEMPORARY_SUFFIXES):
            disk.delete(f"{directory}/{name}")
    return sorted(bases)


def _read_epochs(disk: Disk, path: str) -> tuple[LeaderEpochCache, bool]:
    """The checkpointed cache and whether it can be trusted (present and well-formed)."""
    try:
        entries = read_epoch_checkpoint(disk, path)
    except CorruptCheckpointError:
        return LeaderEpochCache(), False
    if entries is None:
        return LeaderEpochCache(), False
    cache = LeaderEpochCache()
    for epoch, start in entries:
        cache.assign(epoch=epoch, start_offset=start)
    return cache, cache.entries == entries


def _open_segments(
    disk: Disk,
    directory: str,
    bases: list[int],
    *,
    config: TopicConfig,
    now_ms: int,
    recovery_point: int,
    cache: LeaderEpochCache | None,
    bugs: BugFlags,
) -> list[LogSegment]:
    """Load the segments below the recovery point's segment; recover the rest.

    If a segment had to be cut, every later one is deleted: a gap in the middle of a log is
    never right.
    """
    first_unflushed = 0
    for number, base in enumerate(bases):
        if base <= recovery_point:
            first_unflushed = number

    def learn_epoch(header: BatchHeader) -> None:
        if cache is not None:
            cache.assign(epoch=header.partition_leader_epoch, start_offset=header.base_offset)

    segments: list[LogSegment] = []
    for number, base in enumerate(bases):
        limit = bases[number + 1] if number + 1 < len(bases) else None
        if number < first_unflushed:
            segment, cut = load_segment(
                disk, directory, base, config=config, now_ms=now_ms, limit_offset=limit, bugs=bugs
            )
        else:
            if number == first_unflushed and cache is not None:
                cache.truncate_from_end(base)
            segment = LogSegment.empty(
                disk, directory, base, config=config, now_ms=now_ms, bugs=bugs
            )
            cut = recover_segment(segment, limit_offset=limit, bugs=bugs, visit=learn_epoch)
            if limit is not None:
                segment.on_become_inactive()
        segments.append(segment)
        if cut and limit is not None:
            for later in reversed(bases[number + 1 :]):
                LogSegment.empty(
                    disk, directory, later, config=config, now_ms=now_ms, bugs=bugs
                ).delete()
            break
    return segments
