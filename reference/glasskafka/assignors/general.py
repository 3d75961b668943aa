"""The sticky assignors' general builder: members subscribe to different topics.

Theory of operation
-------------------
With unequal subscriptions there is no closed form for a balanced assignment, so
``AbstractStickyAssignor.GeneralAssignmentBuilder`` works greedily, balance first and stickiness
second (``reference/clients-and-groups.md`` §5.4; KIP-54):

1. **Previous owners.**  For members whose generation is below the largest seen (no generation
   counts as -1), remember each partition they claimed with the highest such generation: if the
   builder must move a partition later, it prefers to send it back there.
2. **Keep.**  Each member keeps its validated claims, except on topics it no longer subscribes to
   (dropping those sets ``revocation_required``).
3. **Assign the rest.**  Topics are ranked by how many members could take them (fewest first,
   then name); every partition nobody holds goes to the emptiest member subscribed to its topic
   (fewest partitions, then member id).
4. **Set aside** topics that only one member can take, and members that already hold everything
   they could, with nothing from a shared topic: no move can involve them.
5. **Rebalance.**  Walk the partitions (first only the ones assigned in step 3, unless a
   revocation is already needed; then all), repeating until a pass moves nothing, stopping as soon
   as the assignment is *balanced*: sizes differ by at most one, or no member could take a
   partition of one of its topics from a member holding at least two more.  A partition moves
   back to its previous owner if that owner holds at least two fewer; otherwise to the emptiest
   member of its topic if some member of its topic holds at least two fewer.  Moves go through
   :class:`~glasskafka.assignors.movements.PartitionMovements`, which turns a move that would
   reverse an earlier one into undoing the earlier one.
6. **Keep only improvements.**  Unless everything started empty, if the moves did not strictly
   lower the balance score (sum over pairs of members of their size difference), the assignment
   from before step 5 is restored.

Spec IDs: ASSIGN-1 (exactly once), ASSIGN-2 (Kafka's balance notion), ASSIGN-3 (kept claims,
no two-way moves).

Simplified from Kafka: the rack-aware passes of KIP-881 are left out.  One deliberate
difference: glasskafka sends a partition back to its previous owner only if that owner still
subscribes to the partition's topic.  Kafka checks only the sizes, so a member with a stale
generation whose old claims include a topic it has since dropped can be handed a partition of that
topic (breaking ASSIGN-1), and if step 4 set that member aside, Kafka's Java throws a
NullPointerException instead of assigning.  Both cases need a stale claim on an unsubscribed topic;
every other input gives Kafka's exact output.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from glasskafka.assignors.java_order import java_string_key
from glasskafka.assignors.movements import PartitionMovements
from glasskafka.assignors.subscription import MemberData
from glasskafka.ids import MemberId, PartitionId, TopicName, TopicPartition

__all__ = ["build_general"]

_DEFAULT_GENERATION = -1


@dataclass(frozen=True, slots=True)
class _PreviousOwner:
    member: MemberId
    generation: int


class _MembersBySize:
    """Kafka's ``TreeSet`` of members ordered by (partitions held, member id).

    A member must be removed before its list changes and added back afterwards, exactly as the
    Java code does, so the stored keys stay true.
    """

    def __init__(self, sizes: Mapping[MemberId, list[TopicPartition]]) -> None:
        self._lists = sizes
        self._entries: list[tuple[int, bytes, MemberId]] = []
        self._keys: dict[MemberId, tuple[int, bytes, MemberId]] = {}

    def add(self, member: MemberId) -> None:
        entry = (len(self._lists[member]), java_string_key(member), member)
        self._keys[member] = entry
        bisect.insort(self._entries, entry)

    def remove(self, member: MemberId) -> None:
        entry = self._keys.pop(member)
        del self._entries[bisect.bisect_left(self._entries, entry)]

    def first(self) -> MemberId:
        return self._entries[0][2]

    def last(self) -> MemberId:
        return self._entries[-1][2]

    def in_order(self) -> list[MemberId]:
        return [entry[2] for entry in self._entries]


class _GeneralBuilder:
    """The builder's working state; one instance per call, discarded afterwards."""

    def __init__(
        self,
        partitions_per_topic: Mapping[TopicName, int],
        members: Sequence[MemberId],
        topics_of: Mapping[MemberId, tuple[TopicName, ...]],
        owned: Mapping[MemberId, list[TopicPartition]],
    ) -> None:
        self.partitions_per_topic = partitions_per_topic
        self.potential_members: dict[TopicName, list[MemberId]] = {
            t: [] for t in partitions_per_topic
        }
        self.potential_topics: dict[MemberId, list[TopicName]] = {}
        for member in members:
            mine = [t for t in topics_of[member] if t in partitions_per_topic]
            self.potential_topics[member] = mine
            for topic in mine:
                self.potential_members[topic].append(member)
        self.current: dict[MemberId, list[TopicPartition]] = {m: list(owned[m]) for m in members}
        self.holder: dict[TopicPartition, MemberId] = {
            tp: m for m in members for tp in self.current[m]
        }
        ranked = sorted(
            partitions_per_topic,
            key=lambda t: (len(self.potential_members[t]), java_string_key(t)),
        )
        self.sorted_all = [
            (t, PartitionId(p)) for t in ranked for p in range(partitions_per_topic[t])
        ]
        self.by_size = _MembersBySize(self.current)
        self.movements = PartitionMovements()
        self.revocation_required = False

    # --- steps 2 and 3 ------------------------------------------------------------------------

    def keep_owned(self) -> list[TopicPartition]:
        """Step 2: drop claims on topics a member no longer subscribes to; return what is kept."""
        kept: list[TopicPartition] = []
        for member, claims in self.current.items():
            still_mine = []
            for partition in claims:
                if partition[0] not in self.potential_topics[member]:
                    self.revocation_required = True
                else:
                    still_mine.append(partition)
            self.current[member] = still_mine
            kept += still_mine
        return kept

    def assign_unassigned(self, unassigned: list[TopicPartition]) -> None:
        """Step 3: each partition to the emptiest member that subscribes to its topic."""
        for partition in unassigned:
            if not self.potential_members[partition[0]]:
                continue
            for member in self.by_size.in_order():
                if partition[0] in self.potential_topics[member]:
                    self.by_size.remove(member)
                    self.current[member].append(partition)
                    self.holder[partition] = member
                    self.by_size.add(member)
                    break

    # --- balance ------------------------------------------------------------------------------

    def max_assignment_size(self, member: MemberId) -> int:
        return sum(self.partitions_per_topic[t] for t in self.potential_topics[member])

    def is_balanced(self) -> bool:
        """Kafka's ``isBalanced``: sizes within one, or no profitable single move exists."""
        smallest = len(self.current[self.by_size.first()])
        largest = len(self.current[self.by_size.last()])
        if smallest >= largest - 1:
            return True
        holders = {tp: m for m, partitions in self.current.items() for tp in partitions}
        for member in self.by_size.in_order():
            size = len(self.current[member])
            if size == self.max_assignment_size(member):
                continue
            mine = set(self.current[member])
            for topic in self.potential_topics[member]:
                for number in range(self.partitions_per_topic[topic]):
                    partition = (topic, PartitionId(number))
                    other = holders.get(partition)
                    if partition in mine or other is None:
                        continue
                    if size + 1 < len(self.current[other]):
                        return False
        return True

    def can_participate(self, member: MemberId) -> bool:
        """Whether some move could involve ``member`` (Kafka's canConsumerParticipate...)."""
        if len(self.current[member]) < self.max_assignment_size(member):
            return True
        return any(len(self.potential_members[t]) >= 2 for t, _ in self.current[member])

    def reassign(self, partition: TopicPartition, new: MemberId) -> None:
        """Move ``partition`` (or the earlier move it would reverse) to ``new``."""
        to_move = self.movements.partition_to_move(partition, self.holder[partition], new)
        old = self.holder[to_move]
        self.by_size.remove(old)
        self.by_size.remove(new)
        self.movements.move(to_move, old, new)
        if to_move in self.current[old]:
            # Java's List.remove(Object) quietly does nothing when the element is absent; with
            # valid input it is always present, but under the bug flag assign_partition_twice a
            # partition sits in two members' lists and the bookkeeping can disagree.
            self.current[old].remove(to_move)
        self.current[new].append(to_move)
        self.holder[to_move] = new
        self.by_size.add(new)
        self.by_size.add(old)

    def emptiest_for(self, topic: TopicName) -> MemberId:
        return next(m for m in self.by_size.in_order() if topic in self.potential_topics[m])

    def perform_reassignments(
        self, partitions: list[TopicPartition], previous: Mapping[TopicPartition, _PreviousOwner]
    ) -> bool:
        """Step 5 over ``partitions``: passes until one moves nothing.  True if anything moved."""
        performed = False
        modified = True
        while modified:
            modified = False
            for partition in partitions:
                if self.is_balanced():
                    break
                holder_size = len(self.current[self.holder[partition]])
                back = previous.get(partition)
                if (
                    back is not None
                    and back.member in self.current
                    and partition[0] in self.potential_topics[back.member]
                    and holder_size > len(self.current[back.member]) + 1
                ):
                    self.reassign(partition, back.member)
                    performed = modified = True
                    continue
                for other in self.potential_members[partition[0]]:
                    if holder_size > len(self.current[other]) + 1:
                        self.reassign(partition, self.emptiest_for(partition[0]))
                        performed = modified = True
                        break
        return performed

    def balance(
        self, previous: Mapping[TopicPartition, _PreviousOwner], unassigned: list[TopicPartition]
    ) -> None:
        """Steps 3 to 6."""
        initializing = not self.current[self.by_size.last()]
        self.assign_unassigned(unassigned)
        shared = {t for t, members in self.potential_members.items() if len(members) >= 2}
        reassignable = [tp for tp in self.sorted_all if tp[0] in shared]
        newly_assigned = [tp for tp in unassigned if tp[0] in shared]
        set_aside: dict[MemberId, list[TopicPartition]] = {}
        for member in self.potential_topics:
            if not self.can_participate(member):
                self.by_size.remove(member)
                set_aside[member] = self.current.pop(member)
        before = {m: list(partitions) for m, partitions in self.current.items()}
        holders_before = dict(self.holder)
        if not self.revocation_required:
            self.perform_reassignments(newly_assigned, previous)
        moved = self.perform_reassignments(reassignable, previous)
        if not initializing and moved and _score(self.current) >= _score(before):
            self.current = before
            self.holder = holders_before
        self.current.update(set_aside)


