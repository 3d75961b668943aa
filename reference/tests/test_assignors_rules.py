"""The assignors' building blocks, one rule at a time.

Java's orderings (string hash, ``HashMap`` buckets, ``HashSet`` first element), the framework's
rules (which topics take part, static-first member order), claim validation (§5.2), the
strategy names of ``partition.assignment.strategy``, bad input at the user-facing functions, and
the three places where glasskafka deliberately differs from Kafka's Java because Kafka's output
would break ASSIGN-1 or ASSIGN-4.

Spec IDs: ASSIGN-1 (claims, empty subscriptions), ASSIGN-3 (movements), ASSIGN-4.

Simplified from Kafka: nothing beyond the deliberate differences the last section names.
"""

from __future__ import annotations

import pytest
from glasskafka.assignors import (
    AssignmentStrategy,
    MemberData,
    RebalanceProtocol,
    Subscription,
    assign,
    assign_cooperative_sticky,
    assign_sticky,
    cooperative_sticky_outcome,
    partition_counts,
    sticky_outcome,
    strategy_from_config,
    topic_partition,
)
from glasskafka.assignors.claims import ValidatedClaims, validate_claims
from glasskafka.assignors.java_order import (
    JavaHashSet,
    hash_map_capacity,
    hash_map_order,
    java_string_hash,
    java_string_key,
    topic_partition_hash,
)
from glasskafka.assignors.movements import PartitionMovements
from glasskafka.assignors.subscription import assignable_topics, member_order
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import MemberId, TopicName, TopicPartition


def tp(topic: str, partition: int) -> TopicPartition:
    return topic_partition(topic, partition)


# --- Java's orderings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("group", 98629247),
        ("test-group", 627841412),
        ("my-group", -1906497762),
        ("polygenelubricants", -2147483648),
    ],
)
def test_java_string_hash_vectors(text: str, expected: int) -> None:
    """Vectors from reference/clients-and-groups.md §9 (String.hashCode, wrapping at 32 bits)."""
    assert java_string_hash(text) == expected


def test_string_order_is_java_order_for_characters_beyond_the_bmp() -> None:
    # U+1F600 is a surrogate pair (D83D DE00) in UTF-16, so Java sorts it before U+FF5E.
    assert sorted(["\uff5e", "\U0001f600"], key=java_string_key) == ["\U0001f600", "\uff5e"]
    assert sorted(["\uff5e", "\U0001f600"]) == ["\uff5e", "\U0001f600"]


def test_hash_map_order_of_consumer_ids() -> None:
    """§5.6: consumer1..consumer4 land in buckets 12, 11, 10, 9."""
    ids = [f"consumer{i}" for i in range(1, 5)]
    assert hash_map_order(ids, java_string_hash) == ids[::-1]


def test_hash_map_grows_past_three_quarters_full() -> None:
    assert [hash_map_capacity(n) for n in (0, 12, 13, 24, 25)] == [16, 16, 32, 32, 64]


def test_topic_partition_hash_is_kafkas() -> None:
    # 31 * (31 + partition) + topic.hashCode(), in int32 arithmetic.
    assert topic_partition_hash(tp("", 0)) == 961
    assert topic_partition_hash(tp("my-group", 2)) == 31 * 33 - 1906497762


def test_java_hash_set_first_follows_buckets_then_arrival() -> None:
    numbers = JavaHashSet(lambda n: n, [17, 1, 33])
    assert numbers.first() == 17  # 17, 1 and 33 share bucket 1; 17 arrived first
    numbers.remove(17)
    numbers.add(17)
    assert numbers.first() == 1 and numbers.in_java_order() == [1, 33, 17]
    numbers.add(0)
    assert numbers.first() == 0 and 33 in numbers and len(numbers) == 4
    with pytest.raises(KeyError):
        JavaHashSet(lambda n: n).first()


def test_a_java_hash_set_reorders_when_its_table_doubles() -> None:
    numbers = JavaHashSet(lambda n: n, [16, *range(1, 12)])
    assert numbers.first() == 16  # 12 entries, 16 buckets: 16 sits in bucket 0
    numbers.add(12)
    assert numbers.first() == 1  # 13 entries, 32 buckets: 16 moves to bucket 16
    numbers.remove(12)
    assert numbers.first() == 1  # a HashMap never shrinks its table


