"""The anomaly scenarios S1-S10 of reference §5, as scripts glasskafka can play.

Theory of operation
-------------------
Each scenario is a :class:`~model_tests.replication_script.Scenario`: the configuration, the bug
flag that brings the anomaly back (or, for S8-S10, the unsafe setting and a safe control), the
spec IDs it breaks, and a captioned script.  They are the traces of §5 retold in glasskafka's
terms, where leadership moves only when a broker dies (there is no controlled shutdown and no
preferred-replica election), so some take a different road to the same shape:

* **S1** -- a follower restarted before its session expired becomes follower again and, under
  ``truncate_to_local_hw_on_follow``, cuts its log to its checkpointed HW; the leader then dies
  and the follower is elected cleanly without an acknowledged record;
* **S3** -- the fast leader change of KIP-279 comes from an unclean election (minISR 1): the old
  leader, with an uncommitted tail of an older epoch, is elected again, and under
  ``kip101_lookup`` the returning replica keeps a record of an epoch the leader never had;
* **S4** -- a follower cut off during a whole epoch hears of the next one from the leader it
  followed before; under ``skip_truncation_if_same_leader`` it keeps its old record;
* **S5** -- the same zombie follower's epoch-0 fetch reaches the leader of epoch 2; under
  ``unfenced_fetch`` it is served and counted.  The full S5 (a zombie cut off from ZooKeeper but
  not from its leader, diverging for good) needs a partition that is not a split into groups,
  which the simulated network cannot express;
* **S6** -- the old leader loses power (and its log), comes back while the new leader's HW still
  lags its epoch start offset, and under ``expand_isr_on_hw_only`` joins the ISR empty;
* **S7** -- the leader's ISR write is held at the coordination service; under
  ``apply_isr_change_before_zk_ack`` the HW moves over the proposed ISR meanwhile;
* **ack_before_hw** -- acks=all answered right after the leader's append;
* **S8, S9, S10** -- no bug: unclean election with minISR 1, acks=1 and acks=0, and a lossy
  crash of the last ISR member, each with a safe control.

S2 (both replicas lose power) is left out: its divergence needs a lossy crash *and* the HW
truncation bug at once, and S1 and S10 already show each half.

Spec IDs: the Breaks lists of reference §5 (``Scenario.breaks``).

Simplified from Kafka: the traces are glasskafka's; the offsets and epochs differ from the
reference's (epochs start at 0 here, as Kafka's ``initialLeaderEpoch``).
"""

from __future__ import annotations

from dataclasses import replace

from glasskafka.coordination import SetDataRequest
from glasskafka.protocol.messages.fetch import FetchRequest, FetchResponse
from glasskafka.protocol.messages.produce import ProduceRequest, ProduceResponse
from glasskafka.sim.faults import DiskFault
from glasskafka.sim.kafka_snapshot import Acks

from model_tests.replication_bench import ReplicationConfig
from model_tests.replication_script import (
    AwaitAcked,
    AwaitFollower,
    AwaitLeader,
    Consume,
    Crash,
    Deliver,
    Heal,
    Hold,
    Isolate,
    Produce,
    Restart,
    RunFor,
    Scenario,
    Settle,
    Step,
)

__all__ = [
    "ACK_BEFORE_HW",
    "LOSSY_MAY_BREAK",
    "S1",
    "S3",
    "S4",
    "S5",
    "S6",
    "S7",
    "S8",
    "S8_UNSAFE",
    "S9",
    "S9_ACKS_0",
    "S10",
    "SAFE",
    "SCENARIOS",
    "UNCLEAN_MAY_BREAK",
]


UNCLEAN_MAY_BREAK = frozenset(
    {"REPL-1", "REPL-2", "REPL-4", "REPL-5", "REPL-6", "REPL-14", "LIVE-2"}
)
"""What an unclean election may break on the way (reference §3.1); REPL-1 is checked again
once every replica has reconciled."""

LOSSY_MAY_BREAK = frozenset(
    {"REPL-1", "REPL-2", "REPL-3", "REPL-4", "REPL-5", "REPL-6", "REPL-14", "REPL-15", "LIVE-2"}
)
"""What a lossy crash may break (reference §3.1, S10).  REPL-3 is here too: a follower that lost
its tail and restarted before its session expired is still in its leader's ISR view, the same
gap that REPL-15 (KIP-966) names."""

