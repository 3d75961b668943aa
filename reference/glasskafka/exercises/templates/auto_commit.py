"""Lab auto-commit: which positions ``enable.auto.commit`` commits, and when.

Write ``auto_commit`` below.  ``glasskafka exercise check auto-commit`` plugs it into glasskafka's
consumer: at the start of every ``poll()``, just before a ``poll()`` hands its records to the
application, and in ``close()``, the consumer asks your function what to commit, and commits
exactly that (asynchronously during polls, synchronously on close).

Simplified from Kafka: the commit before a rebalance (``onJoinPrepare``) stays glasskafka's own;
Kafka's consumer also commits there when auto-commit is on.
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
    """What the consumer commits at ``moment``, and when the next auto-commit falls due.

    Before: ``moment`` is one of

    * ``POLL_START`` -- ``poll()`` has just been called; ``positions`` are where the *earlier*
      polls left each assigned partition, so every record below them has been handed to the
      application, which processed it before calling ``poll()`` again;
    * ``POLL_RETURN`` -- this ``poll()`` is about to return records; ``positions`` already
      include them, but the application has not seen them yet;
    * ``CLOSE`` -- ``close()`` was called; ``positions`` are where the last poll left off, and
      the application has processed what it was given.

    A position is the offset of the next record to read, which is also what Kafka commits (the
    committed offset is "last processed + 1").  ``next_auto_commit_ms`` is the time the
    next auto-commit falls due, ``auto_commit_interval_ms`` the ``auto.commit.interval.ms``
    setting (5000 by default).

    Returns ``(offsets, next_auto_commit_ms)``: the offsets to commit now (an empty dict for
    none) and the new due time.  Kafka's rule (``ConsumerCoordinator.maybeAutoCommitOffsetsAsync``,
    called at the start of ``KafkaConsumer.poll``): at ``POLL_START``, if ``now_ms`` has reached
    the due time, commit every position and make the next one due an interval from now; at
    ``CLOSE`` commit every position; never at ``POLL_RETURN`` -- committing records before the
    application has processed them loses them if it crashes in between (at-most-once).  Leave
    the due time as it is when nothing falls due.

    Errors: none.  Must not change ``positions``.

    Examples:
        >>> auto_commit(moment=POLL_START, now_ms=5000, next_auto_commit_ms=5000,
        ...             auto_commit_interval_ms=5000, positions={("orders", 0): 3})
        ({('orders', 0): 3}, 10000)
        >>> auto_commit(moment=POLL_START, now_ms=4999, next_auto_commit_ms=5000,
        ...             auto_commit_interval_ms=5000, positions={("orders", 0): 3})
        ({}, 5000)
        >>> auto_commit(moment=POLL_RETURN, now_ms=9000, next_auto_commit_ms=5000,
        ...             auto_commit_interval_ms=5000, positions={("orders", 0): 6})
        ({}, 5000)
        >>> auto_commit(moment=CLOSE, now_ms=100, next_auto_commit_ms=5000,
        ...             auto_commit_interval_ms=5000, positions={("orders", 0): 6})
        ({('orders', 0): 6}, 5000)
    """
    raise NotImplementedError("write auto_commit")
