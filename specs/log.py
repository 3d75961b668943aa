"""The partition log, specified: what a log must look like and what each operation may do.

The specification
-----------------
A partition log is, to its readers, a list of records, each at an offset.  The abstract model is
exactly that: a Python list of :class:`RecordView` in offset order.  Every operation of the real
log (segments, indexes, files, recovery) must look, from outside, like one of these operations
on the list:

* **append** adds records at the end, at consecutive offsets starting at the log end offset;
* **read** from offset ``o`` returns the records of the list at offsets ``>= o`` (and perhaps a
  few just before ``o``, from the same batch), in order, unchanged, none skipped;
* **truncate to** ``o`` removes the records at offsets ``>= o`` (and, because batches are never
  split, the rest of a batch that straddles ``o``), and nothing else;
* **retention** removes records from the front only, and the log start offset it reports is a
  promise: nothing at or above it is gone;
* **compaction** removes every record that a later record of the same key supersedes, and
  tombstones past ``delete.retention.ms``, only below its first uncleanable offset, never
  changing the offset of a record it keeps;
* **crash and reopen** leaves a prefix of the list, at least as long as what was last synced;
* **a time lookup** for ``t`` finds the first record whose timestamp is ``>= t``.

Two properties are about the data structures, because the course teaches them:

* the sparse offset index only ever sends a lookup to the start of a batch at or before the
  batch holding the offset it was asked for (LOG-3);
* the leader-epoch cache agrees with the epochs stamped on the batches (LOG-7).

The snapshots here are plain data (:class:`LogView`, built by the model tests from the files on
disk and decoded independently of the log's own read path), so a bug in the log cannot bend the
check.

Simplified from Kafka: Kafka states none of this formally; the statements follow what
``UnifiedLog``, ``LogSegment``, ``LogCleaner`` and ``LogLoader`` do and what their tests assert.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from specs.catalogue import spec

__all__ = [
    "BatchView",
    "LogView",
    "ReadView",
    "RecordView",
    "SegmentView",
    "compacted",
    "compaction_keeps_latest_per_key",
    "crash_keeps_synced_prefix",
    "epoch_cache_agrees_with_log",
    "index_lookups_land_at_or_before",
    "offsets_increase_by_one",
    "reads_return_appended_records",
    "retention_keeps_data_above_log_start",
    "time_lookup_finds_first_offset",
    "truncation_removes_only_the_tail",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordView:
    """One record as a reader sees it."""

    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchView:
    """One batch in a segment file; ``valid`` is False if its CRC or records do not check out."""

    position: int
    base_offset: int
    last_offset: int
    partition_leader_epoch: int
    valid: bool
    records: tuple[RecordView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentView:
    """A segment: its batches, and ``(offset, position)`` pairs its index lookup returned."""

    base_offset: int
    batches: tuple[BatchView, ...]
    lookups: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LogView:
    """A whole log as observed from its files, with the offsets it reports."""

    log_start_offset: int
    log_end_offset: int
    segments: tuple[SegmentView, ...]
    epochs: tuple[tuple[int, int], ...]

    def batches(self) -> list[BatchView]:
        """Every batch, in file order."""
        return [batch for segment in self.segments for batch in segment.batches]

    def readable(self) -> list[RecordView]:
        """The records a reader can get: from intact batches, at or above the log start."""
        return [
            record
            for batch in self.batches()
            if batch.valid
            for record in batch.records
            if record.offset >= self.log_start_offset
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadView:
    """One read: what was asked, and the batches (decoded) or the error that came back."""

    fetch_offset: int
    max_bytes: int
    log_start_offset: int
    log_end_offset: int
    error: str | None
    batches: tuple[BatchView, ...]
    total_bytes: int


def _differences(expected: Sequence[RecordView], actual: Sequence[RecordView]) -> list[str]:
    """Sentences naming where two record lists first differ (empty if they are equal)."""
    for number, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want != got:
            return [f"record #{number}: expected {want}, found {got}"]
    if len(expected) > len(actual):
        return [f"missing {len(expected) - len(actual)} records from {expected[len(actual)]}"]
    if len(actual) > len(expected):
        return [f"{len(actual) - len(expected)} extra records from {actual[len(expected)]}"]
    return []


@spec("LOG-1", "Offsets increase by one")
def offsets_increase_by_one(view: LogView, *, gaps_allowed_below: int) -> list[str]:
    """Along the log, batches and records have strictly increasing offsets, each batch starting
    right after the previous one ends -- except where compaction removed records, below its
    first uncleanable offset.  Each segment's batches start at or after its base offset and end
    before the next segment's.  The log end offset is the offset after the last batch (the
    active segment's base offset while it is empty), and the log start lies between the first
    segment's base offset and the log end."""
    found = []
    previous_next: int | None = None
    for number, segment in enumerate(view.segments):
        limit = view.segments[number + 1].base_offset if number + 1 < len(view.segments) else None
        for batch in segment.batches:
            if batch.base_offset < segment.base_offset or (
                limit is not None and batch.last_offset >= limit
            ):
                found.append(f"batch {batch.base_offset}..{batch.last_offset} is outside segment")
            gap = previous_next is not None and batch.base_offset != previous_next
            if gap and not (previous_next is not None and batch.base_offset > previous_next):
                found.append(f"batch at {batch.base_offset} overlaps the previous batch")
            elif gap and batch.base_offset > gaps_allowed_below:
                found.append(f"gap before batch at {batch.base_offset} (next was {previous_next})")
            offsets = [record.offset for record in batch.records]
            contiguous = offsets == list(range(batch.base_offset, batch.last_offset + 1))
            inside = all(batch.base_offset <= o <= batch.last_offset for o in offsets)
            rising = all(a < b for a, b in itertools.pairwise(offsets))
            compacted_batch = batch.base_offset < gaps_allowed_below
            if batch.valid and not (inside and rising and (contiguous or compacted_batch)):
                found.append(f"records of batch at {batch.base_offset} have offsets {offsets}")
            previous_next = batch.last_offset + 1
    last = view.segments[-1] if view.segments else None
    expected_end = last.batches[-1].last_offset + 1 if last and last.batches else None
    if last is not None and expected_end is None:
        expected_end = last.base_offset
    if expected_end is not None and view.log_end_offset != expected_end:
        found.append(f"log end offset {view.log_end_offset}, but the log ends at {expected_end}")
    first_base = view.segments[0].base_offset if view.segments else 0
    if not first_base <= view.log_start_offset <= view.log_end_offset:
        found.append(
            f"log start {view.log_start_offset} is outside [{first_base}, {view.log_end_offset}]"
        )
    return found


