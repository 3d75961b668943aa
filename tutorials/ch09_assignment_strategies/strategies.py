"""Range, round-robin and sticky on the course's examples, side by side.

Run from the repository root::

    python -m tutorials.ch09_assignment_strategies.strategies

It prints each strategy's assignment of the course's topic (8 partitions, consumers C0-C2), then
two groups where the strategies disagree: two topics of 3 partitions (range gives the first
consumer the remainder of *each* topic), and consumers with different subscriptions (round-robin
skews, sticky balances).

Spec IDs: ASSIGN-2 and ASSIGN-6, shown rather than checked.

Simplified from Kafka: the course's consumers are called C0-C2; Kafka's member ids are
``client.id-<uuid>``, which sort the same way here.
"""

from __future__ import annotations

from glasskafka.assignors import AssignmentStrategy, Subscription, assign, partition_counts
from glasskafka.ids import MemberId

from tutorials.ch09_assignment_strategies.common import course_counts, members, show

__all__ = ["main"]

STRATEGIES = (
    AssignmentStrategy.RANGE,
    AssignmentStrategy.ROUND_ROBIN,
    AssignmentStrategy.STICKY,
)


def main() -> None:
    """Print the three comparisons."""
    group = members("C0", "C1", "C2")
    for strategy in STRATEGIES:
        print(f"== {strategy.value}: topic with 8 partitions, consumers C0, C1, C2 ==")
        show(assign(strategy, course_counts(), group))

    two_topics = partition_counts({"orders": 3, "payments": 3})
    pair = members("C0", "C1", topics=("orders", "payments"))
    for strategy in (AssignmentStrategy.RANGE, AssignmentStrategy.ROUND_ROBIN):
        print(f"== {strategy.value}: orders and payments, 3 partitions each, consumers C0, C1 ==")
        show(assign(strategy, two_topics, pair))

    uneven = partition_counts({"t0": 1, "t1": 2, "t2": 3})
    subscriptions = {
        MemberId("C0"): Subscription.of(["t0"]),
        MemberId("C1"): Subscription.of(["t0", "t1"]),
        MemberId("C2"): Subscription.of(["t0", "t1", "t2"]),
    }
    for strategy in (AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.STICKY):
        print(f"== {strategy.value}: C0 reads t0; C1 reads t0, t1; C2 reads t0, t1, t2 ==")
        show(assign(strategy, uneven, subscriptions))


if __name__ == "__main__":
    main()
