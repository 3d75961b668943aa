"""The group protocol's messages of a run, read off the simulator's trace.

A rebalance is a short conversation between the members and the group coordinator
(``reference/clients-and-groups.md`` §10; the course notes' four steps): every member sends
JoinGroup, the coordinator answers each one when the join phase ends -- the leader gets every
member's subscription --, the leader computes the assignment and sends it in its SyncGroup, and
the coordinator hands each member its share in the SyncGroup answer.  Members that are not
rejoining hear of the rebalance in a Heartbeat answer (``REBALANCE_IN_PROGRESS``).

:func:`group_exchange` picks those messages out of the trace (``Delivered`` events of the
JoinGroup, SyncGroup, Heartbeat and LeaveGroup APIs) and prints one line for each, naming members
by their consumer's name rather than their long member ids; :func:`group_trace` keeps the same
events, with the matching ``Sent`` events, for a sequence diagram (``viz/sequence.py``).

Spec IDs: none (tutorial output).

Simplified from Kafka: nothing; these are the classic protocol's messages with their Kafka names.
"""

from __future__ import annotations

from collections.abc import Sequence

from glasskafka.assignors.consumer_protocol import decode_assignment
from glasskafka.errors import ErrorCode
from glasskafka.node import Message
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)
from glasskafka.sim import Delivered, Sent, TraceEvent

__all__ = ["group_exchange", "group_trace", "is_group_message"]

_GROUP_BODIES = (
    JoinGroupRequest,
    JoinGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
)


def _body(message: Message) -> Message:
    return message.body if isinstance(message, KafkaRequest | KafkaResponse) else message


def is_group_message(event: TraceEvent) -> bool:
    """A ``Sent`` or ``Delivered`` event carrying a membership API request or answer."""
    return isinstance(event, Sent | Delivered) and isinstance(_body(event.message), _GROUP_BODIES)


def group_trace(events: Sequence[TraceEvent], *, since_ms: int) -> list[TraceEvent]:
    """The membership messages sent or delivered at ``since_ms`` or later."""
    return [e for e in events if is_group_message(e) and e.time_ms >= since_ms]


def _error(code: int) -> str:
    return "" if code == ErrorCode.NONE else f" error {ErrorCode(code).name}"


def _describe(body: Message, names: dict[str, str]) -> str:
    """One message as a short phrase; member ids are replaced by their consumers' names."""

    def who(member_id: str) -> str:
        return names.get(member_id, repr(member_id))

    match body:
        case JoinGroupRequest():
            return f"JoinGroup(member_id={who(body.member_id)})"
        case JoinGroupResponse() if body.error_code != ErrorCode.NONE:
            return f"JoinGroup answer:{_error(body.error_code)}, member_id={who(body.member_id)}"
        case JoinGroupResponse():
            members = f", subscriptions of {len(body.members)} members" if body.members else ""
            return (
                f"JoinGroup answer: generation {body.generation_id}, "
                f"leader {who(body.leader)}{members}"
            )
        case SyncGroupRequest():
            plan = ", ".join(
                f"{who(a.member_id)}: {_partitions(a.assignment)}" for a in body.assignments
            )
            return f"SyncGroup(generation {body.generation_id}{', ' + plan if plan else ''})"
        case SyncGroupResponse():
            return f"SyncGroup answer:{_error(body.error_code)} {_partitions(body.assignment)}"
        case HeartbeatRequest():
            return f"Heartbeat(generation {body.generation_id})"
        case HeartbeatResponse():
            return f"Heartbeat answer:{_error(body.error_code) or ' ok'}"
        case LeaveGroupRequest():
            return "LeaveGroup"
        case LeaveGroupResponse():
            return f"LeaveGroup answer:{_error(body.error_code) or ' ok'}"
        case _:
            return type(body).__name__


def _partitions(assignment: bytes) -> str:
    if not assignment:
        return "(no assignment)"
    partitions = decode_assignment(assignment).partitions
    return " ".join(f"{t}-{p}" for t, p in sorted(partitions)) or "(no partitions)"


def group_exchange(
    events: Sequence[TraceEvent], *, since_ms: int, heartbeats: bool = True
) -> list[str]:
    """One line per membership message delivered from ``since_ms`` on, in delivery order."""
    names: dict[str, str] = {}
    lines = []
    for event in events:
        if not isinstance(event, Delivered) or not is_group_message(event):
            continue
        body = _body(event.message)
        consumer = event.sender if event.receiver.startswith("broker-") else event.receiver
        if isinstance(body, JoinGroupResponse) and body.member_id:
            names.setdefault(body.member_id, str(consumer))
        if event.time_ms < since_ms:
            continue
        quiet_beat = isinstance(body, HeartbeatRequest) or (
            isinstance(body, HeartbeatResponse) and body.error_code == ErrorCode.NONE
        )
        if quiet_beat and not heartbeats:
            continue  # a heartbeat that changes nothing
        arrow = f"{event.sender} -> {event.receiver}"
        lines.append(f"  {event.time_ms:>6} ms  {arrow:<19} {_describe(body, names)}")
    return lines
