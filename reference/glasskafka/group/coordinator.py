"""The group coordinator role: the groups of every ``__consumer_offsets`` partition a broker leads.

Theory of operation
-------------------
:class:`GroupCoordinator` is Kafka's ``GroupCoordinator`` plus ``GroupMetadataManager`` as plain
data, hosted by a broker through the seam of ``host.py``.  It owns:

* ``partitions``: the offsets partitions this broker leads, each LOADING (after
  :meth:`~GroupCoordinator.become_leader`) or ACTIVE (after :meth:`~GroupCoordinator.load`);
* ``groups``: every group of an active partition (``group.py``), with its committed offsets;
* ``ledger``: appends handed to the host and not completed yet (``context.py``);
* ``offsets_topic_leaders``: who leads each offsets partition, to answer FindCoordinator.

**Routing a request.**  First the group's status (``validateGroupStatus``): an empty group id is
INVALID_GROUP_ID for the membership APIs; a group of a partition still loading gets
COORDINATOR_LOAD_IN_PROGRESS (a SyncGroup gets REBALANCE_IN_PROGRESS instead, since the rebalance
state is lost and the member must rejoin; a Heartbeat gets NONE, answered blindly); a group of a
partition this broker does not lead gets NOT_COORDINATOR, and the client looks its coordinator up
again.  Then the handler: ``membership.py`` (JoinGroup), ``sync.py`` (SyncGroup, Heartbeat,
LeaveGroup), ``offsets.py`` (OffsetCommit, OffsetFetch), or ``inspection.py`` (FindCoordinator,
DescribeGroups, ListGroups).

**Failover.**  When another broker becomes leader of an offsets partition, this one unloads its
groups: parked requests are answered NOT_COORDINATOR, timers cancelled, groups marked Dead and
dropped.  The new leader replays the partition (``offsets_store.py``) and resumes every group at
its last *stored* generation.  A generation whose join phase completed but whose assignment was
never stored is forgotten: its members get ILLEGAL_GENERATION and rejoin, and the next join phase
hands out the same generation number again.  GROUP-1 is stated with that in mind.

After every input, ``last_transitions`` lists the state changes it caused (for GROUP-4), and
:meth:`~GroupCoordinator.check_invariants` asserts the role's local rules.

Spec IDs: GROUP-1 .. GROUP-6 (``specs/group.py``) are kept by the modules this file routes to.

Simplified from Kafka: no DeleteGroups, no offset expiry, no static members, and no
``group.coordinator.*`` metrics; an unknown FindCoordinator key type (transactions) is refused
with INVALID_REQUEST, because glasskafka has no transaction coordinator.
"""

from __future__ import annotations

import dataclasses
import enum
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.group import inspection, membership, offsets, sync
from glasskafka.group.context import (
    AppendLedger,
    Context,
    PendingCommit,
    PendingEmptyGroup,
    PendingGroupStore,
)
from glasskafka.group.coordinator_config import GroupCoordinatorConfig
from glasskafka.group.group import GroupMetadata, Transition
from glasskafka.group.host import (
    CoordinatorEndpoint,
    Effects,
    GroupStep,
    ParkedRequest,
    parse_timer,
)
from glasskafka.group.inspection import GroupView
from glasskafka.group.offsets_store import group_from_record, replay
from glasskafka.group.placement import partition_for
from glasskafka.group.state import GroupState
from glasskafka.ids import Millis, NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetFetchRequest,
)
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_listing import (
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    ListGroupsRequest,
    ListGroupsResponse,
)
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    LeaveGroupRequest,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)

__all__ = ["GroupCoordinator", "OffsetsPartitionState"]


class OffsetsPartitionState(enum.Enum):
    """Where this broker stands with an offsets partition it leads."""

    LOADING = "loading"
    ACTIVE = "active"


