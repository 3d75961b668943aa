"""Lab high-watermark, solved: the rule of ``Partition.maybe_increment_high_watermark``.

Simplified from Kafka: the rule only, as ``Partition.maybeIncrementLeaderHW`` computes it.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["UNKNOWN_OFFSET", "high_watermark"]

UNKNOWN_OFFSET = -1


def high_watermark(
    *, leader_log_end_offset: int, follower_log_end_offsets: Mapping[int, int]
) -> int:
    """The smallest LEO over the leader and the in-sync followers (unknown counts as -1)."""
    return min([leader_log_end_offset, *follower_log_end_offsets.values()])
