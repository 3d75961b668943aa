"""One log segment: a ``.log`` file of batches with its offset and time indexes.

Theory of operation
-------------------
A partition's log is a list of segments; only the last, the *active* segment, is appended to.
A segment is named by its base offset, the offset of its first batch, so a reader can tell
which file holds an offset from the file names alone (``LogSegment.java``).  Its state:

* ``size`` -- bytes in the ``.log`` file, always a whole number of batches;
* ``next_offset`` -- the offset after its last batch (``base_offset`` while it is empty);
* ``max_timestamp`` and ``offset_of_max_timestamp`` -- the largest batch timestamp so far and the
  last offset of the first batch that reached it (Kafka's "shallow offset of max timestamp");
* ``first_batch_timestamp`` -- the first batch's timestamp, which ``segment.ms`` counts from
  (KIP-32; ``created_ms`` when the segment is still empty);
* its :class:`~glasskafka.log.index.OffsetIndex` and :class:`~glasskafka.log.time_index.TimeIndex`.

Batches stay bytes.  :meth:`LogSegment.append` writes the already-validated bytes to the end of
the ``.log`` file and adds index entries; :meth:`LogSegment.read` finds the batch holding an
offset through the index (reading only 61-byte headers while it scans) and returns file bytes,
cut at a batch boundary.  Nothing here looks inside a batch's records, except
:meth:`LogSegment.offset_for_timestamp`, which must find one record inside one batch.

Durability is the caller's business: :meth:`LogSegment.flush` fsyncs the three files.  The one
exception is creating a segment, which fsyncs its empty files at once, so a segment that exists
in memory always exists on disk after a crash and the log end offset cannot fall back below it.

Spec IDs: LOG-2 (reads), LOG-3 (lookups), LOG-8 (timestamps).

Simplified from Kafka: no ``.txnindex`` (transactions come later) and no producer-state
``.snapshot``; Kafka's ``FileRecords.slice`` hands the socket a zero-copy file region, while
glasskafka reads the bytes into memory (bounded by the fetch's ``max_bytes``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import TopicConfig
from glasskafka.log.index import OFFSET_INDEX_ENTRY_SIZE, OffsetIndex
from glasskafka.log.names import INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, segment_file
from glasskafka.log.time_index import TIME_INDEX_ENTRY_SIZE, TimeIndex
from glasskafka.records import (
    BATCH_HEADER_SIZE,
    LOG_OVERHEAD,
    BatchHeader,
    UnsupportedCompressionError,
    decode_batch,
    read_header,
)
from glasskafka.storage import Disk

__all__ = ["MAX_RELATIVE_OFFSET", "LogSegment"]

MAX_RELATIVE_OFFSET = 2**31 - 1
"""Index entries store offsets relative to the base in an int32; a segment rolls before that."""

_NO_TIMESTAMP = -1


@dataclass(slots=True, kw_only=True)
class LogSegment:
    """The segment of partition directory ``directory`` that starts at ``base_offset``."""

    disk: Disk
    directory: str
    base_offset: int
    offset_index: OffsetIndex
    time_index: TimeIndex
    created_ms: int
    size: int = 0
    next_offset: int = 0
    max_timestamp: int = _NO_TIMESTAMP
    offset_of_max_timestamp: int = -1
    first_batch_timestamp: int | None = None

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def empty(
        cls,
        disk: Disk,
        directory: str,
        base_offset: int,
        *,
        config: TopicConfig,
        now_ms: int,
        bugs: BugFlags = NO_BUGS,
    ) -> LogSegment:
        """A segment object with no batches and no files yet (see :meth:`create`)."""
        return cls(
            disk=disk,
            directory=directory,
            base_offset=base_offset,
            offset_index=OffsetIndex(
                base_offset=base_offset,
                interval_bytes=config.index_interval_bytes,
                max_entries=max(1, config.segment_index_bytes // OFFSET_INDEX_ENTRY_SIZE),
                bugs=bugs,
            ),
            time_index=TimeIndex(
                base_offset=base_offset,
                max_entries=max(1, config.segment_index_bytes // TIME_INDEX_ENTRY_SIZE),
            ),
            created_ms=now_ms,
            next_offset=base_offset,
        )

    @classmethod
    def create(
        cls,
        disk: Disk,
        directory: str,
        base_offset: int,
        *,
        config: TopicConfig,
        now_ms: int,
        bugs: BugFlags = NO_BUGS,
    ) -> LogSegment:
        """Create a new, empty segment's three files, durably, and return it."""
        segment = cls.empty(disk, directory, base_offset, config=config, now_ms=now_ms, bugs=bugs)
        for path in segment.paths:
            disk.write(path, b"")
            disk.fsync(path)
        return segment

    # -- names --------------------------------------------------------------------------------

    @property
    def log_path(self) -> str:
        """The ``.log`` file, e.g. ``orders-0/00000000000000001207.log``."""
        return segment_file(self.directory, self.base_offset, LOG_SUFFIX)

    @property
    def index_path(self) -> str:
        """The ``.index`` file."""
        return segment_file(self.directory, self.base_offset, INDEX_SUFFIX)

    @property
    def time_index_path(self) -> str:
        """The ``.timeindex`` file."""
        return segment_file(self.directory, self.base_offset, TIME_INDEX_SUFFIX)

    @property
    def paths(self) -> tuple[str, str, str]:
        """The segment's three files."""
        return self.log_path, self.index_path, self.time_index_path

    # -- appending ----------------------------------------------------------------------------

    def should_roll(
        self, header: BatchHeader, *, segment_bytes: int, segment_ms: int, now_ms: int
    ) -> bool:
        """Whether ``header``'s batch must go to a new segment (``LogSegment.shouldRoll``).

        Roll when the batch would push the file past ``segment.bytes``, when the segment is
        older than ``segment.ms`` (counted from its first batch's timestamp, KIP-32), when an
        index is full, or when the batch's offsets would not fit the index's int32 field.
        """
        if self.size > segment_bytes - header.size:
            return True
        if self.size > 0 and self._time_waited_ms(header, now_ms) > segment_ms:
            return True
        if self.offset_index.is_full or self.time_index.is_full:
            return True
        return header.last_offset - self.base_offset > MAX_RELATIVE_OFFSET

    def _time_waited_ms(self, header: BatchHeader, now_ms: int) -> int:
        if self.first_batch_timestamp is not None and self.first_batch_timestamp >= 0:
            return header.max_timestamp - self.first_batch_timestamp
        return now_ms - self.created_ms

    def append(self, header: BatchHeader, *parts: bytes | memoryview) -> int:
        """Append one validated, stamped batch, given as consecutive ``parts``; return the file
        position it was written at.

        Passing the stamped header and a view of the rest lets the caller append without
        copying the batch (a crash between the parts leaves a torn tail, which recovery cuts).
        Adds an offset-index entry (and maybe a time-index entry) every ``index.interval.bytes``.
        Invariants: LOG-3.
        """
        position = self.disk.append(self.log_path, parts[0])
        for part in parts[1:]:
            self.disk.append(self.log_path, part)
        if header.max_timestamp > self.max_timestamp:
            self.max_timestamp = header.max_timestamp
            self.offset_of_max_timestamp = header.last_offset
        if self.first_batch_timestamp is None:
            self.first_batch_timestamp = header.max_timestamp
        self.note_batch(header, position)
        self.size = position + header.size
        self.next_offset = header.next_offset
        return position

    def note_batch(self, header: BatchHeader, position: int) -> None:
        """Add the index entries that a batch at ``position`` is due (append and rebuild alike)."""
        entry = self.offset_index.maybe_append(
            last_offset=header.last_offset, position=position, size=header.size
        )
        if entry is not None:
            self.disk.append(self.index_path, entry)
            self.maybe_append_time_entry()

    def maybe_append_time_entry(self) -> None:
        """Add a time-index entry for the largest timestamp so far, if it grew."""
        if self.offset_of_max_timestamp < 0:
            return
        entry = self.time_index.maybe_append(
            timestamp=self.max_timestamp, offset=self.offset_of_max_timestamp
        )
        if entry is not None:
            self.disk.append(self.time_index_path, entry)

    # -- reading ------------------------------------------------------------------------------

    def header_at(self, position: int) -> BatchHeader | None:
        """The header of the whole batch at ``position``, or None past the last batch."""
        if position + BATCH_HEADER_SIZE > self.size:
            return None
        header = read_header(self.disk.read(self.log_path, position, BATCH_HEADER_SIZE))
        if (
            header.batch_length < BATCH_HEADER_SIZE - LOG_OVERHEAD
            or position + header.size > self.size
        ):
            return None
        return header

    def batches_from(self, position: int) -> Iterator[tuple[int, BatchHeader]]:
        """``(position, header)`` of each batch from ``position`` on, reading headers only."""
        header = self.header_at(position)
        while header is not None:
            yield position, header
            position += header.size
            header = self.header_at(position)

    def find_batch(self, offset: int) -> tuple[int, BatchHeader] | None:
        """The first batch whose last offset is ``>= offset``, found through the index.

        Returns its ``(position, header)``, or None if every batch ends below ``offset``.  This
        is the lookup of the course's picture: index entry, then a short scan.  Invariants: LOG-3.
        """
        _, position = self.offset_index.lookup(offset)
        for found in self.batches_from(position):
            if found[1].last_offset >= offset:
                return found
        return None

    def read(
        self, offset: int, *, max_bytes: int, max_offset: int | None, min_one_batch: bool
    ) -> bytes:
        """Whole batches starting with the one that holds ``offset``, at most ``max_bytes``.

        With ``min_one_batch`` the first batch is returned even if it alone exceeds
        ``max_bytes`` (KIP-74).  Only batches that end below ``max_offset`` (the high watermark,
        for consumers) are returned.  Only headers are read to find both ends (the index jumps
        most of the way), then exactly the bytes returned, in one read.  Invariants: LOG-2.
        """
        found = self.find_batch(offset)
        if found is None:
            return b""
        start, first = found
        if max_offset is not None and first.last_offset >= max_offset:
            return b""
        if first.size > max_bytes:
            return self.disk.read(self.log_path, start, first.size) if min_one_batch else b""
        end = self._end_of_whole_batches(start + first.size, start + max_bytes, max_offset)
        return self.disk.read(self.log_path, start, end - start)

    def _end_of_whole_batches(self, position: int, limit: int, max_offset: int | None) -> int:
        """Where the run of whole batches from ``position`` ends, without passing ``limit`` or
        reaching ``max_offset``.

        The index jumps most of the way: every batch before an entry's position ends at or
        before it and below the entry's offset.  Headers are read only from there on.
        """
        index = self.offset_index
        number = bisect.bisect_right(index.positions, limit) - 1
        if max_offset is not None:
            number = min(
                number,
                bisect.bisect_right(index.relative_offsets, max_offset - self.base_offset) - 1,
            )
        if number >= 0 and index.positions[number] > position:
            position = index.positions[number]
        for batch_position, header in self.batches_from(position):
            too_far = max_offset is not None and header.last_offset >= max_offset
            if batch_position + header.size > limit or too_far:
                break
            position = batch_position + header.size
        return position

    def offset_for_timestamp(self, timestamp: int, *, starting_offset: int) -> int | None:
        """The first offset ``>= starting_offset`` whose record has a timestamp ``>= timestamp``.

        The time index gives an offset to start from, the offset index a position; batches are
        skipped by their header's ``maxTimestamp`` and only the one that must hold the answer is
        decoded (``LogSegment.findOffsetByTimestamp``).  Returns None if no record qualifies.
        Invariants: LOG-8.
        """
        if self.max_timestamp < timestamp:
            return None
        start = max(self.time_index.lookup(timestamp), starting_offset)
        _, position = self.offset_index.lookup(start)
        for batch_position, header in self.batches_from(position):
            if header.last_offset < starting_offset or header.max_timestamp < timestamp:
                continue
            batch = self.disk.read(self.log_path, batch_position, header.size)
            try:
                records = decode_batch(batch).records
            except UnsupportedCompressionError:
                # The records are opaque to glasskafka (snappy/lz4/zstd); the batch's first
                # offset is the closest answer it can give.
                return max(header.base_offset, starting_offset)
            for record in records:
                if record.offset >= starting_offset and record.timestamp >= timestamp:
                    return record.offset
        return None

    # -- changing -----------------------------------------------------------------------------

    def truncate_to(self, offset: int) -> int:
        """Remove every batch whose last offset is ``>= offset``, durably; return bytes removed.

        A batch that holds ``offset`` goes whole: batches are never split
        (``LogSegment.truncateTo``).  The three files are fsynced, so a crash cannot bring the
        removed batches back.
        """
        # Start one entry early so the scan also meets the batch before the cut, whose next
        # offset becomes the segment's (with compaction gaps it may be below ``offset``).
        _, position = self.offset_index.lookup(offset - 1)
        previous: BatchHeader | None = None
        cut: int | None = None
        for batch_position, header in self.batches_from(position):
            if header.last_offset >= offset:
                cut = batch_position
                break
            previous = header
        if cut is None:
            return 0
        removed = self.size - cut
        self.disk.truncate(self.log_path, cut)
        self.size = cut
        self.next_offset = previous.next_offset if previous else self.base_offset
        self._truncate_indexes()
        for path in self.paths:
            self.disk.fsync(path)
        return removed

    def _truncate_indexes(self) -> None:
        """Cut both indexes to the batches that remain and recompute the largest timestamp."""
        self.offset_index.truncate_to(self.next_offset)
        self.time_index.truncate_to(self.next_offset)
        self.disk.truncate(self.index_path, self.offset_index.entries * OFFSET_INDEX_ENTRY_SIZE)
        self.disk.truncate(self.time_index_path, self.time_index.entries * TIME_INDEX_ENTRY_SIZE)
        last = self.time_index.last_entry()
        self.max_timestamp, self.offset_of_max_timestamp = last or (_NO_TIMESTAMP, -1)
        _, position = self.offset_index.lookup(last[1] if last else self.base_offset)
        for _, header in self.batches_from(position):
            if header.max_timestamp > self.max_timestamp:
                self.max_timestamp, self.offset_of_max_timestamp = (
                    header.max_timestamp,
                    header.last_offset,
                )
        positions = self.offset_index.positions
        self.offset_index.bytes_since_last_entry = self.size - (positions[-1] if positions else 0)
        if self.size == 0:
            self.first_batch_timestamp = None

    def on_become_inactive(self) -> None:
        """The segment stops being the active one: index its largest timestamp for good."""
        self.maybe_append_time_entry()

    def flush(self) -> None:
        """fsync the segment's three files."""
        for path in self.paths:
            self.disk.fsync(path)

    def delete(self) -> None:
        """Remove the segment's files (durably, per the ``Disk`` contract)."""
        for path in self.paths:
            self.disk.delete(path)
