"""The controller role in a simulated cluster of stand-in brokers, with the real coordination
service: topics, broker failures and returns, clean/unclean/offline elections, failover,
deletion, ISR notifications and hostile znodes.  (The stand-in is ``test_controller_host.py``.)
"""

from __future__ import annotations

import pytest
from glasskafka.controller import ElectionKind
from glasskafka.controller.znodes import (
    ISR_CHANGE_SEQUENCE_PREFIX,
    PartitionState,
    encode_isr_change,
    encode_partition_state,
)
from glasskafka.coordination import CoordinationServer
from glasskafka.coordination.messages import CreateRequest, DeleteRequest, SetDataRequest
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, NodeId, PartitionId, TopicName
from glasskafka.protocol.messages.leader_and_isr import LeaderAndIsrRequest
from glasskafka.protocol.messages.stop_replica import StopReplicaRequest
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.protocol.messages.update_metadata import UpdateMetadataRequest
from glasskafka.sim import Simulator
from tests.test_controller_host import (
    SESSION_TIMEOUT_MS,
    ZK,
    RoleHost,
    active,
    build,
    call_tool,
    hosts,
    settle,
    tool,
    zk_request,
    zk_state,
)

EXPIRY_MS = SESSION_TIMEOUT_MS + 3000
"""Long enough for a dead broker's session to expire and the controller to react."""


def create(sim: Simulator, *topics: tuple[str, int, int], validate_only: bool = False) -> None:
    controller = active(sim)
    assert controller is not None
    body = CreateTopicsRequest(
        topics=tuple(
            CreatableTopic(
                name=name, num_partitions=p, replication_factor=r, assignments=(), configs=()
            )
            for name, p, r in topics
        ),
        validate_only=validate_only,
    )
    call_tool(sim, controller.node_id, body)
    settle(sim)


def last_answer(sim: Simulator) -> list[tuple[str, int]]:
    response = tool(sim).responses[-1]
    if isinstance(response, CreateTopicsResponse):
        return [(t.name, t.error_code) for t in response.topics]
    assert isinstance(response, DeleteTopicsResponse)
    return [(t.name, t.error_code) for t in response.responses]


def leaders_told(host: RoleHost, topic: str, partition: int) -> list[tuple[int, int]]:
    """(leader, leader epoch) of every LeaderAndIsr ``host`` got for the partition, in order."""
    return [
        (s.leader, s.leader_epoch)
        for m in host.received
        if isinstance(m, LeaderAndIsrRequest)
        for t, s in m.partition_states()
        if (t, s.partition_index) == (topic, partition)
    ]


def host(sim: Simulator, broker_id: int) -> RoleHost:
    return sim.node_as(NodeId(f"broker-{broker_id}"), RoleHost)


def assert_isr_never_empty(sim: Simulator) -> None:
    server = sim.node_as(ZK, CoordinationServer)
    for path in server.paths():
        if path.endswith("/state"):
            topic, partition = path.split("/")[3], int(path.split("/")[5])
            found = zk_state(sim, topic, partition)
            assert found is not None and found.isr, f"REPL-7: empty ISR at {path}"
            assert found.leader == -1 or found.leader in found.isr, f"REPL-7 at {path}"


# ---------------------------------------------------------------------------------------------
# Topics


