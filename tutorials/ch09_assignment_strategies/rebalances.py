"""What each strategy moves when a consumer leaves or joins, and cooperative-sticky's two rounds.

Run from the repository root::

    python -m tutorials.ch09_assignment_strategies.rebalances

The group starts as the course's: one topic of 8 partitions, consumers C0, C1, C2, assigned in
generation 1.  Then C1 leaves, and separately C3 joins; for each strategy the script prints the
new assignment and how many partitions changed owner.  Last, C3 joins a cooperative-sticky
group: the first rebalance only takes partitions away, the follow-up one hands them to C3.

Spec IDs: ASSIGN-3 and ASSIGN-4, shown rather than checked.

Simplified from Kafka: the rebalances are the assignor's part only; the JoinGroup/SyncGroup round
trips and the pause they cause are left out.
"""

from __future__ import annotations

from glasskafka.assignors import AssignmentStrategy, assign
from glasskafka.ids import MemberId

from tutorials.ch09_assignment_strategies.common import (
    Plan,
    course_counts,
    members,
    moved,
    rebalance,
    show,
)

__all__ = ["cooperative_join", "main"]

EAGER = (AssignmentStrategy.RANGE, AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.STICKY)


def changes(title: str, *, leaving: str = "", joining: str = "") -> None:
    """For each eager strategy: the assignment after the change, and what moved."""
    print(f"== {title} ==")
    for strategy in EAGER:
        before = assign(strategy, course_counts(), members("C0", "C1", "C2"))
        names = [m for m in ("C0", "C1", "C2") if m != leaving] + ([joining] if joining else [])
        after = rebalance(strategy, course_counts(), members(*names), before, generation=1)
        changed, needless = moved(before, after)
        print(f"{strategy.value}: {changed} partitions changed owner, {needless} between stayers")
        show(after)


def cooperative_join() -> list[Plan]:
    """C3 joins a cooperative-sticky group: the assignment of generation 1, then of each round
    until a round revokes nothing."""
    strategy = AssignmentStrategy.COOPERATIVE_STICKY
    plans = [assign(strategy, course_counts(), members("C0", "C1", "C2"))]
    group = members("C0", "C1", "C2", "C3")
    while len(plans) < 6:
        plan = rebalance(strategy, course_counts(), group, plans[-1], generation=len(plans))
        plans.append(plan)
        if not revoked(plans[-2], plan):
            break
    return plans


def revoked(before: Plan, after: Plan) -> list[str]:
    """Partitions a member held before and not after, as ``topic-N``."""
    gone = {tp for m, tps in before.items() for tp in tps if tp not in after.get(m, [])}
    return [f"{t}-{p}" for t, p in sorted(gone)]


def main() -> None:
    """Print the leave and join comparisons, then the cooperative rounds."""
    changes("C1 leaves", leaving="C1")
    changes("C3 joins", joining="C3")
    print("== cooperative-sticky: C3 joins ==")
    plans = cooperative_join()
    for generation in range(1, len(plans)):
        taken = revoked(plans[generation - 1], plans[generation])
        print(f"round {generation}: revoked {', '.join(taken) or 'nothing'}")
        show(plans[generation])
    changed, needless = moved(plans[0], plans[-1])
    print(f"in all: {changed} partitions changed owner, {needless} between stayers")
    assert MemberId("C3") in plans[-1]


if __name__ == "__main__":
    main()
