"""JoinGroup and the join phase: members arrive, a generation is born, parked answers go out.

Theory of operation
-------------------
The rebalance protocol, coordinator side (``reference/clients-and-groups.md`` §10.2;
``GroupCoordinator.scala`` ``handleJoinGroup``, ``prepareRebalance``, ``onCompleteJoin``):

1. **A member without an id** (``member_id == ""``).  From JoinGroup v4 the coordinator invents
   one (``client_id-<uuid>``), remembers it as *pending* for one session timeout, and answers
   MEMBER_ID_REQUIRED (79) carrying it; the member must join again with that id (KIP-394).  This
   way a member whose first answer was lost cannot leave a ghost member behind.  Older versions
   are admitted at once.
2. **Admission** adds the member, parks its JoinGroup and starts a join phase if the group can
   rebalance (:func:`prepare_rebalance`): a CompletingRebalance group first answers its parked
   SyncGroups REBALANCE_IN_PROGRESS.
3. **The join phase** ends at a deadline -- the largest member ``rebalance_timeout_ms``
   (``max.poll.interval.ms``) -- or earlier, once every member has rejoined and no pending id is
   outstanding.  A group that was Empty waits ``group.initial.rebalance.delay.ms`` instead, again
   and again while new members keep arriving, up to the rebalance timeout (KIP-134): so ten
   consumers starting together make one rebalance, not ten.
4. **Completion** (:func:`complete_join`) evicts members that did not rejoin, makes sure the
   leader is one that did, and starts the next generation: every parked JoinGroup is answered with
   the generation, the chosen protocol and the leader's id, and the leader alone also gets every
   member's subscription bytes.  A group left with nobody becomes Empty, one generation later, and
   that is stored in the offsets log.

A known member that rejoins while the group is Stable with unchanged metadata (and is not the
leader) just gets the current generation back; anything else starts a rebalance.

Spec IDs: GROUP-1 (each completed join phase raises the generation by one), GROUP-4 (transitions),
GROUP-5 (each parked JoinGroup is answered).

Simplified from Kafka: no static membership (KIP-345) and no ``group.max.size`` shedding of
members that have not rejoined.  A member that sends a second JoinGroup while one is parked (a
muted connection makes that impossible in Kafka) gets REBALANCE_IN_PROGRESS on the first, so no
request is left unanswered.
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode
from glasskafka.group.context import Context, PendingEmptyGroup
from glasskafka.group.coordinator_config import NEW_MEMBER_JOIN_TIMEOUT_MS
from glasskafka.group.group import GroupMetadata, JoinPhase
from glasskafka.group.host import ParkedRequest, timer_name
from glasskafka.group.member import MemberMetadata, Protocol
from glasskafka.group.offsets_store import group_metadata_record
from glasskafka.group.state import GroupState
from glasskafka.protocol.messages.group_membership import (
    JoinGroupRequest,
    JoinGroupResponse,
    SyncGroupResponse,
)

__all__ = [
    "complete_join",
    "heartbeat_timer",
    "join_error",
    "join_timer",
    "maybe_prepare_rebalance",
    "on_join_group",
    "on_join_timer",
    "pending_member_timer",
    "prepare_rebalance",
    "propagate_assignment",
    "remove_member_and_update_group",
    "reset_and_propagate_assignment_error",
    "schedule_heartbeat",
    "sync_timer",
    "try_complete_join",
]


def join_timer(group_id: str) -> str:
    return timer_name("join", group_id)


def sync_timer(group_id: str) -> str:
    return timer_name("sync", group_id)


def heartbeat_timer(group_id: str, member_id: str) -> str:
    return timer_name("heartbeat", group_id, member_id)


def pending_member_timer(group_id: str, member_id: str) -> str:
    return timer_name("pending-member", group_id, member_id)


def join_error(member_id: str, code: ErrorCode) -> JoinGroupResponse:
    """A JoinGroup answer that carries only an error (and, for MEMBER_ID_REQUIRED, the new id)."""
    return JoinGroupResponse(
        error_code=code,
        generation_id=-1,
        protocol_name="",
        leader="",
        member_id=member_id,
        members=(),
    )


def schedule_heartbeat(
    group: GroupMetadata, member: MemberMetadata, ctx: Context, timeout_ms: int
) -> None:
    """Count this moment as a heartbeat and expect the next within ``timeout_ms``."""
    member.latest_heartbeat_ms = ctx.now_ms
    member.heartbeat_deadline_ms = ctx.now_ms + timeout_ms
    ctx.effects.set_timer(
        heartbeat_timer(group.group_id, member.member_id), member.heartbeat_deadline_ms
    )


# ---------------------------------------------------------------------------------------------
# JoinGroup


def on_join_group(group: GroupMetadata, parked: ParkedRequest, ctx: Context) -> None:
    """Handle a JoinGroup for a group this coordinator owns (the caller validated ownership,
    the session timeout and the member id of a group it had to create).

    Invariants: GROUP-1, GROUP-4, GROUP-5.
    """
    body = parked.request.body
    assert isinstance(body, JoinGroupRequest)
    protocols: tuple[Protocol, ...] = tuple((p.name, bytes(p.metadata)) for p in body.protocols)
    if group.state is GroupState.DEAD:
        # The group moved away while this request was on its way: find the coordinator again.
        ctx.effects.respond(parked, join_error(body.member_id, ErrorCode.COORDINATOR_NOT_AVAILABLE))
    elif not group.supports_protocols(body.protocol_type, tuple(n for n, _ in protocols)):
        ctx.effects.respond(
            parked, join_error(body.member_id, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        )
    elif body.member_id == "":
        _join_unknown_member(group, parked, protocols, ctx)
    elif body.member_id in group.pending_members:
        _add_member_and_rebalance(group, parked, body.member_id, protocols, ctx)
    elif body.member_id not in group.members:
        ctx.effects.respond(parked, join_error(body.member_id, ErrorCode.UNKNOWN_MEMBER_ID))
    else:
        _join_known_member(group, group.members[body.member_id], parked, protocols, ctx)
    if group.state is GroupState.PREPARING_REBALANCE:
        try_complete_join(group, ctx)


def _rebalance_timeout_ms(parked: ParkedRequest, body: JoinGroupRequest) -> int:
    # JoinGroup v0 has no rebalance timeout; Kafka then uses the session timeout (KIP-62).
    if parked.request.api_version == 0 or body.rebalance_timeout_ms < 0:
        return body.session_timeout_ms
    return body.rebalance_timeout_ms


def _join_unknown_member(
    group: GroupMetadata, parked: ParkedRequest, protocols: tuple[Protocol, ...], ctx: Context
) -> None:
    body = parked.request.body
    assert isinstance(body, JoinGroupRequest)
    if len(group.members) >= ctx.config.group_max_size:
        ctx.effects.respond(parked, join_error("", ErrorCode.GROUP_MAX_SIZE_REACHED))
        return
    member_id = ctx.new_member_id(parked.request.client_id)
    if parked.api_version >= 4:
        # KIP-394: hand out the id and wait for the member to come back with it.
        deadline = ctx.now_ms + body.session_timeout_ms
        group.pending_members[member_id] = deadline
        ctx.effects.set_timer(pending_member_timer(group.group_id, member_id), deadline)
        ctx.effects.respond(parked, join_error(member_id, ErrorCode.MEMBER_ID_REQUIRED))
        return
    _add_member_and_rebalance(group, parked, member_id, protocols, ctx)


def _add_member_and_rebalance(
    group: GroupMetadata,
    parked: ParkedRequest,
    member_id: str,
    protocols: tuple[Protocol, ...],
    ctx: Context,
) -> None:
    body = parked.request.body
    assert isinstance(body, JoinGroupRequest)
    member = MemberMetadata(
        member_id=member_id,
        group_instance_id=body.group_instance_id,
        client_id=parked.request.client_id,
        client_host=f"/{parked.sender}",
        rebalance_timeout_ms=_rebalance_timeout_ms(parked, body),
        session_timeout_ms=body.session_timeout_ms,
        protocol_type=body.protocol_type,
        protocols=protocols,
        awaiting_join=parked,
        is_new=True,
    )
    # A new group's first join phase may be extended once more for this member (KIP-134).
    if group.state is GroupState.PREPARING_REBALANCE and group.generation_id == 0:
        group.new_member_added = True
    group.add_member(member)
    ctx.effects.cancel_timer(pending_member_timer(group.group_id, member_id))
    # A new member has no session yet; only the long new-member timeout bounds its wait.
    schedule_heartbeat(group, member, ctx, NEW_MEMBER_JOIN_TIMEOUT_MS)
    maybe_prepare_rebalance(group, ctx)


def _join_known_member(
    group: GroupMetadata,
    member: MemberMetadata,
    parked: ParkedRequest,
    protocols: tuple[Protocol, ...],
    ctx: Context,
) -> None:
    match group.state:
        case GroupState.PREPARING_REBALANCE:
            _update_member_and_rebalance(group, member, parked, protocols, ctx)
        case GroupState.COMPLETING_REBALANCE if member.matches(protocols):
            # Its JoinGroup answer was lost: give the same generation again.
            ctx.effects.respond(parked, _generation_answer(group, member.member_id))
        case GroupState.STABLE if member.matches(protocols) and not group.is_leader(
            member.member_id
        ):
            ctx.effects.respond(parked, _generation_answer(group, member.member_id))
        case GroupState.COMPLETING_REBALANCE | GroupState.STABLE:
            # Changed metadata, or the leader asking for a rebalance (e.g. new topic metadata).
            _update_member_and_rebalance(group, member, parked, protocols, ctx)
        case GroupState.EMPTY | GroupState.DEAD:
            ctx.effects.respond(parked, join_error(member.member_id, ErrorCode.UNKNOWN_MEMBER_ID))


def _update_member_and_rebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    parked: ParkedRequest,
    protocols: tuple[Protocol, ...],
    ctx: Context,
) -> None:
    body = parked.request.body
    assert isinstance(body, JoinGroupRequest)
    if member.awaiting_join is not None:
        ctx.effects.respond(
            member.awaiting_join, join_error(member.member_id, ErrorCode.REBALANCE_IN_PROGRESS)
        )
    member.protocols = protocols
    member.rebalance_timeout_ms = _rebalance_timeout_ms(parked, body)
    member.session_timeout_ms = body.session_timeout_ms
    member.awaiting_join = parked
    maybe_prepare_rebalance(group, ctx)


def _generation_answer(group: GroupMetadata, member_id: str) -> JoinGroupResponse:
    """The current generation as a JoinGroup answer; the leader also gets the members."""
    assert group.protocol_name is not None and group.leader_id is not None
    return JoinGroupResponse(
        error_code=ErrorCode.NONE,
        generation_id=group.generation_id,
        protocol_name=group.protocol_name,
        leader=group.leader_id,
        member_id=member_id,
        members=group.join_response_members() if group.is_leader(member_id) else (),
    )


# ---------------------------------------------------------------------------------------------
# The join phase


def maybe_prepare_rebalance(group: GroupMetadata, ctx: Context) -> None:
    """Start a join phase if the group's state allows one (Empty, Stable, CompletingRebalance)."""
    if group.can_rebalance:
        prepare_rebalance(group, ctx)


