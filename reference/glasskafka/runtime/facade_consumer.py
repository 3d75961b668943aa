"""``KafkaConsumer``: glasskafka's consumer node behind kafka-python's blocking API.

Theory of operation
-------------------
:class:`KafkaConsumer` builds a :class:`~glasskafka.client.consumer_config.ConsumerConfig` from
kafka-python's keywords and runs a :class:`~glasskafka.client.consumer.ConsumerNode` on a
:class:`~glasskafka.runtime.client_host.ClientHost`.  The node's calls come in two kinds, and the
facade treats them so:

* calls that return at once in Kafka (``subscribe``, ``assign``, ``seek*``, ``commit_async``)
  are one input each (:meth:`ClientHost.call`);
* calls that block in Kafka (``poll``, ``commit``, ``committed``, ``close``) *start* in the node
  and finish in a later input: the facade starts the call, waits until the node says
  ``result_ready``, and takes the result -- raising the call's error as Kafka's call would throw.

Records come out of the node as bytes; the facade applies ``key_deserializer`` and
``value_deserializer`` (kafka-python's callables).  If one fails, every partition of that poll is
sought back to its first record, so nothing is skipped, and the error is raised naming the record.

``position(tp)`` must answer with a number, as Kafka's does, while the node only learns a
position inside ``poll`` (from the group's committed offset, else ``auto_offset_reset``).  So
the facade resolves it the same way -- ``committed()``, else ListOffsets at the leader
(``facade_lookups.py``) -- and seeks there.  ``end_offsets``, ``beginning_offsets``, ``topics``
and ``partitions_for_topic`` are such one-question lookups too.

``poll(max_records=n)`` returns at most ``n`` records: the node's ``max.poll.records`` is set to
``n`` for that one call, so positions (and so commits) never run ahead of what was returned.

Iteration (``for record in consumer``) polls as needed and stops once ``consumer_timeout_ms``
passes without a record (kafka-python's rule; by default it never stops).

Spec IDs: none here; the node keeps its share of DELIV-19 and DELIV-21.

Simplified from kafka-python: no ``pause``/``resume``, ``offsets_for_times`` or metrics;
no rebalance listener (the node takes one; the facade does not pass it yet).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import (
    CallResult,
    CommitResult,
    CommittedResult,
    NoOffsetForPartitionError,
    PollResult,
)
from glasskafka.client.consumer_events import ConsumerRecord as NodeRecord
from glasskafka.client.subscription_state import FetchState, OffsetResetStrategy
from glasskafka.config import config_from_properties
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.ids import TopicPartition as NodePartition
from glasskafka.node import Output
from glasskafka.runtime.client_host import ClientHost, bootstrap_node_ids
from glasskafka.runtime.facade_lookups import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ClusterLookups
from glasskafka.runtime.facade_values import (
    ConsumerRecord,
    KafkaTimeoutError,
    OffsetAndMetadata,
    TopicPartition,
    bootstrap_addresses,
    error_for,
    kafka_properties,
)

__all__ = ["KafkaConsumer"]

_MARGIN_S = 5.0
"""Extra wall-clock time allowed beyond a call's own timeout before the facade gives up."""

_INFINITY = float("inf")

log = logging.getLogger("glasskafka.runtime.client")


