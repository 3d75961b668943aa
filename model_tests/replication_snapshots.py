"""Hand-built replication snapshots: a compact notation, and the scenarios S1-S10 as data.

Theory of operation
-------------------
The replication specs (``specs/replication.py``, ``specs/replication_steps.py``) judge
``glasskafka.sim.kafka_snapshot.ClusterSnapshot`` values.  Tests, the docs page and the
scripted replays of the model tests need such snapshots written by hand, short enough to read
against the traces of ``reference/replication-invariants.md`` §5.  This module gives:

* a notation for logs: ``"m1/1 m2/1"`` is record m1 then m2, both written in leader epoch 1
  (the reference writes ``m1@0/1``); epoch caches are derived from the log unless given;
* builders for replicas (:func:`lead`, :func:`follow`, :func:`down`, :func:`rep`), ghost state
  (:func:`ghost`, :func:`ack`), one-partition clusters (:func:`part`, :func:`cluster`) and
  variations (:func:`change`, :func:`change_zk`, :func:`change_partition`);
* :func:`healthy`, a cluster on which every invariant holds, and one function per scenario that
  returns the snapshot (or the step) at the moment its anomaly shows, with brokers 1, 2, 3
  playing A, B, C (S10 keeps the reference's brokers 0, 1, 2).

Which invariants each scenario breaks is asserted by the tests that use these snapshots
(``reference/tests/test_replication_specs.py``), not stated here.

Spec IDs: none; this is test data.

Simplified from Kafka: the scenarios are minimal hand-written states, not recordings of Kafka
runs; the offsets of S5 are scaled down from the reference's 40-60 to 2-4.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, Epoch, Offset, PartitionId, TopicName
from glasskafka.sim.kafka_snapshot import (
    AckedRecord,
    Acks,
    BrokerSnapshot,
    ClusterSnapshot,
    FetchHandled,
    LogEntry,
    PartitionGhost,
    PartitionMetadata,
    PartitionSnapshot,
    ReplicaRole,
    ReplicaState,
    StepEvent,
    ZkPartitionState,
)

__all__ = [
    "P0",
    "T",
    "ack",
    "cache_of",
    "change",
    "change_partition",
    "change_zk",
    "cluster",
    "down",
    "entries",
    "fetch",
    "follow",
    "ghost",
    "healthy",
    "ids",
    "lead",
    "part",
    "rep",
    "s1_after_step_5",
    "s1_step_4",
    "s2_after_step_4",
    "s3_after_step_5",
    "s4_after_step_4",
    "s5_after_step_6",
    "s6_after_step_4",
    "s6_step_3",
    "s7_step_2",
    "s8_after_step_4",
    "s9_after_step_3",
    "s10_after_step_4",
]

T, P0 = TopicName("t"), PartitionId(0)
LEADER, FOLLOWER, NONE = ReplicaRole.LEADER, ReplicaRole.FOLLOWER, ReplicaRole.NONE

# ---------------------------------------------------------------------------------------------
# Builders


def ids(*numbers: int) -> frozenset[BrokerId]:
    """A set of broker ids."""
    return frozenset(BrokerId(n) for n in numbers)


def entries(text: str) -> tuple[LogEntry, ...]:
    """``"m1/1 m2/1"`` as log entries."""
    pairs = (item.split("/") for item in text.split())
    return tuple((record, Epoch(int(epoch))) for record, epoch in pairs)


def cache_of(log: Sequence[LogEntry], start: int = 0) -> tuple[tuple[Epoch, Offset], ...]:
    """The leader-epoch cache that agrees with ``log`` (one entry where each epoch begins)."""
    cache: list[tuple[Epoch, Offset]] = []
    for offset, (_, epoch) in enumerate(log, start=start):
        if not cache or cache[-1][0] != epoch:
            cache.append((epoch, Offset(offset)))
    return tuple(cache)


def rep(broker: int, text: str = "", *, hw: int = 0, epoch: int = -1, **kw: Any) -> ReplicaState:
    """A replica; ``isr``/``pending``/``maximal`` take broker numbers; the cache follows the log."""
    log = entries(text)
    isr = ids(*kw.pop("isr", ()))
    proposed = kw.pop("pending", None)
    pending = None if proposed is None else ids(*proposed)
    maximal = ids(*kw.pop("maximal")) if "maximal" in kw else isr | (pending or frozenset())
    leader = kw.pop("leader", None)
    cache = kw.pop("cache", None)
    return ReplicaState(
        broker_id=BrokerId(broker),
        leader=None if leader is None else BrokerId(leader),
        leader_epoch=Epoch(epoch),
        isr=isr,
        pending_isr=pending,
        maximal_isr=maximal,
        log=log,
        high_watermark=Offset(hw),
        epoch_cache=cache_of(log) if cache is None else cache,
        **kw,
    )


def lead(
    broker: int, text: str, *, hw: int, epoch: int, isr: Iterable[int], **kw: Any
) -> ReplicaState:
    """A running leader; its epoch start offset defaults to 0."""
    kw.setdefault("leader_epoch_start_offset", Offset(0))
    return rep(broker, text, hw=hw, epoch=epoch, role=LEADER, leader=broker, isr=isr, **kw)


def follow(broker: int, text: str, *, hw: int, epoch: int, leader: int, **kw: Any) -> ReplicaState:
    """A running follower of ``leader``."""
    return rep(broker, text, hw=hw, epoch=epoch, role=FOLLOWER, leader=leader, **kw)


def down(broker: int, text: str, *, hw: int, **kw: Any) -> ReplicaState:
    """A replica whose broker is down: no role; ``text`` is what its disk holds."""
    return rep(broker, text, hw=hw, running=False, **kw)


def ack(
    record: str, offset: int, *, epoch: int = 1, isr: int = 2, acks: Acks = Acks.ALL
) -> AckedRecord:
    """A success answer for ``record`` at ``offset`` (acks=all unless told)."""
    return AckedRecord(
        record=record, acks=acks, offset=Offset(offset), leader_epoch=Epoch(epoch), isr_size=isr
    )


def ghost(committed: str = "", **kw: Any) -> PartitionGhost:
    """Ghost state with ``committed`` below the true HW; ``granted`` as (broker, epoch) pairs."""
    log = entries(committed)
    kw["granted"] = frozenset((BrokerId(b), Epoch(e)) for b, e in kw.get("granted", ()))
    kw["dirty"] = ids(*kw.get("dirty", ()))
    kw["consumed"] = tuple((Offset(o), r) for o, r in kw.get("consumed", ()))
    kw.setdefault("true_high_watermark", Offset(len(log)))
    return PartitionGhost(committed_log=log, **kw)


def part(
    *replicas: ReplicaState, leader: int | None, epoch: int, isr: Iterable[int], **kw: Any
) -> PartitionSnapshot:
    """Partition t-0 whose znode names ``leader``, ``epoch`` and ``isr``."""
    zk = ZkPartitionState(
        leader=None if leader is None else BrokerId(leader),
        leader_epoch=Epoch(epoch),
        isr=ids(*isr),
        zk_version=kw.pop("zk_version", 0),
        controller_epoch=Epoch(1),
    )
    return PartitionSnapshot(topic=T, partition=P0, replicas=replicas, zk_state=zk, **kw)


def cluster(partition: PartitionSnapshot, *, controller_epoch: int = 1) -> ClusterSnapshot:
    """One partition; every broker up iff its replica runs, and caches the znode (converged)."""
    zk = partition.zk_state
    cached = PartitionMetadata(
        topic=T, partition=P0, leader=zk.leader, leader_epoch=zk.leader_epoch, isr=zk.isr
    )
    brokers = tuple(
        BrokerSnapshot(
            broker_id=r.broker_id,
            running=r.running,
            controller_epoch=Epoch(controller_epoch),
            metadata=(cached,),
        )
        for r in partition.replicas
    )
    return ClusterSnapshot(brokers=brokers, partitions=(partition,))


def change(snapshot: ClusterSnapshot, broker: int, **changes: Any) -> ClusterSnapshot:
    """``snapshot`` with the replica on ``broker`` changed."""
    (p,) = snapshot.partitions
    replicas = tuple(
        dataclasses.replace(r, **changes) if r.broker_id == broker else r for r in p.replicas
    )
    return dataclasses.replace(snapshot, partitions=(dataclasses.replace(p, replicas=replicas),))


def change_partition(snapshot: ClusterSnapshot, **changes: Any) -> ClusterSnapshot:
    """``snapshot`` with its one partition changed."""
    (p,) = snapshot.partitions
    return dataclasses.replace(snapshot, partitions=(dataclasses.replace(p, **changes),))


def change_zk(snapshot: ClusterSnapshot, **changes: Any) -> ClusterSnapshot:
    """``snapshot`` with its partition's znode changed."""
    zk = dataclasses.replace(snapshot.partitions[0].zk_state, **changes)
    return change_partition(snapshot, zk_state=zk)