SAFE = ReplicationConfig()
ALL_ACKS = (Acks.ALL, Acks.ONE, Acks.ZERO)

S1 = Scenario(
    name="S1",
    title="HW truncation loses acknowledged data (KIP-101)",
    config=ReplicationConfig(replication_factor=2),
    flag="truncate_to_local_hw_on_follow",
    breaks=("REPL-2", "REPL-4", "REPL-5"),
    steps=(
        ("m1 is written", Produce()),
        ("m1 is committed on 1 and 2; the HW checkpoints say 1", RunFor(ms=6_000)),
        ("m2 is written", Produce()),
        ("m2 is acknowledged; 2 has it, but its HW is still 1", AwaitAcked(record="m2")),
        ("2 crashes", Crash(broker=2)),
        ("2 restarts before its session expires", Restart(broker=2)),
        ("2 follows 1 again (the bug: it cuts its log to its HW, 1)", AwaitFollower(broker=2)),
        ("1 crashes before 2 fetches m2 again", Crash(broker=1)),
        ("2, still in the ISR, is elected", AwaitLeader(broker=2)),
        ("the cluster settles", Settle()),
    ),
)

S3 = Scenario(
    name="S3",
    title="A fast leader change defeats the KIP-101 lookup (KIP-279)",
    config=ReplicationConfig(
        replication_factor=2,
        min_insync_replicas=1,
        unclean_leader_election_enable=True,
        acks=(Acks.ALL, Acks.ONE),
        may_break=UNCLEAN_MAY_BREAK,
    ),
    flag="kip101_lookup",
    breaks=("REPL-1",),
    steps=(
        ("m1 is written", Produce()),
        ("m1 is committed on 1 and 2", RunFor(ms=1_000)),
        ("m2 is written with acks=1", Produce(acks=Acks.ONE)),
        ("1 appends m2@1/0", Deliver(body=ProduceRequest, to=1)),
        ("1 crashes before 2 copies m2", Crash(broker=1)),
        ("2 is elected (epoch 1)", AwaitLeader(broker=2)),
        ("m3 is written", Produce()),
        ("2 appends m3@1/1 and acknowledges it", AwaitAcked(record="m3")),
        ("2 crashes", Crash(broker=2)),
        ("1 restarts", Restart(broker=1)),
        ("1 is elected uncleanly (epoch 2) with m2@1/0", AwaitLeader(broker=1)),
        ("2 restarts", Restart(broker=2)),
        ("2 asks where epoch 1 ends (the bug: at 2, so it keeps m3)", AwaitFollower(broker=2)),
        ("2 fetches from 1", RunFor(ms=2_000)),
        ("the cluster settles", Settle()),
    ),
)

S4 = Scenario(
    name="S4",
    title="An epoch bump missed because the leader id did not change (KAFKA-7164)",
    config=ReplicationConfig(acks=(Acks.ALL, Acks.ONE)),
    flag="skip_truncation_if_same_leader",
    breaks=("REPL-1",),
    steps=(
        ("m1 is written with acks=1", Produce(acks=Acks.ONE)),
        ("1 appends m1@0/0", Deliver(body=ProduceRequest, to=1)),
        ("3 copies m1; 2 does not", Deliver(body=FetchResponse, to=3)),
        ("1 crashes", Crash(broker=1)),
        ("3 is cut off", Isolate(brokers=(3,))),
        ("2 is elected (epoch 1); 3 never hears of it", AwaitLeader(broker=2)),
        ("1 restarts", Restart(broker=1)),
        ("1 follows 2, drops m1 and rejoins the ISR", RunFor(ms=3_000)),
        ("2 crashes", Crash(broker=2)),
        ("1 is elected (epoch 2)", AwaitLeader(broker=1)),
        ("m2 is written with acks=1", Produce(acks=Acks.ONE)),
        ("1 appends m2@0/2", RunFor(ms=500)),
        ("3 comes back", Heal()),
        ("3 follows 1 again (the bug: same leader, so it keeps m1@0/0)", AwaitFollower(broker=3)),
        ("3 fetches from offset 1", RunFor(ms=2_000)),
        ("the cluster settles", Settle()),
    ),
)

