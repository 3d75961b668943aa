"""The coordination service node: a single ZooKeeper-like server, sans-IO.

Theory of operation
-------------------
:class:`CoordinationServer` is the ``zk`` node that brokers and the controller talk to (DESIGN §2).
It owns three pieces of plain data and the zxid counter that orders every change:

* the znode tree (:class:`~glasskafka.coordination.tree.DataTree`),
* the sessions and which connection carries each
  (:class:`~glasskafka.coordination.sessions.SessionTracker`),
* the one-shot watches (:class:`~glasskafka.coordination.watches.WatchManager`).

One input at a time, run to completion:

1. ``ConnectRequest`` opens a session (a transaction: it takes a zxid) or resumes one on a new
   connection, then sends any events held while the session was disconnected.
2. Any other request must come on a connection that carries a live session; otherwise it is
   answered with ``SESSIONEXPIRED``.  The request touches the session (moves its deadline), then:
   reads answer from the tree and may set a watch; writes (``create``, ``delete``, ``setData``)
   take the next zxid whether they succeed or not (ZooKeeper logs a refused write as an error
   transaction), change the tree, and fire the watches their changes match.
3. Watch events go out *before* the response of the write that fired them, as in ZooKeeper, so a
   client that sees a response has already seen every event that write caused.  Events for a
   detached session are held.
4. ``CloseSessionRequest`` and expiry end a session in one transaction: its watches are dropped,
   its ephemeral znodes are deleted in path order, and the watches those deletions match fire.
5. One timer, ``session-expiry``, is set for the earliest session deadline.  When it fires, every
   session past its deadline expires; a still-connected client is told with a ``WatchEvent`` of
   state ``Expired``.  Touching a session only moves deadlines later, so the timer may fire early
   and simply re-arm, which is what ZooKeeper's session tracker thread does.

A broken connection (``on_connection_lost``) does **not** end the session: only expiry or close
does.  So a broker cut off by a network partition keeps its ephemeral registration until its
session timeout passes, and then loses it even if the broker itself is healthy.

Requests from one connection are answered in the order they arrive, because the server answers
each before taking the next input (COORD-7).

Spec IDs: COORD-1, COORD-2, COORD-3 (kept by the tree, asserted in :meth:`check_invariants`),
COORD-4, COORD-5, COORD-6, COORD-7, COORD-8, COORD-9.

Simplified from Kafka: a real ZooKeeper ensemble replicates every transaction with the Zab protocol
to a quorum, writes a transaction log and snapshots to ``dataDir``, and survives restarts;
glasskafka's service is one server that keeps its tree in memory, so a restart begins empty.
ZooKeeper closes a connection that sends a packet over ``jute.maxbuffer``; glasskafka refuses just
that request with ``BADARGUMENTS`` (a node cannot close connections), counting the path and data
bytes as the request's size.
"""

from __future__ import annotations

from typing import assert_never

from glasskafka.config import CoordinationConfig
from glasskafka.coordination.codes import (
    NO_SESSION,
    ZERO_ZXID,
    EventType,
    KeeperErrorCode,
    KeeperState,
    SessionId,
    Zxid,
)
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
    error_response,
)
from glasskafka.coordination.paths import JUTE_MAXBUFFER, path_problem
from glasskafka.coordination.sessions import Session, SessionTracker, initial_session_id
from glasskafka.coordination.tree import Change, DataTree
from glasskafka.coordination.validation import config_problem, request_problem
from glasskafka.coordination.watches import WatchKind, WatchManager
from glasskafka.coordination.znode import Znode
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output, Send, SetTimer

__all__ = ["DEFAULT_NODE_ID", "EXPIRY_TIMER", "CoordinationServer"]

DEFAULT_NODE_ID = NodeId("zk")
"""The node name the coordination service runs under unless told otherwise (``ids.NodeId``)."""

EXPIRY_TIMER = "session-expiry"
"""The one timer the server sets: the earliest session deadline."""


