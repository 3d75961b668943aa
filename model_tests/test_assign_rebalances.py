"""A consumer group through a sequence of rebalances, checked after every step (ASSIGN-1..6).

The machine is the environment around the assignor: members join, leave and change their
subscriptions; topics gain partitions; a member loses its generation after an error and, as
Kafka's client does since KAFKA-13419, gives up its partitions before rejoining; and a member is
expired by the coordinator without noticing, so it stops consuming but later rejoins still
reporting its old partitions and generation (the stale SubscriptionState of KAFKA-12984).  A
group may consist of *old clients*, whose subscriptions carry no generation at all (protocol v1,
StickyAssignor user data V0); then a stale claim and the current owner's claim look equally
recent, which is what the multi-owner rule of ``claims.py`` is for.  Groups are all-old or
all-new: a stale claim that carries a generation beats a current one that carries none, and
Kafka gives no safety for that mix either.

Each rebalance builds every member's subscription the way its client would, runs the assignor,
and lets members apply their assignments one at a time in an order Hypothesis picks, recording
what each member actually consumes (ghost state, never read by the assignor).  Under the eager
protocol members give up everything before joining; under the cooperative protocol they keep
what stays, revoke what goes, and any member that revoked something rejoins, so one rebalance
becomes a chain of up to five rounds.  Each ``@invariant`` checks one spec over the last chain.

Spec IDs: ASSIGN-1, ASSIGN-2, ASSIGN-3, ASSIGN-4, ASSIGN-5, ASSIGN-6.

Simplified from Kafka: the group coordinator is not simulated (JoinGroup, SyncGroup and their
timeouts live in ``glasskafka.group``); the machine plays the protocol's outcome - who joined,
what each member reports - directly to the assignor, which is the part under test here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from glasskafka.assignors import (
    AssignmentStrategy,
    Subscription,
    encode_cooperative_user_data,
    encode_sticky_user_data,
)
from glasskafka.ids import GenerationId, MemberId, TopicName, TopicPartition
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from model_tests.test_assign_properties import (
    Assignor,
    protocol_of,
    run_assignor,
    view_of,
)
from specs.assignment import (
    RebalanceView,
    balance,
    cooperative_convergence,
    cooperative_safety,
    range_layout,
    stickiness,
    validity,
)
from specs.catalogue import check

__all__ = ["RebalanceMachine", "machine_for"]

TOPICS = ("orders", "payments", "clicks")
MEMBERS = tuple(f"consumer{i}" for i in range(1, 7))
MAX_ROUNDS = 5


@dataclass(slots=True)
class Member:
    """A consumer as its own client sees itself, plus what it really consumes (ghost)."""

    topics: tuple[TopicName, ...]
    owned: tuple[TopicPartition, ...] = ()
    generation: int = -1
    last_assignment: tuple[TopicPartition, ...] | None = None
    assignment_generation: int = -1
    holding: frozenset[TopicPartition] = field(default_factory=frozenset)


class RebalanceMachine(RuleBasedStateMachine):
    """A group of up to six consumers using one assignment strategy."""

    strategy: ClassVar[AssignmentStrategy] = AssignmentStrategy.COOPERATIVE_STICKY
    protocol: ClassVar[str | None] = None
    old_clients_only: ClassVar[bool | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.topics: dict[TopicName, int] = {}
        self.members: dict[str, Member] = {}
        self.zombies: dict[str, Member] = {}
        self.generation = 0
        self.old_clients = False
        self.rounds: list[RebalanceView] = []
        self.moments: list[RebalanceView] = []

    @property
    def group_protocol(self) -> str:
        return self.protocol or protocol_of(self.strategy)

    def make_assignor(self) -> Assignor:
        """The assignor the group leader runs (teeth tests substitute broken ones)."""
        return run_assignor(self.strategy)

    # --- the environment ----------------------------------------------------------------------

    @initialize(counts=st.lists(st.integers(1, 6), min_size=2, max_size=3), old=st.booleans())
    def create_group(self, counts: list[int], old: bool) -> None:
        self.topics = {TopicName(t): c for t, c in zip(TOPICS, counts, strict=False)}
        self.old_clients = old if self.old_clients_only is None else self.old_clients_only

    @precondition(lambda self: len(self.members) + len(self.zombies) < len(MEMBERS))
    @rule(data=st.data())
    def join(self, data: st.DataObject) -> None:
        free = [m for m in MEMBERS if m not in self.members and m not in self.zombies]
        member = data.draw(st.sampled_from(free), label="member")
        self.members[member] = Member(topics=self._draw_topics(data))
        self.rebalance(data)

    @precondition(lambda self: self.members)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        member = data.draw(st.sampled_from(sorted(self.members)), label="member")
        del self.members[member]
        self.rebalance(data)

    @precondition(lambda self: self.members)
    @rule(data=st.data())
    def change_subscription(self, data: st.DataObject) -> None:
        member = self.members[data.draw(st.sampled_from(sorted(self.members)), label="member")]
        member.topics = self._draw_topics(data)
        # ConsumerCoordinator.onJoinPrepare: a cooperative member first revokes the partitions
        # of topics it no longer subscribes to.
        member.owned = tuple(tp for tp in member.owned if tp[0] in member.topics)
        member.holding = frozenset(tp for tp in member.holding if tp[0] in member.topics)
        self.rebalance(data)

    @precondition(lambda self: self.members)
    @rule(data=st.data(), extra=st.integers(1, 3))
    def add_partitions(self, data: st.DataObject, extra: int) -> None:
        topic = data.draw(st.sampled_from(sorted(self.topics)), label="topic")
        self.topics[topic] += extra
        self.rebalance(data)

    @precondition(lambda self: self.members)
    @rule(data=st.data())
    def expire(self, data: st.DataObject) -> None:
        """The coordinator drops a member that does not notice: it stops consuming, but will
        rejoin reporting its old partitions and generation (KAFKA-12984's stale state)."""
        name = data.draw(st.sampled_from(sorted(self.members)), label="member")
        member = self.members.pop(name)
        member.holding = frozenset()
        self.zombies[name] = member
        self.rebalance(data)

    @precondition(lambda self: self.zombies)
    @rule(data=st.data())
    def rejoin(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.zombies)), label="zombie")
        self.members[name] = self.zombies.pop(name)
        self.rebalance(data)

    @precondition(lambda self: self.members)
    @rule(data=st.data())
    def lose_generation(self, data: st.DataObject) -> None:
        """ILLEGAL_GENERATION resets a member's generation; its partitions are lost
        (``onPartitionsLost``) and it rejoins owning nothing (ConsumerCoordinator.onJoinPrepare)."""
        member = self.members[data.draw(st.sampled_from(sorted(self.members)), label="member")]
        member.generation = -1
        member.owned = ()
        member.holding = frozenset()
        self.rebalance(data)

    def _draw_topics(self, data: st.DataObject) -> tuple[TopicName, ...]:
        topics = data.draw(st.lists(st.sampled_from(sorted(self.topics)), min_size=1, unique=True))
        return tuple(topics)

    # --- one rebalance ------------------------------------------------------------------------

    def subscription(self, member: Member) -> Subscription:
        """The member's JoinGroup subscription, as its client builds it."""
        generation = -1 if self.old_clients else member.generation
        if self.strategy is AssignmentStrategy.STICKY:
            user_data = None
            if member.last_assignment is not None:
                remembered = None if self.old_clients else member.assignment_generation
                user_data = encode_sticky_user_data(member.last_assignment, remembered)
            return Subscription(
                topics=member.topics, user_data=user_data, generation_id=GenerationId(generation)
            )
        cooperative_data = None if self.old_clients else member.assignment_generation
        return Subscription(
            topics=member.topics,
            user_data=None
            if cooperative_data is None
            else encode_cooperative_user_data(cooperative_data),
            owned_partitions=member.owned if self.group_protocol == "cooperative" else (),
            generation_id=GenerationId(generation),
        )

    def rebalance(self, data: st.DataObject) -> None:
        """Run rounds until nobody revokes (eager: always one round)."""
        assignor = self.make_assignor()
        self.rounds, self.moments = [], []
        if self.group_protocol == "eager":
            for member in self.members.values():
                member.holding = frozenset()  # eager members revoke everything before joining
        for _ in range(MAX_ROUNDS):
            if not self.members:
                return
            subscriptions = {MemberId(m): self.subscription(i) for m, i in self.members.items()}
            result = assignor(self.topics, subscriptions)
            self.generation += 1
            view = view_of(
                self.strategy, self.topics, subscriptions, result, protocol=self.group_protocol
            )
            self.rounds.append(view)
            revoked = self.apply(data, result, view)
            if self.group_protocol == "eager" or not revoked:
                return

    def apply(
        self,
        data: st.DataObject,
        result: Mapping[MemberId, Sequence[TopicPartition]],
        view: RebalanceView,
    ) -> bool:
        """Members take their new assignments one by one; True if anyone revoked something."""
        order = data.draw(st.permutations(sorted(self.members)), label="sync order")
        revoked = False
        for name in order:
            member = self.members[name]
            assigned = tuple(result[MemberId(name)])
            revoked |= bool(set(member.owned) - set(assigned))
            member.owned = assigned
            member.holding = frozenset(assigned)
            member.generation = self.generation
            member.last_assignment = assigned
            member.assignment_generation = self.generation
            self.moments.append(
                RebalanceView(
                    strategy=view.strategy,
                    protocol=view.protocol,
                    partitions_per_topic=view.partitions_per_topic,
                    members=view.members,
                    assignment=view.assignment,
                    holding={m: frozenset(i.holding) for m, i in self.members.items()},
                )
            )
        return revoked

    # --- the specs ----------------------------------------------------------------------------

    @invariant()
    def assign_1_validity(self) -> None:
        for view in self.rounds:
            check("ASSIGN-1", validity(view))

    @invariant()
    def assign_2_balance(self) -> None:
        for view in self.rounds:
            check("ASSIGN-2", balance(view))

    @invariant()
    def assign_3_stickiness(self) -> None:
        for view in self.rounds:
            check("ASSIGN-3", stickiness(view))

    @invariant()
    def assign_4_no_double_owner(self) -> None:
        for view in self.rounds + self.moments:
            check("ASSIGN-4", cooperative_safety(view))

    @invariant()
    def assign_5_convergence(self) -> None:
        if self.group_protocol == "cooperative" and self.rounds:
            check("ASSIGN-5", cooperative_convergence(self.rounds))

    @invariant()
    def assign_6_range_layout(self) -> None:
        for view in self.rounds:
            check("ASSIGN-6", range_layout(view))