@dataclass(slots=True, kw_only=True)
class GroupCoordinator:
    """The group coordinator role of one broker."""

    broker_id: int
    config: GroupCoordinatorConfig = field(default_factory=GroupCoordinatorConfig)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    bugs: BugFlags = NO_BUGS
    partitions: dict[PartitionId, OffsetsPartitionState] = field(default_factory=dict)
    groups: dict[str, GroupMetadata] = field(default_factory=dict)
    ledger: AppendLedger = field(default_factory=AppendLedger)
    offsets_topic_leaders: dict[PartitionId, CoordinatorEndpoint] = field(default_factory=dict)
    last_transitions: tuple[Transition, ...] = ()
    load_skipped: int = 0

    # -- the seam ------------------------------------------------------------------------------

    def _context(self, now_ms: Millis) -> Context:
        return Context(
            config=self.config,
            bugs=self.bugs,
            rng=self.rng,
            effects=Effects(now_ms=now_ms),
            ledger=self.ledger,
        )

    def _finish(self, ctx: Context, also: list[GroupMetadata] | None = None) -> GroupStep:
        transitions: list[Transition] = []
        for group in [*(also or []), *self.groups.values()]:
            transitions.extend(group.recent_transitions)
            group.recent_transitions.clear()
        self.last_transitions = tuple(transitions)
        return ctx.effects.step()

    def partition_of(self, group_id: str) -> PartitionId:
        """The offsets partition that holds ``group_id``."""
        return partition_for(group_id, self.config.offsets_topic_num_partitions)

    def set_offsets_topic_leaders(self, leaders: Mapping[PartitionId, CoordinatorEndpoint]) -> None:
        """Who leads each offsets partition now (the host's metadata cache), for FindCoordinator."""
        self.offsets_topic_leaders = dict(sorted(leaders.items()))

    def on_request(self, sender: NodeId, request: KafkaRequest, now_ms: Millis) -> GroupStep:
        """Serve one group request; a parked JoinGroup or SyncGroup is answered in a later step.

        The host must route only the nine group APIs here.
        """
        ctx = self._context(now_ms)
        parked = ParkedRequest(sender=sender, request=request)
        match request.body:
            case FindCoordinatorRequest() as body:
                ctx.effects.respond(parked, self._find_coordinator(body))
            case JoinGroupRequest():
                self._join_group(parked, ctx)
            case SyncGroupRequest():
                self._sync_group(parked, ctx)
            case HeartbeatRequest():
                self._heartbeat(parked, ctx)
            case LeaveGroupRequest():
                self._leave_group(parked, ctx)
            case OffsetCommitRequest():
                self._offset_commit(parked, ctx)
            case OffsetFetchRequest() as body:
                self._offset_fetch(parked, body, ctx)
            case DescribeGroupsRequest() as body:
                ctx.effects.respond(parked, self._describe_groups(body))
            case ListGroupsRequest():
                ctx.effects.respond(parked, self._list_groups())
            case other:
                raise AssertionError(f"the host routed {type(other).__name__} to the coordinator")
        return self._finish(ctx)

    def on_connection_lost(self, peer: NodeId) -> None:
        """The connection to ``peer`` broke: detach its parked requests (``host.py``).

        The requests keep their effect -- a detached JoinGroup still counts its member as
        joined, as in Kafka, where the member stays until its session expires -- but their
        answers are dropped, so none can reach a later connection of the same peer.
        """
        for group in self.groups.values():
            for member in group.members.values():
                if member.awaiting_join is not None and member.awaiting_join.sender == peer:
                    member.awaiting_join = dataclasses.replace(member.awaiting_join, detached=True)
                if member.awaiting_sync is not None and member.awaiting_sync.sender == peer:
                    member.awaiting_sync = dataclasses.replace(member.awaiting_sync, detached=True)
        for append_id, pending in sorted(self.ledger.pending.items()):
            if isinstance(pending, PendingCommit) and pending.parked.sender == peer:
                parked = dataclasses.replace(pending.parked, detached=True)
                self.ledger.pending[append_id] = dataclasses.replace(pending, parked=parked)

    # -- status --------------------------------------------------------------------------------

    def _status(self, group_id: str, *, empty_id_allowed: bool) -> ErrorCode:
        """``validateGroupStatus``: is the id valid, and is this broker its loaded coordinator?"""
        if not group_id and not empty_id_allowed:
            return ErrorCode.INVALID_GROUP_ID
        state = self.partitions.get(self.partition_of(group_id))
        if state is None:
            return ErrorCode.NOT_COORDINATOR
        if state is OffsetsPartitionState.LOADING:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        return ErrorCode.NONE

    # -- membership ----------------------------------------------------------------------------

    def _join_group(self, parked: ParkedRequest, ctx: Context) -> None:
        body = parked.request.body
        assert isinstance(body, JoinGroupRequest)
        status = self._status(body.group_id, empty_id_allowed=False)
        timeout = body.session_timeout_ms
        if status is not ErrorCode.NONE:
            ctx.effects.respond(parked, membership.join_error(body.member_id, status))
            return
        if not (
            self.config.group_min_session_timeout_ms
            <= timeout
            <= self.config.group_max_session_timeout_ms
        ):
            error = ErrorCode.INVALID_SESSION_TIMEOUT
            ctx.effects.respond(parked, membership.join_error(body.member_id, error))
            return
        group = self.groups.get(body.group_id)
        if group is None:
            if body.member_id:
                # A member id for a group this coordinator does not know: it must start over.
                error = ErrorCode.UNKNOWN_MEMBER_ID
                ctx.effects.respond(parked, membership.join_error(body.member_id, error))
                return
            group = self.groups[body.group_id] = GroupMetadata(group_id=body.group_id)
        membership.on_join_group(group, parked, ctx)

    def _sync_group(self, parked: ParkedRequest, ctx: Context) -> None:
        body = parked.request.body
        assert isinstance(body, SyncGroupRequest)
        status = self._status(body.group_id, empty_id_allowed=False)
        if status is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
            # The rebalance state is lost with the old coordinator: the member must rejoin, and
            # older clients do not expect a load error here (GroupCoordinator.handleSyncGroup).
            status = ErrorCode.REBALANCE_IN_PROGRESS
        group = self.groups.get(body.group_id)
        if status is ErrorCode.NONE and group is None:
            status = ErrorCode.UNKNOWN_MEMBER_ID
        if status is not ErrorCode.NONE or group is None:
            ctx.effects.respond(parked, SyncGroupResponse(error_code=status, assignment=b""))
            return
        sync.on_sync_group(group, parked, ctx)

    def _heartbeat(self, parked: ParkedRequest, ctx: Context) -> None:
        body = parked.request.body
        assert isinstance(body, HeartbeatRequest)
        status = self._status(body.group_id, empty_id_allowed=False)
        if status is ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
            # "the group is still loading, so respond just blindly" (GroupCoordinator.scala).
            status = ErrorCode.NONE
            ctx.effects.respond(parked, HeartbeatResponse(error_code=status))
        elif status is not ErrorCode.NONE:
            ctx.effects.respond(parked, HeartbeatResponse(error_code=status))
        else:
            sync.on_heartbeat(self.groups.get(body.group_id), parked, ctx)

    def _leave_group(self, parked: ParkedRequest, ctx: Context) -> None:
        body = parked.request.body
        assert isinstance(body, LeaveGroupRequest)
        status = self._status(body.group_id, empty_id_allowed=False)
        if status is not ErrorCode.NONE:
            ctx.effects.respond(parked, LeaveGroupResponse(error_code=status))
            return
        sync.on_leave_group(self.groups.get(body.group_id), parked, ctx)

    # -- offsets -------------------------------------------------------------------------------

    def _offset_commit(self, parked: ParkedRequest, ctx: Context) -> None:
        body = parked.request.body
        assert isinstance(body, OffsetCommitRequest)
        status = self._status(body.group_id, empty_id_allowed=True)
        group = self.groups.get(body.group_id)
        if status is ErrorCode.NONE and group is None:
            if body.generation_id < 0:
                # Not relying on Kafka for group management: the group exists to hold offsets.
                group = self.groups[body.group_id] = GroupMetadata(group_id=body.group_id)
            else:
                status = ErrorCode.ILLEGAL_GENERATION
        if status is not ErrorCode.NONE or group is None:
            requested: dict[TopicPartition, int] = {
                (TopicName(t.name), PartitionId(p.partition_index)): status
                for t in body.topics
                for p in t.partitions
            }
            ctx.effects.respond(parked, offsets.commit_response(body, requested))
            return
        offsets.on_offset_commit(group, parked, ctx)

    def _offset_fetch(self, parked: ParkedRequest, body: OffsetFetchRequest, ctx: Context) -> None:
        status = self._status(body.group_id, empty_id_allowed=True)
        if status is not ErrorCode.NONE:
            ctx.effects.respond(parked, offsets.offset_fetch_error(body, status))
            return
        ctx.effects.respond(parked, offsets.fetch_offsets(self.groups.get(body.group_id), body))

    # -- discovery and inspection --------------------------------------------------------------

    def _find_coordinator(self, body: FindCoordinatorRequest) -> FindCoordinatorResponse:
        leader = self.offsets_topic_leaders.get(self.partition_of(body.key))
        return inspection.find_coordinator(body, leader)

    def _describe_groups(self, body: DescribeGroupsRequest) -> DescribeGroupsResponse:
        return DescribeGroupsResponse(
            groups=tuple(
                inspection.describe(g, self._status(g, empty_id_allowed=True), self.groups.get(g))
                for g in body.groups
            )
        )

    def _list_groups(self) -> ListGroupsResponse:
        loading = OffsetsPartitionState.LOADING in self.partitions.values()
        return inspection.list_groups(self.groups, loading=loading)

    # -- timers and appends --------------------------------------------------------------------

    def on_timer(self, name: str, now_ms: Millis) -> GroupStep:
        """A ``"group:..."`` timer fired; a stale one (group gone, deadline moved) does nothing."""
        ctx = self._context(now_ms)
        parsed = parse_timer(name)
        if parsed is not None:
            kind, arguments = parsed
            group = self.groups.get(str(arguments[0])) if arguments else None
            if group is not None:
                self._fire(kind, group, [str(a) for a in arguments[1:]], ctx)
        return self._finish(ctx)

    def _fire(self, kind: str, group: GroupMetadata, rest: list[str], ctx: Context) -> None:
        match kind, rest:
            case "join", []:
                membership.on_join_timer(group, ctx)
            case "sync", []:
                sync.on_sync_timer(group, ctx)
            case "heartbeat", [member_id]:
                sync.on_heartbeat_timer(group, member_id, ctx)
            case "pending-member", [member_id]:
                sync.on_pending_member_timer(group, member_id, ctx)
            case _:
                pass  # not a timer this role sets; nothing to do

    def on_append_completed(self, append_id: int, error: ErrorCode, now_ms: Millis) -> GroupStep:
        """An append handed out earlier is committed (``NONE``) or failed with ``error``.

        An unknown id (completed twice, or never handed out) is ignored.
        """
        ctx = self._context(now_ms)
        pending = self.ledger.pending.pop(append_id, None)
        match pending:
            case PendingCommit() as commit:
                offsets.on_commit_appended(self.groups.get(commit.group_id), commit, error, ctx)
            case PendingGroupStore() as store:
                group = self.groups.get(store.group_id)
                if group is not None:
                    code = offsets.append_error(error, offsets=False)
                    sync.on_group_stored(group, store, code, ctx)
            case PendingEmptyGroup() | None:
                pass  # a failed Empty-group record only means the log keeps the older one
        return self._finish(ctx)

    # -- leadership of offsets partitions ------------------------------------------------------

    def become_leader(self, partition: PartitionId, now_ms: Millis) -> GroupStep:
        """This broker leads ``__consumer_offsets-<partition>`` now; its groups are loading."""
        ctx = self._context(now_ms)
        self.partitions.setdefault(partition, OffsetsPartitionState.LOADING)
        return self._finish(ctx)

    def load(self, partition: PartitionId, records: bytes, now_ms: Millis) -> GroupStep:
        """Replay the partition's batches and activate its groups (``onGroupLoaded``).

        Every loaded member's session starts now.  Does nothing unless the partition is LOADING.
        Invariants: GROUP-1 (a group resumes at its stored generation), GROUP-6.
        """
        ctx = self._context(now_ms)
        if self.partitions.get(partition) is not OffsetsPartitionState.LOADING:
            return self._finish(ctx)
        result = replay(records)
        self.load_skipped += result.skipped
        for group_id, loaded in result.groups.items():
            if self.partition_of(group_id) != partition:
                self.load_skipped += 1  # a record for a group hashed elsewhere: not ours
                continue
            group = self.groups[group_id] = group_from_record(group_id, loaded)
            for member in group.members.values():
                membership.schedule_heartbeat(group, member, ctx, member.session_timeout_ms)
        self.partitions[partition] = OffsetsPartitionState.ACTIVE
        return self._finish(ctx)

    def become_follower(self, partition: PartitionId, now_ms: Millis) -> GroupStep:
        """Another broker leads the partition: unload its groups (``onGroupUnloaded``).

        Parked requests are answered NOT_COORDINATOR; appends still pending will be completed
        by the host (with an error) and are answered then.  Invariants: GROUP-4, GROUP-5.
        """
        ctx = self._context(now_ms)
        self.partitions.pop(partition, None)
        unloaded = [
            g for gid, g in sorted(self.groups.items()) if self.partition_of(gid) == partition
        ]
        for group in unloaded:
            self._unload(group, ctx)
            del self.groups[group.group_id]
        return self._finish(ctx, also=unloaded)

    def _unload(self, group: GroupMetadata, ctx: Context) -> None:
        error = ErrorCode.NOT_COORDINATOR
        for member in group.members.values():
            if member.awaiting_join is not None:
                ctx.effects.respond(
                    member.awaiting_join, membership.join_error(member.member_id, error)
                )
                member.awaiting_join = None
            if member.awaiting_sync is not None:
                ctx.effects.respond(
                    member.awaiting_sync, SyncGroupResponse(error_code=error, assignment=b"")
                )
                member.awaiting_sync = None
            ctx.effects.cancel_timer(membership.heartbeat_timer(group.group_id, member.member_id))
        for member_id in sorted(group.pending_members):
            ctx.effects.cancel_timer(membership.pending_member_timer(group.group_id, member_id))
        ctx.effects.cancel_timer(membership.join_timer(group.group_id))
        ctx.effects.cancel_timer(membership.sync_timer(group.group_id))
        group.become_dead()

    # -- introspection -------------------------------------------------------------------------

    def group(self, group_id: str) -> GroupView | None:
        """A snapshot of ``group_id``, or ``None`` if this coordinator does not hold it."""
        group = self.groups.get(group_id)
        return None if group is None else inspection.group_view(group)

    def check_invariants(self) -> None:
        """Assert the role's local rules after an input (run by the hosting broker)."""
        for group_id, group in self.groups.items():
            where = f"group {group_id!r}"
            assert (
                self.partitions.get(self.partition_of(group_id)) is OffsetsPartitionState.ACTIVE
            ), f"{where} is held but its offsets partition is not active"
            assert group.state is not GroupState.DEAD, f"{where} is Dead but still held"
            assert group.generation_id >= 0, (
                f"GROUP-1: {where} has generation {group.generation_id}"
            )
            assert (group.leader_id is None) == (not group.members), (
                f"{where}: leader {group.leader_id!r}"
            )
            if group.state is GroupState.EMPTY:
                assert not group.members, f"{where} is Empty with members"
            for member in group.members.values():
                if member.awaiting_join is not None:
                    assert group.state is GroupState.PREPARING_REBALANCE, (
                        f"GROUP-5: {where} parks a JoinGroup in {group.state.value}"
                    )
                if member.awaiting_sync is not None:
                    assert group.state is GroupState.COMPLETING_REBALANCE, (
                        f"GROUP-5: {where} parks a SyncGroup in {group.state.value}"
                    )
