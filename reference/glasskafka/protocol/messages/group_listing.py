"""DescribeGroups (API key 15) and ListGroups (API key 16): looking at groups from outside.

Theory of operation
-------------------
Admin tools (``kafka-consumer-groups.sh --list`` and ``--describe``) ask each broker which
groups it coordinates (ListGroups), then ask a group's coordinator for its state, protocol and
members (DescribeGroups).  Neither changes anything.  ``group_state`` is one of the coordinator's
state names -- ``Empty``, ``PreparingRebalance``, ``CompletingRebalance``, ``Stable``, ``Dead``
-- as a string, and ``member_metadata`` / ``member_assignment`` are the opaque bytes the members
exchanged in JoinGroup and SyncGroup.

Versions served (``reference/wire-protocol.md`` §4): DescribeGroups 0-4, ListGroups 0-2.

====================  =======================================================================
DescribeGroups v1     response ``throttle_time_ms``;  v2 same
DescribeGroups v3     ``include_authorized_operations``; response ``authorized_operations``
DescribeGroups v4     members' ``group_instance_id`` (KIP-345)
ListGroups v1         response ``throttle_time_ms``;  v2 same
====================  =======================================================================

Spec IDs: none.

Simplified from Kafka: DescribeGroups 5+ and ListGroups 3+ (flexible; state and type filters,
KIP-518 and KIP-848) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.messages.metadata import AUTHORIZED_OPERATIONS_OMITTED
from glasskafka.protocol.schema import BOOLEAN, BYTES, INT16, INT32, STRING, ArrayOf, field, struct

__all__ = [
    "DESCRIBE_GROUPS_REQUEST",
    "DESCRIBE_GROUPS_RESPONSE",
    "LIST_GROUPS_REQUEST",
    "LIST_GROUPS_RESPONSE",
    "DescribeGroupsRequest",
    "DescribeGroupsResponse",
    "DescribedGroup",
    "DescribedGroupMember",
    "ListGroupsRequest",
    "ListGroupsResponse",
    "ListedGroup",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeGroupsRequest(Message):
    """Describe these groups (sent to their coordinator)."""

    groups: tuple[str, ...]
    include_authorized_operations: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DescribedGroupMember:
    """One member: who it is and the bytes it exchanged in JoinGroup and SyncGroup."""

    member_id: str
    group_instance_id: str | None = None
    client_id: str
    client_host: str
    member_metadata: bytes
    member_assignment: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DescribedGroup:
    """One group's state, protocol and members."""

    error_code: int
    group_id: str
    group_state: str
    protocol_type: str
    protocol_data: str
    members: tuple[DescribedGroupMember, ...]
    authorized_operations: int = AUTHORIZED_OPERATIONS_OMITTED


@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeGroupsResponse(Message):
    """The groups asked for, each with its own error code."""

    throttle_time_ms: int = 0
    groups: tuple[DescribedGroup, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListGroupsRequest(Message):
    """Which groups does this broker coordinate?  (Empty up to v2.)"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedGroup:
    """A group id and its protocol type ("consumer" for consumer groups)."""

    group_id: str
    protocol_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListGroupsResponse(Message):
    """The groups this broker coordinates."""

    throttle_time_ms: int = 0
    error_code: int
    groups: tuple[ListedGroup, ...]


DESCRIBE_GROUPS_REQUEST = struct(
    DescribeGroupsRequest,
    field("groups", ArrayOf(STRING)),
    field("include_authorized_operations", BOOLEAN, "3+"),
)

_DESCRIBED_GROUP_MEMBER = struct(
    DescribedGroupMember,
    field("member_id", STRING),
    field("group_instance_id", STRING, "4+", nullable="4+", ignorable=True),
    field("client_id", STRING),
    field("client_host", STRING),
    field("member_metadata", BYTES),
    field("member_assignment", BYTES),
)

_DESCRIBED_GROUP = struct(
    DescribedGroup,
    field("error_code", INT16),
    field("group_id", STRING),
    field("group_state", STRING),
    field("protocol_type", STRING),
    field("protocol_data", STRING),
    field("members", ArrayOf(_DESCRIBED_GROUP_MEMBER)),
    field("authorized_operations", INT32, "3+"),
)

DESCRIBE_GROUPS_RESPONSE = struct(
    DescribeGroupsResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("groups", ArrayOf(_DESCRIBED_GROUP)),
)

LIST_GROUPS_REQUEST = struct(ListGroupsRequest)

_LISTED_GROUP = struct(
    ListedGroup,
    field("group_id", STRING),
    field("protocol_type", STRING),
)

LIST_GROUPS_RESPONSE = struct(
    ListGroupsResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("error_code", INT16),
    field("groups", ArrayOf(_LISTED_GROUP)),
)
