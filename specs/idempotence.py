"""Idempotent producer, specified: retries never duplicate, reorder or misplace a batch.

The specification
-----------------
An idempotent producer (KIP-98) has a producer id (PID) and an epoch, and numbers the records it
sends to each partition from 0.  A partition leader remembers, per PID, the epoch and the last
five batches it appended, and checks every client batch against them in a fixed order:
duplicate, stale epoch, new epoch, same epoch (``reference/replication-invariants.md`` §6).  From
outside, that must look like this:

* IDEM-1 *No sequence twice.*  No (PID, epoch, sequence) occurs twice in any replica's log: a
  retry of an appended batch is answered, not appended again.
* IDEM-2 *Sequences rise by one.*  Along a replica's log, consecutive batches of one (PID, epoch)
  continue each other's sequences exactly (with the wrap from 2147483647 to 0).
* IDEM-3 *Duplicates get the original offset.*  Every successful answer to a batch (first send
  or retry) names the base offset at which the leader's log holds exactly that batch
  (PID, epoch, first and last sequence); so a re-sent batch gets the offset of its first append.
* IDEM-4 *Stale epochs are fenced.*  Along a replica's log, a PID's epochs never go down: once
  epoch e+1 is accepted, no batch of epoch e or older is appended.
* IDEM-5 *State agrees with the log.*  Every replica's producer state equals the state recomputed
  from its own log; so a follower that becomes leader deduplicates exactly as its predecessor
  would have, for the batches it holds.
* IDEM-6 *Gaps are refused* (a transition property, judged on each check the leader made).  If
  the leader has state for a batch's PID and epoch, and the batch repeats no cached batch, then a
  first sequence that does not follow the newest cached batch is refused with
  ``OUT_OF_ORDER_SEQUENCE_NUMBER`` (45).  A lost acknowledged batch therefore shows as an error,
  not as a silently skipped range (KIP-192).

The snapshots are plain data that the model tests build from the replicas' batch headers, their
producer-state tables and the answers the producer received.  The recomputation in IDEM-5 is
written here, apart from ``glasskafka.log.producer_state``, as the abstract model: for each PID,
the batches of its latest epoch, at most the last five, in log order.

Simplified from Kafka: Kafka states none of this formally; the statements follow KIP-98, KIP-192,
``ProducerStateEntry.java`` and ``ProducerAppendInfo.java``.  Transactions (control batches,
coordinator epochs) are left out, as in ``glasskafka.log.producer_state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from specs.catalogue import spec

__all__ = [
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    "RETAINED_BATCHES",
    "AckView",
    "AppendDecision",
    "CachedBatchView",
    "IdempotenceSnapshot",
    "LoggedBatch",
    "ProducerEntryView",
    "ReplicaView",
    "acked_batches_at_their_offsets",
    "expected_producer_state",
    "gaps_are_refused",
    "no_sequence_twice",
    "producer_state_matches_log",
    "sequences_rise_by_one",
    "stale_epochs_never_appended",
]

RETAINED_BATCHES = 5
"""Batches a leader remembers per producer (Kafka's ``NUM_BATCHES_TO_RETAIN``)."""

OUT_OF_ORDER_SEQUENCE_NUMBER = 45
"""Kafka's error code for a sequence gap (``Errors.java``)."""

_SEQUENCES = 2**31


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedBatch:
    """One batch in a replica's log, as its header shows it (producer id -1: not idempotent)."""

    base_offset: int
    last_offset: int
    producer_id: int
    producer_epoch: int
    first_seq: int
    last_seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedBatchView:
    """One batch a replica's producer state remembers."""

    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerEntryView:
    """A replica's state for one producer: its epoch and remembered batches, oldest first."""

    producer_id: int
    producer_epoch: int
    batches: tuple[CachedBatchView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaView:
    """One replica: its log and its producer state (entries by ascending producer id)."""

    name: str
    log: tuple[LoggedBatch, ...]
    producer_state: tuple[ProducerEntryView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AckView:
    """A successful answer the producer received for a batch (ghost ``producer_acks``)."""

    producer_id: int
    producer_epoch: int
    first_seq: int
    last_seq: int
    base_offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotenceSnapshot:
    """Every replica of one partition, which of them leads, and every answer received."""

    leader: str
    replicas: tuple[ReplicaView, ...]
    acks: tuple[AckView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendDecision:
    """One check a leader made on a client batch: the state before and what it answered.

    ``error_code`` is Kafka's code (0 for accepted or duplicate); ``duplicate`` says the batch
    was answered as a repeat of a cached one.
    """

    producer_id: int
    producer_epoch: int
    first_seq: int
    last_seq: int
    entry_before: ProducerEntryView | None
    error_code: int
    duplicate: bool


def _overlap(a: LoggedBatch, b: LoggedBatch) -> bool:
    """Whether two batches' sequence ranges share a sequence, on the circle of 2**31."""
    length_a = (a.last_seq - a.first_seq) % _SEQUENCES + 1
    length_b = (b.last_seq - b.first_seq) % _SEQUENCES + 1
    return (b.first_seq - a.first_seq) % _SEQUENCES < length_a or (
        a.first_seq - b.first_seq
    ) % _SEQUENCES < length_b


def _idempotent(log: Sequence[LoggedBatch]) -> list[LoggedBatch]:
    return [batch for batch in log if batch.producer_id >= 0]


@spec("IDEM-1", "No sequence twice")
def no_sequence_twice(snapshot: IdempotenceSnapshot) -> list[str]:
    """No (producer id, epoch, sequence) occurs twice in any replica's log."""
    violations = []
    for replica in snapshot.replicas:
        batches = _idempotent(replica.log)
        for index, first in enumerate(batches):
            for second in batches[index + 1 :]:
                same_session = (first.producer_id, first.producer_epoch) == (
                    second.producer_id,
                    second.producer_epoch,
                )
                if same_session and _overlap(first, second):
                    violations.append(
                        f"{replica.name}: producer {first.producer_id} epoch "
                        f"{first.producer_epoch} has sequences {first.first_seq}..{first.last_seq}"
                        f" at offset {first.base_offset} and {second.first_seq}..{second.last_seq}"
                        f" again at offset {second.base_offset}"
                    )
    return violations


@spec("IDEM-2", "Sequences rise by one")
def sequences_rise_by_one(snapshot: IdempotenceSnapshot) -> list[str]:
    """Along a replica's log, consecutive batches of one (producer id, epoch) continue each
    other's sequence numbers exactly: each starts one after the previous one's last sequence
    (2147483647 is followed by 0).  So retries never reorder batches."""
    violations = []
    for replica in snapshot.replicas:
        last: dict[tuple[int, int], LoggedBatch] = {}
        for batch in _idempotent(replica.log):
            session = (batch.producer_id, batch.producer_epoch)
            previous = last.get(session)
            if previous is not None and batch.first_seq != (previous.last_seq + 1) % _SEQUENCES:
                violations.append(
                    f"{replica.name}: producer {batch.producer_id} epoch {batch.producer_epoch} "
                    f"batch at offset {batch.base_offset} starts at sequence {batch.first_seq}, "
                    f"but the previous one (offset {previous.base_offset}) ended at "
                    f"{previous.last_seq}"
                )
            last[session] = batch
    return violations


@spec("IDEM-3", "Duplicates get the original offset")
def acked_batches_at_their_offsets(snapshot: IdempotenceSnapshot) -> list[str]:
    """Every successful answer to an idempotent batch, first send or retry, names the base offset
    at which the leader's log holds exactly that batch (producer id, epoch, first and last
    sequence).  So re-sending a batch that is in the log returns the offset of its first append
    and appends nothing."""
    leaders = [replica for replica in snapshot.replicas if replica.name == snapshot.leader]
    if not leaders:
        return [f"no replica is named {snapshot.leader!r}, the leader"]
    at_offset = {batch.base_offset: batch for batch in leaders[0].log}
    violations = []
    for ack in snapshot.acks:
        if ack.producer_id < 0:
            continue
        found = at_offset.get(ack.base_offset)
        key = (ack.producer_id, ack.producer_epoch, ack.first_seq, ack.last_seq)
        held = (
            None
            if found is None
            else (found.producer_id, found.producer_epoch, found.first_seq, found.last_seq)
        )
        if held != key:
            violations.append(
                f"producer {ack.producer_id} epoch {ack.producer_epoch} sequences "
                f"{ack.first_seq}..{ack.last_seq} was acknowledged at offset {ack.base_offset}, "
                f"where {leaders[0].name} holds "
                + ("no batch" if held is None else f"producer/epoch/sequences {held}")
            )
    return violations


@spec("IDEM-4", "Stale epochs are fenced")
def stale_epochs_never_appended(snapshot: IdempotenceSnapshot) -> list[str]:
    """Along every replica's log, each producer id's epochs never decrease: once a batch of epoch
    e+1 has been appended, no batch of epoch e or older follows it."""
    violations = []
    for replica in snapshot.replicas:
        newest: dict[int, LoggedBatch] = {}
        for batch in _idempotent(replica.log):
            before = newest.get(batch.producer_id)
            if before is not None and batch.producer_epoch < before.producer_epoch:
                violations.append(
                    f"{replica.name}: producer {batch.producer_id} wrote epoch "
                    f"{batch.producer_epoch} at offset {batch.base_offset} after epoch "
                    f"{before.producer_epoch} at offset {before.base_offset}"
                )
            else:
                newest[batch.producer_id] = batch
    return violations


def expected_producer_state(log: Sequence[LoggedBatch]) -> tuple[ProducerEntryView, ...]:
    """The abstract model: per producer, its latest epoch's last five batches, in log order."""
    entries: dict[int, ProducerEntryView] = {}
    for batch in _idempotent(log):
        cached = CachedBatchView(
            first_seq=batch.first_seq,
            last_seq=batch.last_seq,
            first_offset=batch.base_offset,
            last_offset=batch.last_offset,
        )
        before = entries.get(batch.producer_id)
        kept = (
            ()
            if before is None or before.producer_epoch != batch.producer_epoch
            else (before.batches)
        )
        entries[batch.producer_id] = ProducerEntryView(
            producer_id=batch.producer_id,
            producer_epoch=batch.producer_epoch,
            batches=(*kept, cached)[-RETAINED_BATCHES:],
        )
    return tuple(entries[producer_id] for producer_id in sorted(entries))


@spec("IDEM-5", "State agrees with the log")
def producer_state_matches_log(snapshot: IdempotenceSnapshot) -> list[str]:
    """Every replica's producer state equals the state recomputed from its own log: for each
    producer id, the epoch of its latest batch and that epoch's last five batches.  After a
    failover the same holds for the new leader, so it deduplicates what it holds."""
    violations = []
    for replica in snapshot.replicas:
        expected = expected_producer_state(replica.log)
        if tuple(replica.producer_state) != expected:
            violations.append(
                f"{replica.name}: producer state {_describe(replica.producer_state)} differs from "
                f"the state its log implies, {_describe(expected)}"
            )
    return violations


def _describe(entries: Sequence[ProducerEntryView]) -> str:
    if not entries:
        return "(empty)"
    return "; ".join(
        f"pid {e.producer_id} epoch {e.producer_epoch} "
        + ",".join(f"{b.first_seq}..{b.last_seq}@{b.first_offset}" for b in e.batches)
        for e in entries
    )


@spec("IDEM-6", "Gaps are refused", kind="transition")
def gaps_are_refused(decisions: Sequence[AppendDecision]) -> list[str]:
    """When the leader has state for a batch's producer id and epoch, and the batch repeats none
    of the cached batches, a first sequence that does not follow the newest cached batch's last
    sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER (45).  A lost acknowledged batch shows
    as this error, never as a silently skipped range of sequences (KIP-192)."""
    violations = []
    for decision in decisions:
        entry = decision.entry_before
        if entry is None or entry.producer_epoch != decision.producer_epoch or not entry.batches:
            continue
        repeats = any(
            (cached.first_seq, cached.last_seq) == (decision.first_seq, decision.last_seq)
            for cached in entry.batches
        )
        follows = decision.first_seq == (entry.batches[-1].last_seq + 1) % _SEQUENCES
        if repeats or follows:
            continue
        if decision.error_code != OUT_OF_ORDER_SEQUENCE_NUMBER:
            outcome = "a duplicate" if decision.duplicate else f"error code {decision.error_code}"
            violations.append(
                f"producer {decision.producer_id} epoch {decision.producer_epoch} sent sequences "
                f"{decision.first_seq}..{decision.last_seq} after "
                f"{entry.batches[-1].last_seq}; the leader answered {outcome}, not 45"
            )
    return violations
