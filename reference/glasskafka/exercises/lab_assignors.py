"""Labs ``range-assignor`` and ``round-robin-assignor``: Kafka's two simple assignors.

Theory of operation
-------------------
The student writes ``assign_range`` or ``assign_round_robin`` over plain strings: topic -> number
of partitions, and member -> its topics *in Kafka's member order* (static members by
``group.instance.id`` first, then the rest by member id).  That order, the choice of topics to
assign (subscribed, with partitions) and the typing of the result are glasskafka's, done by the
adapter :func:`adapted`, so the lab is about the dealing rule alone.

The substitution point is the name a group leader's assignment goes through:
``glasskafka.assignors.strategies.assign_range`` (or ``assign_round_robin``), which
``strategies.assign`` calls for ``partition.assignment.strategy=range`` (``roundrobin``).

The checks, in order:

1. Kafka's golden cases (``reference/clients-and-groups.md`` §7: R-1..3, RR-1..2, and the
   course's eight partitions over three consumers), through ``strategies.assign``;
2. the ASSIGN property suite of ``model_tests/test_assign_properties.py`` (random groups with
   static members, unknown topics and empty topics; ASSIGN-1 validity, ASSIGN-2 balance,
   ASSIGN-6 the range layout), through the same entry point;
3. a property: exactly the reference assignor's output on the same random groups;
4. the suite's purity property (same input, same output; the input untouched).

Common wrong answers: the remainder given to the *last* members (range), or a cursor that
restarts at the first member for every topic (round-robin).

Spec IDs: ASSIGN-1, ASSIGN-2, ASSIGN-6 (through the property suite).

Simplified from Kafka: no rack-aware assignment (KIP-881).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from glasskafka.assignors import AssignmentStrategy, Subscription, assign, partition_counts
from glasskafka.assignors.range_assignor import assign_range as _reference_range
from glasskafka.assignors.round_robin import assign_round_robin as _reference_round_robin
from glasskafka.assignors.subscription import (
    assignable_topics,
    member_order,
    sorted_assignment,
    topic_partition,
)
from glasskafka.exercises.lab import (
    Check,
    CheckContext,
    Lab,
    LabFailure,
    Student,
    Substitution,
    shown,
)
from glasskafka.exercises.runner import check_settings
from glasskafka.ids import MemberId, TopicName, TopicPartition

__all__ = ["RANGE_LAB", "ROUND_ROBIN_LAB", "adapted"]

Assignor = Callable[
    [Mapping[TopicName, int], Mapping[MemberId, Subscription]], dict[MemberId, list[TopicPartition]]
]
Golden = tuple[str, dict[str, int], dict[str, tuple[str, ...]], dict[str, set[str]]]

_EVERY = ("t1", "t2", "t3")
_RANGE_GOLDEN: tuple[Golden, ...] = (
    (
        "R-1",
        {"topic1": 3, "topic2": 2},
        {"consumer1": ("topic1",), "consumer2": ("topic1", "topic2"), "consumer3": ("topic1",)},
        {
            "consumer1": {"topic1-0"},
            "consumer2": {"topic1-1", "topic2-0", "topic2-1"},
            "consumer3": {"topic1-2"},
        },
    ),
    (
        "R-2",
        {"topic1": 3, "topic2": 3},
        {"consumer1": ("topic1", "topic2"), "consumer2": ("topic1", "topic2")},
        {
            "consumer1": {"topic1-0", "topic1-1", "topic2-0", "topic2-1"},
            "consumer2": {"topic1-2", "topic2-2"},
        },
    ),
    (
        "R-3",
        {"t1": 6, "t2": 7, "t3": 2},
        {"consumer0": _EVERY, "consumer1": _EVERY, "consumer2": _EVERY},
        {
            "consumer0": {"t1-0", "t1-1", "t2-0", "t2-1", "t2-2", "t3-0"},
            "consumer1": {"t1-2", "t1-3", "t2-3", "t2-4", "t3-1"},
            "consumer2": {"t1-4", "t1-5", "t2-5", "t2-6"},
        },
    ),
    (
        "course: 8 partitions, 3 consumers",
        {"topic": 8},
        {"C0": ("topic",), "C1": ("topic",), "C2": ("topic",)},
        {
            "C0": {"topic-0", "topic-1", "topic-2"},
            "C1": {"topic-3", "topic-4", "topic-5"},
            "C2": {"topic-6", "topic-7"},
        },
    ),
)
_ROUND_ROBIN_GOLDEN: tuple[Golden, ...] = (
    (
        "RR-1",
        {"topic1": 3, "topic2": 3},
        {"consumer1": ("topic1", "topic2"), "consumer2": ("topic1", "topic2")},
        {
            "consumer1": {"topic1-0", "topic1-2", "topic2-1"},
            "consumer2": {"topic1-1", "topic2-0", "topic2-2"},
        },
    ),
    (
        "RR-2 (RoundRobinAssignor javadoc)",
        {"t0": 1, "t1": 2, "t2": 3},
        {"C0": ("t0",), "C1": ("t0", "t1"), "C2": ("t0", "t1", "t2")},
        {"C0": {"t0-0"}, "C1": {"t1-0"}, "C2": {"t1-1", "t2-0", "t2-1", "t2-2"}},
    ),
    (
        "course: 8 partitions, 3 consumers",
        {"topic": 8},
        {"C0": ("topic",), "C1": ("topic",), "C2": ("topic",)},
        {
            "C0": {"topic-0", "topic-3", "topic-6"},
            "C1": {"topic-1", "topic-4", "topic-7"},
            "C2": {"topic-2", "topic-5"},
        },
    ),
)


def adapted(name: str) -> Callable[[Student], Assignor]:
    """Build the glasskafka-shaped assignor around the student's function ``name``."""

    def build(student: Student) -> Assignor:
        write = student[name]

        def assign_with(
            partitions_per_topic: Mapping[TopicName, int],
            subscriptions: Mapping[MemberId, Subscription],
        ) -> dict[MemberId, list[TopicPartition]]:
            chosen = assignable_topics(partitions_per_topic, subscriptions)
            topics = {str(t): c for t, c in chosen.items()}
            members = {
                str(m): [str(t) for t in subscriptions[m].topics]
                for m in member_order(subscriptions)
            }
            result = write(topics, members)
            return sorted_assignment(_typed(result, topics, members, name))

        return assign_with

    return build


