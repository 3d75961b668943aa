"""The course's placement rule beside Kafka's, which starts at a random broker and shifts.

Run from the repository root::

    python -m tutorials.ch03_topics_and_partitions.placement_rules

Both rules are pure functions in ``glasskafka.controller.placement``: the course's
(:func:`assign_replicas_course`, which glasskafka's controller uses) and Kafka's
(:func:`assign_replicas_rack_unaware`, a step-for-step copy of
``AdminUtils.assignReplicasToBrokersRackUnaware``).  The script prints both for the chapter's
topic (3 brokers, 5 partitions, replication factor 2): Kafka's with its random start fixed at 0,
as Kafka's own tests fix it, and with three seeded random draws.  Then it counts, over thirty
topics of one partition each, how often each broker is the first replica -- the preferred
leader -- under each rule.

Spec IDs: none (placement is a policy).

Simplified from Kafka: no rack-aware placement (``assignReplicasToBrokersRackAware``).
"""

from __future__ import annotations

import random

from glasskafka.controller.placement import (
    Assignment,
    assign_replicas_course,
    assign_replicas_rack_unaware,
)
from glasskafka.ids import BrokerId, PartitionId

__all__ = ["leaders_of_small_topics", "main", "show"]

BROKERS = [BrokerId(1), BrokerId(2), BrokerId(3)]
TOPICS = 30


def show(label: str, assignment: Assignment) -> None:
    """One line: each partition's replicas, preferred leader first."""
    cells = "  ".join(f"{p}:{list(replicas)}" for p, replicas in sorted(assignment.items()))
    print(f"  {label:<22} {cells}")


def leaders_of_small_topics(*, randomised: bool) -> dict[int, int]:
    """How many of :data:`TOPICS` one-partition topics each broker is the preferred leader of."""
    counts = {int(b): 0 for b in BROKERS}
    rng = random.Random(2024)
    for _ in range(TOPICS):
        if randomised:
            one = assign_replicas_rack_unaware(
                BROKERS, num_partitions=1, replication_factor=2, rng=rng
            )
        else:
            one = assign_replicas_course(BROKERS, num_partitions=1, replication_factor=2)
        counts[int(one[PartitionId(0)][0])] += 1
    return counts


def main() -> None:
    """Print the rules side by side, then the leaders of many small topics."""
    print("5 partitions, replication factor 2, brokers 1, 2, 3 (partition:[replicas]):")
    course = assign_replicas_course(BROKERS, num_partitions=5, replication_factor=2)
    show("course's rule", course)
    fixed = assign_replicas_rack_unaware(
        BROKERS, num_partitions=5, replication_factor=2, rng=random.Random(0), fixed_start_index=0
    )
    show("Kafka's, start 0", fixed)
    for seed in (0, 5, 6):
        drawn = assign_replicas_rack_unaware(
            BROKERS, num_partitions=5, replication_factor=2, rng=random.Random(seed)
        )
        show(f"Kafka's, random seed {seed}", drawn)
    print(f"\npreferred leaders of {TOPICS} topics of one partition each (broker: topics led):")
    for label, randomised in (("course's rule", False), ("Kafka's rule", True)):
        counts = leaders_of_small_topics(randomised=randomised)
        print(f"  {label:<14} " + ", ".join(f"{b}: {n}" for b, n in counts.items()))


if __name__ == "__main__":
    main()