def healthy() -> ClusterSnapshot:
    """Leader 1 in epoch 1 with ISR {1, 2, 3}; m1, m2 committed and read; m3 on two replicas."""
    return cluster(
        part(
            lead(1, "m1/1 m2/1 m3/1", hw=2, epoch=1, isr=(1, 2, 3)),
            follow(2, "m1/1 m2/1 m3/1", hw=2, epoch=1, leader=1, last_fetched_high_watermark=2),
            follow(3, "m1/1 m2/1", hw=2, epoch=1, leader=1, last_fetched_high_watermark=2),
            leader=1,
            epoch=1,
            isr=(1, 2, 3),
            min_insync_replicas=2,
            ghost=ghost(
                "m1/1 m2/1",
                acked=(ack("m1", 0, isr=3), ack("m2", 1, isr=3), ack("m3", 2, acks=Acks.ONE)),
                sent=("m1", "m2", "m3"),
                consumed=[(0, "m1"), (1, "m2")],
                granted=[(1, 1)],
            ),
        )
    )


def fetch(
    follower: int, offset: int, epoch: int | None, error: ErrorCode = ErrorCode.NONE
) -> FetchHandled:
    """Leader 1 handled a fetch from ``follower`` at ``offset`` carrying ``epoch``."""
    return FetchHandled(
        topic=T,
        partition=P0,
        leader=BrokerId(1),
        follower=BrokerId(follower),
        fetch_offset=Offset(offset),
        current_leader_epoch=None if epoch is None else Epoch(epoch),
        error=error,
    )


