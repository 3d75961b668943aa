"""Assignment: what a consumer group's partition assignment must satisfy (ASSIGN-1 .. ASSIGN-6).

Specification
-------------
A consumer group divides the partitions of the topics its members subscribe to among those
members.  The group leader computes the division with an assignor (range, round-robin, sticky or
cooperative-sticky) from each member's subscription: its topics, and - for the sticky family -
the partitions it owned going into the rebalance and the generation it owned them in.

**Validity (ASSIGN-1).**  Every member gets an entry.  A partition is given to at most one
member, only to a member subscribed to its topic, and only if it exists.  Every partition of a
subscribed topic is given to someone - except that in a cooperative rebalance a partition some
member owned going in may stay unassigned for one round while its owner revokes it.

**Balance (ASSIGN-2).**  Each assignor promises its own kind.  Range: per topic, the topic's
subscribers' shares differ by at most one.  Round-robin: with identical subscriptions, members'
totals differ by at most one.  Sticky family: with identical subscriptions, totals differ by at
most one; in general, no member could take a partition of a topic it subscribes to from a member
holding at least two more (Kafka's ``isBalanced``), and - as Kafka's tests check - two members
whose totals differ by two or more share no assigned topic.  A cooperative round that still
revokes something is a half-step and is judged by ASSIGN-5 instead.

**Stickiness (ASSIGN-3, sticky family).**  Count only *valid* claims: partitions that exist, that
their claimant still subscribes to, and that no other member claims.  (a) No topic sees a valid
claim move from A to B and another from B to A (Kafka's ``isSticky``).  (b) With identical
subscriptions over N members and P partitions, a member whose claims are all valid keeps at
least min(its claims, P // N) of them.  (c) If the claims are all valid, cover every partition
and are already balanced, nothing moves.

**Cooperative safety (ASSIGN-4).**  Under the cooperative protocol no partition is added to one
member in the same rebalance in which it is revoked from another; and, whatever the protocol, at
no moment do two members consume the same partition (checked on the ownership the test observes
while members apply their new assignments one by one).

**Cooperative convergence (ASSIGN-5).**  Feeding each cooperative result back as the owned
partitions, the group stops revoking within four follow-up rebalances, and that last round
assigns every partition (Kafka's ``CooperativeStickyAssignorTest``).

**Range layout (ASSIGN-6).**  Range gives each topic's subscribers, in member order (static
members first by ``group.instance.id``, then by member id, compared as Java compares strings),
consecutive runs of partitions from 0; the first ``count % subscribers`` get one extra.

The snapshot types are plain data: topics and member ids are strings, partitions are
``(topic, number)`` pairs.  Source: ``reference/clients-and-groups.md`` §3-7 (properties P-1 to
P-10).

Spec IDs: ASSIGN-1 .. ASSIGN-6 (this module defines them).

Simplified from Kafka: Kafka states these properties only as assertions scattered over its
assignor tests (``AbstractStickyAssignorTest.verifyValidityAndBalance``, ``isSticky``,
``CooperativeStickyAssignorTest``); here each is one named predicate over plain data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from specs.catalogue import spec

__all__ = [
    "MemberView",
    "Partition",
    "RebalanceView",
    "balance",
    "cooperative_convergence",
    "cooperative_safety",
    "range_layout",
    "stickiness",
    "validity",
]

Partition = tuple[str, int]

STICKY_FAMILY = ("sticky", "cooperative-sticky")


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberView:
    """One member as the leader saw it: topics, what it claimed to own, its generation."""

    topics: frozenset[str]
    owned: tuple[Partition, ...] = ()
    generation: int = -1
    group_instance_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceView:
    """One rebalance: its inputs, the assignment, and (optionally) observed ownership.

    ``holding`` is ghost state kept by the test: what each member actually consumes at the moment
    of the snapshot (members not yet applying the new assignment hold their old partitions).
    """

    strategy: str
    protocol: str
    partitions_per_topic: Mapping[str, int]
    members: Mapping[str, MemberView]
    assignment: Mapping[str, Sequence[Partition]]
    holding: Mapping[str, frozenset[Partition]] | None = None


# --- helpers ---------------------------------------------------------------------------------


def _subscribed_partitions(view: RebalanceView) -> list[Partition]:
    topics = {t for member in view.members.values() for t in member.topics}
    return [
        (topic, number)
        for topic in sorted(topics)
        for number in range(view.partitions_per_topic.get(topic, 0))
    ]


def _exists(view: RebalanceView, partition: Partition) -> bool:
    return 0 <= partition[1] < view.partitions_per_topic.get(partition[0], 0)


def _revoked(view: RebalanceView) -> set[Partition]:
    revoked: set[Partition] = set()
    for member, info in view.members.items():
        revoked.update(set(info.owned) - set(view.assignment.get(member, ())))
    return revoked


def _identical_subscriptions(view: RebalanceView) -> bool:
    return len({member.topics for member in view.members.values()}) <= 1


def _java_key(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def _valid_claims(view: RebalanceView) -> dict[str, set[Partition]]:
    claimants: Counter[Partition] = Counter()
    for info in view.members.values():
        claimants.update(set(info.owned))
    return {
        member: {
            tp
            for tp in info.owned
            if _exists(view, tp) and tp[0] in info.topics and claimants[tp] == 1
        }
        for member, info in view.members.items()
    }


def _kafka_is_balanced(
    view: RebalanceView, assignment: Mapping[str, Sequence[Partition]]
) -> list[str]:
    """Kafka's ``isBalanced``: who could take a partition from someone with two or more extra."""
    holder = {tp: member for member, tps in assignment.items() for tp in tps}
    sizes = {member: len(tps) for member, tps in assignment.items()}
    found = []
    for member, info in view.members.items():
        topics = sorted(t for t in info.topics if view.partitions_per_topic.get(t, 0) > 0)
        if sizes[member] == sum(view.partitions_per_topic[t] for t in topics):
            continue
        for topic in topics:
            for number in range(view.partitions_per_topic[topic]):
                other = holder.get((topic, number))
                if other is not None and other != member and sizes[member] + 1 < sizes[other]:
                    found.append(
                        f"{member} ({sizes[member]}) could take {topic}-{number} "
                        f"from {other} ({sizes[other]})"
                    )
                    break
    return found