def test_a_topic_is_placed_by_the_course_rule_and_every_replica_is_told() -> None:
    sim = build()
    create(sim, ("orders", 3, 3))
    assert last_answer(sim) == [("orders", 0)]
    expected = {0: (1, (1, 2, 3)), 1: (2, (2, 3, 1)), 2: (3, (3, 1, 2))}
    for partition, (leader, isr) in expected.items():
        assert zk_state(sim, "orders", partition) == PartitionState(
            leader=BrokerId(leader),
            leader_epoch=Epoch(0),
            isr=tuple(BrokerId(b) for b in isr),
            controller_epoch=Epoch(1),
            zk_version=0,
        )
        for replica in (1, 2, 3):
            assert leaders_told(host(sim, replica), "orders", partition) == [(leader, 0)]
    new_flags = [
        s.is_new
        for m in host(sim, 1).received
        if isinstance(m, LeaderAndIsrRequest)
        for _, s in m.partition_states()
    ]
    assert new_flags == [True, True, True]
    controller = active(sim)
    assert controller is not None
    grants = {(g.topic, g.partition, g.leader, g.leader_epoch) for g in controller.role.grants}
    assert grants == {("orders", 0, 1, 0), ("orders", 1, 2, 0), ("orders", 2, 3, 0)}


def test_create_topics_answers_each_topic_in_order_with_kafkas_codes() -> None:
    sim = build()
    create(sim, ("orders", 1, 1))
    create(
        sim,
        ("ok", 2, 2),
        ("../x", 1, 1),
        ("a/b", 1, 1),
        ("x" * 250, 1, 1),
        ("", 1, 1),
        (".", 1, 1),
        ("orders", 1, 1),
        ("zero", 0, 1),
        ("too-many-replicas", 1, 4),
    )
    assert last_answer(sim) == [
        ("ok", ErrorCode.NONE),
        ("../x", ErrorCode.INVALID_TOPIC_EXCEPTION),
        ("a/b", ErrorCode.INVALID_TOPIC_EXCEPTION),
        ("x" * 250, ErrorCode.INVALID_TOPIC_EXCEPTION),
        ("", ErrorCode.INVALID_TOPIC_EXCEPTION),
        (".", ErrorCode.INVALID_TOPIC_EXCEPTION),
        ("orders", ErrorCode.TOPIC_ALREADY_EXISTS),
        ("zero", ErrorCode.INVALID_PARTITIONS),
        ("too-many-replicas", ErrorCode.INVALID_REPLICATION_FACTOR),
    ]
    server = sim.node_as(ZK, CoordinationServer)
    assert server.znode("/brokers/topics").children == ("ok", "orders")  # type: ignore[union-attr]


def test_a_topic_named_twice_in_one_request_is_invalid_request_and_not_created() -> None:
    sim = build()
    create(sim, ("twice", 1, 1), ("twice", 1, 1))
    assert last_answer(sim) == [("twice", ErrorCode.INVALID_REQUEST)]
    assert zk_state(sim, "twice", 0) is None


def test_validate_only_checks_and_writes_nothing() -> None:
    sim = build()
    create(sim, ("dry-run", 2, 3), ("bad name", 1, 1), validate_only=True)
    assert last_answer(sim) == [("dry-run", 0), ("bad name", ErrorCode.INVALID_TOPIC_EXCEPTION)]
    assert sim.node_as(ZK, CoordinationServer).znode("/brokers/topics/dry-run") is None


def test_brokers_that_are_not_the_controller_answer_not_controller() -> None:
    sim = build()
    controller = active(sim)
    other = next(h for h in hosts(sim) if h is not controller)
    call_tool(
        sim,
        other.node_id,
        CreateTopicsRequest(
            topics=(
                CreatableTopic(
                    name="t", num_partitions=1, replication_factor=1, assignments=(), configs=()
                ),
            )
        ),
    )
    settle(sim)
    assert last_answer(sim) == [("t", ErrorCode.NOT_CONTROLLER)]


def test_topic_configs_are_stored_under_config_topics() -> None:
    sim = build()
    controller = active(sim)
    assert controller is not None
    call_tool(
        sim,
        controller.node_id,
        CreateTopicsRequest(
            topics=(
                CreatableTopic(
                    name="compacted",
                    num_partitions=1,
                    replication_factor=1,
                    assignments=(),
                    configs=(),
                ),
            )
        ),
    )
    settle(sim)
    znode = sim.node_as(ZK, CoordinationServer).znode("/config/topics/compacted")
    assert znode is not None and znode.data == b'{"config":{},"version":1}'


