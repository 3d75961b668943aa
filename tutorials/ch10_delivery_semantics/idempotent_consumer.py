"""An idempotent consumer: at-least-once delivery, exactly-once effects, by deduplicating on an id.

At least once means a record may be processed again after a crash (``at_least_once``).  The
course's answer: make the processing idempotent.  An update that sets a value is idempotent by
nature; an insert is made idempotent by giving each message a unique id and checking it before
acting -- a primary key in the database, or a set of seen ids in Redis.

Here every record's value is its order id.  The application keeps a ``payments`` table keyed by
order id, outside the consumer (it survives the consumer's crash, as a database would): a record
whose id is already there is acknowledged and skipped.  ``c1`` processes a batch and dies before
committing; ``c2`` takes over and is handed the batch again.  The group *processed* those records
twice -- the checker counts the redeliveries, allowed under at-least-once -- but the table holds
every order exactly once.

Run: ``python -m tutorials.ch10_delivery_semantics.idempotent_consumer [--out DIR]``

Spec IDs: DELIV-19, DELIV-20 (as reported by the checker).

Simplified from Kafka: the table and the offsets are not updated atomically; Kafka's
transactions (KIP-98, ``read_committed`` plus ``sendOffsetsToTransaction``) give exactly once
when the effects are themselves Kafka records.
"""

from __future__ import annotations

import sys

from glasskafka.client.consumer_events import ConsumerRecord

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab, show_records
from tutorials.ch10_delivery_semantics.common import check_history_file, output_directory

__all__ = ["Payments", "main", "run_idempotent"]


class Payments:
    """The application's table: one row per order id (the primary key)."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}  # order id -> the offset it was paid from
        self.skipped = 0

    def apply(self, record: ConsumerRecord) -> bool:
        """Pay the order in ``record`` unless it is already paid; True if a row was added."""
        order = (record.value or b"").decode("utf-8")
        if order in self.rows:
            self.skipped += 1
            return False
        self.rows[order] = record.offset
        return True


def _handle(lab: GroupLab, name: str, payments: Payments) -> tuple[ConsumerRecord, ...]:
    records = lab.poll(name)
    added = [r for r in records if payments.apply(r)]
    lab.process(name, records)
    if records:
        print(
            f"{name} polls {show_records(records)}: {len(added)} paid, "
            f"{len(records) - len(added)} already paid"
        )
    return records


def run_idempotent() -> tuple[GroupLab, Payments]:
    """``c1`` pays a batch and commits, pays the next and crashes; ``c2`` takes over."""
    payments = Payments()
    lab = GroupLab(seed=10)
    lab.start()
    lab.add_consumer("c1", "billing")
    lab.work_until_quiet(["c1"])
    lab.produce(6, partition=0)
    _handle(lab, "c1", payments)
    lab.commit("c1")
    _handle(lab, "c1", payments)
    print("c1 crashes before committing")
    lab.crash("c1")
    lab.add_consumer("c2", "billing")
    lab.advance(7000)
    while _handle(lab, "c2", payments) or not lab.assignment("c2"):
        lab.commit("c2")
    return lab, payments


def main(argv: list[str]) -> int:
    out = output_directory(argv, script="idempotent_consumer")
    lab, payments = run_idempotent()
    rows = " ".join(f"{order}@{offset}" for order, offset in sorted(payments.rows.items()))
    print(
        f"payments table: {len(payments.rows)} rows ({rows}); {payments.skipped} duplicates skipped"
    )
    print()
    check_history_file(lab, out, "idempotent_consumer.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
