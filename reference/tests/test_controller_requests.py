"""What the controller sends: batching (``batch.py``), the channel (``channel.py``) and the
coordination outbox with its ``ctx`` strings (``zk_ops.py``), including hostile inputs."""

from __future__ import annotations

import pytest
from glasskafka.controller.batch import RequestBatch
from glasskafka.controller.channel import RESEND_BACKOFF_MS, ControllerChannel, broker_of_node
from glasskafka.controller.zk_ops import ROLE_XID_BASE, ZkOutbox, make_ctx, parse_ctx
from glasskafka.controller.znodes import BrokerRegistration, PartitionState
from glasskafka.ids import BrokerId, Epoch, Millis, NodeId, PartitionId, TopicName
from glasskafka.node import CancelTimer, Send, SetTimer
from glasskafka.protocol.envelope import KafkaRequest
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest
from glasskafka.protocol.messages.update_metadata import (
    UpdateMetadataPartitionState,
    UpdateMetadataRequest,
)

A0 = (TopicName("a"), PartitionId(0))
A1 = (TopicName("a"), PartitionId(1))
B0 = (TopicName("b"), PartitionId(0))
LIVE = {
    BrokerId(b): BrokerRegistration(broker_id=BrokerId(b), host=f"h{b}", port=9090 + b)
    for b in (1, 2)
}
REPLICAS = {A0: (1, 2, 3), A1: (2, 3, 1), B0: (3, 1)}
STATES = {
    A0: PartitionState(
        leader=BrokerId(1),
        leader_epoch=Epoch(2),
        isr=(BrokerId(1), BrokerId(2)),
        controller_epoch=Epoch(5),
        zk_version=4,
    ),
    A1: PartitionState(
        leader=BrokerId(2),
        leader_epoch=Epoch(0),
        isr=(BrokerId(2),),
        controller_epoch=Epoch(5),
        zk_version=0,
    ),
    B0: PartitionState(
        leader=BrokerId(-1),
        leader_epoch=Epoch(3),
        isr=(BrokerId(3),),
        controller_epoch=Epoch(5),
        zk_version=7,
    ),
}


def build(batch: RequestBatch) -> list[tuple[BrokerId, object]]:
    return list(
        batch.build(
            controller_id=BrokerId(2),
            controller_epoch=Epoch(5),
            live=LIVE,
            states=STATES,
            replicas=lambda tp: tuple(BrokerId(b) for b in REPLICAS[tp]),
        )
    )


def test_leader_and_isr_carries_each_partitions_state_grouped_by_topic() -> None:
    batch = RequestBatch()
    batch.add_leader_and_isr([BrokerId(1)], A0)
    batch.add_leader_and_isr([BrokerId(1)], A1, is_new=True)
    [(broker, request)] = build(batch)
    assert broker == 1 and isinstance(request, LeaderAndIsrRequest)
    assert (request.controller_id, request.controller_epoch) == (2, 5)
    [(topic, first), (_, second)] = list(request.partition_states())
    assert topic == "a"
    assert (first.partition_index, first.leader, first.leader_epoch, first.isr) == (0, 1, 2, (1, 2))
    assert (first.partition_epoch, first.replicas, first.is_new) == (4, (1, 2, 3), False)
    assert (second.partition_index, second.is_new) == (1, True)
    assert [(x.broker_id, x.host_name, x.port) for x in request.live_leaders] == [
        (1, "h1", 9091),
        (2, "h2", 9092),
    ]
    assert batch.empty, "building clears the batch"


def test_the_order_is_leader_and_isr_then_update_metadata_then_stop_replica() -> None:
    batch = RequestBatch()
    batch.add_stop_replica([BrokerId(1)], B0)
    batch.add_update_metadata([BrokerId(2), BrokerId(1)], [A0])
    batch.add_leader_and_isr([BrokerId(2)], A1)
    kinds = [(b, type(r).__name__) for b, r in build(batch)]
    assert kinds == [
        (2, "LeaderAndIsrRequest"),
        (1, "UpdateMetadataRequest"),
        (2, "UpdateMetadataRequest"),
        (1, "StopReplicaRequest"),
    ]


def test_update_metadata_lists_live_brokers_and_offline_replicas() -> None:
    batch = RequestBatch()
    batch.add_update_metadata([BrokerId(1)], [B0, A0])
    [(_, request)] = build(batch)
    assert isinstance(request, UpdateMetadataRequest)
    assert [(b.id, b.endpoints[0].host, b.endpoints[0].port) for b in request.live_brokers] == [
        (1, "h1", 9091),
        (2, "h2", 9092),
    ]
    states = {(t, s.partition_index): s for t, s in request.partition_states()}
    assert states[("b", 0)].leader == -1 and states[("b", 0)].offline_replicas == (3,)
    assert states[("a", 0)].offline_replicas == (3,) and states[("a", 0)].zk_version == 4


def test_a_partition_batched_twice_is_sent_once() -> None:
    batch = RequestBatch()
    batch.add_leader_and_isr([BrokerId(1)], A0)
    batch.add_leader_and_isr([BrokerId(1)], A0)
    batch.add_update_metadata([BrokerId(1)], [A0])
    batch.add_update_metadata([BrokerId(1)], [A0])
    sent = build(batch)
    assert [len(list(r.partition_states())) for _, r in sent] == [1, 1]  # type: ignore[attr-defined]


