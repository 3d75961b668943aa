"""The sticky assignors' constrained builder: every member subscribes to the same topics.

Theory of operation
-------------------
When subscriptions are identical, balance has a closed form: with ``N`` members and ``P``
partitions each member ends with ``min_quota = P // N`` or ``max_quota = ceil(P / N)``, and
exactly ``expected_max = P % N`` members end at ``max_quota``.  So the builder can keep as many
valid claims as the quotas allow and deal out the rest (``AbstractStickyAssignor.java``,
``ConstrainedAssignmentBuilder``; ``reference/clients-and-groups.md`` §5.3; KAFKA-9987):

1. **Keep.**  Members in Java ``HashMap`` order.  A member's claims, sorted by (partition, topic)
   and minus the multi-owner set: fewer than ``min_quota`` -> keep all, the member is
   *under min*; at least ``max_quota`` while fewer than ``expected_max`` members sit at
   ``max_quota`` -> keep ``max_quota``; otherwise keep ``min_quota`` (and if members at
   ``max_quota`` are still wanted, the member is *exactly min*, a candidate for one more).
   Claims not kept are *maybe revoked* from that member.  The ``HashMap`` order decides who keeps
   the extra partition when more members could than ``expected_max`` allows.
2. **Collect.**  Every partition not kept, in (topic, partition) order.
3. **Fill.**  Deal them round-robin over the under-min members (sorted by id); a member reaching
   ``min_quota`` moves to the exactly-min list; when no under-min member is left, the head of
   the exactly-min list takes one more and is done.
4. **Transfers.**  A partition dealt to a member is *transferring* when a different member had it
   (maybe revoked) or it was in the multi-owner set.  The cooperative assignor leaves those out
   for one round (``sticky.py``).

Spec IDs: ASSIGN-1 (exactly once), ASSIGN-2 (counts differ by at most one), ASSIGN-3 (every
member keeps at least ``min(claims, min_quota)`` of its claims).

Simplified from Kafka: the rack-aware round (KIP-881) between steps 2 and 3 is left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from glasskafka.assignors.java_order import java_string_key
from glasskafka.ids import MemberId, PartitionId, TopicName, TopicPartition

__all__ = ["ConstrainedResult", "build_constrained"]

ConstrainedResult = tuple[dict[MemberId, list[TopicPartition]], dict[TopicPartition, MemberId]]
"""(assignment in Kafka's list order, partitions transferring ownership -> new owner)."""


class _Builder:
    """The builder's working state; one instance per call, discarded afterwards."""

    def __init__(
        self,
        partitions_per_topic: Mapping[TopicName, int],
        owned: Mapping[MemberId, list[TopicPartition]],
        multi_owner: frozenset[TopicPartition],
    ) -> None:
        total = sum(partitions_per_topic.values())
        members = len(owned)
        self.partitions_per_topic = partitions_per_topic
        self.owned = owned
        self.multi_owner = multi_owner
        self.min_quota = total // members
        self.max_quota = -(-total // members)
        self.expected_max = total % members
        self.current_max = 0
        self.assignment: dict[MemberId, list[TopicPartition]] = {m: [] for m in owned}
        self.kept: set[TopicPartition] = set()
        self.maybe_revoked: dict[TopicPartition, MemberId] = {}
        self.under_min: list[MemberId] = []
        self.exactly_min: list[MemberId] = []
        self.transferring: dict[TopicPartition, MemberId] = {}

    def keep_owned(self) -> None:
        """Step 1, over members in the ``HashMap`` order that ``owned`` was built in."""
        for member, claims in self.owned.items():
            mine = sorted(claims, key=lambda tp: (tp[1], java_string_key(tp[0])))
            for doubly_claimed in self.multi_owner:
                if doubly_claimed in mine:
                    mine.remove(doubly_claimed)
            if len(mine) < self.min_quota:
                self._keep(member, mine, len(mine))
                self.under_min.append(member)
            elif len(mine) >= self.max_quota and self.current_max < self.expected_max:
                self.current_max += 1
                if self.current_max == self.expected_max:
                    self.exactly_min.clear()
                self._keep(member, mine, self.max_quota)
            else:
                self._keep(member, mine, self.min_quota)
                if self.current_max < self.expected_max:
                    self.exactly_min.append(member)

    def _keep(self, member: MemberId, claims: list[TopicPartition], how_many: int) -> None:
        self.assignment[member].extend(claims[:how_many])
        self.kept.update(claims[:how_many])
        for partition in claims[how_many:]:
            self.maybe_revoked[partition] = member

    def unassigned(self) -> list[TopicPartition]:
        """Step 2: every partition not kept, topics in name order, partitions ascending."""
        every = [
            (topic, PartitionId(number))
            for topic in sorted(self.partitions_per_topic, key=java_string_key)
            for number in range(self.partitions_per_topic[topic])
        ]
        return [partition for partition in every if partition not in self.kept]

    def fill(self, unassigned: list[TopicPartition]) -> None:
        """Step 3: round-robin over under-min members, then one more for exactly-min ones."""
        self.under_min.sort(key=java_string_key)
        self.exactly_min.sort(key=java_string_key)
        # `cursor` plays Java's iterator over the under-min list: the next index to visit.
        cursor = 0
        for partition in unassigned:
            if cursor < len(self.under_min):
                member = self.under_min[cursor]
                cursor += 1
                from_under_min = True
            elif self.under_min:
                member, cursor, from_under_min = self.under_min[0], 1, True
            else:
                assert self.exactly_min, "ASSIGN-1: partitions left but every member is full"
                member, from_under_min = self.exactly_min.pop(0), False
            count = self._deal(partition, member)
            if count == self.min_quota:
                assert from_under_min, "only an under-min member can reach min_quota"
                cursor -= 1
                del self.under_min[cursor]
                self.exactly_min.append(member)
            elif count == self.max_quota:
                self.current_max += 1

    def _deal(self, partition: TopicPartition, member: MemberId) -> int:
        self.assignment[member].append(partition)
        previous = self.maybe_revoked.get(partition)
        if (previous is not None and previous != member) or partition in self.multi_owner:
            self.transferring[partition] = member
        return len(self.assignment[member])

    def verify(self) -> None:
        """Kafka's ``verifyUnfilledMembers``: whoever is still under min must sit at min_quota."""
        if self.under_min:
            assert self.current_max == self.expected_max, "ASSIGN-2: too few members at max"
            for member in self.under_min:
                assert len(self.assignment[member]) == self.min_quota, f"ASSIGN-2: {member} short"


def build_constrained(
    partitions_per_topic: Mapping[TopicName, int],
    owned: Mapping[MemberId, list[TopicPartition]],
    multi_owner: frozenset[TopicPartition],
) -> ConstrainedResult:
    """Run the constrained builder over validated claims (members in ``HashMap`` order).

    Requires at least one member.  Returns the assignment (kept claims first, then dealt
    partitions, as Kafka lists them) and the transferring partitions with their new owners.
    Invariants: ASSIGN-1, ASSIGN-2, ASSIGN-3.
    """
    builder = _Builder(partitions_per_topic, owned, multi_owner)
    builder.keep_owned()
    builder.fill(builder.unassigned())
    builder.verify()
    return builder.assignment, builder.transferring
