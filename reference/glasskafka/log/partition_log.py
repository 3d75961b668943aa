"""The log of one partition replica: an append-only sequence of batches, kept in segments.

Theory of operation
-------------------
A partition is "a sequential, append-only log" (the course, "Topic and Logs"): every batch gets
the next offsets and goes to the end.  :class:`PartitionLog` is that log on a
:class:`~glasskafka.storage.Disk`, laid out exactly as Kafka lays it out (``names.py``): one
directory per partition, one ``.log``/``.index``/``.timeindex`` triple per segment, and a
``leader-epoch-checkpoint``.  It is plain data over a disk -- no threads, no clock, no driver --
so the same code runs on a real directory (``RealDisk``) and in the simulator (``SimDisk``).

What it keeps:

* ``log_start_offset`` -- the first offset a reader may ask for (retention moves it up);
* ``log_end_offset`` -- the offset the next batch gets (the active segment's ``next_offset``);
* ``recovery_point`` -- everything below it has been fsynced (:meth:`flush`);
* the segments, oldest first, and the leader-epoch cache.

The operations a broker needs:

* :meth:`append_as_leader` validates one producer batch, stamps its base offset and partition
  leader epoch (both outside the CRC, so the bytes are otherwise untouched), rolls a new segment
  if needed (``segment.bytes``, ``segment.ms``, a full index), and appends;
  :meth:`append_as_follower` appends batches fetched from the leader, keeping their offsets;
* :meth:`read` returns whole batches from the one holding the fetch offset, up to ``max_bytes``
  but at least one batch (KIP-74), optionally stopping at the high watermark;
* :meth:`offset_for_timestamp` (ListOffsets), :meth:`end_offset_for_epoch` (OffsetForLeaderEpoch);
* :meth:`maybe_assign_epoch_start_offset` (a new leader marking where its epoch begins);
* :meth:`truncate_to` (a follower cutting a diverged tail), :meth:`delete_old_segments`
  (retention), :meth:`compact` (``cleanup.policy=compact``), :meth:`flush`.

Errors a peer or client caused are raised as :class:`~glasskafka.log.errors.LogError` carrying
the Kafka code, before anything changes; ``ValueError`` means the caller broke a precondition.

Spec IDs: LOG-1 .. LOG-8 (see ``specs/log.py``).

Simplified from Kafka: ``UnifiedLog`` also keeps the producer state (idempotence) in memory, the
last stable offset and aborted transactions, tiered storage, and hands fetches a zero-copy file
slice.  Here the broker keeps the producer-state table; the log only writes its snapshots at
rolls and recovers it (:meth:`recover_producer_state`).  The rest comes later or not at all.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.log.checkpoint import write_epoch_checkpoint
from glasskafka.log.cleaner import CleanerStats, clean_segments, first_uncleanable_offset
from glasskafka.log.epoch_cache import LeaderEpochCache
from glasskafka.log.errors import LogError
from glasskafka.log.loader import load_partition
from glasskafka.log.names import LEADER_EPOCH_CHECKPOINT, partition_dir
from glasskafka.log.producer_state import remove_snapshots
from glasskafka.log.recovery import ProducerStateRecovery, recover_producer_state, snapshot_at_roll
from glasskafka.log.retention import deletable_segments
from glasskafka.log.segment import LogSegment
from glasskafka.log.validation import (
    AppendOrigin,
    validate_follower_batches,
    validate_leader_batch,
)
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    BatchHeader,
    read_header,
    set_max_timestamp,
    stamp,
)
from glasskafka.storage import Disk

__all__ = ["LogAppendInfo", "PartitionLog"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LogAppendInfo:
    """What an append did (Kafka's ``LogAppendInfo``): the offsets the broker answers with.

    ``log_append_time_ms`` is -1 on CreateTime topics, as in a ProduceResponse.
    """

    first_offset: int
    last_offset: int
    max_timestamp: int
    offset_of_max_timestamp: int
    log_append_time_ms: int
    log_start_offset: int
    records_count: int
    valid_bytes: int


@dataclass(slots=True, kw_only=True)
class PartitionLog:
    """One partition's log on a disk.  Build it with :meth:`open`."""

    disk: Disk
    topic: str
    partition: int
    directory: str
    config: TopicConfig
    segments: list[LogSegment]
    log_start_offset: int
    recovery_point: int
    epoch_cache: LeaderEpochCache = field(default_factory=LeaderEpochCache)
    unflushed_records: int = 0
    bugs: BugFlags = NO_BUGS

    @classmethod
    def open(
        cls,
        disk: Disk,
        topic: str,
        partition: int,
        config: TopicConfig,
        *,
        now_ms: int,
        log_dir: str = "",
        recovery_point: int = 0,
        log_start_offset: int = 0,
        bugs: BugFlags = NO_BUGS,
    ) -> PartitionLog:
        """Open (or create) the log of ``topic``-``partition``, recovering it if needed.

        ``recovery_point`` and ``log_start_offset`` come from the log directory's checkpoint
        files (the log manager reads them); 0 is always safe, only slower.  The topic name is
        checked before any file is touched: :class:`LogError` with INVALID_TOPIC_EXCEPTION.
        Invariants: LOG-4, LOG-7.
        """
        directory = partition_dir(topic, partition, log_dir=log_dir)
        loaded = load_partition(
            disk,
            directory,
            config=config,
            now_ms=now_ms,
            recovery_point=recovery_point,
            log_start_offset=log_start_offset,
            bugs=bugs,
        )
        return cls(
            disk=disk,
            topic=topic,
            partition=partition,
            directory=directory,
            config=config,
            segments=loaded.segments,
            log_start_offset=loaded.log_start_offset,
            recovery_point=loaded.recovery_point,
            epoch_cache=loaded.epoch_cache,
            bugs=bugs,
        )

    # -- state --------------------------------------------------------------------------------

    @property
    def log_end_offset(self) -> int:
        """The offset the next appended record gets."""
        return self.segments[-1].next_offset

    @property
    def active_segment(self) -> LogSegment:
        """The segment appends go to (the last one)."""
        return self.segments[-1]

    @property
    def size_in_bytes(self) -> int:
        """Bytes in all ``.log`` files."""
        return sum(segment.size for segment in self.segments)

    @property
    def latest_epoch(self) -> int:
        """The newest leader epoch that wrote to this log, or -1."""
        return self.epoch_cache.latest_epoch

    # -- appending ----------------------------------------------------------------------------

    def append_as_leader(
        self,
        batch: bytes,
        *,
        leader_epoch: int,
        now_ms: int,
        origin: AppendOrigin = AppendOrigin.CLIENT,
    ) -> LogAppendInfo:
        """Validate one producer batch, give it the next offsets and ``leader_epoch``, append it.

        Raises :class:`LogError` (see ``validation.py``; FENCED_LEADER_EPOCH if ``leader_epoch``
        is below the log's latest epoch) and leaves the log untouched.  The batch is not durable
        until :meth:`flush`.  Invariants: LOG-1, LOG-2, LOG-3, LOG-7.
        """
        if leader_epoch < 0:
            raise ValueError(f"leader_epoch must be >= 0, got {leader_epoch}")
        validate_leader_batch(batch, config=self.config, origin=origin)
        if leader_epoch < self.latest_epoch:
            raise LogError(
                ErrorCode.FENCED_LEADER_EPOCH,
                f"leader epoch {leader_epoch} is older than the log's epoch {self.latest_epoch}",
            )
        base_offset = self.log_end_offset
        if self.config.message_timestamp_type == "LogAppendTime":
            # LogAppendTime overwrites the batch's timestamp, which lies inside the CRC, so
            # this is the one case where the leader rewrites the batch (LogValidator).
            stamped = stamp(batch, base_offset=base_offset, partition_leader_epoch=leader_epoch)
            stamped = set_max_timestamp(stamped, log_append_time=True, max_timestamp=now_ms)
            header = read_header(stamped)
            self._append(header, stamped, now_ms=now_ms)
            return self._info([header], valid_bytes=header.size, log_append_time_ms=now_ms)
        # The base offset and the leader epoch lie in the first 21 bytes, outside the CRC: stamp
        # a copy of the header alone and append the rest of the producer's bytes as they are.
        head = stamp(
            batch[:BATCH_HEADER_SIZE], base_offset=base_offset, partition_leader_epoch=leader_epoch
        )
        header = read_header(head)
        self._append(header, head, memoryview(batch)[BATCH_HEADER_SIZE:], now_ms=now_ms)
        return self._info([header], valid_bytes=header.size, log_append_time_ms=-1)

    def append_as_follower(self, records: bytes, *, now_ms: int) -> LogAppendInfo:
        """Append batches fetched from the leader, keeping their offsets and epochs.

        All batches are validated before the first is written.  Raises :class:`LogError` and
        leaves the log untouched if any fails.  Invariants: LOG-1, LOG-7.
        """
        found = validate_follower_batches(
            records,
            config=self.config,
            log_end_offset=self.log_end_offset,
            latest_epoch=self.latest_epoch,
        )
        view = memoryview(records)
        for position, header in found:
            self._append(header, view[position : position + header.size], now_ms=now_ms)
        valid = sum(header.size for _, header in found)
        return self._info([header for _, header in found], valid_bytes=valid, log_append_time_ms=-1)

    def _append(self, header: BatchHeader, *parts: bytes | memoryview, now_ms: int) -> None:
        """Roll if needed, note the epoch, append; flush every ``flush.messages`` records."""
        if self.active_segment.should_roll(
            header,
            segment_bytes=self.config.segment_bytes,
            segment_ms=self.config.segment_ms,
            now_ms=now_ms,
        ):
            self.roll(now_ms=now_ms, base_offset=header.base_offset)
        # The epoch is noted before the batch is written, as UnifiedLog.append does; recovery
        # repairs the cache if a crash then loses the batch.
        if self.epoch_cache.assign(
            epoch=header.partition_leader_epoch, start_offset=header.base_offset
        ):
            self._save_epochs()
        self.active_segment.append(header, *parts)
        self.unflushed_records += header.records_count
        if self.unflushed_records >= self.config.flush_messages:
            self.flush()

    def _info(
        self, headers: list[BatchHeader], *, valid_bytes: int, log_append_time_ms: int
    ) -> LogAppendInfo:
        if not headers:
            end = self.log_end_offset
            return LogAppendInfo(
                first_offset=end,
                last_offset=end - 1,
                max_timestamp=-1,
                offset_of_max_timestamp=-1,
                log_append_time_ms=log_append_time_ms,
                log_start_offset=self.log_start_offset,
                records_count=0,
                valid_bytes=0,
            )
        newest = max(headers, key=lambda header: header.max_timestamp)
        return LogAppendInfo(
            first_offset=headers[0].base_offset,
            last_offset=headers[-1].last_offset,
            max_timestamp=newest.max_timestamp,
            offset_of_max_timestamp=newest.last_offset,
            log_append_time_ms=log_append_time_ms,
            log_start_offset=self.log_start_offset,
            records_count=sum(header.records_count for header in headers),
            valid_bytes=valid_bytes,
        )

    def roll(self, *, now_ms: int, base_offset: int | None = None) -> LogSegment:
        """Start a new active segment at ``base_offset`` (default: the log end offset).

        The old active segment is flushed first, so the recovery point moves up to it.  An empty
        active segment is reused if it already starts there, and replaced otherwise.
        Invariants: LOG-4.
        """
        base = self.log_end_offset if base_offset is None else base_offset
        if base < self.log_end_offset:
            raise ValueError(f"cannot roll at {base}, below the log end {self.log_end_offset}")
        active = self.active_segment
        if active.size == 0:
            if active.base_offset == base:
                return active
            active.delete()
            self.segments.pop()
        else:
            active.on_become_inactive()
            # A segment that is not the last must be wholly on disk: otherwise a crash could
            # keep the new segment but lose the end of this one, leaving a hole in the offsets
            # (Kafka flushes the old segment right after a roll, in the background).
            self.flush()
        segment = LogSegment.create(
            self.disk, self.directory, base, config=self.config, now_ms=now_ms, bugs=self.bugs
        )
        self.segments.append(segment)
        # Replacing an empty first segment (a follower jumping a compaction gap) moves the start.
        self.log_start_offset = max(self.log_start_offset, self.segments[0].base_offset)
        # Everything below the new segment is flushed: snapshot the producer state there, as
        # Kafka's UnifiedLog.roll does, so recovery replays only the log after it (IDEM-5).
        snapshot_at_roll(self.disk, self.directory, self.segments[:-1], offset=base)
        return segment

    # -- reading ------------------------------------------------------------------------------

    def read(
        self,
        offset: int,
        *,
        max_bytes: int,
        max_offset: int | None = None,
        min_one_batch: bool = True,
    ) -> bytes:
        """Whole batches from the one that holds ``offset``: at most ``max_bytes`` (but at least
        one batch if ``min_one_batch``, KIP-74), and only batches ending below ``max_offset``.

        Raises :class:`LogError` OFFSET_OUT_OF_RANGE if ``offset`` is below the log start or
        above the log end (wire-protocol.md §6 "Fetch"); at the log end, or at/above
        ``max_offset``, returns ``b""``.  Reads from one segment only, as ``LocalLog.read``
        does.  Invariants: LOG-2.
        """
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self._check_in_range(offset)
        first = bisect.bisect_right(self.segments, offset, key=_base_offset) - 1
        for segment in self.segments[max(first, 0) :]:
            if segment.size > 0 and segment.next_offset > offset:
                return segment.read(
                    offset, max_bytes=max_bytes, max_offset=max_offset, min_one_batch=min_one_batch
                )
        return b""

    def _check_in_range(self, offset: int) -> None:
        if not self.log_start_offset <= offset <= self.log_end_offset:
            raise LogError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"offset {offset} is outside the log [{self.log_start_offset}, "
                f"{self.log_end_offset}] of {self.directory}",
            )

    def offset_for_timestamp(self, timestamp: int) -> int | None:
        """The first offset at or after the log start whose record's timestamp is ``>= timestamp``.

        None if there is none (ListOffsets then answers the log end offset).  Invariants: LOG-8.
        """
        for segment in self.segments:
            if segment.max_timestamp >= timestamp:
                found = segment.offset_for_timestamp(
                    timestamp, starting_offset=self.log_start_offset
                )
                if found is not None:
                    return found
        return None

    def maybe_assign_epoch_start_offset(self, *, leader_epoch: int) -> bool:
        """Record that ``leader_epoch`` starts at the log end offset; return whether it is new.

        A new leader calls this as it takes over, before any batch of its epoch exists, so its
        OffsetForLeaderEpoch answers name the epoch at once (KIP-101; apache/kafka #5678,
        ``UnifiedLog.maybeAssignEpochStartOffset``).  An epoch not newer than the log's latest
        changes nothing, so a stale LeaderAndIsr after a restart cannot rewrite the cache.
        Durable on return (the checkpoint is rewritten).  Invariants: LOG-7.
        """
        if leader_epoch <= self.latest_epoch:
            return False
        self.epoch_cache.assign(epoch=leader_epoch, start_offset=self.log_end_offset)
        self._save_epochs()
        return True

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """``(epoch, end_offset)`` for OffsetForLeaderEpoch (KIP-279): see ``epoch_cache.py``."""
        return self.epoch_cache.end_offset_for(epoch, log_end_offset=self.log_end_offset)

    # -- shrinking ----------------------------------------------------------------------------

    def truncate_to(self, offset: int, *, now_ms: int) -> bool:
        """Remove every batch that holds an offset ``>= offset``; return whether any went.

        A batch holding ``offset`` goes whole, so the log may end below ``offset``.  Durable on
        return; lowers the recovery point, which the caller must checkpoint before appending
        again (``LogManager.truncate_to`` does both).  At or past the log end no batch goes,
        but epoch-cache entries starting at or past the log end still do (KAFKA-10706).
        Invariants: LOG-1, LOG-4, LOG-7.
        """
        if offset >= self.log_end_offset:
            # A replica that led an epoch and wrote nothing in it keeps (epoch, LEO) in its
            # cache.  As a follower it would ask the leader about that epoch, be told to cut at
            # its own LEO, cut nothing and ask again for ever (KAFKA-10706).  So the cache is
            # trimmed to the log even when the log is not; Kafka's UnifiedLog.truncateTo does
            # the same with truncateFromEnd(logEndOffset).
            if self.epoch_cache.truncate_from_end(self.log_end_offset):
                self._save_epochs()
            return False
        if offset < self.log_start_offset:
            self.truncate_fully_and_start_at(offset, now_ms=now_ms)
            return True
        while len(self.segments) > 1 and self.segments[-1].base_offset > offset:
            self.segments.pop().delete()
        self.active_segment.truncate_to(offset)
        self._after_truncation()
        return True

    def truncate_fully_and_start_at(self, offset: int, *, now_ms: int) -> None:
        """Delete everything and start empty at ``offset`` (a follower far behind the leader)."""
        while self.segments:
            self.segments.pop().delete()
        self.segments.append(
            LogSegment.create(
                self.disk, self.directory, offset, config=self.config, now_ms=now_ms, bugs=self.bugs
            )
        )
        self.log_start_offset = offset
        self.epoch_cache.entries.clear()
        self._save_epochs()
        self._after_truncation()

    def _after_truncation(self) -> None:
        # Snapshots above the new end describe batches that are gone (truncateAndReload).
        remove_snapshots(self.disk, self.directory, above=self.log_end_offset)
        self.recovery_point = min(self.recovery_point, self.log_end_offset)
        self.unflushed_records = 0
        if self.epoch_cache.truncate_from_end(self.log_end_offset):
            self._save_epochs()

    def maybe_increment_log_start_offset(self, offset: int) -> bool:
        """Move the log start up to ``offset`` (a follower copying the leader's, DeleteRecords).

        Raises :class:`LogError` OFFSET_OUT_OF_RANGE beyond the log end.  Segments wholly below
        go at the next :meth:`delete_old_segments`.  Invariants: LOG-5, LOG-7.
        """
        if offset > self.log_end_offset:
            raise LogError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"log start {offset} would pass the log end {self.log_end_offset}",
            )
        if offset <= self.log_start_offset:
            return False
        self.log_start_offset = offset
        if self.epoch_cache.truncate_from_start(offset):
            self._save_epochs()
        return True

    def delete_old_segments(self, *, now_ms: int, high_watermark: int | None = None) -> int:
        """Apply retention (``retention.ms``, ``retention.bytes``, the log start); return how
        many segments were deleted.  Only whole segments below ``high_watermark`` (default: the
        log end) go, oldest first, and the log start offset moves up.  Invariants: LOG-5.
        """
        count = deletable_segments(
            self.segments,
            config=self.config,
            now_ms=now_ms,
            log_start_offset=self.log_start_offset,
            log_end_offset=self.log_end_offset,
            high_watermark=self.log_end_offset if high_watermark is None else high_watermark,
        )
        if count == 0:
            return 0
        if count == len(self.segments):
            self.roll(now_ms=now_ms)
        for _ in range(count):
            self.segments.pop(0).delete()
        self.log_start_offset = max(self.log_start_offset, self.segments[0].base_offset)
        remove_snapshots(self.disk, self.directory, below=self.segments[0].base_offset)
        if self.epoch_cache.truncate_from_start(self.log_start_offset):
            self._save_epochs()
        return count

    def compact(self, *, now_ms: int, high_watermark: int | None = None) -> CleanerStats:
        """One cleaning pass of ``cleanup.policy=compact`` (see ``cleaner.py``).

        A log whose policy does not include ``compact`` is left alone.  Invariants: LOG-1, LOG-6.
        """
        bound = first_uncleanable_offset(
            self.segments,
            config=self.config,
            now_ms=now_ms,
            high_watermark=self.log_end_offset if high_watermark is None else high_watermark,
        )
        if not self.config.compact:
            bound = self.segments[0].base_offset
        return clean_segments(
            self.segments,
            config=self.config,
            now_ms=now_ms,
            first_uncleanable=bound,
            bugs=self.bugs,
        )

    # -- durability ---------------------------------------------------------------------------

    def flush(self) -> None:
        """fsync every segment that may hold unsynced batches; move the recovery point to the
        log end.  Invariants: LOG-4.
        """
        first = bisect.bisect_right(self.segments, self.recovery_point, key=_base_offset) - 1
        for segment in self.segments[max(first, 0) :]:
            segment.flush()
        self.recovery_point = self.log_end_offset
        self.unflushed_records = 0

    def delete(self) -> None:
        """Remove every file of this log, oldest segment first (topic deletion)."""
        for segment in self.segments:
            segment.delete()
        self.segments.clear()
        self.disk.delete(f"{self.directory}/{LEADER_EPOCH_CHECKPOINT}")
        remove_snapshots(self.disk, self.directory, above=-1)

    def recover_producer_state(self, *, bugs: BugFlags = NO_BUGS) -> ProducerStateRecovery:
        """This log's producer state, from its newest sound snapshot and the batches after it.

        See ``recovery.py``; equals a replay of every batch in the log.  Invariants: IDEM-5.
        """
        return recover_producer_state(
            self.disk, self.directory, self.segments, recovery_point=self.recovery_point, bugs=bugs
        )

    def _save_epochs(self) -> None:
        write_epoch_checkpoint(
            self.disk, f"{self.directory}/{LEADER_EPOCH_CHECKPOINT}", self.epoch_cache.entries
        )


def _base_offset(segment: LogSegment) -> int:
    return segment.base_offset
