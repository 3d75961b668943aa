"""Lab high-watermark: the rule that decides which records are committed.

Write ``high_watermark`` below.  ``glasskafka exercise check high-watermark`` plugs it into every
partition leader of a simulated cluster (``Partition.maybe_increment_high_watermark``), so the
leader's high watermark, and so what consumers may read and when acks=all producers are
answered, follow your rule.

Simplified from Kafka: the leader-side bookkeeping (which fetches count, the maximal ISR of
KIP-497) is done for you; this is the rule itself (``Partition.maybeIncrementLeaderHW``).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["UNKNOWN_OFFSET", "high_watermark"]

UNKNOWN_OFFSET = -1
"""The LEO of a follower that has not fetched in the leader's current epoch."""


def high_watermark(
    *, leader_log_end_offset: int, follower_log_end_offsets: Mapping[int, int]
) -> int:
    """The high watermark a partition leader may advance to.

    Before: ``leader_log_end_offset`` (LEO) is the offset the leader's next record will get.
    ``follower_log_end_offsets`` maps each *other* broker in the maximal ISR (the confirmed ISR
    plus any change still awaiting ZooKeeper's confirmation) to its LEO as its latest fetch in
    this leader epoch showed it, or :data:`UNKNOWN_OFFSET` if it has not fetched in this epoch.
    It may be empty (the leader is alone in the ISR).

    Returns: the largest offset every in-sync replica is known to have reached: the smallest
    LEO over the leader and the followers given.  An unknown follower makes it
    :data:`UNKNOWN_OFFSET`, so the HW cannot rise until that follower has fetched.  The caller
    raises the partition's HW to this value only if it is higher (a HW never falls on a leader),
    and keeps it within the log.

    Errors: none.

    Examples:
        >>> high_watermark(leader_log_end_offset=5, follower_log_end_offsets={})
        5
        >>> high_watermark(leader_log_end_offset=5, follower_log_end_offsets={2: 3, 3: 5})
        3
        >>> high_watermark(leader_log_end_offset=5, follower_log_end_offsets={2: -1, 3: 5})
        -1
    """
    raise NotImplementedError("write high_watermark")
