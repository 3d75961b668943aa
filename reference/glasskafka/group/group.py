"""One classic group's metadata: state, generation, leader, protocol, members and offsets.

Theory of operation
-------------------
:class:`GroupMetadata` is Kafka's ``GroupMetadata.scala`` as plain data.  Its state changes only
through the ``become_*`` methods (STYLE rule 4), each of which checks the transition against
:data:`~glasskafka.group.state.VALID_PREVIOUS_STATES`, records it in ``recent_transitions`` (the
coordinator drains that list after every input, for GROUP-4) and resets the fields that belong to
the state it leaves.

**Generations.**  ``generation_id`` starts at 0 and rises by exactly one every time a join phase
ends -- into CompletingRebalance with members, or into Empty without any
(:meth:`GroupMetadata.init_next_generation`).  The first generation with members is therefore 1.
A generation names one assignment: a member's Heartbeat, SyncGroup and OffsetCommit carry it, and
the coordinator refuses any other (GROUP-1, GROUP-3).

**The leader.**  The first member added to a group without a leader becomes leader; when the
leader leaves, the next member in join order takes over; when the leader did not rejoin by the end
of a join phase, the first member that did becomes leader (``maybeElectNewJoinedLeader``).  Kafka
takes "the next member" in Scala ``HashMap`` order; glasskafka keeps members in join order, so a
run is reproducible.

**Protocol selection.**  The candidates are the protocols every member supports; each member
votes for its most preferred candidate; the most votes wins (``GroupMetadata.selectProtocol``).
Ties fall to Scala ``HashMap`` order in Kafka, which is arbitrary; glasskafka breaks them by the
preference of the member that joined first.

**Join completion.**  The join phase may end early once every member has rejoined and no member
id handed out with MEMBER_ID_REQUIRED is still pending (:meth:`all_members_joined`).

Spec IDs: GROUP-1 (generations), GROUP-4 (transitions).

Simplified from Kafka: no static members (KIP-345) and no ``subscribedTopics`` bookkeeping for
offset expiry (KIP-496).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.group.member import MemberMetadata
from glasskafka.group.records import GroupMetadataValue, MemberRecord, OffsetCommitValue
from glasskafka.group.state import GroupState, is_valid_transition
from glasskafka.ids import TopicPartition
from glasskafka.protocol.messages.group_membership import JoinGroupResponseMember

__all__ = ["GroupMetadata", "JoinPhase", "Transition"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """One state change of one group, as the coordinator reports it (GROUP-4)."""

    group_id: str
    source: GroupState
    target: GroupState
    generation_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinPhase:
    """The timer that ends a join phase (Kafka's ``DelayedJoin`` / ``InitialDelayedJoin``).

    ``initial`` phases belong to a group that was Empty: they wait ``delay_ms`` and, if another
    member arrived meanwhile, wait again, until ``remaining_ms`` of the rebalance timeout is used
    up (KIP-134).  Regular phases end at ``deadline_ms`` or as soon as every member has rejoined.
    """

    deadline_ms: int
    initial: bool
    delay_ms: int = 0
    remaining_ms: int = 0


@dataclass(slots=True, kw_only=True)
class GroupMetadata:
    """A group as its coordinator knows it."""

    group_id: str
    state: GroupState = GroupState.EMPTY
    generation_id: int = 0
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader_id: str | None = None
    members: dict[str, MemberMetadata] = field(default_factory=dict)
    pending_members: dict[str, int] = field(default_factory=dict)
    pending_sync_members: set[str] = field(default_factory=set)
    new_member_added: bool = False
    join_phase: JoinPhase | None = None
    offsets: dict[TopicPartition, OffsetCommitValue] = field(default_factory=dict)
    recent_transitions: list[Transition] = field(default_factory=list)

    # -- state changes --------------------------------------------------------------------------

    def _become(self, target: GroupState) -> None:
        assert is_valid_transition(self.state, target), (
            f"GROUP-4: group {self.group_id!r} may not go from {self.state.value} to {target.value}"
        )
        self.recent_transitions.append(
            Transition(
                group_id=self.group_id,
                source=self.state,
                target=target,
                generation_id=self.generation_id,
            )
        )
        self.state = target

    def become_preparing_rebalance(self, join_phase: JoinPhase) -> None:
        """Start a join phase that ends by ``join_phase`` (or earlier, when all have joined)."""
        self._become(GroupState.PREPARING_REBALANCE)
        self.join_phase = join_phase
        self.pending_sync_members.clear()

    def become_completing_rebalance(self) -> None:
        """The join phase ended with members: wait for the leader's assignment."""
        self._become(GroupState.COMPLETING_REBALANCE)
        self.join_phase = None
        self.pending_sync_members = set(self.members)

    def become_stable(self) -> None:
        """The leader's assignment is stored and handed out.

        Members that have not sent SyncGroup stay pending: they still have until the sync
        deadline to ask for their assignment (Kafka 3.x keeps ``pendingSyncMembers`` in Stable).
        """
        self._become(GroupState.STABLE)

    def become_empty(self) -> None:
        """The join phase ended with nobody: no protocol, no leader, offsets kept."""
        self._become(GroupState.EMPTY)
        self.join_phase = None
        self.protocol_name = None
        self.leader_id = None
        self.pending_sync_members.clear()

    def become_dead(self) -> None:
        """The coordinator lost the group (its offsets partition moved away)."""
        self._become(GroupState.DEAD)
        self.join_phase = None
        self.pending_sync_members.clear()

    # -- members --------------------------------------------------------------------------------

    def add_member(self, member: MemberMetadata) -> None:
        """Add ``member``; the first member of a leaderless group leads it."""
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        self.pending_members.pop(member.member_id, None)
        if self.leader_id is None:
            self.leader_id = member.member_id

    def remove_member(self, member_id: str) -> MemberMetadata:
        """Remove a member; a removed leader is replaced by the next member in join order."""
        member = self.members.pop(member_id)
        self.pending_sync_members.discard(member_id)
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        return member

    def is_leader(self, member_id: str) -> bool:
        return self.leader_id == member_id

    @property
    def can_rebalance(self) -> bool:
        """Whether a join phase may start from the current state."""
        return is_valid_transition(self.state, GroupState.PREPARING_REBALANCE)

    @property
    def rebalance_timeout_ms(self) -> int:
        """The largest rebalance timeout (``max.poll.interval.ms``) among the members."""
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def all_members_joined(self) -> bool:
        """Every member's JoinGroup is parked, and no MEMBER_ID_REQUIRED id is outstanding."""
        return not self.pending_members and all(
            m.awaiting_join is not None for m in self.members.values()
        )

    def not_yet_rejoined(self) -> list[MemberMetadata]:
        """Members whose JoinGroup has not arrived in this join phase, in join order."""
        return [m for m in self.members.values() if m.awaiting_join is None]

    def maybe_elect_new_joined_leader(self) -> bool:
        """Make sure the leader is a member that rejoined; False if nobody rejoined."""
        if self.leader_id is None:
            return False
        if self.members[self.leader_id].awaiting_join is not None:
            return True
        for member in self.members.values():
            if member.awaiting_join is not None:
                self.leader_id = member.member_id
                return True
        return False

    # -- protocols ------------------------------------------------------------------------------

    def supports_protocols(self, protocol_type: str, names: tuple[str, ...]) -> bool:
        """Whether a member with these protocols may join (``GroupMetadata.supportsProtocols``).

        An empty group takes any non-empty protocol type and protocol list; otherwise the type
        must match and one of the protocols must be supported by every current member.
        """
        if not self.members:
            return bool(protocol_type) and bool(names)
        if protocol_type != self.protocol_type:
            return False
        supported_by_all = self.candidate_protocols()
        return any(name in supported_by_all for name in names)

    def candidate_protocols(self) -> frozenset[str]:
        """The protocols every member supports."""
        sets = [set(m.protocol_names) for m in self.members.values()]
        return frozenset(set.intersection(*sets)) if sets else frozenset()

    def select_protocol(self) -> str:
        """The protocol the members vote for; ties go to the earliest member's preference."""
        candidates = self.candidate_protocols()
        votes: dict[str, int] = {}
        for member in self.members.values():
            choice = member.vote(candidates)
            votes[choice] = votes.get(choice, 0) + 1
        first = next(iter(self.members.values()))
        preference = {name: index for index, name in enumerate(first.protocol_names)}
        return min(votes, key=lambda name: (-votes[name], preference.get(name, len(preference))))

    def init_next_generation(self) -> None:
        """End the join phase: next generation, chosen protocol, and the next state."""
        self.generation_id += 1
        if self.members:
            self.protocol_name = self.select_protocol()
            self.become_completing_rebalance()
        else:
            self.become_empty()

    def join_response_members(self) -> tuple[JoinGroupResponseMember, ...]:
        """Every member's subscription for the chosen protocol: the leader's view."""
        assert self.protocol_name is not None
        return tuple(
            JoinGroupResponseMember(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                metadata=m.metadata(self.protocol_name),
            )
            for m in self.members.values()
        )

    # -- persistence ----------------------------------------------------------------------------

    def metadata_value(self, assignment: dict[str, bytes], now_ms: int) -> GroupMetadataValue:
        """The group metadata record that stores this generation with ``assignment``."""
        protocol = self.protocol_name
        members = tuple(
            MemberRecord(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                rebalance_timeout=m.rebalance_timeout_ms,
                session_timeout=m.session_timeout_ms,
                subscription=m.metadata(protocol) if protocol is not None else b"",
                assignment=assignment.get(m.member_id, b""),
            )
            for m in self.members.values()
        )
        return GroupMetadataValue(
            protocol_type=self.protocol_type or "",
            generation=self.generation_id,
            protocol=protocol,
            leader=self.leader_id,
            current_state_timestamp=now_ms,
            members=members,
        )