def prepare_rebalance(group: GroupMetadata, ctx: Context) -> None:
    """Move to PreparingRebalance with the right deadline, cancelling any sync in progress.

    Invariants: GROUP-4, GROUP-5.
    """
    if group.state is GroupState.COMPLETING_REBALANCE:
        reset_and_propagate_assignment_error(group, ErrorCode.REBALANCE_IN_PROGRESS, ctx)
    ctx.effects.cancel_timer(sync_timer(group.group_id))
    delay_ms = ctx.config.group_initial_rebalance_delay_ms
    if group.state is GroupState.EMPTY:
        phase = JoinPhase(
            deadline_ms=ctx.now_ms + delay_ms,
            initial=True,
            delay_ms=delay_ms,
            remaining_ms=max(group.rebalance_timeout_ms - delay_ms, 0),
        )
    else:
        phase = JoinPhase(deadline_ms=ctx.now_ms + group.rebalance_timeout_ms, initial=False)
    group.become_preparing_rebalance(phase)
    ctx.effects.set_timer(join_timer(group.group_id), phase.deadline_ms)
    try_complete_join(group, ctx)


def try_complete_join(group: GroupMetadata, ctx: Context) -> None:
    """End a regular join phase early once everyone has rejoined (``DelayedJoin.tryComplete``).

    An initial phase never ends early: it exists to wait for members not yet known.
    """
    phase = group.join_phase
    if phase is not None and not phase.initial and group.all_members_joined():
        complete_join(group, ctx)


