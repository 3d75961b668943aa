"""The lab bench, part 2: the simulator's story of one produce and one fetch.

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.trace_story
    python -m tutorials.ch01_why_a_message_queue.trace_story --seed 8

Three brokers start with the topic ``greetings`` (one partition, one replica).  A client writes
``hello`` with ``acks=all`` and reads it back from offset 0.  The script prints the trace's story
of those two requests -- each line the simulated time, the node, and what happened -- and then
checks the simulator's promise: the same seed tells the same story, event for event, and
another seed may tell it with other network delays.

Spec IDs: none here; determinism is the setting of SIM-1..5 (``specs/sim.py``).

Simplified from Kafka: Kafka's brokers log to one file each, with wall-clock times; the
simulator keeps one trace with one clock.
"""

from __future__ import annotations

import argparse
import sys

from tutorials.ch01_why_a_message_queue.common import LAB_SEED, produce_and_fetch

__all__ = ["main", "story_of"]


def story_of(seed: int) -> tuple[str, str]:
    """The whole run's story, and the story of the produce and the fetch alone."""
    cluster, first_event = produce_and_fetch(seed)
    return cluster.sim.trace.story(), cluster.sim.trace.story(first_event)


def compare(seed: int, whole: str) -> None:
    """Run ``seed`` again and ``seed + 1`` once; say how their stories compare with ``whole``."""
    again, _ = story_of(seed)
    verdict = "the same" if again == whole else "a DIFFERENT"
    print(f"seed {seed} again: {verdict} story, {len(again.splitlines())} lines")
    other, _ = story_of(seed + 1)
    pairs = zip(whole.splitlines(), other.splitlines(), strict=False)
    first = next((n for n, (a, b) in enumerate(pairs) if a != b), None)
    if first is None:
        print(f"seed {seed + 1}: the same story")
        return
    print(f"seed {seed + 1}: the stories part at line {first + 1}:")
    print(f"  seed {seed}:     {whole.splitlines()[first][:70]}")
    print(f"  seed {seed + 1}:     {other.splitlines()[first][:70]}")


def main(argv: list[str] | None = None) -> int:
    """Print the story of the produce and the fetch, then compare runs."""
    parser = argparse.ArgumentParser(
        prog="trace_story", description="Print the simulator's story of a produce and a fetch."
    )
    parser.add_argument("--seed", type=int, default=LAB_SEED, help=f"default {LAB_SEED}")
    args = parser.parse_args(argv)
    whole, part = story_of(args.seed)
    print(part)
    print()
    compare(args.seed, whole)
    return 0


if __name__ == "__main__":
    sys.exit(main())
