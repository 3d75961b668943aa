"""The coordinator as a broker role: ownership, loading, failover, inspection, hostile input.

Covers the seam of ``glasskafka/group/host.py``: which answers a request gets while its offsets
partition is loading or led elsewhere, what survives a failover, what DescribeGroups,
ListGroups and FindCoordinator report, and inputs a careless or hostile peer could send.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator

import pytest
from glasskafka.config import TopicConfig
from glasskafka.errors import ErrorCode
from glasskafka.group import (
    CoordinatorEndpoint,
    GroupCoordinator,
    GroupCoordinatorConfig,
    GroupState,
    OffsetsPartitionState,
    parse_timer,
    timer_name,
)
from glasskafka.ids import Millis, NodeId, PartitionId
from glasskafka.log import PartitionLog
from glasskafka.node import Message, Send
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.messages.committed_offsets import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchRequestTopic,
    OffsetFetchResponse,
)
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_listing import (
    DescribeGroupsRequest,
    DescribeGroupsResponse,
    ListGroupsRequest,
    ListGroupsResponse,
)
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)
from glasskafka.records import encode_batch
from glasskafka.storage import SimDisk

from model_tests.test_group_harness import PARTITION, CoordinatorHarness, join_request


@pytest.fixture
def harness() -> Iterator[CoordinatorHarness]:
    h = CoordinatorHarness.started()
    yield h
    assert h.unread() == [], f"responses nobody checked: {h.unread()}"


def stable_group(h: CoordinatorHarness) -> tuple[str, str]:
    """c1 (leader) and c2 in a Stable generation 1, with offset 5 committed for t-0."""
    h.join("c1", metadata=b"s1")
    h.join("c2", metadata=b"s2")
    h.advance(0)
    one = h.take("c1", JoinGroupResponse).member_id
    two = h.take("c2", JoinGroupResponse).member_id
    h.sync("c2", two, 1)
    h.sync("c1", one, 1, **{one: b"A", two: b"B"})
    h.complete_all()
    h.take("c1", SyncGroupResponse)
    h.take("c2", SyncGroupResponse)
    h.send("c1", _commit(one))
    h.complete_all()
    h.take("c1", OffsetCommitResponse)
    return one, two


def _commit(member: str, *, partition: int = 0, offset: int = 5) -> OffsetCommitRequest:
    entry = OffsetCommitRequestPartition(
        partition_index=partition, committed_offset=offset, committed_metadata=""
    )
    return OffsetCommitRequest(
        group_id="g",
        generation_id=1,
        member_id=member,
        topics=(OffsetCommitRequestTopic(name="t", partitions=(entry,)),),
    )


def fail_over(h: CoordinatorHarness, *, load: bool = True) -> CoordinatorHarness:
    """Hand the offsets partition to a new coordinator that replays the old one's log."""
    h.apply(h.coordinator.become_follower(PARTITION, Millis(h.now)))
    new = CoordinatorHarness(
        GroupCoordinator(broker_id=2, config=h.coordinator.config, rng=random.Random(2)),
        now=h.now,
        log=list(h.log),
    )
    new.apply(new.coordinator.become_leader(PARTITION, Millis(new.now)))
    if load:
        new.apply(new.coordinator.load(PARTITION, encode_batch(new.log), Millis(new.now)))
    return new


def test_failover_resumes_the_stable_group_and_its_offsets(harness: CoordinatorHarness) -> None:
    one, two = stable_group(harness)
    new = fail_over(harness)
    view = new.coordinator.group("g")
    assert view is not None
    assert (view.state, view.generation_id, view.leader_id) == (GroupState.STABLE, 1, one)
    assert view.members == (one, two) and dict(view.assignments) == {one: b"A", two: b"B"}
    assert view.offsets == ((("t", 0), 5),)
    assert new.heartbeat("c2", two, 1) is ErrorCode.NONE
    new.sync("c2", two, 1)
    assert new.take("c2", SyncGroupResponse).assignment == b"B"
    new.advance(5000)
    assert new.heartbeat("c2", two, 1) is ErrorCode.NONE
    new.advance(5000)  # c1's restarted session ends: the new coordinator never heard from it
    assert new.heartbeat("c2", two, 1) is ErrorCode.REBALANCE_IN_PROGRESS
    assert new.unread() == []