def on_join_timer(group: GroupMetadata, ctx: Context) -> None:
    """The join phase's deadline passed: wait once more for a new group, or complete."""
    phase = group.join_phase
    if group.state is not GroupState.PREPARING_REBALANCE or phase is None:
        return
    if phase.deadline_ms > ctx.now_ms:
        return  # a stale timer; the current deadline has its own
    if phase.initial and group.new_member_added and phase.remaining_ms != 0:
        # InitialDelayedJoin.onComplete: wait another delay, but never past the rebalance timeout.
        group.new_member_added = False
        delay_ms = min(ctx.config.group_initial_rebalance_delay_ms, phase.remaining_ms)
        group.join_phase = JoinPhase(
            deadline_ms=ctx.now_ms + delay_ms,
            initial=True,
            delay_ms=delay_ms,
            remaining_ms=max(phase.remaining_ms - phase.delay_ms, 0),
        )
        ctx.effects.set_timer(join_timer(group.group_id), group.join_phase.deadline_ms)
        return
    complete_join(group, ctx)


def complete_join(group: GroupMetadata, ctx: Context) -> None:
    """End the join phase (``GroupCoordinator.onCompleteJoin``).

    Invariants: GROUP-1, GROUP-4, GROUP-5.
    """
    ctx.effects.cancel_timer(join_timer(group.group_id))
    for member in group.not_yet_rejoined():
        ctx.effects.cancel_timer(heartbeat_timer(group.group_id, member.member_id))
        _answer_parked_sync(member, ErrorCode.UNKNOWN_MEMBER_ID, ctx)
        group.remove_member(member.member_id)
    if group.state is GroupState.DEAD:
        return
    if group.members and not group.maybe_elect_new_joined_leader():
        # Nobody rejoined although members remain: wait another rebalance timeout, until their
        # sessions expire (Kafka logs "could not complete rebalance because no members rejoined").
        group.join_phase = JoinPhase(
            deadline_ms=ctx.now_ms + group.rebalance_timeout_ms, initial=False
        )
        ctx.effects.set_timer(join_timer(group.group_id), group.join_phase.deadline_ms)
        return
    group.new_member_added = False
    group.init_next_generation()
    if group.state is GroupState.EMPTY:
        value = group.metadata_value({}, ctx.now_ms)
        record = group_metadata_record(group.group_id, value, ctx.now_ms)
        ctx.append(
            group.group_id,
            (record,),
            PendingEmptyGroup(group_id=group.group_id, generation_id=group.generation_id),
        )
        return
    for member in group.members.values():
        assert member.awaiting_join is not None
        ctx.effects.respond(member.awaiting_join, _generation_answer(group, member.member_id))
        member.awaiting_join = None
        member.is_new = False
        schedule_heartbeat(group, member, ctx, member.session_timeout_ms)
    # Members that never send SyncGroup are removed after one rebalance timeout (Kafka 3.x
    # DelayedSync), so one stuck member cannot hold the whole group in CompletingRebalance.
    ctx.effects.set_timer(sync_timer(group.group_id), ctx.now_ms + group.rebalance_timeout_ms)


