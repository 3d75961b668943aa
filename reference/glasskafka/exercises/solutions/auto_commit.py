"""Lab auto-commit, solved: Kafka's auto-commit rule (positions of earlier polls, at poll start).

Simplified from Kafka: the commit before a rebalance is not part of the lab.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CLOSE", "POLL_RETURN", "POLL_START", "auto_commit"]

POLL_START = "poll-start"
POLL_RETURN = "poll-return"
CLOSE = "close"

TopicPartition = tuple[str, int]


def auto_commit(
    *,
    moment: str,
    now_ms: int,
    next_auto_commit_ms: int,
    auto_commit_interval_ms: int,
    positions: Mapping[TopicPartition, int],
) -> tuple[dict[TopicPartition, int], int]:
    """Commit every position at a due poll start and on close; never at poll return."""
    if moment == CLOSE:
        return dict(positions), next_auto_commit_ms
    if moment == POLL_START and now_ms >= next_auto_commit_ms:
        return dict(positions), now_ms + auto_commit_interval_ms
    return {}, next_auto_commit_ms
