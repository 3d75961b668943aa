"""A fake broker and a history log, for testing the consumer in the simulator.

Theory of operation
-------------------
The real broker node is built elsewhere; the consumer's tests need only a broker that answers
what a consumer asks.  :class:`FakeBroker` is one node (``broker-1``) that:

* keeps each partition as an in-memory list of batches (RecordBatch v2 bytes) whose high
  watermark is its log end (one replica, nothing to wait for), filled by :meth:`FakeBroker.produce`;
* answers Metadata (itself leads everything), ListOffsets (-2 the log start, -1 the end) and Fetch
  (whole batches from the one holding ``fetch_offset``, at least one, within the byte limit;
  OFFSET_OUT_OF_RANGE past the end; an empty answer is parked until data arrives or
  ``max_wait_ms`` passes);
* hosts the real :class:`~glasskafka.group.GroupCoordinator` for every group (it leads the one
  ``__consumer_offsets`` partition) and completes its appends at once into an offsets log.

:class:`HistoryLog` turns what consumers recorded (``record_history``) and what the application
did (sends, processing, crashes) into a ``glasskafka.history`` history, in time order, so the
delivery specs and the checker can judge a run.  :func:`blocking` runs a blocking consumer call
to its end.  The tests at the bottom check the fake broker itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import assert_never

from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_events import (
    AssignEvent,
    CallResult,
    CommitEvent,
    ConsumerEvent,
    ConsumerRecord,
    PollEvent,
    RebalanceEvent,
    SubscribeEvent,
)
from glasskafka.errors import ErrorCode
from glasskafka.group import (
    CoordinatorEndpoint,
    GroupCoordinator,
    GroupCoordinatorConfig,
    GroupStep,
)
from glasskafka.history import History
from glasskafka.history.model import (
    Assign,
    Commit,
    CommitMode,
    Crash,
    Operation,
    Outcome,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history.model import RebalanceEvent as HistoryRebalanceEvent
from glasskafka.history.model import Record as HistoryRecord
from glasskafka.ids import Millis, NodeId, Offset, PartitionId, TopicName
from glasskafka.node import CancelTimer, Message, Node, Output, SetTimer
from glasskafka.node import Send as SendOutput
from glasskafka.protocol.envelope import KafkaRequest, answer
from glasskafka.protocol.messages.committed_offsets import OffsetCommitRequest, OffsetFetchRequest
from glasskafka.protocol.messages.fetch import (
    FetchableTopicResponse,
    FetchRequest,
    FetchResponse,
    PartitionData,
)
from glasskafka.protocol.messages.find_coordinator import FindCoordinatorRequest
from glasskafka.protocol.messages.group_listing import DescribeGroupsRequest, ListGroupsRequest
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    JoinGroupRequest,
    LeaveGroupRequest,
    SyncGroupRequest,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartitionResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from glasskafka.records import Record, decode_batch, encode_batch
from glasskafka.sim import Simulator

__all__ = ["BROKER", "FakeBroker", "HistoryLog", "blocking"]

BROKER = NodeId("broker-1")
_GROUP_REQUESTS = (
    FindCoordinatorRequest,
    JoinGroupRequest,
    SyncGroupRequest,
    HeartbeatRequest,
    LeaveGroupRequest,
    OffsetCommitRequest,
    OffsetFetchRequest,
    DescribeGroupsRequest,
    ListGroupsRequest,
)


@dataclass(slots=True, kw_only=True)
class _Partition:
    batches: list[tuple[int, int, bytes]] = field(default_factory=list)  # (first, next, bytes)
    log_end: int = 0


@dataclass(slots=True, kw_only=True)
class _ParkedFetch:
    sender: NodeId
    request: KafkaRequest


class FakeBroker(Node):
    """One broker that leads every partition and hosts the group coordinator."""

    def __init__(self, node_id: NodeId, *, topics: dict[str, int], rng: random.Random) -> None:
        self.node_id = node_id
        self.partitions = {(t, p): _Partition() for t, n in topics.items() for p in range(n)}
        self.topics = dict(topics)
        config = GroupCoordinatorConfig(
            offsets_topic_num_partitions=1, group_initial_rebalance_delay_ms=0
        )
        self.coordinator = GroupCoordinator(broker_id=1, config=config, rng=rng)
        self.coordinator.set_offsets_topic_leaders(
            {PartitionId(0): CoordinatorEndpoint(node_id=1, host="localhost", port=9092)}
        )
        self.coordinator.become_leader(PartitionId(0), Millis(0))
        self.coordinator.load(PartitionId(0), b"", Millis(0))
        self.offsets_log: list[Record] = []
        self.parked: dict[str, _ParkedFetch] = {}
        self.now_ms = 0

    # -- the application's side ----------------------------------------------------------------

    def produce(self, topic: str, partition: int, values: list[tuple[bytes | None, bytes]]) -> int:
        """Append one batch of (key, value) records; returns the first record's offset."""
        log = self.partitions[(topic, partition)]
        first = log.log_end
        records = [Record(key=k, value=v, timestamp=self.now_ms) for k, v in values]
        log.batches.append((first, first + len(records), encode_batch(records, base_offset=first)))
        log.log_end += len(records)
        return first

    def wake_fetches(self, now_ms: Millis) -> list[Output]:
        """Answer every parked Fetch that has data now (call after :meth:`produce`)."""
        self.now_ms = now_ms
        outputs: list[Output] = []
        for name, parked in sorted(self.parked.items()):
            body = parked.request.body
            assert isinstance(body, FetchRequest)
            response = self._fetch(body)
            if _has_data(response):
                del self.parked[name]
                outputs += [
                    CancelTimer(name=name),
                    SendOutput(to=parked.sender, message=answer(parked.request, response)),
                ]
        return outputs

    # -- the node contract ---------------------------------------------------------------------

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        if not isinstance(message, KafkaRequest):
            return []
        body = message.body
        if isinstance(body, _GROUP_REQUESTS):
            return self._group(self.coordinator.on_request(sender, message, now_ms))
        match body:
            case MetadataRequest():
                reply: Message = self._metadata(body)
            case ListOffsetsRequest():
                reply = self._list_offsets(body)
            case FetchRequest():
                reply = self._fetch(body)
                if not _has_data(reply) and body.max_wait_ms > 0:
                    name = f"fetch-wait:{sender}:{message.correlation_id}"
                    self.parked[name] = _ParkedFetch(sender=sender, request=message)
                    return [SetTimer(name=name, at_ms=Millis(now_ms + body.max_wait_ms))]
            case _:
                return []
        return [SendOutput(to=sender, message=answer(message, reply))]

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        self.now_ms = now_ms
        if name.startswith("group:"):
            return self._group(self.coordinator.on_timer(name, now_ms))
        parked = self.parked.pop(name, None)
        if parked is None:
            return []
        body = parked.request.body
        assert isinstance(body, FetchRequest)
        return [SendOutput(to=parked.sender, message=answer(parked.request, self._fetch(body)))]

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        for name in sorted(n for n, p in self.parked.items() if p.sender == peer):
            del self.parked[name]
        return []

    def check_invariants(self) -> None:
        self.coordinator.check_invariants()

    # -- answers -------------------------------------------------------------------------------

    def _group(self, step: GroupStep) -> list[Output]:
        """Carry out a coordinator step: appends land in the offsets log and complete at once."""
        outputs = list(step.outputs)
        for append in step.appends:
            self.offsets_log.extend(
                Record(key=r.key, value=r.value, timestamp=r.timestamp)
                for r in decode_batch(append.batch()).records
            )
            done = self.coordinator.on_append_completed(
                append.append_id, ErrorCode.NONE, Millis(self.now_ms)
            )
            outputs += self._group(done)
        return outputs

    def _metadata(self, body: MetadataRequest) -> MetadataResponse:
        names = sorted(self.topics) if body.topics is None else [t.name for t in body.topics]
        topics = []
        for name in names:
            if name not in self.topics:
                topics.append(
                    MetadataResponseTopic(
                        error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name=name, partitions=()
                    )
                )
                continue
            partitions = tuple(
                MetadataResponsePartition(
                    error_code=0, partition_index=p, leader_id=1, replica_nodes=(1,), isr_nodes=(1,)
                )
                for p in range(self.topics[name])
            )
            topics.append(MetadataResponseTopic(error_code=0, name=name, partitions=partitions))
        broker = MetadataResponseBroker(node_id=1, host="localhost", port=9092)
        return MetadataResponse(brokers=(broker,), controller_id=1, topics=tuple(topics))

    def _list_offsets(self, body: ListOffsetsRequest) -> ListOffsetsResponse:
        topics = []
        for topic in body.topics:
            answers = []
            for p in topic.partitions:
                log = self.partitions.get((topic.name, p.partition_index))
                if log is None:
                    answers.append(
                        ListOffsetsPartitionResponse(
                            partition_index=p.partition_index,
                            error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        )
                    )
                else:
                    offset = 0 if p.timestamp == -2 else log.log_end
                    answers.append(
                        ListOffsetsPartitionResponse(
                            partition_index=p.partition_index, error_code=0, offset=offset
                        )
                    )
            topics.append(ListOffsetsTopicResponse(name=topic.name, partitions=tuple(answers)))
        return ListOffsetsResponse(topics=tuple(topics))

    def _fetch(self, body: FetchRequest) -> FetchResponse:
        topics = []
        for topic in body.topics:
            answers = []
            for p in topic.partitions:
                log = self.partitions.get((topic.topic, p.partition))
                if log is None:
                    answers.append(
                        PartitionData(
                            partition_index=p.partition,
                            error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                            high_watermark=-1,
                            records=None,
                        )
                    )
                elif not 0 <= p.fetch_offset <= log.log_end:
                    answers.append(
                        PartitionData(
                            partition_index=p.partition,
                            error_code=ErrorCode.OFFSET_OUT_OF_RANGE,
                            high_watermark=log.log_end,
                            records=None,
                        )
                    )
                else:
                    data = b""
                    for _first, after, batch in log.batches:
                        if after > p.fetch_offset and (
                            not data or len(data) + len(batch) <= p.partition_max_bytes
                        ):
                            data += batch
                    answers.append(
                        PartitionData(
                            partition_index=p.partition,
                            error_code=0,
                            high_watermark=log.log_end,
                            last_stable_offset=log.log_end,
                            log_start_offset=0,
                            records=data,
                        )
                    )
            topics.append(FetchableTopicResponse(topic=topic.topic, partitions=tuple(answers)))
        return FetchResponse(responses=tuple(topics))


