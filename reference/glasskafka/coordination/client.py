"""The client library for the coordination service, embedded in the nodes that use it.

Theory of operation
-------------------
A broker, the controller or the shell talks to the coordination service through a
:class:`CoordinationClient`.  It is not a node: it is plain data inside its host node, and it does
no I/O.  The host passes in what concerns the client (messages from the server, the client's own
timers, the loss of the connection) and gets back a :class:`ClientStep`: *outputs* to hand to the
driver (``Send``, ``SetTimer``, ``CancelTimer``) and *events* to act on, matched with ``match``:

* :class:`SessionConnected` -- a session is up, new or (``resumed``) the same one as before.  A
  new session must re-create its ephemeral znodes and set its watches again.  A resumed one keeps
  both, but a watch event in flight when the connection broke was lost with it, so re-read what
  you watch (ZooKeeper's client library does the equivalent itself, with ``SetWatches``).
* :class:`SessionDisconnected` -- the connection broke.  The session may well be alive, so keep
  going; every request in flight failed with ``CONNECTIONLOSS`` and may or may not have happened.
* :class:`SessionExpired` -- the session is gone, and its ephemerals with it.  Call
  :meth:`CoordinationClient.connect` for a new session and register again.
* :class:`RequestCompleted` -- the answer to a request, with the ``ctx`` the host gave it.
* :class:`WatchTriggered` -- a watch fired; read again (setting a new watch) to see the new state.

These are ZooKeeper's ``KeeperState`` changes (``SyncConnected``, ``Disconnected``, ``Expired``) and
its asynchronous API's callbacks, whose ``ctx`` argument comes back with the result, as data.
Kafka's ``ZooKeeperClient`` reacts the same way: it re-registers the broker when the session
expires, and treats a connection loss as "retry", never as "gone".

**Requests.** Each helper (:meth:`~CoordinationClient.create`, ``delete``, ``exists``, ...) builds a
request with the next ``xid``.  While the client is connected it is sent at once; before that it is
queued and sent, in order, when the session is up (ZooKeeper's ``outgoingQueue``).  Answers come
back in order and are matched by ``xid``; an answer for an ``xid`` that already failed (after a
connection loss) is ignored.  After expiry or close every request fails at once with
``SESSIONEXPIRED``.

**Heartbeats.** ZooKeeper's client sends a ping when it has sent nothing for a third of the
negotiated timeout, and declares the connection lost if it has *heard* nothing for two thirds
(``ClientCnxn``: ``readTimeout = timeout * 2 / 3``, ping after ``readTimeout / 2`` idle).  Both run
off one timer, ``<prefix>:ping``.  After a loss the client waits ``reconnect_backoff_ms`` (timer
``<prefix>:reconnect``) and sends a ``ConnectRequest`` naming its session.

Spec IDs: COORD-7 (answers in order), COORD-9 (the client keeps its session alive).

Simplified from Kafka: ZooKeeper's client tries the servers of an ensemble in turn and sleeps a
random time of up to a second before reconnecting; glasskafka has one server and a fixed backoff.
It never declares its own session expired from the client side either, matching ZooKeeper.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from glasskafka.coordination.codes import (
    NO_SESSION,
    ZERO_ZXID,
    KeeperErrorCode,
    KeeperState,
    SessionId,
    Zxid,
)
from glasskafka.coordination.messages import (
    ANY_VERSION,
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
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, Message, Output, Send, SetTimer

__all__ = [
    "ClientEvent",
    "ClientState",
    "ClientStep",
    "CoordinationClient",
    "PendingRequest",
    "RequestCompleted",
    "SessionConnected",
    "SessionDisconnected",
    "SessionExpired",
    "WatchTriggered",
]


_EPOCH_MS = Millis(0)


class ClientState(enum.Enum):
    """The client's connection state (the names of ZooKeeper's ``ZooKeeper.States``)."""

    NOT_CONNECTED = "NOT_CONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionConnected:
    """A session is up: new (``resumed=False``) or the previous one again (``resumed=True``)."""

    session_id: SessionId
    timeout_ms: int
    resumed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionDisconnected:
    """The connection broke; the session lives on at the server until its timeout."""

    session_id: SessionId


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionExpired:
    """The session ended at the server; its ephemeral znodes and watches are gone."""

    session_id: SessionId


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestCompleted:
    """The answer to request ``xid`` (or its local failure), with the host's ``ctx``."""

    xid: int
    ctx: str
    response: SessionResponse

    @property
    def error(self) -> KeeperErrorCode:
        """The response's error code (``OK`` on success)."""
        return self.response.error


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchTriggered:
    """A watch this session set has fired."""

    event: WatchEvent


