"""A simulated Kafka cluster: the coordination service, brokers, and a thin scripted client.

Theory of operation
-------------------
:class:`KafkaCluster` builds a :class:`~glasskafka.sim.Simulator` holding a
:class:`~glasskafka.coordination.CoordinationServer` at ``zk`` and ``n`` brokers
(:class:`~glasskafka.broker.node.BrokerNode`, ``broker-1`` .. ``broker-n``) with the given
``server.properties`` overrides and bug flags, and gives tests, tutorials and the quickstart a few
verbs that read like a lab session:

* :meth:`~KafkaCluster.start` runs until the brokers have registered, a controller is elected
  and every broker has heard from it;
* :meth:`~KafkaCluster.create_topic` / :meth:`~KafkaCluster.delete_topic` send CreateTopics /
  DeleteTopics to the controller and wait for the answer and for the metadata to settle;
* :meth:`~KafkaCluster.produce` builds one RecordBatch (``glasskafka.records.encode_batch``) and
  sends it to the partition's leader with acks 0, 1 or all (-1); :meth:`~KafkaCluster.fetch` and
  :meth:`~KafkaCluster.consume` read batches back and decode them.  The requests come from a
  :class:`ScriptedClient` node -- a thin protocol client that sends the request bodies it is given
  in envelopes and records the answers, *not* the real producer or consumer, which have their own
  retries, batching and metadata handling;
* faults: :meth:`~KafkaCluster.kill` (a process crash keeps the disk, a power loss keeps what was
  synced, a lossy crash may tear the unsynced tail), :meth:`~KafkaCluster.restart`,
  :meth:`~KafkaCluster.partition` / :meth:`~KafkaCluster.heal`, and
  :meth:`~KafkaCluster.expire_session`, which cuts a broker off until the coordination service
  has expired its session (its registration and any ``/controller`` go with it) and then heals;
* :meth:`~KafkaCluster.wait_for_metadata` runs until every running broker's metadata cache agrees
  with the partition state znodes (LIVE-3's convergence).

The harness knows where every leader is, because it can read the coordination service's tree; a
real client would ask a broker for Metadata instead.  That privilege is the harness's, not the
nodes': every decision is still made by the nodes, the harness only delivers requests.

**Leadership grants** (REPL-11).  :class:`LeadershipGrants` is a trace observer that watches the
coordination service's traffic: every successful create or set of a partition ``state`` znode
with a leader is a grant ``(leader, leader epoch)``, including those made at topic creation; a
deleted state znode forgets its partition's grants, since a topic created again under the same
name is a new partition whose epochs start again at 0.  It
sees the writes from the outside, so it keeps every grant even when the controller that made it
crashes right after; the replication model suite feeds them to its ghost state
(``GhostRecorder.record_grant``).

Everything is deterministic from the seed: the same seed and the same calls give the same trace.

Spec IDs: LIVE-3 (:meth:`~KafkaCluster.metadata_converged`), REPL-11 (:class:`LeadershipGrants`).

Simplified from Kafka: the scripted client sends each request to the leader named by the
coordination service and does not retry; a real client refreshes Metadata after
NOT_LEADER_OR_FOLLOWER and tries again.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from glasskafka.broker.node import BrokerNode
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig, config_from_properties
from glasskafka.controller.znodes import (
    CONTROLLER_PATH,
    NO_LEADER,
    PartitionState,
    ZnodeFormatError,
    broker_path,
    decode_controller,
    decode_partition_state,
    decode_topic_assignment,
    partition_state_path,
    topic_path,
)
from glasskafka.coordination import CoordinationServer
from glasskafka.coordination.codes import KeeperErrorCode
from glasskafka.coordination.messages import (
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DeleteResponse,
    SetDataRequest,
    SetDataResponse,
)
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.node import Message, Node, Output, Send
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaResponse
from glasskafka.protocol.messages.fetch import (
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
)
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    ProduceResponse,
    TopicProduceData,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreatableTopicConfig,
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeletableTopicResult,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.records import CorruptRecordError, DecodedRecord, Record, decode_batch, encode_batch
from glasskafka.records.batch import iter_batches
from glasskafka.sim.faults import DiskFault
from glasskafka.sim.host import NodeFactory
from glasskafka.sim.network import NetworkConfig
from glasskafka.sim.simulator import Simulator
from glasskafka.sim.trace import Delivered, Sent, TraceEvent
from glasskafka.storage import SimDisk

__all__ = [
    "ACKS_ALL",
    "COORDINATION_NODE",
    "FetchResult",
    "KafkaCluster",
    "LeadershipGrants",
    "PartitionDescription",
    "ProduceResult",
    "ScriptedClient",
]

COORDINATION_NODE = NodeId("zk")
ACKS_ALL = -1
"""``acks=all`` on the wire."""

_STATE_PATH = re.compile(r"^/brokers/topics/([^/]+)/partitions/([0-9]+)/state$")


# ---------------------------------------------------------------------------------------------
# The scripted client


@dataclass(slots=True, kw_only=True)
class ScriptedClient(Node):
    """Sends the request bodies it is given, records the answers; no retries, no metadata."""

    node_id: NodeId
    next_correlation_id: int = 0
    waiting: dict[int, NodeId] = field(default_factory=dict)
    answers: dict[int, KafkaResponse] = field(default_factory=dict)
    lost: set[int] = field(default_factory=set)
    """Requests whose connection broke before the answer came."""

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        if isinstance(message, KafkaResponse) and message.correlation_id in self.waiting:
            del self.waiting[message.correlation_id]
            self.answers[message.correlation_id] = message
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        for correlation_id, to in sorted(self.waiting.items()):
            if to == peer:
                del self.waiting[correlation_id]
                self.lost.add(correlation_id)
        return []

    def send(self, to: NodeId, body: Message) -> list[Output]:
        """Send ``body`` to ``to`` in a new envelope (an acks=0 produce expects no answer)."""
        request = envelope.request(
            body, correlation_id=self.next_correlation_id, client_id=self.node_id
        )
        self.next_correlation_id += 1
        if request.expects_response:
            self.waiting[request.correlation_id] = to
        return [Send(to=to, message=request)]


# ---------------------------------------------------------------------------------------------
# Leadership grants, seen from the coordination service's traffic


@dataclass(slots=True, kw_only=True)
class LeadershipGrants:
    """A trace observer collecting every ``(leader, leader epoch)`` written to a state znode."""

    grants: dict[TopicPartition, set[tuple[BrokerId, Epoch]]] = field(default_factory=dict)
    _writes: dict[tuple[NodeId, int], tuple[TopicPartition, bytes | None]] = field(
        default_factory=dict
    )

    def __call__(self, event: TraceEvent) -> None:
        match event:
            case Delivered(receiver=receiver, sender=sender, message=message) if (
                receiver == COORDINATION_NODE
            ):
                if isinstance(message, CreateRequest | SetDataRequest | DeleteRequest):
                    found = _STATE_PATH.match(message.path)
                    if found is not None:
                        tp = (TopicName(found[1]), PartitionId(int(found[2])))
                        data = None if isinstance(message, DeleteRequest) else message.data
                        self._writes[(sender, message.xid)] = (tp, data)
            case Sent(sender=sender, receiver=receiver, message=message) if (
                sender == COORDINATION_NODE
            ):
                if isinstance(message, CreateResponse | SetDataResponse | DeleteResponse):
                    write = self._writes.pop((receiver, message.xid), None)
                    if write is not None and message.error is KeeperErrorCode.OK:
                        self._record(*write)
            case _:
                pass

    def _record(self, tp: TopicPartition, data: bytes | None) -> None:
        if data is None:
            # The state znode was deleted with its topic: a topic created again under the same
            # name is a new partition whose epochs start again at 0.
            self.grants.pop(tp, None)
            return
        try:
            state = decode_partition_state(data)
        except ZnodeFormatError:
            return
        if state.leader != NO_LEADER:
            self.grants.setdefault(tp, set()).add((state.leader, state.leader_epoch))

    def of(self, topic: str, partition: int) -> frozenset[tuple[BrokerId, Epoch]]:
        """The grants of one partition so far."""
        return frozenset(self.grants.get((TopicName(topic), PartitionId(partition)), set()))


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionDescription:
    """One line of ``kafka-topics.sh --describe``."""

    topic: TopicName
    partition: PartitionId
    leader: BrokerId
    leader_epoch: Epoch
    replicas: tuple[BrokerId, ...]
    isr: tuple[BrokerId, ...]

    def line(self) -> str:
        """Kafka's format, tab-separated: ``Topic: t  Partition: 0  Leader: 1  Replicas: ...``."""
        leader = "none" if self.leader == NO_LEADER else str(self.leader)
        replicas = ",".join(map(str, self.replicas))
        isr = ",".join(map(str, self.isr))
        return (
            f"\tTopic: {self.topic}\tPartition: {self.partition}\tLeader: {leader}"
            f"\tReplicas: {replicas}\tIsr: {isr}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceResult:
    """The leader's answer to one produce (``answered=False``: acks=0, or no answer came)."""

    answered: bool
    error: ErrorCode = ErrorCode.NONE
    base_offset: int = -1
    leader: BrokerId = NO_LEADER


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """The leader's answer to one fetch, with the records decoded."""

    error: ErrorCode
    high_watermark: int = -1
    records: tuple[DecodedRecord, ...] = ()
    leader: BrokerId = NO_LEADER


# ---------------------------------------------------------------------------------------------
# The cluster


class KafkaCluster:
    """``zk`` plus ``broker-1`` .. ``broker-n`` in one deterministic simulation."""

    def __init__(
        self,
        *,
        brokers: int = 3,
        seed: int = 0,
        overrides: Mapping[str, str] | None = None,
        bugs: BugFlags = NO_BUGS,
        bugs_by_broker: Mapping[int, BugFlags] | None = None,
        network: NetworkConfig | None = None,
    ) -> None:
        """Build (not start) the cluster.  ``overrides`` are ``server.properties`` entries
        applied to every broker (``broker.id`` is set per broker).

        Raises :class:`GlassKafkaError` for fewer than one broker or a bad property.
        """
        if not isinstance(brokers, int) or not 1 <= brokers <= 100:
            raise GlassKafkaError(f"brokers={brokers!r}: a cluster needs 1 to 100 brokers")
        properties = {"zookeeper.session.timeout.ms": "6000", **(overrides or {})}
        if "broker.id" in properties:
            raise GlassKafkaError("overrides must not set broker.id; it is set per broker")
        self.configs = {
            BrokerId(n): config_from_properties(BrokerConfig, {**properties, "broker.id": str(n)})
            for n in range(1, brokers + 1)
        }
        self.sim = Simulator(
            seed=seed, network=network or NetworkConfig(min_delay_ms=1, max_delay_ms=5)
        )
        self.grants = LeadershipGrants()
        self.sim.observe(self.grants)
        self._bugs = {BrokerId(n): (bugs_by_broker or {}).get(n, bugs) for n in self.configs}
        self._clients: list[NodeId] = []

    # -- nodes ---------------------------------------------------------------------------------

    @property
    def broker_ids(self) -> list[BrokerId]:
        return sorted(self.configs)

    @staticmethod
    def node_of(broker_id: int) -> NodeId:
        return NodeId(f"broker-{broker_id}")

    def broker(self, broker_id: int) -> BrokerNode:
        """The running broker ``broker_id`` (raises if it is down)."""
        return self.sim.node_as(self.node_of(broker_id), BrokerNode)

    def running(self) -> list[BrokerId]:
        return [b for b in self.broker_ids if self.sim.is_up(self.node_of(b))]

    @property
    def server(self) -> CoordinationServer:
        return self.sim.node_as(COORDINATION_NODE, CoordinationServer)

    def controller(self) -> BrokerNode | None:
        """The broker whose controller role is active, if any."""
        active = [self.broker(b) for b in self.running() if self.broker(b).controller.is_active]
        return active[0] if len(active) == 1 else None

    def client(self, name: str = "client-1") -> ScriptedClient:
        """The scripted client ``name``, added on first use."""
        node_id = NodeId(name)
        if node_id not in self._clients:
            self.sim.add_node(node_id, lambda n, disk, rng: ScriptedClient(node_id=n))
            self._clients.append(node_id)
        return self.sim.node_as(node_id, ScriptedClient)

    # -- running -------------------------------------------------------------------------------

    def start(self, *, deadline_ms: int = 30_000) -> None:
        """Start ``zk`` and the brokers; run until a controller leads a fully registered cluster.

        Raises :class:`GlassKafkaError` if that does not happen by ``deadline_ms``.
        """
        self.sim.add_node(COORDINATION_NODE, lambda n, disk, rng: CoordinationServer(node_id=n))
        for broker_id, config in sorted(self.configs.items()):
            self.sim.add_node(self.node_of(broker_id), self._factory(config))
        if not self.sim.run_until(lambda _: self.ready(), self.sim.now_ms + deadline_ms):
            raise GlassKafkaError(f"the cluster did not start within {deadline_ms} ms")

    def _factory(self, config: BrokerConfig) -> NodeFactory:
        bugs = self._bugs[BrokerId(config.broker_id)]

        def build(node_id: NodeId, disk: SimDisk, rng: random.Random) -> Node:
            return BrokerNode(node_id, disk, rng, config=config, bugs=bugs)

        return build

    def ready(self) -> bool:
        """A controller is active, every running broker is registered and knows every other."""
        controller = self.controller()
        if controller is None:
            return False
        running = set(self.running())
        for broker_id in running:
            broker = self.broker(broker_id)
            if not broker.registered or set(broker.metadata_cache.brokers) != running:
                return False
        return self.metadata_converged()

    def run_for(self, duration_ms: int) -> None:
        self.sim.run_for(duration_ms)

    @property
    def now_ms(self) -> Millis:
        return self.sim.now_ms

    def run_until(self, predicate: Callable[[], bool], *, deadline_ms: int = 30_000) -> bool:
        """Run until ``predicate()`` holds, for at most ``deadline_ms`` of simulated time."""
        return self.sim.run_until(lambda _: predicate(), self.sim.now_ms + deadline_ms)

    # -- reading the coordination service ------------------------------------------------------

    def zk_state(self, topic: str, partition: int) -> PartitionState | None:
        """The partition state znode, or ``None`` if it does not exist (or is unreadable)."""
        znode = self.server.znode(partition_state_path(TopicName(topic), PartitionId(partition)))
        if znode is None:
            return None
        try:
            return decode_partition_state(znode.data, zk_version=znode.version)
        except ZnodeFormatError:
            return None

    def assignment(self, topic: str) -> dict[PartitionId, tuple[BrokerId, ...]]:
        """The topic's replica assignment, or ``{}``."""
        znode = self.server.znode(topic_path(TopicName(topic)))
        if znode is None:
            return {}
        try:
            return decode_topic_assignment(znode.data)
        except ZnodeFormatError:
            return {}

    def topics(self) -> list[TopicName]:
        znode = self.server.znode("/brokers/topics")
        return [TopicName(t) for t in znode.children] if znode is not None else []

    def controller_id(self) -> BrokerId | None:
        """The broker named by ``/controller``, if any."""
        znode = self.server.znode(CONTROLLER_PATH)
        try:
            return decode_controller(znode.data) if znode is not None else None
        except ZnodeFormatError:
            return None

    def registered(self) -> list[BrokerId]:
        """The brokers with a registration znode."""
        return [b for b in self.broker_ids if self.server.znode(broker_path(b)) is not None]

    def leader(self, topic: str, partition: int) -> BrokerId:
        state = self.zk_state(topic, partition)
        return NO_LEADER if state is None else state.leader

    def describe(self, topic: str) -> list[PartitionDescription]:
        """Each partition's leader, replicas and ISR, from the coordination service."""
        result = []
        for partition, replicas in self.assignment(topic).items():
            state = self.zk_state(topic, partition)
            result.append(
                PartitionDescription(
                    topic=TopicName(topic),
                    partition=partition,
                    leader=NO_LEADER if state is None else state.leader,
                    leader_epoch=Epoch(-1) if state is None else state.leader_epoch,
                    replicas=replicas,
                    isr=() if state is None else state.isr,
                )
            )
        return result

    def describe_lines(self, topic: str) -> list[str]:
        """``kafka-topics.sh --describe`` output: a summary line, then one line per partition."""
        partitions = self.describe(topic)
        factor = len(partitions[0].replicas) if partitions else 0
        header = (
            f"Topic: {topic}\tPartitionCount: {len(partitions)}\tReplicationFactor: {factor}"
            "\tConfigs: "
        )
        return [header, *(p.line() for p in partitions)]

    def metadata_converged(self) -> bool:
        """Every running broker caches every partition's leader, epoch and ISR as in ZooKeeper.

        Invariants: LIVE-3.
        """
        truth = {
            (topic, p): self.zk_state(topic, p)
            for topic in self.topics()
            for p in self.assignment(topic)
        }
        for broker_id in self.running():
            cache = self.broker(broker_id).metadata_cache
            for (topic, p), state in truth.items():
                cached = cache.get(topic, p)
                if state is None:
                    continue
                if cached is None or (cached.leader, cached.leader_epoch, set(cached.isr)) != (
                    state.leader,
                    state.leader_epoch,
                    set(state.isr),
                ):
                    return False
            if {t for t, _ in cache.partitions} - set(self.topics()):
                return False  # a deleted topic still cached
        return True

    def wait_for_metadata(self, *, deadline_ms: int = 30_000) -> bool:
        """Run until :meth:`metadata_converged` (LIVE-3); return whether it did in time."""
        return self.run_until(self.metadata_converged, deadline_ms=deadline_ms)

    # -- requests through the scripted client --------------------------------------------------

    def request(
        self, to: NodeId, body: Message, *, client: str = "client-1", deadline_ms: int = 30_000
    ) -> KafkaResponse | None:
        """Send ``body`` to ``to`` and run until the answer (``None``: lost, or none in time)."""
        node = self.client(client)
        correlation_id = node.next_correlation_id
        self.sim.call(
            node.node_id,
            lambda n, _: n.send(to, body),
            kind=ScriptedClient,
            label=type(body).__name__,
        )
        node = self.client(client)

        def settled() -> bool:
            return correlation_id not in node.waiting

        self.run_until(settled, deadline_ms=deadline_ms)
        return node.answers.get(correlation_id)

    def create_topic(
        self,
        name: str,
        *,
        partitions: int = 1,
        replication_factor: int = 1,
        configs: Mapping[str, str] | None = None,
        validate_only: bool = False,
    ) -> CreatableTopicResult:
        """CreateTopics at the controller; on success, wait until the metadata has settled.

        Raises :class:`GlassKafkaError` if there is no controller or no answer comes.
        """
        topic = CreatableTopic(
            name=name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            assignments=(),
            configs=tuple(
                CreatableTopicConfig(name=k, value=v) for k, v in sorted((configs or {}).items())
            ),
        )
        body = CreateTopicsRequest(topics=(topic,), timeout_ms=30_000, validate_only=validate_only)
        answer = self._to_controller(body)
        assert isinstance(answer, CreateTopicsResponse)
        result = answer.topics[0]
        if result.error_code == ErrorCode.NONE and not validate_only:
            self.wait_for_metadata()
        return result

    def delete_topic(self, name: str) -> DeletableTopicResult:
        """DeleteTopics at the controller, then wait until no broker caches the topic."""
        answer = self._to_controller(DeleteTopicsRequest(topic_names=(name,), timeout_ms=30_000))
        assert isinstance(answer, DeleteTopicsResponse)
        if answer.responses[0].error_code == ErrorCode.NONE:
            self.wait_for_metadata()
        return answer.responses[0]

    def _to_controller(self, body: Message) -> Message:
        if not self.run_until(lambda: self.controller() is not None):
            raise GlassKafkaError("no controller is active; start the cluster first")
        controller = self.controller()
        assert controller is not None
        answer = self.request(controller.node_id, body)
        if answer is None:
            raise GlassKafkaError(f"the controller did not answer {type(body).__name__}")
        return answer.body

    def produce(
        self,
        topic: str,
        partition: int,
        records: Sequence[tuple[bytes | None, bytes | None]],
        *,
        acks: int = ACKS_ALL,
        client: str = "client-1",
    ) -> ProduceResult:
        """Send ``records`` (key, value pairs) as one batch to the leader, with ``acks``."""
        leader = self.leader(topic, partition)
        if leader == NO_LEADER:
            return ProduceResult(answered=False, error=ErrorCode.LEADER_NOT_AVAILABLE)
        now = self.sim.now_ms
        batch = encode_batch([Record(key=k, value=v, timestamp=now) for k, v in records])
        body = ProduceRequest(
            acks=acks,
            timeout_ms=30_000,
            topic_data=(
                TopicProduceData(
                    name=topic,
                    partition_data=(PartitionProduceData(index=partition, records=batch),),
                ),
            ),
        )
        if acks == 0:
            self.sim.call(
                self.client(client).node_id,
                lambda n, _: n.send(self.node_of(leader), body),
                kind=ScriptedClient,
                label="ProduceRequest",
            )
            return ProduceResult(answered=False, leader=leader)
        answer = self.request(self.node_of(leader), body, client=client)
        if answer is None or not isinstance(answer.body, ProduceResponse):
            return ProduceResult(answered=False, leader=leader)
        result = answer.body.responses[0].partition_responses[0]
        return ProduceResult(
            answered=True,
            error=ErrorCode(result.error_code),
            base_offset=result.base_offset,
            leader=leader,
        )

    def fetch(
        self, topic: str, partition: int, offset: int, *, client: str = "client-1"
    ) -> FetchResult:
        """One consumer fetch from the leader at ``offset``; records from ``offset`` on."""
        leader = self.leader(topic, partition)
        if leader == NO_LEADER:
            return FetchResult(error=ErrorCode.LEADER_NOT_AVAILABLE)
        body = FetchRequest(
            max_wait_ms=0,
            min_bytes=1,
            topics=(
                FetchTopic(
                    topic=topic,
                    partitions=(
                        FetchPartition(
                            partition=partition, fetch_offset=offset, partition_max_bytes=1 << 20
                        ),
                    ),
                ),
            ),
        )
        answer = self.request(self.node_of(leader), body, client=client)
        if answer is None or not isinstance(answer.body, FetchResponse):
            return FetchResult(error=ErrorCode.REQUEST_TIMED_OUT, leader=leader)
        data = answer.body.responses[0].partitions[0]
        records = tuple(r for r in _decode(data.records or b"") if r.offset >= offset)
        return FetchResult(
            error=ErrorCode(data.error_code),
            high_watermark=data.high_watermark,
            records=records,
            leader=leader,
        )

    def consume(
        self, topic: str, partition: int, *, from_offset: int = 0, client: str = "client-1"
    ) -> list[DecodedRecord]:
        """Fetch from ``from_offset`` up to the high watermark (what a consumer may see)."""
        consumed: list[DecodedRecord] = []
        offset = from_offset
        for _ in range(10_000):
            result = self.fetch(topic, partition, offset, client=client)
            if result.error is not ErrorCode.NONE or not result.records:
                break
            consumed += result.records
            offset = result.records[-1].offset + 1
        return consumed

    # -- faults --------------------------------------------------------------------------------

    def kill(self, broker_id: int, *, disk: DiskFault | str = DiskFault.KEEP) -> None:
        """Crash a broker: ``keep`` (process crash), ``power`` (power loss) or ``lossy``."""
        self.sim.crash(self.node_of(broker_id), disk)

    def restart(self, broker_id: int) -> None:
        self.sim.restart(self.node_of(broker_id))

    def partition(self, *groups: Iterable[str]) -> None:
        """Split the network (node ids, e.g. ``{"broker-1"}``); see ``Simulator.partition``."""
        self.sim.partition(*(tuple(NodeId(n) for n in g) for g in groups))

    def heal(self) -> None:
        self.sim.heal()

    def expire_session(self, broker_id: int, *, deadline_ms: int = 120_000) -> None:
        """Cut ``broker_id`` off until its session expires at the coordination service, then heal.

        Its registration (and ``/controller``, if it held it) disappear; the other brokers and
        the controller react as to a failure.  Raises :class:`GlassKafkaError` if the session
        does not expire in time.
        """
        node = self.node_of(broker_id)
        self.sim.partition([node])
        gone = self.run_until(
            lambda: self.server.znode(broker_path(BrokerId(broker_id))) is None,
            deadline_ms=deadline_ms,
        )
        self.sim.heal()
        if not gone:
            raise GlassKafkaError(f"the session of broker {broker_id} did not expire in time")

    # -- the disk --------------------------------------------------------------------------------

    def disk_files(self, broker_id: int) -> list[tuple[str, int]]:
        """Every file on a broker's (simulated) disk, with its size, sorted by path."""
        disk = self.sim.disk(self.node_of(broker_id))
        return sorted((path, disk.size(path)) for path in disk.files)


def _decode(records: bytes) -> list[DecodedRecord]:
    """Every record of the whole batches in ``records`` (a torn last batch is skipped)."""
    decoded: list[DecodedRecord] = []
    try:
        for position, _ in iter_batches(records):
            decoded += decode_batch(records, position).records
    except CorruptRecordError:
        pass
    return decoded
