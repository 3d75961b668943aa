"""Brokers hosting the group coordinator (``glasskafka/broker/group_hosting.py``), as transcripts.

Each test drives a simulated three-broker cluster with the scripted client (a thin protocol
client that sends the bodies it is given), so every answer is Kafka's wire-level message:
``__consumer_offsets`` is created by the first FindCoordinator; a parked JoinGroup mutes only its
own peer; commits go through the offsets log with ``acks=all`` and are read back after the
coordinator's broker fails; bad and hostile group requests get error codes, never a crash.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from glasskafka.broker.group_hosting import is_group_request
from glasskafka.broker.metadata_cache import OFFSETS_TOPIC_CONFIGS, auto_create_request
from glasskafka.broker.request_channel import AwaitingGroup
from glasskafka.config import BrokerConfig, config_from_properties
from glasskafka.errors import ErrorCode
from glasskafka.group import OFFSETS_TOPIC, partition_for
from glasskafka.ids import NodeId
from glasskafka.node import Message
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
from glasskafka.protocol.messages.group_listing import ListGroupsRequest, ListGroupsResponse
from glasskafka.protocol.messages.group_membership import (
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)
from glasskafka.protocol.messages.metadata import MetadataRequest
from glasskafka.sim.kafka_cluster import KafkaCluster, ScriptedClient

from model_tests.support import require_tool

GROUP = "g"
OVERRIDES = {"offsets.topic.num.partitions": "3", "group.initial.rebalance.delay.ms": "0"}


def started(brokers: int = 3, **extra: str) -> KafkaCluster:
    cluster = KafkaCluster(brokers=brokers, seed=2, overrides={**OVERRIDES, **extra})
    cluster.start()
    return cluster


def find_coordinator(cluster: KafkaCluster, *, client: str = "client-1") -> int:
    """Ask FindCoordinator until a coordinator is named (creating the offsets topic)."""
    for _ in range(40):
        answer = cluster.request(
            NodeId("broker-1"), FindCoordinatorRequest(key=GROUP), client=client
        )
        assert answer is not None and isinstance(answer.body, FindCoordinatorResponse)
        if answer.body.error_code == ErrorCode.NONE:
            return answer.body.node_id
        assert answer.body.error_code == ErrorCode.COORDINATOR_NOT_AVAILABLE, answer.body
        cluster.run_for(200)
    raise AssertionError("no coordinator was named")


def send(cluster: KafkaCluster, client: str, to: NodeId, body: Message) -> int:
    """Send without waiting for the answer; returns the correlation id."""
    node = cluster.client(client)
    correlation = node.next_correlation_id
    cluster.sim.call(node.node_id, lambda n, _: n.send(to, body), kind=ScriptedClient)
    return correlation


def join(member_id: str = "") -> JoinGroupRequest:
    return JoinGroupRequest(
        group_id=GROUP,
        session_timeout_ms=10000,
        rebalance_timeout_ms=10000,
        member_id=member_id,
        protocol_type="consumer",
        protocols=(JoinGroupRequestProtocol(name="range", metadata=b"m"),),
    )


def answer_of(cluster: KafkaCluster, client: str, correlation: int) -> KafkaResponse | None:
    return cluster.client(client).answers.get(correlation)


def test_find_coordinator_creates_the_offsets_topic_then_names_its_leader() -> None:
    cluster = started()
    first = cluster.request(NodeId("broker-2"), FindCoordinatorRequest(key=GROUP))
    assert first is not None and isinstance(first.body, FindCoordinatorResponse)
    assert first.body.error_code == ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert first.body.node_id == -1 and "being created" in (first.body.error_message or "")
    coordinator = find_coordinator(cluster)
    partition = partition_for(GROUP, 3)
    assert coordinator == cluster.leader(OFFSETS_TOPIC, partition)
    assert sorted(cluster.assignment(OFFSETS_TOPIC)) == [0, 1, 2]
    assert all(len(r) == 3 for r in cluster.assignment(OFFSETS_TOPIC).values())
    broker = cluster.broker(coordinator)
    assert partition in broker.groups.coordinator.partitions


def test_the_offsets_topic_waits_for_enough_live_brokers_kip_115() -> None:
    cluster = started(brokers=2)  # offsets.topic.replication.factor stays at Kafka's 3
    answer = cluster.request(NodeId("broker-1"), FindCoordinatorRequest(key=GROUP))
    assert answer is not None and isinstance(answer.body, FindCoordinatorResponse)
    assert answer.body.error_code == ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert "offsets.topic.replication.factor asks for 3" in (answer.body.error_message or "")
    cluster.run_for(2000)
    assert OFFSETS_TOPIC not in cluster.topics()  # not created with fewer replicas


def test_the_auto_create_request_for_the_offsets_topic() -> None:
    config = config_from_properties(
        BrokerConfig,
        {"offsets.topic.num.partitions": "7", "offsets.topic.replication.factor": "2"},
    )
    body = auto_create_request(OFFSETS_TOPIC, config, timeout_ms=1000)
    (topic,) = body.topics
    assert (topic.num_partitions, topic.replication_factor) == (7, 2)
    assert {c.name: c.value for c in topic.configs} == OFFSETS_TOPIC_CONFIGS
    assert OFFSETS_TOPIC_CONFIGS["cleanup.policy"] == "compact"


def test_a_parked_join_mutes_only_its_own_peer() -> None:
    cluster = started()
    coordinator = NodeId(f"broker-{find_coordinator(cluster)}")
    first = send(cluster, "a", coordinator, join())
    cluster.run_for(100)
    response = answer_of(cluster, "a", first)
    assert response is not None and isinstance(response.body, JoinGroupResponse)
    assert response.body.error_code == ErrorCode.MEMBER_ID_REQUIRED
    member = response.body.member_id
    # The join waits in the join phase; the heartbeat behind it on the same connection waits
    # for it, while another peer's request is served at once.
    parked = send(cluster, "a", coordinator, join(member))
    held = send(
        cluster,
        "a",
        coordinator,
        HeartbeatRequest(group_id=GROUP, generation_id=0, member_id=member),
    )
    other = send(cluster, "b", coordinator, ListGroupsRequest())
    cluster.run_for(50)
    listed = answer_of(cluster, "b", other)
    assert listed is not None and isinstance(listed.body, ListGroupsResponse)
    joined = answer_of(cluster, "a", parked)
    if joined is None:  # still in the join phase: the heartbeat behind it waits too
        assert answer_of(cluster, "a", held) is None
        cluster.run_for(11_000)
    joined = answer_of(cluster, "a", parked)
    assert joined is not None and isinstance(joined.body, JoinGroupResponse)
    assert joined.body.error_code == ErrorCode.NONE and joined.body.generation_id == 1
    beat = answer_of(cluster, "a", held)
    assert beat is not None and isinstance(beat.body, HeartbeatResponse)
    order = list(cluster.client("a").answers)
    assert order.index(parked) < order.index(held)  # answers in request order


def test_commits_go_through_the_offsets_log_and_survive_failover() -> None:
    cluster = started()
    find_coordinator(cluster)
    commit = OffsetCommitRequest(
        group_id="manual",
        topics=(
            OffsetCommitRequestTopic(
                name="t",
                partitions=(
                    OffsetCommitRequestPartition(
                        partition_index=0, committed_offset=42, committed_metadata=""
                    ),
                ),
            ),
        ),
    )
    manual_coordinator = cluster.leader(OFFSETS_TOPIC, partition_for("manual", 3))
    answer = cluster.request(NodeId(f"broker-{manual_coordinator}"), commit)
    assert answer is not None and isinstance(answer.body, OffsetCommitResponse)
    assert answer.body.topics[0].partitions[0].error_code == ErrorCode.NONE
    log = cluster.broker(manual_coordinator).log(OFFSETS_TOPIC, partition_for("manual", 3))
    assert log is not None and log.log_end_offset == 1
    cluster.kill(manual_coordinator)
    cluster.run_until(
        lambda: (
            cluster.leader(OFFSETS_TOPIC, partition_for("manual", 3))
            not in (manual_coordinator, -1)
        )
    )
    successor = cluster.leader(OFFSETS_TOPIC, partition_for("manual", 3))
    fetch = OffsetFetchRequest(
        group_id="manual", topics=(OffsetFetchRequestTopic(name="t", partition_indexes=(0,)),)
    )
    fetched = cluster.request(NodeId(f"broker-{successor}"), fetch)
    assert fetched is not None and isinstance(fetched.body, OffsetFetchResponse)
    assert fetched.body.topics[0].partitions[0].committed_offset == 42


def test_hostile_group_requests_get_error_codes() -> None:
    cluster = started()
    coordinator_id = find_coordinator(cluster)
    elsewhere = next(b for b in cluster.broker_ids if b != coordinator_id)
    wrong = cluster.request(NodeId(f"broker-{elsewhere}"), join("someone"))
    assert wrong is not None and isinstance(wrong.body, JoinGroupResponse)
    assert wrong.body.error_code == ErrorCode.NOT_COORDINATOR
    coordinator = NodeId(f"broker-{coordinator_id}")
    cases: list[tuple[Message, ErrorCode]] = [
        (join("never-joined"), ErrorCode.UNKNOWN_MEMBER_ID),
        (
            SyncGroupRequest(group_id=GROUP, generation_id=5, member_id="x", assignments=()),
            ErrorCode.UNKNOWN_MEMBER_ID,
        ),
        (HeartbeatRequest(group_id="", generation_id=1, member_id="x"), ErrorCode.INVALID_GROUP_ID),
        (
            JoinGroupRequest(
                group_id=GROUP,
                session_timeout_ms=1,
                member_id="",
                protocol_type="consumer",
                protocols=(),
            ),
            ErrorCode.INVALID_SESSION_TIMEOUT,
        ),
    ]
    for body, expected in cases:
        answer = cluster.request(coordinator, body)
        assert answer is not None, body
        assert isinstance(answer.body, JoinGroupResponse | SyncGroupResponse | HeartbeatResponse)
        assert answer.body.error_code == expected, (body, answer.body)
    broker = cluster.broker(coordinator_id)
    broker.check_invariants()
    assert not any(isinstance(r, AwaitingGroup) for r in broker.channel.muted.values())


def test_a_broken_connection_drops_the_parked_answer() -> None:
    cluster = started()
    coordinator = NodeId(f"broker-{find_coordinator(cluster)}")
    first = send(cluster, "a", coordinator, join())
    cluster.run_for(100)
    response = answer_of(cluster, "a", first)
    assert response is not None and isinstance(response.body, JoinGroupResponse)
    member = response.body.member_id
    send(cluster, "a", coordinator, join(member))
    send(cluster, "b", coordinator, join())  # a second member: the join phase waits for "a"
    cluster.run_for(20)
    cluster.partition([NodeId("a")])  # "a" loses its connection while parked
    cluster.run_for(100)
    cluster.heal()
    cluster.run_for(30_000)
    broker = cluster.broker(int(coordinator.removeprefix("broker-")))
    broker.check_invariants()
    assert NodeId("a") not in broker.channel.muted
    view = broker.groups.coordinator.group(GROUP)
    assert view is not None and member not in view.awaiting_join  # answered into the void
    assert is_group_request(request(MetadataRequest(topics=None), correlation_id=0)) is False
    sync = SyncGroupRequest(group_id=GROUP, generation_id=1, member_id=member, assignments=())
    assert is_group_request(request(sync, correlation_id=0))


def test_the_hosting_picture_on_the_group_coordinator_page_renders(tmp_path: Path) -> None:
    dot = require_tool("dot")
    page = Path(__file__).resolve().parents[2] / "docs" / "concepts" / "group-coordinator.md"
    (picture,) = re.findall(r"^:::\{graphviz\}\n(.*?)^:::", page.read_text("utf-8"), re.M | re.S)
    assert "group_hosting.py" in picture and "acks=all" in picture
    source = tmp_path / "hosting.dot"
    source.write_text(picture, encoding="utf-8")
    result = subprocess.run([dot, "-Tsvg", str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
