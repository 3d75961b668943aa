"""Connection muting: each peer's requests are answered in the order they were sent.

Theory of operation
-------------------
Kafka reads a connection's next request only after it has answered the previous one: while a
request is being handled -- or is parked in the purgatory, like an acks=all produce or a
long-poll fetch -- the socket server *mutes* the connection (``SocketServer.scala``, "Processor";
wire-protocol.md §2).  Clients rely on it: they match answers to requests by position as well as
by correlation id, and kafka-python refuses an answer whose correlation id is not the next one.

:class:`RequestChannel` keeps, per peer, why it is muted and the requests that arrived in the
meantime.  A peer is muted

* by a parked operation (its id in the purgatory), until the operation is answered; or
* by a CreateTopics/DeleteTopics request handed to the controller role, until the role's answer
  for that correlation id goes out (:class:`AwaitingController`).  If the role has not answered
  by the request's ``timeout_ms``, the broker answers REQUEST_TIMED_OUT itself, as Kafka's
  ``DelayedCreateTopics`` does, and drops the role's late answer (``suppressed``); or
* by a group request the group coordinator role keeps for later -- a JoinGroup waiting for the
  join phase, a SyncGroup waiting for the leader's assignment, an OffsetCommit waiting for its
  records to be replicated -- until the role's answer for that correlation id goes out
  (:class:`AwaitingGroup`).  No deadline is needed here: the role answers every parked request
  within the group's rebalance timeout, and every append is completed (GROUP-5,
  ``group_hosting.py``).  Kafka mutes the connection in exactly this way while a JoinGroup sits
  in its ``DelayedJoin`` purgatory, which is why the Java client and kafka-python talk to the
  coordinator on a connection of its own.

When a peer is unmuted it goes on the ``ready`` list, and the broker takes its waiting requests
one by one until one parks again.  A broken connection forgets everything about the peer:
nothing can be answered on it any more.

Requests a broker sends to itself (its controller role to its replica manager) never pass here:
in Kafka they travel on the controller's own connection, which no client request can block.

Spec IDs: none directly; LIVE-1 relies on every muted peer being unmuted eventually.

Simplified from Kafka: Kafka mutes per connection and a client may open several; glasskafka's
network has one connection per ordered pair of nodes, so muting is per peer, and a follower's
parked fetch also holds back a request from the controller hosted on the same broker (for at
most ``replica.fetch.wait.max.ms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.broker.purgatory import Purgatory
from glasskafka.ids import Millis, NodeId
from glasskafka.node import CancelTimer, SetTimer
from glasskafka.protocol.envelope import KafkaRequest

__all__ = [
    "CONTROLLER_WAIT_TIMER_PREFIX",
    "AwaitingController",
    "AwaitingGroup",
    "MuteReason",
    "RequestChannel",
    "peer_of_timer",
]

CONTROLLER_WAIT_TIMER_PREFIX = "broker:controller-wait:"
"""Timer names of requests waiting for the controller role: ``broker:controller-wait:<peer>``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitingController:
    """The peer waits for the controller role's answer to request ``request``."""

    request: KafkaRequest
    deadline_ms: Millis


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitingGroup:
    """The peer waits for the group coordinator role's answer to ``correlation_id``."""

    correlation_id: int


MuteReason = int | AwaitingController | AwaitingGroup
"""Why a peer is muted: a parked operation's id, the controller role, or the group role."""