# --- ASSIGN-1 --------------------------------------------------------------------------------


@spec("ASSIGN-1", "Each partition assigned exactly once, to a subscriber")
def validity(view: RebalanceView) -> list[str]:
    """Every member has an entry; each partition goes to at most one member, exists, and is of a
    topic that member subscribes to; every partition of a subscribed topic is assigned, except
    that a cooperative rebalance may leave out a partition some member owned going in."""
    violations = []
    if set(view.assignment) != set(view.members):
        missing = sorted(set(view.members) - set(view.assignment))
        strangers = sorted(set(view.assignment) - set(view.members))
        violations.append(
            f"members without an entry {missing}, entries for non-members {strangers}"
        )
    owners: defaultdict[Partition, list[str]] = defaultdict(list)
    for member, partitions in sorted(view.assignment.items()):
        for tp in partitions:
            owners[tp].append(member)
            if not _exists(view, tp):
                violations.append(f"{member} was given {tp[0]}-{tp[1]}, which does not exist")
            elif member in view.members and tp[0] not in view.members[member].topics:
                violations.append(f"{member} was given {tp[0]}-{tp[1]} but does not subscribe")
    for tp, members in sorted(owners.items()):
        if len(members) > 1:
            violations.append(f"{tp[0]}-{tp[1]} was given to {len(members)} members: {members}")
    claimed = {tp for info in view.members.values() for tp in info.owned}
    for tp in _subscribed_partitions(view):
        if tp not in owners and not (view.protocol == "cooperative" and tp in claimed):
            violations.append(f"{tp[0]}-{tp[1]} was assigned to nobody")
    return violations


