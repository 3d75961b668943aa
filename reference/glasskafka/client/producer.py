"""The producer node: Kafka's ``KafkaProducer`` as a sans-IO state machine.

Theory of operation
-------------------
A producer is three things in Kafka: ``send`` (checks, serializes, partitions and appends to the
accumulator), the accumulator (batches per partition) and the ``Sender`` thread (requests to the
partition leaders, answers, retries).  Here the same parts are plain data held by one
:class:`ProducerNode`, and the "thread" is :meth:`ProducerNode._poll`, run at the end of every
input (an API call, an answer, a timer, a broken connection).  It:

1. expires what waited too long: batches past ``delivery.timeout.ms``, requests unanswered for
   ``request.timeout.ms`` (their broker's connection counts as broken), records that could not
   enter the accumulator within ``max.block.ms``;
2. moves waiting records into the accumulator (``dispatch.py``);
3. asks for metadata when a topic or leader is unknown or an answer said the leader moved, and,
   with idempotence, for a producer id (InitProducerId) before any batch is numbered;
4. sends every ProduceRequest that may go (``sender.py``);
5. sets one timer, ``producer-wakeup``, for the earliest moment something will be due.

Nodes are named as the simulator names them: brokers are ``broker-<id>``.  The first metadata
comes from the ``bootstrap`` nodes (by default the ``bootstrap.servers`` entries, which must then
be node names); after that from any broker the metadata lists, the least busy first.

The API calls are inputs like the others: :meth:`ProducerNode.send` returns a
:data:`~glasskafka.client.delivery.FutureId` and the outputs; :meth:`ProducerNode.future`
answers how a send went; :meth:`ProducerNode.flush` makes every batch sendable at once and
:meth:`ProducerNode.close` also refuses new sends (and, with a timeout, fails what is left when
it runs out).

Spec IDs: ORDER-1 (order per partition), IDEM-1..3 (the producer's half of idempotence).

Simplified from Kafka: no transactions, interceptors or metrics; one connection per broker; the
KIP-360 epoch bump happens locally (see ``idempotence.py``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import assert_never

from glasskafka.client.accumulator import RecordAccumulator
from glasskafka.client.delivery import (
    Callback,
    DeliveryError,
    FutureId,
    FutureState,
    ProducerRecord,
    RecordFuture,
    RecordMetadata,
)
from glasskafka.client.dispatch import Dispatcher, PendingSend, prepare, size_error
from glasskafka.client.idempotence import IdempotenceState
from glasskafka.client.metadata import ClusterView
from glasskafka.client.partitioner import PARTITIONER_CLASSES, CustomPartitioner, PartitionerKind
from glasskafka.client.producer_config import ProducerConfig
from glasskafka.client.sender import (
    Completion,
    InFlightRequest,
    ProducerParts,
    RequestKind,
    Sender,
    error_code,
)
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Millis, NodeId, broker_node_id
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)
from glasskafka.protocol.messages.produce import ProduceResponse

__all__ = ["WAKEUP_TIMER", "ProducerNode", "ProducerStatistics"]

WAKEUP_TIMER = "producer-wakeup"
"""The one timer a producer sets: the earliest moment a linger, backoff or timeout is due."""

_NODE_NAME = re.compile(r"broker-[0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerStatistics:
    """What a producer holds right now (for drivers, tests and the docs)."""

    waiting_records: int
    batches: int
    requests_in_flight: int
    used_memory: int
    producer_id: int
    producer_epoch: int
    closed: bool


class ProducerNode(Node):
    """A Kafka producer (see the module docstring)."""

    def __init__(
        self,
        node_id: NodeId,
        config: ProducerConfig,
        rng: random.Random,
        *,
        bootstrap: Sequence[NodeId] | None = None,
        partitioner: CustomPartitioner | None = None,
    ) -> None:
        """Raises :class:`GlassKafkaError` if there is no broker to bootstrap from."""
        self.node_id = node_id
        self.config = config
        self.rng = rng
        self.bootstrap = tuple(bootstrap) if bootstrap is not None else _bootstrap(config)
        if not self.bootstrap:
            raise GlassKafkaError("bootstrap.servers is empty; name at least one broker")
        self.custom_partitioner = partitioner
        kind = PartitionerKind.BUILT_IN
        if config.partitioner_class is not None:
            kind = PARTITIONER_CLASSES[config.partitioner_class]
        self.parts = ProducerParts(
            config=config,
            accumulator=RecordAccumulator(
                batch_size=config.effective_batch_size,
                buffer_memory=config.buffer_memory,
                linger_ms=config.linger_ms,
                retry_backoff_ms=config.retry_backoff_ms,
            ),
            metadata=ClusterView(),
            idempotence=IdempotenceState() if config.enable_idempotence else None,
        )
        self.dispatcher = Dispatcher(kind=PartitionerKind.CUSTOM if partitioner else kind)
        self.sender = Sender()
        self.futures: dict[FutureId, RecordFuture] = {}
        # The sends not yet finished: kept apart from ``futures`` (which keeps every send ever
        # made, for ``future()``) so that check_invariants costs what is in flight, not the
        # producer's whole history.
        self.unfinished: set[FutureId] = set()
        self.callbacks: dict[FutureId, Callback] = {}
        self.callback_errors: list[str] = []
        self.next_future = 0
        self.metadata_wanted = False
        self.metadata_backoff_until_ms = 0
        self.init_backoff_until_ms = 0
        self.broker_cursor = 0
        self.flushing = False
        self.closing = False
        self.closed = False
        self.close_deadline_ms: int | None = None
        self.fatal: DeliveryError | None = None
        self.timer_at: int | None = None

    # -- the API ---------------------------------------------------------------------------------

    def send(
        self, record: ProducerRecord, *, now_ms: Millis, callback: Callback | None = None
    ) -> tuple[FutureId, list[Output]]:
        """Send ``record`` asynchronously; return its future id and the outputs.

        Raises :class:`GlassKafkaError` for bad input (see ``dispatch.py``) or a closed producer;
        nothing is queued then.  A record too large to ever send fails its future at once.
        """
        if self.closing:
            raise GlassKafkaError("Cannot perform operation after producer has been closed")
        if callback is not None and not callable(callback):
            raise GlassKafkaError(f"callback={callback!r}; it must be callable or None")
        future = FutureId(self.next_future)
        pending = prepare(record, config=self.config, future=future, now_ms=now_ms)
        self.next_future += 1
        self.futures[future] = RecordFuture(future_id=future, topic=pending.topic)
        self.unfinished.add(future)
        if callback is not None:
            self.callbacks[future] = callback
        refusal = self.fatal or size_error(pending, self.config)
        if refusal is not None:
            self._finish(future, None, refusal)
        else:
            self.dispatcher.waiting.append(pending)
        return future, self._poll(now_ms)

    def future(self, future: FutureId) -> RecordFuture:
        """How the send with this id is going.  Raises :class:`GlassKafkaError` for a bad id."""
        found = self.futures.get(future)
        if found is None:
            raise GlassKafkaError(f"no send has future id {future!r}")
        return found

    def flush(self, now_ms: Millis) -> list[Output]:
        """Make every batch sendable now, ignoring ``linger.ms`` (Kafka's ``flush``).

        The driver then runs until :attr:`idle`; the futures say how each record went.
        """
        self.flushing = True
        return self._poll(now_ms)

    def close(self, now_ms: Millis, *, timeout_ms: int | None = None) -> list[Output]:
        """Refuse new sends and deliver what is left; after ``timeout_ms``, fail the rest."""
        if timeout_ms is not None and (not isinstance(timeout_ms, int) or timeout_ms < 0):
            raise GlassKafkaError(f"timeout_ms={timeout_ms!r}; it must be None or an int >= 0")
        self.closing = self.flushing = True
        if timeout_ms is not None:
            self.close_deadline_ms = now_ms + timeout_ms
        return self._poll(now_ms)

    @property
    def idle(self) -> bool:
        """Nothing waits, no batch is incomplete, no Produce request is unanswered."""
        return not self.dispatcher.waiting and not self.parts.accumulator.batches

    def statistics(self) -> ProducerStatistics:
        """Counts of what the producer holds now."""
        identity = self.parts.idempotence
        return ProducerStatistics(
            waiting_records=len(self.dispatcher.waiting),
            batches=len(self.parts.accumulator.batches),
            requests_in_flight=len(self.sender.in_flight),
            used_memory=self.parts.accumulator.used_memory,
            producer_id=-1 if identity is None else identity.producer_id,
            producer_epoch=-1 if identity is None else identity.producer_epoch,
            closed=self.closed,
        )

    # -- the node contract -------------------------------------------------------------------------

    def on_start(self, now_ms: Millis) -> list[Output]:
        """Ask for a producer id at once if idempotent (metadata is asked for on first need)."""
        return self._poll(now_ms)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        """An answer from a broker; anything else, or an answer nobody waits for, is ignored."""
        if isinstance(message, KafkaResponse):
            sent = self.sender.finish(message.correlation_id, sender)
            if sent is not None:
                self._on_answer(sent, message.body, now_ms)
        return self._poll(now_ms)

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        """The wakeup timer fired: do whatever is due."""
        if name == WAKEUP_TIMER:
            self.timer_at = None
        return self._poll(now_ms)

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        """Every request to ``peer`` failed; retry them and ask for fresh metadata."""
        self._connection_gone(peer, f"the connection to {peer} was lost", now_ms)
        return self._poll(now_ms)

    # -- answers -----------------------------------------------------------------------------------

    def _on_answer(self, sent: InFlightRequest, body: Message, now_ms: int) -> None:
        match sent.kind:
            case RequestKind.PRODUCE:
                if isinstance(body, ProduceResponse):
                    done, refresh = self.sender.on_produce_response(self.parts, sent, body, now_ms)
                    self._complete(done)
                    self.metadata_wanted = self.metadata_wanted or refresh
                    return
            case RequestKind.METADATA:
                if isinstance(body, MetadataResponse):
                    self._on_metadata(body, now_ms)
                    return
            case RequestKind.INIT_PRODUCER_ID:
                if isinstance(body, InitProducerIdResponse):
                    self._on_init_producer_id(body, now_ms)
                    return
            case _:
                assert_never(sent.kind)
        # An answer of the wrong kind: treat the request as lost on a broken connection.
        self.sender.in_flight[sent.correlation_id] = sent
        self._connection_gone(
            sent.broker,
            f"{sent.broker} answered {sent.kind.value} with {type(body).__name__}",
            now_ms,
        )

    def _on_metadata(self, response: MetadataResponse, now_ms: int) -> None:
        self.parts.metadata.update(response, now_ms=now_ms)
        self.metadata_backoff_until_ms = now_ms + self.config.retry_backoff_ms

    def _on_init_producer_id(self, response: InitProducerIdResponse, now_ms: int) -> None:
        identity = self.parts.idempotence
        assert identity is not None, "only an idempotent producer asks for a producer id"
        code = error_code(response.error_code)
        if code is ErrorCode.NONE and response.producer_id >= 0 and response.producer_epoch >= 0:
            identity.set_producer_id(response.producer_id, response.producer_epoch)
        elif code is ErrorCode.NONE or code.retriable:
            self.init_backoff_until_ms = now_ms + self.config.retry_backoff_ms
        else:
            self._fail_everything(DeliveryError(code=code, message="InitProducerId failed"))

    def _connection_gone(self, broker: NodeId, reason: str, now_ms: int) -> None:
        done, _ = self.sender.forget_connection(self.parts, broker, reason, now_ms=now_ms)
        self._complete(done)
        self.metadata_wanted = True
        self.broker_cursor += 1

    # -- completing sends --------------------------------------------------------------------------

    def _complete(self, completions: list[Completion]) -> None:
        for completion in completions:
            batch = completion.batch
            for index, future in enumerate(batch.futures):
                if completion.error is not None:
                    self._finish(future, None, completion.error)
                    continue
                offset = completion.base_offset + index if completion.base_offset >= 0 else -1
                timestamp = completion.log_append_time_ms
                metadata = RecordMetadata(
                    topic=batch.topic,
                    partition=batch.partition,
                    offset=offset,
                    timestamp=batch.records[index].timestamp if timestamp == -1 else timestamp,
                    serialized_key_size=batch.key_sizes[index],
                    serialized_value_size=batch.value_sizes[index],
                )
                self._finish(future, metadata, None)

    def _finish(
        self, future: FutureId, metadata: RecordMetadata | None, error: DeliveryError | None
    ) -> None:
        state = FutureState.FAILED if error is not None else FutureState.SUCCEEDED
        assert future in self.unfinished, f"future {future} finished twice"
        self.unfinished.discard(future)
        self.futures[future] = RecordFuture(
            future_id=future,
            topic=self.futures[future].topic,
            state=state,
            metadata=metadata,
            error=error,
        )
        callback = self.callbacks.pop(future, None)
        if callback is not None:
            try:
                callback(metadata, error)
            except Exception as problem:
                # Kafka logs and carries on ("Error executing user-provided callback",
                # ProducerBatch.completeFutureAndFireCallbacks); so does glasskafka.
                self.callback_errors.append(f"future {future}: {problem!r}")

    def _fail_everything(self, error: DeliveryError) -> None:
        """A fatal error: every waiting record and batch fails, and so will every new send."""
        self.fatal = error
        for pending in self.dispatcher.waiting:
            self._finish(pending.future, None, error)
        self.dispatcher.waiting.clear()
        accumulator = self.parts.accumulator
        for batch_id in sorted(accumulator.batches):
            batch = accumulator.complete(batch_id)
            if batch is not None:
                if self.parts.idempotence is not None:
                    self.parts.idempotence.forget(batch)
                self._complete([Completion(batch=batch, error=error)])

    # -- the loop ----------------------------------------------------------------------------------

    def _poll(self, now_ms: int) -> list[Output]:
        """Do everything that is due (see the module docstring) and return the outputs."""
        config = self.config
        self._complete(self.sender.expire(self.parts, now_ms=now_ms))
        for broker in self.sender.timed_out_brokers(now_ms, config.request_timeout_ms):
            reason = (
                f"no answer from {broker} within request.timeout.ms={config.request_timeout_ms}"
            )
            self._connection_gone(broker, reason, now_ms)
        if self.close_deadline_ms is not None and now_ms >= self.close_deadline_ms:
            self._fail_everything(
                DeliveryError(code=None, message="Producer is closed forcefully.")
            )
        self._fail_waiting(
            self.dispatcher.expire(
                self.parts.metadata, now_ms=now_ms, max_block_ms=config.max_block_ms
            )
        )
        failed, missing = self.dispatcher.admit(
            self.parts.accumulator,
            self.parts.metadata,
            config,
            rng=self.rng,
            custom=self.custom_partitioner,
            now_ms=now_ms,
        )
        self._fail_waiting(failed)
        outputs = self._maybe_init_producer_id(now_ms)
        sends, done, unknown_leader = self.sender.drain(
            self.parts, now_ms=now_ms, hurry=self._hurry()
        )
        self._complete(done)
        outputs += [Send(to=broker, message=message) for broker, message in sends]
        if (missing or unknown_leader) and not self._asking(RequestKind.METADATA):
            self.metadata_wanted = True  # (an answer on its way may already tell)
        outputs += self._maybe_request_metadata(now_ms)
        if self.flushing and self.idle:
            self.flushing = self.closing  # a close stays in force
        if self.closing and self.idle and not self.closed:
            self.closed = True
        return outputs + self._schedule(now_ms)

    def _hurry(self) -> bool:
        return self.flushing or self.dispatcher.memory_wait

    def _fail_waiting(self, failed: list[tuple[PendingSend, DeliveryError]]) -> None:
        for pending, error in failed:
            self._finish(pending.future, None, error)

    def _pick_broker(self) -> NodeId:
        """The least busy broker to ask for metadata or a producer id (rotating on failures)."""
        known = self.parts.metadata.brokers
        names = [broker_node_id(BrokerId(b)) for b in known] if known else list(self.bootstrap)
        start = self.broker_cursor % len(names)
        ordered = names[start:] + names[:start]
        return min(ordered, key=self.sender.in_flight_to)

    def _asking(self, kind: RequestKind) -> bool:
        return any(r.kind is kind for r in self.sender.in_flight.values())

    def _topics_in_use(self) -> list[str]:
        topics = {pending.topic for pending in self.dispatcher.waiting}
        topics |= {b.topic for b in self.parts.accumulator.batches.values()}
        return sorted(topics | set(self.parts.metadata.topics))

    def _metadata_due(self, now_ms: int) -> bool:
        updated = self.parts.metadata.updated_ms
        aged = updated is not None and now_ms >= updated + self.config.metadata_max_age_ms
        return (self.metadata_wanted or aged) and now_ms >= self.metadata_backoff_until_ms

    def _maybe_request_metadata(self, now_ms: int) -> list[Output]:
        if self.closed or self._asking(RequestKind.METADATA) or not self._metadata_due(now_ms):
            return []
        broker = self._pick_broker()
        body = MetadataRequest(
            topics=tuple(MetadataRequestTopic(name=t) for t in self._topics_in_use()),
            allow_auto_topic_creation=True,
        )
        correlation_id = self.sender.start(broker, RequestKind.METADATA, now_ms=now_ms)
        self.metadata_wanted = False
        message = request(body, correlation_id=correlation_id, client_id=self.config.client_id)
        return [Send(to=broker, message=message)]

    def _maybe_init_producer_id(self, now_ms: int) -> list[Output]:
        identity = self.parts.idempotence
        if (
            identity is None
            or identity.has_producer_id
            or self.closed
            or self.fatal is not None
            or self._asking(RequestKind.INIT_PRODUCER_ID)
            or now_ms < self.init_backoff_until_ms
        ):
            return []
        broker = self._pick_broker()
        body = InitProducerIdRequest(
            transactional_id=None, transaction_timeout_ms=self.config.transaction_timeout_ms
        )
        correlation_id = self.sender.start(broker, RequestKind.INIT_PRODUCER_ID, now_ms=now_ms)
        message = request(body, correlation_id=correlation_id, client_id=self.config.client_id)
        return [Send(to=broker, message=message)]

    def _schedule(self, now_ms: int) -> list[Output]:
        """Set the wakeup timer for the earliest future moment something is due."""
        config, accumulator = self.config, self.parts.accumulator
        times = [accumulator.ready_at(tp, hurry=self._hurry()) for tp in accumulator.partitions()]
        times += [
            accumulator.next_expiry_ms(config.delivery_timeout_ms),
            self.sender.next_timeout_ms(config.request_timeout_ms),
            self.dispatcher.next_deadline_ms(),
            self.close_deadline_ms,
        ]
        if self.metadata_wanted:
            times.append(self.metadata_backoff_until_ms)
        if self.parts.metadata.updated_ms is not None and self._topics_in_use():
            times.append(self.parts.metadata.updated_ms + config.metadata_max_age_ms)
        identity = self.parts.idempotence
        if identity is not None and not identity.has_producer_id:
            times.append(self.init_backoff_until_ms)
        due = min((t for t in times if t is not None and t > now_ms), default=None)
        if self.closed:
            due = None
        if due == self.timer_at:
            return []
        self.timer_at = due
        if due is None:
            return [CancelTimer(name=WAKEUP_TIMER)]
        return [SetTimer(name=WAKEUP_TIMER, at_ms=Millis(due))]

    # -- local invariants --------------------------------------------------------------------------

    def check_invariants(self) -> None:
        """Memory, queues, in-flight limits, sequence order and futures agree (ORDER-1)."""
        accumulator = self.parts.accumulator
        allocated = sum(b.allocated_bytes for b in accumulator.batches.values())
        assert accumulator.used_memory == allocated <= self.config.buffer_memory, (
            f"buffer memory {accumulator.used_memory} != allocated {allocated}"
        )
        queued = [batch_id for queue in accumulator.queues.values() for batch_id in queue]
        queued_set = set(queued)
        assert len(queued) == len(queued_set), "a batch is queued twice"
        for batch in accumulator.batches.values():
            assert batch.in_flight != (batch.batch_id in queued_set), (
                f"batch {batch.batch_id} must be either queued or in flight"
            )
        if self.config.acks_value != 0:
            for broker in {r.broker for r in self.sender.in_flight.values()}:
                count = self.sender.in_flight_to(broker)
                limit = self.config.max_in_flight_requests_per_connection
                assert count <= limit, f"{count} requests in flight to {broker}, limit {limit}"
        identity = self.parts.idempotence
        if identity is not None:
            for tp, sequences in identity.partitions.items():
                batches = [accumulator.batches[i] for i in sequences.unresolved]
                # Measured from the first, so that the wrap at 2**31 does not matter.
                starts = [(b.base_sequence - batches[0].base_sequence) % 2**31 for b in batches]
                assert starts == sorted(set(starts)), (
                    f"ORDER-1: unresolved batches of {tp} are out of sequence order: {starts}"
                )
        pending = self.unfinished
        placed = [p.future for p in self.dispatcher.waiting]
        placed += [f for b in accumulator.batches.values() for f in b.futures]
        assert sorted(placed) == sorted(pending), "every pending send is in exactly one place"


def _bootstrap(config: ProducerConfig) -> tuple[NodeId, ...]:
    """The ``bootstrap.servers`` entries as node names (``broker-<id>`` in a simulation)."""
    entries = [entry.strip() for entry in config.bootstrap_servers.split(",") if entry.strip()]
    for entry in entries:
        if not _NODE_NAME.fullmatch(entry):
            raise GlassKafkaError(
                f"bootstrap.servers entry {entry!r} is not a node name like 'broker-1'; pass "
                "bootstrap= node names to ProducerNode when the addresses are host:port"
            )
    return tuple(NodeId(entry) for entry in entries)
