"""At least once: process, then commit -- and a crash makes the group process records twice.

The course's second recipe: *fetch, process, commit the offsets*.  A record is only committed
after its work is done, so a crash can never skip one; but a crash between processing and
committing leaves work done that the group does not know about, and whoever resumes the partition
does it again.  Here consumer ``c1`` processes a batch and commits; processes the next batch and
dies before committing.  ``c2``, the other member, takes the partitions over at the committed
offsets and processes that batch a second time.

The checker passes the history (``valid``): no record below a committed offset went unprocessed
(DELIV-19).  It still lists the records processed twice, as *allowed* under the group's promise
(``group-redelivered``, DELIV-20, fatal only for an at-most-once group): the price of this loop,
counted.

Run: ``python -m tutorials.ch10_delivery_semantics.at_least_once [--out DIR]``

Spec IDs: DELIV-19, DELIV-20.

Simplified from Kafka: nothing; this is the loop of the Kafka consumer's javadoc ("manual offset
control").
"""

from __future__ import annotations

import sys

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab, show_records
from tutorials.ch10_delivery_semantics.common import check_history_file, output_directory

__all__ = ["main", "run_at_least_once"]


def run_at_least_once() -> GroupLab:
    """``c1`` processes and commits, then processes and crashes; ``c2`` takes over."""
    lab = GroupLab(seed=10)
    lab.start()
    lab.add_consumer("c1", "billing")
    lab.work_until_quiet(["c1"])
    lab.produce(6, partition=0)
    records = lab.poll("c1")
    lab.process("c1", records)
    print(f"c1 polls {show_records(records)}, processes them, commits {_committed(lab)}")
    records = lab.poll("c1")
    lab.process("c1", records)
    print(f"c1 polls {show_records(records)}, processes them, and crashes before committing")
    lab.crash("c1")
    lab.add_consumer("c2", "billing")
    lab.advance(7000)  # c1's session expires; the group rebalances to c2 alone
    while True:
        records = lab.poll("c2")
        lab.process("c2", records)
        if not records and lab.assignment("c2"):
            break
        if records:
            lab.commit("c2")
            print(f"c2 polls {show_records(records)}, processes them, commits")
    return lab


def _committed(lab: GroupLab) -> str:
    result = lab.commit("c1")
    assert isinstance(result, dict), result
    return " ".join(f"{t}-{p}:{o}" for (t, p), o in result.items() if o)


def main(argv: list[str]) -> int:
    out = output_directory(argv, script="at_least_once")
    lab = run_at_least_once()
    print()
    check_history_file(lab, out, "at_least_once.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
