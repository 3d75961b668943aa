"""``KafkaProducer``: glasskafka's producer node behind kafka-python's blocking API.

Theory of operation
-------------------
:class:`KafkaProducer` builds a :class:`~glasskafka.client.ProducerConfig` from kafka-python's
keywords (``facade_values.kafka_properties``) and runs a
:class:`~glasskafka.client.ProducerNode` on a :class:`~glasskafka.runtime.client_host.ClientHost`.
Its defaults are the node's, which are Kafka 3.x's: ``acks=all`` and idempotence on (KIP-679),
so the producer asks for a producer id before its first batch.

* :meth:`KafkaProducer.send` serializes with the caller's callables if ``key_serializer`` or
  ``value_serializer`` are functions (kafka-python's style) -- else the node does it, with the
  Kafka serializer class named -- and gives the node one ``send`` input.  It returns at once a
  :class:`FutureRecordMetadata`.
* The node completes each record inside some later input, through the callback the facade gave
  it; the future is settled there, and the caller's callbacks and errbacks run on the client's
  thread just after that input, in completion order (kafka-python runs them on its I/O thread).
* :meth:`FutureRecordMetadata.get` blocks until the outcome is known: the
  :class:`~glasskafka.runtime.facade_values.RecordMetadata`, or the Kafka error raised as a
  :class:`~glasskafka.errors.KafkaProtocolError` naming its code.  Delivery is bounded by
  ``delivery_timeout_ms`` (and ``max_block_ms`` while metadata is missing), so even a future
  waited on without a timeout ends.
* :meth:`KafkaProducer.flush` waits until nothing is left to send; :meth:`KafkaProducer.close`
  delivers what is left (failing it when the timeout runs out), then stops the client's thread
  and closes its sockets.

Spec IDs: none here; the node keeps ORDER-1 and the producer's half of IDEM-1..3.

Simplified from kafka-python: no ``partitions_for``, ``metrics`` or transactions; a callback may
call ``send`` but must not wait on a future (it runs on the thread that would settle it).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

from glasskafka.client.delivery import DeliveryError, ProducerRecord
from glasskafka.client.delivery import RecordMetadata as NodeRecordMetadata
from glasskafka.client.producer import ProducerNode
from glasskafka.client.producer_config import producer_config
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import NodeId
from glasskafka.runtime.client_host import ClientHost, bootstrap_node_ids
from glasskafka.runtime.facade_values import (
    KafkaTimeoutError,
    RecordMetadata,
    bootstrap_addresses,
    error_for,
    kafka_properties,
)

__all__ = ["FutureRecordMetadata", "KafkaProducer"]

_SERIALIZER_KEYWORDS = ("key_serializer", "value_serializer")
_DEFAULT_CLOSE_TIMEOUT_S = 120.0


class FutureRecordMetadata:
    """The outcome of one ``send``: kafka-python's ``FutureRecordMetadata``."""

    def __init__(self, producer: KafkaProducer) -> None:
        self._producer = producer
        self._settled = threading.Event()
        self._lock = threading.Lock()
        self.value: RecordMetadata | None = None
        self.exception: GlassKafkaError | None = None
        self._callbacks: list[Callable[[RecordMetadata], object]] = []
        self._errbacks: list[Callable[[GlassKafkaError], object]] = []

    @property
    def is_done(self) -> bool:
        return self._settled.is_set()

    def succeeded(self) -> bool:
        return self.is_done and self.exception is None

    def failed(self) -> bool:
        return self.is_done and self.exception is not None

    def get(self, timeout: float | None = None) -> RecordMetadata:
        """Wait up to ``timeout`` seconds (None: until delivery ends); the record's metadata.

        Raises the delivery's error, or :class:`KafkaTimeoutError` if ``timeout`` passes first.
        """
        if not self._settled.is_set() and self._producer.host.on_loop_thread:
            raise GlassKafkaError(
                "future.get() inside a producer callback would wait for itself; "
                "use add_callback instead"
            )
        if not self._settled.wait(timeout):
            raise KafkaTimeoutError(f"the record was not delivered within {timeout} s")
        if self.exception is not None:
            raise self.exception
        assert self.value is not None
        return self.value

    def add_callback(self, fn: Callable[[RecordMetadata], object]) -> FutureRecordMetadata:
        """Call ``fn(metadata)`` when the record succeeds (now, if it already has)."""
        return self._add(fn, None)

    def add_errback(self, fn: Callable[[GlassKafkaError], object]) -> FutureRecordMetadata:
        """Call ``fn(error)`` when the record fails (now, if it already has)."""
        return self._add(None, fn)

    def _add(
        self,
        callback: Callable[[RecordMetadata], object] | None,
        errback: Callable[[GlassKafkaError], object] | None,
    ) -> FutureRecordMetadata:
        for given in (callback, errback):
            if given is not None and not callable(given):
                raise GlassKafkaError(f"{given!r} is not callable; give a function")
        with self._lock:
            if not self._settled.is_set():
                if callback is not None:
                    self._callbacks.append(callback)
                if errback is not None:
                    self._errbacks.append(errback)
                return self
        self._run([callback] if callback else [], [errback] if errback else [])
        return self

    def settle(self, metadata: RecordMetadata | None, error: GlassKafkaError | None) -> None:
        """The node finished the record: remember the outcome, schedule the callbacks."""
        with self._lock:
            self.value, self.exception = metadata, error
            callbacks, errbacks = self._callbacks, self._errbacks
            self._callbacks, self._errbacks = [], []
            self._settled.set()
        if callbacks or errbacks:
            self._producer.host.later(lambda: self._run(callbacks, errbacks))

    def _run(
        self,
        callbacks: Sequence[Callable[[RecordMetadata], object] | None],
        errbacks: Sequence[Callable[[GlassKafkaError], object] | None],
    ) -> None:
        for callback in callbacks:
            if callback is not None and self.value is not None:
                self._producer.guard(callback, self.value)
        for errback in errbacks:
            if errback is not None and self.exception is not None:
                self._producer.guard(errback, self.exception)


