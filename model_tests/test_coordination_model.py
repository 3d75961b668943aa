"""The coordination server checked against ``specs/coordination.py`` (COORD-1..9), with teeth.

The rules are the environment (DESIGN §4): three clients connect (new or resumed sessions), send
every kind of request with and without versions and watches, ping, close, lose their connection
(sometimes with a write's answer still in flight), and time advances past session timeouts.  The
test is the network: it hands each request to the server and each output to its client at once,
fires the server's timers in time order, and, like the simulator's observers, records what it saw
go by -- answers, watch events, sessions ending -- as ghost state the server cannot bend.

Every answer is compared with :class:`specs.coordination.TreeModel`, a plain dict of paths
(COORD-8); the other invariants read snapshots of the tree and the recorded logs.  One
``@invariant()`` per COORD id, plus the server's own ``check_invariants()``.

Teeth: ``test_coordination_teeth.py`` runs this machine against servers broken on purpose and
asserts that Hypothesis finds each violation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from glasskafka.config import CoordinationConfig
from glasskafka.coordination.codes import EventType, KeeperErrorCode, KeeperState, SessionId
from glasskafka.coordination.messages import (
    CloseSessionRequest,
    CloseSessionResponse,
    ConnectRequest,
    ConnectResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DeleteResponse,
    ExistsRequest,
    ExistsResponse,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    PingRequest,
    PingResponse,
    SessionRequest,
    SessionResponse,
    SetDataRequest,
    SetDataResponse,
    WatchEvent,
)
from glasskafka.coordination.paths import SPECIAL_PATHS
from glasskafka.coordination.server import CoordinationServer
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Output, Send, SetTimer
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from specs.catalogue import check
from specs.coordination import (
    ConditionalWrite,
    EventName,
    ModelCheck,
    RequestLog,
    SessionEnd,
    SessionLife,
    TreeModel,
    TreeSnapshot,
    VersionHistory,
    WatchEnded,
    WatchFired,
    WatchHistory,
    WatchSet,
    WatchStep,
    WatchWrite,
    ZnodeView,
    answers_come_in_order,
    answers_match_the_model,
    conditional_writes_follow_versions,
    ending_a_session_removes_exactly_its_ephemerals,
    ephemerals_belong_to_live_sessions,
    every_parent_exists,
    sessions_expire_only_after_silence,
    versions_count_writes_and_zxids_rise,
    watches_fire_once_after_a_change,
)

CONFIG = CoordinationConfig()  # tickTime 2000, sessions clamped into [4000, 40000] ms
CLIENTS = (NodeId("c1"), NodeId("c2"), NodeId("c3"))
GOOD_PATHS = ("/", "/a", "/a/b", "/a/c", "/a/b/d", "/b", "/b/x")
BAD_PATHS = ("a", "/a/", "/a//b", "/a/..", "/a\x00b")

clients = st.sampled_from(CLIENTS)
# Most operations hit a few paths, so that watches, versions and children meet often.
paths = st.sampled_from(("/a",) * 6 + ("/a/b",) * 4 + ("/",) * 2 + GOOD_PATHS[3:] + BAD_PATHS)
versions = st.sampled_from((-1, -1, 0, 0, 1, 2))
datas = st.sampled_from((b"", b"x", b"yy"))
timeouts = st.sampled_from((1000, 6000, 60000))
durations = st.sampled_from((500, 500, 1000, 2000, 5000, 15000, 45000))
watches = st.sampled_from((True, True, False))


@dataclass(slots=True, kw_only=True)
class ClientView:
    """What one client knows: its connection, its session, and this connection's xids."""

    connected: bool = False
    session_id: SessionId | None = None
    next_xid: int = 1
    sent: list[int] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Life:
    """Ghost record of one session, for COORD-9."""

    requested_timeout_ms: int
    timeout_ms: int
    last_heard_ms: int
    expired_at_ms: int | None = None
    closed: bool = False