@spec("LOG-2", "Reads return the appended records")
def reads_return_appended_records(model: Sequence[RecordView], read: ReadView) -> list[str]:
    """A read from an offset between the log start and the log end returns whole, intact
    batches, the first of which holds the offset (or the first record after it); the records
    returned equal the model's records at those offsets, none skipped.  It returns at least one
    batch whenever a record exists at or after the offset, and more than ``max_bytes`` only as
    a single batch.  An offset outside [log start, log end] is refused with
    OFFSET_OUT_OF_RANGE."""
    outside = not read.log_start_offset <= read.fetch_offset <= read.log_end_offset
    if outside or read.error is not None:
        if outside and read.error == "OFFSET_OUT_OF_RANGE":
            return []
        return [f"read at {read.fetch_offset} answered {read.error!r} (outside: {outside})"]
    found = []
    if not read.batches and any(record.offset >= read.fetch_offset for record in model):
        found.append(f"read at {read.fetch_offset} returned nothing, but records follow it")
    if read.total_bytes > read.max_bytes and len(read.batches) > 1:
        found.append(f"read returned {read.total_bytes} bytes > max {read.max_bytes}")
    if any(not batch.valid for batch in read.batches):
        found.append(f"read at {read.fetch_offset} returned a corrupt batch")
    returned = [r for b in read.batches for r in b.records if r.offset >= read.fetch_offset]
    if returned or read.batches:
        end = read.batches[-1].last_offset if read.batches else read.fetch_offset - 1
        expected = [r for r in model if read.fetch_offset <= r.offset <= end]
        found += [f"read at {read.fetch_offset}: {d}" for d in _differences(expected, returned)]
        earlier = [r for b in read.batches[:1] for r in b.records if r.offset < read.fetch_offset]
        by_offset = {r.offset: r for r in model}
        for record in earlier:
            if record.offset >= read.log_start_offset and by_offset.get(record.offset) != record:
                found.append(f"read at {read.fetch_offset}: {record} is not in the model")
    return found


@spec("LOG-3", "Index lookups land at or before the batch")
def index_lookups_land_at_or_before(view: LogView) -> list[str]:
    """For every offset looked up in a segment's sparse offset index, the position returned is
    the start of a batch (or 0), at or before the batch that holds the offset -- never past it,
    since the scan that follows only moves forward."""
    found = []
    for segment in view.segments:
        starts = [batch.position for batch in segment.batches]
        lasts = [batch.last_offset for batch in segment.batches]
        for offset, position in segment.lookups:
            holder = bisect.bisect_left(lasts, offset)
            wanted = starts[holder] if holder < len(starts) else None
            if position != 0 and position not in starts:
                found.append(
                    f"segment {segment.base_offset}: lookup of {offset} gave position {position}, "
                    "which is not the start of a batch"
                )
            elif wanted is not None and position > wanted:
                found.append(
                    f"segment {segment.base_offset}: lookup of {offset} gave position {position}, "
                    f"past the batch at {wanted} that holds it"
                )
    return found


@spec("LOG-4", "A crash keeps a synced prefix", kind="transition")
def crash_keeps_synced_prefix(
    before: Sequence[RecordView], after: LogView, *, synced_end: int
) -> list[str]:
    """After a crash (power loss, torn or damaged writes) and reopening, every batch left in the
    log is intact, and the readable records are a prefix of those before the crash, containing
    every record below the offset the last flush made durable."""
    found = [
        f"batch at offset {batch.base_offset} is corrupt but was kept by recovery"
        for batch in after.batches()
        if not batch.valid
    ]
    records = after.readable()
    found += [f"after crash: {d}" for d in _differences(list(before[: len(records)]), records)]
    lost = [record for record in before[len(records) :] if record.offset < synced_end]
    if lost:
        found.append(f"synced record at offset {lost[0].offset} (synced end {synced_end}) is lost")
    return found


