"""Validating what members claim to own, before a sticky assignor keeps anything.

Theory of operation
-------------------
A sticky assignor keeps partitions where they are, so it must first decide which ownership
claims to believe.  Claims can be wrong: a member that fell out of the group and did not notice
still reports its old partitions, and a member whose generation was reset after an error reports
partitions with no generation at all.  ``AbstractStickyAssignor.allSubscriptionsEqual`` runs this
check for both sticky assignors (``reference/clients-and-groups.md`` §5.2):

Members are visited in the Java ``HashMap`` order of their ids (§5.6).  For each claimed
partition whose topic still exists:

* nobody claimed it yet: the member keeps the claim;
* an earlier member claimed it in the **same** generation: nobody can tell who is right, so the
  partition is taken from the earlier claimant, not given to this one, and put in the
  *multi-owner set* (KAFKA-12984, apache/kafka PR #10985);
* this member's generation is **higher**: the claim moves to this member; **lower**: the earlier
  claimant keeps it.

As Kafka codes it, "this member's generation" comes from its member data (user data for
StickyAssignor) and "the earlier claimant's" from its ``Subscription.generation_id``.

While visiting, the check also notes whether every member subscribes to the same topics: if so,
the constrained builder runs (``constrained.py``), otherwise the general one (``general.py``).

The bug flag ``assign_partition_twice`` switches off the same-generation rule: both claimants
keep the partition, as before KAFKA-12984, and the builders then hand it to both of them.

Spec IDs: ASSIGN-1 (a partition goes to one member), ASSIGN-3 (which claims stickiness keeps).

Simplified from Kafka: two deliberate differences, both only for inputs Kafka's own client does
not produce.  Kafka fixes the reference topic set at the first member with a *non-empty*
subscription, so a member with no topics visited earlier passes as "identical" and the
constrained builder may give it partitions it never subscribed to; glasskafka compares against
the first member's set, empty or not.  Kafka checks only that a claimed partition's topic
exists; glasskafka also drops claims on partition numbers the topic does not have (possible only
after a topic was deleted and re-created smaller), which Kafka would assign back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from glasskafka.assignors.subscription import MemberData, Subscription
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.ids import MemberId, TopicName, TopicPartition

__all__ = ["ValidatedClaims", "validate_claims"]

_DEFAULT_GENERATION = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidatedClaims:
    """The outcome of claim validation.

    ``owned`` maps every member, in ``HashMap`` order, to the claims it keeps (in the order it
    listed them); ``multi_owner`` holds partitions claimed twice in one generation;
    ``max_generation`` is the largest generation seen, including earlier rounds.
    """

    all_subscriptions_equal: bool
    owned: dict[MemberId, list[TopicPartition]]
    multi_owner: frozenset[TopicPartition]
    max_generation: int


def validate_claims(
    members: Sequence[MemberId],
    subscriptions: Mapping[MemberId, Subscription],
    member_data: Mapping[MemberId, MemberData],
    partitions_per_topic: Mapping[TopicName, int],
    *,
    previous_max_generation: int = _DEFAULT_GENERATION,
    bugs: BugFlags = NO_BUGS,
) -> ValidatedClaims:
    """Resolve conflicting ownership claims and detect identical subscriptions.

    ``members`` must be in Java ``HashMap`` order; ``partitions_per_topic`` holds only the
    assignable topics.  Invariants: ASSIGN-1, ASSIGN-3.
    """
    reference_topics = frozenset(subscriptions[members[0]].topics) if members else frozenset()
    all_equal = True
    max_generation = previous_max_generation
    owned: dict[MemberId, list[TopicPartition]] = {}
    multi_owner: set[TopicPartition] = set()
    owner_of: dict[TopicPartition, MemberId] = {}
    for member in members:
        if frozenset(subscriptions[member].topics) != reference_topics:
            all_equal = False
        data = member_data[member]
        generation = _DEFAULT_GENERATION if data.generation is None else data.generation
        max_generation = max(max_generation, generation)
        owned[member] = []
        for partition in data.partitions:
            topic, number = partition
            if not 0 <= number < partitions_per_topic.get(topic, 0):
                continue
            other = owner_of.get(partition)
            if other is None:
                owned[member].append(partition)
                owner_of[partition] = member
                continue
            other_generation = subscriptions[other].generation
            if other_generation is None:
                other_generation = _DEFAULT_GENERATION
            if generation == other_generation:
                if bugs.assign_partition_twice:
                    # BUG assign_partition_twice: before KAFKA-12984 (apache/kafka PR #10985) a
                    # partition claimed twice in one generation stayed with both claimants.
                    owned[member].append(partition)
                    continue
                # Nobody can tell which claim is right: invalidate both (KAFKA-12984).
                multi_owner.add(partition)
                _remove_first(owned[other], partition)
                owner_of[partition] = member
            elif generation > other_generation:
                owned[member].append(partition)
                _remove_first(owned[other], partition)
                owner_of[partition] = member
    return ValidatedClaims(
        all_subscriptions_equal=all_equal,
        owned=owned,
        multi_owner=frozenset(multi_owner),
        max_generation=max_generation,
    )


def _remove_first(partitions: list[TopicPartition], partition: TopicPartition) -> None:
    # Java's List.remove(Object): the first occurrence, if any.
    if partition in partitions:
        partitions.remove(partition)
