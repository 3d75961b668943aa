"""The broker's side: what it checks on every idempotent batch, and what it answers.

Run from the repository root::

    python -m tutorials.ch07_the_idempotent_producer.sequence_checks

A partition log on a simulated disk and its producer-state table, driven exactly as the
broker's produce path drives them (``glasskafka/broker/produce_path.py``): for each batch,
``check_client_append`` first (it changes nothing), then, only if it answered NONE, the append
and ``record_append``.  The batches are written by hand, so each rule can be shown alone:

* sequences that follow on are appended;
* a batch already in the log (same producer id, epoch, first and last sequence) is answered
  with its original offset and not appended: what a retry gets (IDEM-3);
* a gap -- sequence 5 when 3 was expected -- is refused with OUT_OF_ORDER_SEQUENCE_NUMBER (45):
  batches 3 and 4 went missing, and the broker will not silently skip them (IDEM-6);
* a new epoch (the producer was re-initialised) must start again at sequence 0;
* a batch from the old epoch after that is refused with INVALID_PRODUCER_EPOCH (47): its
  producer has been fenced (IDEM-4);
* a retry of a batch that fell out of the last five is no longer recognised, and is refused as
  out of order -- which is why a producer may have at most five requests in flight.

Spec IDs: IDEM-3, IDEM-4, IDEM-6.

Simplified from Kafka: the table is Kafka's ``ProducerStateManager`` without transactions; the
checks are ``ProducerAppendInfo.checkProducerEpoch`` and ``checkSequence`` in that order.
"""

from __future__ import annotations

import dataclasses

from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.log import PartitionLog
from glasskafka.log.producer_state import DuplicateBatch, ProducerStateTable
from glasskafka.records import Record, encode_batch, read_header
from glasskafka.storage import SimDisk

__all__ = ["BATCHES", "main"]

PRODUCER_ID = 0

BATCHES: list[tuple[str, int, int, int]] = [
    ("r0 r1", 0, 0, 2),
    ("r2", 0, 2, 1),
    ("r2 again (a retry)", 0, 2, 1),
    ("r5 (r3 and r4 never came)", 0, 5, 1),
    ("r3", 0, 3, 1),
    ("s0 (a new epoch)", 1, 0, 1),
    ("r4 (the old epoch)", 0, 4, 1),
    ("s1", 1, 1, 1),
    ("s2", 1, 2, 1),
    ("s3", 1, 3, 1),
    ("s4", 1, 4, 1),
    ("s5", 1, 5, 1),
    ("s0 again (six batches ago)", 1, 0, 1),
    ("s5 again (a retry)", 1, 5, 1),
]
"""``(what, epoch, first sequence, record count)`` for each batch, in the order sent."""


def main() -> None:
    """Offer each batch to the producer state, append the accepted ones, print the answers."""
    log = PartitionLog.open(SimDisk(), "payments", 0, TopicConfig(), now_ms=0)
    state = ProducerStateTable()
    print(f"{'batch':<28} {'epoch':>5} {'sequences':>9}   the broker's answer")
    for what, epoch, first, count in BATCHES:
        records = [Record(key=None, value=what.encode(), timestamp=0) for _ in range(count)]
        batch = encode_batch(
            records, producer_id=PRODUCER_ID, producer_epoch=epoch, base_sequence=first
        )
        header = read_header(batch)
        answer = state.check_client_append(header)
        if isinstance(answer, DuplicateBatch):
            said = f"already at offset {answer.first_offset}: NONE, offset {answer.first_offset}"
        elif answer is ErrorCode.NONE:
            info = log.append_as_leader(batch, leader_epoch=0, now_ms=0)
            state.record_append(dataclasses.replace(header, base_offset=info.first_offset))
            said = f"appended at offset {info.first_offset}"
        else:
            said = f"refused: {answer.name} ({int(answer)})"
        sequences = f"{first}..{first + count - 1}"
        print(f"{what:<28} {epoch:>5} {sequences:>9}   {said}")
    entry = state.entries[PRODUCER_ID]
    window = ", ".join(f"{b.first_seq}..{b.last_seq}@{b.first_offset}" for b in entry.batches)
    print(f"producer {PRODUCER_ID}: epoch {entry.producer_epoch}, last five batches {window}")


if __name__ == "__main__":
    main()
