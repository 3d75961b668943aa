"""The simulated cluster harness (``sim/kafka_cluster.py``) with real brokers: a controller is
elected, topics are created, records produced with acks 0/1/all are consumed, a leader kill is
survived with a clean election, and an unclean configuration elects outside the ISR (S8)."""

from __future__ import annotations

import pytest
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Epoch
from glasskafka.sim.kafka_cluster import ACKS_ALL, KafkaCluster
from glasskafka.sim.trace import story


def started(seed: int = 3, overrides: dict[str, str] | None = None) -> KafkaCluster:
    cluster = KafkaCluster(brokers=3, seed=seed, overrides=overrides)
    cluster.start()
    return cluster


def values(cluster: KafkaCluster, topic: str, partition: int = 0) -> list[bytes | None]:
    return [r.value for r in cluster.consume(topic, partition)]


def test_a_three_broker_cluster_registers_and_elects_one_controller_with_epoch_1() -> None:
    cluster = started()
    controller = cluster.controller()
    assert controller is not None
    assert cluster.registered() == [1, 2, 3]
    assert cluster.controller_id() == controller.broker_id
    assert controller.controller.controller_epoch == 1
    assert all(cluster.broker(b).controller_epoch == 1 for b in cluster.broker_ids)


def test_create_describe_produce_with_acks_all_and_consume() -> None:
    cluster = started()
    result = cluster.create_topic("orders", partitions=3, replication_factor=3)
    assert result.error_code == ErrorCode.NONE
    assert cluster.describe_lines("orders") == [
        "Topic: orders\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: ",
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3",
        "\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,3,1",
        "\tTopic: orders\tPartition: 2\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2",
    ]
    offsets = [
        cluster.produce("orders", 0, [(b"k", b"v%d" % i)], acks=ACKS_ALL).base_offset
        for i in range(3)
    ]
    assert offsets == [0, 1, 2]
    consumed = cluster.consume("orders", 0)
    assert [(r.offset, r.key, r.value) for r in consumed] == [
        (0, b"k", b"v0"),
        (1, b"k", b"v1"),
        (2, b"k", b"v2"),
    ]
    assert cluster.grants.of("orders", 0) == {(BrokerId(1), Epoch(0))}


def test_acks_one_is_answered_and_acks_zero_is_not() -> None:
    cluster = started()
    cluster.create_topic("logs", partitions=1, replication_factor=2)
    one = cluster.produce("logs", 0, [(None, b"a"), (None, b"b")], acks=1)
    assert (one.answered, one.error, one.base_offset) == (True, ErrorCode.NONE, 0)
    zero = cluster.produce("logs", 0, [(None, b"c")], acks=0)
    assert not zero.answered
    cluster.run_for(1000)
    assert values(cluster, "logs") == [b"a", b"b", b"c"]


def test_create_topic_errors_come_back_as_kafka_codes() -> None:
    cluster = started()
    assert cluster.create_topic("../x").error_code == ErrorCode.INVALID_TOPIC_EXCEPTION
    assert cluster.create_topic("t", replication_factor=4).error_code == (
        ErrorCode.INVALID_REPLICATION_FACTOR
    )
    cluster.create_topic("t")
    assert cluster.create_topic("t").error_code == ErrorCode.TOPIC_ALREADY_EXISTS
    assert cluster.delete_topic("missing").error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION


def test_a_deleted_topic_leaves_every_metadata_cache_and_every_disk() -> None:
    cluster = started()
    cluster.create_topic("gone", partitions=2, replication_factor=3)
    cluster.produce("gone", 0, [(None, b"x")])
    assert cluster.delete_topic("gone").error_code == ErrorCode.NONE
    cluster.run_for(1000)
    assert cluster.topics() == []
    for broker_id in cluster.broker_ids:
        assert not cluster.broker(broker_id).metadata_cache.has_topic("gone")
        assert not [p for p, _ in cluster.disk_files(broker_id) if p.startswith("gone-")]


def test_killing_the_leader_elects_a_new_one_from_the_isr_and_loses_nothing_acked() -> None:
    cluster = started()
    cluster.create_topic("orders", partitions=1, replication_factor=3)
    for i in range(5):
        assert cluster.produce("orders", 0, [(None, b"m%d" % i)]).error is ErrorCode.NONE
    before = cluster.zk_state("orders", 0)
    assert before is not None and before.leader == 1
    cluster.kill(1)
    assert cluster.run_until(lambda: cluster.leader("orders", 0) not in (1, -1))
    assert cluster.wait_for_metadata()
    after = cluster.zk_state("orders", 0)
    assert after is not None
    assert after.leader in before.isr and after.leader_epoch == before.leader_epoch + 1
    assert 1 not in after.isr
    assert values(cluster, "orders") == [b"m%d" % i for i in range(5)]
    assert cluster.grants.of("orders", 0) == {(BrokerId(1), Epoch(0)), (after.leader, Epoch(1))}


