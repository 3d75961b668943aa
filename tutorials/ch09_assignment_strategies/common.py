"""Shared pieces of chapter 9: the course's group, and how to print an assignment.

The course's figures show one topic with 8 partitions read by consumers C0, C1 and C2.  The
helpers here build that group's subscriptions, run a strategy (feeding the sticky assignors what
each consumer owned before, as their clients would), and print an assignment one consumer per line.

Spec IDs: none (tutorial helpers).

Simplified from Kafka: a real group learns its members through JoinGroup; here they are listed by
hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from glasskafka.assignors import (
    AssignmentStrategy,
    Subscription,
    assign,
    encode_cooperative_user_data,
    encode_sticky_user_data,
    partition_counts,
)
from glasskafka.ids import GenerationId, MemberId, TopicName, TopicPartition

__all__ = [
    "COURSE_TOPIC",
    "Plan",
    "course_counts",
    "members",
    "moved",
    "rebalance",
    "show",
]

COURSE_TOPIC = "topic"

Plan = dict[MemberId, list[TopicPartition]]


def course_counts() -> dict[TopicName, int]:
    """The course's topic: 8 partitions."""
    return partition_counts({COURSE_TOPIC: 8})


def members(*names: str, topics: Iterable[str] = (COURSE_TOPIC,)) -> dict[MemberId, Subscription]:
    """Fresh subscriptions (nothing owned yet) for consumers ``names``."""
    return {MemberId(name): Subscription.of(topics) for name in names}


def rebalance(
    strategy: AssignmentStrategy,
    counts: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    previous: Mapping[MemberId, Sequence[TopicPartition]],
    generation: int,
) -> Plan:
    """Run ``strategy`` after ``previous`` (the assignment of ``generation``).

    Consumers that were in ``previous`` report what they own the way their client does: in the
    subscription (cooperative) and in the sticky assignors' user data.  New consumers report
    nothing.
    """
    informed = {}
    for member, sub in subscriptions.items():
        if member not in previous:
            informed[member] = sub
            continue
        owned = tuple(previous[member])
        if strategy is AssignmentStrategy.STICKY:
            user_data = encode_sticky_user_data(owned, generation)
        else:
            user_data = encode_cooperative_user_data(generation)
        informed[member] = Subscription(
            topics=sub.topics,
            user_data=user_data,
            owned_partitions=owned,
            generation_id=GenerationId(generation),
        )
    return assign(strategy, counts, informed)


def moved(
    before: Mapping[MemberId, Sequence[TopicPartition]],
    after: Mapping[MemberId, Sequence[TopicPartition]],
) -> tuple[int, int]:
    """Partitions that changed owner, and how many of those moved between two consumers that
    were in the group both before and after (moves no membership change forced)."""
    owner = {tp: m for m, tps in before.items() for tp in tps}
    changed = [(owner[tp], m) for m, tps in after.items() for tp in tps if owner.get(tp, m) != m]
    between_stayers = sum(1 for old, new in changed if old in after and new in before)
    return len(changed), between_stayers


def show(plan: Mapping[MemberId, Sequence[TopicPartition]]) -> None:
    """Print one consumer per line: its partitions as ``topic-N``, and how many."""
    for member, partitions in plan.items():
        names = ", ".join(f"{t}-{p}" for t, p in partitions) or "-"
        print(f"  {member}: {names}  ({len(partitions)})")
