"""Start-up, registration and the coordination session; restarts; the controller role's seam.

A broker registers the ephemeral ``/brokers/ids/<id>`` through its one session, registers again
after the session expires, waits out a previous incarnation's registration, and restores its
high watermarks from ``replication-offset-checkpoint`` after a restart.
"""

from __future__ import annotations

import json
import random

import pytest
from glasskafka.broker import BrokerNode, Role
from glasskafka.config import BrokerConfig
from glasskafka.controller.role import CoordinationRequest, RoleStep
from glasskafka.coordination import CreateRequest, GetDataRequest, RequestCompleted, WatchTriggered
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Send, SetTimer
from glasskafka.protocol.envelope import KafkaResponse, answer
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrResponse
from glasskafka.protocol.messages.produce import ProduceResponse
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreatableTopicResult,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.storage import SimDisk
from tests.test_broker_harness import (
    PRODUCER,
    TOPIC,
    ZK,
    Bench,
    batch,
    bench,
    leader_and_isr_request,
    produce_request,
)

__all__ = ["bench"]

B1 = NodeId("broker-1")
ADMIN = NodeId("admin-1")


def test_start_creates_the_parents_and_the_ephemeral_registration(bench: Bench) -> None:
    broker = bench.add_broker(1)
    for path in (
        "/brokers/ids",
        "/brokers/topics",
        "/admin/delete_topics",
        "/isr_change_notification",
    ):
        assert bench.zk.znode(path) is not None, path
    znode = bench.zk.znode("/brokers/ids/1")
    assert znode is not None and znode.ephemeral_owner == broker.client.session_id
    data = json.loads(znode.data)
    assert (data["host"], data["port"], data["endpoints"]) == (
        "broker1",
        9092,
        ["PLAINTEXT://broker1:9092"],
    )
    assert broker.registered


def test_an_expired_session_is_replaced_and_the_broker_registers_again(bench: Bench) -> None:
    broker = bench.add_broker(1)
    first = broker.client.session_id
    bench.hold_zk = True  # a network partition between the broker and zk
    bench.advance(9000)  # past zookeeper.session.timeout.ms (6000, rounded up to ticks)
    bench.lose_connection(B1, ZK)
    assert bench.zk.znode("/brokers/ids/1") is None  # the server expired the session
    bench.hold_zk = False
    bench.advance(2000)  # the broker reconnects, learns of the expiry, starts a new session
    assert broker.client.session_id not in (0, first)
    znode = bench.zk.znode("/brokers/ids/1")
    assert znode is not None and znode.ephemeral_owner == broker.client.session_id
    assert broker.registered
    calls = [name for name, _ in bench.role(1).calls]
    assert calls == [
        "session_connected",
        "connection_lost",
        "session_expired",
        "session_connected",
    ]


def test_a_restarted_broker_waits_for_its_previous_registration_to_expire(bench: Bench) -> None:
    bench.add_broker(1)
    bench.crash(1)
    broker = bench.add_broker(1)  # same disk, new process, new session
    assert not bench.brokers[B1].registered
    assert "broker:register-retry" in bench.timers[B1]
    bench.advance(10000)  # the old session expires; a retry then succeeds
    assert broker.registered
    znode = bench.zk.znode("/brokers/ids/1")
    assert znode is not None and znode.ephemeral_owner == broker.client.session_id


def test_a_restart_restores_logs_and_checkpointed_high_watermarks(bench: Bench) -> None:
    bench.add_broker(1)
    bench.leader_and_isr(1, leader=1, leader_epoch=1, isr=(1,))
    bench.send(PRODUCER, B1, bench.envelope(produce_request(batch("a", "b"))))
    bench.take_one(PRODUCER, ProduceResponse)
    bench.advance(5000)  # replica.high.watermark.checkpoint.interval.ms
    bench.crash(1)
    broker = bench.add_broker(1)
    state = broker.partition_state(TOPIC, 0)
    assert state is not None
    assert (state.role, state.leader_epoch, state.high_watermark, state.log_end_offset) == (
        Role.NONE,
        -1,
        2,
        2,
    )
    assert state.epoch_cache == ((1, 0),)
    bench.advance(7000)


def test_the_broker_id_must_match_the_node_id() -> None:
    with pytest.raises(GlassKafkaError, match=r"broker\.id"):
        BrokerNode(
            NodeId("broker-2"), SimDisk(), random.Random(0), config=BrokerConfig(broker_id=1)
        )
    with pytest.raises(GlassKafkaError, match=r"broker\.id"):
        BrokerNode(NodeId("zk"), SimDisk(), random.Random(0), config=BrokerConfig())
    derived = BrokerNode(NodeId("broker-7"), SimDisk(), random.Random(0), config=BrokerConfig())
    assert derived.broker_id == 7


@pytest.mark.parametrize(
    "listeners", ["broker1:9092", "PLAINTEXT://broker1", "PLAINTEXT://h:99999", ""]
)
def test_a_malformed_listener_is_refused_with_the_property_named(listeners: str) -> None:
    config = BrokerConfig(broker_id=1, listeners=listeners)
    with pytest.raises(GlassKafkaError, match=r"'listeners'.*NAME://host:port"):
        BrokerNode(NodeId("broker-1"), SimDisk(), random.Random(0), config=config)


