"""A simulated Kafka cluster: the coordination service, brokers, and a thin scripted client.

Theory of operation
-------------------
:class:`KafkaCluster` builds a :class:`~glasskafka.sim.Simulator` holding a coordination server
at ``zk`` and brokers ``broker-1`` .. ``broker-n`` (:class:`~glasskafka.broker.node.BrokerNode`)
with the given ``server.properties`` overrides and bug flags, and offers verbs that read like a
lab session:

* :meth:`~KafkaCluster.start`: run until the brokers are registered, a controller is elected and
  every broker has heard from it;
* :meth:`~KafkaCluster.create_topic` / :meth:`~KafkaCluster.delete_topic`: CreateTopics /
  DeleteTopics at the controller, waiting for the answer and for the metadata to settle;
* :meth:`~KafkaCluster.produce` (one RecordBatch from ``glasskafka.records.encode_batch``, acks
  0, 1 or -1 for all), :meth:`~KafkaCluster.fetch` and :meth:`~KafkaCluster.consume`, sent by a
  :class:`ScriptedClient` -- a thin protocol client that sends the bodies it is given and records
  the answers, *not* the real producer or consumer with their retries and metadata handling;
* faults: :meth:`~KafkaCluster.kill` (``keep``: a process crash, ``power``: only synced bytes
  survive, ``lossy``: a torn tail too), :meth:`~KafkaCluster.restart`,
  :meth:`~KafkaCluster.partition` / :meth:`~KafkaCluster.heal`, and
  :meth:`~KafkaCluster.expire_session`, which cuts a broker off until its session has expired
  (taking its registration and any ``/controller`` with it) and then heals;
* :meth:`~KafkaCluster.wait_for_metadata`: run until every running broker's metadata cache agrees
  with the znodes (LIVE-3's convergence).

The harness finds leaders by reading the coordination service's tree, where a real client would
ask a broker for Metadata.  That privilege is the harness's alone: every decision is still made
by the nodes, the harness only delivers requests.

**Leadership grants** (REPL-11).  :class:`LeadershipGrants` is a trace observer of the coordination
service's traffic: every successful create or set of a partition ``state`` znode naming a leader
is a grant ``(leader, leader epoch)``, topic creation included.  Seen from outside, a grant is kept
even if the controller that made it crashes at once.  Deleting a state znode forgets its grants,
since a topic created again under the same name starts again at epoch 0.  The replication model
suite feeds them to its ghost state (``GhostRecorder.record_grant``).

The same seed and the same calls give the same trace.

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
from typing import TypeVar

from glasskafka.broker.node import BrokerNode
from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.config import BrokerConfig, config_from_properties
from glasskafka.controller import znodes
from glasskafka.controller.znodes import NO_LEADER, PartitionState, ZnodeFormatError
from glasskafka.coordination import CoordinationServer, Znode
from glasskafka.coordination import messages as zk
from glasskafka.coordination.codes import KeeperErrorCode
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId, PartitionId, TopicName, TopicPartition
from glasskafka.node import Message, Node, Output, Send
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaResponse
from glasskafka.protocol.messages import fetch as fetch_api
from glasskafka.protocol.messages import produce as produce_api
from glasskafka.protocol.messages import topic_admin as admin_api
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

T = TypeVar("T")

_NO_STATE = PartitionState(
    leader=NO_LEADER, leader_epoch=Epoch(-1), isr=(), controller_epoch=Epoch(-1)
)

_STATE_PATH = re.compile(r"^/brokers/topics/([^/]+)/partitions/([0-9]+)/state$")


@dataclass(slots=True, kw_only=True)
class ScriptedClient(Node):
    """Sends the request bodies it is given, records the answers; no retries, no metadata."""

    node_id: NodeId
    next_correlation_id: int = 0
    waiting: dict[int, NodeId] = field(default_factory=dict)
    answers: dict[int, KafkaResponse] = field(default_factory=dict)

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
        """What was waiting for ``peer`` will never be answered (it stays out of ``answers``)."""
        self.waiting = {c: to for c, to in self.waiting.items() if to != peer}
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
                if isinstance(message, zk.CreateRequest | zk.SetDataRequest | zk.DeleteRequest):
                    found = _STATE_PATH.match(message.path)
                    if found is not None:
                        tp = (TopicName(found[1]), PartitionId(int(found[2])))
                        data = None if isinstance(message, zk.DeleteRequest) else message.data
                        self._writes[(sender, message.xid)] = (tp, data)
            case Sent(sender=sender, receiver=receiver, message=message) if (
                sender == COORDINATION_NODE
            ):
                if isinstance(message, zk.CreateResponse | zk.SetDataResponse | zk.DeleteResponse):
                    write = self._writes.pop((receiver, message.xid), None)
                    if write is not None and message.error is KeeperErrorCode.OK:
                        self._record(*write)
            case _:
                pass

    def _record(self, tp: TopicPartition, data: bytes | None) -> None:
        if data is None:  # deleted with its topic; a topic of the same name starts afresh
            self.grants.pop(tp, None)
            return
        try:
            state = znodes.decode_partition_state(data)
        except ZnodeFormatError:
            return
        if state.leader != NO_LEADER:
            self.grants.setdefault(tp, set()).add((state.leader, state.leader_epoch))

    def of(self, topic: str, partition: int) -> frozenset[tuple[BrokerId, Epoch]]:
        """The grants of one partition so far."""
        return frozenset(self.grants.get((TopicName(topic), PartitionId(partition)), set()))


@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionDescription:
    """One partition of ``kafka-topics.sh --describe``: its replicas and its state znode."""

    topic: TopicName
    partition: PartitionId
    replicas: tuple[BrokerId, ...]
    state: PartitionState

    def line(self) -> str:
        """Kafka's format, tab-separated: ``Topic: t  Partition: 0  Leader: 1  Replicas: ...``."""
        leader = "none" if self.state.leader == NO_LEADER else str(self.state.leader)
        replicas = ",".join(map(str, self.replicas))
        isr = ",".join(map(str, self.state.isr))
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
        """The controller: the running broker named by ``/controller``, if its role is active.

        A deposed controller that has not noticed yet (a zombie) may still believe it is active;
        it is not the controller, because ``/controller`` no longer names it.
        """
        named = self.controller_id()
        if named is None or named not in self.running():
            return None
        broker = self.broker(named)
        return broker if broker.controller.is_active else None

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
        """A controller is active, every running broker is registered and has heard from it,
        and metadata has converged."""
        controller = self.controller()
        if controller is None:
            return False
        for broker_id in self.running():
            broker = self.broker(broker_id)
            if not broker.registered or broker.metadata_cache.controller_id != controller.broker_id:
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

    def _decoded(self, path: str, decode: Callable[[Znode], T]) -> T | None:
        """The znode at ``path`` decoded, or ``None`` if it is missing or unreadable."""
        znode = self.server.znode(path)
        try:
            return None if znode is None else decode(znode)
        except ZnodeFormatError:
            return None

    def zk_state(self, topic: str, partition: int) -> PartitionState | None:
        """The partition state znode, or ``None`` if it does not exist (or is unreadable)."""
        path = znodes.partition_state_path(TopicName(topic), PartitionId(partition))
        return self._decoded(
            path, lambda z: znodes.decode_partition_state(z.data, zk_version=z.version)
        )

    def assignment(self, topic: str) -> dict[PartitionId, tuple[BrokerId, ...]]:
        """The topic's replica assignment, or ``{}``."""
        path = znodes.topic_path(TopicName(topic))
        return self._decoded(path, lambda z: znodes.decode_topic_assignment(z.data)) or {}

    def topics(self) -> list[TopicName]:
        znode = self.server.znode("/brokers/topics")
        return [TopicName(t) for t in znode.children] if znode is not None else []

    def controller_id(self) -> BrokerId | None:
        """The broker named by ``/controller``, if any."""
        return self._decoded(znodes.CONTROLLER_PATH, lambda z: znodes.decode_controller(z.data))

    def registered(self) -> list[BrokerId]:
        """The brokers with a registration znode."""
        return [b for b in self.broker_ids if self.server.znode(znodes.broker_path(b)) is not None]

    def leader(self, topic: str, partition: int) -> BrokerId:
        state = self.zk_state(topic, partition)
        return NO_LEADER if state is None else state.leader

    def describe(self, topic: str) -> list[PartitionDescription]:
        """Each partition's leader, replicas and ISR, from the coordination service."""
        return [
            PartitionDescription(
                topic=TopicName(topic),
                partition=partition,
                replicas=replicas,
                state=self.zk_state(topic, partition) or _NO_STATE,
            )
            for partition, replicas in self.assignment(topic).items()
        ]

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
        """Every running broker caches every partition's leader, epoch and ISR as the znodes
        hold them, no deleted topic, and exactly the registered brokers as live.

        Invariants: LIVE-3.
        """
        registered = set(self.registered())
        truth = {
            (topic, p): (state.leader, state.leader_epoch, frozenset(state.isr))
            for topic in self.topics()
            for p in self.assignment(topic)
            if (state := self.zk_state(topic, p)) is not None
        }
        for broker_id in self.running():
            cache = self.broker(broker_id).metadata_cache
            cached = {
                (c.topic, c.partition): (c.leader, c.leader_epoch, frozenset(c.isr))
                for c in cache.entries()
            }
            if set(cache.brokers) != registered or cached != truth:
                return False
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
        label = type(body).__name__
        self.sim.call(node.node_id, lambda n, _: n.send(to, body), kind=ScriptedClient, label=label)
        self.run_until(lambda: correlation_id not in node.waiting, deadline_ms=deadline_ms)
        return node.answers.get(correlation_id)

    def create_topic(
        self,
        name: str,
        *,
        partitions: int = 1,
        replication_factor: int = 1,
        configs: Mapping[str, str] | None = None,
        validate_only: bool = False,
    ) -> admin_api.CreatableTopicResult:
        """CreateTopics at the controller; on success, wait until the metadata has settled.

        Raises :class:`GlassKafkaError` if there is no controller or no answer comes.
        """
        items = tuple(
            admin_api.CreatableTopicConfig(name=k, value=v)
            for k, v in sorted((configs or {}).items())
        )
        topic = admin_api.CreatableTopic(
            name=name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            assignments=(),
            configs=items,
        )
        body = admin_api.CreateTopicsRequest(topics=(topic,), validate_only=validate_only)
        answer = self._to_controller(body)
        assert isinstance(answer, admin_api.CreateTopicsResponse)
        if answer.topics[0].error_code == ErrorCode.NONE and not validate_only:
            self.wait_for_metadata()
        return answer.topics[0]

    def delete_topic(self, name: str) -> admin_api.DeletableTopicResult:
        """DeleteTopics at the controller, then wait until no broker caches the topic."""
        body = admin_api.DeleteTopicsRequest(topic_names=(name,), timeout_ms=30_000)
        answer = self._to_controller(body)
        assert isinstance(answer, admin_api.DeleteTopicsResponse)
        if answer.responses[0].error_code == ErrorCode.NONE:
            self.wait_for_metadata()
        return answer.responses[0]

    def _to_controller(self, body: Message) -> Message:
        self.run_until(lambda: self.controller() is not None)
        controller = self.controller()
        if controller is None:
            raise GlassKafkaError("no controller is active; start the cluster first")
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
        batch = encode_batch([Record(key=k, value=v, timestamp=self.now_ms) for k, v in records])
        data = produce_api.PartitionProduceData(index=partition, records=batch)
        per_topic = produce_api.TopicProduceData(name=topic, partition_data=(data,))
        body = produce_api.ProduceRequest(acks=acks, timeout_ms=30_000, topic_data=(per_topic,))
        answer = self.request(self.node_of(leader), body, client=client)
        if answer is None or not isinstance(answer.body, produce_api.ProduceResponse):
            return ProduceResult(answered=False, leader=leader)  # acks=0: no answer comes
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
        wanted = fetch_api.FetchPartition(
            partition=partition, fetch_offset=offset, partition_max_bytes=1 << 20
        )
        per_topic = fetch_api.FetchTopic(topic=topic, partitions=(wanted,))
        body = fetch_api.FetchRequest(max_wait_ms=0, min_bytes=1, topics=(per_topic,))
        answer = self.request(self.node_of(leader), body, client=client)
        if answer is None or not isinstance(answer.body, fetch_api.FetchResponse):
            return FetchResult(error=ErrorCode.REQUEST_TIMED_OUT, leader=leader)
        data = answer.body.responses[0].partitions[0]
        return FetchResult(
            error=ErrorCode(data.error_code),
            high_watermark=data.high_watermark,
            records=tuple(r for r in _decode(data.records or b"") if r.offset >= offset),
            leader=leader,
        )

    def consume(
        self, topic: str, partition: int, *, from_offset: int = 0, client: str = "client-1"
    ) -> list[DecodedRecord]:
        """Fetch from ``from_offset`` up to the high watermark (what a consumer may see)."""
        consumed: list[DecodedRecord] = []
        while (result := self.fetch(topic, partition, from_offset, client=client)).records:
            consumed += result.records
            from_offset = result.records[-1].offset + 1
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
        """Cut ``broker_id`` off until its session expires (its registration, and ``/controller``
        if it held it, disappear), then heal.  Raises :class:`GlassKafkaError` if it does not."""
        self.sim.partition([self.node_of(broker_id)])
        path = znodes.broker_path(BrokerId(broker_id))
        gone = self.run_until(lambda: self.server.znode(path) is None, deadline_ms=deadline_ms)
        self.sim.heal()
        if not gone:
            raise GlassKafkaError(f"the session of broker {broker_id} did not expire in time")

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