def test_unloading_answers_parked_requests_not_coordinator(harness: CoordinatorHarness) -> None:
    one, two = stable_group(harness)
    harness.join("c1", one)  # parked: a rebalance begins
    harness.apply(harness.coordinator.become_follower(PARTITION, Millis(harness.now)))
    answer = harness.take("c1", JoinGroupResponse)
    assert answer.error_code == ErrorCode.NOT_COORDINATOR
    assert harness.coordinator.group("g") is None
    assert [t.target for t in harness.coordinator.last_transitions] == [GroupState.DEAD]
    assert not harness.timers  # every timer of the group was cancelled
    assert harness.heartbeat("c2", two, 1) is ErrorCode.NOT_COORDINATOR


def test_a_generation_whose_assignment_was_never_stored_is_forgotten(
    harness: CoordinatorHarness,
) -> None:
    one, two = stable_group(harness)
    harness.join("c1", one)
    harness.join("c2", two)
    harness.advance(0)
    for client in ("c1", "c2"):
        assert harness.take(client, JoinGroupResponse).generation_id == 2
    new = fail_over(harness)  # generation 2 was never stored
    view = new.coordinator.group("g")
    assert view is not None and view.generation_id == 1
    assert new.heartbeat("c1", one, 2) is ErrorCode.ILLEGAL_GENERATION


@pytest.mark.parametrize(
    ("body", "kind", "expected"),
    [
        (join_request(), JoinGroupResponse, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS),
        (
            SyncGroupRequest(group_id="g", generation_id=1, member_id="m", assignments=()),
            SyncGroupResponse,
            ErrorCode.REBALANCE_IN_PROGRESS,
        ),
        (
            HeartbeatRequest(group_id="g", generation_id=1, member_id="m"),
            HeartbeatResponse,
            ErrorCode.NONE,
        ),
        (
            LeaveGroupRequest(group_id="g", member_id="m"),
            LeaveGroupResponse,
            ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ),
        (
            OffsetFetchRequest(group_id="g", topics=None),
            OffsetFetchResponse,
            ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ),
    ],
)
def test_answers_while_loading(
    harness: CoordinatorHarness, body: Message, kind: type, expected: ErrorCode
) -> None:
    new = fail_over(harness, load=False)
    assert new.coordinator.partitions == {PARTITION: OffsetsPartitionState.LOADING}
    new.send("c1", body)
    assert new.take("c1", kind).error_code == expected


def test_a_group_of_another_broker_is_not_coordinated_here() -> None:
    h = CoordinatorHarness.started(offsets_topic_num_partitions=50)
    # my-group lives on partition 12 (placement golden vector); this broker leads only 0.
    h.send("c1", join_request(group_id="my-group"))
    assert h.take("c1", JoinGroupResponse).error_code == ErrorCode.NOT_COORDINATOR
    h.send(
        "c1",
        OffsetFetchRequest(
            group_id="my-group", topics=(OffsetFetchRequestTopic(name="t", partition_indexes=(0,)),)
        ),
    )
    answer = h.take("c1", OffsetFetchResponse)
    assert answer.error_code == ErrorCode.NOT_COORDINATOR
    assert answer.topics[0].partitions[0].error_code == ErrorCode.NOT_COORDINATOR


def test_an_empty_group_id_is_invalid_for_membership(harness: CoordinatorHarness) -> None:
    harness.send("c1", join_request(group_id=""))
    assert harness.take("c1", JoinGroupResponse).error_code == ErrorCode.INVALID_GROUP_ID


