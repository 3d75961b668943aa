"""What the scripts of chapter 4 share: telling a replicated partition's story in a few lines.

Every script drives glasskafka's simulated cluster -- a coordination node and three brokers in
one process, in virtual time, the same on every run -- through the replication bench of the
model tests (``model_tests/replication_bench.py``), which also checks every replication
invariant after every step.  The helpers here print what happened: one line per broker with its
role, its log (``m2/0`` is record m2 written in leader epoch 0) and its high watermark, and what
the producer and the consumer were told.

Spec IDs: none (tutorial output).

Simplified from Kafka: Kafka's tools show the same facts separately -- ``kafka-topics
--describe`` for leader and ISR, ``kafka-dump-log`` for the log, the ``kafka.log`` metrics for
the log end offset and high watermark.
"""

from __future__ import annotations

from glasskafka.sim.kafka_snapshot import ClusterSnapshot, PartitionSnapshot, ReplicaState

from model_tests.replication_script import Replay

__all__ = ["answers", "describe", "replica_line", "tell"]


def replica_line(replica: ReplicaState, partition: PartitionSnapshot) -> str:
    """``broker 1  leader   epoch 0  log m1/0 m2/0  HW 1`` (``down`` for a stopped broker)."""
    if not replica.running:
        role = "down"
    elif replica.broker_id == partition.zk_state.leader and replica.is_presumed_leader:
        role = "leader"
    else:
        role = replica.role.value
    log = " ".join(f"{record}/{epoch}" for record, epoch in replica.log) or "(empty)"
    return f"  broker {replica.broker_id}  {role:<8} log {log:<16} HW {replica.high_watermark}"


def describe(snapshot: ClusterSnapshot) -> list[str]:
    """The ZooKeeper state of ``t-0`` and one line per replica."""
    (partition,) = snapshot.partitions
    zk = partition.zk_state
    isr = ",".join(str(b) for b in sorted(zk.isr))
    leader = "none" if zk.leader is None else str(zk.leader)
    head = f"  ZooKeeper: leader {leader}, leader epoch {zk.leader_epoch}, ISR {isr}"
    return [head, *(replica_line(r, partition) for r in partition.replicas)]


def answers(snapshot: ClusterSnapshot) -> list[str]:
    """What the producers were told, in the order the records were written, and what the
    consumer read."""
    ghost = snapshot.partitions[0].ghost
    told = {
        a.record: f"acknowledged (acks={a.acks.value}) at offset {a.offset}" for a in ghost.acked
    }
    told |= {record: f"error {error.name}" for record, error in ghost.nacked}
    lines = [f"  {record}: {told[record]}" for record in sorted(told, key=_number)]
    if ghost.consumed:
        lines.append("  consumer read: " + ", ".join(f"{r}@{o}" for o, r in ghost.consumed))
    return lines


def _number(record: str) -> int:
    return int(record[1:]) if record[1:].isdigit() else 0


def tell(replay: Replay, *, show: tuple[int, ...] = ()) -> None:
    """Print the replay's captions, the cluster after the steps numbered in ``show`` (1 is the
    first step), and what the producers were told at the end."""
    for number, (caption, snapshot) in enumerate(replay.snapshots[1:], start=1):
        print(f"{number:>2}. {caption}")
        if number in show:
            print("\n".join(describe(snapshot)))
            read = snapshot.partitions[0].ghost.consumed
            if read:
                print("  consumer has read: " + ", ".join(f"{r}@{o}" for o, r in read))
    print("answers:")
    print("\n".join(answers(replay.snapshots[-1][1])))
