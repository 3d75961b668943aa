"""Producer state on the broker: where each replica's idempotence table is checked and kept.

Theory of operation
-------------------
``glasskafka.log.producer_state`` holds the rules (KIP-98): a :class:`ProducerStateTable` per
partition replica, the checks on a client batch, and a call contract.  This module is where the
broker keeps that contract; every place that changes a replica's log passes through it, so the
table always describes the log below its ``map_end_offset`` (IDEM-5):

==============================  =============================================================
leader, a client's batch        :func:`check_client_batch` before the append (duplicate, stale
                                epoch, out of order: Kafka's ``UnifiedLog.
                                analyzeAndValidateProducerState``), :func:`record_leader_append`
                                after it (``produce_path.py``)
follower, fetched batches       :func:`record_replicated` for each batch appended
                                (``fetcher.py``; ``AppendOrigin.REPLICATION``: no checks, the
                                leader made them)
truncation                      :func:`rebuild_from_log` (``truncation.py``): the state of a
                                cut log is recomputed, so entries above the cut go
start (recovery), new replica   :func:`rebuild_from_log` (``replica_manager.py``)
==============================  =============================================================

The table lives on the :class:`~glasskafka.broker.partition.Partition`, with the log, so it
survives role changes: a follower that becomes leader already holds the state its predecessor
built for the batches they share, and deduplicates a retry of them (IDEM-1 across failover).

A batch whose header cannot be read is passed to the log unchecked: the log refuses it with
CORRUPT_MESSAGE, and producer state is never consulted for bytes the log would not accept.

Spec IDs: IDEM-1, IDEM-3, IDEM-4, IDEM-6 (the leader's checks), IDEM-5 (every path keeps the
table equal to the state recomputed from the log).

Rebuilding loads the newest sound producer-state snapshot (``<offset>.snapshot``, which the log
writes at every segment roll) and replays only the log after it, as Kafka's
``ProducerStateManager`` does (``glasskafka/log/recovery.py``); the result equals a replay of the
whole log.

Simplified from Kafka: Kafka keeps the state of producers whose batches retention deleted until
``producer.id.expiration.ms``; glasskafka keeps exactly what the remaining log shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from glasskafka.broker.partition import Partition
from glasskafka.errors import ErrorCode
from glasskafka.log import AppendOrigin, LogError, PartitionLog
from glasskafka.log.producer_state import AppendCheck
from glasskafka.log.validation import validate_leader_batch
from glasskafka.records import BatchHeader, CorruptRecordError, read_header
from glasskafka.records.batch import iter_batches

__all__ = [
    "check_client_batch",
    "log_headers",
    "rebuild_from_log",
    "record_leader_append",
    "record_replicated",
]


def log_headers(log: PartitionLog) -> Iterator[BatchHeader]:
    """The header of every batch in ``log``, oldest first (headers only, no record bytes)."""
    for segment in log.segments:
        for _, header in segment.batches_from(0):
            yield header


def rebuild_from_log(partition: Partition) -> None:
    """Recompute ``partition``'s producer state from its log (recovery, truncation).

    Invariants: IDEM-5.
    """
    partition.producer_state = partition.log.recover_producer_state(bugs=partition.bugs).state


def check_client_batch(partition: Partition, records: bytes) -> AppendCheck:
    """What to do with a client's batch on the leader, changing nothing.

    ``ErrorCode.NONE``: append it; a :class:`~glasskafka.log.producer_state.DuplicateBatch`:
    answer its offsets and append nothing (IDEM-3); another code: answer it.  Bytes the log
    would refuse are passed as NONE, so the log's own error (CORRUPT_MESSAGE...) is answered.
    Invariants: IDEM-1, IDEM-3, IDEM-4, IDEM-6.
    """
    try:
        header = validate_leader_batch(
            records, config=partition.log.config, origin=AppendOrigin.CLIENT
        )
    except (LogError, CorruptRecordError, ValueError):
        return ErrorCode.NONE
    return partition.producer_state.check_client_append(header)


def record_leader_append(partition: Partition, records: bytes, *, base_offset: int) -> None:
    """Remember a client batch the leader has just appended at ``base_offset``.

    Invariants: IDEM-5.
    """
    header = dataclasses.replace(read_header(records), base_offset=base_offset)
    partition.producer_state.record_append(header)


def record_replicated(partition: Partition, records: bytes, *, valid_bytes: int) -> None:
    """Remember the batches a follower has just appended from a fetch (the first
    ``valid_bytes`` of ``records``, as the log reported).  Invariants: IDEM-5.
    """
    for position, header in iter_batches(records):
        if position >= valid_bytes:
            break
        partition.producer_state.append_replicated(header)
