"""A stand-in broker that hosts the ControllerRole, for the controller's own tests.

``RoleHost`` does exactly what the seam (``glasskafka/controller/role.py``) asks of a broker and
nothing more: one coordination session, the persistent parents and the ephemeral registration
``/brokers/ids/<id>`` on every new session, the role's coordination requests submitted through
its client, every watch event and every ``controller:`` answer routed to the role, CreateTopics and
DeleteTopics passed on while the role is active (NOT_CONTROLLER otherwise), a controller ``Send``
to its own node delivered locally, and the broker side of LeaderAndIsr / UpdateMetadata /
StopReplica reduced to *recording* the requests and answering them with success.  So the tests
see exactly what the controller told each broker, in order.

``ToolNode`` plays the students' tools: it sends Kafka requests (CreateTopics...) and records the
answers, and it edits znodes through its own session, as ``zk-shell`` would.

The tests at the bottom check the stand-in itself: it registers, and a cluster of them elects one
controller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from glasskafka.config import BrokerConfig
from glasskafka.controller import ControllerRole, RoleStep
from glasskafka.controller.znodes import (
    PERSISTENT_PATHS,
    BrokerRegistration,
    PartitionState,
    broker_path,
    decode_partition_state,
    encode_broker,
    partition_state_path,
)
from glasskafka.coordination import (
    ClientStep,
    CoordinationClient,
    CoordinationServer,
    RequestCompleted,
    SessionConnected,
    SessionDisconnected,
    SessionExpired,
    WatchTriggered,
)
from glasskafka.coordination.messages import SessionRequest
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Millis, NodeId, PartitionId, TopicName, broker_node_id
from glasskafka.node import Message, Node, Output, Send
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest, LeaderAndIsrResponse
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest, StopReplicaResponse
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeletableTopicResult,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataRequest,
    UpdateMetadataResponse,
)
from glasskafka.sim import NetworkConfig, Simulator
from glasskafka.storage import SimDisk

ZK = NodeId("zk")
TOOL = NodeId("tool")
SESSION_TIMEOUT_MS = 6000


class RoleHost(Node):
    """A broker reduced to what hosting the controller role needs."""

    def __init__(self, broker_id: BrokerId, config: BrokerConfig) -> None:
        self.node_id = broker_node_id(broker_id)
        self.broker_id = broker_id
        self.zk = CoordinationClient(
            server=ZK, session_timeout_ms=config.zookeeper_session_timeout_ms
        )
        self.role = ControllerRole(broker_id=broker_id, config=config)
        self.received: list[Message] = []
        """Every controller request this broker got (LeaderAndIsr, UpdateMetadata, StopReplica)."""

    # -- inputs --------------------------------------------------------------------------------

    def on_start(self, now_ms: Millis) -> list[Output]:
        return self._client(self.zk.connect(now_ms), now_ms)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        if sender == ZK:
            return self._client(self.zk.on_message(message, now_ms), now_ms)
        match message:
            case KafkaRequest(body=CreateTopicsRequest() | DeleteTopicsRequest()):
                if self.role.is_active:
                    return self._role(self.role.on_message(sender, message, now_ms), now_ms)
                return [Send(to=sender, message=not_controller(message))]
            case KafkaRequest(body=LeaderAndIsrRequest() | UpdateMetadataRequest()):
                self.received.append(message.body)
                return [Send(to=sender, message=success(message))]
            case KafkaRequest(body=StopReplicaRequest()):
                self.received.append(message.body)
                return [Send(to=sender, message=success(message))]
            case KafkaResponse():
                return self._role(self.role.on_message(sender, message, now_ms), now_ms)
            case _:
                return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        if self.zk.owns_timer(name):
            return self._client(self.zk.on_timer(name, now_ms), now_ms)
        return self._role(self.role.on_timer(name, now_ms), now_ms)

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        if peer == ZK:
            return self._client(self.zk.on_connection_lost(now_ms), now_ms)
        return self._role(self.role.on_connection_lost(peer, now_ms), now_ms)

    def check_invariants(self) -> None:
        self.role.check_invariants()

    # -- plumbing ------------------------------------------------------------------------------

    def _client(self, step: ClientStep, now_ms: Millis) -> list[Output]:
        outputs = list(step.outputs)
        for event in step.events:
            match event:
                case SessionConnected(resumed=resumed):
                    if not resumed:
                        outputs += self._register(now_ms)
                    outputs += self._role(
                        self.role.on_session_connected(resumed=resumed, now_ms=now_ms), now_ms
                    )
                case SessionExpired():
                    outputs += self._role(self.role.on_session_expired(now_ms), now_ms)
                    outputs += self._client(self.zk.connect(now_ms), now_ms)
                case SessionDisconnected():
                    pass
                case RequestCompleted(ctx=ctx) if ctx.startswith("controller:"):
                    outputs += self._role(self.role.on_coordination_event(event, now_ms), now_ms)
                case RequestCompleted():
                    pass
                case WatchTriggered():
                    outputs += self._role(self.role.on_coordination_event(event, now_ms), now_ms)
                case _:
                    assert_never(event)
        return outputs

    def _register(self, now_ms: Millis) -> list[Output]:
        outputs: list[Output] = []
        for path in PERSISTENT_PATHS:
            outputs += self._client(self.zk.create(path, ctx="host:parent", now_ms=now_ms), now_ms)
        registration = BrokerRegistration(broker_id=self.broker_id, host="localhost", port=9092)
        step = self.zk.create(
            broker_path(self.broker_id),
            encode_broker(registration),
            ephemeral=True,
            ctx="host:register",
            now_ms=now_ms,
        )
        return outputs + self._client(step, now_ms)

    def _role(self, step: RoleStep, now_ms: Millis) -> list[Output]:
        outputs: list[Output] = []
        for request in step.coordination:
            outputs += self._client(
                self.zk.submit(request.request, ctx=request.ctx, now_ms=now_ms), now_ms
            )
        for output in step.outputs:
            if isinstance(output, Send) and output.to == self.node_id:
                outputs += self.on_message(self.node_id, output.message, now_ms)
            else:
                outputs.append(output)
        return outputs


def success(request: KafkaRequest) -> KafkaResponse:
    """The broker's answer to a controller request: no error."""
    body = request.body
    answer: Message
    if isinstance(body, LeaderAndIsrRequest):
        answer = LeaderAndIsrResponse(error_code=0, partition_errors=())
    elif isinstance(body, UpdateMetadataRequest):
        answer = UpdateMetadataResponse(error_code=0)
    else:
        answer = StopReplicaResponse(error_code=0, partition_errors=())
    return envelope.answer(request, answer)


