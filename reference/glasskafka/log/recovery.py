"""Opening a partition's segments after a restart, and recovering those a crash may have torn.

Theory of operation
-------------------
Appends reach the page cache at once but the disk only at the next fsync.  After a power loss,
the end of the log can therefore hold a *torn tail*: half a batch, or a whole batch whose bytes
never all reached the disk.  Kafka's answer (``LogLoader.recoverLog``, ``LogSegment.recover``) has
two parts, and so does this file:

* The **recovery point** is the log end offset at the last completed flush; the log manager keeps
  it in ``recovery-point-offset-checkpoint``.  Everything below it was fsynced, so segments that
  end below it are *loaded*: their indexes are read back and checked for sanity (entries rising
  and pointing inside the file) and rebuilt only if that check fails (:func:`load_segment`).
* From the segment that holds the recovery point onward, segments are *recovered*: read batch by
  batch, each checked for a whole length, magic 2, offsets that continue the segment, and its
  CRC-32C; the first batch that fails marks the torn tail, and the file is cut there.  The
  indexes are rebuilt from the batches that survive (:func:`recover_segment`).  If a segment had
  to be cut, every later segment is deleted, since a gap in the middle of a log is never right.

Rule kept (LOG-4): after recovery the log is a prefix of what was appended, and it contains every
batch that was synced.  The CRC check is what keeps a batch whose length survived but whose bytes
did not out of the log; bug flag ``recover_without_crc_check`` skips it.

**Producer state** (KIP-98) is recovered the way Kafka's ``ProducerStateManager`` does it: at
every segment roll the log writes a snapshot of the state at the new segment's base offset
(:func:`snapshot_at_roll`, called by ``PartitionLog.roll``); to recover
(:func:`recover_producer_state`) take the newest snapshot at or below the recovery point, and
replay only the batch headers after it.  A snapshot that is missing, torn, fails its CRC or
names the wrong offset is deleted with the reason noted, and the next older one is tried; with
none left the whole log is replayed.  Either way the result equals a replay of the whole log
(IDEM-5): a property test crashes a ``SimDisk`` at random and compares the two.

Spec IDs: LOG-3 (rebuilt indexes), LOG-4, IDEM-5 (producer state after recovery).

Simplified from Kafka: Kafka skips recovery entirely after a clean shutdown (the
``.kafka_cleanshutdown`` marker); glasskafka has no clean-shutdown marker and always recovers from
the recovery point, which is correct and costs a little more at start-up.  Kafka writes the
snapshot at a roll and flushes it later in the background; glasskafka writes and fsyncs it at
once (after the closed segment was flushed), which is simpler and never leaves a snapshot that
describes unsynced batches.  Kafka's log cleaner keeps the last batch of every producer so that
compaction never removes what the producer state remembers; glasskafka's cleaner does not, so
on a compacted topic written by idempotent producers the recovered state may remember batches
the cleaner removed (glasskafka's compacted topic, ``__consumer_offsets``, is written without
producer ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log.index import decode_offset_index
from glasskafka.log.producer_state import (
    CorruptSnapshotError,
    ProducerStateTable,
    read_snapshot,
    rebuild_producer_state,
    snapshot_file,
    snapshot_offsets,
    trim_below,
    write_snapshot,
)
from glasskafka.log.segment import MAX_RELATIVE_OFFSET, LogSegment
from glasskafka.log.time_index import decode_time_index
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    LOG_OVERHEAD,
    BatchHeader,
    CorruptRecordError,
    read_header,
    validate_batch,
)
from glasskafka.storage import Disk

__all__ = [
    "BatchVisitor",
    "ProducerStateRecovery",
    "headers_from",
    "load_segment",
    "recover_producer_state",
    "recover_segment",
    "snapshot_at_roll",
]

_log = logging.getLogger("glasskafka.log")

BatchVisitor = Callable[[BatchHeader], None]
"""Called with each batch recovery keeps, in order (the log re-learns leader epochs with it)."""


def recover_segment(
    segment: LogSegment,
    *,
    limit_offset: int | None,
    bugs: BugFlags = NO_BUGS,
    visit: BatchVisitor | None = None,
) -> int:
    """Validate every batch of ``segment``, cut its file at the first bad one, rebuild its indexes.

    ``limit_offset`` is the next segment's base offset: a batch reaching it is bad too.  Returns
    how many bytes were cut (0 if the segment was whole).  The cut and the new indexes are not
    fsynced: the recovery point stays where it was, so a second crash recovers again.
    Invariants: LOG-3, LOG-4.
    """
    disk = segment.disk
    file_size = disk.size(segment.log_path)
    _reset(segment)
    position = 0
    while True:
        header = _next_good_batch(segment, position, file_size, limit_offset, bugs)
        if header is None:
            break
        _account(segment, header)
        segment.note_batch(header, position)
        if visit is not None:
            visit(header)
        position += header.size
        segment.size = position
        segment.next_offset = header.next_offset
    if position < file_size:
        disk.truncate(segment.log_path, position)
    return file_size - position


def _next_good_batch(
    segment: LogSegment, position: int, file_size: int, limit_offset: int | None, bugs: BugFlags
) -> BatchHeader | None:
    """The header of the batch at ``position`` if it passes every check, else None."""
    head = segment.disk.read(segment.log_path, position, BATCH_HEADER_SIZE)
    if len(head) < BATCH_HEADER_SIZE:
        return None
    header = read_header(head)
    if (
        header.magic != 2
        or header.batch_length < BATCH_HEADER_SIZE - LOG_OVERHEAD
        or position + header.size > file_size
        or header.last_offset_delta < 0
        or header.base_offset < segment.next_offset
        or header.last_offset - segment.base_offset > MAX_RELATIVE_OFFSET
        or (limit_offset is not None and header.last_offset >= limit_offset)
    ):
        return None
    if bugs.recover_without_crc_check:
        # Bug flag: trust any batch whose length fits, so bytes that never fully reached the
        # disk are kept as data (breaks LOG-4).  Kafka's LogSegment.recover calls
        # batch.ensureValid() on every batch, which checks the CRC.
        return header
    try:
        validate_batch(segment.disk.read(segment.log_path, position, header.size))
    except CorruptRecordError:
        return None
    return header


def _reset(segment: LogSegment) -> None:
    """Forget everything the segment knew about its batches and empty its index files."""
    segment.size = 0
    segment.next_offset = segment.base_offset
    segment.max_timestamp = -1
    segment.offset_of_max_timestamp = -1
    segment.first_batch_timestamp = None
    segment.offset_index.load([], log_size=0)
    segment.time_index.load([])
    segment.disk.write(segment.index_path, b"")
    segment.disk.write(segment.time_index_path, b"")


def _account(segment: LogSegment, header: BatchHeader) -> None:
    """Fold one batch's timestamps into the segment's, as an append would."""
    if header.max_timestamp > segment.max_timestamp:
        segment.max_timestamp = header.max_timestamp
        segment.offset_of_max_timestamp = header.last_offset
    if segment.first_batch_timestamp is None:
        segment.first_batch_timestamp = header.max_timestamp


def load_segment(
    disk: Disk,
    directory: str,
    base_offset: int,
    *,
    config: TopicConfig,
    now_ms: int,
    limit_offset: int | None,
    bugs: BugFlags = NO_BUGS,
) -> tuple[LogSegment, int]:
    """Open a segment that lies below the recovery point, trusting its batches.

    Reads both index files and checks them; reads only the headers after the last index entry
    to learn where the segment ends.  If an index is missing or fails its check, or the file
    does not end on a batch boundary, the segment is recovered instead (which rebuilds both).
    Returns the segment and how many bytes recovery cut (0 when the files were sound).
    Invariants: LOG-3.
    """
    segment = LogSegment.empty(
        disk, directory, base_offset, config=config, now_ms=now_ms, bugs=bugs
    )
    segment.size = disk.size(segment.log_path)
    if _load_indexes(segment) and _load_tail(segment):
        return segment, 0
    return segment, recover_segment(segment, limit_offset=limit_offset, bugs=bugs)


def _load_indexes(segment: LogSegment) -> bool:
    """Read both index files into ``segment``; False if either is missing or fails its check."""
    disk = segment.disk
    if not (disk.exists(segment.index_path) and disk.exists(segment.time_index_path)):
        return False
    offsets = decode_offset_index(disk.read(segment.index_path))
    times = decode_time_index(disk.read(segment.time_index_path))
    if offsets is None or times is None:
        return False
    segment.offset_index.load(offsets, log_size=segment.size)
    segment.time_index.load(times)
    return not segment.offset_index.problems(log_size=segment.size)


def _load_tail(segment: LogSegment) -> bool:
    """Learn the segment's end and timestamps from the batches after its last index entry.

    The last time-index entry holds the largest timestamp up to the last offset-index entry
    (both are written together), so only the batches from that entry on need reading.  Returns
    False if the file does not end exactly at a batch boundary or the time index does not fit.
    """
    last_time_entry = segment.time_index.last_entry()
    if last_time_entry is not None:
        segment.max_timestamp, segment.offset_of_max_timestamp = last_time_entry
    first = segment.header_at(0)
    segment.first_batch_timestamp = first.max_timestamp if first is not None else None
    positions = segment.offset_index.positions
    end = positions[-1] if positions else 0
    for position, header in segment.batches_from(end):
        _account(segment, header)
        segment.next_offset = header.next_offset
        end = position + header.size
    if end != segment.size:
        return False
    relative_end = segment.next_offset - segment.base_offset
    return not segment.time_index.problems(next_relative_offset=relative_end)


# ---------------------------------------------------------------------------------------------
# Producer state: snapshots at rolls, snapshot plus replay at recovery


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerStateRecovery:
    """What :func:`recover_producer_state` found.

    ``state`` describes every batch of the log; ``snapshot_offset`` is the snapshot it started
    from (None: a replay of the whole log); ``skipped`` gives, per snapshot passed over, why.
    """

    state: ProducerStateTable
    snapshot_offset: int | None
    skipped: tuple[str, ...]


def headers_from(segments: Sequence[LogSegment], offset: int) -> Iterator[BatchHeader]:
    """The header of every batch ending at or after ``offset``, oldest first (headers only).

    Segments that end at or below ``offset`` are not read at all, which is what makes a
    snapshot worth having: recovery reads the log after the snapshot and nothing before it.
    """
    for segment in segments:
        if segment.next_offset <= offset:
            continue
        for _, header in segment.batches_from(0):
            if header.last_offset >= offset:
                yield header


def recover_producer_state(
    disk: Disk,
    directory: str,
    segments: Sequence[LogSegment],
    *,
    recovery_point: int,
    bugs: BugFlags = NO_BUGS,
) -> ProducerStateRecovery:
    """The producer state of the log in ``segments``: newest sound snapshot, then the log after it.

    Only snapshots from the first segment's base offset up to ``recovery_point`` (and the log
    end) are tried, newest first: below the recovery point every batch the snapshot describes
    was synced, so it is still in the log.  A snapshot that fails to load is deleted (Kafka's
    ``ProducerStateManager.loadFromSnapshot`` does the same) and its reason kept in
    ``skipped``.  Never raises for bad snapshot bytes.  Invariants: IDEM-5.
    """
    first_offset = segments[0].base_offset if segments else 0
    log_end = segments[-1].next_offset if segments else 0
    limit = min(recovery_point, log_end)
    skipped: list[str] = []
    for offset in reversed(snapshot_offsets(disk, directory)):
        if not first_offset <= offset <= limit:
            continue
        try:
            start = read_snapshot(disk, directory, offset, bugs=bugs)
        except CorruptSnapshotError as problem:
            reason = f"{snapshot_file(directory, offset)}: {problem}"
            _log.warning("ignoring producer-state snapshot %s", reason)
            skipped.append(reason)
            disk.delete(snapshot_file(directory, offset))
            continue
        start = trim_below(start, first_offset)
        state = rebuild_producer_state(headers_from(segments, offset), start=start, bugs=bugs)
        return ProducerStateRecovery(state=state, snapshot_offset=offset, skipped=tuple(skipped))
    state = rebuild_producer_state(headers_from(segments, first_offset), bugs=bugs)
    return ProducerStateRecovery(state=state, snapshot_offset=None, skipped=tuple(skipped))


def snapshot_at_roll(
    disk: Disk, directory: str, segments: Sequence[LogSegment], *, offset: int
) -> str:
    """Write the snapshot of the producer state at ``offset``, the base of a new segment.

    Call when ``segments`` (the log before the new segment) has been flushed: the state is
    the newest sound snapshot plus the batches after it, so a roll reads only the segment it
    closed.  Returns the snapshot's path.  Invariants: IDEM-5.
    """
    found = recover_producer_state(disk, directory, segments, recovery_point=offset)
    state = found.state
    # Kafka's roll first moves the map end offset to the new segment's base
    # (ProducerStateManager.updateMapEndOffset), so the file is named after the segment.
    state.map_end_offset = max(state.map_end_offset, offset)
    return write_snapshot(disk, directory, state)
