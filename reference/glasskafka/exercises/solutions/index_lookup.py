"""Lab index-lookup, solved: the binary search of ``OffsetIndex.lookup``.

Simplified from Kafka: no warm section (``AbstractIndex.indexSlotRangeFor``).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["largest_lower_bound_slot_for"]


def largest_lower_bound_slot_for(relative_offsets: Sequence[int], target: int) -> int:
    """The slot of the last entry whose relative offset is ``<= target``, or -1."""
    low, high = 0, len(relative_offsets)
    # Invariant: every slot below `low` is <= target, every slot from `high` on is > target.
    while low < high:
        middle = (low + high) // 2
        if relative_offsets[middle] <= target:
            low = middle + 1
        else:
            high = middle
    return low - 1
