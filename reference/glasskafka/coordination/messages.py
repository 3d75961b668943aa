"""The coordination service's messages, shaped after ZooKeeper's operations.

Theory of operation
-------------------
A client first sends a :class:`ConnectRequest` (ZooKeeper's connect handshake) and gets a
:class:`ConnectResponse` with its session id and the session timeout the server chose.  After that
the connection *is* the session: the requests below carry no session id, exactly as ZooKeeper's
do, and the server knows whose request it is by the connection it came on.

Every session request has an ``xid`` that the client chooses, increasing per request, and every
response carries the same ``xid`` with the server's ``zxid`` (ZooKeeper's ``ReplyHeader``: ``xid``,
``zxid``, ``err``).  The server answers a session's requests in the order they were sent, so a
client can match answers to requests by ``xid`` and also rely on their order (COORD-7).

* :class:`ConnectRequest` -> :class:`ConnectResponse`: the handshake (``new ZooKeeper(...)``);
* :class:`PingRequest` -> :class:`PingResponse` (op code 11): automatic heartbeats;
* :class:`CreateRequest` -> :class:`CreateResponse` (1): ``create``;
* :class:`DeleteRequest` -> :class:`DeleteResponse` (2): ``delete``;
* :class:`ExistsRequest` -> :class:`ExistsResponse` (3): ``exists``;
* :class:`GetDataRequest` -> :class:`GetDataResponse` (4): ``getData``;
* :class:`SetDataRequest` -> :class:`SetDataResponse` (5): ``setData``;
* :class:`GetChildrenRequest` -> :class:`GetChildrenResponse` (12): ``getChildren`` with the stat;
* :class:`CloseSessionRequest` -> :class:`CloseSessionResponse` (-11): ``close``.

A :class:`WatchEvent` is a one-way notification (ZooKeeper sends it with ``xid = -1``): a watch
that the session set fired, or (``type=None_``) the session's state changed.

Versions: ``DeleteRequest`` and ``SetDataRequest`` carry the ``version`` the client expects the
znode to have; ``-1`` means "any version".  This is ZooKeeper's compare-and-set, and the one Kafka's
controller relies on to update partition state (COORD-5).

Spec IDs: COORD-5, COORD-7 (the shape these messages give the protocol).

Simplified from Kafka: ZooKeeper's ``multi`` (atomic batches, which Kafka 2.1+ wraps around every
controller write to check the version of ``/controller_epoch`` first, KAFKA-6082), ACLs, ``sync``,
container and TTL znodes, and the connect handshake's password and ``lastZxidSeen`` are left out.
A check-and-set on one znode's version is enough for the controller glasskafka builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, assert_never

from glasskafka.coordination.codes import (
    NO_SESSION,
    EventType,
    KeeperErrorCode,
    KeeperState,
    SessionId,
    Zxid,
)
from glasskafka.coordination.znode import Stat
from glasskafka.node import Message

__all__ = [
    "ANY_VERSION",
    "PING_XID",
    "WATCH_XID",
    "CloseSessionRequest",
    "CloseSessionResponse",
    "ConnectRequest",
    "ConnectResponse",
    "CoordinationRequest",
    "CoordinationResponse",
    "CreateRequest",
    "CreateResponse",
    "DeleteRequest",
    "DeleteResponse",
    "ExistsRequest",
    "ExistsResponse",
    "GetChildrenRequest",
    "GetChildrenResponse",
    "GetDataRequest",
    "GetDataResponse",
    "PingRequest",
    "PingResponse",
    "SessionRequest",
    "SessionResponse",
    "SetDataRequest",
    "SetDataResponse",
    "WatchEvent",
    "error_response",
]

ANY_VERSION = -1
"""The expected version that matches every version (ZooKeeper's ``-1``)."""

PING_XID = -2
"""The xid ZooKeeper's client library puts on pings."""

WATCH_XID = -1
"""The xid ZooKeeper's server puts on watch notifications."""


# ---------------------------------------------------------------------------------------------
# The handshake


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectRequest(Message):
    """Open a new session (``session_id=0``) or resume an existing one on a new connection.

    ``timeout_ms`` is the session timeout the client asks for; the server clamps it to
    ``[minSessionTimeout, maxSessionTimeout]``.
    """

    timeout_ms: int
    session_id: SessionId = NO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectResponse(Message):
    """The session this connection now carries, and its negotiated timeout.

    ``error=SESSIONEXPIRED`` (with ``timeout_ms=0``) when the session to resume no longer exists.
    """

    error: KeeperErrorCode
    session_id: SessionId
    timeout_ms: int


# ---------------------------------------------------------------------------------------------
# Session requests


@dataclass(frozen=True, slots=True, kw_only=True)
class PingRequest(Message):
    """Keep the session alive while the client has nothing else to say."""

    op_code: ClassVar[int] = 11
    xid: int = PING_XID


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateRequest(Message):
    """Create znode ``path`` holding ``data``; an ephemeral one ends with the session."""

    op_code: ClassVar[int] = 1
    xid: int
    path: str
    data: bytes = b""
    ephemeral: bool = False
    sequential: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRequest(Message):
    """Delete znode ``path`` if its version is ``version`` (``-1``: any) and it has no children."""

    op_code: ClassVar[int] = 2
    xid: int
    path: str
    version: int = ANY_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistsRequest(Message):
    """The stat of ``path``; ``watch`` sets a data watch, even if the znode does not exist yet."""

    op_code: ClassVar[int] = 3
    xid: int
    path: str
    watch: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class GetDataRequest(Message):
    """The data and stat of ``path``; ``watch`` sets a data watch if the znode exists."""

    op_code: ClassVar[int] = 4
    xid: int
    path: str
    watch: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDataRequest(Message):
    """Replace the data of ``path`` if its version is ``version`` (``-1``: any)."""

    op_code: ClassVar[int] = 5
    xid: int
    path: str
    data: bytes
    version: int = ANY_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class GetChildrenRequest(Message):
    """The children of ``path`` and its stat; ``watch`` sets a child watch if it exists."""

    op_code: ClassVar[int] = 12
    xid: int
    path: str
    watch: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseSessionRequest(Message):
    """End the session now: its ephemeral znodes are deleted at once."""

    op_code: ClassVar[int] = -11
    xid: int


# ---------------------------------------------------------------------------------------------
# Responses (ZooKeeper's ReplyHeader fields first: xid, zxid, error)


@dataclass(frozen=True, slots=True, kw_only=True)
class PingResponse(Message):
    """The server heard the ping."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateResponse(Message):
    """The path actually created (differs from the request's for a sequential create)."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteResponse(Message):
    """Whether the delete happened."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistsResponse(Message):
    """The stat, or ``error=NONODE`` and no stat if the znode does not exist."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode
    stat: Stat | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GetDataResponse(Message):
    """The data and stat of the znode."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode
    data: bytes = b""
    stat: Stat | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDataResponse(Message):
    """The znode's stat after the write (its new version)."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode
    stat: Stat | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GetChildrenResponse(Message):
    """The children's names, sorted, and the parent's stat."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode
    children: tuple[str, ...] = ()
    stat: Stat | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseSessionResponse(Message):
    """The session is closed; the server sends nothing more on it."""

    xid: int
    zxid: Zxid
    error: KeeperErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchEvent(Message):
    """A watch fired at ``path`` (``type``), or the session's ``state`` changed (``type=None_``).

    ``path`` is ``""`` for a state change (ZooKeeper prints it as ``null``).
    """

    type: EventType
    state: KeeperState
    path: str


SessionRequest = (
    PingRequest
    | CreateRequest
    | DeleteRequest
    | ExistsRequest
    | GetDataRequest
    | SetDataRequest
    | GetChildrenRequest
    | CloseSessionRequest
)
"""Every request sent on an established session."""

SessionResponse = (
    PingResponse
    | CreateResponse
    | DeleteResponse
    | ExistsResponse
    | GetDataResponse
    | SetDataResponse
    | GetChildrenResponse
    | CloseSessionResponse
)
"""Every answer to a :data:`SessionRequest`."""

CoordinationRequest = ConnectRequest | SessionRequest
CoordinationResponse = ConnectResponse | SessionResponse


def error_response(request: SessionRequest, error: KeeperErrorCode, zxid: Zxid) -> SessionResponse:
    """The response of the right type for ``request`` that carries only ``error``.

    Used by the server to refuse a request and by the client library to fail one locally
    (``CONNECTIONLOSS``, ``SESSIONEXPIRED``), so the caller always gets the response type it
    expects.
    """
    xid = request.xid
    match request:
        case PingRequest():
            return PingResponse(xid=xid, zxid=zxid, error=error)
        case CreateRequest():
            return CreateResponse(xid=xid, zxid=zxid, error=error)
        case DeleteRequest():
            return DeleteResponse(xid=xid, zxid=zxid, error=error)
        case ExistsRequest():
            return ExistsResponse(xid=xid, zxid=zxid, error=error)
        case GetDataRequest():
            return GetDataResponse(xid=xid, zxid=zxid, error=error)
        case SetDataRequest():
            return SetDataResponse(xid=xid, zxid=zxid, error=error)
        case GetChildrenRequest():
            return GetChildrenResponse(xid=xid, zxid=zxid, error=error)
        case CloseSessionRequest():
            return CloseSessionResponse(xid=xid, zxid=zxid, error=error)
        case _:
            assert_never(request)
