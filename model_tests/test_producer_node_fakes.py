"""Fake brokers for the producer's tests, and the tests that keep the fakes honest.

Theory of operation
-------------------
The producer node is tested before the real broker is finished, against :class:`FakeBroker`: a
small node that answers the three requests a producer sends, as Kafka's broker would, and no
more.

* **Metadata**: every broker of the :class:`FakeLayout` and, for each topic asked about, its
  partitions and leaders (UNKNOWN_TOPIC_OR_PARTITION for a topic the layout lacks).
* **InitProducerId**: rising producer ids from the layout, epoch 0.
* **Produce**: a broker that does not lead a partition answers NOT_LEADER_OR_FOLLOWER.  The
  leader validates the batch, runs it through a real
  :class:`~glasskafka.log.producer_state.ProducerStateTable` (so idempotence is Kafka's), stamps
  the offset and appends it to its log; duplicates are answered with the original offset.

Faults are scripted per broker: :attr:`FakeBroker.faults` is a list of actions taken, one per
Produce request, before the normal path: ``DROP_REQUEST`` (as if it never arrived),
``DROP_ANSWER`` (append, answer nothing), ``REFUSE`` (answer ``fault_code`` without appending),
``APPEND_THEN_ERROR`` (append, answer ``fault_code``).  ``silent`` makes a broker answer nothing
at all.  The layout is shared by the fakes of one test, so a test moves a leader by editing it.

Spec IDs: none (test equipment); the model suite in ``test_producer_node_model.py`` checks
IDEM-1..3 and ORDER-1 over these logs.

Simplified from Kafka: one replica per partition, no acks=all waiting, no log on disk.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from glasskafka.errors import ErrorCode
from glasskafka.ids import Millis, NodeId
from glasskafka.log.producer_state import DuplicateBatch, ProducerStateTable
from glasskafka.node import Message, Node, Output, Send
from glasskafka.protocol.envelope import KafkaRequest, answer
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from glasskafka.protocol.messages.produce import (
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceResponse,
)
from glasskafka.records import CorruptRecordError, decode_batch, stamp, validate_batch
from glasskafka.storage import SimDisk

__all__ = ["FakeBroker", "FakeLayout", "Fault", "LoggedRecord", "fake_broker_factory"]


class Fault(enum.Enum):
    """What a fake broker does to the next Produce request."""

    DROP_REQUEST = "drop request"
    DROP_ANSWER = "drop answer"
    REFUSE = "refuse"
    APPEND_THEN_ERROR = "append then error"


@dataclass(slots=True)
class FakeLayout:
    """Topics, their leaders, and the producer ids handed out, shared by one test's fakes."""

    brokers: tuple[int, ...] = (1,)
    leaders: dict[str, list[int]] = field(default_factory=dict)
    next_producer_id: int = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedRecord:
    """A record in a fake broker's log, with its batch's idempotence fields."""

    offset: int
    key: bytes | None
    value: bytes | None
    producer_id: int
    producer_epoch: int
    sequence: int
    batch_base_offset: int
    batch_last_offset: int


