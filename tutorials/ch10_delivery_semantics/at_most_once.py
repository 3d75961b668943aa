"""At most once: commit right after ``poll()``, then process -- and a crash loses records.

The course's first recipe: *fetch, commit the offsets, process*.  Once the commit is stored, the
group will never read those records again, whatever becomes of their processing.  Here consumer
``c1`` of group ``billing`` polls a batch, commits, processes; polls the next batch, commits,
and dies before processing it.  Started again, it resumes at the committed offsets, past the
batch it never processed: those records are lost to the application, though Kafka kept them.

The history is checked twice.  Recorded as it is, the group's ``subscribe`` line makes the usual
promise, at least once (``delivery: at-least-once``): the checker finds every lost record
(``group-undelivered``, DELIV-19) and says ``invalid``.  Declared ``at-most-once`` -- the honest
promise of this loop -- the same run passes: loss is allowed, and the checker verifies the other
half of the promise, that no record was processed twice (DELIV-20).

Run: ``python -m tutorials.ch10_delivery_semantics.at_most_once [--out DIR]``

Spec IDs: DELIV-19, DELIV-20.

Simplified from Kafka: nothing; this is the loop the Kafka consumer's javadoc warns about.
"""

from __future__ import annotations

import sys

from glasskafka.history import Delivery

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab, show_records
from tutorials.ch10_delivery_semantics.common import check_history_file, output_directory

__all__ = ["main", "run_at_most_once"]


def run_at_most_once() -> GroupLab:
    """Poll, commit, process; then poll, commit and crash; restart and read on."""
    lab = GroupLab(seed=10)
    lab.start()
    lab.add_consumer("c1", "billing")
    lab.work_until_quiet(["c1"])  # join the group first
    lab.produce(9)
    for turn in range(2):
        records = lab.poll("c1")
        committed = lab.commit("c1")
        print(f"c1 polls {show_records(records)}; commits {_offsets(committed)}")
        if turn == 0:
            lab.process("c1", records)
            print("   and processes them")
    print(f"   and crashes before processing them, at {lab.now_ms} ms")
    lab.crash("c1")
    lab.advance(7000)  # past session.timeout.ms: the old member is gone
    lab.restart("c1")
    while True:
        records = lab.poll("c1")
        if not records and lab.assignment("c1"):
            break
        lab.commit("c1")
        lab.process("c1", records)
        if records:
            print(f"c1 (restarted) polls {show_records(records)}; commits; processes them")
    return lab


def _offsets(committed: object) -> str:
    if isinstance(committed, dict):
        return " ".join(f"{t}-{p}:{o}" for (t, p), o in committed.items())
    return str(committed)


def main(argv: list[str]) -> int:
    out = output_directory(argv, script="at_most_once")
    lab = run_at_most_once()
    print()
    check_history_file(lab, out, "at_most_once.jsonl")
    print()
    check_history_file(lab, out, "at_most_once_declared.jsonl", delivery=Delivery.AT_MOST_ONCE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