# ---------------------------------------------------------------------------------------------
# The scenarios of reference §5, at the moment their invariants break


def s1_after_step_5() -> ClusterSnapshot:
    """A (1) truncated m2 to its HW, then was elected in epoch 2 after B (2) failed."""
    return cluster(
        part(
            lead(1, "m1/1", hw=1, epoch=2, isr=(1,), leader_epoch_start_offset=Offset(1)),
            down(2, "m1/1 m2/1", hw=2),
            leader=1,
            epoch=2,
            isr=(1,),
            ghost=ghost("m1/1 m2/1", acked=(ack("m2", 1),), granted=[(2, 1), (1, 2)]),
        )
    )


def s1_step_4() -> tuple[ClusterSnapshot, ClusterSnapshot]:
    """A restarts and, under truncate_to_local_hw_on_follow, cuts its log to its HW of 1."""
    before = cluster(
        part(
            down(1, "m1/1 m2/1", hw=1),
            lead(2, "m1/1 m2/1", hw=2, epoch=1, isr=(1, 2)),
            leader=2,
            epoch=1,
            isr=(1, 2),
            ghost=ghost("m1/1 m2/1", acked=(ack("m2", 1),), granted=[(2, 1)]),
        )
    )
    return before, change(
        before, 1, running=True, log=entries("m1/1"), epoch_cache=cache_of(entries("m1/1"))
    )


def s2_after_step_4() -> ClusterSnapshot:
    """B (2) kept m2@1/1 after a double crash while the new leader A (1) wrote m3@1/2."""
    return cluster(
        part(
            lead(1, "m1/1 m3/2", hw=2, epoch=2, isr=(1, 2), leader_epoch_start_offset=Offset(1)),
            follow(2, "m1/1 m2/1", hw=2, epoch=2, leader=1, last_fetched_high_watermark=2),
            leader=1,
            epoch=2,
            isr=(1, 2),
            ghost=ghost("m1/1 m2/1", consumed=[(1, "m3")], granted=[(2, 1), (1, 2)]),
        )
    )


def s3_after_step_5() -> ClusterSnapshot:
    """B (2) kept m3@1/2 because the KIP-101 lookup answered "epoch 2 ends at 2"."""
    return cluster(
        part(
            lead(
                1, "m1/1 m2/1 m4/3", hw=3, epoch=3, isr=(1, 2), leader_epoch_start_offset=Offset(2)
            ),
            follow(2, "m1/1 m3/2 m4/3", hw=3, epoch=3, leader=1, last_fetched_high_watermark=3),
            leader=1,
            epoch=3,
            isr=(1, 2),
            ghost=ghost("m1/1 m2/1 m4/3", granted=[(1, 1), (2, 2), (1, 3)]),
        )
    )


def s4_after_step_4() -> ClusterSnapshot:
    """r3 skipped reconciliation because r1 led again (KAFKA-7164) and kept x@0/0."""
    return cluster(
        part(
            lead(1, "y/2 z/2", hw=2, epoch=2, isr=(1, 3)),
            down(2, "", hw=0),
            follow(3, "x/0 z/2", hw=2, epoch=2, leader=1, last_fetched_high_watermark=2),
            leader=1,
            epoch=2,
            isr=(1, 3),
            ghost=ghost("y/2 z/2", granted=[(1, 0), (2, 1), (1, 2)]),
        )
    )


S5_LEADER = "a/0 b/0 d/1 e/1"


