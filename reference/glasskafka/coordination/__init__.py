"""The coordination service: a ZooKeeper-like server, its client library and its shell.

Kafka's ZooKeeper-era brokers and controller keep the cluster's shared facts in ZooKeeper:
which brokers are alive (ephemeral ``/brokers/ids/<id>``), who the controller is (ephemeral
``/controller``), and each partition's leader and ISR (``/brokers/topics/<t>/partitions/<p>/state``,
updated by compare-and-set on its version).  This package is glasskafka's stand-in, small enough
to read in an afternoon:

* :class:`CoordinationServer` -- the ``zk`` node (``server.py``), built from the znode tree
  (``tree.py``, ``znode.py``, ``paths.py``), sessions (``sessions.py``) and one-shot watches
  (``watches.py``), speaking the messages in ``messages.py``;
* :class:`CoordinationClient` -- the client library a broker, the controller or the shell embeds
  (``client.py``);
* :class:`Shell` -- ``zkCli.sh``'s commands and output, independent of any transport (``shell.py``,
  ``shell_output.py``).

The specification is ``specs/coordination.py`` (COORD-1 ... COORD-9); the concepts page is
``docs/concepts/coordination.md``.

Simplified from Kafka: one server instead of a replicated ZooKeeper ensemble, no persistence, no
ACLs, no ``multi``; each module's docstring says what else it leaves out.
"""

from glasskafka.coordination.client import (
    ClientEvent,
    ClientState,
    ClientStep,
    CoordinationClient,
    RequestCompleted,
    SessionConnected,
    SessionDisconnected,
    SessionExpired,
    WatchTriggered,
)
from glasskafka.coordination.codes import EventType, KeeperErrorCode, KeeperState, SessionId, Zxid
from glasskafka.coordination.messages import (
    ANY_VERSION,
    CloseSessionRequest,
    CloseSessionResponse,
    ConnectRequest,
    ConnectResponse,
    CoordinationRequest,
    CoordinationResponse,
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
from glasskafka.coordination.server import EXPIRY_TIMER, CoordinationServer
from glasskafka.coordination.shell import Shell, ShellStep
from glasskafka.coordination.znode import Stat, Znode

__all__ = [
    "ANY_VERSION",
    "EXPIRY_TIMER",
    "ClientEvent",
    "ClientState",
    "ClientStep",
    "CloseSessionRequest",
    "CloseSessionResponse",
    "ConnectRequest",
    "ConnectResponse",
    "CoordinationClient",
    "CoordinationRequest",
    "CoordinationResponse",
    "CoordinationServer",
    "CreateRequest",
    "CreateResponse",
    "DeleteRequest",
    "DeleteResponse",
    "EventType",
    "ExistsRequest",
    "ExistsResponse",
    "GetChildrenRequest",
    "GetChildrenResponse",
    "GetDataRequest",
    "GetDataResponse",
    "KeeperErrorCode",
    "KeeperState",
    "PingRequest",
    "PingResponse",
    "RequestCompleted",
    "SessionConnected",
    "SessionDisconnected",
    "SessionExpired",
    "SessionId",
    "SessionRequest",
    "SessionResponse",
    "SetDataRequest",
    "SetDataResponse",
    "Shell",
    "ShellStep",
    "Stat",
    "WatchEvent",
    "WatchTriggered",
    "Znode",
    "Zxid",
]