S5 = Scenario(
    name="S5",
    title="A zombie follower without fetch fencing (KAFKA-6880, KIP-320)",
    config=ReplicationConfig(acks=(Acks.ALL, Acks.ONE)),
    flag="unfenced_fetch",
    breaks=("REPL-12",),
    steps=(
        ("m1 is written with acks=1", Produce(acks=Acks.ONE)),
        ("1 appends m1@0/0", Deliver(body=ProduceRequest, to=1)),
        ("3 copies m1; 2 does not", Deliver(body=FetchResponse, to=3)),
        ("1 crashes", Crash(broker=1)),
        ("3 is cut off", Isolate(brokers=(3,))),
        ("2 is elected (epoch 1)", AwaitLeader(broker=2)),
        ("1 restarts", Restart(broker=1)),
        ("1 follows 2 and rejoins the ISR", RunFor(ms=3_000)),
        ("2 crashes", Crash(broker=2)),
        ("1 is elected (epoch 2)", AwaitLeader(broker=1)),
        ("m2 is written with acks=1", Produce(acks=Acks.ONE)),
        ("1 appends m2@0/2", RunFor(ms=500)),
        ("3 comes back, still a follower of 1 in epoch 0", Heal()),
        ("3's epoch-0 fetch reaches 1 (the bug: served and counted)", RunFor(ms=3_000)),
        ("the cluster settles", Settle()),
    ),
)

S6 = Scenario(
    name="S6",
    title="ISR expansion against a stale HW after an election (KAFKA-7128)",
    config=ReplicationConfig(),
    flag="expand_isr_on_hw_only",
    breaks=("REPL-13", "REPL-2", "REPL-5"),
    steps=(
        ("m1 is written", Produce()),
        ("m1 is acknowledged; 2 and 3 have it with HW 0", AwaitAcked(record="m1")),
        ("1 loses power, and m1 with it", Crash(broker=1, disk=DiskFault.POWER)),
        ("time passes", RunFor(ms=3_000)),
        ("3 is cut off", Isolate(brokers=(3,))),
        ("2 is elected (epoch 1) with HW 0 and LESO 1", AwaitLeader(broker=2)),
        ("1 restarts with an empty log", Restart(broker=1)),
        ("1 follows 2", AwaitFollower(broker=1)),
        (
            "2 takes 1's fetch at offset 0 (the bug: 0 >= HW 0, so 1 joins)",
            Deliver(body=FetchRequest, to=2),
        ),
        ("ZooKeeper takes the ISR write", Deliver(body=SetDataRequest, to="zk")),
        ("2 crashes before 1 gets m1", Crash(broker=2)),
        ("1, in the ISR, is elected", AwaitLeader(broker=1)),
        ("the cluster settles", Settle()),
    ),
)

S7 = Scenario(
    name="S7",
    title="The leader and ZooKeeper disagree about the ISR (maximal ISR, KIP-497)",
    config=ReplicationConfig(),
    flag="apply_isr_change_before_zk_ack",
    breaks=("REPL-8", "REPL-2"),
    steps=(
        ("3 is cut off", Isolate(brokers=(3,))),
        ("m1 is written", Produce()),
        ("1 and 2 have m1", RunFor(ms=300)),
        (
            "1 proposes ISR {1, 2}; the write waits (the bug: HW moves over {1, 2})",
            Hold(body=SetDataRequest, to="zk", ms=3_200),
        ),
        ("1 crashes; the ISR write is lost", Crash(broker=1)),
        ("2 crashes", Crash(broker=2)),
        ("3 comes back", Heal()),
        ("3, still in ZooKeeper's ISR, is elected", AwaitLeader(broker=3)),
        ("the cluster settles", Settle()),
    ),
)

ACK_BEFORE_HW = Scenario(
    name="ack_before_hw",
    title="acks=all answered before the HW passes the record",
    config=ReplicationConfig(),
    flag="ack_before_hw",
    breaks=("REPL-4", "REPL-5"),
    steps=(
        ("m1 is written", Produce()),
        ("m1 is committed everywhere", RunFor(ms=1_000)),
        ("m2 is written with acks=all", Produce()),
        ("1 appends m2 (the bug: and answers at once)", Deliver(body=ProduceRequest, to=1)),
        ("the answer reaches the producer", Deliver(body=ProduceResponse, to=0)),
        ("1 crashes before anyone copies m2", Crash(broker=1)),
        ("2 is elected", AwaitLeader(broker=2)),
        ("the cluster settles", Settle()),
    ),
)

