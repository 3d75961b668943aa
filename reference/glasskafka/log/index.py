"""The sparse offset index of one segment: where in the ``.log`` file to start looking.

Theory of operation
-------------------
A segment's ``.log`` file can be a gigabyte of batches.  To find offset 1234 without reading it
all, each segment keeps an ``.index`` file of 8-byte entries (``OffsetIndex.java``)::

    relative offset  int32   an offset minus the segment's base offset
    position         int32   byte position in the .log file of a batch

The index is *sparse*: an entry is added only after more than ``index.interval.bytes`` (default
4096) bytes were appended since the previous one (``LogSegment.append``), so a 1 GiB segment needs
about 2 MiB of index instead of one entry per record.  An entry ``(o, p)`` says: "the batch at
position ``p`` ends at offset ``o``" -- Kafka records the batch's *last* offset, so every batch
before ``p`` holds only offsets below ``o``.

Finding offset ``t`` is then two steps (the course's "sparse index" picture):

1. binary-search the entries for the largest offset ``<= t``; start at its position, or at 0 if
   every entry is above ``t``;
2. scan forward batch by batch (reading only the 61-byte headers) to the first batch whose last
   offset is ``>= t``.  At most about ``index.interval.bytes`` are scanned.

Rule kept (LOG-3): the position a lookup returns is always the start of a batch at or before the
batch that holds ``t``, never past it.  Step 2 can only move forward, so a lookup that lands past
the batch would silently skip records: exactly what bug flag ``index_entry_off_by_one`` does.

The entries live in memory (two parallel lists, so :mod:`bisect` can search them) and are
mirrored to the ``.index`` file by the segment, which appends each new entry's 8 bytes.

Spec IDs: LOG-3.

Simplified from Kafka: Kafka memory-maps a preallocated index file (``segment.index.bytes``) and
trims it when the segment rolls; glasskafka appends entries to a file that is always exactly as
long as its entries, so there is nothing to trim and no zero-filled tail to skip after a crash.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags

__all__ = ["OFFSET_INDEX_ENTRY_SIZE", "OffsetIndex", "decode_offset_index"]

OFFSET_INDEX_ENTRY_SIZE = 8
_ENTRY = struct.Struct(">ii")


def decode_offset_index(data: bytes) -> list[tuple[int, int]] | None:
    """``(relative offset, position)`` entries of an ``.index`` file, or None if it is torn.

    A file whose length is not a multiple of 8 is torn (a crash cut an entry in half).
    """
    if len(data) % OFFSET_INDEX_ENTRY_SIZE:
        return None
    return [entry for entry in _ENTRY.iter_unpack(data)]


@dataclass(slots=True, kw_only=True)
class OffsetIndex:
    """The offset index of the segment that starts at ``base_offset``."""

    base_offset: int
    interval_bytes: int
    max_entries: int
    bugs: BugFlags = NO_BUGS
    relative_offsets: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    bytes_since_last_entry: int = 0

    @property
    def entries(self) -> int:
        """How many entries the index holds."""
        return len(self.relative_offsets)

    @property
    def is_full(self) -> bool:
        """Whether ``segment.index.bytes`` is reached (the segment must roll, ``shouldRoll``)."""
        return self.entries >= self.max_entries

    def entry(self, number: int) -> tuple[int, int]:
        """Entry ``number`` as ``(absolute offset, position)``."""
        return self.base_offset + self.relative_offsets[number], self.positions[number]

    def lookup(self, offset: int) -> tuple[int, int]:
        """``(offset, position)`` of the last entry whose offset is ``<= offset``.

        Returns ``(base_offset, 0)`` when there is no such entry: scan from the segment's start.
        Invariants: LOG-3.
        """
        number = bisect.bisect_right(self.relative_offsets, offset - self.base_offset) - 1
        if number < 0:
            return self.base_offset, 0
        return self.entry(number)

    def maybe_append(self, *, last_offset: int, position: int, size: int) -> bytes | None:
        """Note a batch of ``size`` bytes at ``position`` ending at ``last_offset``.

        Adds an entry if more than ``index.interval.bytes`` were appended since the last one, as
        ``LogSegment.append`` does, and returns the entry's 8 bytes for the caller to append to
        the ``.index`` file; returns None when no entry was due.  Invariants: LOG-3.
        """
        entry: bytes | None = None
        if self.bytes_since_last_entry > self.interval_bytes:
            # The entry must point at where this batch *starts*: a lookup scans forward from it.
            recorded = position
            if self.bugs.index_entry_off_by_one:
                # Bug flag: record where the batch ends (the next batch's start) instead, so a
                # lookup of this batch's last offset lands one batch too late (breaks LOG-3).
                recorded = position + size
            entry = self._append(last_offset - self.base_offset, recorded)
            self.bytes_since_last_entry = 0
        self.bytes_since_last_entry += size
        return entry

    def _append(self, relative_offset: int, position: int) -> bytes:
        self.relative_offsets.append(relative_offset)
        self.positions.append(position)
        return _ENTRY.pack(relative_offset, position)

    def load(self, entries: list[tuple[int, int]], *, log_size: int) -> None:
        """Take ``entries`` read from the ``.index`` file; set the spacing for the next entry."""
        self.relative_offsets = [relative for relative, _ in entries]
        self.positions = [position for _, position in entries]
        self.bytes_since_last_entry = log_size - (self.positions[-1] if entries else 0)

    def truncate_to(self, offset: int) -> None:
        """Drop every entry for offset ``offset`` or above (``OffsetIndex.truncateTo``)."""
        keep = bisect.bisect_left(self.relative_offsets, offset - self.base_offset)
        del self.relative_offsets[keep:]
        del self.positions[keep:]

    def encode(self) -> bytes:
        """The whole ``.index`` file for the current entries."""
        return b"".join(
            _ENTRY.pack(relative, position)
            for relative, position in zip(self.relative_offsets, self.positions, strict=True)
        )

    def problems(self, *, log_size: int) -> list[str]:
        """Why the entries cannot belong to a ``.log`` file of ``log_size`` bytes, if they can't.

        Entries must rise strictly in both offset and position, and point inside the file.  An
        index that fails is rebuilt from its segment (``OffsetIndex.sanityCheck``, made
        stricter).
        """
        found = []
        for number in range(self.entries):
            relative, position = self.relative_offsets[number], self.positions[number]
            if relative < 0 or not 0 <= position < log_size:
                found.append(f"entry {number} ({relative}, {position}) points outside the segment")
            elif number and (
                relative <= self.relative_offsets[number - 1]
                or position <= self.positions[number - 1]
            ):
                found.append(f"entry {number} ({relative}, {position}) does not rise")
        return found
