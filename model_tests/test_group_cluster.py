"""Consumer groups end to end: real consumers and a real producer on a three-broker cluster.

Theory of operation
-------------------
``test_group_model.py`` checks the group coordinator role through a miniature host, and
``test_consumer_model.py`` checks the consumer against a fake broker.  This suite joins the real
halves on a simulated :class:`~glasskafka.sim.kafka_cluster.KafkaCluster`: three brokers, each
hosting the coordinator role (``broker/group_hosting.py``); ``__consumer_offsets`` with three
partitions and three replicas, created by the first FindCoordinator; a topic ``orders`` of three
partitions written by a real :class:`~glasskafka.client.ProducerNode` with ``acks=all``; and
members of group ``g`` that are real :class:`~glasskafka.client.consumer.ConsumerNode` instances
(eager ``range`` assignment, commits with ``commit_sync``).

:class:`GroupCluster` plays the application around them and writes down what a client could see,
as a ``glasskafka.history`` history: every acknowledged send, every poll and what it returned,
every processing, commit, rebalance callback, crash and restart.  The history is written as
JSON lines with a :class:`~glasskafka.history.HistoryRecorder`, read back, and judged by the
history checker, which knows nothing of glasskafka.

The transcripts:

* **the second consumer joins** -- the group rebalances from one owner of every partition to two
  members with disjoint shares (generation 1, then 2);
* **a consumer dies** -- its session times out at the coordinator and the survivor takes every
  partition in the next generation, resuming from the committed offsets;
* **the coordinator's broker crashes** -- the controller elects another leader of the group's
  offsets partition, which loads the partition from its log: the committed offsets and the
  group's generation survive (GROUP-6), and the members find the new coordinator and go on.

The rule-based machine does the same at random (produce, poll, process, commit, crash, restart,
kill or restart the coordinator's broker, let time pass), and judges the history after every
step: DELIV-19 (every record below a committed offset was processed), DELIV-21 and GROUP-2
(one owner per partition per generation).  Its teeth: an application that commits *before*
processing and then crashes loses records, and the checker says so -- once as a transcript,
once found by Hypothesis.

Spec IDs: DELIV-19, DELIV-21, GROUP-2, GROUP-6.

Simplified from Kafka: one group, eager assignment only (cooperative rebalancing is covered by
the assignor suites and the wire interop tests); consumer processes crash, brokers crash as
processes (their disks keep what was written).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import ClassVar

import pytest
from glasskafka.client import FutureState, ProducerNode, ProducerRecord, producer_config
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import (
    CommitFailedError,
    CommitResult,
    CommittedResult,
    ConsumerRecord,
    PollResult,
    RebalanceEvent,
    RebalanceKind,
)
from glasskafka.config import config_from_properties
from glasskafka.controller.znodes import NO_LEADER
from glasskafka.group import GroupState, partition_for
from glasskafka.group.inspection import GroupView
from glasskafka.history import (
    History,
    HistoryRecorder,
    Poll,
    Send,
    Verdict,
    check_history,
    format_text,
    read_history,
)
from glasskafka.ids import Millis, NodeId, TopicPartition
from glasskafka.node import Output
from glasskafka.sim.kafka_cluster import KafkaCluster
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from model_tests.test_consumer_harness import HistoryLog, blocking
from specs.catalogue import check
from specs.delivery import at_least_once_per_group, one_owner_per_generation
from specs.group import (
    FetchObservation,
    HandedOut,
    acknowledged_commits_are_durable,
    one_owner_per_partition_per_generation,
)

TOPIC = "orders"
PARTITIONS = 3
GROUP = "g"
OFFSETS_PARTITIONS = 3
OFFSETS_TOPIC = "__consumer_offsets"
PRODUCER = NodeId("producer-1")
MEMBERS = (NodeId("c0"), NodeId("c1"))
BROKER_OVERRIDES = {
    "offsets.topic.num.partitions": str(OFFSETS_PARTITIONS),
    "group.initial.rebalance.delay.ms": "0",
}
CONSUMER_PROPERTIES = {
    "group.id": GROUP,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": "false",
    "session.timeout.ms": "6000",
    "heartbeat.interval.ms": "1000",
    "max.poll.interval.ms": "20000",
    "max.poll.records": "4",
    "partition.assignment.strategy": "range",
}
PRODUCER_PROPERTIES = {
    "bootstrap.servers": "broker-1,broker-2,broker-3",
    "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
    "acks": "all",
    "request.timeout.ms": "2000",
    "delivery.timeout.ms": "30000",
    "retry.backoff.ms": "20",
}
BOOTSTRAP = (NodeId("broker-1"), NodeId("broker-2"), NodeId("broker-3"))


class GroupCluster:
    """The cluster, one producer, the members of group ``g``, and the history of the run."""

    def __init__(self, seed: int, *, commit_before_process: bool = False) -> None:
        self.cluster = KafkaCluster(brokers=3, seed=seed, overrides=BROKER_OVERRIDES)
        self.commit_before_process = commit_before_process
        self.consumer_config = config_from_properties(ConsumerConfig, CONSUMER_PROPERTIES)
        self.log = HistoryLog()
        self.up = [False] * len(MEMBERS)
        self.incarnation = [0] * len(MEMBERS)
        self.unprocessed: list[tuple[ConsumerRecord, ...]] = [() for _ in MEMBERS]
        self.acknowledged: dict[TopicPartition, int] = {}
        self.handed_out: list[HandedOut] = []
        self.taken_events = [0] * len(MEMBERS)
        self.next_value = 0

    def start(self) -> None:
        """Start the brokers, create ``orders`` (3 replicas, minISR 2), add the producer."""
        self.cluster.start()
        self.cluster.create_topic(
            TOPIC,
            partitions=PARTITIONS,
            replication_factor=3,
            configs={"min.insync.replicas": "2"},
        )
        config = producer_config(PRODUCER_PROPERTIES)
        self.cluster.sim.add_node(PRODUCER, lambda n, d, rng: ProducerNode(n, config, rng))

    # -- the application -----------------------------------------------------------------------

    def produce(self, partition: int, count: int) -> None:
        """Send ``count`` records to ``partition`` and wait for their acknowledgements."""
        sent = []
        for _ in range(count):
            value = f"v{self.next_value}"
            self.next_value += 1

            def call(node: ProducerNode, now_ms: Millis, value: str = value) -> list[Output]:
                record = ProducerRecord(topic=TOPIC, value=value, partition=partition)
                future, outputs = node.send(record, now_ms=now_ms)
                sent.append((value, future))
                return outputs

            self.cluster.sim.call(PRODUCER, call, kind=ProducerNode, label=f"send {value}")
        producer = self.cluster.sim.node_as(PRODUCER, ProducerNode)
        done = self.cluster.run_until(
            lambda: all(producer.future(f).done for _, f in sent), deadline_ms=60_000
        )
        assert done, "the producer did not finish within a minute"
        for value, future in sent:
            outcome = producer.future(future)
            if outcome.state is FutureState.SUCCEEDED and outcome.metadata is not None:
                offset = outcome.metadata.offset
                self.log.sent(self.cluster.now_ms, TOPIC, partition, offset, value)

    def consumer(self, index: int) -> ConsumerNode:
        return self.cluster.sim.node_as(MEMBERS[index], ConsumerNode)

    def join(self, index: int) -> None:
        """Start member ``index`` (again, after a crash) and subscribe it to ``orders``."""
        node_id = MEMBERS[index]
        if node_id in self.cluster.sim.hosts:
            self.log.restarted(self.cluster.now_ms, index + 1, str(node_id))
            self.cluster.sim.restart(node_id)
        else:
            config = self.consumer_config
            self.cluster.sim.add_node(
                node_id,
                lambda n, d, rng: ConsumerNode(
                    n, config=config, rng=rng, bootstrap=BOOTSTRAP, record_history=True
                ),
            )
        self.up[index] = True
        self.incarnation[index] += 1
        self.log.taken[node_id] = 0
        self.taken_events[index] = 0
        self.cluster.sim.call(node_id, lambda c, now: c.subscribe([TOPIC], now), kind=ConsumerNode)
        self.collect()

    def poll(self, index: int) -> tuple[ConsumerRecord, ...]:
        """A member that has processed everything polls (up to a second); with
        ``commit_before_process`` it then commits at once, before processing."""
        if not self.up[index] or self.unprocessed[index]:
            return ()
        result = blocking(self.cluster.sim, MEMBERS[index], lambda c, now: c.poll(1000, now))
        assert isinstance(result, PollResult)
        self.unprocessed[index] = result.records
        self.collect()
        if self.commit_before_process and result.records:
            self._commit(index)
        return result.records

    def process(self, index: int) -> None:
        """The application finishes processing what the member's last poll returned."""
        if self.up[index] and self.unprocessed[index]:
            name = str(MEMBERS[index])
            self.log.processed(self.cluster.now_ms, index + 1, name, self.unprocessed[index])
            self.unprocessed[index] = ()

    def commit(self, index: int) -> None:
        """``commit_sync()`` after processing (the at-least-once loop)."""
        if self.up[index] and not self.unprocessed[index]:
            self._commit(index)

    def _commit(self, index: int) -> None:
        node_id = MEMBERS[index]
        with contextlib.suppress(CommitFailedError):  # refused in a rebalance: commit later
            result = blocking(
                self.cluster.sim, node_id, lambda c, now: c.commit_sync(now, timeout_ms=5000)
            )
            assert isinstance(result, CommitResult)
            self.acknowledged.update(result.offsets)
        self.collect()

    def crash(self, index: int) -> None:
        """Member ``index``'s process dies; what it had not processed is lost with it."""
        if self.up[index]:
            self.collect()
            self.cluster.sim.crash(MEMBERS[index])
            self.up[index] = False
            self.unprocessed[index] = ()
            self.log.crashed(self.cluster.now_ms, index + 1, str(MEMBERS[index]))

    def advance(self, duration_ms: int) -> None:
        self.cluster.run_for(duration_ms)
        self.collect()

    def collect(self) -> None:
        """Take the members' new events into the history, and their assignments into
        ``handed_out`` (GROUP-2 reads what each member was given in each generation)."""
        for index, node_id in enumerate(MEMBERS):
            if not self.up[index]:
                continue
            consumer = self.consumer(index)
            self.log.collect(node_id, consumer, index + 1, GROUP)
            events = consumer.history or []
            for event in events[self.taken_events[index] :]:
                if isinstance(event, RebalanceEvent) and event.kind is RebalanceKind.ASSIGNED:
                    self.handed_out.append(
                        HandedOut(
                            group_id=GROUP,
                            generation_id=event.generation,
                            member_id=f"{node_id}#{self.incarnation[index]}",
                            partitions=tuple(sorted(event.partitions)),
                        )
                    )
            self.taken_events[index] = len(events)

    # -- the cluster ---------------------------------------------------------------------------

    def coordinator_id(self) -> int:
        """The broker leading the group's ``__consumer_offsets`` partition (-1: none)."""
        leader = self.cluster.leader(OFFSETS_TOPIC, partition_for(GROUP, OFFSETS_PARTITIONS))
        return int(leader)

    def group_view(self) -> GroupView | None:
        """The group as its current coordinator holds it, if a running broker holds it."""
        for broker_id in self.cluster.running():
            view = self.cluster.broker(broker_id).groups.coordinator.group(GROUP)
            if view is not None:
                return view
        return None

    def kill_coordinator(self) -> int:
        """Crash the coordinator's broker and run until another broker leads its partition."""
        dead = self.coordinator_id()
        self.cluster.kill(dead)
        moved = self.cluster.run_until(
            lambda: self.coordinator_id() not in (dead, int(NO_LEADER)), deadline_ms=30_000
        )
        assert moved, "no new leader of the group's offsets partition within 30 s"
        self.collect()
        return dead

    def restart_broker(self) -> None:
        """Restart the broker that is down and run until every ISR is whole again."""
        cluster = self.cluster
        down = [b for b in cluster.broker_ids if b not in cluster.running()]
        cluster.restart(down[0])

        def whole() -> bool:
            return all(
                (state := cluster.zk_state(topic, p)) is not None and len(state.isr) == 3
                for topic in (TOPIC, OFFSETS_TOPIC)
                for p in range(PARTITIONS)
            )

        assert cluster.run_until(whole, deadline_ms=60_000), "the ISRs did not heal in 60 s"
        self.collect()

    def committed(self, index: int) -> dict[tuple[str, int], int | None]:
        """``committed()`` from member ``index``: an OffsetFetch at the current coordinator."""
        partitions = [(TOPIC, p) for p in range(PARTITIONS)]
        result = blocking(
            self.cluster.sim,
            MEMBERS[index],
            lambda c, now: c.committed(partitions, now, timeout_ms=30_000),
        )
        assert isinstance(result, CommittedResult)
        return {(t, p): o for (t, p), o in result.offsets.items()}

    # -- judging -------------------------------------------------------------------------------

    def history(self) -> History:
        return self.log.history()

    def write_history(self, path: Path) -> History:
        """Write the history as JSON lines with the recorder, and read it back."""
        with path.open("w", encoding="utf-8") as stream:
            recorder = HistoryRecorder(stream)
            for operation in self.history().operations:
                recorder.write(operation)
        return read_history(path)

    def check_specs(self) -> None:
        history = self.history()
        check("DELIV-19", at_least_once_per_group(history))
        check("DELIV-21", one_owner_per_generation(history))
        check("GROUP-2", one_owner_per_partition_per_generation(self.handed_out))


