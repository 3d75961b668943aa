"""A hand-driven bench for broker tests: real brokers, the real coordination server, fake peers.

The bench runs one or more :class:`BrokerNode` objects and a real :class:`CoordinationServer`
in virtual time.  Traffic between a broker and ``zk`` is delivered at once (``pump``); traffic
between two real brokers waits in ``in_flight`` until the test delivers it, so a test can lose a
fetch response or reorder nothing by accident; anything addressed to a node that is not real (a
producer, a consumer, the fake controller ``broker-100``) is collected and must be taken and
checked by the test: the ``bench`` fixture fails a test that leaves an output unchecked (STYLE
rule 12).  Every input is followed by ``check_invariants()`` on the node that took it.

The embedded controller role is replaced by :class:`RecordingRole`, a standby role that records
what the broker routes to it, so these tests depend only on THE SEAM, not on the controller's
behaviour.  The last tests here check the bench itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from glasskafka.broker import BrokerEvent, BrokerNode
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig
from glasskafka.controller import ControllerRole
from glasskafka.controller.role import RoleStep
from glasskafka.controller.znodes import (
    PartitionState,
    encode_partition_state,
    partition_state_path,
)
from glasskafka.coordination import (
    CoordinationServer,
    CreateRequest,
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    RequestCompleted,
    SetDataRequest,
    WatchTriggered,
)
from glasskafka.coordination.codes import NO_SESSION
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId, PartitionId, TopicName
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse, request
from glasskafka.protocol.messages.fetch import (
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
)
from glasskafka.protocol.messages.leader_and_isr import (
    LeaderAndIsrPartitionState,
    LeaderAndIsrRequest,
    LeaderAndIsrResponse,
    LeaderAndIsrTopicState,
)
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from glasskafka.records import Record, encode_batch
from glasskafka.storage import SimDisk

M = TypeVar("M", bound=Message)

ZK = NodeId("zk")
CONTROLLER = NodeId("broker-100")
"""The fake controller: a broker id no real broker has."""
CONTROLLER_ID = 100
PRODUCER = NodeId("producer-1")
CONSUMER = NodeId("consumer-1")
TOPIC = "orders"


class RecordingRole(ControllerRole):
    """A standby controller role that records every call the broker routes to it.

    ``active`` makes it claim to be the controller; ``answers`` are RoleSteps it returns, in
    order, from ``on_message`` and ``on_timer``.
    """

    def __init__(self, *, broker_id: BrokerId, config: BrokerConfig) -> None:
        super().__init__(broker_id=broker_id, config=config)
        self.calls: list[tuple[str, object]] = []
        self.active = False
        self.answers: list[RoleStep] = []

    @property
    def is_active(self) -> bool:
        return self.active

    def on_session_connected(self, *, resumed: bool, now_ms: Millis) -> RoleStep:
        self.calls.append(("session_connected", resumed))
        return RoleStep()

    def on_session_expired(self, now_ms: Millis) -> RoleStep:
        self.calls.append(("session_expired", now_ms))
        return RoleStep()

    def on_coordination_event(
        self, event: RequestCompleted | WatchTriggered, now_ms: Millis
    ) -> RoleStep:
        self.calls.append(("coordination", event))
        return RoleStep()

    def on_message(
        self, sender: NodeId, message: KafkaRequest | KafkaResponse, now_ms: Millis
    ) -> RoleStep:
        self.calls.append(("message", (sender, message)))
        return self.answers.pop(0) if self.answers else RoleStep()

    def on_timer(self, name: str, now_ms: Millis) -> RoleStep:
        self.calls.append(("timer", name))
        return self.answers.pop(0) if self.answers else RoleStep()

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> RoleStep:
        self.calls.append(("connection_lost", peer))
        return RoleStep()


def broker_config(broker_id: int, **overrides: object) -> BrokerConfig:
    """A small broker config for tests (fast lag detection, quick long polls)."""
    values: dict[str, object] = {
        "broker_id": broker_id,
        "listeners": f"PLAINTEXT://broker{broker_id}:9092",
        "replica_lag_time_max_ms": 10000,
        "replica_fetch_wait_max_ms": 500,
        "zookeeper_session_timeout_ms": 6000,
    }
    values.update(overrides)
    return BrokerConfig(**values)  # type: ignore[arg-type]


@dataclass
class Bench:
    """Real brokers and ``zk`` in virtual time; everything else is a fake peer (module doc)."""

    now: int = 0
    zk: CoordinationServer = field(default_factory=CoordinationServer)
    brokers: dict[NodeId, BrokerNode] = field(default_factory=dict)
    disks: dict[NodeId, SimDisk] = field(default_factory=dict)
    in_flight: list[tuple[NodeId, NodeId, Message]] = field(default_factory=list)
    timers: dict[NodeId, dict[str, int]] = field(default_factory=dict)
    received: dict[NodeId, list[Message]] = field(default_factory=dict)
    correlation: int = 0
    hold_zk: bool = False
    events: dict[NodeId, list[BrokerEvent]] = field(default_factory=dict)
    """Every event each broker reported, over all its inputs (``BrokerNode.events``)."""
    """While true, traffic to and from ``zk`` waits like broker traffic (``deliver``/``drop``)."""

    # -- building -------------------------------------------------------------------------------

    def add_broker(self, broker_id: int, *, bugs: BugFlags = NO_BUGS, **config: Any) -> BrokerNode:
        """Build and start a broker (on a fresh disk, or the one it had: a restart)."""
        node_id = NodeId(f"broker-{broker_id}")
        disk = self.disks.setdefault(node_id, SimDisk())
        broker = BrokerNode(
            node_id,
            disk,
            random.Random(broker_id),
            config=broker_config(broker_id, **config),
            bugs=bugs,
        )
        broker.controller = RecordingRole(broker_id=BrokerId(broker_id), config=broker.config)
        self.brokers[node_id] = broker
        self.timers[node_id] = {}
        self._run(node_id, broker.on_start(Millis(self.now)))
        return broker

    def crash(self, broker_id: int) -> None:
        """Throw the broker away (its disk stays as it is); break its connections."""
        node_id = NodeId(f"broker-{broker_id}")
        del self.brokers[node_id]
        del self.timers[node_id]
        self.in_flight = [m for m in self.in_flight if node_id not in m[:2]]
        self._run(ZK, self.zk.on_connection_lost(node_id, Millis(self.now)))

    def role(self, broker_id: int) -> RecordingRole:
        role = self.brokers[NodeId(f"broker-{broker_id}")].controller
        assert isinstance(role, RecordingRole)
        return role

    # -- running --------------------------------------------------------------------------------

    def _node(self, node_id: NodeId) -> Node:
        return self.zk if node_id == ZK else self.brokers[node_id]

    def _run(self, node_id: NodeId, outputs: list[Output]) -> None:
        """Carry out what one input to ``node_id`` produced (after checking its invariants)."""
        node = self._node(node_id)
        node.check_invariants()
        if isinstance(node, BrokerNode):
            self.events.setdefault(node_id, []).extend(node.events)
        for output in outputs:
            match output:
                case Send(to=to, message=message):
                    if to == ZK or to in self.brokers:
                        self.in_flight.append((node_id, to, message))
                    else:
                        self.received.setdefault(to, []).append(message)
                case SetTimer(name=name, at_ms=at_ms):
                    self.timers.setdefault(node_id, {})[name] = at_ms
                case CancelTimer(name=name):
                    self.timers.setdefault(node_id, {}).pop(name, None)
        self.pump()

    def pump(self) -> None:
        """Deliver every message to or from ``zk``, in order, until there are none."""
        while not self.hold_zk:
            index = next((i for i, (a, b, _) in enumerate(self.in_flight) if ZK in (a, b)), None)
            if index is None:
                return
            sender, to, message = self.in_flight.pop(index)
            self._run(to, self._node(to).on_message(sender, message, Millis(self.now)))

    def deliver(self, sender: NodeId, to: NodeId, *, count: int = 1) -> list[Message]:
        """Deliver the next ``count`` messages from one real node to another."""
        delivered = []
        for _ in range(count):
            index = next(i for i, (a, b, _) in enumerate(self.in_flight) if (a, b) == (sender, to))
            _, _, message = self.in_flight.pop(index)
            delivered.append(message)
            self._run(to, self._node(to).on_message(sender, message, Millis(self.now)))
        return delivered

    def drop(self, sender: NodeId, to: NodeId) -> list[Message]:
        """Lose every message in flight from ``sender`` to ``to`` (no notice to anyone)."""
        lost = [m for a, b, m in self.in_flight if (a, b) == (sender, to)]
        self.in_flight = [x for x in self.in_flight if (x[0], x[1]) != (sender, to)]
        return lost

    def settle(self, *, limit: int = 200) -> None:
        """Deliver every message between real nodes until none is left."""
        for _ in range(limit):
            if not self.in_flight:
                return
            sender, to, message = self.in_flight.pop(0)
            self._run(to, self._node(to).on_message(sender, message, Millis(self.now)))
        raise AssertionError("the brokers did not settle")

    def send(self, sender: NodeId, to: NodeId, message: Message) -> None:
        """A fake peer sends ``message`` to a real node."""
        self._run(to, self._node(to).on_message(sender, message, Millis(self.now)))

    def lose_connection(self, a: NodeId, b: NodeId) -> None:
        """Break the connection between ``a`` and ``b``: drop what is in flight, tell both."""
        self.in_flight = [m for m in self.in_flight if {m[0], m[1]} != {a, b}]
        for node, peer in ((a, b), (b, a)):
            if node == ZK or node in self.brokers:
                self._run(node, self._node(node).on_connection_lost(peer, Millis(self.now)))

    def advance(self, ms: int) -> None:
        """Move time forward ``ms``, firing due timers in time order (zk traffic in between)."""
        end = self.now + ms
        while True:
            due = sorted(
                (at, node, name)
                for node, timers in self.timers.items()
                for name, at in timers.items()
                if at <= end
            )
            if not due:
                break
            at, node, name = due[0]
            self.now = max(self.now, at)
            del self.timers[node][name]
            self._run(node, self._node(node).on_timer(name, Millis(self.now)))
        self.now = end

    # -- fake peers -----------------------------------------------------------------------------

    def take(self, peer: NodeId) -> list[Message]:
        """Everything sent to fake ``peer`` so far (now checked)."""
        return self.received.pop(peer, [])

    def take_one(self, peer: NodeId, kind: type[M]) -> M:
        """The one response (body of type ``kind``) sent to ``peer``."""
        messages = self.take(peer)
        assert len(messages) == 1, f"expected one message to {peer}, got {messages}"
        envelope = messages[0]
        assert isinstance(envelope, KafkaResponse), envelope
        assert isinstance(envelope.body, kind), envelope.body
        return envelope.body

    def take_events(self, broker_id: int) -> list[BrokerEvent]:
        """The events broker ``broker_id`` reported since the last call."""
        return self.events.pop(NodeId(f"broker-{broker_id}"), [])

    def unchecked(self) -> dict[NodeId, list[Message]]:
        return {peer: messages for peer, messages in self.received.items() if messages}

    def envelope(self, body: Message, *, api_version: int = -1) -> KafkaRequest:
        self.correlation += 1
        return request(body, correlation_id=self.correlation, api_version=api_version)

    # -- the coordination service, by hand ------------------------------------------------------

    def zk_write(self, path: str, data: bytes, *, version: int = -1) -> None:
        """Create or overwrite a persistent znode (parents too) as an operator would."""
        parts = path.strip("/").split("/")
        for end in range(1, len(parts)):
            self._zk(CreateRequest(xid=0, path="/" + "/".join(parts[:end])))
        if self.zk.znode(path) is None:
            self._zk(CreateRequest(xid=0, path=path, data=data))
        else:
            self._zk(SetDataRequest(xid=0, path=path, data=data, version=version))

    def zk_read(self, path: str) -> GetDataResponse:
        response = self.zk.handle(NO_SESSION, GetDataRequest(xid=0, path=path), Millis(self.now))[1]
        assert isinstance(response, GetDataResponse)
        return response

    def _zk(self, zk_request: CreateRequest | SetDataRequest) -> KeeperErrorCode:
        outputs, response = self.zk.handle(NO_SESSION, zk_request, Millis(self.now))
        self._run(ZK, outputs)
        return response.error

    # -- common requests ------------------------------------------------------------------------

    def leader_and_isr(
        self,
        broker_id: int,
        *,
        leader: int,
        leader_epoch: int,
        isr: tuple[int, ...],
        replicas: tuple[int, ...] = (1, 2),
        controller_epoch: int = 1,
        zk_version: int = 0,
        partition: int = 0,
        write_znode: bool = True,
    ) -> LeaderAndIsrResponse:
        """The fake controller decides one partition: written to zk, then sent to the broker."""
        if write_znode:
            state = PartitionState(
                leader=BrokerId(leader),
                leader_epoch=Epoch(leader_epoch),
                isr=tuple(BrokerId(b) for b in isr),
                controller_epoch=Epoch(controller_epoch),
            )
            self.zk_write(
                partition_state_path(TopicName(TOPIC), PartitionId(partition)),
                encode_partition_state(state),
            )
            zk_version = self.zk_read(
                partition_state_path(TopicName(TOPIC), PartitionId(partition))
            ).stat.version  # type: ignore[union-attr]
        body = leader_and_isr_request(
            leader=leader,
            leader_epoch=leader_epoch,
            isr=isr,
            replicas=replicas,
            controller_epoch=controller_epoch,
            zk_version=zk_version,
            partition=partition,
        )
        self.send(CONTROLLER, NodeId(f"broker-{broker_id}"), self.envelope(body))
        return self.take_one(CONTROLLER, LeaderAndIsrResponse)


def leader_and_isr_request(
    *,
    leader: int,
    leader_epoch: int,
    isr: tuple[int, ...],
    replicas: tuple[int, ...],
    controller_epoch: int = 1,
    zk_version: int = 0,
    partition: int = 0,
    topic: str = TOPIC,
) -> LeaderAndIsrRequest:
    state = LeaderAndIsrPartitionState(
        partition_index=partition,
        controller_epoch=controller_epoch,
        leader=leader,
        leader_epoch=leader_epoch,
        isr=isr,
        partition_epoch=zk_version,
        replicas=replicas,
    )
    return LeaderAndIsrRequest(
        controller_id=CONTROLLER_ID,
        controller_epoch=controller_epoch,
        topic_states=(LeaderAndIsrTopicState(topic_name=topic, partition_states=(state,)),),
        live_leaders=(),
    )


def batch(*values: str, timestamp: int = 1000) -> bytes:
    """One RecordBatch v2 holding ``values`` (as a producer would send it)."""
    return encode_batch([Record(value=v.encode(), timestamp=timestamp) for v in values])


def produce_request(
    *records: bytes, acks: int = 1, timeout_ms: int = 30000, partition: int = 0, topic: str = TOPIC
) -> ProduceRequest:
    data = tuple(PartitionProduceData(index=partition, records=r) for r in records)
    return ProduceRequest(
        acks=acks,
        timeout_ms=timeout_ms,
        topic_data=(TopicProduceData(name=topic, partition_data=data),),
    )


def fetch_request(
    offset: int,
    *,
    replica_id: int = -1,
    epoch: int = -1,
    max_wait_ms: int = 0,
    min_bytes: int = 1,
    max_bytes: int = 1 << 20,
    partition: int = 0,
    topic: str = TOPIC,
) -> FetchRequest:
    asked = FetchPartition(
        partition=partition,
        current_leader_epoch=epoch,
        fetch_offset=offset,
        partition_max_bytes=max_bytes,
    )
    return FetchRequest(
        replica_id=replica_id,
        max_wait_ms=max_wait_ms,
        min_bytes=min_bytes,
        topics=(FetchTopic(topic=topic, partitions=(asked,)),),
    )


def values_of(records: bytes | None) -> list[str]:
    """The record values of fetched batches, in offset order."""
    from glasskafka.records import decode_batch, iter_batches

    data = records or b""
    return [
        (r.value or b"").decode()
        for position, _ in iter_batches(data)
        for r in decode_batch(data, position).records
    ]


def one_partition(response: FetchResponse) -> tuple[int, int, list[str]]:
    """(error, high watermark, values) of a one-partition fetch response."""
    (topic,) = response.responses
    (data,) = topic.partitions
    return data.error_code, data.high_watermark, values_of(data.records)


@pytest.fixture
def bench() -> Iterator[Bench]:
    """A bench; the test fails if any output to a fake peer was left unchecked."""
    made = Bench()
    yield made
    assert not made.unchecked(), f"outputs left unchecked: {made.unchecked()}"


# ---------------------------------------------------------------------------------------------
# The bench itself


def test_a_started_broker_is_registered_through_the_real_coordination_server(bench: Bench) -> None:
    broker = bench.add_broker(1)
    assert broker.registered
    assert bench.zk.znode("/brokers/ids/1") is not None
    assert bench.role(1).calls == [("session_connected", False)]


def test_unchecked_outputs_are_reported(bench: Bench) -> None:
    bench.add_broker(1)
    bench.received[PRODUCER] = [KafkaResponse(correlation_id=1)]
    assert bench.unchecked() == {PRODUCER: [KafkaResponse(correlation_id=1)]}
    assert bench.take(PRODUCER) == [KafkaResponse(correlation_id=1)]
    assert bench.unchecked() == {}


def test_advance_fires_timers_in_time_order(bench: Bench) -> None:
    broker = bench.add_broker(1)
    assert bench.timers[broker.node_id]["broker:hw-checkpoint"] == 5000
    bench.advance(5000)
    assert bench.timers[broker.node_id]["broker:hw-checkpoint"] == 10000
    assert bench.now == 5000
