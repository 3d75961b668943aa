"""Property suites for the assignors: random groups, checked against ``specs/assignment.py``.

Hypothesis draws topics, partition counts, members, subscriptions (identical or not), previous
assignments (including conflicting claims, stale and missing generations, and the StickyAssignor
V0/V1 and cooperative user data), and static members.  Every assignor's output must satisfy
ASSIGN-1 (validity), ASSIGN-2 (its balance), ASSIGN-3 (stickiness, sticky family) and ASSIGN-6
(range layout); chains of cooperative rebalances, each fed the previous result, must satisfy
ASSIGN-4 (no partition added while revoked) and ASSIGN-5 (converge within four follow-ups).

The helpers here (:func:`groups`, :func:`view_of`, :func:`check_round`) are shared with the
stateful suite and the teeth tests.

Spec IDs: ASSIGN-1, ASSIGN-2, ASSIGN-3, ASSIGN-4, ASSIGN-5, ASSIGN-6.

Simplified from Kafka: Kafka's randomized assignor tests use ``java.util.Random`` without a seed;
Hypothesis shrinks a failure and replays it from its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest
from glasskafka.assignors import (
    AssignmentStrategy,
    Subscription,
    assign,
    cooperative_sticky_outcome,
    decode_sticky_user_data,
    encode_cooperative_user_data,
    encode_sticky_user_data,
    sorted_assignment,
    sticky_outcome,
    topic_partition,
)
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.ids import GenerationId, MemberId, TopicName, TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from specs.assignment import (
    MemberView,
    RebalanceView,
    balance,
    cooperative_convergence,
    cooperative_safety,
    range_layout,
    stickiness,
    validity,
)
from specs.catalogue import check

__all__ = [
    "Assignor",
    "Group",
    "check_round",
    "claims_of",
    "groups",
    "protocol_of",
    "run_assignor",
    "view_of",
]

Group = tuple[dict[TopicName, int], dict[MemberId, Subscription]]
Assignor = Callable[
    [Mapping[TopicName, int], Mapping[MemberId, Subscription]],
    Mapping[MemberId, Sequence[TopicPartition]],
]

TOPIC_POOL = ("orders", "payments", "t1", "t2", "a.b", "x-y")
MEMBER_POOL = (*(f"consumer{i}" for i in range(1, 9)), "c", "Z", "consumer-10-9f2c", "m\u00e9")


def protocol_of(strategy: AssignmentStrategy) -> str:
    """The rebalance protocol a group using only ``strategy`` runs."""
    return "cooperative" if strategy is AssignmentStrategy.COOPERATIVE_STICKY else "eager"


def claims_of(
    strategy: AssignmentStrategy, subscription: Subscription
) -> tuple[TopicPartition, ...]:
    """What ``strategy`` reads as the member's previous ownership (user_data.py, §5.1)."""
    if strategy is AssignmentStrategy.STICKY:
        return decode_sticky_user_data(subscription.user_data).partitions
    if strategy is AssignmentStrategy.COOPERATIVE_STICKY:
        return subscription.owned_partitions
    return ()


def view_of(
    strategy: AssignmentStrategy,
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    assignment: Mapping[MemberId, Sequence[TopicPartition]],
    *,
    protocol: str | None = None,
    holding: Mapping[MemberId, frozenset[TopicPartition]] | None = None,
) -> RebalanceView:
    """The plain-data snapshot the specs judge."""
    members = {
        str(member): MemberView(
            topics=frozenset(sub.topics),
            owned=tuple((t, p) for t, p in claims_of(strategy, sub)),
            generation=sub.generation_id,
            group_instance_id=sub.group_instance_id,
        )
        for member, sub in subscriptions.items()
    }
    return RebalanceView(
        strategy=strategy.value,
        protocol=protocol or protocol_of(strategy),
        partitions_per_topic={str(t): c for t, c in partitions_per_topic.items()},
        members=members,
        assignment={str(m): [(t, p) for t, p in tps] for m, tps in assignment.items()},
        holding=None
        if holding is None
        else {str(m): frozenset((t, p) for t, p in tps) for m, tps in holding.items()},
    )


