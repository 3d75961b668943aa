"""OffsetCommit (API key 8) and OffsetFetch (API key 9): a group's committed positions.

Theory of operation
-------------------
A consumer group remembers, per partition, the offset of the next record to process, so that
whoever reads the partition after a rebalance or a restart resumes there (Kafka's design,
"Consumer Position").  Members commit through their group coordinator, which stores each commit
as a record in the compacted ``__consumer_offsets`` topic; OffsetFetch reads them back, answering
offset -1 where nothing was committed.

A commit names the member and generation, and the coordinator refuses stale ones
(ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID).  A consumer that assigns partitions itself and never
joins sends ``generation_id`` -1 and an empty ``member_id``, which is accepted
(``reference/wire-protocol.md`` §6).  ``committed_metadata`` is a free string the client gets back
unchanged; ``committed_leader_epoch`` lets the next reader detect truncation (KIP-320).

Versions served (``reference/wire-protocol.md`` §4-5): OffsetCommit 2-7, OffsetFetch 1-5.

=================  ==========================================================================
OffsetCommit v2    ``retention_time_ms`` (-1 = broker default), the Kafka 4 floor
OffsetCommit v3    response ``throttle_time_ms``;  v4 same
OffsetCommit v5    ``retention_time_ms`` removed (KIP-211)
OffsetCommit v6    ``committed_leader_epoch``
OffsetCommit v7    ``group_instance_id`` (KIP-345; not ignorable)
OffsetFetch v1     the Kafka 4 floor (offsets from ``__consumer_offsets``, not ZooKeeper)
OffsetFetch v2     ``topics`` null = every partition of the group; response ``error_code``
OffsetFetch v3     response ``throttle_time_ms``;  v4 same
OffsetFetch v5     response ``committed_leader_epoch``
=================  ==========================================================================

``generation_id`` is the name Kafka's schema used until 3.6; KIP-848 renamed it
``generation_id_or_member_epoch`` for the new consumer protocol, which glasskafka does not have.

Spec IDs: none.

Simplified from Kafka: OffsetCommit 8+ and OffsetFetch 6+ (flexible; several groups per request,
KIP-709) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT16, INT32, INT64, STRING, ArrayOf, field, struct

__all__ = [
    "OFFSET_COMMIT_REQUEST",
    "OFFSET_COMMIT_RESPONSE",
    "OFFSET_FETCH_REQUEST",
    "OFFSET_FETCH_RESPONSE",
    "OffsetCommitRequest",
    "OffsetCommitRequestPartition",
    "OffsetCommitRequestTopic",
    "OffsetCommitResponse",
    "OffsetCommitResponsePartition",
    "OffsetCommitResponseTopic",
    "OffsetFetchRequest",
    "OffsetFetchRequestTopic",
    "OffsetFetchResponse",
    "OffsetFetchResponsePartition",
    "OffsetFetchResponseTopic",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitRequestPartition:
    """The position to commit for one partition, with the client's metadata string."""

    partition_index: int
    committed_offset: int
    committed_leader_epoch: int = -1
    committed_metadata: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitRequestTopic:
    """The partitions of one topic to commit."""

    name: str
    partitions: tuple[OffsetCommitRequestPartition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitRequest(Message):
    """Commit positions for a group; generation -1 and member "" for assign-mode consumers."""

    group_id: str
    generation_id: int = -1
    member_id: str = ""
    group_instance_id: str | None = None
    retention_time_ms: int = -1
    topics: tuple[OffsetCommitRequestTopic, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitResponsePartition:
    """The outcome of committing one partition."""

    partition_index: int
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitResponseTopic:
    """The outcomes for the partitions of one topic."""

    name: str
    partitions: tuple[OffsetCommitResponsePartition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitResponse(Message):
    """The answer to an OffsetCommitRequest, one error code per partition."""

    throttle_time_ms: int = 0
    topics: tuple[OffsetCommitResponseTopic, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchRequestTopic:
    """The partitions of one topic whose committed offsets are wanted."""

    name: str
    partition_indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchRequest(Message):
    """Read a group's committed offsets; ``topics=None`` (v2+) means all of them."""

    group_id: str
    topics: tuple[OffsetFetchRequestTopic, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponsePartition:
    """A committed offset (-1 if none) with its metadata and leader epoch."""

    partition_index: int
    committed_offset: int
    committed_leader_epoch: int = -1
    metadata: str | None
    error_code: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponseTopic:
    """The committed offsets of one topic's partitions."""

    name: str
    partitions: tuple[OffsetFetchResponsePartition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponse(Message):
    """The committed offsets; from v2 a group-level ``error_code`` too."""

    throttle_time_ms: int = 0
    topics: tuple[OffsetFetchResponseTopic, ...]
    error_code: int = 0


_OFFSET_COMMIT_REQUEST_PARTITION = struct(
    OffsetCommitRequestPartition,
    field("partition_index", INT32),
    field("committed_offset", INT64),
    field("committed_leader_epoch", INT32, "6+", ignorable=True),
    field("committed_metadata", STRING, nullable="0+"),
)

_OFFSET_COMMIT_REQUEST_TOPIC = struct(
    OffsetCommitRequestTopic,
    field("name", STRING),
    field("partitions", ArrayOf(_OFFSET_COMMIT_REQUEST_PARTITION)),
)

OFFSET_COMMIT_REQUEST = struct(
    OffsetCommitRequest,
    field("group_id", STRING),
    field("generation_id", INT32, "1+", ignorable=True),
    field("member_id", STRING, "1+", ignorable=True),
    field("group_instance_id", STRING, "7+", nullable="7+"),
    field("retention_time_ms", INT64, "2-4", ignorable=True),
    field("topics", ArrayOf(_OFFSET_COMMIT_REQUEST_TOPIC)),
)

_OFFSET_COMMIT_RESPONSE_PARTITION = struct(
    OffsetCommitResponsePartition,
    field("partition_index", INT32),
    field("error_code", INT16),
)

_OFFSET_COMMIT_RESPONSE_TOPIC = struct(
    OffsetCommitResponseTopic,
    field("name", STRING),
    field("partitions", ArrayOf(_OFFSET_COMMIT_RESPONSE_PARTITION)),
)

OFFSET_COMMIT_RESPONSE = struct(
    OffsetCommitResponse,
    field("throttle_time_ms", INT32, "3+", ignorable=True),
    field("topics", ArrayOf(_OFFSET_COMMIT_RESPONSE_TOPIC)),
)

_OFFSET_FETCH_REQUEST_TOPIC = struct(
    OffsetFetchRequestTopic,
    field("name", STRING, "0-7"),
    field("partition_indexes", ArrayOf(INT32), "0-7"),
)

OFFSET_FETCH_REQUEST = struct(
    OffsetFetchRequest,
    field("group_id", STRING, "0-7"),
    field("topics", ArrayOf(_OFFSET_FETCH_REQUEST_TOPIC), "0-7", nullable="2-7"),
)

_OFFSET_FETCH_RESPONSE_PARTITION = struct(
    OffsetFetchResponsePartition,
    field("partition_index", INT32, "0-7"),
    field("committed_offset", INT64, "0-7"),
    field("committed_leader_epoch", INT32, "5-7", ignorable=True),
    field("metadata", STRING, "0-7", nullable="0-7"),
    field("error_code", INT16, "0-7"),
)

_OFFSET_FETCH_RESPONSE_TOPIC = struct(
    OffsetFetchResponseTopic,
    field("name", STRING, "0-7"),
    field("partitions", ArrayOf(_OFFSET_FETCH_RESPONSE_PARTITION), "0-7"),
)

OFFSET_FETCH_RESPONSE = struct(
    OffsetFetchResponse,
    field("throttle_time_ms", INT32, "3+", ignorable=True),
    field("topics", ArrayOf(_OFFSET_FETCH_RESPONSE_TOPIC), "0-7"),
    field("error_code", INT16, "2-7", ignorable=True),
)
