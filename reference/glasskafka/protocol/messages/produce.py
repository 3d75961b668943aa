"""Produce (API key 0): a producer hands record batches to partition leaders.

Theory of operation
-------------------
A ProduceRequest carries, per topic and partition, whole record batches as opaque bytes
(``records``; RecordBatch v2 from version 3 on).  ``acks`` says when the leader answers: 0 never
(the request gets **no response at all**, so a failure can only be signalled by closing the
connection), 1 after its own append, -1 ("all") once the high watermark covers the batch.  The
response gives, per partition, an error code and the offset assigned to the first record.

Versions served: 0-8, the non-flexible range (``reference/wire-protocol.md`` §4-5;
``ProduceRequest.json`` / ``ProduceResponse.json``):

=====  ======================================================================================
v1     response gains ``throttle_time_ms`` -- as the **last** field, unlike most APIs (§2 trap)
v2     response ``log_append_time_ms`` (-1 unless the topic uses LogAppendTime)
v3     request ``transactional_id`` (nullable); batches must be magic 2
v4     same as v3; the client must be ready for KAFKA_STORAGE_ERROR
v5     response ``log_start_offset``
v6     same as v5
v7     same; zstd compression allowed (KIP-110)
v8     response ``record_errors`` (which batch failed and why) and ``error_message`` (KIP-467)
=====  ======================================================================================

Versions 0-2 are advertised but refused by the broker with UNSUPPORTED_VERSION: old librdkafka
turns gzip and snappy off unless it sees Produce v0 in the range (librdkafka #4956, KAFKA-18659).

Spec IDs: none.

Simplified from Kafka: versions 9-11 (flexible, KIP-951 leader hints) and 12-13 (topic ids) are
a later chapter (``reference/wire-protocol.md`` §13).
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT16, INT32, INT64, RECORDS, STRING, ArrayOf, field, struct

__all__ = [
    "PRODUCE_REQUEST",
    "PRODUCE_RESPONSE",
    "BatchIndexAndErrorMessage",
    "PartitionProduceData",
    "PartitionProduceResponse",
    "ProduceRequest",
    "ProduceResponse",
    "TopicProduceData",
    "TopicProduceResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionProduceData:
    """The batches for one partition, back to back (``None`` on the wire is legal but useless)."""

    index: int
    records: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicProduceData:
    """The partitions of one topic to produce to."""

    name: str
    partition_data: tuple[PartitionProduceData, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceRequest(Message):
    """Append batches to partition leaders; ``acks`` 0, 1 or -1 (all in-sync replicas)."""

    transactional_id: str | None = None
    acks: int
    timeout_ms: int
    topic_data: tuple[TopicProduceData, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchIndexAndErrorMessage:
    """v8+: which batch in a partition's ``records`` was rejected, and why (KIP-467)."""

    batch_index: int
    batch_index_error_message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionProduceResponse:
    """The outcome for one partition: an error code and the first assigned offset."""

    index: int
    error_code: int
    base_offset: int
    log_append_time_ms: int = -1
    log_start_offset: int = -1
    record_errors: tuple[BatchIndexAndErrorMessage, ...] = ()
    error_message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicProduceResponse:
    """The outcomes for the partitions of one topic."""

    name: str
    partition_responses: tuple[PartitionProduceResponse, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceResponse(Message):
    """The answer to a ProduceRequest with ``acks`` 1 or -1."""

    responses: tuple[TopicProduceResponse, ...]
    throttle_time_ms: int = 0


_PARTITION_PRODUCE_DATA = struct(
    PartitionProduceData,
    field("index", INT32),
    field("records", RECORDS, nullable="0+"),
)

_TOPIC_PRODUCE_DATA = struct(
    TopicProduceData,
    field("name", STRING),
    field("partition_data", ArrayOf(_PARTITION_PRODUCE_DATA)),
)

PRODUCE_REQUEST = struct(
    ProduceRequest,
    field("transactional_id", STRING, "3+", nullable="3+"),
    field("acks", INT16),
    field("timeout_ms", INT32),
    field("topic_data", ArrayOf(_TOPIC_PRODUCE_DATA)),
)

_BATCH_INDEX_AND_ERROR_MESSAGE = struct(
    BatchIndexAndErrorMessage,
    field("batch_index", INT32, "8+"),
    field("batch_index_error_message", STRING, "8+", nullable="8+"),
)

_PARTITION_PRODUCE_RESPONSE = struct(
    PartitionProduceResponse,
    field("index", INT32),
    field("error_code", INT16),
    field("base_offset", INT64),
    field("log_append_time_ms", INT64, "2+", ignorable=True),
    field("log_start_offset", INT64, "5+", ignorable=True),
    field("record_errors", ArrayOf(_BATCH_INDEX_AND_ERROR_MESSAGE), "8+", ignorable=True),
    field("error_message", STRING, "8+", nullable="8+", ignorable=True),
)

_TOPIC_PRODUCE_RESPONSE = struct(
    TopicProduceResponse,
    field("name", STRING),
    field("partition_responses", ArrayOf(_PARTITION_PRODUCE_RESPONSE)),
)

PRODUCE_RESPONSE = struct(
    ProduceResponse,
    field("responses", ArrayOf(_TOPIC_PRODUCE_RESPONSE)),
    # Last, not first: Produce added throttle time after its other fields (§2 trap).
    field("throttle_time_ms", INT32, "1+", ignorable=True),
)