class CoordinationServer(Node):
    """A ZooKeeper-like server: znodes, sessions, ephemeral znodes and one-shot watches."""

    def __init__(
        self, *, node_id: NodeId = DEFAULT_NODE_ID, config: CoordinationConfig | None = None
    ) -> None:
        """Build a server with an empty tree (just ``/`` and ``/zookeeper``).

        Raises :class:`GlassKafkaError` if the config's session timeouts are inconsistent.
        """
        self.node_id = node_id
        self.config = config if config is not None else CoordinationConfig()
        problem = config_problem(self.config)
        if problem is not None:
            raise GlassKafkaError(problem)
        self.tree = DataTree()
        self.watches = WatchManager()
        self.sessions = SessionTracker(
            tick_time_ms=self.config.tick_time,
            min_session_timeout_ms=self.config.min_session_timeout,
            max_session_timeout_ms=self.config.max_session_timeout,
        )
        self.last_zxid = ZERO_ZXID
        self.expiry_timer_at_ms: Millis | None = None

    # -----------------------------------------------------------------------------------------
    # Observation (read-only; for the shell, tests and the simulator's observers)

    def znode(self, path: str) -> Znode | None:
        """The znode at ``path``, or ``None``."""
        return self.tree.get(path)

    def paths(self) -> list[str]:
        """Every znode path, sorted."""
        return self.tree.paths()

    def live_sessions(self) -> list[SessionId]:
        """The ids of every live session (connected or not), sorted."""
        return sorted(self.sessions.sessions)

    def session(self, session_id: SessionId) -> Session | None:
        """The live session ``session_id``, or ``None`` if it ended or never existed."""
        return self.sessions.sessions.get(session_id)

    # -----------------------------------------------------------------------------------------
    # Inputs

    def on_start(self, now_ms: Millis) -> list[Output]:
        """Seed session ids from the start time, as ZooKeeper does; nothing to send yet."""
        self.sessions.next_session_id = initial_session_id(now_ms)
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        """Answer one request from ``sender``.  Messages that are not requests are ignored.

        Invariants: COORD-7 (answers go out before the next input is taken)
        """
        match message:
            case ConnectRequest():
                return self.on_connect_request(sender, message, now_ms)
            case (
                PingRequest()
                | CreateRequest()
                | DeleteRequest()
                | ExistsRequest()
                | GetDataRequest()
                | SetDataRequest()
                | GetChildrenRequest()
                | CloseSessionRequest()
            ):
                return self.on_session_request(sender, message, now_ms)
            case _:
                # Responses and events only flow from the server; ZooKeeper would drop such a
                # connection as corrupt, glasskafka just ignores the message.
                return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        """Expire every session whose deadline has come, then re-arm.

        Invariants: COORD-6, COORD-9
        """
        if name != EXPIRY_TIMER:
            return []
        self.expiry_timer_at_ms = None
        outputs: list[Output] = []
        for session_id in self.sessions.due(now_ms):
            outputs += self.expire_session(session_id, now_ms)
        return outputs + self._maybe_arm_expiry_timer()

    def on_connection_lost(self, peer: NodeId, now_ms: Millis) -> list[Output]:
        """The connection broke: its session lives on, detached, until it expires or resumes."""
        del now_ms
        self.sessions.detach_peer(peer)
        return []

    # -----------------------------------------------------------------------------------------
    # The handshake

    def on_connect_request(
        self, peer: NodeId, request: ConnectRequest, now_ms: Millis
    ) -> list[Output]:
        """Open a new session (``session_id == 0``) or resume a live one on ``peer``.

        Resuming an ended or unknown session is refused with ``SESSIONEXPIRED``.
        Invariants: COORD-9
        """
        if request_problem(request) is not None:
            refused = ConnectResponse(
                error=KeeperErrorCode.BADARGUMENTS, session_id=NO_SESSION, timeout_ms=0
            )
            return [Send(to=peer, message=refused)]
        if request.session_id == 0:
            self._next_zxid()  # createSession is a transaction in ZooKeeper
            session = self.sessions.open(
                peer, requested_timeout_ms=request.timeout_ms, now_ms=now_ms
            )
        elif request.session_id in self.sessions.sessions:
            session = self.sessions.attach(request.session_id, peer, now_ms=now_ms)
        else:
            expired = ConnectResponse(
                error=KeeperErrorCode.SESSIONEXPIRED, session_id=request.session_id, timeout_ms=0
            )
            return [Send(to=peer, message=expired)]
        accepted = ConnectResponse(
            error=KeeperErrorCode.OK, session_id=session.session_id, timeout_ms=session.timeout_ms
        )
        held = self.sessions.take_held(session.session_id)
        outputs: list[Output] = [Send(to=peer, message=accepted)]
        outputs += [Send(to=peer, message=event) for event in held]
        return outputs + self._maybe_arm_expiry_timer()

    # -----------------------------------------------------------------------------------------
    # Session requests

    def on_session_request(
        self, peer: NodeId, request: SessionRequest, now_ms: Millis
    ) -> list[Output]:
        """Answer a request on ``peer``'s session, or ``SESSIONEXPIRED`` if it has none."""
        session = self.sessions.session_of(peer)
        if session is None:
            refused = error_response(request, KeeperErrorCode.SESSIONEXPIRED, self.last_zxid)
            return [Send(to=peer, message=refused)]
        if request_problem(request) is not None:
            refused = error_response(request, KeeperErrorCode.BADARGUMENTS, self.last_zxid)
            return [Send(to=peer, message=refused)]
        self.sessions.touch(session.session_id, now_ms=now_ms)
        if isinstance(request, CloseSessionRequest):
            zxid = self._next_zxid()
            outputs = self.end_session(session.session_id, zxid)
            closed = CloseSessionResponse(xid=request.xid, zxid=zxid, error=KeeperErrorCode.OK)
            return [*outputs, Send(to=peer, message=closed)]
        outputs, response = self.handle(session.session_id, request, now_ms)
        return [*outputs, Send(to=peer, message=response)]

    def handle(
        self, session_id: SessionId, request: SessionRequest, now_ms: Millis
    ) -> tuple[list[Output], SessionResponse]:
        """Apply one request of a live session: the events it fires, then its response."""
        match request:
            case PingRequest():
                return [], PingResponse(xid=request.xid, zxid=self.last_zxid, error=_OK)
            case CreateRequest():
                return self.create(session_id, request, now_ms)
            case DeleteRequest():
                return self.delete(request)
            case SetDataRequest():
                return self.set_data(request, now_ms)
            case ExistsRequest() | GetDataRequest() | GetChildrenRequest():
                return [], self.read(session_id, request)
            case CloseSessionRequest():
                raise AssertionError("close is handled by on_session_request")
            case _:
                assert_never(request)

    def create(
        self, session_id: SessionId, request: CreateRequest, now_ms: Millis
    ) -> tuple[list[Output], CreateResponse]:
        """Create a znode; an ephemeral one is owned by ``session_id``.  Invariants: COORD-2"""
        if len(request.path) + len(request.data) > JUTE_MAXBUFFER:
            return [], CreateResponse(xid=request.xid, zxid=self.last_zxid, error=_TOO_LARGE)
        zxid = self._next_zxid()
        owner = session_id if request.ephemeral else NO_SESSION
        result = self.tree.create(
            request.path,
            request.data,
            owner=owner,
            sequential=request.sequential,
            zxid=zxid,
            now_ms=now_ms,
        )
        path = result.path if result.error is _OK else ""
        response = CreateResponse(xid=request.xid, zxid=zxid, error=result.error, path=path)
        return self._fire(result.changes), response

    def delete(self, request: DeleteRequest) -> tuple[list[Output], DeleteResponse]:
        """Delete a znode if its version matches.  Invariants: COORD-5"""
        zxid = self._next_zxid()
        result = self.tree.delete(request.path, version=request.version, zxid=zxid)
        response = DeleteResponse(xid=request.xid, zxid=zxid, error=result.error)
        return self._fire(result.changes), response

    def set_data(
        self, request: SetDataRequest, now_ms: Millis
    ) -> tuple[list[Output], SetDataResponse]:
        """Replace a znode's data if its version matches.  Invariants: COORD-3, COORD-5"""
        if len(request.path) + len(request.data) > JUTE_MAXBUFFER:
            return [], SetDataResponse(xid=request.xid, zxid=self.last_zxid, error=_TOO_LARGE)
        zxid = self._next_zxid()
        result = self.tree.set_data(
            request.path, request.data, version=request.version, zxid=zxid, now_ms=now_ms
        )
        response = SetDataResponse(xid=request.xid, zxid=zxid, error=result.error, stat=result.stat)
        return self._fire(result.changes), response

    def read(
        self, session_id: SessionId, request: ExistsRequest | GetDataRequest | GetChildrenRequest
    ) -> ExistsResponse | GetDataResponse | GetChildrenResponse:
        """Answer a read, leaving a watch if asked.  Invariants: COORD-4, COORD-8

        ``exists`` leaves a data watch even on a missing znode (it fires on creation);
        ``getData`` and ``getChildren`` leave one only on a znode that exists.
        """
        if path_problem(request.path) is not None:
            return self._answer_read(request, None, KeeperErrorCode.BADARGUMENTS)
        znode = self.tree.get(request.path)
        if request.watch and (znode is not None or isinstance(request, ExistsRequest)):
            kind = WatchKind.CHILD if isinstance(request, GetChildrenRequest) else WatchKind.DATA
            self.watches.add(kind, request.path, session_id)
        error = KeeperErrorCode.NONODE if znode is None else _OK
        return self._answer_read(request, znode, error)

    def _answer_read(
        self,
        request: ExistsRequest | GetDataRequest | GetChildrenRequest,
        znode: Znode | None,
        error: KeeperErrorCode,
    ) -> ExistsResponse | GetDataResponse | GetChildrenResponse:
        xid, zxid = request.xid, self.last_zxid
        stat = None if znode is None else znode.stat()
        match request:
            case ExistsRequest():
                return ExistsResponse(xid=xid, zxid=zxid, error=error, stat=stat)
            case GetDataRequest():
                data = b"" if znode is None else znode.data
                return GetDataResponse(xid=xid, zxid=zxid, error=error, data=data, stat=stat)
            case GetChildrenRequest():
                children = () if znode is None else znode.children
                return GetChildrenResponse(
                    xid=xid, zxid=zxid, error=error, children=children, stat=stat
                )
            case _:
                assert_never(request)

    # -----------------------------------------------------------------------------------------
    # Ending sessions

    def expire_session(self, session_id: SessionId, now_ms: Millis) -> list[Output]:
        """The session's deadline passed: end it, and tell its client if still connected.

        Invariants: COORD-6, COORD-9
        """
        del now_ms
        peer = self.sessions.sessions[session_id].peer
        outputs = self.end_session(session_id, self._next_zxid())
        if peer is not None:
            expired = WatchEvent(type=EventType.None_, state=KeeperState.Expired, path="")
            outputs.append(Send(to=peer, message=expired))
        return outputs

    def end_session(self, session_id: SessionId, zxid: Zxid) -> list[Output]:
        """Close or expire a session in one transaction: drop its watches and its ephemerals.

        Its own watches go first, so the ending session is told nothing more.
        Invariants: COORD-2, COORD-4, COORD-6
        """
        self.watches.remove_session(session_id)
        self.sessions.remove(session_id)
        return self._fire(self.delete_ephemerals(session_id, zxid))

    def delete_ephemerals(self, session_id: SessionId, zxid: Zxid) -> list[Change]:
        """Delete every ephemeral znode of ``session_id`` in path order.  Invariants: COORD-6"""
        changes: list[Change] = []
        for path in self.tree.ephemerals_of(session_id):
            changes += self.tree.delete_ephemeral(path, zxid=zxid).changes
        return changes

    # -----------------------------------------------------------------------------------------
    # Helpers

    def _next_zxid(self) -> Zxid:
        self.last_zxid = Zxid(self.last_zxid + 1)
        return self.last_zxid

    def _fire(self, changes: tuple[Change, ...] | list[Change]) -> list[Output]:
        """Trigger the watches ``changes`` match; send to connected sessions, hold for others."""
        outputs: list[Output] = []
        for change in changes:
            for session_id, event in self.watches.trigger(change):
                peer = self.sessions.sessions[session_id].peer
                if peer is None:
                    self.sessions.hold(session_id, event)
                else:
                    outputs.append(Send(to=peer, message=event))
        return outputs

    def _maybe_arm_expiry_timer(self) -> list[Output]:
        """Set the expiry timer if the earliest deadline is earlier than the timer (or none)."""
        deadline = self.sessions.next_deadline_ms()
        if deadline is None:
            return []
        if self.expiry_timer_at_ms is not None and self.expiry_timer_at_ms <= deadline:
            return []
        self.expiry_timer_at_ms = deadline
        return [SetTimer(name=EXPIRY_TIMER, at_ms=deadline)]

    def check_invariants(self) -> None:
        """Assert COORD-1, COORD-2, the local half of COORD-3, and session bookkeeping."""
        live = set(self.sessions.sessions)
        self.tree.check_invariants(last_zxid=self.last_zxid, live_sessions=live)
        self.sessions.check_invariants()
        for session_id in self.watches.watching_sessions():
            assert session_id in live, f"COORD-4: watch of ended session {session_id:#x}"
        if live:
            assert self.expiry_timer_at_ms is not None, "COORD-9: live sessions but no timer"
            assert self.expiry_timer_at_ms <= min(
                s.expires_at_ms for s in self.sessions.sessions.values()
            ), "COORD-9: the expiry timer is later than a deadline"


_OK = KeeperErrorCode.OK
_TOO_LARGE = KeeperErrorCode.BADARGUMENTS
