"""Lab idempotent-dedupe, solved: ``ProducerStateTable.check_client_append``'s decision.

Simplified from Kafka: no transactions.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["APPEND", "INVALID_PRODUCER_EPOCH", "OUT_OF_ORDER_SEQUENCE_NUMBER", "check_batch"]

APPEND = "append"
INVALID_PRODUCER_EPOCH = "INVALID_PRODUCER_EPOCH"
OUT_OF_ORDER_SEQUENCE_NUMBER = "OUT_OF_ORDER_SEQUENCE_NUMBER"


def check_batch(
    *,
    stored_epoch: int,
    window: Sequence[tuple[int, int]],
    producer_epoch: int,
    first_seq: int,
    last_seq: int,
) -> str | int:
    """The duplicate, stale-epoch, new-epoch and sequence checks, in Kafka's order."""
    if producer_epoch == stored_epoch:
        for position, (first, last) in enumerate(window):
            if first == first_seq and last == last_seq:
                return position
    if producer_epoch < stored_epoch:
        return INVALID_PRODUCER_EPOCH
    if producer_epoch > stored_epoch:
        return APPEND if first_seq == 0 else OUT_OF_ORDER_SEQUENCE_NUMBER
    newest = window[-1][1] if window else -1
    expected = 0 if newest == 2**31 - 1 else newest + 1
    return APPEND if first_seq == expected else OUT_OF_ORDER_SEQUENCE_NUMBER