# ---------------------------------------------------------------------------------------------
# Broker failures and returns


def test_a_dead_leader_is_replaced_cleanly_from_the_isr_with_a_bumped_epoch() -> None:
    sim = build()
    create(sim, ("orders", 1, 3))
    sim.crash(NodeId("broker-1"))
    sim.run_for(EXPIRY_MS)
    after = zk_state(sim, "orders", 0)
    assert after is not None
    assert (after.leader, after.leader_epoch, after.isr) == (2, 1, (2, 3))
    for replica in (2, 3):
        assert leaders_told(host(sim, replica), "orders", 0)[-1] == (2, 1)
    controller = active(sim)
    assert controller is not None
    kinds = [g.kind for g in controller.role.grants if g.leader_epoch == 1]
    assert kinds == [ElectionKind.CLEAN]
    assert_isr_never_empty(sim)


def test_a_dead_follower_leaves_the_isr_and_the_leader_gets_a_new_epoch() -> None:
    sim = build()
    create(sim, ("orders", 1, 3))
    sim.crash(NodeId("broker-3"))
    sim.run_for(EXPIRY_MS)
    after = zk_state(sim, "orders", 0)
    assert after is not None and (after.leader, after.leader_epoch, after.isr) == (1, 1, (1, 2))
    assert leaders_told(host(sim, 1), "orders", 0) == [(1, 0), (1, 1)]


def test_updates_reach_every_live_broker_with_the_new_broker_list() -> None:
    sim = build()
    create(sim, ("orders", 1, 3))
    sim.crash(NodeId("broker-3"))
    sim.run_for(EXPIRY_MS)
    for replica in (1, 2):
        last = [m for m in host(sim, replica).received if isinstance(m, UpdateMetadataRequest)][-1]
        assert [b.id for b in last.live_brokers] == [1, 2]


def test_with_no_live_isr_member_the_partition_goes_offline_and_returns_cleanly() -> None:
    sim = build()
    create(sim, ("solo", 1, 1))
    assert zk_state(sim, "solo", 0) == PartitionState(
        leader=BrokerId(1),
        leader_epoch=Epoch(0),
        isr=(BrokerId(1),),
        controller_epoch=Epoch(1),
        zk_version=0,
    )
    sim.crash(NodeId("broker-1"))
    sim.run_for(EXPIRY_MS)
    offline = zk_state(sim, "solo", 0)
    assert offline is not None
    assert (offline.leader, offline.leader_epoch, offline.isr) == (-1, 1, (1,))
    sim.restart(NodeId("broker-1"))
    sim.run_for(2000)
    back = zk_state(sim, "solo", 0)
    assert back is not None and (back.leader, back.leader_epoch, back.isr) == (1, 2, (1,))
    assert leaders_told(host(sim, 1), "solo", 0)[-1] == (1, 2)
    assert_isr_never_empty(sim)


@pytest.mark.parametrize(("unclean", "leader", "isr"), [(False, -1, (1,)), (True, 2, (2,))])
def test_unclean_election_elects_outside_the_isr_only_when_enabled(
    unclean: bool, leader: int, isr: tuple[int, ...]
) -> None:
    sim = build(unclean=unclean)
    create(sim, ("risky", 1, 2))
    # Leader 1 shrank the ISR to itself (as after replica.lag.time.max.ms), as a leader does.
    shrunk = PartitionState(
        leader=BrokerId(1), leader_epoch=Epoch(0), isr=(BrokerId(1),), controller_epoch=Epoch(1)
    )
    path = "/brokers/topics/risky/partitions/0/state"
    zk_request(
        sim, SetDataRequest(xid=1, path=path, data=encode_partition_state(shrunk), version=0)
    )
    settle(sim)
    sim.crash(NodeId("broker-1"))
    sim.run_for(EXPIRY_MS)
    after = zk_state(sim, "risky", 0)
    assert after is not None
    assert (after.leader, after.leader_epoch, after.isr) == (leader, 1, isr)
    controller = active(sim)
    assert controller is not None
    if unclean:
        assert controller.role.grants[-1].kind is ElectionKind.UNCLEAN


