"""Lab truncation: where a follower cuts its log so it never keeps uncommitted data (KIP-279).

Write ``truncation_point`` below.  ``glasskafka exercise check truncation`` plugs it into every
follower of a simulated cluster (``ReplicaFetchers``' OffsetForLeaderEpoch handling), so after
each leader change the followers cut their logs where your function says.

Simplified from Kafka: Kafka 2.7+ also learns the divergence from Fetch responses (KIP-595);
this is the ZooKeeper-era OffsetForLeaderEpoch exchange.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["UNDEFINED_EPOCH", "UNDEFINED_EPOCH_OFFSET", "truncation_point"]

UNDEFINED_EPOCH = -1
UNDEFINED_EPOCH_OFFSET = -1


def truncation_point(
    *,
    epochs: Sequence[tuple[int, int]],
    log_end_offset: int,
    leader_epoch: int,
    end_offset: int,
    high_watermark: int,
) -> tuple[int, bool]:
    """Where the follower truncates after the leader's OffsetForLeaderEpoch answer, and whether
    that ends the reconciliation.

    Before: the follower asked the leader "where does epoch E end?", E being the follower's
    latest epoch.  ``epochs`` is the follower's leader-epoch cache: ``(epoch, start offset)``
    pairs, epochs and offsets strictly increasing (an epoch runs from its start to the next
    entry's start, the last one to ``log_end_offset``).  ``(leader_epoch, end_offset)`` is the
    leader's answer: the largest epoch it knows that is ``<= E``, and where that epoch ends in
    the leader's log; ``(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`` if it knows none.
    ``high_watermark`` is the follower's own HW.

    Returns ``(offset, done)``; the follower removes every record at or above ``offset`` (an
    offset at or past its LEO cuts nothing) and, if not ``done``, asks again about its new
    latest epoch.  The rules (``AbstractFetcherThread.getOffsetTruncationState``, KIP-279), in
    order; every offset returned is at most ``log_end_offset``:

    1. ``end_offset == UNDEFINED_EPOCH_OFFSET``: the leader knows no such epoch; fall back to
       the follower's high watermark, done;
    2. ``leader_epoch == UNDEFINED_EPOCH`` (an old leader, before KIP-279): trust
       ``end_offset``, done;
    3. find the follower's own answer for ``leader_epoch``, ``(F, F's end)``, as its epoch
       cache would answer OffsetForLeaderEpoch: if ``leader_epoch`` is the follower's latest
       epoch, ``(leader_epoch, log_end_offset)``; if it is older than every entry,
       ``(leader_epoch, the first entry's start)``; if it is newer than every entry, or
       ``epochs`` is empty, there is no answer: use ``end_offset``, done; otherwise F is the
       largest epoch ``<= leader_epoch`` and F ends where the next entry starts;
    4. ``F != leader_epoch``: the follower never wrote in the leader's epoch; cut to where F
       ends, not done (ask again);
    5. otherwise cut to the smaller of where the epoch ends on each side, done.

    Errors: none.

    Examples (Vanlightly/kafka-tlaplus, log divergence case E):
        >>> truncation_point(epochs=[(1, 0), (2, 2)], log_end_offset=4, leader_epoch=1,
        ...                  end_offset=2, high_watermark=0)
        (2, True)
    """
    raise NotImplementedError("write truncation_point")