class KafkaProducer:
    """A blocking Kafka producer with kafka-python's API, on glasskafka's producer node."""

    _instances = 0

    def __init__(self, bootstrap_servers: str | list[str] = "localhost:9092", **configs: Any):
        """Connect nothing yet; start the client's thread.  Bad keywords raise
        :class:`GlassKafkaError` naming them."""
        addresses = bootstrap_addresses(bootstrap_servers)
        self.key_serializer = _serializer("key_serializer", configs.get("key_serializer"))
        self.value_serializer = _serializer("value_serializer", configs.get("value_serializer"))
        handled = [k for k in _SERIALIZER_KEYWORDS if callable(configs.get(k))]
        properties = kafka_properties(configs, handled=handled)
        properties["bootstrap.servers"] = ",".join(f"{h}:{p}" for h, p in addresses)
        properties.setdefault("client.id", f"glasskafka-producer-{KafkaProducer._next()}")
        self.config = producer_config(properties)
        self.callback_errors: list[str] = []
        node = ProducerNode(
            NodeId(self.config.client_id),
            self.config,
            random.Random(),
            bootstrap=bootstrap_node_ids(len(addresses)),
        )
        self.node = node
        self.host = ClientHost(node, addresses)
        self._closed = False

    @classmethod
    def _next(cls) -> int:
        cls._instances += 1
        return cls._instances

    def __enter__(self) -> KafkaProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        topic: str,
        value: object = None,
        key: object = None,
        headers: Sequence[tuple[str, bytes | None]] | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> FutureRecordMetadata:
        """Send one record asynchronously; returns its future at once.

        Raises :class:`GlassKafkaError` for bad input (a topic that is not a str, a value the
        serializer refuses, malformed headers, a closed producer); nothing is sent then.
        """
        if self._closed:
            raise GlassKafkaError("Cannot perform operation after producer has been closed")
        if not isinstance(topic, str) or not topic:
            raise GlassKafkaError(f"topic={topic!r}; allowed: a non-empty topic name")
        if value is None and key is None:
            raise GlassKafkaError("send() needs a key or a value (kafka-python's rule)")
        record = ProducerRecord(
            topic=topic,
            value=_apply(self.value_serializer, topic, value),
            key=_apply(self.key_serializer, topic, key),
            partition=partition,
            timestamp=timestamp_ms,
            headers=_headers(headers),
        )
        future = FutureRecordMetadata(self)

        def completed(metadata: NodeRecordMetadata | None, error: DeliveryError | None) -> None:
            if error is not None:
                future.settle(None, error_for(error.code, error.message))
            else:
                assert metadata is not None
                future.settle(_metadata(metadata), None)

        self.host.call("send", lambda now: self.node.send(record, now_ms=now, callback=completed))
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Send everything now, ignoring ``linger_ms``, and wait until every record is done.

        Raises :class:`KafkaTimeoutError` if ``timeout`` seconds pass first.
        """
        self.host.call("flush", lambda now: (None, self.node.flush(now)))
        if self.host.wait_until(lambda: True if self.node.idle else None, timeout) is None:
            raise KafkaTimeoutError(f"flush() did not finish within {timeout} s")

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is left (failing it after ``timeout`` s), then stop the client.

        Idempotent.  Afterwards the client's thread has ended and its sockets are closed.
        """
        if self._closed:
            return
        self._closed = True
        wait_s = _DEFAULT_CLOSE_TIMEOUT_S if timeout is None else max(0.0, timeout)
        try:
            timeout_ms = None if timeout is None else int(wait_s * 1000)
            self.host.call("close", lambda now: (None, self.node.close(now, timeout_ms=timeout_ms)))
            self.host.wait_until(lambda: True if self.node.closed else None, wait_s + 1.0)
        finally:
            self.host.close()

    def guard(self, fn: Callable[[Any], object], argument: object) -> None:
        """Run a caller's callback; an exception it raises is kept, as Kafka logs and goes on."""
        try:
            fn(argument)
        except Exception as problem:
            self.callback_errors.append(repr(problem))


