"""The sparse time index of one segment: from a timestamp to an offset to start looking at.

Theory of operation
-------------------
ListOffsets with a timestamp (``kcat -o s@<ms>``, ``offsetsForTimes``) asks for the first offset
whose record has a timestamp ``>= t`` (KIP-33).  Timestamps are set by producers and need not rise
with offsets, so each segment keeps a ``.timeindex`` file of 12-byte entries
(``TimeIndex.java``)::

    timestamp        int64   the largest timestamp seen in the segment so far
    relative offset  int32   the last offset of the batch that first reached that timestamp

An entry is considered whenever the offset index adds one (every ``index.interval.bytes``), and
added only if the segment's largest timestamp has grown since the last entry
(``TimeIndex.maybeAppend``).  So the entries rise strictly in timestamp, and an entry ``(T, o)``
promises that every record up to offset ``o`` has a timestamp ``<= T``, and every record before
the batch of ``o`` a timestamp ``< T``.

A lookup for ``t`` takes the last entry with timestamp ``<= t``: every record before that entry's
batch is too old, so the search can start there (``LogSegment.findOffsetByTimestamp``).  When the
segment stops being the active one, a last entry for its largest timestamp is added, so a closed
segment's last entry is its largest timestamp.

Spec IDs: LOG-8.

Simplified from Kafka: the file is appended to rather than memory-mapped and preallocated (see
``index.py``).
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field

__all__ = ["TIME_INDEX_ENTRY_SIZE", "TimeIndex", "decode_time_index"]

TIME_INDEX_ENTRY_SIZE = 12
_ENTRY = struct.Struct(">qi")


def decode_time_index(data: bytes) -> list[tuple[int, int]] | None:
    """``(timestamp, relative offset)`` entries of a ``.timeindex`` file, or None if torn."""
    if len(data) % TIME_INDEX_ENTRY_SIZE:
        return None
    return [entry for entry in _ENTRY.iter_unpack(data)]


@dataclass(slots=True, kw_only=True)
class TimeIndex:
    """The time index of the segment that starts at ``base_offset``."""

    base_offset: int
    max_entries: int
    timestamps: list[int] = field(default_factory=list)
    relative_offsets: list[int] = field(default_factory=list)

    @property
    def entries(self) -> int:
        """How many entries the index holds."""
        return len(self.timestamps)

    @property
    def is_full(self) -> bool:
        """Whether ``segment.index.bytes`` is reached (the segment must roll)."""
        return self.entries >= self.max_entries

    def last_entry(self) -> tuple[int, int] | None:
        """The last entry as ``(timestamp, absolute offset)``, or None if there is none."""
        if not self.timestamps:
            return None
        return self.timestamps[-1], self.base_offset + self.relative_offsets[-1]

    def lookup(self, timestamp: int) -> int:
        """The offset of the last entry with a timestamp ``<= timestamp``, else the base offset.

        Every record in a batch before that offset's batch is older than ``timestamp``.
        Invariants: LOG-8.
        """
        number = bisect.bisect_right(self.timestamps, timestamp) - 1
        if number < 0:
            return self.base_offset
        return self.base_offset + self.relative_offsets[number]

    def maybe_append(self, *, timestamp: int, offset: int) -> bytes | None:
        """Add ``(timestamp, offset)`` if ``timestamp`` is above the last entry's.

        Returns the entry's 12 bytes for the caller to append to the ``.timeindex`` file, or
        None.  Invariants: LOG-8.
        """
        if self.timestamps and timestamp <= self.timestamps[-1]:
            return None
        relative = offset - self.base_offset
        if self.relative_offsets and relative < self.relative_offsets[-1]:
            return None
        self.timestamps.append(timestamp)
        self.relative_offsets.append(relative)
        return _ENTRY.pack(timestamp, relative)

    def load(self, entries: list[tuple[int, int]]) -> None:
        """Take ``entries`` read from the ``.timeindex`` file."""
        self.timestamps = [timestamp for timestamp, _ in entries]
        self.relative_offsets = [relative for _, relative in entries]

    def truncate_to(self, offset: int) -> None:
        """Drop every entry for offset ``offset`` or above (``TimeIndex.truncateTo``)."""
        keep = bisect.bisect_left(self.relative_offsets, offset - self.base_offset)
        del self.timestamps[keep:]
        del self.relative_offsets[keep:]

    def encode(self) -> bytes:
        """The whole ``.timeindex`` file for the current entries."""
        return b"".join(
            _ENTRY.pack(timestamp, relative)
            for timestamp, relative in zip(self.timestamps, self.relative_offsets, strict=True)
        )

    def problems(self, *, next_relative_offset: int) -> list[str]:
        """Why the entries cannot be right for a segment ending below ``next_relative_offset``.

        Timestamps must rise strictly, offsets must not fall, and all must lie in the segment.
        """
        found = []
        for number in range(self.entries):
            timestamp, relative = self.timestamps[number], self.relative_offsets[number]
            if not 0 <= relative < next_relative_offset:
                found.append(f"entry {number} ({timestamp}, {relative}) is outside the segment")
            elif number and (
                timestamp <= self.timestamps[number - 1]
                or relative < self.relative_offsets[number - 1]
            ):
                found.append(f"entry {number} ({timestamp}, {relative}) does not rise")
        return found