def not_controller(request: KafkaRequest) -> KafkaResponse:
    code = ErrorCode.NOT_CONTROLLER
    body = request.body
    if isinstance(body, CreateTopicsRequest):
        results = tuple(
            CreatableTopicResult(name=t.name, error_code=code, error_message=None)
            for t in body.topics
        )
        return envelope.answer(request, CreateTopicsResponse(topics=results))
    assert isinstance(body, DeleteTopicsRequest)
    deleted = tuple(DeletableTopicResult(name=n, error_code=code) for n in body.topic_names)
    return envelope.answer(request, DeleteTopicsResponse(responses=deleted))


@dataclass(slots=True)
class ToolNode(Node):
    """A client: Kafka requests to brokers, and znode edits through its own session."""

    node_id: NodeId = TOOL
    zk: CoordinationClient = field(
        default_factory=lambda: CoordinationClient(server=ZK, session_timeout_ms=SESSION_TIMEOUT_MS)
    )
    next_correlation_id: int = 0
    responses: list[Message] = field(default_factory=list)
    zk_answers: list[RequestCompleted] = field(default_factory=list)

    def on_start(self, now_ms: Millis) -> list[Output]:
        return list(self.zk.connect(now_ms).outputs)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        if sender == ZK:
            step = self.zk.on_message(message, now_ms)
            self.zk_answers += [e for e in step.events if isinstance(e, RequestCompleted)]
            return list(step.outputs)
        if isinstance(message, KafkaResponse):
            self.responses.append(message.body)
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return list(self.zk.on_timer(name, now_ms).outputs)

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        return list(self.zk.on_connection_lost(now_ms).outputs) if peer == ZK else []

    def send(self, to: NodeId, body: Message) -> list[Output]:
        request = envelope.request(body, correlation_id=self.next_correlation_id)
        self.next_correlation_id += 1
        return [Send(to=to, message=request)]

    def submit(self, request: SessionRequest, now_ms: Millis) -> list[Output]:
        return list(self.zk.submit(request, ctx="tool", now_ms=now_ms).outputs)