def test_brokers_that_are_not_live_and_partitions_without_state_are_skipped() -> None:
    batch = RequestBatch()
    batch.add_leader_and_isr([BrokerId(3)], A0)
    batch.add_leader_and_isr([BrokerId(1)], (TopicName("gone"), PartitionId(0)))
    batch.add_stop_replica([BrokerId(3)], A0)
    assert build(batch) == []


def test_a_removal_is_announced_with_leader_minus_two_and_stop_replica_deletes() -> None:
    batch = RequestBatch()
    last = UpdateMetadataPartitionState(
        partition_index=0,
        controller_epoch=5,
        leader=-2,
        leader_epoch=3,
        isr=(3,),
        zk_version=7,
        replicas=(3, 1),
    )
    batch.add_removal([BrokerId(1), BrokerId(2)], B0, last)
    batch.add_stop_replica([BrokerId(1)], B0)
    sent = build(batch)
    updates = [r for _, r in sent if isinstance(r, UpdateMetadataRequest)]
    assert [s.leader for r in updates for _, s in r.partition_states()] == [-2, -2]
    [stop] = [r for _, r in sent if isinstance(r, StopReplicaRequest)]
    assert stop.delete_partitions and list(stop.partitions()) == [("b", 0)]


def test_the_channel_numbers_requests_and_resends_the_unanswered_after_a_break() -> None:
    channel = ControllerChannel(client_id="controller-2")
    channel.send(
        BrokerId(1), UpdateMetadataRequest(controller_id=2, controller_epoch=5, live_brokers=())
    )
    channel.send(
        BrokerId(1), UpdateMetadataRequest(controller_id=2, controller_epoch=5, live_brokers=())
    )
    first, second = channel.drain()
    assert isinstance(first, Send) and first.to == "broker-1"
    assert isinstance(second, Send) and isinstance(second.message, KafkaRequest)
    assert isinstance(first.message, KafkaRequest)
    assert (first.message.correlation_id, second.message.correlation_id) == (0, 1)
    channel.on_response(BrokerId(1), 0)
    channel.on_connection_lost(BrokerId(1), Millis(1000))
    [timer] = channel.drain()
    assert timer == SetTimer(name="controller:resend:1", at_ms=Millis(1000 + RESEND_BACKOFF_MS))
    channel.on_timer(BrokerId(1), live=True)
    [resent] = channel.drain()
    assert resent == second, "only the unanswered request goes again, unchanged"
    channel.on_timer(BrokerId(1), live=False)
    assert channel.drain() == (CancelTimer(name="controller:resend:1"),)
    assert channel.unacked == {}


def test_a_break_with_nothing_unanswered_sets_no_timer() -> None:
    channel = ControllerChannel(client_id="c")
    channel.on_connection_lost(BrokerId(4), Millis(0))
    assert channel.drain() == ()


@pytest.mark.parametrize(
    ("name", "broker"),
    [
        ("broker-3", 3),
        ("broker-12", 12),
        ("zk", None),
        ("broker-", None),
        ("broker-x", None),
        ("client-1", None),
        ("broker--1", None),
    ],
)
def test_broker_ids_are_read_only_from_broker_node_ids(name: str, broker: int | None) -> None:
    assert broker_of_node(NodeId(name)) == broker


@pytest.mark.parametrize(
    ("name", "broker"),
    [
        ("controller:resend:4", 4),
        ("controller:resend:", None),
        ("controller:resend:x", None),
        ("other", None),
    ],
)
def test_resend_timer_names_are_parsed_strictly(name: str, broker: int | None) -> None:
    assert ControllerChannel.broker_of_timer(name) == broker


def test_ctx_round_trips_with_a_colon_in_the_topic() -> None:
    ctx = make_ctx("state", 3, "read", 7, "odd:topic")
    assert ctx == "controller:state:3:read:7:odd:topic"
    parsed = parse_ctx(ctx)
    assert parsed is not None
    assert (parsed.kind, parsed.generation, parsed.step) == ("state", 3, "read")
    assert parsed.split(1) == ["7", "odd:topic"]


@pytest.mark.parametrize(
    "ctx",
    ["", "broker:isr", "controller:", "controller:x", "controller:x:y:z", "controller:x:-1:z"],
)
def test_ctx_strings_that_are_not_the_roles_are_rejected(ctx: str) -> None:
    assert parse_ctx(ctx) is None


def test_the_outbox_uses_its_own_xid_range_and_wraps_inside_it() -> None:
    outbox = ZkOutbox()
    outbox.get_data("/a", ctx="controller:x:1:y")
    outbox.next_xid = 2**31 - 1
    outbox.exists("/b", ctx="controller:x:1:y")
    outbox.delete("/c", ctx="controller:x:1:y")
    xids = [r.request.xid for r in outbox.drain()]
    assert xids == [ROLE_XID_BASE, 2**31 - 1, ROLE_XID_BASE]
    assert outbox.drain() == ()
