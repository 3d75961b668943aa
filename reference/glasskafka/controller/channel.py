"""The controller's channel to brokers: envelopes, correlation ids, and re-sending after a break.

Theory of operation
-------------------
Kafka's ``ControllerChannelManager`` keeps, for every live broker, a queue of requests and a thread
that sends them one after another; if the connection breaks, the thread reconnects after a short
back-off and sends the same request again, until the broker answers or the controller learns that
the broker is dead.  Without that, a LeaderAndIsr lost in a short network partition would leave a
broker following the wrong leader until the next change (LIVE-3 would fail).

:class:`ControllerChannel` does this with plain data:

* :meth:`~ControllerChannel.send` wraps a body in a
  :class:`~glasskafka.protocol.envelope.KafkaRequest` with the next correlation id (counted from 0
  by the role, separately from the broker's own requests: the broker routes the answers to the role
  by their body type, LeaderAndIsr/UpdateMetadata/StopReplica, not by correlation id), and keeps it
  as *unacknowledged* for that broker;
* an answer (:meth:`~ControllerChannel.on_response`) removes it;
* a broken connection (:meth:`~ControllerChannel.on_connection_lost`) sets the timer
  ``controller:resend:<broker id>``, :data:`RESEND_BACKOFF_MS` later; when it fires, every
  unacknowledged request to that broker is sent again, in order, if the broker is still live.  A
  broker may therefore see a request twice; LeaderAndIsr and UpdateMetadata are idempotent for it
  (the same epochs again), and StopReplica of a deleted partition finds nothing the second time;
* :meth:`~ControllerChannel.forget` drops a broker that died, and its timer.

Outputs are queued and drained at the end of each input, like the coordination outbox.

Spec IDs: LIVE-3 (requests reach live brokers eventually).

Simplified from Kafka: one logical connection shared with the broker's own traffic instead of a
dedicated connection and thread per broker; Kafka's send thread also waits for each answer before
sending the next request, which glasskafka does not (its network is FIFO per connection anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasskafka.controller.role import CONTROLLER_CTX_PREFIX
from glasskafka.ids import BrokerId, Millis, NodeId, broker_node_id
from glasskafka.node import CancelTimer, Message, Output, Send, SetTimer
from glasskafka.protocol import envelope
from glasskafka.protocol.envelope import KafkaRequest

__all__ = ["RESEND_BACKOFF_MS", "RESEND_TIMER_PREFIX", "ControllerChannel", "broker_of_node"]

RESEND_BACKOFF_MS = 100
"""How long after a broken connection the requests are sent again (Kafka's
``RequestSendThread`` backs off 100 ms before reconnecting)."""

RESEND_TIMER_PREFIX = f"{CONTROLLER_CTX_PREFIX}resend:"

_BROKER_PREFIX = broker_node_id(BrokerId(0)).removesuffix("0")


def broker_of_node(node_id: NodeId) -> BrokerId | None:
    """The broker id of node ``"broker-<id>"``, or ``None`` for any other node (a client)."""
    suffix = node_id.removeprefix(_BROKER_PREFIX)
    if suffix == node_id or not suffix.isdigit():
        return None
    return BrokerId(int(suffix))


@dataclass(slots=True, kw_only=True)
class ControllerChannel:
    """Requests to brokers, numbered, remembered until answered, re-sent after a break."""

    client_id: str
    next_correlation_id: int = 0
    unacked: dict[BrokerId, list[KafkaRequest]] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)

    def send(self, broker: BrokerId, body: Message) -> None:
        """Queue ``body`` for ``broker`` in a new envelope."""
        request = envelope.request(
            body, correlation_id=self.next_correlation_id, client_id=self.client_id
        )
        self.next_correlation_id += 1
        self.unacked.setdefault(broker, []).append(request)
        self.outputs.append(Send(to=broker_node_id(broker), message=request))

    def on_response(self, broker: BrokerId, correlation_id: int) -> None:
        """``broker`` answered request ``correlation_id``."""
        waiting = self.unacked.get(broker, [])
        self.unacked[broker] = [r for r in waiting if r.correlation_id != correlation_id]
        if not self.unacked[broker]:
            del self.unacked[broker]

    def on_connection_lost(self, broker: BrokerId, now_ms: Millis) -> None:
        """The connection to ``broker`` broke: re-send what it has not answered, after a pause."""
        if broker in self.unacked:
            at_ms = Millis(now_ms + RESEND_BACKOFF_MS)
            self.outputs.append(SetTimer(name=self.timer_name(broker), at_ms=at_ms))

    def on_timer(self, broker: BrokerId, *, live: bool) -> None:
        """The re-send timer of ``broker`` fired."""
        if not live:
            self.forget(broker)
            return
        for request in self.unacked.get(broker, []):
            self.outputs.append(Send(to=broker_node_id(broker), message=request))

    def forget(self, broker: BrokerId) -> None:
        """``broker`` is dead: drop what it has not answered, and its timer."""
        if self.unacked.pop(broker, None) is not None:
            self.outputs.append(CancelTimer(name=self.timer_name(broker)))

    def reset(self) -> None:
        """Forget every broker (the role resigned); keep the correlation counter."""
        for broker in sorted(self.unacked):
            self.forget(broker)

    @staticmethod
    def timer_name(broker: BrokerId) -> str:
        return f"{RESEND_TIMER_PREFIX}{broker}"

    @staticmethod
    def broker_of_timer(name: str) -> BrokerId | None:
        """The broker a re-send timer is for, or ``None`` if ``name`` is not one."""
        suffix = name.removeprefix(RESEND_TIMER_PREFIX)
        if suffix == name or not suffix.lstrip("-").isdigit():
            return None
        return BrokerId(int(suffix))

    def drain(self) -> tuple[Output, ...]:
        outputs, self.outputs = tuple(self.outputs), []
        return outputs
