"""SyncGroup, Heartbeat and LeaveGroup, and the timers that evict silent members.

Theory of operation
-------------------
After the join phase every member holds the new generation (``membership.py``); now the
assignment must reach them (``reference/clients-and-groups.md`` §10.3; ``GroupCoordinator.scala``
``doSyncGroup``, ``handleHeartbeat``, ``handleLeaveGroup``):

* **SyncGroup.**  Followers send an empty assignment and are parked.  The leader sends one
  assignment per member, as opaque bytes its assignor produced in the client; members it left
  out get empty bytes.  The coordinator first *stores* the generation with its assignment in the
  offsets log (a :class:`~glasskafka.group.context.PendingGroupStore`) and only when that record
  is committed hands every parked member exactly the bytes the leader sent for it, and becomes
  Stable.  If the store fails, the members get the error and the group rebalances.  A member that
  syncs once the group is Stable gets its stored assignment at once.
* **Heartbeat.**  A member of the current generation proves it is alive; the answer is NONE, or
  REBALANCE_IN_PROGRESS during a join phase -- the signal that makes members send JoinGroup.
  ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID tell a member that it has been left behind.
* **Session expiry.**  A member's deadline passes without a heartbeat: it is removed, as if it had
  sent LeaveGroup, unless it is parked in JoinGroup or SyncGroup
  (:meth:`~glasskafka.group.member.MemberMetadata.should_keep_alive`).
* **Sync expiry.**  Members that have not sent SyncGroup one rebalance timeout after the join phase
  ended are removed, and the group rebalances without them (Kafka 3.x ``DelayedSync``).
* **Pending ids** handed out with MEMBER_ID_REQUIRED expire after one session timeout.

Spec IDs: GROUP-2 (assignments handed out verbatim, per generation), GROUP-4, GROUP-5.

Simplified from Kafka: no static members (FENCED_INSTANCE_ID never occurs).
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode
from glasskafka.group.context import Context, PendingGroupStore
from glasskafka.group.group import GroupMetadata
from glasskafka.group.host import ParkedRequest
from glasskafka.group.membership import (
    heartbeat_timer,
    maybe_prepare_rebalance,
    prepare_rebalance,
    propagate_assignment,
    remove_member_and_update_group,
    reset_and_propagate_assignment_error,
    schedule_heartbeat,
    try_complete_join,
)
from glasskafka.group.offsets_store import group_metadata_record
from glasskafka.group.state import GroupState
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    MemberIdentity,
    MemberResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)

__all__ = [
    "on_group_stored",
    "on_heartbeat",
    "on_heartbeat_timer",
    "on_leave_group",
    "on_pending_member_timer",
    "on_sync_group",
    "on_sync_timer",
]


def _sync_error(code: ErrorCode) -> SyncGroupResponse:
    return SyncGroupResponse(error_code=code, assignment=b"")


def on_sync_group(group: GroupMetadata, parked: ParkedRequest, ctx: Context) -> None:
    """Handle a SyncGroup for an owned group.  Invariants: GROUP-2, GROUP-4, GROUP-5."""
    body = parked.request.body
    assert isinstance(body, SyncGroupRequest)
    member = group.members.get(body.member_id)
    if group.state is GroupState.DEAD:
        ctx.effects.respond(parked, _sync_error(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    elif member is None:
        ctx.effects.respond(parked, _sync_error(ErrorCode.UNKNOWN_MEMBER_ID))
    elif body.generation_id != group.generation_id:
        ctx.effects.respond(parked, _sync_error(ErrorCode.ILLEGAL_GENERATION))
    else:
        match group.state:
            case GroupState.EMPTY:
                ctx.effects.respond(parked, _sync_error(ErrorCode.UNKNOWN_MEMBER_ID))
            case GroupState.PREPARING_REBALANCE:
                ctx.effects.respond(parked, _sync_error(ErrorCode.REBALANCE_IN_PROGRESS))
            case GroupState.COMPLETING_REBALANCE:
                group.pending_sync_members.discard(member.member_id)
                if member.awaiting_sync is not None:
                    # Superseded: a muted connection prevents this in Kafka; answer, never drop.
                    ctx.effects.respond(
                        member.awaiting_sync, _sync_error(ErrorCode.REBALANCE_IN_PROGRESS)
                    )
                member.awaiting_sync = parked
                if group.is_leader(member.member_id):
                    _store_assignment(group, body, ctx)
            case GroupState.STABLE:
                group.pending_sync_members.discard(member.member_id)
                ctx.effects.respond(
                    parked,
                    SyncGroupResponse(error_code=ErrorCode.NONE, assignment=member.assignment),
                )
                schedule_heartbeat(group, member, ctx, member.session_timeout_ms)
            case GroupState.DEAD:
                raise AssertionError("handled above")


def _store_assignment(group: GroupMetadata, body: SyncGroupRequest, ctx: Context) -> None:
    """Persist the leader's assignment before anyone sees it (``GroupMetadataManager.storeGroup``).

    Members the leader left out get empty bytes; entries for non-members are ignored.
    """
    given = {entry.member_id: bytes(entry.assignment) for entry in body.assignments}
    assignment = {member_id: given.get(member_id, b"") for member_id in group.members}
    value = group.metadata_value(assignment, ctx.now_ms)
    record = group_metadata_record(group.group_id, value, ctx.now_ms)
    pending = PendingGroupStore(
        group_id=group.group_id,
        generation_id=group.generation_id,
        assignment=tuple(assignment.items()),
    )
    ctx.append(group.group_id, (record,), pending)


def on_group_stored(
    group: GroupMetadata, pending: PendingGroupStore, code: ErrorCode, ctx: Context
) -> None:
    """The leader's assignment is stored (or not): hand it out and become Stable, or rebalance.

    Another member may have joined while the record was being written, so this acts only if the
    group is still completing the same generation.  Invariants: GROUP-2, GROUP-4, GROUP-5.
    """
    if group.state is not GroupState.COMPLETING_REBALANCE:
        return
    if pending.generation_id != group.generation_id:
        return
    if code is not ErrorCode.NONE:
        reset_and_propagate_assignment_error(group, code, ctx)
        maybe_prepare_rebalance(group, ctx)
        return
    for member_id, assignment in pending.assignment:
        if member_id in group.members:
            group.members[member_id].assignment = assignment
    propagate_assignment(group, ErrorCode.NONE, ctx)
    group.become_stable()


def on_heartbeat(group: GroupMetadata | None, parked: ParkedRequest, ctx: Context) -> None:
    """Answer a Heartbeat (``GroupCoordinator.handleHeartbeat``, Kafka 3.x)."""
    body = parked.request.body
    assert isinstance(body, HeartbeatRequest)
    ctx.effects.respond(parked, HeartbeatResponse(error_code=_heartbeat(group, body, ctx)))


def _heartbeat(group: GroupMetadata | None, body: HeartbeatRequest, ctx: Context) -> ErrorCode:
    if group is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if group.state is GroupState.DEAD:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    member = group.members.get(body.member_id)
    if member is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if body.generation_id != group.generation_id:
        return ErrorCode.ILLEGAL_GENERATION
    match group.state:
        case GroupState.EMPTY:
            return ErrorCode.UNKNOWN_MEMBER_ID
        case GroupState.PREPARING_REBALANCE:
            schedule_heartbeat(group, member, ctx, member.session_timeout_ms)
            return ErrorCode.REBALANCE_IN_PROGRESS
        case GroupState.COMPLETING_REBALANCE | GroupState.STABLE:
            # Members may heartbeat as soon as they have their JoinGroup answer.
            schedule_heartbeat(group, member, ctx, member.session_timeout_ms)
            return ErrorCode.NONE
        case GroupState.DEAD:
            raise AssertionError("handled above")


def on_leave_group(group: GroupMetadata | None, parked: ParkedRequest, ctx: Context) -> None:
    """Remove the leaving members; v0-2 name one member, v3+ a list with one answer each.

    Invariants: GROUP-4, GROUP-5.
    """
    body = parked.request.body
    assert isinstance(body, LeaveGroupRequest)
    batched = parked.api_version >= 3
    leaving = body.members if batched else (MemberIdentity(member_id=body.member_id),)
    if group is not None and group.state is GroupState.DEAD:
        ctx.effects.respond(
            parked, LeaveGroupResponse(error_code=ErrorCode.COORDINATOR_NOT_AVAILABLE)
        )
        return
    answers = tuple(
        MemberResponse(
            member_id=identity.member_id,
            group_instance_id=identity.group_instance_id,
            error_code=_leave(group, identity.member_id, ctx),
        )
        for identity in leaving
    )
    if batched:
        ctx.effects.respond(parked, LeaveGroupResponse(error_code=ErrorCode.NONE, members=answers))
    else:
        ctx.effects.respond(parked, LeaveGroupResponse(error_code=answers[0].error_code))


def _leave(group: GroupMetadata | None, member_id: str, ctx: Context) -> ErrorCode:
    if group is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if member_id in group.pending_members:
        del group.pending_members[member_id]
        if group.state is GroupState.PREPARING_REBALANCE:
            try_complete_join(group, ctx)
        return ErrorCode.NONE
    member = group.members.get(member_id)
    if member is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    remove_member_and_update_group(group, member, ctx)
    return ErrorCode.NONE


def on_heartbeat_timer(group: GroupMetadata, member_id: str, ctx: Context) -> None:
    """A member's session deadline passed.  Invariants: GROUP-4, GROUP-5."""
    member = group.members.get(member_id)
    if member is None or member.heartbeat_deadline_ms > ctx.now_ms:
        return
    if not member.should_keep_alive(member.heartbeat_deadline_ms):
        remove_member_and_update_group(group, member, ctx)


def on_pending_member_timer(group: GroupMetadata, member_id: str, ctx: Context) -> None:
    """A MEMBER_ID_REQUIRED id was never used within a session timeout: forget it."""
    deadline = group.pending_members.get(member_id)
    if deadline is None or deadline > ctx.now_ms:
        return
    del group.pending_members[member_id]
    if group.state is GroupState.PREPARING_REBALANCE:
        try_complete_join(group, ctx)


def on_sync_timer(group: GroupMetadata, ctx: Context) -> None:
    """Members that never sent SyncGroup are removed, and the group rebalances without them."""
    if group.state not in (GroupState.COMPLETING_REBALANCE, GroupState.STABLE):
        return
    if not group.pending_sync_members:
        return
    for member_id in sorted(group.pending_sync_members):
        member = group.members.get(member_id)
        if member is not None:
            ctx.effects.cancel_timer(heartbeat_timer(group.group_id, member_id))
            group.remove_member(member_id)
    group.pending_sync_members.clear()
    prepare_rebalance(group, ctx)
