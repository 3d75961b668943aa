"""ListOffsets (API key 2): turn "earliest", "latest" or a timestamp into an offset.

Theory of operation
-------------------
A consumer with no committed offset, or a tool such as ``kcat -o beginning|end|s@ts``, asks the
partition leader where to start.  Each partition names a ``timestamp``:

* ``-2`` (EARLIEST): the log start offset;
* ``-1`` (LATEST): the high watermark -- or, for ``isolation_level`` 1 (read_committed), the last
  stable offset;
* anything else: the first offset whose record timestamp is at or after it (from the time index),
  answered with that record's timestamp.

Versions served: 1-5 (``reference/wire-protocol.md`` §4-5; ``ListOffsetsRequest.json``):

=====  ======================================================================================
v1     one offset and its timestamp per partition (v0's list of offsets is gone); the floor for
       offsets-by-time, and the Kafka 4 floor
v2     ``isolation_level``; response ``throttle_time_ms``
v3     same as v2
v4     ``current_leader_epoch`` (KIP-320 fencing); response ``leader_epoch``
v5     same as v4
=====  ======================================================================================

``isolation_level`` and the response's ``leader_epoch`` are *not* ignorable in Kafka's schema:
encoding a read_committed request at v1, or an epoch at v3, raises rather than quietly changing
the meaning.

Spec IDs: none.

Simplified from Kafka: v0 (a list of segment offsets, ``max_num_offsets``) is not served, as in
Kafka 4; v6+ (flexible; max-timestamp and tiered-storage lookups) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT8, INT16, INT32, INT64, STRING, ArrayOf, field, struct

__all__ = [
    "LIST_OFFSETS_REQUEST",
    "LIST_OFFSETS_RESPONSE",
    "ListOffsetsPartition",
    "ListOffsetsPartitionResponse",
    "ListOffsetsRequest",
    "ListOffsetsResponse",
    "ListOffsetsTopic",
    "ListOffsetsTopicResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsPartition:
    """One partition and the timestamp to look up (-2 earliest, -1 latest)."""

    partition_index: int
    current_leader_epoch: int = -1
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsTopic:
    """The partitions of one topic to look up."""

    name: str
    partitions: tuple[ListOffsetsPartition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsRequest(Message):
    """Look up offsets; ``replica_id`` is -1 for consumers."""

    replica_id: int
    isolation_level: int = 0
    topics: tuple[ListOffsetsTopic, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsPartitionResponse:
    """The offset found for one partition (-1 if none), and the timestamp it matched."""

    partition_index: int
    error_code: int
    timestamp: int = -1
    offset: int = -1
    leader_epoch: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsTopicResponse:
    """The answers for the partitions of one topic."""

    name: str
    partitions: tuple[ListOffsetsPartitionResponse, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsResponse(Message):
    """The answer to a ListOffsetsRequest."""

    throttle_time_ms: int = 0
    topics: tuple[ListOffsetsTopicResponse, ...]


_LIST_OFFSETS_PARTITION = struct(
    ListOffsetsPartition,
    field("partition_index", INT32),
    field("current_leader_epoch", INT32, "4+", ignorable=True),
    field("timestamp", INT64),
)

_LIST_OFFSETS_TOPIC = struct(
    ListOffsetsTopic,
    field("name", STRING),
    field("partitions", ArrayOf(_LIST_OFFSETS_PARTITION)),
)

LIST_OFFSETS_REQUEST = struct(
    ListOffsetsRequest,
    field("replica_id", INT32),
    field("isolation_level", INT8, "2+"),
    field("topics", ArrayOf(_LIST_OFFSETS_TOPIC)),
)

_LIST_OFFSETS_PARTITION_RESPONSE = struct(
    ListOffsetsPartitionResponse,
    field("partition_index", INT32),
    field("error_code", INT16),
    field("timestamp", INT64, "1+"),
    field("offset", INT64, "1+"),
    field("leader_epoch", INT32, "4+"),
)

_LIST_OFFSETS_TOPIC_RESPONSE = struct(
    ListOffsetsTopicResponse,
    field("name", STRING),
    field("partitions", ArrayOf(_LIST_OFFSETS_PARTITION_RESPONSE)),
)

LIST_OFFSETS_RESPONSE = struct(
    ListOffsetsResponse,
    field("throttle_time_ms", INT32, "2+", ignorable=True),
    field("topics", ArrayOf(_LIST_OFFSETS_TOPIC_RESPONSE)),
)