def test_a_returning_broker_is_told_its_replicas_and_everyone_learns_of_it() -> None:
    sim = build()
    create(sim, ("orders", 3, 3))
    sim.crash(NodeId("broker-3"))
    sim.run_for(EXPIRY_MS)
    sim.restart(NodeId("broker-3"))
    sim.run_for(2000)
    returned = host(sim, 3)
    told = {
        (t, s.partition_index): s.leader
        for m in returned.received
        if isinstance(m, LeaderAndIsrRequest)
        for t, s in m.partition_states()
    }
    assert told == {("orders", 0): 1, ("orders", 1): 2, ("orders", 2): 1}
    for h in hosts(sim):
        last = [m for m in h.received if isinstance(m, UpdateMetadataRequest)][-1]
        assert [b.id for b in last.live_brokers] == [1, 2, 3]
    state = zk_state(sim, "orders", 2)
    assert state is not None and 3 not in state.isr, "only the leader brings it back into the ISR"


# ---------------------------------------------------------------------------------------------
# Controller failover


def test_a_new_controller_takes_over_with_a_higher_epoch_and_re_elects() -> None:
    sim = build()
    first = active(sim)
    assert first is not None
    create(sim, ("orders", 3, 3))
    led = next(p for p in range(3) if zk_state(sim, "orders", p).leader == first.broker_id)  # type: ignore[union-attr]
    sim.crash(first.node_id)
    sim.run_for(EXPIRY_MS)
    second = active(sim)
    assert second is not None and second.broker_id != first.broker_id
    assert second.role.controller_epoch == 2
    server = sim.node_as(ZK, CoordinationServer)
    assert server.znode("/controller_epoch").data == b"2"  # type: ignore[union-attr]
    moved = zk_state(sim, "orders", led)
    assert moved is not None and moved.leader not in (first.broker_id, -1)
    assert (moved.leader_epoch, moved.controller_epoch) == (1, 2)
    for h in hosts(sim):
        last = [m for m in h.received if isinstance(m, UpdateMetadataRequest)][-1]
        assert last.controller_epoch == 2 and last.controller_id == second.broker_id
    assert_isr_never_empty(sim)


def test_deleting_controller_by_hand_makes_the_controller_resign_and_an_election_follow() -> None:
    sim = build()
    zk_request(sim, DeleteRequest(xid=1, path="/controller"))
    settle(sim, 1000)
    controller = active(sim)
    assert controller is not None and controller.role.controller_epoch == 2
    standbys = [h for h in hosts(sim) if h is not controller]
    assert all(h.role.state.value == "STANDBY" for h in standbys)


# ---------------------------------------------------------------------------------------------
# Deletion