def run_assignor(strategy: AssignmentStrategy, bugs: BugFlags = NO_BUGS) -> Assignor:
    """The assignor for ``strategy`` as a two-argument function, in Kafka's list order."""
    if strategy is AssignmentStrategy.STICKY:
        return lambda ppt, subs: sticky_outcome(ppt, subs, bugs=bugs).assignment
    if strategy is AssignmentStrategy.COOPERATIVE_STICKY:
        return lambda ppt, subs: cooperative_sticky_outcome(ppt, subs, bugs=bugs).assignment
    return lambda ppt, subs: assign(strategy, ppt, subs, bugs=bugs)


def check_round(view: RebalanceView) -> None:
    """Check every single-round spec on ``view`` (ASSIGN-1, 2, 3, 4, 6)."""
    check("ASSIGN-1", validity(view))
    check("ASSIGN-2", balance(view))
    check("ASSIGN-3", stickiness(view))
    check("ASSIGN-4", cooperative_safety(view))
    check("ASSIGN-6", range_layout(view))


@st.composite
def groups(draw: st.DrawFn, strategy: AssignmentStrategy) -> Group:
    """A random group: topics, members, subscriptions and previous ownership for ``strategy``."""
    names = draw(st.lists(st.sampled_from(TOPIC_POOL), min_size=1, max_size=4, unique=True))
    counts = {TopicName(t): draw(st.integers(0, 9)) for t in names}
    universe = [*names, "missing"] if draw(st.booleans()) else names
    members = draw(st.lists(st.sampled_from(MEMBER_POOL), min_size=1, max_size=6, unique=True))
    common = draw(st.lists(st.sampled_from(universe), min_size=1, unique=True))
    identical = draw(st.booleans())
    every = [topic_partition(t, p) for t, c in counts.items() for p in range(c)]
    owner = {tp: draw(st.sampled_from([*members, None])) for tp in every}
    generation = draw(st.integers(-1, 3))
    subscriptions: dict[MemberId, Subscription] = {}
    for index, member in enumerate(members):
        topics = (
            common
            if identical
            else draw(st.lists(st.sampled_from(universe), min_size=1, unique=True))
        )
        claims = [tp for tp in every if owner[tp] == member]
        if every and draw(st.integers(0, 4)) == 0:  # a conflicting or stale extra claim
            extra = draw(st.sampled_from(every))
            claims = claims if extra in claims else [*claims, extra]
        mine = generation if draw(st.integers(0, 3)) else draw(st.integers(-1, 3))
        static = f"instance-{index}" if draw(st.integers(0, 3)) == 0 else None
        subscriptions[MemberId(member)] = _subscription(
            strategy, topics, claims, mine, static, draw
        )
    return counts, subscriptions


def _subscription(
    strategy: AssignmentStrategy,
    topics: Sequence[str],
    claims: list[TopicPartition],
    generation: int,
    static: str | None,
    draw: st.DrawFn,
) -> Subscription:
    user_data: bytes | None = None
    owned: tuple[TopicPartition, ...] = ()
    if strategy is AssignmentStrategy.STICKY and (claims or generation >= 0):
        # V0 user data (no generation) for clients older than KIP-341.
        user_data = encode_sticky_user_data(tuple(claims), generation if generation >= 0 else None)
    if strategy is AssignmentStrategy.COOPERATIVE_STICKY:
        owned = tuple(claims)
        if draw(st.booleans()):
            user_data = encode_cooperative_user_data(generation)
    return Subscription(
        topics=tuple(TopicName(t) for t in topics),
        user_data=user_data,
        owned_partitions=owned,
        generation_id=GenerationId(generation),
        group_instance_id=static,
    )