# --- ASSIGN-2 --------------------------------------------------------------------------------


@spec("ASSIGN-2", "Each assignor's balance")
def balance(view: RebalanceView) -> list[str]:
    """Range: per topic, subscribers' shares differ by at most one.  Round-robin: with identical
    subscriptions, totals differ by at most one.  Sticky family (in a round that revokes
    nothing): with identical subscriptions totals differ by at most one; otherwise no member could
    take a partition of its topics from a member holding two or more extra, and two members
    whose totals differ by two or more share no assigned topic."""
    sizes = {member: len(tps) for member, tps in view.assignment.items()}
    violations: list[str] = []
    if view.strategy == "range":
        for topic, count in sorted(view.partitions_per_topic.items()):
            share = Counter({m: 0 for m, i in view.members.items() if topic in i.topics})
            share.update(m for m, tps in view.assignment.items() for t, _ in tps if t == topic)
            if share and count and max(share.values()) - min(share.values()) > 1:
                violations.append(f"{topic}: shares {dict(sorted(share.items()))} differ by > 1")
        return violations
    if view.strategy in STICKY_FAMILY and view.protocol == "cooperative" and _revoked(view):
        return []
    if _identical_subscriptions(view) and sizes and max(sizes.values()) - min(sizes.values()) > 1:
        violations.append(f"identical subscriptions but totals {dict(sorted(sizes.items()))}")
    if view.strategy in STICKY_FAMILY:
        violations += _kafka_is_balanced(view, view.assignment)
        members = sorted(view.assignment)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                shared = {t for t, _ in view.assignment[a]} & {t for t, _ in view.assignment[b]}
                if abs(sizes[a] - sizes[b]) >= 2 and shared:
                    violations.append(
                        f"{a} ({sizes[a]}) and {b} ({sizes[b]}) share topics {sorted(shared)}"
                    )
    return violations


# --- ASSIGN-3 --------------------------------------------------------------------------------


@spec("ASSIGN-3", "Sticky assignors keep valid claims")
def stickiness(view: RebalanceView) -> list[str]:
    """Over valid claims (existing, still subscribed, claimed by one member): no topic sees moves
    both ways between two members; with identical subscriptions a member whose claims are all
    valid keeps at least min(claims, P // N); and if all claims are valid, cover every partition
    and are balanced, nothing moves."""
    if view.strategy not in STICKY_FAMILY or not view.members:
        return []
    valid = _valid_claims(view)
    assigned = {m: set(tps) for m, tps in view.assignment.items()}
    holder = {tp: m for m, tps in view.assignment.items() for tp in tps}
    violations = []
    moves: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    for member, claims in valid.items():
        for tp in claims:
            if tp in holder and holder[tp] != member:
                moves[tp[0]].add((member, holder[tp]))
    for topic, pairs in sorted(moves.items()):
        for a, b in sorted(pairs):
            if a < b and (b, a) in pairs:
                violations.append(f"{topic}: partitions moved both ways between {a} and {b}")
    every = _subscribed_partitions(view)
    if _identical_subscriptions(view):
        quota = len(every) // len(view.members)
        for member, claims in sorted(valid.items()):
            if not _clean(view, member, claims):
                continue  # a member that also won contested claims may keep those instead
            kept = len(claims & assigned.get(member, set()))
            if kept < min(len(claims), quota):
                violations.append(
                    f"{member} kept {kept} of {len(claims)} valid claims (quota {quota})"
                )
    all_valid = all(len(valid[m]) == len(i.owned) for m, i in view.members.items())
    covered = {tp for claims in valid.values() for tp in claims} == set(every)
    if all_valid and covered and _claims_balanced(view, valid, len(every)):
        for member, claims in sorted(valid.items()):
            if assigned.get(member, set()) != claims:
                violations.append(f"{member}'s claims were complete and balanced, yet changed")
    return violations


