"""Draw the chapter's pictures: assignments and rebalances, as Graphviz DOT.

Run from the repository root::

    python -m tutorials.ch09_assignment_strategies.draw_assignments range > range.dot
    dot -Tsvg range.dot > range.svg          # needs Graphviz

The argument names a figure (``--list`` prints them).  The chapter shows the ``.dot`` files kept
beside this script, and the chapter's test checks that each is exactly what this script prints,
so the pictures cannot drift from the assignors.

Spec IDs: none (tutorial pictures).

Simplified from Kafka: Kafka draws no pictures; ``kafka-consumer-groups --describe`` prints the
same facts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from glasskafka.assignors import AssignmentStrategy, assign
from glasskafka.viz.assignment import assignment_dot, rebalance_dot

from tutorials.ch09_assignment_strategies.common import (
    course_counts,
    members,
    rebalance,
)
from tutorials.ch09_assignment_strategies.rebalances import cooperative_join
from tutorials.listings import draw_figure

__all__ = ["FIGURES", "main"]


def _plain(strategy: AssignmentStrategy) -> str:
    result = assign(strategy, course_counts(), members("C0", "C1", "C2"))
    return assignment_dot(
        course_counts(), result, title=f"{strategy.value}: 8 partitions, 3 consumers"
    )


def _c1_leaves(strategy: AssignmentStrategy) -> str:
    before = assign(strategy, course_counts(), members("C0", "C1", "C2"))
    after = rebalance(strategy, course_counts(), members("C0", "C2"), before, generation=1)
    return rebalance_dot(course_counts(), before, after, title=f"{strategy.value}: C1 leaves")


def _cooperative_round_one() -> str:
    plans = cooperative_join()
    return rebalance_dot(
        course_counts(),
        plans[0],
        plans[1],
        title="cooperative-sticky: C3 joins, first rebalance",
        captions=("generation 1", "generation 2: topic-6 and topic-7 revoked"),
    )


FIGURES: dict[str, Callable[[], str]] = {
    "range": lambda: _plain(AssignmentStrategy.RANGE),
    "round_robin": lambda: _plain(AssignmentStrategy.ROUND_ROBIN),
    "round_robin_c1_leaves": lambda: _c1_leaves(AssignmentStrategy.ROUND_ROBIN),
    "sticky_c1_leaves": lambda: _c1_leaves(AssignmentStrategy.STICKY),
    "cooperative_round_one": _cooperative_round_one,
}
"""Figure name -> a function returning its DOT source."""


def main(argv: list[str]) -> int:
    """Print the DOT of the figure named in ``argv``; exit status 2 for a bad name."""
    return draw_figure(FIGURES, argv, program="draw_assignments")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
