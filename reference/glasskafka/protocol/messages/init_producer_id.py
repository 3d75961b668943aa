"""InitProducerId (API key 22): an idempotent producer gets its producer id and epoch.

Theory of operation
-------------------
An idempotent producer numbers its batches per partition (sequence numbers), and brokers drop a
batch they have already appended from the same producer, so retries cannot duplicate records
(KIP-98).  For that the producer needs an identity: before its first Produce it asks any broker
for a ``producer_id`` (handed out rising, cluster-wide) and gets ``producer_epoch`` 0.  With a
``transactional_id`` the request goes to the transaction coordinator instead, which keeps the
same producer id across restarts and bumps the epoch to fence the old instance.

kafka-python 3.x producers are idempotent by default, so without this API they cannot produce at
all (``reference/wire-protocol.md`` §7, first trap); old librdkafka needs v0 in range to enable
idempotence.

Versions served: 0-1 (``InitProducerIdRequest.json``): v1 is the same as v0.  Note that
``throttle_time_ms`` is in the response from v0 on.

Spec IDs: none.

Simplified from Kafka: v2+ (flexible; v3 lets a producer ask for an epoch bump, KIP-360) are a
later chapter, with transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.node import Message
from glasskafka.protocol.schema import INT16, INT32, INT64, STRING, field, struct

__all__ = [
    "INIT_PRODUCER_ID_REQUEST",
    "INIT_PRODUCER_ID_RESPONSE",
    "InitProducerIdRequest",
    "InitProducerIdResponse",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class InitProducerIdRequest(Message):
    """Ask for a producer id; ``transactional_id`` is None for a plain idempotent producer."""

    transactional_id: str | None
    transaction_timeout_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InitProducerIdResponse(Message):
    """The producer id and epoch to stamp on every batch."""

    throttle_time_ms: int = 0
    error_code: int
    producer_id: int = -1
    producer_epoch: int


INIT_PRODUCER_ID_REQUEST = struct(
    InitProducerIdRequest,
    field("transactional_id", STRING, nullable="0+"),
    field("transaction_timeout_ms", INT32),
)

INIT_PRODUCER_ID_RESPONSE = struct(
    InitProducerIdResponse,
    field("throttle_time_ms", INT32, ignorable=True),
    field("error_code", INT16),
    field("producer_id", INT64),
    field("producer_epoch", INT16),
)
