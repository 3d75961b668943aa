"""Lab truncation, solved: ``glasskafka.broker.truncation.truncation_point`` on plain data.

Simplified from Kafka: no KIP-595 diverging epochs in Fetch responses.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["UNDEFINED_EPOCH", "UNDEFINED_EPOCH_OFFSET", "truncation_point"]

UNDEFINED_EPOCH = -1
UNDEFINED_EPOCH_OFFSET = -1


def _end_of(epochs: Sequence[tuple[int, int]], epoch: int, log_end_offset: int) -> tuple[int, int]:
    """The follower's answer for ``epoch``: (largest epoch <= it, where that ends), or (-1, -1)."""
    if not epochs or epoch > epochs[-1][0]:
        return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
    if epoch == epochs[-1][0]:
        return epoch, log_end_offset
    if epoch < epochs[0][0]:
        return epoch, epochs[0][1]
    number = max(n for n, (e, _) in enumerate(epochs) if e <= epoch)
    return epochs[number][0], epochs[number + 1][1]


def truncation_point(
    *,
    epochs: Sequence[tuple[int, int]],
    log_end_offset: int,
    leader_epoch: int,
    end_offset: int,
    high_watermark: int,
) -> tuple[int, bool]:
    """Where to truncate after the leader's answer, and whether that ends the reconciliation."""
    if end_offset == UNDEFINED_EPOCH_OFFSET:
        return min(high_watermark, log_end_offset), True
    if leader_epoch == UNDEFINED_EPOCH:
        return min(end_offset, log_end_offset), True
    follower_epoch, follower_end = _end_of(epochs, leader_epoch, log_end_offset)
    if follower_epoch == UNDEFINED_EPOCH:
        return min(end_offset, log_end_offset), True
    if follower_epoch != leader_epoch:
        return min(follower_end, log_end_offset), False
    return min(follower_end, end_offset, log_end_offset), True
