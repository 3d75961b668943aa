"""``glasskafka quickstart``: Kafka's quickstart, narrated step by step (real, or ``--sim``).

Theory of operation
-------------------
Kafka's quickstart (https://kafka.apache.org/quickstart, and the course's notes that follow it)
starts ZooKeeper and a broker, creates ``quickstart-events``, writes a few events with the console
producer and reads them back with the console consumer.  This command does the same, and then
the part a single-broker quickstart cannot show -- replication and failover -- on three brokers,
narrating each step in Kafka's vocabulary:

1. start the coordination service and three brokers;
2. the brokers register (``/brokers/ids``) and elect a controller (``/controller``, epoch);
3. create ``quickstart-events`` with 3 partitions and replication factor 3, and describe it as
   ``kafka-topics.sh --describe`` does (the course's placement rule at work);
4. produce three events to partition 0 with ``acks=all`` and show their offsets;
5. the followers replicate and the high watermark advances (log end offset and HW per replica);
6. consume partition 0 from the beginning (offset, key, value);
7. kill the leader of partition 0: its session expires, the controller elects a new leader from
   the ISR and bumps the leader epoch;
8. consume again from the new leader: nothing acknowledged was lost;
9. show where the data lives on each broker's (simulated) disk;
10. stop.

Two runs tell this story.  By default, as Kafka's quickstart does, on real processes: a
coordination service and three brokers listening on free loopback ports, speaking Kafka's wire
protocol, with their logs in a temporary directory (``glasskafka.cli.quickstart_real``; about ten
seconds, most of it the session timeout after the kill).  With ``--sim`` the cluster is simulated
(:class:`~glasskafka.sim.kafka_cluster.KafkaCluster`): every node runs the same protocol code in
virtual time, so the run takes a fraction of a second and is the same for the same ``--seed``;
``--verbose`` prints, after each step, the simulator's story of what the nodes said to each
other.  ``--seed`` and ``--verbose`` only mean something in the simulator, so either of them
chooses it too (``glasskafka quickstart --seed 0`` is the simulated run); ``--keep`` only means
something for real processes.  This module holds the simulated narration; the real one is its
sibling.

Spec IDs: none (a demonstration; step 8 shows REPL-5's promise, no loss of acks=all data).

Simplified from Kafka: Kafka's quickstart starts one broker and leaves the console tools to the
reader; both runs here start three brokers and add a failover.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from glasskafka.controller import ElectionKind, LeadershipGrant
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import BrokerId, Epoch, PartitionId
from glasskafka.log import LOG_SUFFIX
from glasskafka.records import DecodedRecord
from glasskafka.sim.kafka_cluster import ACKS_ALL, KafkaCluster

__all__ = ["EVENTS", "TOPIC", "register", "run_quickstart"]

TOPIC = "quickstart-events"
EVENTS = (b"This is my first event", b"This is my second event", b"This is my third event")
"""What Kafka's quickstart types into the console producer (the third is glasskafka's)."""

_BROKERS = 3
_SESSION_TIMEOUT_MS = 6000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``quickstart`` subcommand."""
    parser = subparsers.add_parser(
        "quickstart",
        help="run Kafka's quickstart, with replication and a failover, on real local processes",
        description="Start a coordination service and three brokers on loopback ports, create a "
        "topic, produce, consume, kill a leader and watch the controller elect a new one, "
        "narrated step by step; --sim tells the same story in the simulator.",
    )
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument(
        "--sim", action="store_true",
        help="run in the deterministic simulator instead (a fraction of a second)",
    )  # fmt: skip
    runs.add_argument(
        "--real", action="store_true",
        help="run on real processes, loopback sockets and files (the default)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, help="the simulation's seed (default 0; implies --sim)")
    parser.add_argument(
        "--verbose", action="store_true",
        help="after each step, print what the nodes said (implies --sim)",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true", help="keep the directory of a real run (config, data, logs)"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    simulated = args.sim or args.seed is not None or args.verbose
    if simulated and args.real:
        raise GlassKafkaError("--seed and --verbose are for the simulated run; omit --real")
    if simulated:
        if args.keep:
            raise GlassKafkaError(
                "--keep is for a run on real processes; omit --sim, --seed and --verbose"
            )
        seed = 0 if args.seed is None else args.seed
        return run_quickstart(seed=seed, verbose=args.verbose, out=sys.stdout)
    # Imported here: quickstart_real imports TOPIC and EVENTS from this module.
    from glasskafka.cli.quickstart_real import run_real_quickstart

    return run_real_quickstart(keep=args.keep, out=sys.stdout)


class _Narrator:
    """Numbered steps, indented details, and (verbose) the trace since the last step."""

    def __init__(self, cluster: KafkaCluster, out: TextIO, *, verbose: bool) -> None:
        self.cluster = cluster
        self.out = out
        self.verbose = verbose
        self.step_number = 0
        self.trace_mark = 0

    def step(self, title: str) -> None:
        self.flush_story()
        self.step_number += 1
        self.out.write(f"\nStep {self.step_number}. {title}\n")

    def say(self, line: str = "") -> None:
        self.out.write(f"  {line}\n" if line else "\n")

    def flush_story(self) -> None:
        events = self.cluster.sim.trace.events
        if self.verbose and self.trace_mark < len(events):
            self.out.write("  -- what the nodes did --\n")
            for line in self.cluster.sim.trace.story(self.trace_mark).splitlines():
                self.out.write(f"  | {line}\n")
        self.trace_mark = len(events)


def run_quickstart(*, seed: int, verbose: bool, out: TextIO) -> int:
    """Run the narrated quickstart; return 0, or raise :class:`GlassKafkaError` if a step fails."""
    overrides = {"zookeeper.session.timeout.ms": str(_SESSION_TIMEOUT_MS)}
    cluster = KafkaCluster(brokers=_BROKERS, seed=seed, overrides=overrides)
    talk = _Narrator(cluster, out, verbose=verbose)
    out.write(f"glasskafka quickstart: {_BROKERS} brokers in the simulator, seed {seed}\n")
    _start(cluster, talk)
    _create_topic(cluster, talk)
    offsets = _produce(cluster, talk)
    _replicate(cluster, talk, offsets)
    before = _consume(cluster, talk, "Consume partition 0 from the beginning")
    _fail_over(cluster, talk)
    after = _consume(cluster, talk, "Consume partition 0 again, from the new leader")
    _compare(talk, before, after)
    _show_disks(cluster, talk)
    talk.step("Stop")
    talk.say(
        f"Stopped {_BROKERS} brokers and the coordination service after "
        f"{cluster.now_ms} ms of simulated time."
    )
    talk.flush_story()
    return 0


def _start(cluster: KafkaCluster, talk: _Narrator) -> None:
    talk.step(f"Start the coordination service and {_BROKERS} brokers")
    talk.say("$ zookeeper-server-start.sh config/zookeeper.properties -> node zk")
    for broker_id in cluster.broker_ids:
        talk.say(
            f"$ kafka-server-start.sh config/server-{broker_id}.properties    "
            f"-> node broker-{broker_id}"
        )
    cluster.start()
    talk.step("Brokers register and elect a controller")
    ids = ", ".join(str(b) for b in cluster.registered())
    talk.say(f"Each broker created its ephemeral registration: /brokers/ids = [{ids}]")
    controller = cluster.controller()
    assert controller is not None
    talk.say(
        f"Broker {controller.broker_id} created the ephemeral /controller first and is the "
        f"controller, with controller epoch {controller.controller.controller_epoch}."
    )
    talk.say("The others watch /controller and stand again if it disappears.")


def _create_topic(cluster: KafkaCluster, talk: _Narrator) -> None:
    talk.step(f"Create topic {TOPIC} with 3 partitions and replication factor 3")
    talk.say(f"$ kafka-topics.sh --create --topic {TOPIC} --partitions 3 --replication-factor 3")
    result = cluster.create_topic(TOPIC, partitions=3, replication_factor=3)
    if result.error_code != ErrorCode.NONE:
        raise GlassKafkaError(f"creating {TOPIC} failed: {ErrorCode(result.error_code).name}")
    talk.say(f"Created topic {TOPIC}.")
    talk.say(f"$ kafka-topics.sh --describe --topic {TOPIC}")
    for line in cluster.describe_lines(TOPIC):
        talk.say(line)
    talk.say("Placement (the course's rule): partition i's first replica, its preferred leader,")
    talk.say("is on broker i mod 3 of the sorted brokers, and its j-th replica on (i + j) mod 3.")
    talk.say("Each partition starts with leader epoch 0 and all live replicas in its ISR.")


def _produce(cluster: KafkaCluster, talk: _Narrator) -> list[int]:
    leader = cluster.leader(TOPIC, 0)
    talk.step("Produce three events to partition 0 with acks=all")
    talk.say(f"$ kafka-console-producer.sh --topic {TOPIC} --producer-property acks=all")
    offsets = []
    for event in EVENTS:
        result = cluster.produce(TOPIC, 0, [(None, event)], acks=ACKS_ALL)
        if not result.answered or result.error is not ErrorCode.NONE:
            raise GlassKafkaError(f"producing {event!r} failed: {result.error.name}")
        offsets.append(result.base_offset)
        talk.say(f"> {event.decode():<24} -> partition 0, offset {result.base_offset}")
    talk.say(
        f"Leader broker {leader} answered each one only after every replica in the ISR had it."
    )
    return offsets


def _replicate(cluster: KafkaCluster, talk: _Narrator, offsets: list[int]) -> None:
    cluster.run_for(1000)
    talk.step("Followers replicate; the high watermark advances")
    state = cluster.zk_state(TOPIC, 0)
    assert state is not None
    for broker_id in cluster.assignment(TOPIC)[PartitionId(0)]:
        view = cluster.broker(broker_id).partition_state(TOPIC, 0)
        assert view is not None
        role = "leader  " if broker_id == state.leader else "follower"
        talk.say(
            f"broker-{broker_id} ({role}): log end offset {view.log_end_offset}, "
            f"high watermark {view.high_watermark}"
        )
    talk.say(f"Followers fetch from the leader; once the whole ISR holds offsets 0..{offsets[-1]},")
    talk.say(f"the high watermark is {offsets[-1] + 1}: consumers may read everything below it.")


def _consume(cluster: KafkaCluster, talk: _Narrator, title: str) -> list[DecodedRecord]:
    talk.step(title)
    talk.say(f"$ kafka-console-consumer.sh --topic {TOPIC} --partition 0 --from-beginning")
    records = cluster.consume(TOPIC, 0)
    leader = cluster.leader(TOPIC, 0)
    for record in records:
        key = "null" if record.key is None else record.key.decode(errors="replace")
        value = "null" if record.value is None else record.value.decode(errors="replace")
        talk.say(f"offset {record.offset}  key={key}  value={value}")
    talk.say(f"({len(records)} records, read from leader broker {leader})")
    return records


def _fail_over(cluster: KafkaCluster, talk: _Narrator) -> None:
    before = cluster.zk_state(TOPIC, 0)
    controller = cluster.controller()
    assert before is not None and controller is not None
    old_leader, old_controller = before.leader, controller.broker_id
    talk.step(f"Kill the leader of partition 0, broker {old_leader}")
    cluster.kill(old_leader)
    talk.say(f"broker-{old_leader} crashed (its process died; its disk is kept).")
    talk.say(
        f"Its session expires after zookeeper.session.timeout.ms={_SESSION_TIMEOUT_MS}: "
        f"/brokers/ids/{old_leader} disappears,"
    )
    talk.say("and the controller's watch on /brokers/ids fires.")
    moved = cluster.run_until(lambda: cluster.leader(TOPIC, 0) != old_leader, deadline_ms=60_000)
    if not moved or not cluster.wait_for_metadata():
        raise GlassKafkaError("no new leader was elected for partition 0")
    now = cluster.controller()
    assert now is not None
    if old_controller == old_leader:
        talk.say(f"Broker {old_leader} was also the controller: /controller disappeared too,")
        talk.say(
            f"and broker {now.broker_id} won the new election, with controller epoch "
            f"{now.controller.controller_epoch}."
        )
    after = cluster.zk_state(TOPIC, 0)
    assert after is not None
    kind = _election_kind(now.controller.grants, after.leader, after.leader_epoch)
    isr = ", ".join(map(str, before.isr))
    talk.say(
        f"Controller broker {now.broker_id} elected broker {after.leader} leader of {TOPIC}-0 "
        f"({kind}):"
    )
    talk.say(f"the first live replica, in assignment order, of the ISR [{isr}].")
    talk.say(
        f"Leader epoch {before.leader_epoch} -> {after.leader_epoch}; ISR now "
        f"[{', '.join(map(str, after.isr))}].  LeaderAndIsr and UpdateMetadata told the brokers."
    )
    talk.say(f"$ kafka-topics.sh --describe --topic {TOPIC}")
    for line in cluster.describe_lines(TOPIC):
        talk.say(line)


def _election_kind(grants: list[LeadershipGrant], leader: BrokerId, epoch: Epoch) -> str:
    """How the controller granted ``leader`` partition 0's ``epoch`` (from its grant log)."""
    found = [
        g.kind
        for g in grants
        if (g.topic, g.partition, g.leader, g.leader_epoch) == (TOPIC, 0, leader, epoch)
    ]
    return (found[-1] if found else ElectionKind.CLEAN).value


def _compare(talk: _Narrator, before: list[DecodedRecord], after: list[DecodedRecord]) -> None:
    produced = [(r.offset, r.value) for r in before]
    consumed = [(r.offset, r.value) for r in after]
    if produced != consumed:
        raise GlassKafkaError(f"records changed across the failover: {produced} -> {consumed}")
    talk.say(f"Nothing acknowledged was lost: the same {len(after)} records at the same offsets.")
    talk.say("acks=all waited for the whole ISR, and the new leader came from the ISR.")


def _show_disks(cluster: KafkaCluster, talk: _Narrator) -> None:
    talk.step("Where the data lives: each broker's log directory (simulated disks)")
    for broker_id in cluster.broker_ids:
        state = "running" if broker_id in cluster.running() else "stopped"
        logs = [(p, n) for p, n in cluster.disk_files(broker_id) if p.endswith(LOG_SUFFIX)]
        talk.say(f"broker-{broker_id} ({state}, log.dirs=/tmp/kafka-logs):")
        for path, size in logs:
            talk.say(f"  broker-{broker_id}: {path} ({size} bytes)")
    talk.say("One directory per partition replica (<topic>-<partition>), one segment file per")
    talk.say("base offset; partitions 1 and 2 are empty because every event went to partition 0.")
