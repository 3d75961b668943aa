"""The auto-commit pitfall: ``enable.auto.commit`` commits what ``poll()`` returned, not what
the application finished.

With ``enable.auto.commit=true`` the consumer commits by itself every ``auto.commit.interval.ms``
(5 s by default).  Kafka does it at the *start* of a ``poll()`` (and on close and before a
rebalance), committing the positions reached by the *earlier* polls
(``ConsumerCoordinator.maybeAutoCommitOffsetsAsync``).  Three runs of consumer ``c1`` show what
that means:

1. **Kafka's behaviour, processing done before the next poll.**  ``c1`` polls, processes, polls
   again (the auto-commit in this poll covers only the batch already processed) and dies before
   processing the second batch.  Restarted, it reads that batch again: at least once.
2. **The pitfall: processing handed to another thread.**  ``c1`` polls a batch and hands it to a
   worker; its next poll auto-commits the batch's positions although the worker has not finished
   it; the worker fails and the process dies.  Restarted, ``c1`` resumes past the batch: lost.
   The course's warning -- "the offset is committed before the message is processed" -- is this.
3. **The bug flag ``auto_commit_current_poll``**: a consumer that auto-commits the positions of
   the batch the current ``poll()`` is returning, before the application sees it.  The same loop
   as run 1 now loses the batch it was about to process.

Each run prints the commits as they happened (time, mode, offsets) and checks its history.

Run: ``python -m tutorials.ch10_delivery_semantics.auto_commit_pitfall [--out DIR]``

Spec IDs: DELIV-19 (broken by runs 2 and 3).

Simplified from Kafka: Kafka's auto-commit is asynchronous and its outcome is only logged; here
too (mode ``auto``), and the history records it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from glasskafka.bugs import NO_BUGS, BugFlags

from tutorials.ch08_consumer_groups_and_rebalancing.common import GroupLab, show_records
from tutorials.ch10_delivery_semantics.common import check_history_file, output_directory

__all__ = ["AUTO_COMMIT", "main", "run_auto_commit"]

AUTO_COMMIT = {"enable.auto.commit": "true", "auto.commit.interval.ms": "5000"}


def run_auto_commit(*, hand_off: bool, bugs: BugFlags = NO_BUGS) -> GroupLab:
    """Poll a batch, spend 5 s on it (or hand it off), poll again, die; restart and read on."""
    lab = GroupLab(seed=10, consumer_overrides=AUTO_COMMIT)
    lab.start()
    lab.add_consumer("c1", "billing", bugs=bugs)
    while not lab.assignment("c1"):
        lab.poll("c1")
    lab.produce(6, partition=0)
    first = lab.poll("c1")
    if hand_off:
        print(f"{lab.now_ms:>6} ms  c1 polls {show_records(first)} and hands them to a worker")
    else:
        print(f"{lab.now_ms:>6} ms  c1 polls {show_records(first)} and processes them (5 s)")
    lab.advance(5000)
    if not hand_off:
        lab.process("c1", first)
    second = lab.poll("c1")
    print(f"{lab.now_ms:>6} ms  c1 polls {show_records(second)}")
    lab.advance(200)  # the process lives on a moment: long enough for an async commit's answer
    if hand_off:
        print(f"{lab.now_ms:>6} ms  the worker fails on {show_records(first)}; the process dies")
    else:
        print(f"{lab.now_ms:>6} ms  c1 dies while processing them")
    lab.crash("c1")
    lab.advance(7000)
    lab.restart("c1")
    while True:
        records = lab.poll("c1")
        lab.process("c1", records)
        if records:
            print(
                f"{lab.now_ms:>6} ms  c1 (restarted) polls {show_records(records)}, processes them"
            )
        elif lab.assignment("c1"):
            break
    print("the commits, as they happened:")
    print("\n".join(lab.recording.commits("c1")))
    return lab


def _part(out: Path, title: str, name: str, *, hand_off: bool, bugs: BugFlags = NO_BUGS) -> None:
    print(title)
    lab = run_auto_commit(hand_off=hand_off, bugs=bugs)
    print()
    check_history_file(lab, out, name)
    print()


def main(argv: list[str]) -> int:
    out = output_directory(argv, script="auto_commit_pitfall")
    _part(
        out,
        "1. Kafka's auto-commit, processing before the next poll",
        "auto_commit.jsonl",
        hand_off=False,
    )
    _part(
        out,
        "2. the pitfall: processing handed off, the next poll commits it",
        "auto_commit_hand_off.jsonl",
        hand_off=True,
    )
    _part(
        out,
        "3. bug flag auto_commit_current_poll, processing before the next poll",
        "auto_commit_bug.jsonl",
        hand_off=False,
        bugs=BugFlags.only("auto_commit_current_poll"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