class KafkaConsumer:
    """A blocking Kafka consumer with kafka-python's API, on glasskafka's consumer node."""

    _instances = 0

    def __init__(
        self,
        *topics: str,
        bootstrap_servers: str | list[str] = "localhost:9092",
        group_id: str | None = None,
        auto_offset_reset: str = "latest",
        enable_auto_commit: bool = True,
        auto_commit_interval_ms: int = 5000,
        consumer_timeout_ms: float = _INFINITY,
        max_poll_records: int = 500,
        key_deserializer: Callable[[bytes], object] | None = None,
        value_deserializer: Callable[[bytes], object] | None = None,
        partition_assignment_strategy: object = "range,cooperative-sticky",
        session_timeout_ms: int = 45000,
        client_id: str | None = None,
        **configs: Any,
    ) -> None:
        """Start the client's thread (and subscribe to ``topics`` if any are given).

        Raises :class:`GlassKafkaError` for a bad keyword or value, naming it.
        """
        addresses = bootstrap_addresses(bootstrap_servers)
        for name, given in (("key", key_deserializer), ("value", value_deserializer)):
            if given is not None and not callable(given):
                raise GlassKafkaError(f"{name}_deserializer={given!r}; allowed: a function")
        if group_id is not None and (not isinstance(group_id, str) or not group_id.strip()):
            # Checked here: as a property, a blank value would read as "no group.id".
            raise GlassKafkaError(
                f"group_id={group_id!r}; allowed: a non-blank group name, or None for no group"
            )
        if not (consumer_timeout_ms == _INFINITY or isinstance(consumer_timeout_ms, int | float)):
            raise GlassKafkaError(f"consumer_timeout_ms={consumer_timeout_ms!r}; allowed: ms")
        KafkaConsumer._instances += 1
        name = client_id or f"glasskafka-consumer-{KafkaConsumer._instances}"
        keywords = dict(
            configs,
            group_id=group_id,
            auto_offset_reset=auto_offset_reset,
            enable_auto_commit=enable_auto_commit,
            auto_commit_interval_ms=auto_commit_interval_ms,
            max_poll_records=max_poll_records,
            partition_assignment_strategy=_strategies(partition_assignment_strategy),
            session_timeout_ms=session_timeout_ms,
            client_id=name,
        )
        properties = kafka_properties(keywords)
        bootstrap = ",".join(f"{host}:{port}" for host, port in addresses)
        properties["bootstrap.servers"] = bootstrap
        self.config = config_from_properties(ConsumerConfig, properties)
        self.consumer_timeout_ms = consumer_timeout_ms
        self.key_deserializer = key_deserializer
        self.value_deserializer = value_deserializer
        self.node = ConsumerNode(
            NodeId(name),
            config=self.config,
            rng=random.Random(),
            bootstrap=bootstrap_node_ids(len(addresses)),
        )
        self.lookups = ClusterLookups(
            bootstrap, client_id=name, timeout_s=self.config.default_api_timeout_ms / 1000
        )
        self.host = ClientHost(self.node, addresses)
        self._buffer: list[ConsumerRecord] = []
        self._closed = False
        if topics:
            try:
                self.subscribe(topics)
            except BaseException:
                self.close()  # a refused subscription must not leave the thread running
                raise

    def __enter__(self) -> KafkaConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what to read ----------------------------------------------------------------------------

    def subscribe(self, topics: Iterable[str] = (), pattern: str | None = None) -> None:
        """Join ``group_id`` and read what it assigns from ``topics``, or from every topic
        whose whole name matches ``pattern``.  Needs a ``group_id``."""
        if isinstance(topics, str):
            topics = [topics]
        chosen = list(topics)
        if bool(chosen) == (pattern is not None):
            raise GlassKafkaError("subscribe(): give either topics or pattern, not both or neither")
        if pattern is not None:
            self._call("subscribe", lambda now: (None, self.node.subscribe_pattern(pattern, now)))
        else:
            self._call("subscribe", lambda now: (None, self.node.subscribe(chosen, now)))

    def unsubscribe(self) -> None:
        self._call("unsubscribe", lambda now: (None, self.node.unsubscribe(now)))
        self._buffer.clear()

    def assign(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Read exactly these partitions, without a group."""
        chosen = [_partition(tp) for tp in partitions]
        self._call("assign", lambda now: (None, self.node.assign(chosen, now)))
        self._buffer = [r for r in self._buffer if (r.topic, r.partition) in set(chosen)]

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(*tp) for tp in self.host.ask(self.node.assignment)}

    def subscription(self) -> set[str] | None:
        topics = self.host.ask(lambda: set(self.node.subscriptions.topics))
        return topics or None

    # -- positions -------------------------------------------------------------------------------

    def seek(self, partition: tuple[str, int], offset: int) -> None:
        """Read ``partition`` from ``offset`` on."""
        tp = _partition(partition)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise GlassKafkaError(f"seek(offset={offset!r}); allowed: an int >= 0")
        self._forget_buffered([tp])
        self._call("seek", lambda now: (None, self.node.seek(tp, offset, now)))

    def seek_to_beginning(self, *partitions: tuple[str, int]) -> None:
        """Read these partitions (none given: every assigned one) from their log start."""
        chosen = self._chosen(partitions)
        self._forget_buffered(chosen)
        self._call("seek", lambda now: (None, self.node.seek_to_beginning(chosen, now)))

    def seek_to_end(self, *partitions: tuple[str, int]) -> None:
        """Read these partitions (none given: every assigned one) from their end."""
        chosen = self._chosen(partitions)
        self._forget_buffered(chosen)
        self._call("seek", lambda now: (None, self.node.seek_to_end(chosen, now)))

    def position(self, partition: tuple[str, int]) -> int:
        """The offset of the next record a poll returns from ``partition``, looked up if needed.

        Raises :class:`NoOffsetForPartitionError` with ``auto_offset_reset='none'`` and no
        committed offset.
        """
        tp = _partition(partition)
        buffered = [r.offset for r in self._buffer if (r.topic, r.partition) == tp]
        if buffered:
            return buffered[0]
        known = self.host.ask(lambda: self.node.position(tp))
        if known is not None:
            return known
        offset = self._resolve_position(tp)
        self._call("seek", lambda now: (None, self.node.seek(tp, offset, now)))
        return offset

    def _resolve_position(self, tp: NodePartition) -> int:
        """Where the node would start: the committed offset, else the reset strategy."""
        state = self.host.ask(lambda: self.node.subscriptions.assignment.get(tp))
        if state is None:
            raise GlassKafkaError(f"position(): {tp[0]}-{tp[1]} is not assigned to this consumer")
        strategy = state.reset_strategy
        if state.fetch_state is FetchState.INITIALIZING and self.config.group_id is not None:
            committed = self.committed(TopicPartition(*tp))
            if committed is not None:
                return committed
        if strategy is None:
            reset = self.config.auto_offset_reset
            if reset == "none":
                raise NoOffsetForPartitionError(
                    f"no committed offset for {tp[0]}-{tp[1]} and auto_offset_reset='none'"
                )
            strategy = OffsetResetStrategy(reset)
        timestamp = (
            EARLIEST_TIMESTAMP if strategy is OffsetResetStrategy.EARLIEST else LATEST_TIMESTAMP
        )
        return self.lookups.list_offsets([TopicPartition(*tp)], timestamp)[TopicPartition(*tp)]

    def beginning_offsets(self, partitions: Iterable[tuple[str, int]]) -> dict[TopicPartition, int]:
        chosen = [TopicPartition(*_partition(tp)) for tp in partitions]
        return self.lookups.list_offsets(chosen, EARLIEST_TIMESTAMP)

    def end_offsets(self, partitions: Iterable[tuple[str, int]]) -> dict[TopicPartition, int]:
        """Each partition's end: the offset the next record written will get (the high
        watermark, so only records every in-sync replica has)."""
        chosen = [TopicPartition(*_partition(tp)) for tp in partitions]
        return self.lookups.list_offsets(chosen, LATEST_TIMESTAMP)

    def topics(self) -> set[str]:
        """Every topic the cluster has (internal ones included, as kafka-python does)."""
        return {t.name for t in self.lookups.metadata().topics if t.error_code == 0}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        """The partition numbers of ``topic``, or None if the cluster does not know it."""
        for found in self.lookups.metadata([topic]).topics:
            if found.name == topic and found.error_code == 0:
                return {p.partition_index for p in found.partitions}
        return None

    # -- polling ---------------------------------------------------------------------------------

    def poll(
        self, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Records by partition: at most ``max_records`` (else ``max_poll_records``), waiting up
        to ``timeout_ms`` for the first.  Raises the poll's error as Kafka would throw it."""
        if not isinstance(timeout_ms, int | float) or timeout_ms < 0:
            raise GlassKafkaError(f"poll(timeout_ms={timeout_ms!r}); allowed: a number >= 0")
        if max_records is not None and (not isinstance(max_records, int) or max_records < 1):
            raise GlassKafkaError(f"poll(max_records={max_records!r}); allowed: an int >= 1")
        limit = max_records or self.config.max_poll_records
        records = self._take_buffered(limit) or self._poll_node(int(timeout_ms), limit)
        grouped: dict[TopicPartition, list[ConsumerRecord]] = {}
        for record in records:
            grouped.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return grouped

    def _take_buffered(self, limit: int) -> list[ConsumerRecord]:
        taken, self._buffer = self._buffer[:limit], self._buffer[limit:]
        return taken

    def _poll_node(self, timeout_ms: int, limit: int) -> list[ConsumerRecord]:
        def start(now: Millis) -> tuple[None, list[Output]]:
            # One poll's limit: what the node drains is exactly what this call returns.
            self.node.config = dataclasses.replace(self.config, max_poll_records=limit)
            return None, self.node.poll(timeout_ms, now)

        result = self._blocking("poll", start, timeout_ms / 1000)
        assert isinstance(result, PollResult)
        return self._deserialized(result.records)

    def _deserialized(self, records: tuple[NodeRecord, ...]) -> list[ConsumerRecord]:
        out = []
        for record in records:
            try:
                key = _apply(self.key_deserializer, record.key)
                value = _apply(self.value_deserializer, record.value)
            except Exception as error:
                self._rewind(records)
                raise GlassKafkaError(
                    f"cannot deserialize the record at {record.topic}-{record.partition} offset "
                    f"{record.offset}: {error!r}; the consumer will return it again"
                ) from None
            out.append(
                ConsumerRecord(
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    timestamp=record.timestamp,
                    key=key,
                    value=value,
                    headers=list(record.headers),
                )
            )
        return out

    def _rewind(self, records: tuple[NodeRecord, ...]) -> None:
        first: dict[NodePartition, int] = {}
        for record in records:
            first.setdefault(_partition((record.topic, record.partition)), record.offset)
        for tp, offset in sorted(first.items()):
            self._seek_now(tp, offset)

    def _seek_now(self, tp: NodePartition, offset: int) -> None:
        self._call("seek", lambda now: (None, self.node.seek(tp, offset, now)))

    def __iter__(self) -> Iterator[ConsumerRecord]:
        return self

    def __next__(self) -> ConsumerRecord:
        """The next record; StopIteration after ``consumer_timeout_ms`` without one."""
        deadline = time.monotonic() + self.consumer_timeout_ms / 1000
        while not self._buffer:
            left_ms = (deadline - time.monotonic()) * 1000
            if left_ms <= 0:
                raise StopIteration
            self._buffer = self._poll_node(int(min(left_ms, 1000)), self.config.max_poll_records)
        return self._buffer.pop(0)

    # -- commits ---------------------------------------------------------------------------------

    def commit(self, offsets: Mapping[tuple[str, int], object] | None = None) -> None:
        """Commit ``offsets`` (else every current position) and wait; raises if refused."""
        chosen = _offsets(offsets)

        def start(now: Millis) -> tuple[None, list[Output]]:
            return None, self.node.commit_sync(now, offsets=chosen)

        result = self._blocking("commit", start, self.config.default_api_timeout_ms / 1000)
        assert isinstance(result, CommitResult)

    def commit_async(
        self,
        offsets: Mapping[tuple[str, int], object] | None = None,
        callback: Callable[[dict[TopicPartition, OffsetAndMetadata], object], object] | None = None,
    ) -> None:
        """Send a commit and return; ``callback(offsets, error or None)`` runs when it ends."""
        chosen = _offsets(offsets)

        def done(committed: Mapping[NodePartition, int], code: ErrorCode) -> None:
            if callback is None:
                return
            shown = {TopicPartition(*tp): OffsetAndMetadata(o, "") for tp, o in committed.items()}
            outcome = None if code is ErrorCode.NONE else error_for(code, "commit_async failed")
            self.host.later(lambda: _quietly(callback, shown, outcome))

        self._call("commit", lambda now: (None, self.node.commit_async(now, chosen, done)))

    def committed(self, partition: tuple[str, int]) -> int | None:
        """The group's committed offset of ``partition``, or None if there is none."""
        tp = _partition(partition)

        def start(now: Millis) -> tuple[None, list[Output]]:
            return None, self.node.committed([tp], now)

        result = self._blocking("committed", start, self.config.default_api_timeout_ms / 1000)
        assert isinstance(result, CommittedResult)
        return result.offsets.get(tp)

    def close(self, autocommit: bool = True) -> None:
        """Commit (with auto-commit on, unless ``autocommit`` is False), leave the group,
        stop the client's thread and close its sockets.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        timeout_s = min(30.0, self.config.default_api_timeout_ms / 1000)

        def start(now: Millis) -> tuple[None, list[Output]]:
            if not autocommit:
                self.node.config = dataclasses.replace(self.config, enable_auto_commit=False)
            return None, self.node.close(now, timeout_ms=int(timeout_s * 1000))

        try:
            self._blocking("close", start, timeout_s)
        except GlassKafkaError:
            pass  # closing goes on: the sockets and the thread must not outlive close()
        finally:
            self.host.close()
            self.lookups.close()

    # -- helpers ---------------------------------------------------------------------------------

    def _call(self, label: str, action: Callable[[Millis], tuple[None, list[Output]]]) -> None:
        if self._closed:
            raise GlassKafkaError("the consumer is closed")
        self.host.call(label, action)

    def _blocking(
        self, label: str, start: Callable[[Millis], tuple[None, list[Output]]], timeout_s: float
    ) -> CallResult:
        """Start a blocking call in the node, wait for its result, and take it."""
        if label != "close":
            self._call(label, start)
        else:
            self.host.call(label, start)
        ready = self.host.wait_until(
            lambda: True if self.node.result_ready else None, timeout_s + _MARGIN_S
        )
        if ready is None:
            raise KafkaTimeoutError(f"{label}() did not finish within {timeout_s + _MARGIN_S} s")
        return self.host.ask(self.node.take_result)

    def _chosen(self, partitions: tuple[tuple[str, int], ...]) -> list[NodePartition]:
        if partitions:
            return [_partition(tp) for tp in partitions]
        return list(self.host.ask(self.node.assignment))

    def _forget_buffered(self, partitions: Iterable[NodePartition]) -> None:
        gone = set(partitions)
        self._buffer = [r for r in self._buffer if (r.topic, r.partition) not in gone]


def _partition(tp: object) -> NodePartition:
    if (
        isinstance(tp, tuple)
        and len(tp) == 2
        and isinstance(tp[0], str)
        and isinstance(tp[1], int)
        and not isinstance(tp[1], bool)
        and tp[1] >= 0
    ):
        return (tp[0], tp[1])  # type: ignore[return-value]  # checked just above
    raise GlassKafkaError(f"{tp!r} is not a partition; allowed: TopicPartition(topic, index >= 0)")


def _offsets(given: Mapping[tuple[str, int], object] | None) -> dict[tuple[str, int], int] | None:
    if given is None:
        return None
    if not isinstance(given, Mapping):
        raise GlassKafkaError(f"offsets={given!r}; allowed: {{TopicPartition: OffsetAndMetadata}}")
    chosen: dict[tuple[str, int], int] = {}
    for tp, offset in given.items():
        value = offset.offset if isinstance(offset, OffsetAndMetadata) else offset
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise GlassKafkaError(f"offset {offset!r} for {tp!r}; allowed: an int >= 0")
        chosen[_partition(tp)] = value
    return chosen


def _strategies(given: object) -> str:
    """kafka-python's assignor list (classes with a ``name``, or names) as Kafka's value."""
    if isinstance(given, str):
        return given
    if isinstance(given, list | tuple):
        names = [g if isinstance(g, str) else getattr(g, "name", None) for g in given]
        if names and all(isinstance(n, str) for n in names):
            return ",".join(str(n) for n in names)
    raise GlassKafkaError(
        f"partition_assignment_strategy={given!r}; allowed: names such as 'range', "
        "'roundrobin', 'sticky', 'cooperative-sticky', or assignor classes with a name"
    )


def _apply(deserializer: Callable[[bytes], object] | None, data: bytes | None) -> object:
    if deserializer is None or data is None:
        return data
    return deserializer(data)


def _quietly(fn: Callable[..., object], *arguments: object) -> None:
    try:
        fn(*arguments)
    except Exception:  # a caller's callback failing must not stop the client's thread
        log.exception("a commit_async callback raised")