def machine_for(
    strategy: AssignmentStrategy,
    *,
    assignor: Assignor | None = None,
    protocol: str | None = None,
    old_clients: bool | None = None,
    name: str | None = None,
) -> type[RebalanceMachine]:
    """A :class:`RebalanceMachine` subclass for ``strategy`` (optionally a broken assignor,
    another protocol, or a group of only old or only new clients)."""
    namespace: dict[str, object] = {
        "strategy": strategy,
        "protocol": protocol,
        "old_clients_only": old_clients,
    }
    if assignor is not None:
        namespace["make_assignor"] = lambda self: assignor
    return type(
        name or f"{strategy.name.title().replace('_', '')}Rebalances",
        (RebalanceMachine,),
        namespace,
    )


RangeRebalances = machine_for(AssignmentStrategy.RANGE)
RoundRobinRebalances = machine_for(AssignmentStrategy.ROUND_ROBIN)
StickyRebalances = machine_for(AssignmentStrategy.STICKY)
CooperativeStickyRebalances = machine_for(AssignmentStrategy.COOPERATIVE_STICKY)

TestRangeRebalances = RangeRebalances.TestCase
TestRoundRobinRebalances = RoundRobinRebalances.TestCase
TestStickyRebalances = StickyRebalances.TestCase
TestCooperativeStickyRebalances = CooperativeStickyRebalances.TestCase
