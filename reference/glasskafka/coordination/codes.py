"""ZooKeeper's numbers: error codes, watch event types, connection states, and the id types.

Theory of operation
-------------------
Every answer from the coordination service carries a :class:`KeeperErrorCode`, and every watch
notification carries an :class:`EventType` and a :class:`KeeperState`.  The names and numbers are
ZooKeeper's own (``KeeperException.Code`` and ``Watcher.Event`` in ZooKeeper 3.6, the release that
Kafka 3.x bundles), so a student can look any of them up in ZooKeeper's documentation, and so a
message printed by glasskafka's shell reads like one printed by ``zkCli.sh``.

Protocol errors are values (STYLE rule 8): the server never raises them, it answers with them.

Two ``NewType`` ids keep integers apart that ZooKeeper prints in the same hexadecimal way:

* :data:`SessionId` -- a 64-bit session id.  ``0`` means "no session" (an ``ephemeralOwner`` of
  ``0x0`` marks a persistent znode).
* :data:`Zxid` -- a ZooKeeper transaction id.  Every write (and every session creation or close)
  gets the next one, so zxids put all changes in one total order.

Spec IDs: none directly; the codes are the vocabulary of COORD-5 and COORD-8.

Simplified from Kafka: ZooKeeper also has ACL, authentication, reconfiguration, quota and
persistent-watch codes; glasskafka keeps them in the enum for reference but never produces them.
"""

from __future__ import annotations

import enum
from typing import NewType

__all__ = [
    "NO_SESSION",
    "ZERO_ZXID",
    "EventType",
    "KeeperErrorCode",
    "KeeperState",
    "SessionId",
    "Zxid",
]

SessionId = NewType("SessionId", int)
"""A ZooKeeper session id (``ephemeralOwner`` of the znodes the session created)."""

Zxid = NewType("Zxid", int)
"""A ZooKeeper transaction id: the position of a change in the total order of all changes."""

NO_SESSION = SessionId(0)
"""The session id of "no session": a persistent znode's ``ephemeralOwner``, a new connection's."""

ZERO_ZXID = Zxid(0)
"""The zxid before the first transaction."""


class KeeperErrorCode(enum.IntEnum):
    """``KeeperException.Code``: the result of a request, ``OK`` or why it failed."""

    OK = 0
    SYSTEMERROR = -1
    RUNTIMEINCONSISTENCY = -2
    DATAINCONSISTENCY = -3
    CONNECTIONLOSS = -4
    MARSHALLINGERROR = -5
    UNIMPLEMENTED = -6
    OPERATIONTIMEOUT = -7
    BADARGUMENTS = -8
    UNKNOWNSESSION = -12
    NEWCONFIGNOQUORUM = -13
    RECONFIGINPROGRESS = -14
    APIERROR = -100
    NONODE = -101
    NOAUTH = -102
    BADVERSION = -103
    NOCHILDRENFOREPHEMERALS = -108
    NODEEXISTS = -110
    NOTEMPTY = -111
    SESSIONEXPIRED = -112
    INVALIDCALLBACK = -113
    INVALIDACL = -114
    AUTHFAILED = -115
    SESSIONMOVED = -118
    NOTREADONLY = -119
    EPHEMERALONLOCALSESSION = -120
    NOWATCHER = -121
    REQUESTTIMEOUT = -122
    RECONFIGDISABLED = -123
    SESSIONCLOSEDREQUIRESASLAUTH = -124

    def __repr__(self) -> str:
        # A valid Python expression, so a failing Hypothesis run prints a program (STYLE).
        return f"{type(self).__name__}.{self.name}"

    @property
    def message(self) -> str:
        """ZooKeeper's text for the code (``KeeperException.getCodeMessage``), e.g. ``NoNode``."""
        return _MESSAGES.get(self, f"Unknown error {self.name}")


_MESSAGES: dict[KeeperErrorCode, str] = {
    KeeperErrorCode.OK: "ok",
    KeeperErrorCode.SYSTEMERROR: "SystemError",
    KeeperErrorCode.RUNTIMEINCONSISTENCY: "RuntimeInconsistency",
    KeeperErrorCode.DATAINCONSISTENCY: "DataInconsistency",
    KeeperErrorCode.CONNECTIONLOSS: "ConnectionLoss",
    KeeperErrorCode.MARSHALLINGERROR: "MarshallingError",
    KeeperErrorCode.NEWCONFIGNOQUORUM: "NewConfigNoQuorum",
    KeeperErrorCode.RECONFIGINPROGRESS: "ReconfigInProgress",
    KeeperErrorCode.UNIMPLEMENTED: "Unimplemented",
    KeeperErrorCode.OPERATIONTIMEOUT: "OperationTimeout",
    KeeperErrorCode.BADARGUMENTS: "BadArguments",
    KeeperErrorCode.APIERROR: "APIError",
    KeeperErrorCode.NONODE: "NoNode",
    KeeperErrorCode.NOAUTH: "NoAuth",
    KeeperErrorCode.BADVERSION: "BadVersion",
    KeeperErrorCode.NOCHILDRENFOREPHEMERALS: "NoChildrenForEphemerals",
    KeeperErrorCode.NODEEXISTS: "NodeExists",
    KeeperErrorCode.INVALIDACL: "InvalidACL",
    KeeperErrorCode.AUTHFAILED: "AuthFailed",
    KeeperErrorCode.NOTEMPTY: "Directory not empty",
    KeeperErrorCode.SESSIONEXPIRED: "Session expired",
    KeeperErrorCode.INVALIDCALLBACK: "Invalid callback",
    KeeperErrorCode.SESSIONMOVED: "Session moved",
    KeeperErrorCode.NOTREADONLY: "Not a read-only call",
    KeeperErrorCode.EPHEMERALONLOCALSESSION: "Ephemeral node on local session",
    KeeperErrorCode.NOWATCHER: "No such watcher",
    KeeperErrorCode.RECONFIGDISABLED: "Reconfig is disabled",
    KeeperErrorCode.SESSIONCLOSEDREQUIRESASLAUTH: (
        "Session closed because client failed to authenticate"
    ),
}
"""ZooKeeper 3.6's ``getCodeMessage`` texts; codes it does not list print as "Unknown error"."""


class EventType(enum.IntEnum):
    """``Watcher.Event.EventType``: what changed at the watched path.

    ``None`` is the type of a pure connection-state notification (no path involved).
    """

    None_ = -1
    NodeCreated = 1
    NodeDeleted = 2
    NodeDataChanged = 3
    NodeChildrenChanged = 4

    def __repr__(self) -> str:
        # A valid Python expression, so a failing Hypothesis run prints a program (STYLE).
        return f"{type(self).__name__}.{self.name}"

    @property
    def label(self) -> str:
        """The name ``zkCli.sh`` prints (``None`` for :attr:`None_`)."""
        return "None" if self is EventType.None_ else self.name


class KeeperState(enum.IntEnum):
    """``Watcher.Event.KeeperState``: the state of the session's connection to the server."""

    Disconnected = 0
    SyncConnected = 3
    Expired = -112
    Closed = 7

    def __repr__(self) -> str:
        # A valid Python expression, so a failing Hypothesis run prints a program (STYLE).
        return f"{type(self).__name__}.{self.name}"