class FakeBroker(Node):
    """A broker that answers Metadata, InitProducerId and Produce (see the module docstring)."""

    def __init__(self, node_id: NodeId, layout: FakeLayout) -> None:
        self.node_id = node_id
        self.broker_id = int(node_id.removeprefix("broker-"))
        self.layout = layout
        self.logs: dict[tuple[str, int], list[LoggedRecord]] = {}
        self.states: dict[tuple[str, int], ProducerStateTable] = {}
        self.faults: list[Fault] = []
        self.fault_code = ErrorCode.NOT_ENOUGH_REPLICAS
        self.silent = False
        self.requests: list[KafkaRequest] = []

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        assert isinstance(message, KafkaRequest), f"a fake broker got {message!r}"
        self.requests.append(message)
        if self.silent:
            return []
        body = message.body
        if isinstance(body, MetadataRequest):
            reply: Message | None = self._metadata(body)
        elif isinstance(body, InitProducerIdRequest):
            reply = InitProducerIdResponse(
                error_code=0, producer_id=self.layout.next_producer_id, producer_epoch=0
            )
            self.layout.next_producer_id += 1
        elif isinstance(body, ProduceRequest):
            reply = self._produce(body)
        else:
            raise AssertionError(f"a fake broker does not serve {type(body).__name__}")
        if reply is None or (isinstance(body, ProduceRequest) and body.acks == 0):
            return []
        return [Send(to=sender, message=answer(message, reply))]

    def _metadata(self, body: MetadataRequest) -> MetadataResponse:
        names = (
            sorted(self.layout.leaders) if body.topics is None else [t.name for t in body.topics]
        )
        topics = []
        for name in names:
            leaders = self.layout.leaders.get(name)
            if leaders is None:
                topics.append(MetadataResponseTopic(error_code=3, name=name, partitions=()))
                continue
            partitions = tuple(
                MetadataResponsePartition(
                    error_code=0 if leader >= 0 else 5,
                    partition_index=index,
                    leader_id=leader,
                    replica_nodes=(max(leader, 0),),
                    isr_nodes=(max(leader, 0),),
                )
                for index, leader in enumerate(leaders)
            )
            topics.append(MetadataResponseTopic(error_code=0, name=name, partitions=partitions))
        brokers = tuple(
            MetadataResponseBroker(node_id=b, host="127.0.0.1", port=9092 + b)
            for b in self.layout.brokers
        )
        return MetadataResponse(
            brokers=brokers, controller_id=brokers[0].node_id, topics=tuple(topics)
        )

    def _produce(self, body: ProduceRequest) -> ProduceResponse | None:
        fault = self.faults.pop(0) if self.faults else None
        if fault is Fault.DROP_REQUEST:
            return None
        responses = []
        for topic in body.topic_data:
            answers = []
            for data in topic.partition_data:
                if fault is Fault.REFUSE:
                    code, offset = int(self.fault_code), -1
                else:
                    code, offset = self._append(topic.name, data.index, data.records or b"")
                    if fault is Fault.APPEND_THEN_ERROR and code == 0:
                        code, offset = int(self.fault_code), -1
                answers.append(
                    PartitionProduceResponse(index=data.index, error_code=code, base_offset=offset)
                )
            responses.append(
                TopicProduceResponse(name=topic.name, partition_responses=tuple(answers))
            )
        return None if fault is Fault.DROP_ANSWER else ProduceResponse(responses=tuple(responses))

    def _append(self, topic: str, partition: int, data: bytes) -> tuple[int, int]:
        leaders = self.layout.leaders.get(topic)
        if leaders is None or not 0 <= partition < len(leaders):
            return int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), -1
        if leaders[partition] != self.broker_id:
            return int(ErrorCode.NOT_LEADER_OR_FOLLOWER), -1
        try:
            validate_batch(data)
        except CorruptRecordError:
            return int(ErrorCode.CORRUPT_MESSAGE), -1
        tp = (topic, partition)
        log = self.logs.setdefault(tp, [])
        state = self.states.setdefault(tp, ProducerStateTable())
        base = log[-1].offset + 1 if log else 0
        stamped = validate_batch(stamp(data, base_offset=base, partition_leader_epoch=0))
        result = state.check_client_append(stamped)
        if isinstance(result, DuplicateBatch):
            return 0, result.first_offset
        if result is not ErrorCode.NONE:
            return int(result), -1
        state.record_append(stamped)
        decoded = decode_batch(stamp(data, base_offset=base, partition_leader_epoch=0))
        for index, record in enumerate(decoded.records):
            log.append(
                LoggedRecord(
                    offset=record.offset,
                    key=record.key,
                    value=record.value,
                    producer_id=stamped.producer_id,
                    producer_epoch=stamped.producer_epoch,
                    sequence=-1 if stamped.base_sequence < 0 else stamped.base_sequence + index,
                    batch_base_offset=stamped.base_offset,
                    batch_last_offset=stamped.last_offset,
                )
            )
        return 0, base


def fake_broker_factory(layout: FakeLayout):  # type: ignore[no-untyped-def]
    """A simulator node factory that builds fake brokers over ``layout``."""

    def build(node_id: NodeId, disk: SimDisk, rng: random.Random) -> Node:
        del disk, rng
        return FakeBroker(node_id, layout)

    return build


# ---------------------------------------------------------------------------------------------
# The fakes' own tests


def test_a_fake_leader_appends_and_deduplicates() -> None:
    from glasskafka.records import Record, encode_batch

    layout = FakeLayout(brokers=(1,), leaders={"t": [1]})
    broker = FakeBroker(NodeId("broker-1"), layout)
    data = encode_batch([Record(value=b"a")], producer_id=5, producer_epoch=0, base_sequence=0)
    assert broker._append("t", 0, data) == (0, 0)
    assert broker._append("t", 0, data) == (0, 0)  # a retry: the original offset
    assert [r.value for r in broker.logs[("t", 0)]] == [b"a"]
    assert broker._append("t", 1, data)[0] == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    layout.leaders["t"] = [2]
    assert broker._append("t", 0, data)[0] == ErrorCode.NOT_LEADER_OR_FOLLOWER
    layout.leaders["t"] = [1]
    assert broker._append("t", 0, b"junk" * 20)[0] == ErrorCode.CORRUPT_MESSAGE