def s5_after_step_6() -> ClusterSnapshot:
    """Zombie follower 2 fetched without fencing and holds c@2/0 under leader 1's d@2/1."""
    return cluster(
        part(
            lead(1, S5_LEADER, hw=4, epoch=2, isr=(1, 2, 3), leader_epoch_start_offset=Offset(4)),
            follow(2, "a/0 b/0 c/0 e/1", hw=4, epoch=0, leader=1, last_fetched_high_watermark=4),
            follow(3, S5_LEADER, hw=4, epoch=2, leader=1, last_fetched_high_watermark=4),
            leader=1,
            epoch=2,
            isr=(1, 2, 3),
            ghost=ghost(S5_LEADER, granted=[(1, 0), (3, 1), (1, 2)]),
        )
    )


def s6_step_3() -> tuple[ClusterSnapshot, ClusterSnapshot, StepEvent]:
    """B (2) leads epoch 2 with its HW still 0 and admits C (3) at LEO 0 (KAFKA-7128)."""
    before = cluster(
        part(
            down(1, "m1/1", hw=1),
            lead(2, "m1/1", hw=0, epoch=2, isr=(2,), leader_epoch_start_offset=Offset(1)),
            follow(3, "", hw=0, epoch=2, leader=2),
            leader=2,
            epoch=2,
            isr=(2,),
            ghost=ghost("m1/1", acked=(ack("m1", 0),), granted=[(1, 1), (2, 2)]),
        )
    )
    after = change(before, 2, isr=ids(2, 3), maximal_isr=ids(2, 3))
    event = dataclasses.replace(fetch(3, 0, 2), leader=BrokerId(2))
    return before, after, event


def s6_after_step_4() -> ClusterSnapshot:
    """C (3), admitted without m1, was elected cleanly in epoch 3 after B failed: m1 is lost."""
    return cluster(
        part(
            down(1, "m1/1", hw=1),
            down(2, "m1/1", hw=0),
            lead(3, "", hw=0, epoch=3, isr=(3,)),
            leader=3,
            epoch=3,
            isr=(3,),
            ghost=ghost("m1/1", acked=(ack("m1", 0),), granted=[(1, 1), (2, 2), (3, 3)]),
        )
    )


def s7_step_2() -> ClusterSnapshot:
    """A (1) proposed {1, 2}, and under the bug advanced its HW over {1, 2} alone."""
    return cluster(
        part(
            lead(1, "m1/1", hw=1, epoch=1, isr=(1, 2, 3), pending=(1, 2), maximal=(1, 2)),
            follow(2, "m1/1", hw=1, epoch=1, leader=1, last_fetched_high_watermark=1),
            follow(3, "", hw=0, epoch=1, leader=1, last_fetched_high_watermark=0),
            leader=1,
            epoch=1,
            isr=(1, 2, 3),
            ghost=ghost("m1/1", acked=(ack("m1", 0),), granted=[(1, 1)]),
        )
    )


def s8_after_step_4() -> ClusterSnapshot:
    """B (2) was elected uncleanly; A (1) came back and truncated m2 away."""
    return cluster(
        part(
            follow(1, "m1/1 m3/2", hw=2, epoch=2, leader=2, last_fetched_high_watermark=2),
            lead(2, "m1/1 m3/2", hw=2, epoch=2, isr=(1, 2), leader_epoch_start_offset=Offset(1)),
            down(3, "m1/1", hw=1),
            leader=2,
            epoch=2,
            isr=(1, 2),
            ghost=ghost(
                "m1/1 m2/1",
                acked=(ack("m2", 1, isr=1),),
                consumed=[(1, "m2")],
                granted=[(1, 1), (2, 2)],
            ),
        )
    )


def s9_after_step_3() -> ClusterSnapshot:
    """m was acknowledged with acks=1 and lost in a clean election: permitted."""
    return cluster(
        part(
            down(1, "m1/1 m/1", hw=1),
            lead(2, "m1/1", hw=1, epoch=2, isr=(2,), leader_epoch_start_offset=Offset(1)),
            leader=2,
            epoch=2,
            isr=(2,),
            ghost=ghost("m1/1", acked=(ack("m", 1, acks=Acks.ONE),), granted=[(1, 1), (2, 2)]),
        )
    )


def s10_after_step_4() -> ClusterSnapshot:
    """Broker 2 lost committed b in a lossy crash, was the only candidate, and won."""
    return cluster(
        part(
            follow(0, "a/1", hw=1, epoch=3, leader=2, last_fetched_high_watermark=1),
            follow(1, "a/1", hw=1, epoch=3, leader=2, last_fetched_high_watermark=1),
            lead(2, "a/1", hw=1, epoch=3, isr=(2,)),
            leader=2,
            epoch=3,
            isr=(2,),
            min_insync_replicas=2,
            ghost=ghost(
                "a/1 b/1",
                acked=(ack("b", 1, isr=2),),
                consumed=[(1, "b")],
                dirty=[2],
                granted=[(2, 1), (2, 3)],
            ),
        )
    )