@spec("LOG-5", "Retention keeps everything above the log start", kind="transition")
def retention_keeps_data_above_log_start(
    before: Sequence[RecordView], after: LogView, *, log_start_before: int
) -> list[str]:
    """Retention deletes only from the front: the log start offset never moves back, and every
    record at or above the log start it now reports is still there, unchanged."""
    found = []
    if after.log_start_offset < log_start_before:
        found.append(f"log start moved back from {log_start_before} to {after.log_start_offset}")
    expected = [record for record in before if record.offset >= after.log_start_offset]
    found += [f"after retention: {d}" for d in _differences(expected, after.readable())]
    return found


def compacted(
    records: Sequence[RecordView], *, first_uncleanable_offset: int, tombstone_horizon_ms: int
) -> list[RecordView]:
    """The abstract model of compaction: the list after one full cleaning pass.

    Below ``first_uncleanable_offset`` a record survives if it is the latest of its key there,
    and, if it is a tombstone, if its timestamp is after ``tombstone_horizon_ms``.
    """
    latest: dict[bytes, int] = {}
    for record in records:
        if record.offset < first_uncleanable_offset and record.key is not None:
            latest[record.key] = record.offset
    return [
        record
        for record in records
        if record.offset >= first_uncleanable_offset
        or (
            record.key is not None
            and latest[record.key] == record.offset
            and (record.value is not None or record.timestamp > tombstone_horizon_ms)
        )
    ]


@spec("LOG-6", "Compaction keeps the latest value of each key", kind="transition")
def compaction_keeps_latest_per_key(
    before: Sequence[RecordView],
    after: Sequence[RecordView],
    *,
    first_uncleanable_offset: int,
    tombstone_horizon_ms: int,
) -> list[str]:
    """After compaction, the records below the first uncleanable offset are exactly the latest
    record of each key (tombstones only until ``delete.retention.ms`` has passed), at their
    original offsets and in offset order; records from the first uncleanable offset on are
    untouched."""
    expected = compacted(
        before,
        first_uncleanable_offset=first_uncleanable_offset,
        tombstone_horizon_ms=tombstone_horizon_ms,
    )
    return [f"after compaction: {d}" for d in _differences(expected, after)]


@spec("LOG-7", "The leader-epoch cache agrees with the log")
def epoch_cache_agrees_with_log(view: LogView) -> list[str]:
    """The leader-epoch cache lists strictly increasing epochs with strictly increasing start
    offsets, all within [log start, log end]; and every batch at or above the log start carries
    the epoch of the last cache entry that starts at or before it."""
    found = []
    epochs = list(view.epochs)
    for (epoch_a, start_a), (epoch_b, start_b) in itertools.pairwise(epochs):
        if not (epoch_a < epoch_b and start_a < start_b):
            found.append(
                f"epoch entries ({epoch_a}, {start_a}), ({epoch_b}, {start_b}) do not rise"
            )
    for epoch, start in epochs:
        if not view.log_start_offset <= start <= view.log_end_offset:
            found.append(f"epoch {epoch} starts at {start}, outside the log")
    starts = [start for _, start in epochs]
    for batch in view.batches():
        if batch.last_offset < view.log_start_offset:
            continue
        number = bisect.bisect_right(starts, max(batch.base_offset, view.log_start_offset)) - 1
        expected = epochs[number][0] if number >= 0 else -1
        if batch.partition_leader_epoch != expected:
            found.append(
                f"batch at {batch.base_offset} has epoch {batch.partition_leader_epoch}; "
                f"the cache says {expected}"
            )
    return found


@spec("LOG-8", "A time lookup finds the first offset at or after the time")
def time_lookup_finds_first_offset(
    model: Sequence[RecordView], *, timestamp: int, found: int | None
) -> list[str]:
    """Looking up a timestamp ``t`` returns the smallest offset whose record has a timestamp
    ``>= t``, or nothing if no record has."""
    expected = next((record.offset for record in model if record.timestamp >= timestamp), None)
    if found != expected:
        return [f"time lookup of {timestamp} returned {found}, expected {expected}"]
    return []


@spec("LOG-9", "Truncation removes only the tail", kind="transition")
def truncation_removes_only_the_tail(before: LogView, after: LogView, *, offset: int) -> list[str]:
    """Truncating to offset ``o`` keeps exactly the records below ``o``, except that a batch
    that straddles ``o`` goes whole, since batches are never split; afterwards the log end
    offset is at most ``o``."""
    straddling = [b for b in before.batches() if b.base_offset < offset <= b.last_offset]
    cut = straddling[0].base_offset if straddling else offset
    expected = [record for record in before.readable() if record.offset < cut]
    found = [f"after truncation to {offset}: {d}" for d in _differences(expected, after.readable())]
    if after.log_end_offset > offset:
        found.append(f"log end {after.log_end_offset} is above the truncation offset {offset}")
    return found
