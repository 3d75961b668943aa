"""The client library, embedded in a tiny host node, against a real coordination server.

``RegisteringBroker`` does what a ZooKeeper-era Kafka broker does with the service, and no more:
when it gets a *new* session it creates its ephemeral ``/brokers/ids/<id>`` znode; it keeps a
watch on ``/controller`` and re-reads it after every event and after every reconnection; when its
session expires it starts a new one and registers again.  ``Wire`` is a few lines of network
(per-connection FIFO, partitions that break connections and tell both ends, DESIGN §3) so that
the tests can read as short transcripts: start, deliver, partition, advance time, check.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import assert_never

import pytest
from glasskafka.coordination import (
    ClientState,
    ClientStep,
    ConnectResponse,
    CoordinationClient,
    CoordinationServer,
    CreateRequest,
    CreateResponse,
    EventType,
    GetDataResponse,
    KeeperErrorCode,
    KeeperState,
    PingRequest,
    RequestCompleted,
    SessionConnected,
    SessionDisconnected,
    SessionExpired,
    SessionId,
    WatchEvent,
    WatchTriggered,
    Zxid,
)
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Node, Output, Send, SetTimer

ZK, BROKER, ADMIN = NodeId("zk"), NodeId("broker-1"), NodeId("admin")
REGISTRATION = "/brokers/ids/1"
ACCEPTED = ConnectResponse(error=KeeperErrorCode.OK, session_id=SessionId(1 << 56), timeout_ms=6000)


class RegisteringBroker(Node):
    """A host node that registers itself and follows ``/controller`` through the client."""

    def __init__(self, node_id: NodeId, *, timeout_ms: int = 6000) -> None:
        self.node_id = node_id
        self.zk = CoordinationClient(server=ZK, session_timeout_ms=timeout_ms)
        self.seen: list[str] = []
        self.controller: bytes | None = None

    def on_start(self, now_ms: Millis) -> list[Output]:
        return self.handle(self.zk.connect(now_ms), now_ms)

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        return self.handle(self.zk.on_message(message, now_ms), now_ms) if sender == ZK else []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return (
            self.handle(self.zk.on_timer(name, now_ms), now_ms) if self.zk.owns_timer(name) else []
        )

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        return self.handle(self.zk.on_connection_lost(now_ms), now_ms) if peer == ZK else []

    def handle(self, step: ClientStep, now_ms: Millis) -> list[Output]:
        outputs = list(step.outputs)
        for event in step.events:
            match event:
                case SessionConnected():
                    self.seen.append("resumed" if event.resumed else "new session")
                    # A new session has no ephemerals: register again.  A resumed one may have
                    # lost a watch event in flight: read again (setting a fresh watch).
                    outputs += (
                        self.read_controller(now_ms) if event.resumed else self.register(now_ms)
                    )
                case SessionDisconnected():
                    self.seen.append("disconnected")
                case SessionExpired():
                    self.seen.append("expired")
                    outputs += self.handle(self.zk.connect(now_ms), now_ms)
                case RequestCompleted(ctx="controller", response=GetDataResponse() as response):
                    self.controller = (
                        response.data if response.error is KeeperErrorCode.OK else None
                    )
                    if response.error is KeeperErrorCode.NONODE:
                        step = self.zk.exists("/controller", watch=True, ctx="wait", now_ms=now_ms)
                        outputs += step.outputs
                case RequestCompleted(ctx="wait"):
                    pass
                case RequestCompleted():
                    self.seen.append(f"{event.ctx}: {event.error.name}")
                case WatchTriggered():
                    self.seen.append(f"watch: {event.event.type.name} {event.event.path}")
                    outputs += self.read_controller(now_ms)
                case _:
                    assert_never(event)
        return outputs

    def register(self, now_ms: Millis) -> list[Output]:
        steps = [
            self.zk.create("/brokers", ctx="parent", now_ms=now_ms),
            self.zk.create("/brokers/ids", ctx="parent", now_ms=now_ms),
            self.zk.create(REGISTRATION, b"{}", ephemeral=True, ctx="register", now_ms=now_ms),
        ]
        return [output for step in steps for output in step.outputs] + self.read_controller(now_ms)

    def read_controller(self, now_ms: Millis) -> list[Output]:
        return list(
            self.zk.get_data("/controller", watch=True, ctx="controller", now_ms=now_ms).outputs
        )


@dataclass
class Wire:
    """Instant per-connection FIFO delivery, timers, and partitions that break connections."""

    nodes: dict[NodeId, Node]
    now: int = 0
    queues: dict[tuple[NodeId, NodeId], deque[Message]] = field(default_factory=dict)
    timers: dict[tuple[NodeId, str], int] = field(default_factory=dict)
    cut: set[frozenset[NodeId]] = field(default_factory=set)
    muted: set[tuple[NodeId, NodeId]] = field(default_factory=set)
    losses: list[tuple[NodeId, NodeId]] = field(default_factory=list)
    delivered: list[tuple[NodeId, NodeId, Message]] = field(default_factory=list)

    def start(self) -> None:
        for node_id, node in sorted(self.nodes.items()):
            self.apply(node_id, node.on_start(Millis(self.now)))
        self.run()

    def apply(self, source: NodeId, outputs: Iterable[Output]) -> None:
        for output in outputs:
            match output:
                case Send(to=target, message=message):
                    if frozenset({source, target}) in self.cut:
                        self.losses.append((source, target))  # no connection: the sender learns
                    else:
                        self.queues.setdefault((source, target), deque()).append(message)
                case SetTimer(name=name, at_ms=at_ms):
                    self.timers[(source, name)] = at_ms
                case CancelTimer(name=name):
                    self.timers.pop((source, name), None)

    def run(self) -> None:
        while True:
            if self.losses:
                node_id, peer = self.losses.pop(0)
                self.apply(node_id, self.nodes[node_id].on_connection_lost(peer, Millis(self.now)))
                continue
            ready = sorted(k for k, q in self.queues.items() if q and k not in self.muted)
            if not ready:
                return
            source, target = ready[0]
            message = self.queues[(source, target)].popleft()
            self.delivered.append((source, target, message))
            self.apply(target, self.nodes[target].on_message(source, message, Millis(self.now)))

    def advance(self, duration_ms: int) -> None:
        end = self.now + duration_ms
        while due := sorted((at, key) for key, at in self.timers.items() if at <= end):
            at, key = due[0]
            del self.timers[key]
            self.now = max(self.now, at)
            self.apply(key[0], self.nodes[key[0]].on_timer(key[1], Millis(self.now)))
            self.run()
        self.now = end

    def partition(self, a: NodeId, b: NodeId) -> None:
        self.cut.add(frozenset({a, b}))
        self.queues.pop((a, b), None)
        self.queues.pop((b, a), None)
        self.losses += [(a, b), (b, a)]
        self.run()

    def heal(self) -> None:
        self.cut.clear()

    def sent(self, source: NodeId, kind: type[Message]) -> int:
        return sum(1 for s, _, m in self.delivered if s == source and isinstance(m, kind))


def cluster(*, timeout_ms: int = 6000) -> tuple[Wire, CoordinationServer, RegisteringBroker]:
    server, broker = CoordinationServer(), RegisteringBroker(BROKER, timeout_ms=timeout_ms)
    wire = Wire(nodes={ZK: server, BROKER: broker})
    wire.start()
    return wire, server, broker


def owner_of(server: CoordinationServer, path: str) -> int | None:
    znode = server.znode(path)
    return None if znode is None else znode.ephemeral_owner


# ---------------------------------------------------------------------------------------------
# Transcripts


def test_a_broker_registers_as_soon_as_its_session_is_up() -> None:
    _, server, broker = cluster()
    assert broker.zk.state is ClientState.CONNECTED
    assert broker.seen == ["new session", "parent: OK", "parent: OK", "register: OK"]
    assert owner_of(server, REGISTRATION) == broker.zk.session_id != 0
    assert broker.controller is None  # no controller yet; an exists watch waits for one


def test_the_watch_on_controller_follows_elections() -> None:
    wire, _, broker = cluster()
    admin = CoordinationClient(server=ZK, session_timeout_ms=30000, timer_prefix="admin")
    wire.nodes[ADMIN] = AdminHost(admin)
    wire.apply(ADMIN, admin.connect(Millis(0)).outputs)
    wire.run()
    wire.apply(
        ADMIN,
        admin.create("/controller", b'{"brokerid":2}', ephemeral=True, now_ms=Millis(0)).outputs,
    )
    wire.run()
    assert broker.seen[-1] == "watch: NodeCreated /controller"
    assert broker.controller == b'{"brokerid":2}'
    wire.apply(ADMIN, admin.close(now_ms=Millis(0)).outputs)  # the controller's session ends
    wire.run()
    assert broker.seen[-1] == "watch: NodeDeleted /controller" and broker.controller is None


class AdminHost(Node):
    """A host that only sends what the test asks it to, and ignores what comes back."""

    def __init__(self, client: CoordinationClient) -> None:
        self.node_id, self.client = ADMIN, client

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        return list(self.client.on_message(message, now_ms).outputs)

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return list(self.client.on_timer(name, now_ms).outputs)


def test_pings_keep_an_idle_session_alive() -> None:
    wire, server, broker = cluster(timeout_ms=6000)
    session = broker.zk.session_id
    wire.advance(60_000)
    assert server.live_sessions() == [session] and owner_of(server, REGISTRATION) == session
    assert 25 <= wire.sent(BROKER, PingRequest) <= 35  # one per third of the timeout


def test_a_short_partition_keeps_the_session_and_the_registration() -> None:
    wire, server, broker = cluster(timeout_ms=6000)
    session = broker.zk.session_id
    wire.advance(1000)
    wire.partition(BROKER, ZK)
    assert broker.seen[-1] == "disconnected" and broker.zk.state is ClientState.CONNECTING
    wire.advance(3000)  # reconnect attempts fail while partitioned
    assert owner_of(server, REGISTRATION) == session  # the server still counts the broker in
    wire.heal()
    wire.advance(1000)
    assert broker.seen[-1] == "resumed" and broker.zk.session_id == session
    assert owner_of(server, REGISTRATION) == session


def test_a_long_partition_expires_the_session_and_the_broker_registers_again() -> None:
    wire, server, broker = cluster(timeout_ms=6000)
    old = broker.zk.session_id
    wire.partition(BROKER, ZK)
    wire.advance(9000)  # past 6000 ms, rounded up to a tick
    assert owner_of(server, REGISTRATION) is None and server.live_sessions() == []
    wire.heal()
    wire.advance(1000)
    assert broker.seen[-5:] == [
        "expired",
        "new session",
        "parent: NODEEXISTS",
        "parent: NODEEXISTS",
        "register: OK",
    ]
    assert owner_of(server, REGISTRATION) == broker.zk.session_id != old


def test_requests_in_flight_when_the_connection_breaks_fail_with_connectionloss() -> None:
    wire, _, broker = cluster()
    wire.muted.add((BROKER, ZK))  # the request leaves but does not arrive yet
    wire.apply(
        BROKER,
        broker.handle(
            broker.zk.set_data(REGISTRATION, b"x", ctx="update", now_ms=Millis(0)), Millis(0)
        ),
    )
    wire.partition(BROKER, ZK)
    assert broker.seen[-2:] == ["update: CONNECTIONLOSS", "disconnected"]


def test_silence_from_the_server_counts_as_a_lost_connection() -> None:
    wire, _, broker = cluster(timeout_ms=6000)
    wire.muted.add((ZK, BROKER))  # the server's answers stop arriving
    wire.advance(4000)  # two thirds of the negotiated timeout
    assert "disconnected" in broker.seen


def test_a_late_answer_for_a_failed_request_is_ignored() -> None:
    client = CoordinationClient(server=ZK, session_timeout_ms=6000)
    client.connect(Millis(0))
    client.on_message(ACCEPTED, Millis(0))
    client.create("/a", now_ms=Millis(0))
    lost = client.on_connection_lost(Millis(1))
    assert [e.error for e in lost.events if isinstance(e, RequestCompleted)] == [
        KeeperErrorCode.CONNECTIONLOSS
    ]
    late = CreateResponse(xid=1, zxid=Zxid(5), error=KeeperErrorCode.OK, path="/a")
    assert client.on_message(late, Millis(2)) == ClientStep()


def test_requests_made_before_the_session_is_up_are_sent_in_order_once_it_is() -> None:
    client = CoordinationClient(server=ZK, session_timeout_ms=6000)
    assert client.create("/a", now_ms=Millis(0)) == ClientStep()
    assert client.create("/a/b", now_ms=Millis(0)) == ClientStep()
    client.connect(Millis(0))
    step = client.on_message(ACCEPTED, Millis(0))
    sent = [o.message for o in step.outputs if isinstance(o, Send)]
    assert [m.path for m in sent if isinstance(m, CreateRequest)] == ["/a", "/a/b"]
    assert [type(e) for e in step.events] == [SessionConnected]


def test_after_close_requests_fail_at_once_and_connect_starts_a_new_session() -> None:
    wire, server, broker = cluster()
    wire.apply(BROKER, broker.handle(broker.zk.close(ctx="close", now_ms=Millis(0)), Millis(0)))
    wire.run()
    assert broker.seen[-1] == "close: OK" and broker.zk.state.value == "CLOSED"
    assert owner_of(server, REGISTRATION) is None
    failed = broker.zk.get_data("/", ctx="late", now_ms=Millis(0))
    assert [e.error for e in failed.events if isinstance(e, RequestCompleted)] == [
        KeeperErrorCode.SESSIONEXPIRED
    ]
    wire.apply(BROKER, broker.on_start(Millis(0)))
    wire.run()
    assert broker.seen[-1] == "register: OK" and broker.zk.state is ClientState.CONNECTED


def test_an_expired_event_from_the_server_ends_the_session_for_the_host() -> None:
    client = CoordinationClient(server=ZK, session_timeout_ms=6000)
    client.connect(Millis(0))
    client.on_message(ACCEPTED, Millis(0))
    client.get_data("/a", ctx="pending", now_ms=Millis(0))
    expired = WatchEvent(type=EventType.None_, state=KeeperState.Expired, path="")
    step = client.on_message(expired, Millis(5))
    assert [type(e) for e in step.events] == [RequestCompleted, SessionExpired]
    assert client.state is ClientState.CLOSED and client.session_id == 0


# ---------------------------------------------------------------------------------------------
# Bad input and plain data


@pytest.mark.parametrize("timeout", [0, -5, 2**31, "6000", 1.5])
def test_a_bad_session_timeout_is_refused_with_a_clear_message(timeout: object) -> None:
    with pytest.raises(GlassKafkaError, match="session_timeout_ms="):
        CoordinationClient(server=ZK, session_timeout_ms=timeout)  # type: ignore[arg-type]


def test_stray_messages_and_foreign_timers_change_nothing() -> None:
    client = CoordinationClient(server=ZK, session_timeout_ms=6000)
    before = copy.deepcopy(client)
    assert client.on_message(ACCEPTED, Millis(0)) == ClientStep()  # not connecting
    assert client.on_message(CreateRequest(xid=1, path="/"), Millis(0)) == ClientStep()
    assert client.on_timer("someone-elses-timer", Millis(0)) == ClientStep()
    assert client.on_connection_lost(Millis(0)) == ClientStep()
    client.last_heard_ms = before.last_heard_ms
    assert client == before


def test_xids_wrap_before_leaving_javas_int_range() -> None:
    client = CoordinationClient(server=ZK, session_timeout_ms=6000, next_xid=2**31 - 1)
    client.create("/a", now_ms=Millis(0))
    client.create("/b", now_ms=Millis(0))
    assert sorted(client.pending) == [1, 2**31 - 1]


def test_the_client_is_plain_data() -> None:
    _, _, broker = cluster()
    twin = copy.deepcopy(broker.zk)
    assert twin == broker.zk
    assert twin.on_timer(twin.ping_timer, Millis(2000)) == broker.zk.on_timer(
        broker.zk.ping_timer, Millis(2000)
    )


def test_closing_before_connecting_closes_at_once() -> None:
    client = CoordinationClient(server=ZK, session_timeout_ms=6000)
    step = client.close(ctx="bye", now_ms=Millis(0))
    assert step.outputs == () and [
        e.error for e in step.events if isinstance(e, RequestCompleted)
    ] == [KeeperErrorCode.OK]
    assert client.state is ClientState.CLOSED