def drain(run: GroupCluster, *, rounds: int = 30) -> None:
    """Poll, process and commit with every live member until nothing new comes back.

    A round counts as quiet only if it returned no record *and* no member's assignment changed
    during it: a member given partitions in a rebalance has not fetched them yet."""
    quiet = 0
    for _ in range(rounds):
        got = 0
        before = _assignments(run)
        for index in range(len(MEMBERS)):
            got += len(run.poll(index))
            run.process(index)
            run.commit(index)
        settled = got == 0 and _assignments(run) == before
        quiet = quiet + 1 if settled else 0
        if quiet >= 3:
            return


def _assignments(run: GroupCluster) -> list[tuple[TopicPartition, ...]]:
    return [run.consumer(i).assignment() if run.up[i] else () for i in range(len(MEMBERS))]


def consumed_values(history: History) -> set[str]:
    """Every value some member's poll returned."""
    return {str(r.value) for op in history.operations if isinstance(op, Poll) for r in op.records}


def sent_values(history: History) -> set[str]:
    return {str(op.value) for op in history.operations if isinstance(op, Send)}


# ---------------------------------------------------------------------------------------------
# Transcripts


def test_the_second_consumer_joins_and_the_group_rebalances(tmp_path: Path) -> None:
    run = GroupCluster(seed=3)
    run.start()
    for partition in range(PARTITIONS):
        run.produce(partition, 2)
    run.join(0)
    drain(run)
    first = run.group_view()
    assert first is not None and first.state is GroupState.STABLE
    assert first.generation_id == 1
    assert sorted(run.consumer(0).assignment()) == [(TOPIC, p) for p in range(PARTITIONS)]

    run.join(1)
    for partition in range(PARTITIONS):
        run.produce(partition, 2)
    drain(run)
    second = run.group_view()
    assert second is not None and second.state is GroupState.STABLE
    assert second.generation_id == 2 and len(second.members) == 2
    shares = [set(run.consumer(i).assignment()) for i in range(2)]
    assert shares[0] and shares[1] and not shares[0] & shares[1]
    assert shares[0] | shares[1] == {(TOPIC, p) for p in range(PARTITIONS)}

    path = tmp_path / "history.jsonl"
    history = run.write_history(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(history.operations) and all(line.startswith("{") for line in lines)
    assert consumed_values(history) == sent_values(history)
    report = check_history(history)
    assert report.verdict is Verdict.VALID, format_text(report)
    run.check_specs()


def test_a_dead_consumer_times_out_and_the_survivor_takes_over(tmp_path: Path) -> None:
    run = GroupCluster(seed=5)
    run.start()
    run.join(0)
    run.join(1)
    for partition in range(PARTITIONS):
        run.produce(partition, 3)
    drain(run)
    before = run.group_view()
    assert before is not None and len(before.members) == 2
    run.crash(0)
    for partition in range(PARTITIONS):
        run.produce(partition, 2)
    run.advance(7000)  # past session.timeout.ms: the coordinator expires c0
    drain(run)
    after = run.group_view()
    assert after is not None and after.state is GroupState.STABLE
    assert len(after.members) == 1 and after.generation_id > before.generation_id
    assert sorted(run.consumer(1).assignment()) == [(TOPIC, p) for p in range(PARTITIONS)]

    history = run.write_history(tmp_path / "history.jsonl")
    assert consumed_values(history) == sent_values(history)
    report = check_history(history)
    assert report.verdict is Verdict.VALID, format_text(report)
    run.check_specs()


def test_commits_survive_the_coordinators_crash(tmp_path: Path) -> None:
    run = GroupCluster(seed=11)
    run.start()
    run.join(0)
    run.join(1)
    for partition in range(PARTITIONS):
        run.produce(partition, 3)
    drain(run)
    assert run.acknowledged == {(TOPIC, p): 3 for p in range(PARTITIONS)}
    generation = run.group_view()
    assert generation is not None

    dead = run.kill_coordinator()
    assert run.coordinator_id() != dead
    fetched = run.committed(1)  # an OffsetFetch at the new coordinator, loaded from its log
    check(
        "GROUP-6",
        acknowledged_commits_are_durable(
            [
                FetchObservation(
                    group_id=GROUP,
                    partition=tp,
                    fetched=-1 if fetched.get(tp) is None else int(fetched[tp] or 0),
                    acknowledged=offset,
                    outstanding=frozenset(),
                )
                for tp, offset in sorted(run.acknowledged.items())
            ]
        ),
    )
    loaded = run.group_view()
    assert loaded is not None and loaded.generation_id >= generation.generation_id

    for partition in range(PARTITIONS):
        run.produce(partition, 2)
    drain(run)
    run.restart_broker()
    history = run.write_history(tmp_path / "history.jsonl")
    assert consumed_values(history) == sent_values(history)
    report = check_history(history)
    assert report.verdict is Verdict.VALID, format_text(report)
    run.check_specs()


def test_teeth_commit_before_processing_then_a_crash_loses_records(tmp_path: Path) -> None:
    """Teeth: committing right after ``poll()`` and crashing before processing loses what was
    polled; the survivor resumes past it, and the checker reports DELIV-19."""
    run = GroupCluster(seed=7, commit_before_process=True)
    run.start()
    run.join(0)
    for partition in range(PARTITIONS):
        run.produce(partition, 2)
    while not run.unprocessed[0]:
        run.poll(0)  # commits what it polled at once ...
    run.crash(0)  # ... and dies before processing it
    run.join(1)
    run.advance(7000)
    drain(run)
    history = run.write_history(tmp_path / "history.jsonl")
    report = check_history(history)
    assert report.verdict is Verdict.INVALID
    assert report.spec_violations("DELIV-19"), format_text(report)
    with pytest.raises(AssertionError, match="DELIV-19"):
        check("DELIV-19", at_least_once_per_group(history))


# ---------------------------------------------------------------------------------------------
# The machine


members = st.sampled_from(range(len(MEMBERS)))


class GroupClusterMachine(RuleBasedStateMachine):
    """Two members of ``g``, a producer and three brokers; the application and its faults."""

    commit_before_process: ClassVar[bool] = False

    @initialize(seed=st.integers(min_value=0, max_value=2**16))
    def start(self, seed: int) -> None:
        self.run = GroupCluster(seed, commit_before_process=self.commit_before_process)
        self.run.start()
        self.run.join(0)
        self.run.join(1)
        self.run.produce(0, 2)

    @rule(partition=st.integers(0, PARTITIONS - 1), count=st.integers(1, 3))
    def produce(self, partition: int, count: int) -> None:
        self.run.produce(partition, count)

    @rule(index=members, act=st.sampled_from(["poll", "process", "commit", "crash"]))
    def act(self, index: int, act: str) -> None:
        """The application polls, processes, commits, or its process dies."""
        getattr(self.run, act)(index)

    @rule(index=members)
    def restart(self, index: int) -> None:
        if not self.run.up[index]:
            self.run.join(index)

    @precondition(lambda self: len(self.run.cluster.running()) == 3)
    @rule()
    def kill_coordinator(self) -> None:
        if self.run.coordinator_id() >= 0:
            self.run.kill_coordinator()

    @precondition(lambda self: len(self.run.cluster.running()) < 3)
    @rule()
    def restart_broker(self) -> None:
        """Restart the dead broker and wait until it is back in every ISR, so that a later
        crash of a leader leaves a replica to elect (``unclean.leader.election`` is off)."""
        self.run.restart_broker()

    @rule(duration=st.sampled_from((300, 2000, 7000)))
    def advance(self, duration: int) -> None:
        self.run.advance(duration)

    @invariant()
    def at_least_once_per_group(self) -> None:
        check("DELIV-19", at_least_once_per_group(self.run.history()))

    @invariant()
    def one_owner_per_generation(self) -> None:
        check("DELIV-21", one_owner_per_generation(self.run.history()))

    @invariant()
    def one_owner_per_partition_per_generation(self) -> None:
        check("GROUP-2", one_owner_per_partition_per_generation(self.run.handed_out))


TestGroupClusterModel = GroupClusterMachine.TestCase
TestGroupClusterModel.settings = settings(
    TestGroupClusterModel.settings,
    max_examples=max(5, settings().max_examples // 4),  # each example runs a cluster
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TEETH_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=12,
    database=None,
    deadline=None,
    phases=(Phase.generate,),
    suppress_health_check=list(HealthCheck),
)


def test_teeth_the_machine_finds_the_loss_of_commit_before_processing() -> None:
    """Teeth: with commits before processing, Hypothesis finds a crash that loses records."""

    class CommitFirst(GroupClusterMachine):
        commit_before_process = True

    with pytest.raises(AssertionError, match="DELIV-19"):
        run_state_machine_as_test(CommitFirst, settings=TEETH_SETTINGS)