def _score(assignment: Mapping[MemberId, list[TopicPartition]]) -> int:
    """Kafka's balance score: the sum over member pairs of their size difference (0 is best)."""
    sizes = sorted(len(partitions) for partitions in assignment.values())
    return sum(sizes[j] - sizes[i] for i in range(len(sizes)) for j in range(i + 1, len(sizes)))


def _previous_owners(
    members: Sequence[MemberId], member_data: Mapping[MemberId, MemberData], max_generation: int
) -> dict[TopicPartition, _PreviousOwner]:
    """Step 1: partitions claimed in an older generation, by their newest older claimant."""
    previous: dict[TopicPartition, _PreviousOwner] = {}
    for member in members:
        data = member_data[member]
        if data.generation is not None and data.generation < max_generation:
            generation = data.generation
        elif data.generation is None and max_generation > _DEFAULT_GENERATION:
            generation = _DEFAULT_GENERATION
        else:
            continue
        for partition in data.partitions:
            known = previous.get(partition)
            if known is None or generation > known.generation:
                previous[partition] = _PreviousOwner(member, generation)
    return previous


def build_general(
    partitions_per_topic: Mapping[TopicName, int],
    members: Sequence[MemberId],
    topics_of: Mapping[MemberId, tuple[TopicName, ...]],
    member_data: Mapping[MemberId, MemberData],
    owned: Mapping[MemberId, list[TopicPartition]],
    max_generation: int,
) -> dict[MemberId, list[TopicPartition]]:
    """Run the general builder over validated claims (``members`` in ``HashMap`` order).

    Returns the assignment in Kafka's list order (kept claims first, then additions in the order
    they happened).  Invariants: ASSIGN-1, ASSIGN-2, ASSIGN-3.
    """
    builder = _GeneralBuilder(partitions_per_topic, members, topics_of, owned)
    previous = _previous_owners(members, member_data, max_generation)
    kept = set(builder.keep_owned())
    unassigned = [tp for tp in builder.sorted_all if tp not in kept]
    for member in members:
        builder.by_size.add(member)
    builder.balance(previous, unassigned)
    return builder.current
