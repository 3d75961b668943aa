"""Broker registration: the ephemeral ``/brokers/ids/<id>`` that says "this broker is alive".

Theory of operation
-------------------
A ZooKeeper-era broker announces itself by creating the **ephemeral** znode
``/brokers/ids/<broker.id>`` holding its address (``KafkaZkClient.registerBroker``).  The znode
lives exactly as long as the broker's coordination session: when the broker dies or is cut off
for longer than ``zookeeper.session.timeout.ms``, the session expires, the znode disappears,
and the controller -- watching ``/brokers/ids`` -- moves leadership away from it.

:class:`Registration` keeps that up through the session's life:

* on a **new** session, first the persistent parents every broker may need are created if
  missing (``/brokers``, ``/brokers/ids``, ``/brokers/topics``, ``/admin``,
  ``/admin/delete_topics``, ``/isr_change_notification``: Kafka's ``createTopLevelPaths``; an
  answer of NODEEXISTS is fine), then the registration itself;
* on a **resumed** session the ephemeral is still there, unless the create was lost in transit,
  in which case it is sent again;
* NODEEXISTS for the registration means either our own create already happened (a resumed
  session) or a previous incarnation's session still holds the znode (a quick restart).  The
  broker reads the znode's ``ephemeralOwner``: its own session means registered; another means
  wait for that session to expire and try again after ``REGISTRATION_RETRY_MS``, as Kafka's
  ``checkedEphemeralCreate`` does;
* after **expiry** everything starts over with the next new session.

Spec IDs: none directly; the controller's elections (REPL-11) rely on registrations meaning
"alive".

Simplified from Kafka: no broker epoch (KIP-380, the registration's ``czxid``); one PLAINTEXT
endpoint; a broker whose id is held by a live broker waits for ever instead of exiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from glasskafka.config import BrokerConfig
from glasskafka.controller.role import CoordinationRequest
from glasskafka.controller.znodes import (
    PERSISTENT_PATHS,
    BrokerRegistration,
    broker_path,
    encode_broker,
)
from glasskafka.coordination import (
    CreateRequest,
    ExistsRequest,
    ExistsResponse,
    KeeperErrorCode,
    RequestCompleted,
    SessionId,
)
from glasskafka.errors import GlassKafkaError
from glasskafka.ids import BrokerId, Millis, NodeId
from glasskafka.node import SetTimer

__all__ = [
    "PARENT_CTX",
    "REGISTER_CTX",
    "REGISTRATION_OWNER_CTX",
    "REGISTRATION_RETRY_MS",
    "REGISTRATION_RETRY_TIMER",
    "Registration",
    "advertised_endpoint",
    "broker_id_of",
    "checked_broker_id",
]

REGISTER_CTX = "broker:register"
PARENT_CTX = "broker:create-parent"
REGISTRATION_OWNER_CTX = "broker:registration-owner"
REGISTRATION_RETRY_TIMER = "broker:register-retry"
REGISTRATION_RETRY_MS = 1000

_IN_TRANSIT = (KeeperErrorCode.CONNECTIONLOSS, KeeperErrorCode.SESSIONEXPIRED)


def advertised_endpoint(config: BrokerConfig) -> tuple[str, int]:
    """The host and port of the first ``advertised.listeners`` (else ``listeners``) entry.

    ``PLAINTEXT://:9092`` (no host) advertises ``127.0.0.1``, which every client can reach on
    one machine (wire-protocol.md §6).  Raises :class:`GlassKafkaError` naming the property and
    the form it needs for anything else.
    """
    key = "advertised.listeners" if config.advertised_listeners else "listeners"
    text = config.advertised_listeners or config.listeners
    first = text.split(",")[0].strip()
    _, separator, address = first.partition("://")
    host, colon, port = address.rpartition(":")
    if not separator or not colon or not port.isdigit() or int(port) > 65535:
        raise GlassKafkaError(
            f"property {key!r} has value {text!r}; allowed: NAME://host:port entries separated "
            "by commas, e.g. PLAINTEXT://:9092, with a port from 0 to 65535"
        )
    return host.strip("[]") or "127.0.0.1", int(port)


@dataclass(slots=True, kw_only=True)
class Registration:
    """Whether this broker's ephemeral registration exists, and what is in flight for it."""

    broker_id: BrokerId
    host: str
    port: int
    registered: bool = False
    in_flight: bool = False

    def _create(self, now_ms: Millis) -> CoordinationRequest:
        self.in_flight = True
        data = encode_broker(
            BrokerRegistration(
                broker_id=self.broker_id, host=self.host, port=self.port, timestamp_ms=now_ms
            )
        )
        create = CreateRequest(xid=0, path=broker_path(self.broker_id), data=data, ephemeral=True)
        return CoordinationRequest(request=create, ctx=REGISTER_CTX)

    def on_session_connected(self, *, resumed: bool, now_ms: Millis) -> list[CoordinationRequest]:
        """A session is up: create the parents (new session) and register if needed."""
        if not resumed:
            self.registered = False
            self.in_flight = False
        if self.registered or self.in_flight:
            return []
        parents = [
            CoordinationRequest(request=CreateRequest(xid=0, path=path), ctx=PARENT_CTX)
            for path in PERSISTENT_PATHS
        ]
        return ([] if resumed else parents) + [self._create(now_ms)]

    def on_session_expired(self) -> None:
        """The session and its ephemerals are gone; the next session registers again."""
        self.registered = False
        self.in_flight = False

    @staticmethod
    def owns(ctx: str) -> bool:
        """Whether an answer with this ``ctx`` is one of the registration's."""
        return ctx in (PARENT_CTX, REGISTER_CTX, REGISTRATION_OWNER_CTX)

    def on_answer(
        self, completed: RequestCompleted, *, session_id: SessionId, now_ms: Millis
    ) -> tuple[list[CoordinationRequest], SetTimer | None]:
        """Handle the answer to a registration request; return what to send next."""
        error = completed.error
        if completed.ctx == PARENT_CTX or not self.owns(completed.ctx):
            return [], None
        if error in _IN_TRANSIT:
            self.in_flight = False  # resent when the session is up again
            return [], None
        if completed.ctx == REGISTER_CTX:
            if error is KeeperErrorCode.OK:
                self.in_flight, self.registered = False, True
                return [], None
            if error is KeeperErrorCode.NODEEXISTS:
                owner = ExistsRequest(xid=0, path=broker_path(self.broker_id))
                return [CoordinationRequest(request=owner, ctx=REGISTRATION_OWNER_CTX)], None
        if completed.ctx == REGISTRATION_OWNER_CTX and isinstance(
            completed.response, ExistsResponse
        ):
            stat = completed.response.stat
            if (
                error is KeeperErrorCode.OK
                and stat is not None
                and stat.ephemeral_owner == session_id
            ):
                self.in_flight, self.registered = False, True
                return [], None
            if error is KeeperErrorCode.NONODE:
                return [self._create(now_ms)], None  # the old session just expired
        self.in_flight = False
        retry = SetTimer(
            name=REGISTRATION_RETRY_TIMER, at_ms=Millis(now_ms + REGISTRATION_RETRY_MS)
        )
        return [], retry

    def on_retry_timer(self, now_ms: Millis) -> list[CoordinationRequest]:
        """Try the registration again (a previous session held the znode)."""
        if self.registered or self.in_flight:
            return []
        return [self._create(now_ms)]


def broker_id_of(node_id: NodeId) -> BrokerId | None:
    """The broker id of a ``broker-<n>`` node id, or None for any other node."""
    prefix, _, number = node_id.partition("-")
    return BrokerId(int(number)) if prefix == "broker" and number.isdigit() else None


def checked_broker_id(node_id: NodeId, config: BrokerConfig) -> BrokerId:
    """The broker id, checked against the node id (``broker-<id>``)."""
    from_node = broker_id_of(node_id)
    if config.broker_id == -1 and from_node is not None:
        return from_node
    if from_node is None or from_node != config.broker_id:
        raise GlassKafkaError(
            f"property 'broker.id' has value {config.broker_id} but the node is {node_id!r}; "
            f"allowed: the id in the node name broker-<id>, or -1 to take it from there"
        )
    return from_node
