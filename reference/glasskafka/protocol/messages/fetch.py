"""Fetch (API key 1): consumers and follower replicas read batches from partition leaders.

Theory of operation
-------------------
A FetchRequest names, per partition, the offset to read from and how many bytes to return.
The leader answers with whole batches starting at the batch that *contains* ``fetch_offset``,
plus the partition's high watermark, last stable offset and log start offset.  The same request
serves two kinds of caller (Kafka's replication design, "Replication"):

* a **consumer** sends ``replica_id = -1`` and may only read below the high watermark;
* a **follower** sends its own broker id as ``replica_id >= 0``; the leader treats its
  ``fetch_offset`` as the follower's log end offset, which is how the leader learns what each
  follower has and so advances the high watermark.  There is no separate replication API.

``max_wait_ms`` and ``min_bytes`` make a fetch a long poll: the leader may park it until enough
bytes arrive or the time runs out.

Versions served: 4-11 (``reference/wire-protocol.md`` §4-5; ``FetchRequest.json``):

=====  ======================================================================================
v4     ``isolation_level`` (0 read_uncommitted, 1 read_committed); response
       ``last_stable_offset`` and ``aborted_transactions``; magic 2 batches -- the Kafka 4 floor
v5     ``log_start_offset`` in request (followers) and response
v6     same as v5
v7     fetch sessions (KIP-227): ``session_id``, ``session_epoch``, ``forgotten_topics_data``;
       response top-level ``error_code`` and ``session_id``
v8     same as v7
v9     ``current_leader_epoch`` per partition (KIP-320 fencing)
v10    same as v9; zstd batches may be returned (KIP-110)
v11    ``rack_id`` (KIP-392); response ``preferred_read_replica`` -- must be -1 unless the
       broker really means another replica (garbage here broke librdkafka, nisshi-io/nisshi #62)
=====  ======================================================================================

Spec IDs: none.

Simplified from Kafka: versions 0-3 (message formats 0 and 1) are refused, as Kafka 4 does
(KIP-896); 12+ (flexible, topic ids, diverging epochs as tagged fields) are a later chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import (
    INT8,
    INT16,
    INT32,
    INT64,
    RECORDS,
    STRING,
    ArrayOf,
    field,
    struct,
)

__all__ = [
    "FETCH_REQUEST",
    "FETCH_RESPONSE",
    "AbortedTransaction",
    "FetchPartition",
    "FetchRequest",
    "FetchResponse",
    "FetchTopic",
    "FetchableTopicResponse",
    "ForgottenTopic",
    "PartitionData",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPartition:
    """Where to read one partition from, and at most how many bytes."""

    partition: int
    current_leader_epoch: int = -1
    fetch_offset: int
    log_start_offset: int = -1
    partition_max_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchTopic:
    """The partitions of one topic to read."""

    topic: str
    partitions: tuple[FetchPartition, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForgottenTopic:
    """v7+: partitions to drop from an incremental fetch session (KIP-227)."""

    topic: str
    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchRequest(Message):
    """Read batches; ``replica_id`` -1 for a consumer, the broker id for a follower."""

    replica_id: int = -1
    max_wait_ms: int
    min_bytes: int
    max_bytes: int = 0x7FFFFFFF
    isolation_level: int = 0
    session_id: int = 0
    session_epoch: int = -1
    topics: tuple[FetchTopic, ...]
    forgotten_topics_data: tuple[ForgottenTopic, ...] = ()
    rack_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AbortedTransaction:
    """A transaction aborted inside the returned range (read_committed consumers skip it)."""

    producer_id: int
    first_offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData:
    """One partition's answer: watermarks and the batches from ``fetch_offset`` on."""

    partition_index: int
    error_code: int
    high_watermark: int
    last_stable_offset: int = -1
    log_start_offset: int = -1
    aborted_transactions: tuple[AbortedTransaction, ...] | None = ()
    preferred_read_replica: int = -1
    records: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchableTopicResponse:
    """The answers for the partitions of one topic."""

    topic: str
    partitions: tuple[PartitionData, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResponse(Message):
    """The answer to a FetchRequest; ``session_id`` 0 keeps a client on full fetches."""

    throttle_time_ms: int = 0
    error_code: int = 0
    session_id: int = 0
    responses: tuple[FetchableTopicResponse, ...]


_FETCH_PARTITION = struct(
    FetchPartition,
    field("partition", INT32),
    field("current_leader_epoch", INT32, "9+", ignorable=True),
    field("fetch_offset", INT64),
    field("log_start_offset", INT64, "5+", ignorable=True),
    field("partition_max_bytes", INT32),
)

_FETCH_TOPIC = struct(
    FetchTopic,
    field("topic", STRING, "0-12", ignorable=True),
    field("partitions", ArrayOf(_FETCH_PARTITION)),
)

_FORGOTTEN_TOPIC = struct(
    ForgottenTopic,
    field("topic", STRING, "7-12", ignorable=True),
    field("partitions", ArrayOf(INT32), "7+"),
)

FETCH_REQUEST = struct(
    FetchRequest,
    field("replica_id", INT32, "0-14"),
    field("max_wait_ms", INT32),
    field("min_bytes", INT32),
    field("max_bytes", INT32, "3+", ignorable=True),
    field("isolation_level", INT8, "4+", ignorable=True),
    field("session_id", INT32, "7+", ignorable=True),
    field("session_epoch", INT32, "7+", ignorable=True),
    field("topics", ArrayOf(_FETCH_TOPIC)),
    field("forgotten_topics_data", ArrayOf(_FORGOTTEN_TOPIC), "7+"),
    field("rack_id", STRING, "11+", ignorable=True),
)

_ABORTED_TRANSACTION = struct(
    AbortedTransaction,
    field("producer_id", INT64, "4+"),
    field("first_offset", INT64, "4+"),
)

_PARTITION_DATA = struct(
    PartitionData,
    field("partition_index", INT32),
    field("error_code", INT16),
    field("high_watermark", INT64),
    field("last_stable_offset", INT64, "4+", ignorable=True),
    field("log_start_offset", INT64, "5+", ignorable=True),
    field(
        "aborted_transactions",
        ArrayOf(_ABORTED_TRANSACTION),
        "4+",
        nullable="4+",
        ignorable=True,
    ),
    field("preferred_read_replica", INT32, "11+"),
    field("records", RECORDS, nullable="0+"),
)

_FETCHABLE_TOPIC_RESPONSE = struct(
    FetchableTopicResponse,
    field("topic", STRING, "0-12", ignorable=True),
    field("partitions", ArrayOf(_PARTITION_DATA)),
)

FETCH_RESPONSE = struct(
    FetchResponse,
    # First, not last: most APIs put throttle time at the front (§2 trap; compare Produce).
    field("throttle_time_ms", INT32, "1+", ignorable=True),
    field("error_code", INT16, "7+", ignorable=True),
    field("session_id", INT32, "7+"),
    field("responses", ArrayOf(_FETCHABLE_TOPIC_RESPONSE)),
)