def _has_data(response: Message) -> bool:
    assert isinstance(response, FetchResponse)
    return any(p.records or p.error_code for t in response.responses for p in t.partitions)


def blocking(
    sim: Simulator,
    node_id: NodeId,
    start: Callable[[ConsumerNode, Millis], list[Output]],
    *,
    within_ms: int = 120_000,
) -> CallResult:
    """Start a blocking call on consumer ``node_id``, run until it finishes, return its result."""
    sim.call(node_id, start, kind=ConsumerNode)
    done = sim.run_until(
        lambda s: s.node_as(node_id, ConsumerNode).result_ready, sim.now_ms + within_ms
    )
    assert done, f"{node_id}: the call did not finish within {within_ms} ms"
    return sim.node_as(node_id, ConsumerNode).take_result()


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


@dataclass(slots=True)
class HistoryLog:
    """Operations of one run, in time order: consumers' events plus the application's acts."""

    operations: list[tuple[int, int, Operation]] = field(default_factory=list)
    taken: dict[NodeId, int] = field(default_factory=dict)
    sequence: int = 0

    def _add(self, time_ms: int, op: Operation) -> None:
        self.sequence += 1
        self.operations.append((time_ms, self.sequence, op))

    def collect(self, node_id: NodeId, consumer: ConsumerNode, process: int, group: str) -> None:
        """Take the events ``consumer`` recorded since the last call, as history operations."""
        events = consumer.history or []
        start = self.taken.get(node_id, 0)
        self.taken[node_id] = len(events)
        for event in events[start:]:
            self._add(event.time_ms, _operation(event, process, str(node_id), group))

    def sent(self, time_ms: int, topic: str, partition: int, offset: int, value: str) -> None:
        """The application produced ``value`` at ``offset`` (acknowledged)."""
        self._add(
            time_ms,
            Send(
                process=0,
                client="producer",
                topic=TopicName(topic),
                partition=PartitionId(partition),
                key=None,
                value=value,
                outcome=Outcome.OK,
                offset=Offset(offset),
            ),
        )

    def processed(
        self, time_ms: int, process: int, client: str, records: tuple[ConsumerRecord, ...]
    ) -> None:
        """The application finished processing these records."""
        self._add(
            time_ms,
            Process(process=process, client=client, records=tuple(_record(r) for r in records)),
        )

    def crashed(self, time_ms: int, process: int, client: str) -> None:
        self._add(time_ms, Crash(process=process, client=client))

    def restarted(self, time_ms: int, process: int, client: str) -> None:
        self._add(time_ms, Restart(process=process, client=client))

    def history(self) -> History:
        """Everything so far, as a history (time order; ties in the order recorded)."""
        ordered = sorted(self.operations, key=lambda item: (item[0], item[1]))
        return History.of(op for _, _, op in ordered)