def snapshot(server: CoordinationServer) -> TreeSnapshot:
    """The tree as ``ls`` and ``get -s`` would show it, the live sessions, the last zxid."""
    znodes = {}
    for path in server.paths():
        znode = server.znode(path)
        assert znode is not None
        znodes[path] = ZnodeView(
            data=znode.data,
            version=znode.version,
            cversion=znode.cversion,
            czxid=znode.czxid,
            mzxid=znode.mzxid,
            pzxid=znode.pzxid,
            ephemeral_owner=znode.ephemeral_owner,
            children=znode.children,
        )
    live = frozenset(server.live_sessions())
    return TreeSnapshot(znodes=znodes, live_sessions=live, last_zxid=server.last_zxid)


def describe(response: SessionResponse) -> str:
    """An answer as text, in the form :meth:`CoordinationMachine.expect` predicts it."""
    name = response.error.name
    match response:
        case CreateResponse() if response.error is KeeperErrorCode.OK:
            return f"{name} {response.path}"
        case SetDataResponse(stat=stat) if stat is not None:
            return f"{name} v{stat.version}"
        case ExistsResponse(stat=stat) if stat is not None:
            return f"{name} v{stat.version} owner {stat.ephemeral_owner:#x}"
        case GetDataResponse(stat=stat) if stat is not None:
            return f"{name} {response.data!r} v{stat.version} owner {stat.ephemeral_owner:#x}"
        case GetChildrenResponse() if response.error is KeeperErrorCode.OK:
            return f"{name} {list(response.children)}"
    return name