ClientEvent = (
    SessionConnected | SessionDisconnected | SessionExpired | RequestCompleted | WatchTriggered
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientStep:
    """What one call into the client produced: outputs for the driver, events for the host."""

    outputs: tuple[Output, ...] = ()
    events: tuple[ClientEvent, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRequest:
    """A request waiting for its answer (``sent``) or for the session to come up (not sent)."""

    request: SessionRequest
    ctx: str
    sent: bool


@dataclass(slots=True, kw_only=True)
class CoordinationClient:
    """One session's worth of client state, embedded in the node that uses the service."""

    server: NodeId
    session_timeout_ms: int
    timer_prefix: str = "zk-client"
    reconnect_backoff_ms: int = 1000
    state: ClientState = ClientState.NOT_CONNECTED
    session_id: SessionId = NO_SESSION
    negotiated_timeout_ms: int = 0
    next_xid: int = 1
    pending: dict[int, PendingRequest] = field(default_factory=dict)
    last_heard_ms: Millis = _EPOCH_MS
    last_sent_ms: Millis = _EPOCH_MS
    last_zxid_seen: Zxid = ZERO_ZXID

    def __post_init__(self) -> None:
        for name in ("session_timeout_ms", "reconnect_backoff_ms"):
            value = getattr(self, name)
            if type(value) is not int or not 0 < value < 2**31:
                raise GlassKafkaError(
                    f"{name}={value!r} is not allowed; use a positive number of milliseconds "
                    "below 2147483648"
                )

    @property
    def ping_timer(self) -> str:
        """The name of the heartbeat timer."""
        return f"{self.timer_prefix}:ping"

    @property
    def reconnect_timer(self) -> str:
        """The name of the reconnect-backoff timer."""
        return f"{self.timer_prefix}:reconnect"

    def owns_timer(self, name: str) -> bool:
        """Whether timer ``name`` is this client's (the host then calls :meth:`on_timer`)."""
        return name in (self.ping_timer, self.reconnect_timer)

    # -----------------------------------------------------------------------------------------
    # Session control

    def connect(self, now_ms: Millis) -> ClientStep:
        """Start a session (a new one unless a live one is being resumed).

        No effect while already connecting or connected.
        """
        if self.state in (ClientState.CONNECTING, ClientState.CONNECTED):
            return ClientStep()
        if self.state is ClientState.CLOSED:
            self.session_id = NO_SESSION
        self.state = ClientState.CONNECTING
        return ClientStep(outputs=(self._connect_request(now_ms),))

    def close(self, *, ctx: str = "", now_ms: Millis) -> ClientStep:
        """End the session now (its ephemerals go at once); answered by a ``RequestCompleted``.

        Before any connection there is nothing to close: the client is closed at once.
        """
        request = CloseSessionRequest(xid=self._take_xid())
        if self.state is ClientState.NOT_CONNECTED:
            self.state = ClientState.CLOSED
            closed = CloseSessionResponse(
                xid=request.xid, zxid=self.last_zxid_seen, error=KeeperErrorCode.OK
            )
            return ClientStep(events=(RequestCompleted(xid=request.xid, ctx=ctx, response=closed),))
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    # -----------------------------------------------------------------------------------------
    # Requests (each returns at once; the answer arrives later as a RequestCompleted)

    def create(
        self,
        path: str,
        data: bytes = b"",
        *,
        ephemeral: bool = False,
        sequential: bool = False,
        ctx: str = "",
        now_ms: Millis,
    ) -> ClientStep:
        """Create a znode (``CreateResponse.path`` names it, for a sequential one)."""
        request = CreateRequest(
            xid=self._take_xid(), path=path, data=data, ephemeral=ephemeral, sequential=sequential
        )
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    def delete(
        self, path: str, *, version: int = ANY_VERSION, ctx: str = "", now_ms: Millis
    ) -> ClientStep:
        """Delete a znode if its version is ``version`` (``-1``: any)."""
        request = DeleteRequest(xid=self._take_xid(), path=path, version=version)
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    def exists(
        self, path: str, *, watch: bool = False, ctx: str = "", now_ms: Millis
    ) -> ClientStep:
        """Stat a znode; ``watch`` fires on its creation, change or deletion."""
        request = ExistsRequest(xid=self._take_xid(), path=path, watch=watch)
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    def get_data(
        self, path: str, *, watch: bool = False, ctx: str = "", now_ms: Millis
    ) -> ClientStep:
        """Read a znode's data and stat; ``watch`` fires on its change or deletion."""
        request = GetDataRequest(xid=self._take_xid(), path=path, watch=watch)
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    def set_data(
        self, path: str, data: bytes, *, version: int = ANY_VERSION, ctx: str = "", now_ms: Millis
    ) -> ClientStep:
        """Replace a znode's data if its version is ``version`` (``-1``: any)."""
        request = SetDataRequest(xid=self._take_xid(), path=path, data=data, version=version)
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    def get_children(
        self, path: str, *, watch: bool = False, ctx: str = "", now_ms: Millis
    ) -> ClientStep:
        """List a znode's children; ``watch`` fires when one is created or deleted."""
        request = GetChildrenRequest(xid=self._take_xid(), path=path, watch=watch)
        return self.submit(request, ctx=ctx, now_ms=now_ms)

    def submit(self, request: SessionRequest, *, ctx: str, now_ms: Millis) -> ClientStep:
        """Send ``request`` now if connected, queue it if not, fail it if the session is over.

        ``request.xid`` must come from this client (the helpers above take care of it).
        """
        if self.state is ClientState.CLOSED:
            failed = error_response(request, KeeperErrorCode.SESSIONEXPIRED, self.last_zxid_seen)
            return ClientStep(events=(RequestCompleted(xid=request.xid, ctx=ctx, response=failed),))
        connected = self.state is ClientState.CONNECTED
        self.pending[request.xid] = PendingRequest(request=request, ctx=ctx, sent=connected)
        if not connected:
            return ClientStep()
        self.last_sent_ms = now_ms
        return ClientStep(outputs=(Send(to=self.server, message=request),))

    # -----------------------------------------------------------------------------------------
    # Inputs forwarded by the host

    def on_message(self, message: Message, now_ms: Millis) -> ClientStep:
        """A message arrived from the server."""
        self.last_heard_ms = now_ms
        match message:
            case ConnectResponse():
                return self._on_connect_response(message, now_ms)
            case WatchEvent(state=KeeperState.Expired):
                return self._session_over(KeeperErrorCode.SESSIONEXPIRED)
            case WatchEvent():
                return ClientStep(events=(WatchTriggered(event=message),))
            case PingResponse():
                return ClientStep()
            case (
                CreateResponse()
                | DeleteResponse()
                | ExistsResponse()
                | GetDataResponse()
                | SetDataResponse()
                | GetChildrenResponse()
                | CloseSessionResponse()
            ):
                return self._on_response(message)
            case _:
                return ClientStep()

    def on_timer(self, name: str, now_ms: Millis) -> ClientStep:
        """One of this client's timers fired (see :meth:`owns_timer`)."""
        if name == self.reconnect_timer and self.state is ClientState.CONNECTING:
            return ClientStep(outputs=(self._connect_request(now_ms),))
        if name != self.ping_timer or self.state is not ClientState.CONNECTED:
            return ClientStep()
        read_timeout_ms = self.negotiated_timeout_ms * 2 // 3
        if now_ms - self.last_heard_ms >= read_timeout_ms:
            # Heard nothing for too long: treat the connection as lost (ClientCnxn's
            # SessionTimeoutException), although the transport has not said so.
            return self.on_connection_lost(now_ms)
        outputs: list[Output] = []
        if now_ms - self.last_sent_ms >= self.negotiated_timeout_ms // 3:
            self.last_sent_ms = now_ms
            outputs.append(Send(to=self.server, message=PingRequest()))
        outputs.append(self._ping_timer_output())
        return ClientStep(outputs=tuple(outputs))

    def on_connection_lost(self, now_ms: Millis) -> ClientStep:
        """The connection to the server broke: fail what is in flight, reconnect after a backoff."""
        if self.state not in (ClientState.CONNECTING, ClientState.CONNECTED):
            return ClientStep()
        was_connected = self.state is ClientState.CONNECTED
        self.state = ClientState.CONNECTING
        failed = self._fail_pending(KeeperErrorCode.CONNECTIONLOSS)
        events: tuple[ClientEvent, ...] = failed
        if was_connected:
            events += (SessionDisconnected(session_id=self.session_id),)
        backoff = SetTimer(
            name=self.reconnect_timer, at_ms=Millis(now_ms + self.reconnect_backoff_ms)
        )
        return ClientStep(outputs=(CancelTimer(name=self.ping_timer), backoff), events=events)

    # -----------------------------------------------------------------------------------------
    # Helpers

    def _take_xid(self) -> int:
        xid = self.next_xid
        # xids are Java ints in ZooKeeper; wrap before 2**31 rather than send a malformed one.
        self.next_xid = xid + 1 if xid < 2**31 - 1 else 1
        return xid

    def _connect_request(self, now_ms: Millis) -> Send:
        self.last_sent_ms = now_ms
        request = ConnectRequest(timeout_ms=self.session_timeout_ms, session_id=self.session_id)
        return Send(to=self.server, message=request)

    def _ping_timer_output(self) -> SetTimer:
        next_ping = self.last_sent_ms + self.negotiated_timeout_ms // 3
        give_up = self.last_heard_ms + self.negotiated_timeout_ms * 2 // 3
        return SetTimer(name=self.ping_timer, at_ms=Millis(min(next_ping, give_up)))

    def _on_connect_response(self, response: ConnectResponse, now_ms: Millis) -> ClientStep:
        if self.state is not ClientState.CONNECTING:
            return ClientStep()
        if response.error is not KeeperErrorCode.OK:
            # SESSIONEXPIRED: the session to resume is gone.  (BADARGUMENTS cannot happen: the
            # constructor checked the timeout.)  Either way this session is over.
            return self._session_over(KeeperErrorCode.SESSIONEXPIRED)
        resumed = self.session_id == response.session_id
        self.state = ClientState.CONNECTED
        self.session_id = response.session_id
        self.negotiated_timeout_ms = response.timeout_ms
        outputs: list[Output] = [CancelTimer(name=self.reconnect_timer)]
        for xid, pending in list(self.pending.items()):
            if not pending.sent:
                self.pending[xid] = PendingRequest(
                    request=pending.request, ctx=pending.ctx, sent=True
                )
                outputs.append(Send(to=self.server, message=pending.request))
        self.last_sent_ms = now_ms
        outputs.append(self._ping_timer_output())
        connected = SessionConnected(
            session_id=self.session_id, timeout_ms=self.negotiated_timeout_ms, resumed=resumed
        )
        return ClientStep(outputs=tuple(outputs), events=(connected,))

    def _on_response(self, response: SessionResponse) -> ClientStep:
        self.last_zxid_seen = Zxid(max(self.last_zxid_seen, response.zxid))
        pending = self.pending.get(response.xid)
        if pending is None or not pending.sent:
            return ClientStep()  # the request already failed with CONNECTIONLOSS
        del self.pending[response.xid]
        completed = RequestCompleted(xid=response.xid, ctx=pending.ctx, response=response)
        if isinstance(response, CloseSessionResponse):
            step = self._session_over(KeeperErrorCode.SESSIONEXPIRED, announce=False)
            return ClientStep(outputs=step.outputs, events=(completed, *step.events))
        return ClientStep(events=(completed,))

    def _session_over(self, error: KeeperErrorCode, *, announce: bool = True) -> ClientStep:
        """The session expired (``announce``) or was closed: fail everything, stop the timers."""
        ended = self.session_id
        self.state = ClientState.CLOSED
        self.session_id = NO_SESSION
        events: tuple[ClientEvent, ...] = self._fail_pending(error)
        if announce:
            events += (SessionExpired(session_id=ended),)
        outputs = (CancelTimer(name=self.ping_timer), CancelTimer(name=self.reconnect_timer))
        return ClientStep(outputs=outputs, events=events)

    def _fail_pending(self, error: KeeperErrorCode) -> tuple[RequestCompleted, ...]:
        failed = tuple(
            RequestCompleted(
                xid=xid,
                ctx=pending.ctx,
                response=error_response(pending.request, error, self.last_zxid_seen),
            )
            for xid, pending in self.pending.items()
        )
        self.pending.clear()
        return failed