def _operation(event: ConsumerEvent, process: int, client: str, group: str) -> Operation:
    """One consumer event as the history operation a Kafka client would have recorded."""
    match event:
        case PollEvent():
            records = tuple(_record(r) for r in event.records)
            outcome = Outcome.OK if event.error is None else Outcome.ERROR
            return Poll(
                process=process, client=client, outcome=outcome, records=records, error=event.error
            )
        case CommitEvent():
            offsets = tuple(
                PartitionOffset(topic=t, partition=p, offset=Offset(o))
                for (t, p), o in event.offsets
            )
            ok = event.error is ErrorCode.NONE
            return Commit(
                process=process,
                client=client,
                group=group,
                mode=CommitMode(event.mode.value),
                offsets=offsets,
                outcome=Outcome.OK if ok else Outcome.ERROR,
                error=None if ok else event.error.name,
            )
        case RebalanceEvent():
            return Rebalance(
                process=process,
                client=client,
                group=group,
                event=HistoryRebalanceEvent(event.kind.value),
                partitions=event.partitions,
                generation=event.generation if event.generation >= 0 else None,
            )
        case SubscribeEvent():
            topics = tuple(TopicName(t) for t in event.topics)
            return Subscribe(
                process=process, client=client, group=event.group, topics=topics, outcome=Outcome.OK
            )
        case AssignEvent():
            return Assign(
                process=process, client=client, partitions=event.partitions, outcome=Outcome.OK
            )
        case _:
            assert_never(event)


def _record(record: ConsumerRecord) -> HistoryRecord:
    value = _text(record.value)
    assert value is not None
    return HistoryRecord(
        topic=TopicName(record.topic),
        partition=PartitionId(record.partition),
        offset=Offset(record.offset),
        key=_text(record.key),
        value=value,
    )
