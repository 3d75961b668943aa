"""Looking at groups from outside: FindCoordinator, DescribeGroups, ListGroups, and snapshots.

Theory of operation
-------------------
Nothing here changes a group.  Admin tools (``kafka-consumer-groups.sh --list`` and
``--describe``) and clients looking for their coordinator ask these questions, and tests and specs
read :class:`GroupView` snapshots:

* **FindCoordinator** answers with the broker that leads the group's ``__consumer_offsets``
  partition (``placement.py``), COORDINATOR_NOT_AVAILABLE while the partition has no leader, and
  refuses an empty group id and a transaction key (glasskafka has no transaction coordinator);
* **DescribeGroups** reports a group's state name, protocol and members.  As Kafka's
  ``GroupMetadata.summary`` does, only a Stable group's members carry their subscription and
  assignment bytes (in other states the assignment may be half-made); a group this coordinator
  does not know is reported Dead with no members; a request for a group this broker does not
  coordinate gets the error in the group's entry;
* **ListGroups** lists every group held, with COORDINATOR_LOAD_IN_PROGRESS while a partition is
  still loading (the list is then incomplete).

Spec IDs: none; GROUP-n snapshots in the model tests are built from :class:`GroupView`.

Simplified from Kafka: no ``authorized_operations`` (no ACLs), no state filters (KIP-518).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from glasskafka.errors import ErrorCode
from glasskafka.group.group import GroupMetadata
from glasskafka.group.host import CoordinatorEndpoint
from glasskafka.group.state import GroupState
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_listing import (
    DescribedGroup,
    DescribedGroupMember,
    ListedGroup,
    ListGroupsResponse,
)

__all__ = ["GroupView", "describe", "find_coordinator", "group_view", "list_groups"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupView:
    """A read-only snapshot of one group, for tests, specs and tools."""

    group_id: str
    state: GroupState
    generation_id: int
    protocol_name: str | None
    leader_id: str | None
    members: tuple[str, ...]
    assignments: tuple[tuple[str, bytes], ...]
    awaiting_join: tuple[str, ...]
    awaiting_sync: tuple[str, ...]
    pending_members: tuple[str, ...]
    offsets: tuple[tuple[tuple[str, int], int], ...]


def group_view(group: GroupMetadata) -> GroupView:
    """A snapshot of ``group``."""
    members = list(group.members.values())
    return GroupView(
        group_id=group.group_id,
        state=group.state,
        generation_id=group.generation_id,
        protocol_name=group.protocol_name,
        leader_id=group.leader_id,
        members=tuple(m.member_id for m in members),
        assignments=tuple((m.member_id, m.assignment) for m in members),
        awaiting_join=tuple(m.member_id for m in members if m.awaiting_join is not None),
        awaiting_sync=tuple(m.member_id for m in members if m.awaiting_sync is not None),
        pending_members=tuple(sorted(group.pending_members)),
        offsets=tuple(((tp[0], tp[1]), v.offset) for tp, v in sorted(group.offsets.items())),
    )


def find_coordinator(
    body: FindCoordinatorRequest, leader: CoordinatorEndpoint | None
) -> FindCoordinatorResponse:
    """The answer to FindCoordinator, given the leader of the key's offsets partition."""

    def error(code: ErrorCode, message: str) -> FindCoordinatorResponse:
        return FindCoordinatorResponse(
            error_code=code, error_message=message, node_id=-1, host="", port=-1
        )

    if body.key_type != 0:
        return error(ErrorCode.INVALID_REQUEST, "only group coordinators (key_type 0) exist")
    if not body.key:
        return error(ErrorCode.INVALID_GROUP_ID, "the group id is empty")
    if leader is None:
        return error(ErrorCode.COORDINATOR_NOT_AVAILABLE, "the offsets partition has no leader")
    return FindCoordinatorResponse(
        error_code=ErrorCode.NONE,
        error_message=None,
        node_id=leader.node_id,
        host=leader.host,
        port=leader.port,
    )


def describe(group_id: str, status: ErrorCode, group: GroupMetadata | None) -> DescribedGroup:
    """One DescribeGroups entry (``GroupCoordinator.handleDescribeGroup``)."""
    if status is not ErrorCode.NONE or group is None:
        return DescribedGroup(
            error_code=status,
            group_id=group_id,
            group_state="" if status is not ErrorCode.NONE else GroupState.DEAD.value,
            protocol_type="",
            protocol_data="",
            members=(),
        )
    # Only a Stable group's summary carries metadata and assignments (GroupMetadata.summary).
    protocol = group.protocol_name if group.state is GroupState.STABLE else None
    members = tuple(
        DescribedGroupMember(
            member_id=m.member_id,
            group_instance_id=m.group_instance_id,
            client_id=m.client_id,
            client_host=m.client_host,
            member_metadata=m.metadata(protocol) if protocol is not None else b"",
            member_assignment=m.assignment if protocol is not None else b"",
        )
        for m in group.members.values()
    )
    return DescribedGroup(
        error_code=ErrorCode.NONE,
        group_id=group_id,
        group_state=group.state.value,
        protocol_type=group.protocol_type or "",
        protocol_data=protocol or "",
        members=members,
    )


def list_groups(groups: Mapping[str, GroupMetadata], *, loading: bool) -> ListGroupsResponse:
    """The ListGroups answer: every group held, sorted by id."""
    return ListGroupsResponse(
        error_code=ErrorCode.COORDINATOR_LOAD_IN_PROGRESS if loading else ErrorCode.NONE,
        groups=tuple(
            ListedGroup(group_id=group.group_id, protocol_type=group.protocol_type or "")
            for _, group in sorted(groups.items())
        ),
    )