class CoordinationMachine(RuleBasedStateMachine):
    """Three clients and a server; the test is the (instant, FIFO) network and the observer."""

    def __init__(self) -> None:
        super().__init__()
        self.server = self.make_server()
        self.server.on_start(Millis(0))
        self.now = 0
        self.timers: dict[str, int] = {}
        self.model = TreeModel()
        self.views = {client: ClientView() for client in CLIENTS}
        self.lives: dict[SessionId, Life] = {}
        self.watch_steps: list[WatchStep] = []
        self.set_counts: dict[str, int] = {}
        self.write_zxids: list[int] = []
        self.conditional: list[ConditionalWrite] = []
        self.session_ends: list[SessionEnd] = []
        self.finished_logs: list[RequestLog] = []
        self.model_checks: list[ModelCheck] = []

    def make_server(self) -> CoordinationServer:
        """The server under test (the teeth tests override this with broken variants)."""
        return CoordinationServer(config=CONFIG)

    # -----------------------------------------------------------------------------------------
    # Rules: sessions and the network

    @initialize(first=timeouts, second=timeouts)
    def connect_two_clients(self, first: int, second: int) -> None:
        """c1 and c2 connect; c1 creates ``/a``; c2 registers ephemeral ``/a/c`` and watches
        ``/a``'s data and children (a broker registering, a controller watching)."""
        self.connect(CLIENTS[0], first, fresh=True)
        self.connect(CLIENTS[1], second, fresh=True)
        self.create(CLIENTS[0], "/a", b"", ephemeral=False, seq=False)
        self.create(CLIENTS[1], "/a/c", b"", ephemeral=True, seq=False)
        self.get_data(CLIENTS[1], "/a", watch=True)
        self.get_children(CLIENTS[1], "/a", watch=True)

    @rule(client=clients, timeout=timeouts, fresh=st.booleans())
    def connect(self, client: NodeId, timeout: int, fresh: bool) -> None:
        view = self.views[client]
        resume = view.session_id if (view.session_id is not None and not fresh) else None
        if view.connected and resume is not None:
            return  # already carrying its session
        if not view.connected:
            view.connected, view.sent, view.answered = True, [], []
        request = ConnectRequest(timeout_ms=timeout, session_id=resume or SessionId(0))
        if resume is not None and self._alive(resume):
            self.lives[resume].last_heard_ms = self.now
        expected = "OK" if resume is None or self._alive(resume) else "SESSIONEXPIRED"
        outputs = self.server.on_message(client, request, Millis(self.now))
        response = self._answer_for(outputs, client)
        assert isinstance(response, ConnectResponse)
        self.model_checks.append(
            ModelCheck(operation=repr(request), observed=response.error.name, expected=expected)
        )
        if response.error is KeeperErrorCode.OK and resume is None:
            self.lives[response.session_id] = Life(
                requested_timeout_ms=timeout,
                timeout_ms=response.timeout_ms,
                last_heard_ms=self.now,
            )
        ok = response.error is KeeperErrorCode.OK
        view.session_id = response.session_id if ok else None
        self._deliver(outputs)

    @rule(client=clients)
    def lose_connection(self, client: NodeId) -> None:
        if self.views[client].connected:
            self._lose(client)

    @rule(duration=durations)
    def advance_time(self, duration: int) -> None:
        end = self.now + duration
        while due := sorted((at, name) for name, at in self.timers.items() if at <= end):
            at, name = due[0]
            del self.timers[name]
            self.now = max(self.now, at)
            before, live_before = snapshot(self.server), set(self.server.live_sessions())
            outputs = self.server.on_timer(name, Millis(self.now))
            # Several sessions can expire at one tick: the server ends them one by one, so an
            # ephemeral deleted with the first may fire a watch of the second before it ends.
            # Its events go out before the sessions are recorded as ended.
            self._record_ends(before, live_before, closed=False, deliver_first=outputs)
        self.now = end

    # -----------------------------------------------------------------------------------------
    # Rules: requests

    @rule(client=clients, path=paths, data=datas, ephemeral=st.booleans(), seq=st.booleans())
    def create(self, client: NodeId, path: str, data: bytes, ephemeral: bool, seq: bool) -> None:
        self.request(
            client,
            lambda x: CreateRequest(
                xid=x, path=path, data=data, ephemeral=ephemeral, sequential=seq
            ),
        )

    @rule(client=clients, path=paths, version=versions)
    def delete(self, client: NodeId, path: str, version: int) -> None:
        self.request(client, lambda x: DeleteRequest(xid=x, path=path, version=version))

    @rule(client=clients, path=paths, data=datas, version=versions)
    def set_data(self, client: NodeId, path: str, data: bytes, version: int) -> None:
        self.request(client, lambda x: SetDataRequest(xid=x, path=path, data=data, version=version))

    @rule(client=clients, path=paths, watch=watches)
    def get_data(self, client: NodeId, path: str, watch: bool) -> None:
        self.request(client, lambda x: GetDataRequest(xid=x, path=path, watch=watch))

    @rule(client=clients, path=paths, watch=watches)
    def get_children(self, client: NodeId, path: str, watch: bool) -> None:
        self.request(client, lambda x: GetChildrenRequest(xid=x, path=path, watch=watch))

    @rule(client=clients, path=paths, watch=watches)
    def exists(self, client: NodeId, path: str, watch: bool) -> None:
        self.request(client, lambda x: ExistsRequest(xid=x, path=path, watch=watch))

    @rule(client=clients)
    def ping(self, client: NodeId) -> None:
        self.request(client, lambda x: PingRequest())

    @rule(client=clients)
    def close(self, client: NodeId) -> None:
        self.request(client, lambda x: CloseSessionRequest(xid=x))

    @rule(client=clients, path=st.sampled_from(GOOD_PATHS), data=datas, how=st.integers(0, 2))
    def write_then_lose_connection(self, client: NodeId, path: str, data: bytes, how: int) -> None:
        """A write reaches the server, then the connection breaks before its answer arrives."""
        writes: list[Callable[[int], SessionRequest]] = [
            lambda x: CreateRequest(xid=x, path=path, data=data),
            lambda x: SetDataRequest(xid=x, path=path, data=data),
            lambda x: DeleteRequest(xid=x, path=path),
        ]
        self.request(client, writes[how], lose_connection=True)

    # -----------------------------------------------------------------------------------------
    # Invariants: one per COORD id, and the server's local checks

    @invariant()
    def coord_1_every_parent_exists(self) -> None:
        check("COORD-1", every_parent_exists(snapshot(self.server)))

    @invariant()
    def coord_2_ephemerals_belong_to_live_sessions(self) -> None:
        check("COORD-2", ephemerals_belong_to_live_sessions(snapshot(self.server)))

    @invariant()
    def coord_3_versions_count_writes_and_zxids_rise(self) -> None:
        history = VersionHistory(
            tree=snapshot(self.server),
            set_data_counts=self.set_counts,
            write_zxids=self.write_zxids,
        )
        check("COORD-3", versions_count_writes_and_zxids_rise(history))

    @invariant()
    def coord_4_watches_fire_once_after_a_change(self) -> None:
        connected = frozenset(
            view.session_id
            for view in self.views.values()
            if view.connected and view.session_id is not None
        )
        history = WatchHistory(steps=self.watch_steps, connected=connected)
        check("COORD-4", watches_fire_once_after_a_change(history))

    @invariant()
    def coord_5_conditional_writes_follow_versions(self) -> None:
        check("COORD-5", conditional_writes_follow_versions(self.conditional))

    @invariant()
    def coord_6_ending_a_session_removes_exactly_its_ephemerals(self) -> None:
        check("COORD-6", ending_a_session_removes_exactly_its_ephemerals(self.session_ends))

    @invariant()
    def coord_7_answers_come_in_order(self) -> None:
        current = [RequestLog(sent=v.sent, answered=v.answered) for v in self.views.values()]
        check("COORD-7", answers_come_in_order([*self.finished_logs, *current]))

    @invariant()
    def coord_8_answers_match_the_model(self) -> None:
        check("COORD-8", answers_match_the_model(self.model_checks))

    @invariant()
    def coord_9_sessions_expire_only_after_silence(self) -> None:
        lives = [
            SessionLife(
                session_id=session_id,
                requested_timeout_ms=life.requested_timeout_ms,
                timeout_ms=life.timeout_ms,
                last_heard_ms=life.last_heard_ms,
                expired_at_ms=life.expired_at_ms,
                closed=life.closed,
                now_ms=self.now,
                tick_time_ms=CONFIG.tick_time,
                min_session_timeout_ms=CONFIG.min_session_timeout,
                max_session_timeout_ms=CONFIG.max_session_timeout,
            )
            for session_id, life in sorted(self.lives.items())
        ]
        check("COORD-9", sessions_expire_only_after_silence(lives))

    @invariant()
    def server_local_invariants(self) -> None:
        self.server.check_invariants()

    # -----------------------------------------------------------------------------------------
    # The network and the observer

    def request(
        self,
        client: NodeId,
        make: Callable[[int], SessionRequest],
        *,
        lose_connection: bool = False,
    ) -> None:
        """Send one request from a connected client, compare its answer with the model."""
        view = self.views[client]
        if not view.connected:
            return
        request = make(view.next_xid)
        view.next_xid += 1
        expected = self.expect(view.session_id, request)
        before, live_before = snapshot(self.server), set(self.server.live_sessions())
        if not isinstance(request, PingRequest):
            view.sent.append(request.xid)
        if view.session_id is not None and self._alive(view.session_id):
            self.lives[view.session_id].last_heard_ms = self.now
        outputs = self.server.on_message(client, request, Millis(self.now))
        self._record_ends(before, live_before, closed=isinstance(request, CloseSessionRequest))
        response = self._answer_for(outputs, client)
        assert not isinstance(response, ConnectResponse)
        self._observe_answer(view.session_id, request, response, before)
        self.model_checks.append(
            ModelCheck(operation=repr(request), observed=describe(response), expected=expected)
        )
        self._deliver(outputs, dropped_for=client if lose_connection else None)
        if lose_connection:
            self._lose(client)

    def expect(self, session_id: SessionId | None, request: SessionRequest) -> str:
        """What the abstract model answers (and, for a write, the change it makes)."""
        if session_id is None:
            return "SESSIONEXPIRED"
        model = self.model
        match request:
            case CreateRequest():
                owner = session_id if request.ephemeral else 0
                error, created = model.create(
                    request.path, request.data, owner=owner, sequential=request.sequential
                )
                return f"{error} {created}" if error == "OK" else error
            case DeleteRequest():
                return model.delete(request.path, request.version)
            case SetDataRequest():
                error = model.set(request.path, request.data, request.version)
                return f"OK v{model.nodes[request.path].version}" if error == "OK" else error
            case ExistsRequest() | GetDataRequest() | GetChildrenRequest():
                return self._expect_read(request)
            case PingRequest() | CloseSessionRequest():
                return "OK"
        raise AssertionError(f"no expectation for {request!r}")

    def _expect_read(self, request: ExistsRequest | GetDataRequest | GetChildrenRequest) -> str:
        znode = self.model.read(request.path)
        if znode is None or znode == "BADARGUMENTS":
            return "NONODE" if znode is None else znode
        match request:
            case ExistsRequest():
                return f"OK v{znode.version} owner {znode.owner:#x}"
            case GetDataRequest():
                return f"OK {znode.data!r} v{znode.version} owner {znode.owner:#x}"
            case GetChildrenRequest():
                return f"OK {list(self.model.children(request.path))}"

    def _observe_answer(
        self,
        session_id: SessionId | None,
        request: SessionRequest,
        response: SessionResponse,
        before: TreeSnapshot,
    ) -> None:
        """Record what an answer tells an observer: writes, watches set, conditional outcomes."""
        if session_id is None:
            return
        ok = response.error is KeeperErrorCode.OK
        if ok and isinstance(request, CreateRequest | DeleteRequest | SetDataRequest):
            self.write_zxids.append(response.zxid)
        match request:
            case CreateRequest() if ok:
                assert isinstance(response, CreateResponse)
                self.watch_steps.append(WatchWrite(path=response.path, change="created"))
                self.set_counts[response.path] = 0
            case DeleteRequest() | SetDataRequest():
                self._observe_conditional(request, response, before)
            case ExistsRequest(watch=True) if response.error in (_OK, KeeperErrorCode.NONODE):
                self.watch_steps.append(
                    WatchSet(session_id=session_id, path=request.path, kind="data")
                )
            case GetDataRequest(watch=True) if ok:
                self.watch_steps.append(
                    WatchSet(session_id=session_id, path=request.path, kind="data")
                )
            case GetChildrenRequest(watch=True) if ok:
                self.watch_steps.append(
                    WatchSet(session_id=session_id, path=request.path, kind="child")
                )

    def _observe_conditional(
        self,
        request: DeleteRequest | SetDataRequest,
        response: SessionResponse,
        before: TreeSnapshot,
    ) -> None:
        path = request.path
        deletable = path not in SPECIAL_PATHS or isinstance(request, SetDataRequest)
        if path in GOOD_PATHS and deletable:
            znode = before.znodes.get(path)
            self.conditional.append(
                ConditionalWrite(
                    operation="delete" if isinstance(request, DeleteRequest) else "set",
                    path=path,
                    expected_version=request.version,
                    version_before=None if znode is None else znode.version,
                    had_children=znode is not None and bool(znode.children),
                    error=response.error.name,
                )
            )
        if response.error is not _OK:
            return
        if isinstance(request, DeleteRequest):
            self.watch_steps.append(WatchWrite(path=path, change="deleted"))
            self.set_counts.pop(path, None)
        else:
            self.watch_steps.append(WatchWrite(path=path, change="set"))
            self.set_counts[path] = self.set_counts.get(path, 0) + 1

    def _record_ends(
        self,
        before: TreeSnapshot,
        live_before: set[SessionId],
        *,
        closed: bool,
        deliver_first: list[Output] | None = None,
    ) -> None:
        """Sessions that ended in this step: their ends, and the znodes that vanished with them.

        With ``deliver_first``, the vanished znodes and the step's outputs (the watch events
        their deletion fired) are recorded before the ends."""
        ended = live_before - set(self.server.live_sessions())
        if not ended:
            if deliver_first is not None:
                self._deliver(deliver_first)
            return
        after = snapshot(self.server)
        self.session_ends.append(SessionEnd(ended=frozenset(ended), before=before, after=after))
        if deliver_first is not None:
            self._record_vanished(before, after)
            self._deliver(deliver_first)
        for session_id in sorted(ended):
            self.watch_steps.append(WatchEnded(session_id=session_id))
            life = self.lives[session_id]
            if closed:
                life.closed = True
            else:
                life.expired_at_ms = self.now
            self.model.end_session(session_id)
        if deliver_first is None:
            self._record_vanished(before, after)

    def _record_vanished(self, before: TreeSnapshot, after: TreeSnapshot) -> None:
        for path in sorted(set(before.znodes) - set(after.znodes)):
            self.watch_steps.append(WatchWrite(path=path, change="deleted"))
            self.set_counts.pop(path, None)

    def _deliver(self, outputs: list[Output], *, dropped_for: NodeId | None = None) -> None:
        """Carry the server's outputs out: timers, then messages to connected clients."""
        for output in outputs:
            match output:
                case SetTimer():
                    self.timers[output.name] = output.at_ms
                case CancelTimer():
                    self.timers.pop(output.name, None)
                case Send(to=peer, message=message):
                    view = self.views[peer]
                    if not view.connected:
                        continue  # no connection: the message goes nowhere
                    if isinstance(message, WatchEvent) and message.type is not EventType.None_:
                        assert view.session_id is not None, f"event for {peer} with no session"
                        fired = WatchFired(
                            session_id=view.session_id,
                            path=message.path,
                            event=_EVENT_NAMES[message.type],
                        )
                        self.watch_steps.append(fired)
                    if peer != dropped_for:
                        self._receive(view, message)

    @staticmethod
    def _receive(view: ClientView, message: Message) -> None:
        """A client takes a message: it learns of its session's end, and logs answers."""
        match message:
            case WatchEvent(state=KeeperState.Expired):
                view.session_id = None
            case CloseSessionResponse():
                view.answered.append(message.xid)
                view.session_id = None
            case PingResponse() | ConnectResponse() | WatchEvent():
                pass
            case (
                CreateResponse()
                | DeleteResponse()
                | ExistsResponse()
                | GetDataResponse()
                | SetDataResponse()
                | GetChildrenResponse()
            ):
                view.answered.append(message.xid)

    def _lose(self, client: NodeId) -> None:
        view = self.views[client]
        self.finished_logs.append(RequestLog(sent=view.sent, answered=view.answered))
        view.connected, view.sent, view.answered = False, [], []
        self._deliver(self.server.on_connection_lost(client, Millis(self.now)))

    def _alive(self, session_id: SessionId) -> bool:
        life = self.lives[session_id]
        return life.expired_at_ms is None and not life.closed

    @staticmethod
    def _answer_for(outputs: list[Output], client: NodeId) -> SessionResponse | ConnectResponse:
        found = [o.message for o in outputs if isinstance(o, Send) and o.to == client]
        answers = [m for m in found if isinstance(m, (*_RESPONSES, ConnectResponse))]
        assert len(answers) == 1, f"expected one answer for {client}, got {found}"
        return answers[0]


_OK = KeeperErrorCode.OK
_RESPONSES = (
    PingResponse,
    CreateResponse,
    DeleteResponse,
    ExistsResponse,
    GetDataResponse,
    SetDataResponse,
    GetChildrenResponse,
    CloseSessionResponse,
)
_EVENT_NAMES: dict[EventType, EventName] = {
    EventType.NodeCreated: "NodeCreated",
    EventType.NodeDeleted: "NodeDeleted",
    EventType.NodeDataChanged: "NodeDataChanged",
    EventType.NodeChildrenChanged: "NodeChildrenChanged",
}

TestCoordinationModel = CoordinationMachine.TestCase