def _clean(view: RebalanceView, member: str, claims: set[Partition]) -> bool:
    """Whether every existing claim of ``member`` is valid and listed once."""
    existing = [tp for tp in view.members[member].owned if _exists(view, tp)]
    return len(existing) == len(claims)


def _claims_balanced(view: RebalanceView, valid: Mapping[str, set[Partition]], total: int) -> bool:
    if _identical_subscriptions(view):
        low, high = total // len(valid), -(-total // len(valid))
        return all(low <= len(claims) <= high for claims in valid.values())
    return not _kafka_is_balanced(view, {m: sorted(c) for m, c in valid.items()})


# --- ASSIGN-4 --------------------------------------------------------------------------------


@spec("ASSIGN-4", "No partition owned by two members at once")
def cooperative_safety(view: RebalanceView) -> list[str]:
    """Under the cooperative protocol no partition is added to a member in the same rebalance in
    which another member revokes it; and at no observed moment do two members hold the same
    partition."""
    violations = []
    if view.protocol == "cooperative":
        added: dict[Partition, str] = {}
        for member, tps in view.assignment.items():
            owned = set(view.members[member].owned) if member in view.members else set()
            added.update({tp: member for tp in tps if tp not in owned})
        for tp in sorted(set(added) & _revoked(view)):
            violations.append(f"{tp[0]}-{tp[1]} added to {added[tp]} while still being revoked")
    if view.holding is not None:
        seen: dict[Partition, str] = {}
        for member, held in sorted(view.holding.items()):
            for tp in sorted(held):
                if tp in seen:
                    violations.append(f"{tp[0]}-{tp[1]} held by {seen[tp]} and {member} at once")
                seen[tp] = member
    return violations


# --- ASSIGN-5 --------------------------------------------------------------------------------

MAX_FOLLOW_UPS = 4


@spec("ASSIGN-5", "Cooperative rebalancing converges", kind="transition")
def cooperative_convergence(rounds: Sequence[RebalanceView]) -> list[str]:
    """In a chain of cooperative rebalances, each fed the previous result as owned partitions,
    some round among the first and four follow-ups revokes nothing, and that round assigns every
    subscribed partition."""
    for index, view in enumerate(rounds[: MAX_FOLLOW_UPS + 1]):
        if not _revoked(view):
            unassigned = set(_subscribed_partitions(view)) - {
                tp for tps in view.assignment.values() for tp in tps
            }
            if unassigned:
                return [f"round {index} revokes nothing but leaves {sorted(unassigned)} unassigned"]
            return []
    return [f"still revoking after {min(len(rounds), MAX_FOLLOW_UPS + 1)} rounds"]


# --- ASSIGN-6 --------------------------------------------------------------------------------


@spec("ASSIGN-6", "Range: consecutive runs in member order")
def range_layout(view: RebalanceView) -> list[str]:
    """Range gives each topic's subscribers, in member order (static members by instance id
    first, then by member id), consecutive runs of partitions from 0, the first count % n of
    them one longer."""
    if view.strategy != "range":
        return []

    def order(member: str) -> tuple[int, bytes]:
        instance = view.members[member].group_instance_id
        return (0, _java_key(instance)) if instance is not None else (1, _java_key(member))

    violations = []
    for topic, count in sorted(view.partitions_per_topic.items()):
        subscribers = sorted((m for m, i in view.members.items() if topic in i.topics), key=order)
        if not subscribers or count <= 0:
            continue
        start = 0
        for index, member in enumerate(subscribers):
            length = count // len(subscribers) + (1 if index < count % len(subscribers) else 0)
            expected = [(topic, n) for n in range(start, start + length)]
            got = sorted(tp for tp in view.assignment.get(member, ()) if tp[0] == topic)
            if got != expected:
                violations.append(f"{topic}: {member} got {got}, range gives {expected}")
            start += length
    return violations