def feed_back(
    subscriptions: Mapping[MemberId, Subscription],
    assignment: Mapping[MemberId, Sequence[TopicPartition]],
    generation: int,
) -> dict[MemberId, Subscription]:
    """The cooperative members' next subscriptions: they own what they were just given."""
    return {
        member: Subscription(
            topics=sub.topics,
            user_data=encode_cooperative_user_data(generation),
            owned_partitions=tuple(assignment[member]),
            generation_id=GenerationId(generation),
            group_instance_id=sub.group_instance_id,
        )
        for member, sub in subscriptions.items()
    }


def cooperative_chain(group: Group, assignor: Assignor, rounds: int = 6) -> list[RebalanceView]:
    """Rebalance repeatedly, feeding each result back as owned partitions (P-10)."""
    counts, subscriptions = group
    views = []
    for generation in range(rounds):
        result = assignor(counts, subscriptions)
        views.append(view_of(AssignmentStrategy.COOPERATIVE_STICKY, counts, subscriptions, result))
        subscriptions = feed_back(subscriptions, result, generation + 10)
    return views


ALL = tuple(AssignmentStrategy)


@pytest.mark.parametrize("strategy", ALL, ids=[s.value for s in ALL])
@given(data=st.data())
def test_every_round_meets_its_specs(strategy: AssignmentStrategy, data: st.DataObject) -> None:
    """ASSIGN-1, ASSIGN-2, ASSIGN-3, ASSIGN-4, ASSIGN-6 on one rebalance of a random group."""
    counts, subscriptions = data.draw(groups(strategy))
    result = run_assignor(strategy)(counts, subscriptions)
    check_round(view_of(strategy, counts, subscriptions, result))


@given(group=groups(AssignmentStrategy.COOPERATIVE_STICKY))
def test_cooperative_rebalances_are_safe_and_converge(group: Group) -> None:
    """ASSIGN-4 in every round of a feedback chain, and ASSIGN-5 over the chain."""
    views = cooperative_chain(group, run_assignor(AssignmentStrategy.COOPERATIVE_STICKY))
    for view in views:
        check_round(view)
    check("ASSIGN-5", cooperative_convergence(views))


@pytest.mark.parametrize("strategy", ALL, ids=[s.value for s in ALL])
@given(data=st.data())
def test_assignors_are_pure_and_deterministic(
    strategy: AssignmentStrategy, data: st.DataObject
) -> None:
    """Same input, same output; the input is left as it was; lists come back sorted."""
    counts, subscriptions = data.draw(groups(strategy))
    before = (dict(counts), dict(subscriptions))
    first = assign(strategy, counts, subscriptions)
    assert assign(strategy, counts, subscriptions) == first
    assert (counts, subscriptions) == before
    assert first == sorted_assignment(first)


@pytest.mark.parametrize(
    "strategy", [AssignmentStrategy.STICKY, AssignmentStrategy.COOPERATIVE_STICKY]
)
@given(data=st.data())
def test_kafka_order_holds_the_same_sets(strategy: AssignmentStrategy, data: st.DataObject) -> None:
    """The Kafka-ordered lists of the outcome and the sorted public result agree."""
    counts, subscriptions = data.draw(groups(strategy))
    ordered = run_assignor(strategy)(counts, subscriptions)
    assert sorted_assignment(ordered) == assign(strategy, counts, subscriptions)
    for partitions in ordered.values():
        assert len(partitions) == len(set(partitions))


@pytest.mark.parametrize("strategy", [AssignmentStrategy.RANGE, AssignmentStrategy.ROUND_ROBIN])
@given(data=st.data())
def test_static_members_are_ordered_by_instance_id(
    strategy: AssignmentStrategy, data: st.DataObject
) -> None:
    """P-4: with every member static, renaming member ids changes nothing but the names."""
    counts, subscriptions = data.draw(groups(strategy))
    static = {
        member: Subscription(topics=sub.topics, group_instance_id=f"static-{index}")
        for index, (member, sub) in enumerate(subscriptions.items())
    }
    renamed = {MemberId(f"new-{member}"): sub for member, sub in reversed(static.items())}
    original = assign(strategy, counts, static)
    after = assign(strategy, counts, renamed)
    assert {m: after[MemberId(f"new-{m}")] for m in original} == original