def test_a_restarted_broker_catches_up_and_rejoins_the_isr() -> None:
    cluster = started(overrides={"replica.lag.time.max.ms": "2000"})
    cluster.create_topic("orders", partitions=1, replication_factor=3)
    cluster.kill(3)
    cluster.run_until(lambda: 3 not in cluster.zk_state("orders", 0).isr)  # type: ignore[union-attr]
    cluster.produce("orders", 0, [(None, b"while-3-was-down")])
    cluster.restart(3)
    assert cluster.run_until(lambda: 3 in cluster.zk_state("orders", 0).isr)  # type: ignore[union-attr]
    assert cluster.wait_for_metadata()
    log = cluster.broker(3).partition_state("orders", 0)
    assert log is not None and log.log_end_offset == 1


@pytest.mark.parametrize("unclean", [False, True])
def test_unclean_election_elects_outside_the_isr_and_loses_acked_data(unclean: bool) -> None:
    # S8: broker 2 dies, the ISR shrinks to {1}, broker 1 acknowledges m2 alone, then dies;
    # broker 2 comes back.  Only with unclean.leader.election.enable does it lead -- without m2.
    cluster = started(
        overrides={
            "unclean.leader.election.enable": str(unclean).lower(),
            "replica.lag.time.max.ms": "2000",
        }
    )
    cluster.create_topic("risky", partitions=1, replication_factor=2)
    assert cluster.produce("risky", 0, [(None, b"m1")]).error is ErrorCode.NONE
    cluster.run_for(1000)
    cluster.kill(2)
    assert cluster.run_until(lambda: cluster.zk_state("risky", 0).isr == (1,))  # type: ignore[union-attr]
    assert cluster.produce("risky", 0, [(None, b"m2")]).error is ErrorCode.NONE
    cluster.kill(1)
    assert cluster.run_until(lambda: cluster.leader("risky", 0) == -1)
    cluster.restart(2)
    cluster.run_for(10_000)
    state = cluster.zk_state("risky", 0)
    assert state is not None
    if unclean:
        assert (state.leader, state.isr) == (2, (2,))
        assert values(cluster, "risky") == [b"m1"], "S8: the acknowledged m2 is gone"
    else:
        assert (state.leader, state.isr) == (-1, (1,)), "offline until an ISR member returns"
        cluster.restart(1)
        assert cluster.run_until(lambda: cluster.leader("risky", 0) == 1)
        assert cluster.wait_for_metadata()
        assert values(cluster, "risky") == [b"m1", b"m2"]


@pytest.mark.parametrize("disk", ["power", "lossy"])
def test_a_broker_restarted_after_a_power_loss_recovers_and_the_cluster_settles(disk: str) -> None:
    cluster = started()
    cluster.create_topic("orders", partitions=1, replication_factor=3)
    for i in range(3):
        cluster.produce("orders", 0, [(None, b"m%d" % i)])
    cluster.kill(3, disk=disk)
    cluster.run_for(10_000)
    cluster.restart(3)
    assert cluster.run_until(cluster.ready, deadline_ms=60_000)
    assert values(cluster, "orders") == [b"m0", b"m1", b"m2"]


def test_an_unknown_kind_of_crash_is_refused_and_nothing_happens() -> None:
    cluster = started()
    with pytest.raises(GlassKafkaError, match="meteor"):
        cluster.kill(1, disk="meteor")
    assert cluster.running() == [1, 2, 3]


def test_expiring_the_controllers_session_moves_the_controller_and_bumps_the_epoch() -> None:
    cluster = started()
    first = cluster.controller()
    assert first is not None
    cluster.expire_session(first.broker_id)
    assert cluster.run_until(cluster.ready)
    second = cluster.controller()
    assert second is not None and second.controller.controller_epoch == 2
    assert not cluster.broker(first.broker_id).controller.is_active, "the old one resigned"
    assert all(cluster.broker(b).controller_epoch == 2 for b in cluster.broker_ids)


def test_a_partitioned_broker_returns_and_metadata_converges_after_healing() -> None:
    cluster = started()
    cluster.create_topic("orders", partitions=3, replication_factor=3)
    cluster.partition(["broker-3"])
    cluster.run_for(10_000)
    cluster.heal()
    assert cluster.wait_for_metadata(deadline_ms=60_000)
    assert cluster.ready()


def test_the_same_seed_gives_the_same_trace() -> None:
    stories = []
    for _ in range(2):
        cluster = started(seed=11)
        cluster.create_topic("orders", partitions=2, replication_factor=2)
        cluster.produce("orders", 1, [(None, b"x")])
        cluster.kill(2)
        cluster.run_for(10_000)
        stories.append(story(cluster.sim.trace.events))
    assert stories[0] == stories[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"brokers": 0}, "1 to 100 brokers"),
        ({"overrides": {"broker.id": "4"}}, "broker.id"),
        ({"overrides": {"no.such.property": "1"}}, "no.such.property"),
        ({"overrides": {"min.insync.replicas": "zero"}}, "min.insync.replicas"),
    ],
)
def test_bad_cluster_settings_are_refused_with_a_clear_message(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        KafkaCluster(**kwargs)  # type: ignore[arg-type]


def test_requests_before_start_are_refused_clearly() -> None:
    cluster = KafkaCluster(brokers=1)
    with pytest.raises(GlassKafkaError, match="no node 'broker-1'"):
        cluster.kill(1)
