"""JoinGroup (11), SyncGroup (14), Heartbeat (12), LeaveGroup (13): the classic group protocol.

Theory of operation
-------------------
A consumer group agrees on who reads what in rounds called *generations* (Kafka's design,
"Consumer Group Protocol"; KIP-62, KIP-345, KIP-394):

1. **JoinGroup.**  Every member sends the assignors it supports, each with opaque metadata (its
   subscription).  The coordinator waits for the known members (up to ``rebalance_timeout_ms``),
   picks a protocol all of them list, bumps the generation and answers everyone.  One member,
   the *leader*, also receives every member's metadata.  From v4 a member with an empty
   ``member_id`` is first answered MEMBER_ID_REQUIRED (79) with an id to join again with.
2. **SyncGroup.**  The leader runs the assignor (in the client, not the broker) and sends every
   member's assignment; the others send none and wait.  Each gets its own bytes back, verbatim.
3. **Heartbeat.**  Members prove they are alive every ``heartbeat.interval.ms``; the answer
   REBALANCE_IN_PROGRESS (27) tells them to join again.  No heartbeat for
   ``session_timeout_ms`` and the member is evicted.
4. **LeaveGroup.**  A member that shuts down leaves at once instead of waiting for its session to
   time out.  From v3 the request lists members (so an admin can remove static members).

``group_instance_id`` (v5 of JoinGroup, v3 of the others) makes a member *static* (KIP-345); it
is not ignorable, so it cannot be sent at older versions.

Versions served (``reference/wire-protocol.md`` §4-5): JoinGroup 0-5, SyncGroup 0-3,
Heartbeat 0-3, LeaveGroup 0-3 -- each the non-flexible range.

=================  ==========================================================================
JoinGroup v1       ``rebalance_timeout_ms`` (KIP-62)
JoinGroup v2       response ``throttle_time_ms``;  v3 same;  v4 MEMBER_ID_REQUIRED (KIP-394)
JoinGroup v5       ``group_instance_id`` in request and response members
SyncGroup v1       response ``throttle_time_ms``;  v2 same;  v3 ``group_instance_id``
Heartbeat v1       response ``throttle_time_ms``;  v2 same;  v3 ``group_instance_id``
LeaveGroup v1      response ``throttle_time_ms``;  v2 same
LeaveGroup v3      ``member_id`` replaced by ``members``; response per-member errors
=================  ==========================================================================

Spec IDs: none.

Simplified from Kafka: the flexible versions (JoinGroup 6+, the others 4+) with ``reason``,
``protocol_type`` echoes and ``skip_assignment`` are a later chapter; KIP-848's new protocol is
out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import BYTES, INT16, INT32, STRING, ArrayOf, field, struct

__all__ = [
    "HEARTBEAT_REQUEST",
    "HEARTBEAT_RESPONSE",
    "JOIN_GROUP_REQUEST",
    "JOIN_GROUP_RESPONSE",
    "LEAVE_GROUP_REQUEST",
    "LEAVE_GROUP_RESPONSE",
    "SYNC_GROUP_REQUEST",
    "SYNC_GROUP_RESPONSE",
    "HeartbeatRequest",
    "HeartbeatResponse",
    "JoinGroupRequest",
    "JoinGroupRequestProtocol",
    "JoinGroupResponse",
    "JoinGroupResponseMember",
    "LeaveGroupRequest",
    "LeaveGroupResponse",
    "MemberIdentity",
    "MemberResponse",
    "SyncGroupRequest",
    "SyncGroupRequestAssignment",
    "SyncGroupResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupRequestProtocol:
    """One assignor the member supports, with its subscription metadata (opaque bytes)."""

    name: str
    metadata: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupRequest(Message):
    """Join (or rejoin) a group; ``member_id`` is "" the first time."""

    group_id: str
    session_timeout_ms: int
    rebalance_timeout_ms: int = -1
    member_id: str
    group_instance_id: str | None = None
    protocol_type: str
    protocols: tuple[JoinGroupRequestProtocol, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupResponseMember:
    """A member and its metadata, as the leader receives them."""

    member_id: str
    group_instance_id: str | None = None
    metadata: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupResponse(Message):
    """The new generation; ``members`` is filled in for the leader only."""

    throttle_time_ms: int = 0
    error_code: int
    generation_id: int = -1
    protocol_name: str
    leader: str
    member_id: str
    members: tuple[JoinGroupResponseMember, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupRequestAssignment:
    """The leader's assignment for one member (opaque bytes the member decodes)."""

    member_id: str
    assignment: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupRequest(Message):
    """Send (leader) or wait for (others) the generation's assignments."""

    group_id: str
    generation_id: int
    member_id: str
    group_instance_id: str | None = None
    assignments: tuple[SyncGroupRequestAssignment, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupResponse(Message):
    """This member's assignment, exactly the bytes the leader sent."""

    throttle_time_ms: int = 0
    error_code: int
    assignment: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatRequest(Message):
    """I am alive, in this generation."""

    group_id: str
    generation_id: int
    member_id: str
    group_instance_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatResponse(Message):
    """NONE, or REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID."""

    throttle_time_ms: int = 0
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberIdentity:
    """v3+: one member to remove from the group."""

    member_id: str
    group_instance_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveGroupRequest(Message):
    """Leave the group: ``member_id`` up to v2, ``members`` from v3."""

    group_id: str
    member_id: str = ""
    members: tuple[MemberIdentity, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberResponse:
    """v3+: the outcome for one leaving member."""

    member_id: str
    group_instance_id: str | None
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveGroupResponse(Message):
    """The outcome, and from v3 one per member."""

    throttle_time_ms: int = 0
    error_code: int
    members: tuple[MemberResponse, ...] = ()


_JOIN_GROUP_REQUEST_PROTOCOL = struct(
    JoinGroupRequestProtocol,
    field("name", STRING),
    field("metadata", BYTES),
)

JOIN_GROUP_REQUEST = struct(
    JoinGroupRequest,
    field("group_id", STRING),
    field("session_timeout_ms", INT32),
    field("rebalance_timeout_ms", INT32, "1+", ignorable=True),
    field("member_id", STRING),
    field("group_instance_id", STRING, "5+", nullable="5+"),
    field("protocol_type", STRING),
    field("protocols", ArrayOf(_JOIN_GROUP_REQUEST_PROTOCOL)),
)

_JOIN_GROUP_RESPONSE_MEMBER = struct(
    JoinGroupResponseMember,
    field("member_id", STRING),
    field("group_instance_id", STRING, "5+", nullable="5+", ignorable=True),
    field("metadata", BYTES),
)

JOIN_GROUP_RESPONSE = struct(
    JoinGroupResponse,
    field("throttle_time_ms", INT32, "2+", ignorable=True),
    field("error_code", INT16),
    field("generation_id", INT32),
    field("protocol_name", STRING),
    field("leader", STRING),
    field("member_id", STRING),
    field("members", ArrayOf(_JOIN_GROUP_RESPONSE_MEMBER)),
)

_SYNC_GROUP_REQUEST_ASSIGNMENT = struct(
    SyncGroupRequestAssignment,
    field("member_id", STRING),
    field("assignment", BYTES),
)

SYNC_GROUP_REQUEST = struct(
    SyncGroupRequest,
    field("group_id", STRING),
    field("generation_id", INT32),
    field("member_id", STRING),
    field("group_instance_id", STRING, "3+", nullable="3+"),
    field("assignments", ArrayOf(_SYNC_GROUP_REQUEST_ASSIGNMENT)),
)

SYNC_GROUP_RESPONSE = struct(
    SyncGroupResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("error_code", INT16),
    field("assignment", BYTES),
)

HEARTBEAT_REQUEST = struct(
    HeartbeatRequest,
    field("group_id", STRING),
    field("generation_id", INT32),
    field("member_id", STRING),
    field("group_instance_id", STRING, "3+", nullable="3+"),
)

HEARTBEAT_RESPONSE = struct(
    HeartbeatResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("error_code", INT16),
)

_MEMBER_IDENTITY = struct(
    MemberIdentity,
    field("member_id", STRING, "3+"),
    field("group_instance_id", STRING, "3+", nullable="3+"),
)

LEAVE_GROUP_REQUEST = struct(
    LeaveGroupRequest,
    field("group_id", STRING),
    field("member_id", STRING, "0-2"),
    field("members", ArrayOf(_MEMBER_IDENTITY), "3+"),
)

_MEMBER_RESPONSE = struct(
    MemberResponse,
    field("member_id", STRING, "3+"),
    field("group_instance_id", STRING, "3+", nullable="3+"),
    field("error_code", INT16, "3+"),
)

LEAVE_GROUP_RESPONSE = struct(
    LeaveGroupResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("error_code", INT16),
    field("members", ArrayOf(_MEMBER_RESPONSE), "3+"),
)
