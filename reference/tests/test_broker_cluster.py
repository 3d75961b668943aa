"""The broker inside a whole simulated cluster: ISR maintenance end to end, the minISR gate,
catch-up after a restart, and copying a running broker (DESIGN §7).

These run on ``glasskafka.sim.kafka_cluster`` with the real controller role, so they check the
seam as well as the broker: the leader's ISR writes reach ZooKeeper, the controller learns of
them through ``/isr_change_notification``, and every broker's metadata cache follows.
"""

from __future__ import annotations

import copy

from glasskafka.errors import ErrorCode
from glasskafka.sim.kafka_cluster import KafkaCluster

TOPIC = "orders"


def started(**overrides: str) -> KafkaCluster:
    cluster = KafkaCluster(
        brokers=3,
        seed=11,
        overrides={"replica.lag.time.max.ms": "2000", **overrides},
    )
    cluster.start()
    cluster.create_topic(TOPIC, partitions=1, replication_factor=3)
    return cluster


def zk_isr(cluster: KafkaCluster) -> tuple[int, ...]:
    state = cluster.zk_state(TOPIC, 0)
    assert state is not None
    return tuple(sorted(state.isr))


def test_a_partitioned_follower_leaves_the_isr_and_rejoins_after_healing() -> None:
    """REPL-7, CTRL-1, LIVE-3: shrink and expand by conditional writes, epoch unchanged."""
    cluster = started()
    leader = cluster.leader(TOPIC, 0)
    follower = next(b for b in cluster.broker_ids if b != leader)
    before = cluster.zk_state(TOPIC, 0)
    assert before is not None and zk_isr(cluster) == (1, 2, 3)
    cluster.partition([f"broker-{follower}"])
    assert cluster.produce(TOPIC, 0, [(None, b"m1")], acks=1).error is ErrorCode.NONE

    def applied() -> bool:
        view = cluster.broker(leader).partition_state(TOPIC, 0)
        return view is not None and follower not in view.isr

    assert cluster.run_until(applied)  # written to ZooKeeper first, then applied locally
    assert follower not in zk_isr(cluster)
    shrunk = cluster.zk_state(TOPIC, 0)
    assert shrunk is not None and shrunk.leader_epoch == before.leader_epoch  # the leader's own
    assert shrunk.zk_version > before.zk_version
    state = cluster.broker(leader).partition_state(TOPIC, 0)
    assert state is not None and state.high_watermark == 1  # no longer waits for the follower
    cluster.heal()
    assert cluster.run_until(lambda: zk_isr(cluster) == (1, 2, 3))
    assert cluster.wait_for_metadata()
    for broker in cluster.broker_ids:
        (cached,) = cluster.broker(broker).metadata_cache.entries()
        assert tuple(sorted(cached.isr)) == (1, 2, 3)
    caught_up = cluster.broker(follower).partition_state(TOPIC, 0)
    assert caught_up is not None and caught_up.log_end_offset == 1


def test_acks_all_needs_min_insync_replicas() -> None:
    """REPL-16 in a cluster: two followers lost means NOT_ENOUGH_REPLICAS until they return."""
    cluster = started(**{"min.insync.replicas": "2"})
    leader = cluster.leader(TOPIC, 0)
    others = [f"broker-{b}" for b in cluster.broker_ids if b != leader]
    assert cluster.produce(TOPIC, 0, [(None, b"a")]).error is ErrorCode.NONE
    cluster.partition(others)
    cluster.produce(TOPIC, 0, [(None, b"b")], acks=1)  # leaves the followers behind
    assert cluster.run_until(lambda: zk_isr(cluster) == (leader,))
    refused = cluster.produce(TOPIC, 0, [(None, b"c")])
    assert refused.error is ErrorCode.NOT_ENOUGH_REPLICAS
    cluster.heal()
    assert cluster.run_until(lambda: len(zk_isr(cluster)) == 3)
    assert cluster.produce(TOPIC, 0, [(None, b"d")]).error is ErrorCode.NONE
    assert [r.value for r in cluster.consume(TOPIC, 0)] == [b"a", b"b", b"d"]


def test_a_copied_cluster_continues_exactly_as_the_original() -> None:
    """DESIGN §7: a broker is plain data, so a whole cluster can be snapshotted and resumed."""
    cluster = started()
    cluster.produce(TOPIC, 0, [(None, b"x")])
    twin = copy.deepcopy(cluster)
    for each in (cluster, twin):
        each.produce(TOPIC, 0, [(None, b"y")])
        each.run_for(3000)
    for broker in cluster.broker_ids:
        assert cluster.broker(broker).partition_state(TOPIC, 0) == twin.broker(
            broker
        ).partition_state(TOPIC, 0)
    assert [r.value for r in cluster.consume(TOPIC, 0)] == [b"x", b"y"]
    assert [r.value for r in twin.consume(TOPIC, 0)] == [b"x", b"y"]