@dataclass(slots=True, kw_only=True)
class RequestChannel:
    """Per-peer muting and the requests held back while a peer is muted."""

    muted: dict[NodeId, MuteReason] = field(default_factory=dict)
    waiting: dict[NodeId, list[KafkaRequest]] = field(default_factory=dict)
    ready: list[NodeId] = field(default_factory=list)
    suppressed: set[tuple[NodeId, int]] = field(default_factory=set)

    def is_muted(self, peer: NodeId) -> bool:
        return peer in self.muted

    def hold(self, peer: NodeId, request: KafkaRequest) -> None:
        """Keep ``request`` until ``peer`` is unmuted."""
        self.waiting.setdefault(peer, []).append(request)

    def mute_for_operation(self, peer: NodeId, operation_id: int) -> None:
        assert peer not in self.muted, f"{peer} muted twice"
        self.muted[peer] = operation_id

    def mute_for_controller(
        self, peer: NodeId, request: KafkaRequest, deadline_ms: Millis
    ) -> SetTimer:
        """Mute ``peer`` until the controller answers ``request``; return the deadline timer."""
        assert peer not in self.muted, f"{peer} muted twice"
        self.muted[peer] = AwaitingController(request=request, deadline_ms=deadline_ms)
        return SetTimer(name=CONTROLLER_WAIT_TIMER_PREFIX + peer, at_ms=deadline_ms)

    def mute_for_group(self, peer: NodeId, correlation_id: int) -> None:
        """Mute ``peer`` until the group role answers its request ``correlation_id``."""
        assert peer not in self.muted, f"{peer} muted twice"
        self.muted[peer] = AwaitingGroup(correlation_id=correlation_id)

    def group_answered(self, peer: NodeId, correlation_id: int) -> None:
        """The group role answered ``correlation_id`` to ``peer``: unmute it if it waited."""
        if self.muted.get(peer) == AwaitingGroup(correlation_id=correlation_id):
            self.unmute(peer)

    def awaiting_controller(self, peer: NodeId) -> AwaitingController | None:
        reason = self.muted.get(peer)
        return reason if isinstance(reason, AwaitingController) else None

    def unmute(self, peer: NodeId) -> None:
        """Lift the mute; the peer's held requests become ready to be taken."""
        self.muted.pop(peer, None)
        if self.waiting.get(peer) and peer not in self.ready:
            self.ready.append(peer)

    def controller_answered(self, peer: NodeId, correlation_id: int) -> CancelTimer | None:
        """The role answered ``correlation_id`` to ``peer``: unmute it if it waited for that."""
        reason = self.awaiting_controller(peer)
        if reason is None or reason.request.correlation_id != correlation_id:
            return None
        self.unmute(peer)
        return CancelTimer(name=CONTROLLER_WAIT_TIMER_PREFIX + peer)

    def take_suppressed(self, peer: NodeId, correlation_id: int) -> bool:
        """Whether a late answer must be dropped: ``peer`` already heard REQUEST_TIMED_OUT or
        its connection broke.  Forgets the entry."""
        if (peer, correlation_id) not in self.suppressed:
            return False
        self.suppressed.discard((peer, correlation_id))
        return True

    def next_request(self, peer: NodeId) -> KafkaRequest | None:
        """The next held request of ``peer``, if it is not muted."""
        queue = self.waiting.get(peer)
        if peer in self.muted or not queue:
            return None
        request = queue.pop(0)
        if not queue:
            del self.waiting[peer]
        return request

    def check_invariants(self, purgatory: Purgatory, *, local: NodeId) -> None:
        """A peer muted for an operation has it parked, and every parked operation of a peer
        (not of the broker ``local`` itself) mutes it."""
        for peer, reason in self.muted.items():
            if isinstance(reason, int):
                parked = purgatory.get(reason)
                assert parked is not None and parked.sender == peer, f"{peer} muted for nothing"
        for operation in purgatory.operations.values():
            if operation.sender != local:
                muted = self.muted.get(operation.sender)
                assert muted == operation.operation_id, f"{operation.sender} parked but not muted"

    def take_ready(self) -> NodeId | None:
        """A peer with held requests that was unmuted, or None."""
        return self.ready.pop(0) if self.ready else None

    def forget(self, peer: NodeId) -> MuteReason | None:
        """The connection to ``peer`` broke: drop its held requests; return why it was muted."""
        self.waiting.pop(peer, None)
        if peer in self.ready:
            self.ready.remove(peer)
        return self.muted.pop(peer, None)


def peer_of_timer(name: str) -> NodeId | None:
    """The peer a ``broker:controller-wait:<peer>`` timer belongs to, or None."""
    if not name.startswith(CONTROLLER_WAIT_TIMER_PREFIX):
        return None
    return NodeId(name.removeprefix(CONTROLLER_WAIT_TIMER_PREFIX))
