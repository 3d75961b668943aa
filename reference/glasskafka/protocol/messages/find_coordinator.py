"""FindCoordinator (API key 10): which broker coordinates this group (or transaction)?

Theory of operation
-------------------
A consumer group's state -- members, generation, committed offsets -- lives with one broker, its
*group coordinator*: the leader of partition ``abs(javaHash(group.id)) % 50`` of the compacted
``__consumer_offsets`` topic (``offsets.topic.num.partitions``; Kafka's design, "Consumer Offset
Tracking").  A consumer asks any broker which one that is, then sends JoinGroup, SyncGroup,
Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch there.  ``key_type`` 1 asks for a
transaction coordinator instead (``__transaction_state``), keyed by ``transactional.id``.

The answer is COORDINATOR_NOT_AVAILABLE (15) while that partition has no leader; group requests
that reach the wrong broker get NOT_COORDINATOR (16) and the client asks again.

Versions served: 0-2 (``reference/wire-protocol.md`` §4-5; ``FindCoordinatorRequest.json``):

=====  ======================================================================================
v0     ``key`` (the group id); response error, ``node_id``, ``host``, ``port``.  Old librdkafka
       needs v0 in range to enable groups and LZ4 (its ``rdkafka_feature.c`` checks)
v1     ``key_type`` (not ignorable); response ``throttle_time_ms``, ``error_message``
v2     same as v1
=====  ======================================================================================

Spec IDs: none.

Simplified from Kafka: v3+ (flexible; v4 batches several keys) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT8, INT16, INT32, STRING, field, struct

__all__ = [
    "FIND_COORDINATOR_REQUEST",
    "FIND_COORDINATOR_RESPONSE",
    "FindCoordinatorRequest",
    "FindCoordinatorResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FindCoordinatorRequest(Message):
    """Find the coordinator for ``key``: a group id (``key_type`` 0) or transactional id (1)."""

    key: str
    key_type: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FindCoordinatorResponse(Message):
    """The coordinator's broker id and address, or an error."""

    throttle_time_ms: int = 0
    error_code: int
    error_message: str | None = ""
    node_id: int
    host: str
    port: int


FIND_COORDINATOR_REQUEST = struct(
    FindCoordinatorRequest,
    field("key", STRING, "0-3"),
    field("key_type", INT8, "1+"),
)

FIND_COORDINATOR_RESPONSE = struct(
    FindCoordinatorResponse,
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("error_code", INT16, "0-3"),
    # Kafka's schema gives no default, so the generated default is "" rather than null.
    field("error_message", STRING, "1-3", nullable="1-3", ignorable=True),
    field("node_id", INT32, "0-3"),
    field("host", STRING, "0-3"),
    field("port", INT32, "0-3"),
)