def test_describe_groups(harness: CoordinatorHarness) -> None:
    one, two = stable_group(harness)
    harness.send("admin", DescribeGroupsRequest(groups=("g", "nobody")))
    answer = harness.take("admin", DescribeGroupsResponse)
    assert isinstance(answer, DescribeGroupsResponse)
    described, unknown = answer.groups
    assert (described.group_state, described.protocol_type, described.protocol_data) == (
        "Stable",
        "consumer",
        "range",
    )
    assert [
        (m.member_id, m.client_id, m.member_metadata, m.member_assignment)
        for m in described.members
    ] == [
        (one, "c1", b"s1", b"A"),
        (two, "c2", b"s2", b"B"),
    ]
    assert (unknown.error_code, unknown.group_state, unknown.members) == (
        ErrorCode.NONE,
        "Dead",
        (),
    )
    harness.join("c1", one)  # not Stable: members listed without metadata or assignment
    harness.send("admin", DescribeGroupsRequest(groups=("g",)))
    (preparing,) = harness.take("admin", DescribeGroupsResponse).groups
    assert preparing.group_state == "PreparingRebalance" and preparing.protocol_data == ""
    assert {m.member_assignment for m in preparing.members} == {b""}
    harness.advance(30000)
    harness.take("c1", JoinGroupResponse)


def test_list_groups(harness: CoordinatorHarness) -> None:
    stable_group(harness)
    harness.send("admin", ListGroupsRequest())
    answer = harness.take("admin", ListGroupsResponse)
    assert isinstance(answer, ListGroupsResponse) and answer.error_code == ErrorCode.NONE
    assert [(g.group_id, g.protocol_type) for g in answer.groups] == [("g", "consumer")]
    new = fail_over(harness, load=False)
    new.send("admin", ListGroupsRequest())
    assert (
        new.take("admin", ListGroupsResponse).error_code == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    )


def test_find_coordinator(harness: CoordinatorHarness) -> None:
    harness.send("c1", FindCoordinatorRequest(key="g"))
    missing = harness.take("c1", FindCoordinatorResponse)
    assert missing.error_code == ErrorCode.COORDINATOR_NOT_AVAILABLE
    harness.coordinator.set_offsets_topic_leaders(
        {PartitionId(0): CoordinatorEndpoint(node_id=3, host="h3", port=9093)}
    )
    harness.send("c1", FindCoordinatorRequest(key="g"))
    found = harness.take("c1", FindCoordinatorResponse)
    assert isinstance(found, FindCoordinatorResponse)
    assert (found.error_code, found.node_id, found.host, found.port) == (
        ErrorCode.NONE,
        3,
        "h3",
        9093,
    )
    harness.send("c1", FindCoordinatorRequest(key="txn", key_type=1))
    assert harness.take("c1", FindCoordinatorResponse).error_code == ErrorCode.INVALID_REQUEST
    harness.send("c1", FindCoordinatorRequest(key=""))
    assert harness.take("c1", FindCoordinatorResponse).error_code == ErrorCode.INVALID_GROUP_ID


def test_odd_group_ids_survive_timer_names(harness: CoordinatorHarness) -> None:
    odd = 'g:"]\\ ☃'
    harness.send("c1", join_request(group_id=odd), api_version=3)
    harness.advance(0)
    answer = harness.take("c1", JoinGroupResponse)
    assert answer.generation_id == 1
    name = timer_name("heartbeat", odd, "m")
    assert parse_timer(name) == ("heartbeat", [odd, "m"])


@pytest.mark.parametrize(
    "name",
    [
        "zk:tick",
        "group:",
        "group:join",
        "group:join:[",
        "group:join:{}",
        "group:join:[true]",
        'group:nope:["g"]',
        'group:heartbeat:["g"]',
    ],
)
def test_unknown_or_garbled_timers_do_nothing(harness: CoordinatorHarness, name: str) -> None:
    stable_group(harness)
    before = harness.coordinator.group("g")
    harness.apply(harness.coordinator.on_timer(name, Millis(harness.now)))
    assert harness.coordinator.group("g") == before


def test_unknown_append_ids_are_ignored(harness: CoordinatorHarness) -> None:
    step = harness.coordinator.on_append_completed(12345, ErrorCode.NONE, Millis(0))
    assert step.outputs == () and step.appends == ()