def _typed(
    result: Any, topics: dict[str, int], members: dict[str, list[str]], name: str
) -> dict[MemberId, list[TopicPartition]]:
    """The student's result as glasskafka's type, or a failure saying what is malformed."""
    call = f"{name}({topics}, {members})"
    if not isinstance(result, dict) or sorted(result) != sorted(members):
        keys = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise LabFailure(inputs=call, expected=f"a dict with keys {sorted(members)}", got=f"{keys}")
    typed: dict[MemberId, list[TopicPartition]] = {}
    for member, pairs in result.items():
        try:
            typed[MemberId(member)] = [topic_partition(t, p) for t, p in pairs]
        except (TypeError, ValueError):
            raise LabFailure(
                inputs=call,
                expected="each value a list of (topic, partition) pairs",
                got=f"{member!r}: {pairs!r}",
            ) from None
    return typed


def _golden(
    strategy: AssignmentStrategy, cases: tuple[Golden, ...]
) -> Callable[[CheckContext], None]:
    def run(context: CheckContext) -> None:
        for case, counts, topics_of, expected in cases:
            subscriptions = {MemberId(m): Subscription.of(t) for m, t in topics_of.items()}
            result = assign(strategy, partition_counts(counts), subscriptions)
            got = {str(m): {f"{t}-{p}" for t, p in parts} for m, parts in result.items()}
            if got != expected:
                raise LabFailure(
                    inputs=f"{case}: partitions {counts}, subscriptions {topics_of}",
                    expected=_shown(expected),
                    got=_shown(got),
                )

    return run


def _shown(assignment: Mapping[str, set[str]]) -> str:
    return ", ".join(f"{m}: {sorted(tps)}" for m, tps in sorted(assignment.items()))


def _property_suite(strategy: AssignmentStrategy) -> Callable[[CheckContext], None]:
    def run(context: CheckContext) -> None:
        from model_tests import test_assign_properties as suite

        for test in (
            suite.test_every_round_meets_its_specs,
            suite.test_assignors_are_pure_and_deterministic,
        ):
            _with_budget(test, context)(strategy=strategy)

    return run