def _serializer(keyword: str, given: object) -> Callable[[object], object] | None:
    if given is None or isinstance(given, str):
        return None  # the node's own serializer (ByteArraySerializer, or the class named)
    if callable(given):
        return given
    raise GlassKafkaError(
        f"{keyword}={given!r}; allowed: a function of one value returning bytes, "
        "or a Kafka serializer class name"
    )


def _apply(serializer: Callable[[object], object] | None, topic: str, data: object) -> object:
    if serializer is None or data is None:
        return data
    try:
        result = serializer(data)
    except Exception as error:
        raise GlassKafkaError(f"the serializer failed for topic {topic!r}: {error!r}") from None
    if result is not None and not isinstance(result, bytes | bytearray | memoryview):
        raise GlassKafkaError(
            f"the serializer returned {type(result).__name__}; it must return bytes or None"
        )
    return result


def _headers(
    headers: Sequence[tuple[str, bytes | None]] | None,
) -> tuple[tuple[str, bytes | None], ...]:
    if headers is None:
        return ()
    checked = []
    for header in headers:
        ok = isinstance(header, tuple | list) and len(header) == 2
        if not ok or not isinstance(header[0], str):
            raise GlassKafkaError(f"header {header!r}; allowed: (str key, bytes or None value)")
        if header[1] is not None and not isinstance(header[1], bytes):
            raise GlassKafkaError(
                f"header {header[0]!r} has a {type(header[1]).__name__} value; "
                "allowed: bytes or None"
            )
        checked.append((header[0], header[1]))
    return tuple(checked)


def _metadata(found: NodeRecordMetadata) -> RecordMetadata:
    return RecordMetadata(
        topic=found.topic, partition=found.partition, offset=found.offset, timestamp=found.timestamp
    )
