"""Lab index-lookup: find where to start reading in a segment's sparse offset index.

Write ``largest_lower_bound_slot_for`` below.  ``glasskafka exercise check index-lookup`` plugs
it into every segment's offset index (``OffsetIndex.lookup``), so every read, time lookup and
truncation of the partition log during the check starts where your function says.

Simplified from Kafka: Kafka searches a memory-mapped file with a "warm section" that keeps the
last pages hot (``AbstractIndex.indexSlotRangeFor``); a plain binary search is the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["largest_lower_bound_slot_for"]


def largest_lower_bound_slot_for(relative_offsets: Sequence[int], target: int) -> int:
    """The slot (entry number) of the last index entry whose relative offset is ``<= target``.

    Before: ``relative_offsets`` holds the index's entries in order, strictly increasing (an
    entry ``(o, p)`` says "the batch at file position ``p`` ends at relative offset ``o``"; the
    positions are not needed here).  ``target`` is the wanted offset minus the segment's base
    offset; it may be below every entry, above every entry, or negative.

    Returns: a slot ``s`` with ``relative_offsets[s] <= target``, and ``s + 1`` past the end or
    ``relative_offsets[s + 1] > target``; or ``-1`` if the list is empty or every entry is above
    ``target`` (the reader then scans from the segment's start).  The reader starts at the slot's
    position and scans forward; it can never move back, so a slot one too far skips records.

    Errors: none.  Must not change ``relative_offsets``.  Aim for O(log n): an index has up to
    a million entries (``segment.index.bytes`` / 8).

    Examples:
        >>> largest_lower_bound_slot_for([3, 7, 12], 7)
        1
        >>> largest_lower_bound_slot_for([3, 7, 12], 11)
        1
        >>> largest_lower_bound_slot_for([3, 7, 12], 2)
        -1
        >>> largest_lower_bound_slot_for([], 5)
        -1
    """
    raise NotImplementedError("write largest_lower_bound_slot_for")
