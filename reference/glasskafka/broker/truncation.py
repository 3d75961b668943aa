"""Truncation: where a follower cuts its log, and how, so it never loses committed data.

Theory of operation
-------------------
When a replica starts following a leader (a new epoch, or a restart), its log may end with
records the leader does not have: records a previous leader wrote and never committed.  They
must go -- or the two logs would disagree below their high watermarks (REPL-1) -- but not one
record more, or committed data is lost (REPL-2, REPL-14).

Kafka's answer evolved through three bugs (``docs/concepts/replication.md``, S1-S5):

* before KIP-101 a follower truncated to its **own high watermark**, which lags the leader's by
  a round trip, and so could cut a record the leader had already acknowledged (S1);
* KIP-101 made every batch carry its **leader epoch** and every replica keep an epoch cache, and
  the follower asks the leader where its latest epoch ends (OffsetForLeaderEpoch);
* KIP-279 fixed the answer after quick successions of leaders: the leader names the largest
  epoch it knows *at or below* the one asked and that epoch's end, and the follower truncates to
  the smaller of that and its own end of the same epoch -- or, if it never wrote in that epoch,
  cuts to the end of its own largest epoch below it and asks again (:func:`truncation_point`).
  The rounds stop at the **divergence point**: the first offset where the follower's log
  departs from the epoch history in the leader's cache.

:func:`truncate_partition` performs a cut; :func:`start_at_leader_log_start` empties a log that
has fallen below the leader's log start.

Spec IDs: REPL-14 (truncation safety), REPL-10 (the epoch cache follows the log), IDEM-5 (the
producer state is rebuilt from what is left).

Simplified from Kafka: Kafka 2.7+ also learns the divergence from Fetch responses
(``diverging_epoch``, KIP-595) without a separate OffsetForLeaderEpoch round; glasskafka keeps
the ZooKeeper-era exchange.
"""

from __future__ import annotations

from glasskafka.broker.effects import Effects, Truncated
from glasskafka.broker.idempotence import rebuild_from_log
from glasskafka.broker.partition import Partition
from glasskafka.ids import Millis, Offset
from glasskafka.log import UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, LogManager, PartitionLog

__all__ = ["start_at_leader_log_start", "truncate_partition", "truncation_point"]


def truncation_point(
    log: PartitionLog, *, leader_epoch: int, end_offset: int, high_watermark: int
) -> tuple[int, bool]:
    """Where to truncate after the leader's OffsetForLeaderEpoch answer, and whether that ends
    the reconciliation (``AbstractFetcherThread.getOffsetTruncationState``, KIP-279).

    ``(leader_epoch, end_offset)`` is the leader's answer.  Invariants: REPL-14.
    """
    replica_end = log.log_end_offset
    if end_offset == UNDEFINED_EPOCH_OFFSET:
        # The leader knows no epoch at or below ours; Kafka falls back to the HW.
        return min(high_watermark, replica_end), True
    if leader_epoch == UNDEFINED_EPOCH:
        # An answer without an epoch (OffsetForLeaderEpoch v0, before KIP-279): trust the offset.
        return min(end_offset, replica_end), True
    follower_epoch, follower_end = log.end_offset_for_epoch(leader_epoch)
    if follower_epoch == UNDEFINED_EPOCH:
        return min(end_offset, replica_end), True
    if follower_epoch != leader_epoch:
        # We never wrote in the leader's epoch: cut to the end of our largest epoch below it and
        # ask again about that one.
        return min(follower_end, replica_end), False
    return min(follower_end, end_offset, replica_end), True


def truncate_partition(
    partition: Partition,
    log_manager: LogManager,
    offset: int,
    *,
    reason: str,
    now_ms: Millis,
    effects: Effects,
) -> None:
    """Cut ``partition``'s log from ``offset`` on (no-op at or past the LEO), keep the HW inside.

    The log itself also trims its epoch cache when nothing is cut (KAFKA-10706, see
    ``PartitionLog.truncate_to``).  Invariants: REPL-10, REPL-14.
    """
    before = partition.log_end_offset
    if log_manager.truncate_to(partition.topic, partition.partition, offset, now_ms=now_ms):
        effects.events.append(
            Truncated(
                topic=partition.topic,
                partition=partition.partition,
                from_offset=before,
                to_offset=partition.log_end_offset,
                reason=reason,
            )
        )
    partition.after_truncation()
    # Batches above the cut are gone, so is what the producer state learned from them: rebuild
    # it from the log that is left (Kafka's UnifiedLog.truncateTo reloads producer state).
    rebuild_from_log(partition)


def start_at_leader_log_start(
    partition: Partition,
    log_manager: LogManager,
    leader_log_start: int,
    *,
    now_ms: Millis,
    effects: Effects,
) -> None:
    """Empty the log and start it at the leader's log start (the follower fell below it)."""
    before = partition.log_end_offset
    partition.log.truncate_fully_and_start_at(leader_log_start, now_ms=now_ms)
    log_manager.checkpoint_recovery_points()
    log_manager.checkpoint_log_start_offsets()
    partition.after_truncation()
    rebuild_from_log(partition)
    effects.events.append(
        Truncated(
            topic=partition.topic,
            partition=partition.partition,
            from_offset=before,
            to_offset=Offset(leader_log_start),
            reason=f"below the leader's log start {leader_log_start}",
        )
    )