def _with_budget(test: Callable[..., None], context: CheckContext) -> Callable[..., None]:
    """A ``@given(data=st.data())`` suite test re-wrapped with the lab's budget.

    Settings can be applied to a function only once, so its undecorated body is wrapped in a
    fresh function each time.
    """
    body = test.hypothesis.inner_test  # type: ignore[attr-defined]

    def fresh(strategy: AssignmentStrategy, data: st.DataObject) -> None:
        body(strategy=strategy, data=data)

    wrapped: Callable[..., None] = given(data=st.data())(check_settings(context)(fresh))
    return wrapped


def _same_as_reference(
    strategy: AssignmentStrategy, reference: Assignor
) -> Callable[[CheckContext], None]:
    def run(context: CheckContext) -> None:
        from model_tests.test_assign_properties import groups

        @check_settings(context)
        @given(group=groups(strategy))
        def same(group: tuple[dict[TopicName, int], dict[MemberId, Subscription]]) -> None:
            counts, subscriptions = group
            expected = reference(counts, subscriptions)
            got = assign(strategy, counts, subscriptions)
            if got != expected:
                raise LabFailure(
                    inputs=f"partitions {dict(counts)}, subscriptions "
                    f"{ {m: list(s.topics) for m, s in subscriptions.items()} }",
                    expected=repr(expected),
                    got=shown(got),
                )

        same()

    return run


def _checks(
    strategy: AssignmentStrategy, cases: tuple[Golden, ...], reference: Assignor
) -> tuple[Check, ...]:
    return (
        Check(name="Kafka's golden cases", kind="unit", run=_golden(strategy, cases)),
        Check(
            name="ASSIGN property suite (ASSIGN-1, 2, 6)",
            kind="property",
            run=_property_suite(strategy),
            needs_source_checkout=True,
        ),
        Check(
            name="the same output as Kafka's assignor",
            kind="property",
            run=_same_as_reference(strategy, reference),
            needs_source_checkout=True,
        ),
    )


_COMMON_HINTS = """
- `subscriptions` is already in Kafka's member order: iterate it as it is.
- Give every member an entry, even an empty list.
- Skip a member's topics that are not in `partitions_per_topic`.
"""

RANGE_LAB = Lab(
    name="range-assignor",
    title="The range assignor",
    teaches="How a consumer group's leader splits each topic into contiguous ranges, and why "
    "the first members get the remainder of every topic.",
    minutes=25,
    reference="glasskafka.assignors.range_assignor.assign_range",
    file_name="range_assignor_lab.py",
    template="range_assignor",
    entry_points=("assign_range",),
    readme="""
## Goal

Write `assign_range`: Kafka's default assignor (`partition.assignment.strategy=range`).  Each
topic on its own is cut into contiguous ranges, one per subscribed member, in member order.
While the check runs, glasskafka's consumer-group leader assigns with your function.

## Hints

- Per topic: `q, r = divmod(partitions, subscribers)`; the first `r` subscribers take `q + 1`.
- Balance holds per topic only: two members, three topics of three partitions -> 6 and 3.
"""
    + _COMMON_HINTS,
    substitutions=(
        Substitution(
            target="glasskafka.assignors.strategies.assign_range", build=adapted("assign_range")
        ),
    ),
    checks=_checks(AssignmentStrategy.RANGE, _RANGE_GOLDEN, _reference_range),
)

ROUND_ROBIN_LAB = Lab(
    name="round-robin-assignor",
    title="The round-robin assignor",
    teaches="How dealing partitions round a ring of members balances totals, and how "
    "different subscriptions skew it.",
    minutes=25,
    reference="glasskafka.assignors.round_robin.assign_round_robin",
    file_name="round_robin_assignor_lab.py",
    template="round_robin_assignor",
    entry_points=("assign_round_robin",),
    readme="""
## Goal

Write `assign_round_robin` (`partition.assignment.strategy=roundrobin`): deal all partitions,
topic by topic, round the ring of members, skipping members not subscribed to the topic.
While the check runs, glasskafka's consumer-group leader assigns with your function.

## Hints

- One cursor for the whole deal, not one per topic: it carries over between topics.
- Before giving a partition away, move the cursor past members that do not read its topic.
"""
    + _COMMON_HINTS,
    substitutions=(
        Substitution(
            target="glasskafka.assignors.strategies.assign_round_robin",
            build=adapted("assign_round_robin"),
        ),
    ),
    checks=_checks(AssignmentStrategy.ROUND_ROBIN, _ROUND_ROBIN_GOLDEN, _reference_round_robin),
)