def test_movements_undo_instead_of_reversing() -> None:
    moves = PartitionMovements()
    a, b = MemberId("a"), MemberId("b")
    moves.move(tp("t", 1), a, b)
    assert moves.partition_to_move(tp("t", 2), b, a) == tp("t", 1)
    assert moves.partition_to_move(tp("u", 2), b, a) == tp("u", 2)
    moves.move(tp("t", 2), b, a)
    assert moves.two_cycles() == [("t", "a", "b")]
    moves.move(tp("t", 2), a, b)
    assert moves.two_cycles() == []


# --- the framework ---------------------------------------------------------------------------


def test_only_subscribed_topics_with_partitions_take_part() -> None:
    counts = partition_counts({"a": 2, "b": 0, "c": 3})
    members = {MemberId("m"): Subscription.of(["a", "b", "missing"])}
    assert assignable_topics(counts, members) == {"a": 2}


def test_member_order_is_static_first_by_instance_id() -> None:
    members = {
        MemberId("a"): Subscription.of(["t"]),
        MemberId("b"): Subscription.of(["t"], group_instance_id="y"),
        MemberId("c"): Subscription.of(["t"], group_instance_id="x"),
    }
    assert member_order(members) == ["c", "b", "a"]


def test_an_empty_group_gets_an_empty_assignment() -> None:
    for strategy in AssignmentStrategy:
        assert assign(strategy, partition_counts({"t": 3}), {}) == {}


@pytest.mark.parametrize("strategy", list(AssignmentStrategy), ids=lambda s: s.value)
def test_more_members_than_partitions_leaves_some_empty(strategy: AssignmentStrategy) -> None:
    members = {MemberId(f"m{i}"): Subscription.of(["t"]) for i in range(5)}
    result = assign(strategy, partition_counts({"t": 2}), members)
    assert sorted(len(parts) for parts in result.values()) == [0, 0, 0, 1, 1]


def test_negative_partition_counts_are_refused() -> None:
    with pytest.raises(GlassKafkaError, match="topic 'orders' has -1 partitions"):
        partition_counts({"orders": -1})
    members = {MemberId("m"): Subscription.of(["t"])}
    with pytest.raises(GlassKafkaError, match="-3 partitions"):
        assign(AssignmentStrategy.RANGE, {TopicName("t"): -3}, members)


# --- claim validation (§5.2) -----------------------------------------------------------------


def validate(
    claims: dict[str, tuple[list[TopicPartition], int]], *, bugs: BugFlags = NO_BUGS
) -> ValidatedClaims:
    members = hash_map_order([MemberId(m) for m in claims], java_string_hash)
    subscriptions = {m: Subscription.of(["t"], generation=claims[m][1]) for m in members}
    data = {m: MemberData(partitions=tuple(claims[m][0]), generation=claims[m][1]) for m in members}
    return validate_claims(members, subscriptions, data, {TopicName("t"): 4}, bugs=bugs)


def test_same_generation_double_claims_go_to_the_multi_owner_set() -> None:
    result = validate({"consumer1": ([tp("t", 0), tp("t", 1)], 1), "consumer2": ([tp("t", 0)], 1)})
    assert result.multi_owner == {tp("t", 0)}
    assert result.owned == {"consumer2": [], "consumer1": [tp("t", 1)]}


def test_the_higher_generation_keeps_a_double_claim_whoever_comes_first() -> None:
    for first, second in ((5, 4), (4, 5)):
        result = validate({"consumer1": ([tp("t", 0)], first), "consumer2": ([tp("t", 0)], second)})
        winner = "consumer1" if first > second else "consumer2"
        assert {m for m, parts in result.owned.items() if parts} == {winner}
        assert result.multi_owner == frozenset() and result.max_generation == 5


def test_claims_on_partitions_that_do_not_exist_are_dropped() -> None:
    result = validate({"consumer1": ([tp("t", 9), tp("t", -1), tp("gone", 0)], 1)})
    assert result.owned == {"consumer1": []}