def test_loading_twice_or_for_an_unled_partition_does_nothing(harness: CoordinatorHarness) -> None:
    stable_group(harness)
    before = harness.coordinator.group("g")
    harness.apply(harness.coordinator.load(PARTITION, b"garbage", Millis(harness.now)))
    harness.apply(harness.coordinator.load(PartitionId(7), b"", Millis(harness.now)))
    assert harness.coordinator.group("g") == before


def test_a_garbage_offsets_log_loads_what_it_can() -> None:
    config = GroupCoordinatorConfig(offsets_topic_num_partitions=1)
    coordinator = GroupCoordinator(broker_id=1, config=config)
    coordinator.become_leader(PARTITION, Millis(0))
    step = coordinator.load(PARTITION, b"\x00" * 7 + b"\xff" * 100, Millis(0))
    assert step.outputs == () and coordinator.groups == {}
    assert coordinator.partitions[PARTITION] is OffsetsPartitionState.ACTIVE
    assert coordinator.load_skipped == 1


def test_the_role_answers_every_request_with_its_own_correlation_id(
    harness: CoordinatorHarness,
) -> None:
    envelope = request(
        HeartbeatRequest(group_id="g", generation_id=0, member_id="x"),
        correlation_id=77,
        client_id="c1",
    )
    step = harness.coordinator.on_request(NodeId("c1"), envelope, Millis(0))
    (send,) = step.outputs
    assert isinstance(send, Send) and isinstance(send.message, KafkaResponse)
    assert send.to == "c1" and send.message.correlation_id == 77


def test_a_compacted_offsets_log_loads_the_same_groups_and_offsets() -> None:
    """The records go through glasskafka's real log with cleanup.policy=compact: after the
    cleaner keeps only each key's latest record, a new coordinator loads the same state."""
    harness = CoordinatorHarness.started()
    one, two = stable_group(harness)
    for offset in range(6, 30):  # many commits of the same key: compaction fodder
        harness.send("c1", _commit(one, partition=offset % 2, offset=offset))
        harness.complete_all()
        harness.take("c1", OffsetCommitResponse)
    log = PartitionLog.open(
        SimDisk(),
        "__consumer_offsets",
        0,
        TopicConfig(cleanup_policy="compact", segment_bytes=400),
        now_ms=0,
    )
    for record in harness.log:
        log.append_as_leader(encode_batch([record]), leader_epoch=0, now_ms=0)
    stats = log.compact(now_ms=0)
    assert stats.records_removed > 10
    compacted = b"".join(log.disk.read(segment.log_path) for segment in log.segments)
    fresh = GroupCoordinator(broker_id=2, config=harness.coordinator.config)
    fresh.become_leader(PARTITION, Millis(0))
    fresh.load(PARTITION, compacted, Millis(0))
    assert fresh.group("g") == harness.coordinator.group("g")
    view = fresh.group("g")
    assert view is not None and dict(view.offsets) == {("t", 0): 28, ("t", 1): 29}
    del two


def test_hostile_membership_requests_get_error_codes_not_crashes(
    harness: CoordinatorHarness,
) -> None:
    one, _ = stable_group(harness)
    no_protocols = join_request(protocols=())
    harness.send("x", no_protocols, api_version=3)
    assert harness.take("x", JoinGroupResponse).error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    other_type = dataclasses.replace(join_request(), protocol_type="connect")
    harness.send("x", other_type)
    assert harness.take("x", JoinGroupResponse).error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    harness.send("x", join_request("made-up-id"))
    assert harness.take("x", JoinGroupResponse).error_code == ErrorCode.UNKNOWN_MEMBER_ID
    harness.sync("x", "made-up-id", 1)
    assert harness.take("x", SyncGroupResponse).error_code == ErrorCode.UNKNOWN_MEMBER_ID
    harness.sync("c1", one, 7)
    assert harness.take("c1", SyncGroupResponse).error_code == ErrorCode.ILLEGAL_GENERATION
    harness.send("x", LeaveGroupRequest(group_id="g", members=()))
    assert harness.take("x", LeaveGroupResponse).members == ()
    view = harness.coordinator.group("g")
    assert view is not None and view.state is GroupState.STABLE and view.generation_id == 1