S8_UNSAFE = ReplicationConfig(
    min_insync_replicas=1, unclean_leader_election_enable=True, may_break=UNCLEAN_MAY_BREAK
)

S8 = Scenario(
    name="S8",
    title="Unclean leader election (Jepsen 2013, KIP-106)",
    config=replace(S8_UNSAFE, may_break=frozenset()),
    flag=None,
    breaks=("REPL-4", "REPL-5", "REPL-6"),
    control=SAFE,
    steps=(
        ("m1 is written", Produce()),
        ("m1 is committed everywhere", RunFor(ms=1_000)),
        ("2 and 3 are cut off", Isolate(brokers=(2, 3))),
        ("m2 is written", Produce()),
        ("the ISR shrinks to {1}; the producer hears about m2", AwaitAcked(record="m2")),
        ("a consumer reads from offset 0", Consume()),
        ("1 crashes", Crash(broker=1)),
        ("2 and 3 come back", Heal()),
        ("no ISR member is alive: the controller decides", AwaitLeader(broker=2)),
        ("m3 is written, if anyone leads", Produce()),
        ("the producer hears about m3", AwaitAcked(record="m3")),
        ("a consumer reads from offset 0 again", Consume()),
        ("the cluster settles", Settle()),
    ),
)

S9 = Scenario(
    name="S9",
    title="acks=1 loses an acknowledged record (permitted)",
    config=ReplicationConfig(acks=ALL_ACKS),
    flag=None,
    breaks=(),
    steps=(
        ("m1 is written", Produce()),
        ("m1 is committed everywhere", RunFor(ms=1_000)),
        ("m2 is written with acks=1", Produce(acks=Acks.ONE)),
        ("1 appends m2 and answers at once", Deliver(body=ProduceRequest, to=1)),
        ("the answer reaches the producer", Deliver(body=ProduceResponse, to=0)),
        ("1 crashes before anyone copies m2", Crash(broker=1)),
        ("2 is elected cleanly, without m2", AwaitLeader(broker=2)),
        ("the cluster settles; 1 drops m2", Settle()),
    ),
)

S9_ACKS_0 = Scenario(
    name="S9 (acks=0)",
    title="acks=0 loses a record the producer never hears about (permitted)",
    config=ReplicationConfig(acks=ALL_ACKS),
    flag=None,
    breaks=(),
    steps=(
        ("m1 is written", Produce()),
        ("m1 is committed everywhere", RunFor(ms=1_000)),
        ("m2 is written with acks=0", Produce(acks=Acks.ZERO)),
        ("1 appends m2; nobody answers", Deliver(body=ProduceRequest, to=1)),
        ("1 crashes before anyone copies m2", Crash(broker=1)),
        ("2 is elected cleanly, without m2", AwaitLeader(broker=2)),
        ("the cluster settles; 1 drops m2", Settle()),
    ),
)


def _s10_steps(disk: DiskFault) -> tuple[tuple[str, Step], ...]:
    return (
        ("m1 is written", Produce()),
        ("m1 is acknowledged with ISR {1, 2, 3}", AwaitAcked(record="m1")),
        ("m1 is committed everywhere", RunFor(ms=1_000)),
        ("2 and 3 are cut off", Isolate(brokers=(2, 3))),
        ("m2 is written", Produce()),
        ("the ISR shrinks to {1}; the HW still advances", RunFor(ms=4_000)),
        (f"1 crashes ({disk.value})", Crash(broker=1, disk=disk)),
        ("2 and 3 come back; no ISR member is alive", Heal()),
        ("the partition stays offline", RunFor(ms=2_000)),
        ("1 restarts", Restart(broker=1)),
        ("1, the only ISR member, is elected", AwaitLeader(broker=1)),
        ("the cluster settles: 2 and 3 follow 1", Settle()),
    )


S10 = Scenario(
    name="S10",
    title="Last replica standing (KIP-966)",
    config=ReplicationConfig(lossy_crash=True),
    flag=None,
    breaks=("REPL-15", "REPL-2", "REPL-5"),
    steps=_s10_steps(DiskFault.LOSSY),
    control=ReplicationConfig(),
    control_steps=_s10_steps(DiskFault.KEEP),
)

SCENARIOS: dict[str, Scenario] = {
    s.name: s for s in (S1, S3, S4, S5, S6, S7, ACK_BEFORE_HW, S8, S9, S9_ACKS_0, S10)
}
"""Every scripted scenario by name."""