# ---------------------------------------------------------------------------------------------
# Handing out assignments, and removing members


def _answer_parked_sync(member: MemberMetadata, code: ErrorCode, ctx: Context) -> bool:
    if member.awaiting_sync is None:
        return False
    assignment = member.assignment if code is ErrorCode.NONE else b""
    ctx.effects.respond(
        member.awaiting_sync, SyncGroupResponse(error_code=code, assignment=assignment)
    )
    member.awaiting_sync = None
    return True


def propagate_assignment(group: GroupMetadata, code: ErrorCode, ctx: Context) -> None:
    """Answer every parked SyncGroup with its member's assignment (or ``code``), and restart
    those members' sessions, since their timers were ignored while they waited.

    Invariants: GROUP-2 (each member gets exactly the bytes the leader sent for it), GROUP-5.
    """
    for member in group.members.values():
        if _answer_parked_sync(member, code, ctx):
            schedule_heartbeat(group, member, ctx, member.session_timeout_ms)


def reset_and_propagate_assignment_error(
    group: GroupMetadata, code: ErrorCode, ctx: Context
) -> None:
    """Forget the assignment and answer parked SyncGroups with ``code``."""
    assert group.state is GroupState.COMPLETING_REBALANCE
    for member in group.members.values():
        member.assignment = b""
    propagate_assignment(group, code, ctx)


def remove_member_and_update_group(
    group: GroupMetadata, member: MemberMetadata, ctx: Context
) -> None:
    """Remove a member that left or expired, and let the group react.

    Its parked JoinGroup (a new member that waited too long) is answered UNKNOWN_MEMBER_ID so the
    client starts over; a Stable or CompletingRebalance group rebalances; a join phase may now be
    complete.  Invariants: GROUP-4, GROUP-5.
    """
    if member.awaiting_join is not None:
        ctx.effects.respond(member.awaiting_join, join_error("", ErrorCode.UNKNOWN_MEMBER_ID))
        member.awaiting_join = None
    _answer_parked_sync(member, ErrorCode.UNKNOWN_MEMBER_ID, ctx)
    ctx.effects.cancel_timer(heartbeat_timer(group.group_id, member.member_id))
    group.remove_member(member.member_id)
    match group.state:
        case GroupState.STABLE | GroupState.COMPLETING_REBALANCE:
            maybe_prepare_rebalance(group, ctx)
        case GroupState.PREPARING_REBALANCE:
            try_complete_join(group, ctx)
        case GroupState.EMPTY | GroupState.DEAD:
            pass
