"""Lab idempotent-dedupe: the leader's decision on an idempotent producer's batch (KIP-98).

Write ``check_batch`` below.  ``glasskafka exercise check idempotent-dedupe`` plugs it into every
partition's producer state (``ProducerStateTable.check_client_append`` asks it), so during the
check every batch an idempotent producer sends to a leader is appended, answered as a duplicate
or refused as your function says.

Simplified from Kafka: no transactions; Kafka's ``ProducerAppendInfo`` also checks the
coordinator epoch of transactional batches.
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
    """What the partition leader does with a batch from an idempotent producer.

    Before: the partition already has state for this producer id: ``stored_epoch`` is the epoch
    of its batches, and ``window`` the ``(first_seq, last_seq)`` of the last batches (at most 5)
    it appended in that epoch, oldest first.  The batch carries ``producer_epoch`` and the
    sequence numbers of its first and last records.  Sequence numbers count records per
    partition from 0 and wrap from 2147483647 back to 0.

    Returns, checking in this order (``reference/replication-invariants.md`` §6.3):

    1. *duplicate*: same epoch as stored and a batch in ``window`` with the same first *and*
       last sequence -- return that batch's position in ``window`` (0 is the oldest); the
       broker answers success with the offsets it gave that batch and appends nothing;
    2. *stale epoch*: ``producer_epoch`` below ``stored_epoch`` -- ``INVALID_PRODUCER_EPOCH``
       (a fenced producer must not write);
    3. *new epoch*: ``producer_epoch`` above ``stored_epoch`` -- ``APPEND`` if ``first_seq`` is
       0, else ``OUT_OF_ORDER_SEQUENCE_NUMBER``;
    4. *same epoch*: ``APPEND`` if ``first_seq`` is the sequence after the newest batch's
       ``last_seq`` (0 if ``window`` is empty), else ``OUT_OF_ORDER_SEQUENCE_NUMBER`` -- a gap
       is refused, never skipped.

    Errors: none; return one of the values above.  Must not change ``window``.

    Examples:
        >>> check_batch(stored_epoch=0, window=[(0, 2), (3, 3)], producer_epoch=0,
        ...             first_seq=3, last_seq=3)
        1
        >>> check_batch(stored_epoch=0, window=[(0, 2), (3, 3)], producer_epoch=0,
        ...             first_seq=4, last_seq=5)
        'append'
        >>> check_batch(stored_epoch=0, window=[(0, 2), (3, 3)], producer_epoch=0,
        ...             first_seq=6, last_seq=6)
        'OUT_OF_ORDER_SEQUENCE_NUMBER'
        >>> check_batch(stored_epoch=2, window=[(0, 0)], producer_epoch=1,
        ...             first_seq=1, last_seq=1)
        'INVALID_PRODUCER_EPOCH'
        >>> check_batch(stored_epoch=0, window=[(0, 0)], producer_epoch=1,
        ...             first_seq=0, last_seq=0)
        'append'
    """
    raise NotImplementedError("write check_batch")
