"""Golden cases: exact assignments that Kafka's Java assignors produce for the same input.

Every case of ``reference/clients-and-groups.md`` §7 is here (R-1..3, RR-1..2, S-1..6, C-1; C-2
is a property, checked in ``model_tests/test_assign_properties.py``), then assertions from
apache/kafka's own tests (``RangeAssignorTest``, ``RoundRobinAssignorTest``,
``AbstractStickyAssignorTest``, ``StickyAssignorTest``, ``CooperativeStickyAssignorTest``), then
three general-builder cases whose outcome depends on Java's ``HashSet`` order (outputs recorded
from Kafka's ``AbstractStickyAssignor`` on the same input), then the course's examples.

Range results are compared as sets, as Kafka's tests do; the others as exact lists in Kafka's
order (``sticky_outcome``), which is where Java's iteration orders show.

Spec IDs: ASSIGN-1 .. ASSIGN-6 (exact outputs imply them).

Simplified from Kafka: rack-aware variants of Kafka's tests (``RackConfig``) are left out with
rack-aware assignment itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pytest
from glasskafka.assignors import (
    AssignmentStrategy,
    Builder,
    StickyOutcome,
    Subscription,
    assign,
    assign_range,
    assign_round_robin,
    cooperative_sticky_outcome,
    encode_sticky_user_data,
    partition_counts,
    sticky_outcome,
    topic_partition,
)
from glasskafka.ids import MemberId, TopicPartition

Claims = Iterable[tuple[str, int]]
OutcomeOf = Callable[..., StickyOutcome]
HashOrderCase = tuple[
    dict[str, int], dict[str, tuple[str, ...]], dict[str, list[str]], dict[str, tuple[str, ...]]
]


def tps(*names: str) -> tuple[TopicPartition, ...]:
    """``tps("topic1-0", "a.b-3")`` -> the typed pairs (the partition is after the last dash)."""
    pairs = []
    for name in names:
        topic, _, number = name.rpartition("-")
        pairs.append(topic_partition(topic, int(number)))
    return tuple(pairs)


def group(**members: Subscription) -> dict[MemberId, Subscription]:
    return {MemberId(name): sub for name, sub in members.items()}


def plain(*topics: str) -> Subscription:
    return Subscription.of(topics)


def owning(topics: Iterable[str], claims: Claims, generation: int) -> Subscription:
    """A v2+ subscription as both sticky assignors' tests build it (``buildSubscriptionV2Above``):
    the claims as owned partitions, as StickyAssignor user data, and the generation in both."""
    owned = tuple(topic_partition(t, p) for t, p in claims)
    return Subscription.of(
        topics,
        owned=claims,
        generation=generation,
        user_data=encode_sticky_user_data(owned, generation),
    )


def exact(outcome: StickyOutcome) -> dict[str, tuple[str, ...]]:
    return {m: tuple(f"{t}-{p}" for t, p in parts) for m, parts in outcome.assignment.items()}


def as_sets(result: Mapping[MemberId, Iterable[TopicPartition]]) -> dict[str, set[str]]:
    return {m: {f"{t}-{p}" for t, p in parts} for m, parts in result.items()}


BOTH_STICKY = pytest.mark.parametrize(
    "outcome_of", [sticky_outcome, cooperative_sticky_outcome], ids=["sticky", "cooperative"]
)

# --- §7: range and round-robin ---------------------------------------------------------------


def test_r1_range_gives_each_topic_to_its_own_subscribers() -> None:
    counts = partition_counts({"topic1": 3, "topic2": 2})
    members = group(
        consumer1=plain("topic1"), consumer2=plain("topic1", "topic2"), consumer3=plain("topic1")
    )
    assert as_sets(assign_range(counts, members)) == {
        "consumer1": {"topic1-0"},
        "consumer2": {"topic1-1", "topic2-0", "topic2-1"},
        "consumer3": {"topic1-2"},
    }


def test_r2_range_gives_the_first_member_the_remainder_of_every_topic() -> None:
    counts = partition_counts({"topic1": 3, "topic2": 3})
    both = plain("topic1", "topic2")
    assert as_sets(assign_range(counts, group(consumer1=both, consumer2=both))) == {
        "consumer1": {"topic1-0", "topic1-1", "topic2-0", "topic2-1"},
        "consumer2": {"topic1-2", "topic2-2"},
    }


def test_r3_range_three_topics_three_members() -> None:
    counts = partition_counts({"t1": 6, "t2": 7, "t3": 2})
    every = plain("t1", "t2", "t3")
    members = group(consumer0=every, consumer1=every, consumer2=every)
    assert as_sets(assign_range(counts, members)) == {
        "consumer0": {"t1-0", "t1-1", "t2-0", "t2-1", "t2-2", "t3-0"},
        "consumer1": {"t1-2", "t1-3", "t2-3", "t2-4", "t3-1"},
        "consumer2": {"t1-4", "t1-5", "t2-5", "t2-6"},
    }


def test_rr1_round_robin_deals_partitions_in_topic_order() -> None:
    counts = partition_counts({"topic1": 3, "topic2": 3})
    both = plain("topic1", "topic2")
    result = assign_round_robin(counts, group(consumer1=both, consumer2=both))
    assert result == {
        "consumer1": list(tps("topic1-0", "topic1-2", "topic2-1")),
        "consumer2": list(tps("topic1-1", "topic2-0", "topic2-2")),
    }


JAVADOC_COUNTS = {"t0": 1, "t1": 2, "t2": 3}
JAVADOC_GROUP = {"C0": ("t0",), "C1": ("t0", "t1"), "C2": ("t0", "t1", "t2")}


def test_rr2_round_robin_skews_when_subscriptions_differ() -> None:
    members = group(**{m: plain(*topics) for m, topics in JAVADOC_GROUP.items()})
    assert assign_round_robin(partition_counts(JAVADOC_COUNTS), members) == {
        "C0": list(tps("t0-0")),
        "C1": list(tps("t1-0")),
        "C2": list(tps("t1-1", "t2-0", "t2-1", "t2-2")),
    }


# --- §7: the sticky family -------------------------------------------------------------------


@BOTH_STICKY
def test_s1_fresh_sticky_equals_round_robin(outcome_of: OutcomeOf) -> None:
    counts = partition_counts({"topic1": 3, "topic2": 3})
    both = plain("topic1", "topic2")
    outcome = outcome_of(counts, group(consumer1=both, consumer2=both))
    assert exact(outcome) == {
        "consumer1": ("topic1-0", "topic1-2", "topic2-1"),
        "consumer2": ("topic1-1", "topic2-0", "topic2-2"),
    }
    assert outcome.builder is Builder.CONSTRAINED and outcome.transferring == {}


@BOTH_STICKY
def test_s2_general_builder_balances_first(outcome_of: OutcomeOf) -> None:
    counts = partition_counts({"topic1": 3, "topic2": 2})
    members = group(
        consumer1=plain("topic1"), consumer2=plain("topic1", "topic2"), consumer3=plain("topic1")
    )
    outcome = outcome_of(counts, members)
    assert exact(outcome) == {
        "consumer1": ("topic1-0", "topic1-2"),
        "consumer2": ("topic2-0", "topic2-1"),
        "consumer3": ("topic1-1",),
    }
    assert outcome.builder is Builder.GENERAL


@BOTH_STICKY
def test_s3_exactly_min_member_takes_the_extra(outcome_of: OutcomeOf) -> None:
    counts = partition_counts({"topic1": 2, "topic2": 3})
    both = ("topic1", "topic2")
    members = group(
        consumer1=owning(both, [("topic1", 0), ("topic2", 1)], 1),
        consumer2=owning(both, [("topic1", 1), ("topic2", 2)], 1),
    )
    outcome = outcome_of(counts, members)
    assert exact(outcome) == {
        "consumer1": ("topic1-0", "topic2-1", "topic2-0"),
        "consumer2": ("topic1-1", "topic2-2"),
    }
    assert outcome.transferring == {}


@BOTH_STICKY
def test_s4_owned_partitions_stay(outcome_of: OutcomeOf) -> None:
    members = group(
        consumer1=owning(["topic"], [("topic", 0), ("topic", 1)], 1),
        consumer2=owning(["topic"], [("topic", 2)], 1),
        consumer3=owning(["topic"], [], 1),
    )
    outcome = outcome_of(partition_counts({"topic": 4}), members)
    assert exact(outcome) == {
        "consumer1": ("topic-0", "topic-1"),
        "consumer2": ("topic-2",),
        "consumer3": ("topic-3",),
    }
    assert outcome.transferring == {}


def s5_group() -> dict[MemberId, Subscription]:
    return group(
        consumer1=owning(["topic"], [("topic", 0), ("topic", 1)], 1),
        consumer2=owning(["topic"], [("topic", 0), ("topic", 2)], 1),
        consumer3=owning(["topic"], [], 1),
    )


def test_s5_a_doubly_claimed_partition_goes_to_neither_claimant() -> None:
    outcome = sticky_outcome(partition_counts({"topic": 3}), s5_group())
    assert exact(outcome) == {
        "consumer1": ("topic-1",),
        "consumer2": ("topic-2",),
        "consumer3": ("topic-0",),
    }
    assert outcome.transferring == dict(zip(tps("topic-0"), ["consumer3"], strict=True))


def test_s5_cooperative_first_revokes_the_doubly_claimed_partition() -> None:
    counts = partition_counts({"topic": 3})
    first = cooperative_sticky_outcome(counts, s5_group())
    assert exact(first) == {"consumer1": ("topic-1",), "consumer2": ("topic-2",), "consumer3": ()}
    follow_up = group(
        consumer1=owning(["topic"], [("topic", 1)], 2),
        consumer2=owning(["topic"], [("topic", 2)], 2),
        consumer3=owning(["topic"], [], 2),
    )
    second = cooperative_sticky_outcome(counts, follow_up)
    assert exact(second) == {
        "consumer1": ("topic-1",),
        "consumer2": ("topic-2",),
        "consumer3": ("topic-0",),
    }


@BOTH_STICKY
def test_s6_javadoc_example_two(outcome_of: OutcomeOf) -> None:
    counts = partition_counts(JAVADOC_COUNTS)
    fresh = outcome_of(counts, group(**{m: plain(*t) for m, t in JAVADOC_GROUP.items()}))
    assert exact(fresh) == {
        "C0": ("t0-0",),
        "C1": ("t1-0", "t1-1"),
        "C2": ("t2-0", "t2-1", "t2-2"),
    }
    claims = {m: [(t, p) for t, p in fresh.assignment[MemberId(m)]] for m in ("C1", "C2")}
    after = outcome_of(
        counts,
        group(
            C1=owning(JAVADOC_GROUP["C1"], claims["C1"], 1),
            C2=owning(JAVADOC_GROUP["C2"], claims["C2"], 1),
        ),
    )
    assert exact(after) == {"C1": ("t1-0", "t1-1", "t0-0"), "C2": ("t2-0", "t2-1", "t2-2")}


def test_c1_cooperative_moves_a_partition_in_two_rebalances() -> None:
    counts = partition_counts({"topic": 3})
    everything = [("topic", 0), ("topic", 1), ("topic", 2)]
    round_a = cooperative_sticky_outcome(
        counts,
        group(consumer1=owning(["topic"], everything, 1), consumer2=owning(["topic"], [], 1)),
    )
    assert exact(round_a) == {"consumer1": ("topic-0", "topic-1"), "consumer2": ()}
    assert round_a.transferring == dict(zip(tps("topic-2"), ["consumer2"], strict=True))
    round_b = cooperative_sticky_outcome(
        counts,
        group(
            consumer1=owning(["topic"], [("topic", 0), ("topic", 1)], 2),
            consumer2=owning(["topic"], [], 2),
        ),
    )
    assert exact(round_b) == {"consumer1": ("topic-0", "topic-1"), "consumer2": ("topic-2",)}


# --- apache/kafka's own test assertions ------------------------------------------------------


def test_range_member_with_no_or_unknown_topics_gets_an_empty_list() -> None:
    counts = partition_counts({"topic": 3})
    members = group(consumer=plain("nonexistent"), other=plain())
    for strategy in AssignmentStrategy:
        assert assign(strategy, counts, members) == {"consumer": [], "other": []}


def test_static_members_come_first_in_instance_id_order() -> None:
    # AbstractPartitionAssignorTest: (a, none), (b, "y"), (c, "x") sorts to c, b, a.
    members = group(
        a=Subscription.of(["t"]),
        b=Subscription.of(["t"], group_instance_id="y"),
        c=Subscription.of(["t"], group_instance_id="x"),
    )
    assert as_sets(assign_range(partition_counts({"t": 3}), members)) == {
        "c": {"t-0"},
        "b": {"t-1"},
        "a": {"t-2"},
    }


@BOTH_STICKY
def test_max_quota_goes_to_the_first_member_in_hash_map_order(
    outcome_of: OutcomeOf,
) -> None:
    # testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: consumer2 iterates before
    # consumer1 in a Java HashMap (buckets 11 and 12), so it keeps its max_quota of two.
    both = ("topic1", "topic2")
    members = group(
        consumer1=owning(both, [("topic1", 0), ("topic2", 0)], 1),
        consumer2=owning(both, [("topic1", 1), ("topic2", 1)], 1),
        consumer3=owning(both, [], 1),
    )
    outcome = outcome_of(partition_counts({"topic1": 2, "topic2": 2}), members)
    assert outcome.transferring == dict(zip(tps("topic2-0"), ["consumer3"], strict=True))
    expected_third = () if outcome_of is cooperative_sticky_outcome else ("topic2-0",)
    assert exact(outcome) == {
        "consumer1": ("topic1-0",),
        "consumer2": ("topic1-1", "topic2-1"),
        "consumer3": expected_third,
    }


@BOTH_STICKY
def test_add_then_remove_two_consumers(outcome_of: OutcomeOf) -> None:
    # testAddRemoveTwoConsumersTwoTopics.
    both = ("topic1", "topic2")
    counts = partition_counts({"topic1": 3, "topic2": 4})
    fresh = outcome_of(counts, group(consumer1=plain(*both), consumer2=plain(*both)))
    assert exact(fresh) == {
        "consumer1": ("topic1-0", "topic1-2", "topic2-1", "topic2-3"),
        "consumer2": ("topic1-1", "topic2-0", "topic2-2"),
    }
    grown = sticky_outcome(
        counts,
        group(
            consumer1=owning(both, [("topic1", 0), ("topic1", 2), ("topic2", 1), ("topic2", 3)], 1),
            consumer2=owning(both, [("topic1", 1), ("topic2", 0), ("topic2", 2)], 1),
            consumer3=owning(both, [], 1),
            consumer4=owning(both, [], 1),
        ),
    )
    assert exact(grown) == {
        "consumer1": ("topic1-0", "topic2-1"),
        "consumer2": ("topic2-0", "topic1-1"),
        "consumer3": ("topic1-2", "topic2-3"),
        "consumer4": ("topic2-2",),
    }
    assert grown.transferring == dict(
        zip(
            tps("topic1-2", "topic2-3", "topic2-2"),
            ["consumer3", "consumer3", "consumer4"],
            strict=True,
        )
    )
    shrunk = sticky_outcome(
        counts,
        group(
            consumer3=owning(both, [("topic1", 2), ("topic2", 3)], 1),
            consumer4=owning(both, [("topic2", 2)], 1),
        ),
    )
    assert exact(shrunk) == {
        "consumer3": ("topic1-2", "topic2-3", "topic1-0", "topic2-1"),
        "consumer4": ("topic2-2", "topic1-1", "topic2-0"),
    }


@BOTH_STICKY
def test_stale_generation_loses_its_claims(outcome_of: OutcomeOf) -> None:
    # testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration.
    both = ("topic", "topic2")
    claims = [("topic", 0), ("topic", 2), ("topic2", 1)]
    members = group(consumer1=owning(both, claims, 10), consumer2=owning(both, claims, 9))
    outcome = outcome_of(partition_counts({"topic": 3, "topic2": 3}), members)
    assert as_sets(outcome.assignment) == {
        "consumer1": {"topic-0", "topic-2", "topic2-1"},
        "consumer2": {"topic-1", "topic2-0", "topic2-2"},
    }


@BOTH_STICKY
def test_partitions_stay_with_the_highest_generation(outcome_of: OutcomeOf) -> None:
    # testEnsurePartitionsAssignedToHighestGeneration.
    every = ("topic", "topic2", "topic3")
    members = group(
        consumer1=owning(every, [("topic", 0), ("topic2", 0), ("topic3", 0)], 10),
        consumer2=owning(every, [("topic", 1), ("topic2", 1), ("topic3", 1)], 9),
        consumer3=owning(every, [("topic2", 1), ("topic3", 0), ("topic3", 2)], 8),
    )
    outcome = outcome_of(partition_counts({"topic": 3, "topic2": 3, "topic3": 3}), members)
    assert as_sets(outcome.assignment) == {
        "consumer1": {"topic-0", "topic2-0", "topic3-0"},
        "consumer2": {"topic-1", "topic2-1", "topic3-1"},
        "consumer3": {"topic-2", "topic2-2", "topic3-2"},
    }
    assert outcome.transferring == {}


@BOTH_STICKY
def test_unequal_quotas_with_a_doubly_claimed_partition(outcome_of: OutcomeOf) -> None:
    # ...ClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer.
    members = group(
        consumer1=owning(["topic"], [("topic", 0), ("topic", 1)], 1),
        consumer2=owning(["topic"], [("topic", 0), ("topic", 2)], 1),
        consumer3=owning(["topic"], [], 1),
    )
    outcome = outcome_of(partition_counts({"topic": 4}), members)
    third = () if outcome_of is cooperative_sticky_outcome else ("topic-0",)
    assert exact(outcome) == {
        "consumer1": ("topic-1", "topic-3"),
        "consumer2": ("topic-2",),
        "consumer3": third,
    }


def test_sticky_reads_claims_only_from_user_data() -> None:
    # StickyAssignor ignores ownedPartitions (§5.1): claims without user data mean nothing.
    counts = partition_counts({"topic": 2})
    no_user_data = Subscription.of(["topic"], owned=[("topic", 1)], generation=1)
    outcome = sticky_outcome(counts, group(consumer1=no_user_data, consumer2=plain("topic")))
    assert exact(outcome) == {"consumer1": ("topic-0",), "consumer2": ("topic-1",)}


# --- general-builder cases decided by Java's HashSet order (outputs from Kafka's Java) --------

HASH_ORDER_CASES: list[HashOrderCase] = [
    (
        {"topic1": 4, "topic2": 4},
        {
            "consumer1": ("topic1", "topic2"),
            "consumer4": ("topic1", "topic2"),
            "consumer5": ("topic1",),
        },
        {"consumer1": ["topic1-0", "topic1-1", "topic1-2", "topic1-3", "topic2-1", "topic2-3"]},
        {
            "consumer1": ("topic1-2", "topic1-3", "topic2-1"),
            "consumer4": ("topic2-0", "topic2-2", "topic2-3"),
            "consumer5": ("topic1-0", "topic1-1"),
        },
    ),
    (
        {"topic1": 4, "topic2": 5},
        {
            "consumer2": ("topic1", "topic2"),
            "consumer3": ("topic2",),
            "consumer4": ("topic2",),
            "consumer5": ("topic1", "topic2"),
        },
        {
            "consumer2": [
                "topic1-2", "topic1-3", "topic2-0", "topic2-1", "topic2-2", "topic2-3", "topic2-4"
            ]
        },
        {
            "consumer2": ("topic2-4", "topic1-3"),
            "consumer3": ("topic2-0", "topic2-2"),
            "consumer4": ("topic2-1", "topic2-3"),
            "consumer5": ("topic1-0", "topic1-1", "topic1-2"),
        },
    ),
    (
        {"topic1": 6, "topic2": 6},
        {
            "consumer1": ("topic1", "topic2"),
            "consumer2": ("topic2",),
            "consumer3": ("topic1", "topic2"),
        },
        {
            "consumer1": [
                "topic1-1", "topic1-2", "topic1-3", "topic1-5",
                "topic2-0", "topic2-1", "topic2-2", "topic2-3", "topic2-4", "topic2-5",
            ],
            "consumer3": ["topic1-0"],
        },
        {
            "consumer1": ("topic2-3", "topic2-4", "topic2-5", "topic1-1"),
            "consumer2": ("topic2-0", "topic2-1", "topic2-2"),
            "consumer3": ("topic1-0", "topic1-4", "topic1-2", "topic1-3", "topic1-5"),
        },
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", HASH_ORDER_CASES, ids=["two-topics", "four-members", "skewed"])
def test_general_builder_moves_match_kafka(
    case: tuple[
        dict[str, int], dict[str, tuple[str, ...]], dict[str, list[str]], dict[str, tuple[str, ...]]
    ],
) -> None:
    counts, topics, claims, expected = case
    members = {
        MemberId(m): owning(t, [(tp[0], tp[1]) for tp in tps(*claims.get(m, []))], 1)
        for m, t in topics.items()
    }
    assert exact(sticky_outcome(partition_counts(counts), members)) == expected


# --- the course's examples: one topic of 8 partitions, consumers C0, C1, C2 ------------------

COURSE = partition_counts({"topic": 8})
COURSE_GROUP = group(C0=plain("topic"), C1=plain("topic"), C2=plain("topic"))


def numbers(result: Mapping[MemberId, Iterable[TopicPartition]]) -> dict[str, list[int]]:
    return {m: sorted(p for _, p in parts) for m, parts in result.items()}


def test_course_range_gives_the_remainder_to_the_first_consumers() -> None:
    # "就是平均分配，多出来的（余）分给前面的": 8 = 3 + 3 + 2.
    assert numbers(assign_range(COURSE, COURSE_GROUP)) == {
        "C0": [0, 1, 2],
        "C1": [3, 4, 5],
        "C2": [6, 7],
    }


def test_course_round_robin_deals_one_each_until_none_is_left() -> None:
    # "就是一一映射，不够再映射，直到分区映射完".
    assert numbers(assign_round_robin(COURSE, COURSE_GROUP)) == {
        "C0": [0, 3, 6],
        "C1": [1, 4, 7],
        "C2": [2, 5],
    }


def test_course_sticky_keeps_the_survivors_partitions_when_c1_leaves() -> None:
    # Before the rebalance sticky looks like round-robin; after C1 leaves, C0 and C2 keep theirs.
    before = sticky_outcome(COURSE, COURSE_GROUP)
    assert numbers(before.assignment) == {"C0": [0, 3, 6], "C1": [1, 4, 7], "C2": [2, 5]}
    survivors = {
        MemberId(m): owning(["topic"], [(t, p) for t, p in before.assignment[MemberId(m)]], 1)
        for m in ("C0", "C2")
    }
    after = sticky_outcome(COURSE, survivors)
    assert exact(after) == {
        "C0": ("topic-0", "topic-3", "topic-6", "topic-1"),
        "C2": ("topic-2", "topic-5", "topic-4", "topic-7"),
    }
    without_c1 = group(C0=plain("topic"), C2=plain("topic"))
    assert numbers(assign_range(COURSE, without_c1)) == {"C0": [0, 1, 2, 3], "C2": [4, 5, 6, 7]}
    assert numbers(assign_round_robin(COURSE, without_c1)) == {
        "C0": [0, 2, 4, 6],
        "C2": [1, 3, 5, 7],
    }
