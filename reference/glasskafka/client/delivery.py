"""What a producer is given and what it gives back: records, futures, metadata, errors.

Theory of operation
-------------------
``KafkaProducer.send`` takes a ``ProducerRecord`` and returns a ``Future<RecordMetadata>`` at
once; the record is delivered later, and the future (and the callback, if one was given) tells
how it went.  A sans-IO node cannot hand out an object that changes by itself, so here
``send`` returns a :data:`FutureId`, and the driver asks the node for the :class:`RecordFuture`
with that id whenever it likes: a frozen value that says pending, succeeded (with
:class:`RecordMetadata`) or failed (with a :class:`DeliveryError`).  Callbacks run inside the
node's input that completed the record, in completion order, as Kafka runs them on its I/O
thread; Kafka guarantees, and so does glasskafka, that records of one partition complete in the
order they were sent.

A :class:`DeliveryError` carries Kafka's error code where there is one (``REQUEST_TIMED_OUT``
for the client-side timeouts, whose Java exception ``TimeoutException`` maps to that code in
``Errors.java``; ``MESSAGE_TOO_LARGE`` for ``RecordTooLargeException``), None for failures that
have no code in Kafka either (a forced close), and a sentence saying what happened.

Spec IDs: ORDER-1 (what "acknowledged" and "reported failed" mean to a producer).

Simplified from Kafka: Kafka's ``RecordMetadata`` also carries the checksum (deprecated) and
the future can be waited on with a timeout; here the driver polls.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import NewType

from glasskafka.errors import ErrorCode

__all__ = [
    "Callback",
    "DeliveryError",
    "FutureId",
    "FutureState",
    "ProducerRecord",
    "RecordFuture",
    "RecordMetadata",
]

FutureId = NewType("FutureId", int)
"""The handle ``send`` returns; ask ``ProducerNode.future(id)`` for the outcome."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerRecord:
    """A record to send: Kafka's ``ProducerRecord`` (key and value before serialization).

    ``partition`` None lets the partitioner choose; ``timestamp`` None means "now" (CreateTime).
    """

    topic: str
    value: object = None
    key: object = None
    partition: int | None = None
    timestamp: int | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordMetadata:
    """Where a record was written: Kafka's ``RecordMetadata``.

    ``offset`` is -1 when the broker does not say (``acks=0``, or a retry answered with
    ``DUPLICATE_SEQUENCE_NUMBER``).  ``timestamp`` is the broker's LogAppendTime if the topic
    uses it, else the record's CreateTime.
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    serialized_key_size: int
    serialized_value_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryError:
    """Why a record was not delivered: Kafka's error code (if any) and a readable reason."""

    code: ErrorCode | None
    message: str

    def __str__(self) -> str:
        if self.code is None:
            return self.message
        return f"{self.code.name} ({int(self.code)}): {self.message}"


class FutureState(enum.Enum):
    """Where a record's delivery stands."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordFuture:
    """The outcome of one ``send`` so far (a new value replaces it when it completes)."""

    future_id: FutureId
    topic: str
    state: FutureState = FutureState.PENDING
    metadata: RecordMetadata | None = None
    error: DeliveryError | None = None

    @property
    def done(self) -> bool:
        """Whether the record succeeded or failed (Kafka's ``Future.isDone``)."""
        return self.state is not FutureState.PENDING


Callback = Callable[[RecordMetadata | None, DeliveryError | None], None]
"""Kafka's ``Callback.onCompletion(metadata, exception)``: exactly one of the two is not None."""