def test_delete_topics_stops_and_deletes_replicas_and_removes_the_znodes() -> None:
    sim = build()
    create(sim, ("doomed", 2, 2), ("kept", 1, 1))
    controller = active(sim)
    assert controller is not None
    call_tool(
        sim,
        controller.node_id,
        DeleteTopicsRequest(topic_names=("doomed", "nope"), timeout_ms=1000),
    )
    settle(sim)
    assert last_answer(sim) == [("doomed", 0), ("nope", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]
    server = sim.node_as(ZK, CoordinationServer)
    assert not [p for p in server.paths() if "doomed" in p]
    stopped = {
        (h.broker_id, tp)
        for h in hosts(sim)
        for m in h.received
        if isinstance(m, StopReplicaRequest)
        for tp in m.partitions()
    }
    assert stopped == {
        (1, ("doomed", 0)),
        (2, ("doomed", 0)),
        (2, ("doomed", 1)),
        (3, ("doomed", 1)),
    }
    removals = [
        s.leader
        for m in host(sim, 1).received
        if isinstance(m, UpdateMetadataRequest)
        for t, s in m.partition_states()
        if t == "doomed" and s.leader == -2
    ]
    assert removals == [-2, -2]
    assert zk_state(sim, "kept", 0) is not None
    create(sim, ("doomed", 1, 1))
    assert last_answer(sim) == [("doomed", 0)], "the name can be used again after deletion"


def test_a_deletion_marker_written_by_hand_deletes_the_topic_and_a_stray_one_is_removed() -> None:
    sim = build()
    create(sim, ("by-hand", 1, 1))
    zk_request(sim, CreateRequest(xid=1, path="/admin/delete_topics/by-hand"))
    zk_request(sim, CreateRequest(xid=2, path="/admin/delete_topics/never-existed"))
    settle(sim)
    server = sim.node_as(ZK, CoordinationServer)
    assert server.znode("/brokers/topics/by-hand") is None
    assert server.znode("/admin/delete_topics").children == ()  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# ISR notifications and hostile znodes


def test_an_isr_change_notification_makes_the_controller_reread_and_tell_every_broker() -> None:
    sim = build()
    create(sim, ("orders", 1, 3))
    shrunk = PartitionState(
        leader=BrokerId(1),
        leader_epoch=Epoch(0),
        isr=(BrokerId(1), BrokerId(2)),
        controller_epoch=Epoch(1),
    )
    path = "/brokers/topics/orders/partitions/0/state"
    zk_request(
        sim, SetDataRequest(xid=1, path=path, data=encode_partition_state(shrunk), version=0)
    )
    notice = encode_isr_change([(TopicName("orders"), PartitionId(0))])
    zk_request(
        sim, CreateRequest(xid=2, path=ISR_CHANGE_SEQUENCE_PREFIX, data=notice, sequential=True)
    )
    settle(sim)
    for h in hosts(sim):
        last = [m for m in h.received if isinstance(m, UpdateMetadataRequest)][-1]
        [(_, state)] = list(last.partition_states())
        assert (state.isr, state.zk_version, state.leader_epoch) == ((1, 2), 1, 0)
    server = sim.node_as(ZK, CoordinationServer)
    assert server.znode("/isr_change_notification").children == ()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/brokers/topics/garbage", b"\xff\xfe not json"),
        ("/brokers/topics/list", b"[1, 2, 3]"),
        ("/brokers/topics/bad:name", b'{"partitions":{"0":[1]},"version":1}'),
        ("/brokers/topics/weird-keys", b'{"partitions":{"x":[1]},"version":1}'),
        ("/isr_change_notification/isr_change_9", b"nonsense"),
        ("/admin/delete_topics/bad:name", b""),
    ],
)
def test_hostile_znodes_are_ignored_and_the_controller_carries_on(path: str, data: bytes) -> None:
    sim = build()
    zk_request(sim, CreateRequest(xid=1, path=path, data=data))
    settle(sim)
    create(sim, ("after", 1, 3))
    assert last_answer(sim) == [("after", 0)]
    assert zk_state(sim, "after", 0) is not None


def test_an_unreadable_partition_state_is_left_alone_while_others_are_elected() -> None:
    sim = build()
    create(sim, ("orders", 2, 3))
    path = "/brokers/topics/orders/partitions/0/state"
    zk_request(sim, SetDataRequest(xid=1, path=path, data=b"{broken", version=0))
    settle(sim)
    sim.crash(NodeId("broker-2"))
    sim.run_for(EXPIRY_MS)
    server = sim.node_as(ZK, CoordinationServer)
    assert server.znode(path).data == b"{broken"  # type: ignore[union-attr]
    other = zk_state(sim, "orders", 1)
    assert other is not None and other.leader == 3