# ---------------------------------------------------------------------------------------------
# Building and reading a simulated cluster of stand-ins


def build(
    *, brokers: int = 3, seed: int = 7, unclean: bool = False, settle: bool = True
) -> Simulator:
    """``zk``, ``broker-1..n`` (stand-ins) and ``tool``, run until a controller is active."""
    sim = Simulator(seed=seed, network=NetworkConfig(min_delay_ms=1, max_delay_ms=5))
    sim.add_node(ZK, lambda node_id, disk, rng: CoordinationServer(node_id=node_id))
    config = BrokerConfig(
        zookeeper_session_timeout_ms=SESSION_TIMEOUT_MS, unclean_leader_election_enable=unclean
    )
    for n in range(1, brokers + 1):
        add_host(sim, BrokerId(n), config)
    sim.add_node(TOOL, lambda node_id, disk, rng: ToolNode())
    if settle:
        assert sim.run_until(lambda s: active(s) is not None, sim.now_ms + 10_000)
        sim.run_for(200)
    return sim


def add_host(sim: Simulator, broker_id: BrokerId, config: BrokerConfig) -> None:
    def factory(node_id: NodeId, disk: SimDisk, rng: object) -> Node:
        del node_id, disk, rng
        return RoleHost(broker_id, config)

    sim.add_node(broker_node_id(broker_id), factory)


def hosts(sim: Simulator) -> list[RoleHost]:
    return [
        sim.node_as(n, RoleHost) for n in sim.node_ids if n.startswith("broker-") and sim.is_up(n)
    ]


def active(sim: Simulator) -> RoleHost | None:
    """The host whose role is the active controller (asserting there is at most one)."""
    found = [h for h in hosts(sim) if h.role.is_active]
    assert len(found) <= 1, f"two active controllers: {[h.node_id for h in found]}"
    return found[0] if found else None


def zk_state(sim: Simulator, topic: str, partition: int) -> PartitionState | None:
    server = sim.node_as(ZK, CoordinationServer)
    znode = server.znode(partition_state_path(TopicName(topic), PartitionId(partition)))
    if znode is None:
        return None
    return decode_partition_state(znode.data, zk_version=znode.version)


def tool(sim: Simulator) -> ToolNode:
    return sim.node_as(TOOL, ToolNode)


def call_tool(sim: Simulator, to: NodeId, body: Message) -> None:
    sim.call(TOOL, lambda node, now: node.send(to, body), kind=ToolNode, label=type(body).__name__)


def zk_request(sim: Simulator, request: SessionRequest) -> None:
    sim.call(TOOL, lambda node, now: node.submit(request, now), kind=ToolNode, label="zk")


def settle(sim: Simulator, duration_ms: int = 500) -> None:
    sim.run_for(duration_ms)


# ---------------------------------------------------------------------------------------------
# The stand-in itself


def test_each_host_registers_and_exactly_one_becomes_controller_with_epoch_1() -> None:
    sim = build()
    server = sim.node_as(ZK, CoordinationServer)
    assert [c for c in server.tree.get("/brokers/ids").children] == ["1", "2", "3"]  # type: ignore[union-attr]
    controller = active(sim)
    assert controller is not None
    assert controller.role.controller_epoch == 1
    standbys = [h for h in hosts(sim) if h is not controller]
    assert all(h.role.active_controller_id == controller.broker_id for h in standbys)
    assert server.znode("/controller_epoch").data == b"1"  # type: ignore[union-attr]


def test_the_controller_sends_every_live_broker_the_broker_list() -> None:
    sim = build()
    for host in hosts(sim):
        updates = [m for m in host.received if isinstance(m, UpdateMetadataRequest)]
        assert updates, f"{host.node_id} got no UpdateMetadata"
        assert [b.id for b in updates[-1].live_brokers] == [1, 2, 3]
        assert updates[-1].controller_epoch == 1
