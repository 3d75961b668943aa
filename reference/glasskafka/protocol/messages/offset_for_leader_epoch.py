"""OffsetForLeaderEpoch (API key 23): where did the leader's log for this epoch end?

Theory of operation
-------------------
A follower that restarts, or that sees a new leader, must cut off any suffix of its log that the
new leader does not have -- but not one record more, or committed data is lost.  Truncating to
the local high watermark was Kafka's original answer and lost data (KIP-101's scenarios).
Instead the follower asks the leader: "for my latest ``leader_epoch``, what is your end offset?"
The leader answers with the first offset *after* that epoch in its own log (the start offset of
the next larger epoch it has, or its log end offset if that epoch is still current), together
with the largest epoch it has at or below the one asked for (v1+, KIP-279).  The follower
truncates to the smaller of that offset and its own end for that epoch, then fetches.

``current_leader_epoch`` (v2+, KIP-320) fences a request sent to a stale leader: an older epoch
than the receiver's gets FENCED_LEADER_EPOCH (74), a newer one UNKNOWN_LEADER_EPOCH (75).
``replica_id`` (v3+) tells a follower (its broker id) from a consumer checking its position
(-1, KIP-320's truncation detection); -2 is Kafka's "not given" for older versions.

Versions served: 0-3, the non-flexible range (``OffsetForLeaderEpochRequest.json``):

=====  ======================================================================================
v1     response ``leader_epoch`` (KIP-279)
v2     ``current_leader_epoch``; response ``throttle_time_ms``
v3     ``replica_id``
=====  ======================================================================================

Not advertised to clients yet: kafka-python 3.x sends this API when Metadata reports leader
epochs, and glasskafka reports -1 until the broker serves it to clients
(``reference/wire-protocol.md`` §4, §6).

Spec IDs: none here; the truncation rule it serves is checked by the replication specs.

Simplified from Kafka: v4 (flexible) is a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT16, INT32, INT64, STRING, ArrayOf, field, struct

__all__ = [
    "OFFSET_FOR_LEADER_EPOCH_REQUEST",
    "OFFSET_FOR_LEADER_EPOCH_RESPONSE",
    "EpochEndOffset",
    "OffsetForLeaderEpochRequest",
    "OffsetForLeaderEpochResponse",
    "OffsetForLeaderPartition",
    "OffsetForLeaderTopic",
    "OffsetForLeaderTopicResult",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderPartition:
    """The epoch whose end offset is wanted, and the sender's view of the current epoch."""

    partition: int
    current_leader_epoch: int = -1
    leader_epoch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderTopic:
    """The partitions of one topic to ask about."""

    topic: str
    partitions: tuple[OffsetForLeaderPartition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderEpochRequest(Message):
    """Ask a leader where its log for an epoch ends; ``replica_id`` is the asking broker."""

    replica_id: int = -2
    topics: tuple[OffsetForLeaderTopic, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochEndOffset:
    """The end offset of the largest epoch at or below the one asked for (-1 if unknown)."""

    error_code: int
    partition: int
    leader_epoch: int = -1
    end_offset: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderTopicResult:
    """The answers for the partitions of one topic."""

    topic: str
    partitions: tuple[EpochEndOffset, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderEpochResponse(Message):
    """The answer to an OffsetForLeaderEpochRequest."""

    throttle_time_ms: int = 0
    topics: tuple[OffsetForLeaderTopicResult, ...]


_OFFSET_FOR_LEADER_PARTITION = struct(
    OffsetForLeaderPartition,
    field("partition", INT32),
    field("current_leader_epoch", INT32, "2+", ignorable=True),
    field("leader_epoch", INT32),
)

_OFFSET_FOR_LEADER_TOPIC = struct(
    OffsetForLeaderTopic,
    field("topic", STRING),
    field("partitions", ArrayOf(_OFFSET_FOR_LEADER_PARTITION)),
)

OFFSET_FOR_LEADER_EPOCH_REQUEST = struct(
    OffsetForLeaderEpochRequest,
    field("replica_id", INT32, "3+", ignorable=True),
    field("topics", ArrayOf(_OFFSET_FOR_LEADER_TOPIC)),
)

_EPOCH_END_OFFSET = struct(
    EpochEndOffset,
    field("error_code", INT16),
    field("partition", INT32),
    field("leader_epoch", INT32, "1+", ignorable=True),
    field("end_offset", INT64),
)

_OFFSET_FOR_LEADER_TOPIC_RESULT = struct(
    OffsetForLeaderTopicResult,
    field("topic", STRING),
    field("partitions", ArrayOf(_EPOCH_END_OFFSET)),
)

OFFSET_FOR_LEADER_EPOCH_RESPONSE = struct(
    OffsetForLeaderEpochResponse,
    field("throttle_time_ms", INT32, "2+", ignorable=True),
    field("topics", ArrayOf(_OFFSET_FOR_LEADER_TOPIC_RESULT)),
)