def test_an_empty_listener_host_advertises_loopback(bench: Bench) -> None:
    bench.add_broker(1, listeners="PLAINTEXT://:9093")
    znode = bench.zk.znode("/brokers/ids/1")
    assert znode is not None and json.loads(znode.data)["host"] == "127.0.0.1"


# ---------------------------------------------------------------------------------------------
# The seam with the controller role


def create_topics(timeout_ms: int = 1000) -> CreateTopicsRequest:
    topic = CreatableTopic(
        name="t", num_partitions=1, replication_factor=1, assignments=(), configs=()
    )
    return CreateTopicsRequest(topics=(topic,), timeout_ms=timeout_ms)


def role_tick(bench: Bench, step: RoleStep) -> None:
    """Make the role take ``step`` on a timer of its own (any later input of the role)."""
    bench.role(1).answers.append(step)
    bench.timers[B1]["controller:tick"] = bench.now
    bench.advance(0)


def test_create_topics_goes_to_the_active_role_and_the_admin_waits_for_its_answer(
    bench: Bench,
) -> None:
    bench.add_broker(1)
    role = bench.role(1)
    bench.send(ADMIN, B1, bench.envelope(create_topics()))
    refused = bench.take_one(ADMIN, CreateTopicsResponse)
    assert [t.error_code for t in refused.topics] == [ErrorCode.NOT_CONTROLLER]
    role.active = True
    create = bench.envelope(create_topics())
    delete = bench.envelope(DeleteTopicsRequest(topic_names=("x",), timeout_ms=5))
    bench.send(ADMIN, B1, create)
    bench.send(ADMIN, B1, delete)  # held: the admin waits for the create's answer
    assert bench.take(ADMIN) == []
    assert role.calls[-1] == ("message", (ADMIN, create))
    created = CreateTopicsResponse(
        topics=(CreatableTopicResult(name="t", error_code=0, error_message=None),)
    )
    role_tick(bench, RoleStep(outputs=(Send(to=ADMIN, message=answer(create, created)),)))
    (first,) = bench.take(ADMIN)
    assert isinstance(first, KafkaResponse) and first.correlation_id == create.correlation_id
    assert role.calls[-1] == ("message", (ADMIN, delete))  # now the held request is served
    bench.advance(5)  # the role never answers it: the broker times it out itself
    timed_out = bench.take_one(ADMIN, DeleteTopicsResponse)
    assert [t.error_code for t in timed_out.responses] == [ErrorCode.REQUEST_TIMED_OUT]
    late = DeleteTopicsResponse(responses=())
    role_tick(bench, RoleStep(outputs=(Send(to=ADMIN, message=answer(delete, late)),)))
    assert bench.take(ADMIN) == []  # a late answer from the role is dropped


def test_the_roles_messages_to_its_own_broker_are_delivered_locally(bench: Bench) -> None:
    """The network has no self-connection: the role's LeaderAndIsr to its own broker, and the
    broker's answer back to the role, are delivered after the input, in order."""
    broker = bench.add_broker(1)
    role = bench.role(1)
    request = bench.envelope(
        leader_and_isr_request(leader=1, leader_epoch=1, isr=(1,), replicas=(1,))
    )
    timer = SetTimer(name="controller:retry", at_ms=Millis(50))
    role_tick(bench, RoleStep(outputs=(Send(to=B1, message=request), timer)))
    state = broker.partition_state(TOPIC, 0)
    assert state is not None and state.role is Role.LEADER
    name, call = role.calls[-1]
    assert name == "message" and isinstance(call, tuple)
    sender, response = call
    assert sender == B1
    assert isinstance(response, KafkaResponse) and isinstance(response.body, LeaderAndIsrResponse)
    assert response.correlation_id == request.correlation_id
    assert bench.timers[B1]["controller:retry"] == 50
    bench.advance(50)
    assert role.calls[-1] == ("timer", "controller:retry")


def test_coordination_requests_of_the_role_go_through_the_brokers_session(bench: Bench) -> None:
    """THE SEAM: the broker numbers the role's requests; answers come back by ``ctx``."""
    broker = bench.add_broker(1)
    role = bench.role(1)
    create = CreateRequest(xid=0, path="/controller", data=b"x", ephemeral=True)
    role_tick(
        bench, RoleStep(coordination=(CoordinationRequest(request=create, ctx="controller:elect"),))
    )
    znode = bench.zk.znode("/controller")
    assert znode is not None and znode.ephemeral_owner == broker.client.session_id
    name, completed = role.calls[-1]
    assert name == "coordination" and isinstance(completed, RequestCompleted)
    assert (completed.ctx, completed.error) == ("controller:elect", 0)
    # Watches set through the session reach the role too.
    watch = GetDataRequest(xid=0, path="/controller", watch=True)
    role_tick(
        bench, RoleStep(coordination=(CoordinationRequest(request=watch, ctx="controller:watch"),))
    )
    bench.zk_write("/controller", b"y")
    name, fired = role.calls[-1]
    assert name == "coordination" and isinstance(fired, WatchTriggered)
