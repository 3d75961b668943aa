"""The sticky (``"sticky"``) and cooperative-sticky (``"cooperative-sticky"``) assignors.

Theory of operation
-------------------
Both assignors run one algorithm, ``AbstractStickyAssignor`` (``reference/clients-and-groups.md``
§5): balance first, then move as few partitions as possible.  A call goes through four steps:

1. Read each member's past: :func:`~glasskafka.assignors.user_data.sticky_member_data` for
   StickyAssignor, :func:`~glasskafka.assignors.user_data.cooperative_member_data` for the
   cooperative one.
2. Validate the claims and see whether all subscriptions are equal (``claims.py``), visiting
   members in Java ``HashMap`` order.
3. Build: the constrained builder for equal subscriptions (``constrained.py``), else the general
   one (``general.py``).
4. Cooperative only - **the two-phase rule** (KIP-429).  A partition that changes hands must
   first be given up: in this rebalance it is assigned to *nobody*.  Its old owner sees it missing
   from its new assignment, revokes it (``onPartitionsRevoked``) and rejoins; in the follow-up
   rebalance nobody owns it any more and it goes to its new owner.  So within one rebalance no
   partition is both added to one member and revoked from another (ASSIGN-4).  The partitions
   removed are the builder's *transferring* set: the constrained builder tracks it; for the
   general builder it is every partition added to one member and removed from another, relative
   to the members' ``owned_partitions`` (``CooperativeStickyAssignor.java``).

StickyAssignor is eager: members revoke everything before joining, and stickiness only saves them
re-initialising state for partitions that come back.  Cooperative-sticky members keep consuming
the partitions that stay, which is the point of KIP-429.

The functions are pure.  Kafka's assignor object remembers the largest generation it has seen
across calls; here that is the ``previous_max_generation`` argument and the ``max_generation``
field of the result.

Spec IDs: ASSIGN-1, ASSIGN-2, ASSIGN-3, ASSIGN-4, ASSIGN-5.

Simplified from Kafka: a member's topic list is treated as a set (Kafka's client never sends a
topic twice).  Three deliberate differences keep ASSIGN-1 and ASSIGN-4 true where Kafka's Java
breaks them, each only for inputs with stale or conflicting claims: ``claims.py`` and
``general.py`` describe two; the third is here - after the general builder, a partition counts
as *added* to a member unless that member's claim on it survived validation, so a partition
handed back to a stale claimant is held back for a round (:func:`_added_and_revoked`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from glasskafka.assignors.claims import validate_claims
from glasskafka.assignors.constrained import build_constrained
from glasskafka.assignors.general import build_general
from glasskafka.assignors.java_order import hash_map_order, java_string_hash
from glasskafka.assignors.subscription import (
    MemberData,
    Subscription,
    assignable_topics,
    sorted_assignment,
)
from glasskafka.assignors.user_data import cooperative_member_data, sticky_member_data
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.ids import MemberId, TopicName, TopicPartition

__all__ = [
    "Builder",
    "StickyOutcome",
    "assign_cooperative_sticky",
    "assign_sticky",
    "cooperative_sticky_outcome",
    "sticky_outcome",
]


class Builder(enum.Enum):
    """Which of the two sticky builders produced an assignment."""

    CONSTRAINED = "constrained"
    GENERAL = "general"


@dataclass(frozen=True, slots=True, kw_only=True)
class StickyOutcome:
    """Everything a sticky assignor run decides, in Kafka's list order.

    ``assignment`` lists each member's partitions as Kafka's Java returns them (kept claims
    first).  ``transferring`` maps each partition changing hands to its new owner; plain
    StickyAssignor reports it only for the constrained builder (Kafka returns null otherwise).
    """

    assignment: Mapping[MemberId, tuple[TopicPartition, ...]]
    transferring: Mapping[TopicPartition, MemberId] | None
    builder: Builder
    max_generation: int


@dataclass(slots=True)
class _Built:
    """What a builder produced, before the cooperative adjustment."""

    assignment: dict[MemberId, list[TopicPartition]]
    transferring: dict[TopicPartition, MemberId] | None
    builder: Builder
    max_generation: int
    validated: Mapping[MemberId, list[TopicPartition]]


def _run(
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    read_member: Callable[[Subscription], MemberData],
    previous_max_generation: int,
    bugs: BugFlags,
) -> _Built:
    topics = assignable_topics(partitions_per_topic, subscriptions)
    if not subscriptions:
        return _Built({}, {}, Builder.CONSTRAINED, previous_max_generation, {})
    members = hash_map_order(list(subscriptions), java_string_hash)
    member_data = {member: read_member(subscriptions[member]) for member in members}
    claims = validate_claims(
        members,
        subscriptions,
        member_data,
        topics,
        previous_max_generation=previous_max_generation,
        bugs=bugs,
    )
    validated = {member: list(partitions) for member, partitions in claims.owned.items()}
    if claims.all_subscriptions_equal:
        assignment, transferring = build_constrained(topics, claims.owned, claims.multi_owner)
        return _Built(
            assignment, transferring, Builder.CONSTRAINED, claims.max_generation, validated
        )
    topics_of = {m: tuple(dict.fromkeys(subscriptions[m].topics)) for m in members}
    assignment = build_general(
        topics, members, topics_of, member_data, claims.owned, claims.max_generation
    )
    return _Built(assignment, None, Builder.GENERAL, claims.max_generation, validated)


def sticky_outcome(
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    *,
    previous_max_generation: int = -1,
    bugs: BugFlags = NO_BUGS,
) -> StickyOutcome:
    """Run StickyAssignor (eager), reading each member's past from its user data.

    ``subscriptions`` must be in the order the JoinGroup response listed the members (it decides
    the Java ``HashMap`` order only among members whose ids share a bucket).
    Invariants: ASSIGN-1, ASSIGN-2, ASSIGN-3.
    """
    built = _run(
        partitions_per_topic, subscriptions, sticky_member_data, previous_max_generation, bugs
    )
    return StickyOutcome(
        assignment={m: tuple(partitions) for m, partitions in built.assignment.items()},
        transferring=built.transferring,
        builder=built.builder,
        max_generation=built.max_generation,
    )


def cooperative_sticky_outcome(
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    *,
    previous_max_generation: int = -1,
    bugs: BugFlags = NO_BUGS,
) -> StickyOutcome:
    """Run CooperativeStickyAssignor: the sticky algorithm, then the two-phase rule.

    Partitions in ``transferring`` are left out of every member's list in this round.
    Invariants: ASSIGN-1, ASSIGN-2, ASSIGN-3, ASSIGN-4, ASSIGN-5.
    """
    built = _run(
        partitions_per_topic, subscriptions, cooperative_member_data, previous_max_generation, bugs
    )
    assignment, transferring = built.assignment, built.transferring
    if transferring is None:
        transferring = _added_and_revoked(subscriptions, built.validated, assignment)
    for partition, new_owner in transferring.items():
        # First revoke, then reassign in the follow-up rebalance (KIP-429).
        if partition in assignment[new_owner]:
            assignment[new_owner].remove(partition)
    return StickyOutcome(
        assignment={m: tuple(partitions) for m, partitions in assignment.items()},
        transferring=transferring,
        builder=built.builder,
        max_generation=built.max_generation,
    )


def _added_and_revoked(
    subscriptions: Mapping[MemberId, Subscription],
    validated: Mapping[MemberId, list[TopicPartition]],
    assignment: Mapping[MemberId, list[TopicPartition]],
) -> dict[TopicPartition, MemberId]:
    """Partitions newly added to some member while revoked from another, with the new owner.

    "Revoked" is measured against what members report owning; "added" against the claims that
    survived validation.  Kafka measures both against the reports, so a partition handed back to
    a member whose stale claim on it lost validation does not count as added, and it reaches that
    member while the rightful owner may still be consuming it.  glasskafka holds it back for one
    round instead (ASSIGN-4); the two differ only when claims conflict.
    """
    added: dict[TopicPartition, MemberId] = {}
    revoked: set[TopicPartition] = set()
    for member, partitions in assignment.items():
        kept = set(validated.get(member, ()))
        added.update({tp: member for tp in partitions if tp not in kept})
        revoked.update(set(subscriptions[member].owned_partitions).difference(partitions))
    return {tp: member for tp, member in added.items() if tp in revoked}


def assign_sticky(
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    *,
    bugs: BugFlags = NO_BUGS,
) -> dict[MemberId, list[TopicPartition]]:
    """StickyAssignor's assignment, each member's list sorted.  See :func:`sticky_outcome`."""
    outcome = sticky_outcome(partitions_per_topic, subscriptions, bugs=bugs)
    return sorted_assignment(outcome.assignment)


def assign_cooperative_sticky(
    partitions_per_topic: Mapping[TopicName, int],
    subscriptions: Mapping[MemberId, Subscription],
    *,
    bugs: BugFlags = NO_BUGS,
) -> dict[MemberId, list[TopicPartition]]:
    """CooperativeStickyAssignor's assignment, lists sorted.  See
    :func:`cooperative_sticky_outcome`."""
    outcome = cooperative_sticky_outcome(partitions_per_topic, subscriptions, bugs=bugs)
    return sorted_assignment(outcome.assignment)