def test_the_bug_flag_keeps_both_claims() -> None:
    bug = BugFlags.only("assign_partition_twice")
    result = validate({"consumer1": ([tp("t", 0)], 1), "consumer2": ([tp("t", 0)], 1)}, bugs=bug)
    assert result.owned == {"consumer2": [tp("t", 0)], "consumer1": [tp("t", 0)]}
    assert result.multi_owner == frozenset()


# --- where glasskafka differs from Kafka's Java, on purpose ----------------------------------


def test_a_member_with_no_topics_never_gets_partitions() -> None:
    # Kafka's allSubscriptionsEqual starts its reference set at the first *non-empty*
    # subscription; consumer4 (visited first) with no topics would get t-1 and t-3.
    members = {
        MemberId("consumer4"): Subscription.of([]),
        MemberId("consumer3"): Subscription.of(["t"]),
    }
    for run in (assign_sticky, assign_cooperative_sticky):
        assert run(partition_counts({"t": 4}), members)[MemberId("consumer4")] == []


def test_a_stale_claim_on_a_dropped_topic_does_not_pull_a_partition_back() -> None:
    # Kafka's general builder moves orders-0 back to consumer4, its previous owner, although
    # consumer4 no longer subscribes to "orders" (and with other inputs it throws an NPE).
    members = {
        MemberId("consumer1"): Subscription.of(
            ["orders", "payments"], owned=[("orders", 0), ("payments", 0)], generation=2
        ),
        MemberId("consumer4"): Subscription.of(["payments"], owned=[("orders", 0)], generation=1),
    }
    counts = partition_counts({"orders": 2, "payments": 2})
    result = cooperative_sticky_outcome(counts, members).assignment
    assert all(t == "payments" for t, _ in result[MemberId("consumer4")])


def test_a_partition_handed_to_a_stale_claimant_waits_a_round() -> None:
    # consumer1 (generation 1) and consumer2 (generation 3) both claim orders-0; consumer2 wins.
    # The general builder sends orders-0 back to consumer1, its previous owner; Kafka counts
    # that as no change for consumer1, so consumer2 would revoke it while consumer1 starts.
    members = {
        MemberId("consumer1"): Subscription.of(["orders"], owned=[("orders", 0)], generation=1),
        MemberId("consumer2"): Subscription.of(
            ["orders", "payments"], owned=[("orders", 0), ("payments", 0)], generation=3
        ),
    }
    outcome = cooperative_sticky_outcome(partition_counts({"orders": 1, "payments": 1}), members)
    assert outcome.transferring == {tp("orders", 0): "consumer1"}
    assert outcome.assignment == {"consumer1": (), "consumer2": (tp("payments", 0),)}


def test_previous_max_generation_is_remembered_by_the_caller() -> None:
    members = {MemberId("m"): Subscription.of(["t"], owned=[("t", 0)], generation=2)}
    first = sticky_outcome(partition_counts({"t": 1}), members, previous_max_generation=7)
    assert first.max_generation == 7


# --- partition.assignment.strategy ----------------------------------------------------------


def test_strategy_names_and_java_class_names() -> None:
    assert strategy_from_config("range, cooperative-sticky") == (
        AssignmentStrategy.RANGE,
        AssignmentStrategy.COOPERATIVE_STICKY,
    )
    course = "org.apache.kafka.clients.consumer.RoundRobinAssignor"
    assert strategy_from_config(course) == (AssignmentStrategy.ROUND_ROBIN,)
    assert strategy_from_config("sticky,sticky") == (AssignmentStrategy.STICKY,)
    assert (
        AssignmentStrategy.COOPERATIVE_STICKY.supported_protocols[0]
        is RebalanceProtocol.COOPERATIVE
    )
    assert AssignmentStrategy.RANGE.supported_protocols == (RebalanceProtocol.EAGER,)


@pytest.mark.parametrize("value", ["", "fair", "range,,sticky", "org.example.MyAssignor", "Range"])
def test_unknown_strategies_are_refused_with_the_allowed_names(value: str) -> None:
    with pytest.raises(GlassKafkaError, match=r"partition\.assignment\.strategy=.*allowed: range"):
        strategy_from_config(value)
