"""The sender: turns ready batches into ProduceRequests and answers into outcomes or retries.

Theory of operation
-------------------
Kafka's producer has an I/O thread, the ``Sender``, that loops: find the partitions whose first
batch is ready and whose leader is known, group them by leader, and send each leader one
ProduceRequest holding at most one batch per partition, up to ``max.request.size`` bytes and
while fewer than ``max.in.flight.requests.per.connection`` requests to that broker are
unanswered.  Here the same work runs after every input of the producer node.

An answer is judged per partition (``Sender.completeBatch``):

* ``NONE``, or ``DUPLICATE_SEQUENCE_NUMBER`` (KIP-192: the leader has the batch already): done;
* a retriable error, while ``retries`` allow and ``delivery.timeout.ms`` has not passed: the
  batch goes back to the front of its queue and waits ``retry.backoff.ms``; errors that say the
  leader moved (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION...) also ask for metadata;
* with idempotence, OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not next in line is
  retriable (an earlier batch is being retried); see ``idempotence.py``;
* anything else fails the batch, and with idempotence every later unresolved batch of the
  partition with it.

Without idempotence a retry is how records get duplicated (the first attempt was appended, only
its answer was lost) and, with more than one request in flight, reordered (a later batch was
appended before the retry): ORDER-2.

A broken connection, or a request unanswered for ``request.timeout.ms`` (Kafka then closes the
connection), fails every request in flight to that broker with NETWORK_EXCEPTION, which is
retriable; an answer that arrives later for a forgotten request is ignored.  A batch is expired
``delivery.timeout.ms`` after it was created, wherever it is, even in flight (KIP-91).

Spec IDs: ORDER-1, IDEM-3 (a retry re-sends the same bytes).

Simplified from Kafka: no request-level ``record_errors`` (KIP-467), no batch splitting on
MESSAGE_TOO_LARGE, no throttling; a response that leaves out a partition fails that batch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from glasskafka.client.accumulator import ProducerBatch, RecordAccumulator
from glasskafka.client.delivery import DeliveryError
from glasskafka.client.idempotence import IdempotenceState
from glasskafka.client.metadata import ClusterView
from glasskafka.client.producer_config import ProducerConfig
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, NodeId, TopicPartition, broker_node_id
from glasskafka.protocol.envelope import KafkaRequest, request
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceData,
)
from glasskafka.records import Compression

__all__ = [
    "INVALID_METADATA",
    "Completion",
    "InFlightRequest",
    "ProducerParts",
    "RequestKind",
    "Sender",
    "error_code",
]

INVALID_METADATA = frozenset(
    {
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.LEADER_NOT_AVAILABLE,
        ErrorCode.FENCED_LEADER_EPOCH,
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        ErrorCode.KAFKA_STORAGE_ERROR,
        ErrorCode.NETWORK_EXCEPTION,
    }
)
"""Errors after which the producer refreshes its metadata (``InvalidMetadataException`` and
the two Kafka's ``Sender`` adds: a storage error and a broken connection)."""


def error_code(number: int) -> ErrorCode:
    """Kafka's code for ``number``; an unknown number counts as UNKNOWN_SERVER_ERROR."""
    try:
        return ErrorCode(number)
    except ValueError:
        return ErrorCode.UNKNOWN_SERVER_ERROR


class RequestKind(enum.Enum):
    """The requests a producer sends."""

    METADATA = "Metadata"
    INIT_PRODUCER_ID = "InitProducerId"
    PRODUCE = "Produce"


@dataclass(frozen=True, slots=True, kw_only=True)
class InFlightRequest:
    """A request waiting for its answer."""

    correlation_id: int
    broker: NodeId
    kind: RequestKind
    sent_ms: int
    batch_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """A batch that is finished: its offsets on success, or why it failed."""

    batch: ProducerBatch
    base_offset: int = -1
    log_append_time_ms: int = -1
    error: DeliveryError | None = None


@dataclass(slots=True, kw_only=True)
class ProducerParts:
    """What the sender works on: the config, the batches, the metadata, the sequence numbers."""

    config: ProducerConfig
    accumulator: RecordAccumulator
    metadata: ClusterView
    idempotence: IdempotenceState | None


@dataclass(slots=True)
class Sender:
    """Requests in flight, by correlation id, as plain data."""

    in_flight: dict[int, InFlightRequest] = field(default_factory=dict)
    next_correlation_id: int = 0

    # -- bookkeeping -----------------------------------------------------------------------------

    def in_flight_to(self, broker: NodeId) -> int:
        """Unanswered requests to ``broker``."""
        return sum(1 for r in self.in_flight.values() if r.broker == broker)

    def start(
        self, broker: NodeId, kind: RequestKind, *, now_ms: int, batch_ids: tuple[int, ...] = ()
    ) -> int:
        """Record a request about to be sent; return its correlation id."""
        correlation_id = self.next_correlation_id
        self.next_correlation_id = (correlation_id + 1) % 2**31
        self.in_flight[correlation_id] = InFlightRequest(
            correlation_id=correlation_id,
            broker=broker,
            kind=kind,
            sent_ms=now_ms,
            batch_ids=batch_ids,
        )
        return correlation_id

    def finish(self, correlation_id: int, broker: NodeId) -> InFlightRequest | None:
        """The request an answer from ``broker`` belongs to (None: unknown or forgotten)."""
        found = self.in_flight.get(correlation_id)
        if found is None or found.broker != broker:
            return None
        del self.in_flight[correlation_id]
        return found

    def forget_broker(self, broker: NodeId) -> list[InFlightRequest]:
        """Forget every request to ``broker`` (its connection is gone), oldest first."""
        gone = sorted(
            (r for r in self.in_flight.values() if r.broker == broker),
            key=lambda r: r.correlation_id,
        )
        for lost in gone:
            del self.in_flight[lost.correlation_id]
        return gone

    def timed_out_brokers(self, now_ms: int, request_timeout_ms: int) -> list[NodeId]:
        """Brokers with a request unanswered for ``request.timeout.ms``, sorted."""
        return sorted(
            {r.broker for r in self.in_flight.values() if now_ms >= r.sent_ms + request_timeout_ms}
        )

    def next_timeout_ms(self, request_timeout_ms: int) -> int | None:
        """When the oldest request times out (None: nothing in flight)."""
        if not self.in_flight:
            return None
        return min(r.sent_ms for r in self.in_flight.values()) + request_timeout_ms

    # -- sending -----------------------------------------------------------------------------------

    def drain(
        self, parts: ProducerParts, *, now_ms: int, hurry: bool
    ) -> tuple[list[tuple[NodeId, KafkaRequest]], list[Completion], bool]:
        """Build every ProduceRequest that may go now.

        Returns the requests with their brokers, the batches completed by sending (``acks=0``),
        and whether a ready partition has no known leader (the caller asks for metadata).
        """
        by_leader: dict[int, list[TopicPartition]] = {}
        unknown_leader = False
        for tp in parts.accumulator.partitions():
            at = parts.accumulator.ready_at(tp, hurry=hurry)
            if at is None or at > now_ms:
                continue
            leader = parts.metadata.leader_for(tp[0], tp[1])
            if leader is None:
                unknown_leader = True
                continue
            by_leader.setdefault(leader, []).append(tp)
        sent: list[tuple[NodeId, KafkaRequest]] = []
        done: list[Completion] = []
        for leader in sorted(by_leader):
            broker = broker_node_id(BrokerId(leader))
            while parts.config.acks_value == 0 or (
                self.in_flight_to(broker) < parts.config.max_in_flight_requests_per_connection
            ):
                batches = self._take_batches(parts, by_leader[leader], now_ms=now_ms, hurry=hurry)
                if not batches:
                    break
                sent.append((broker, self._produce_request(parts, broker, batches, now_ms)))
                if parts.config.acks_value == 0:
                    # No answer will come: the batch is done once sent (offset unknown, -1).
                    done += [
                        Completion(batch=parts.accumulator.complete(b.batch_id) or b)
                        for b in batches
                    ]
        return sent, done, unknown_leader

    def _take_batches(
        self, parts: ProducerParts, partitions: list[TopicPartition], *, now_ms: int, hurry: bool
    ) -> list[ProducerBatch]:
        """At most one ready batch per partition, within ``max.request.size``."""
        accumulator, idempotence = parts.accumulator, parts.idempotence
        taken: list[ProducerBatch] = []
        size = 0
        for tp in partitions:
            first = accumulator.first(tp)
            at = accumulator.ready_at(tp, hurry=hurry)
            if first is None or at is None or at > now_ms:
                continue
            if idempotence is not None and not idempotence.may_send(first):
                continue
            if taken and size + first.size_bytes > parts.config.max_request_size:
                break
            batch = accumulator.take_first(tp)
            if idempotence is not None and batch.base_sequence < 0:
                idempotence.assign(batch)
            batch.attempts += 1
            size += len(batch.encode(_compression(parts.config)))
            taken.append(batch)
        return taken

    def _produce_request(
        self, parts: ProducerParts, broker: NodeId, batches: list[ProducerBatch], now_ms: int
    ) -> KafkaRequest:
        topics: dict[str, list[PartitionProduceData]] = {}
        for batch in batches:
            topics.setdefault(batch.topic, []).append(
                PartitionProduceData(index=batch.partition, records=batch.encoded)
            )
        body = ProduceRequest(
            acks=parts.config.acks_value,
            timeout_ms=parts.config.request_timeout_ms,
            topic_data=tuple(
                TopicProduceData(name=name, partition_data=tuple(data))
                for name, data in sorted(topics.items())
            ),
        )
        batch_ids = tuple(b.batch_id for b in batches)
        if parts.config.acks_value == 0:
            correlation_id = self.next_correlation_id
            self.next_correlation_id = (correlation_id + 1) % 2**31
        else:
            correlation_id = self.start(
                broker, RequestKind.PRODUCE, now_ms=now_ms, batch_ids=batch_ids
            )
        return request(body, correlation_id=correlation_id, client_id=parts.config.client_id)

    # -- answers -----------------------------------------------------------------------------------

    def on_produce_response(
        self, parts: ProducerParts, sent: InFlightRequest, response: ProduceResponse, now_ms: int
    ) -> tuple[list[Completion], bool]:
        """Judge each batch of an answered request; return completions and "refresh metadata"."""
        answers: dict[tuple[str, int], PartitionProduceResponse] = {}
        for topic in response.responses:
            for partition in topic.partition_responses:
                answers.setdefault((topic.name, partition.index), partition)
        done: list[Completion] = []
        refresh = False
        for batch_id in sent.batch_ids:
            batch = parts.accumulator.batches.get(batch_id)
            if batch is None or not batch.in_flight:
                continue  # already failed or expired while the request was out
            answer = answers.get(batch.topic_partition)
            if answer is None:
                done += self.fail(
                    parts,
                    batch,
                    DeliveryError(
                        code=ErrorCode.UNKNOWN_SERVER_ERROR,
                        message=f"the ProduceResponse from {sent.broker} left out "
                        f"{batch.topic}-{batch.partition}",
                    ),
                )
                continue
            code = error_code(answer.error_code)
            if code in (ErrorCode.NONE, ErrorCode.DUPLICATE_SEQUENCE_NUMBER):
                done.append(self.succeed(parts, batch, answer))
                continue
            message = answer.error_message or f"{sent.broker} answered {code.name}"
            more, again = self.failed_attempt(parts, batch, code, message, now_ms=now_ms)
            done += more
            refresh = refresh or again
        return done, refresh

    def succeed(
        self, parts: ProducerParts, batch: ProducerBatch, answer: PartitionProduceResponse
    ) -> Completion:
        """A batch is in the log: resolve its sequence and free it."""
        if parts.idempotence is not None:
            parts.idempotence.acknowledged(batch)
        parts.accumulator.complete(batch.batch_id)
        offset = answer.base_offset if answer.error_code == 0 else -1
        return Completion(
            batch=batch, base_offset=offset, log_append_time_ms=answer.log_append_time_ms
        )

    def failed_attempt(
        self,
        parts: ProducerParts,
        batch: ProducerBatch,
        code: ErrorCode,
        message: str,
        *,
        now_ms: int,
    ) -> tuple[list[Completion], bool]:
        """One attempt of ``batch`` failed with ``code``: retry it or fail it for good."""
        config, idempotence = parts.config, parts.idempotence
        retriable = code.retriable
        if idempotence is not None and code is ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER:
            # An earlier batch is missing at the leader and will be retried first: wait for it.
            retriable = not idempotence.is_next_in_line(batch)
        in_time = now_ms < batch.created_ms + config.delivery_timeout_ms
        if retriable and batch.attempts <= config.retries and in_time:
            parts.accumulator.reenqueue(batch, now_ms=now_ms)
            return [], code in INVALID_METADATA
        return self.fail(parts, batch, DeliveryError(code=code, message=message)), False

    def fail(
        self, parts: ProducerParts, batch: ProducerBatch, error: DeliveryError
    ) -> list[Completion]:
        """Fail ``batch`` for good, and with idempotence every later unresolved batch of its
        partition (their sequences can no longer follow on), bumping the epoch."""
        ids = [batch.batch_id]
        if parts.idempotence is not None and batch.base_sequence >= 0:
            ids = parts.idempotence.break_sequence(batch)
        done = []
        for batch_id in ids:
            failed = parts.accumulator.complete(batch_id)
            if failed is None:
                continue
            reason = error
            if batch_id != batch.batch_id:
                reason = DeliveryError(
                    code=ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    message=f"an earlier batch of {batch.topic}-{batch.partition} failed "
                    f"({error}), so this batch's sequence numbers cannot follow on",
                )
            done.append(Completion(batch=failed, error=reason))
        return done

    def forget_connection(
        self, parts: ProducerParts, broker: NodeId, reason: str, *, now_ms: int
    ) -> tuple[list[Completion], list[InFlightRequest]]:
        """The connection to ``broker`` is gone: every request on it failed (retriable).

        Returns the completions of batches that cannot be retried, and the forgotten requests
        that were not Produce (the caller sends those again).
        """
        done: list[Completion] = []
        others = []
        for lost in self.forget_broker(broker):
            if lost.kind is not RequestKind.PRODUCE:
                others.append(lost)
                continue
            for batch_id in lost.batch_ids:
                batch = parts.accumulator.batches.get(batch_id)
                if batch is not None and batch.in_flight:
                    more, _ = self.failed_attempt(
                        parts, batch, ErrorCode.NETWORK_EXCEPTION, reason, now_ms=now_ms
                    )
                    done += more
        return done, others

    def expire(self, parts: ProducerParts, *, now_ms: int) -> list[Completion]:
        """Fail every batch older than ``delivery.timeout.ms`` (KIP-91), in flight or not."""
        timeout = parts.config.delivery_timeout_ms
        done: list[Completion] = []
        for batch in parts.accumulator.expired(now_ms, timeout):
            if batch.batch_id not in parts.accumulator.batches:
                continue  # already failed along with an earlier batch
            error = DeliveryError(
                code=ErrorCode.REQUEST_TIMED_OUT,
                message=f"Expiring {len(batch.records)} record(s) for {batch.topic}-"
                f"{batch.partition}: {now_ms - batch.created_ms} ms has passed since batch "
                "creation",
            )
            done += self.fail(parts, batch, error)
        return done


def _compression(config: ProducerConfig) -> Compression:
    return Compression.GZIP if config.compression_type == "gzip" else Compression.NONE
