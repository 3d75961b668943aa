"""The simulator's wire option: model suites with every message carried as bytes.

With the option on (``glasskafka.sim.wire``), each message is encoded to bytes and decoded again
just before delivery -- Kafka's API messages by ``glasskafka.protocol`` at the version the runtime
would send, the coordination service's by ``glasskafka.runtime.zk_codec`` -- and, in the
``exact`` mode used here, the decoded copy must equal the original.  So a field that a version
cannot carry, a value too large for its type, or a message no codec knows fails the run that
sent it, naming the message.

This file runs a representative subset in the normal suite, each machine with few, short
examples: replication with faults (``Safe``), the idempotent producer against a cluster, a
consumer group against a cluster of group coordinators, and a consumer on a simulated broker.
The whole model suite runs the same way with ``GLASSKAFKA_SIM_WIRE=exact`` (or ``=1`` for decoded
copies without the equality check); see ``model_tests/conftest.py``.

The last tests are the option's teeth: a message the codec cannot carry, or one that changes on
the wire, stops the simulation with an error naming it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from glasskafka.coordination.messages import PingRequest
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output, Send
from glasskafka.protocol.envelope import KafkaRequest, request
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest
from glasskafka.protocol.messages.metadata import MetadataRequest
from glasskafka.sim import Simulator
from glasskafka.sim.wire import WireCodecError, WireRoundTrip, default_wire, use_wire_by_default
from glasskafka.storage import SimDisk
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from model_tests.conftest import wire_round_trip
from model_tests.test_consumer_model import ConsumerGroupMachine
from model_tests.test_group_cluster import GroupClusterMachine
from model_tests.test_idempotence_cluster import ClusterProducerMachine
from model_tests.test_replication_model import Safe

SUBSET: dict[str, tuple[type[RuleBasedStateMachine], int]] = {
    "replication": (Safe, 20),
    "idempotent-producer": (ClusterProducerMachine, 20),
    "group-cluster": (GroupClusterMachine, 6),
    "consumer-group": (ConsumerGroupMachine, 20),
}
"""One machine per concern whose messages cross the simulated network, with its step count."""


@pytest.fixture()
def wire() -> Iterator[WireRoundTrip]:
    """Turn the exact wire option on for every simulator built in the test, then restore."""
    before = default_wire()
    chosen = wire_round_trip(exact=True)
    use_wire_by_default(chosen)
    try:
        yield chosen
    finally:
        use_wire_by_default(before)


@pytest.mark.parametrize("name", sorted(SUBSET))
def test_the_model_holds_with_every_message_on_the_wire(name: str, wire: WireRoundTrip) -> None:
    machine, steps = SUBSET[name]
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=3, stateful_step_count=steps, deadline=None, database=None),
    )
    assert wire.carried > 0, "the option was on, so messages must have gone through the codec"


# -- teeth -------------------------------------------------------------------------------------


@dataclass
class _Talker(Node):
    """Sends one message to ``to`` at start and records what it receives."""

    node_id: NodeId
    to: NodeId
    message: Message
    received: list[Message]

    def on_start(self, now_ms: Millis) -> list[Output]:
        return [Send(to=self.to, message=self.message)]

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        self.received.append(message)
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []


def _run(message: Message, wire: WireRoundTrip) -> list[Message]:
    sim = Simulator(seed=1, wire=wire)
    inbox: list[Message] = []
    quiet = request(MetadataRequest(topics=()), correlation_id=0)

    def sender(node_id: NodeId, disk: SimDisk, rng: random.Random) -> Node:
        return _Talker(node_id, NodeId("b"), message, [])

    def receiver(node_id: NodeId, disk: SimDisk, rng: random.Random) -> Node:
        return _Talker(node_id, NodeId("nobody"), quiet, inbox)

    sim.add_node(NodeId("b"), receiver)
    sim.add_node(NodeId("a"), sender)
    sim.run_until_quiet(deadline_ms=10_000)
    return inbox


def test_a_kafka_request_arrives_as_its_decoded_copy() -> None:
    sent = request(MetadataRequest(topics=None), correlation_id=7, client_id="c")
    assert _run(sent, wire_round_trip(exact=True)) == [sent]


def test_a_message_no_codec_carries_stops_the_simulation_naming_it() -> None:
    # Without the coordination codec, a coordination message has no way onto the wire.
    ping = PingRequest(xid=1)
    with pytest.raises(WireCodecError, match="no wire codec carries PingRequest"):
        _run(ping, WireRoundTrip(()))
    assert _run(ping, wire_round_trip(exact=True)) == [ping]


def test_a_kafka_envelope_around_a_non_kafka_body_cannot_travel() -> None:
    envelope = KafkaRequest(correlation_id=3, body=PingRequest(xid=1))
    with pytest.raises(WireCodecError, match="cannot carry KafkaRequest\\(PingRequest\\)"):
        _run(envelope, wire_round_trip())


def test_a_value_too_large_for_its_field_stops_the_simulation() -> None:
    # controller_id is an int32 on the wire.
    body = LeaderAndIsrRequest(controller_id=2**31, controller_epoch=1, live_leaders=())
    with pytest.raises(WireCodecError, match="cannot carry KafkaRequest\\(LeaderAndIsrRequest\\)"):
        _run(request(body, correlation_id=1), wire_round_trip())
