"""The replication bench: a simulated cluster driven one input at a time, checked after each.

Theory of operation
-------------------
The replication model suite, its teeth, the scripted scenario replays and the tutorials all need
the same thing: a ``KafkaCluster`` (a coordination node and three brokers) with a
``ReplicationObserver`` attached, a verb per thing that can happen to it, and every replication
spec checked after every single input.  :class:`ReplicationBench` is that.

* **Configuration** (:class:`ReplicationConfig`): bug flags, replication factor,
  ``min.insync.replicas``, ``unclean.leader.election.enable``, whether lossy crashes may happen,
  which acks levels producers use, and the spec IDs the configuration is *allowed* to break
  (reference §3.1).  Those are skipped; every other ID is checked.
* **Verbs**: :meth:`~ReplicationBench.produce` (a uniquely named record from a producer client
  with nothing else waiting, so no request ever waits behind another on one connection),
  :meth:`~ReplicationBench.consume`, :meth:`~ReplicationBench.deliver` (one pending choice of the
  controlled mode), :meth:`~ReplicationBench.deliver_first` (the first pending message of one
  kind), :meth:`~ReplicationBench.run_for`, :meth:`~ReplicationBench.run_until`,
  :meth:`~ReplicationBench.run_holding` (run while one kind of message waits),
  :meth:`~ReplicationBench.advance_time`, :meth:`~ReplicationBench.crash`,
  :meth:`~ReplicationBench.restart`, :meth:`~ReplicationBench.isolate`,
  :meth:`~ReplicationBench.heal`, :meth:`~ReplicationBench.expire_session` and
  :meth:`~ReplicationBench.settle` (the liveness phase).
* **Two modes**: *strict* (the model tests) raises at the first violation; *collecting* (the
  scenario replays and the tutorials) records every violated ID and carries on.
* **Checks**: after every input the bench takes a snapshot and checks the state invariants
  (``specs/replication.py``) on it and the transition properties (``specs/replication_steps.py``)
  on the pair of snapshots around the input, with the input's step events.  A step may carry
  several events (a fetch that also completes a waiting produce); each property is given every
  event of the kinds it looks at, and REPL-13 -- "some fetch in this step justifies the new ISR
  member" -- reports only what no event of the step explains.  Faults (crash, restart, network
  partition and heal) are not protocol steps: a restarted process starts with empty memory, so
  the transition properties are not applied across them; the state invariants are.

In strict mode every violation raises ``AssertionError`` through ``specs.catalogue.check``, whose
message starts with the spec ID, so Hypothesis shrinks on it and teeth tests match it.

Two workarounds are candid about the parts below: :meth:`~ReplicationBench.restart` first tells
every peer that its connection to the crashed broker broke (the simulated network keeps one
connection per pair of nodes, so an untold peer would swallow its first answer to the new
process), and :meth:`~ReplicationBench.heal` waits until a cut-off broker's session has expired
and the broker has registered again (see its docstring for the two gaps this steps around).

Spec IDs: REPL-1..16, CTRL-1, LIVE-1..3 (checked here for the suites that use the bench).

Simplified from Kafka: Kafka's system tests check such properties only at the end of a run
(ducktape's ``ProduceConsumeValidateTest``); checking after every input is possible only in a
deterministic simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.errors import ErrorCode
from glasskafka.ids import BrokerId, NodeId
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.fetch import FetchPartition, FetchRequest, FetchTopic
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from glasskafka.records import Record, encode_batch
from glasskafka.sim.choices import DeliverMessage, ReportLoss
from glasskafka.sim.faults import DiskFault
from glasskafka.sim.kafka_cluster import KafkaCluster, ScriptedClient
from glasskafka.sim.kafka_snapshot import (
    Acks,
    ClusterSnapshot,
    FetchHandled,
    IsrWriteAnswered,
    IsrWriteHandled,
    LeaderAndIsrHandled,
    ProduceCompleted,
    ProduceHandled,
    StepEvent,
)
from glasskafka.sim.replication_observer import ReplicationObserver

import specs.replication as state
import specs.replication_steps as steps
from specs.catalogue import check

__all__ = [
    "LIVENESS_SPECS",
    "STATE_SPECS",
    "TOPIC",
    "TRANSITION_SPECS",
    "ReplicationBench",
    "ReplicationConfig",
]

TOPIC = "t"
"""The one topic of the bench: one partition, replicated on every broker (or on two)."""

StatePredicate = Callable[[ClusterSnapshot], list[str]]
TransitionPredicate = Callable[[ClusterSnapshot, ClusterSnapshot, StepEvent | None], list[str]]

STATE_SPECS: dict[str, StatePredicate] = {
    "REPL-1": state.committed_prefix_agreement,
    "REPL-2": state.candidate_completeness,
    "REPL-3": state.weak_isr,
    "REPL-4": state.leader_completeness,
    "REPL-5": state.no_loss_of_acks_all,
    "REPL-6": state.consistent_reads,
    "REPL-7": state.leader_in_isr,
    "REPL-8": state.quorum_superset,
    "REPL-9": state.watermark_sanity,
    "REPL-11": state.one_true_leader_per_epoch,
    "REPL-15": state.unclean_exclusion,
}
"""State invariants, checked after every input and every fault."""

TRANSITION_SPECS: dict[str, TransitionPredicate] = {
    "REPL-10": steps.epoch_monotonicity,
    "REPL-12": steps.fenced_progress,
    "REPL-13": steps.safe_isr_expansion,
    "REPL-14": steps.truncation_safety,
    "REPL-16": steps.min_isr_gate,
    "CTRL-1": steps.controller_fencing,
}
"""Transition properties, checked on the two snapshots around every input."""

LIVENESS_SPECS: dict[str, StatePredicate] = {
    "LIVE-1": state.eventual_answer,
    "LIVE-2": state.eventual_full_replication,
    "LIVE-3": state.metadata_convergence,
}
"""Liveness, checked once at the end of :meth:`ReplicationBench.settle`."""

_RELEVANT: dict[str, tuple[type, ...]] = {
    "REPL-10": (IsrWriteHandled,),
    "REPL-12": (FetchHandled,),
    "REPL-13": (FetchHandled,),
    "REPL-14": (),
    "REPL-16": (ProduceHandled, ProduceCompleted),
    "CTRL-1": (LeaderAndIsrHandled, IsrWriteHandled, IsrWriteAnswered),
}
"""Which step events each transition property looks at."""

PRODUCERS = 6
"""Producer clients started with the bench (more are added when all of them are waiting)."""

PRODUCE_TIMEOUT_MS = 10_000
"""The ``timeout_ms`` of the bench's produce requests: how long an acks=all write may wait."""

SETTLE_MS = 15_000
"""The liveness budget: longer than a produce's timeout, so every request is answered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationConfig:
    """One configuration of the model (reference §3.1, §4)."""

    bugs: BugFlags = NO_BUGS
    replication_factor: int = 3
    min_insync_replicas: int = 2
    unclean_leader_election_enable: bool = False
    lossy_crash: bool = False
    acks: tuple[Acks, ...] = (Acks.ALL,)
    may_break: frozenset[str] = frozenset()
    """Spec IDs this configuration is allowed to break; they are not checked."""
    agreement_after_settle: bool = True
    """Check REPL-1 after the liveness phase even if it may break on the way (§3.1)."""

    replica_lag_time_max_ms: int = 2000
    """Shorter than Kafka's 30 s so that a short run sees followers leave and rejoin the ISR."""

    def topic_configs(self) -> dict[str, str]:
        """The topic's settings, as CreateTopics passes them."""
        return {
            "min.insync.replicas": str(self.min_insync_replicas),
            "unclean.leader.election.enable": str(self.unclean_leader_election_enable).lower(),
        }

    def broker_properties(self) -> dict[str, str]:
        """Every broker's ``server.properties`` overrides."""
        return {
            "replica.lag.time.max.ms": str(self.replica_lag_time_max_ms),
            **self.topic_configs(),
        }

    def checks(self, specs: dict[str, StatePredicate]) -> dict[str, StatePredicate]:
        return {spec_id: f for spec_id, f in specs.items() if spec_id not in self.may_break}


@dataclass(slots=True)
class ReplicationBench:
    """A started three-broker cluster with topic ``t``, checked after every input."""

    config: ReplicationConfig = field(default_factory=ReplicationConfig)
    seed: int = 0
    cluster: KafkaCluster = field(init=False)
    observer: ReplicationObserver = field(init=False)
    latest: ClusterSnapshot = field(init=False)
    """The snapshot after the latest input or fault."""
    isolated: set[int] = field(default_factory=set)
    """Brokers cut off from every other node by :meth:`isolate`, until :meth:`heal`."""
    _cut_sessions: dict[int, int] = field(default_factory=dict)
    strict: bool = True
    """Raise at the first violation (model tests), or collect them all (replays, tutorials)."""
    violations: dict[str, list[str]] = field(default_factory=dict)
    """In collecting mode: every violated spec ID and the messages of its first violation."""
    records: list[str] = field(default_factory=list)
    inputs_checked: int = 0
    _seen: int = 0

    def __post_init__(self) -> None:
        # The settings go to the brokers too: a broker's log takes min.insync.replicas from the
        # broker's defaults, the controller takes unclean.leader.election.enable per topic.
        self.cluster = KafkaCluster(
            brokers=3,
            seed=self.seed,
            overrides=self.config.broker_properties(),
            bugs=self.config.bugs,
        )
        self.observer = ReplicationObserver()
        self.observer.attach(self.cluster.sim)
        self.cluster.start()
        result = self.cluster.create_topic(
            TOPIC,
            replication_factor=self.config.replication_factor,
            configs=self.config.topic_configs(),
        )
        assert result.error_code == ErrorCode.NONE, f"could not create {TOPIC}: {result}"
        for number in range(1, PRODUCERS + 1):
            self.cluster.client(f"producer-{number}")
        self.cluster.client("consumer-1")
        self.resync()

    # -- checking ------------------------------------------------------------------------------

    def resync(self) -> ClusterSnapshot:
        """After a fault: take a fresh snapshot and check the state invariants only."""
        self._seen = self.observer.inputs
        self.latest = self.observer.snapshot()
        self._check_state(self.latest)
        return self.latest

    def _after_input(self) -> None:
        """If an input happened since the last check: check the step and the new state."""
        if self.observer.inputs == self._seen:
            return
        self._seen = self.observer.inputs
        before, after = self.latest, self.observer.snapshot()
        events = self.observer.step_events(before, after)
        self.latest = after
        self.inputs_checked += 1
        for spec_id, predicate in TRANSITION_SPECS.items():
            if spec_id not in self.config.may_break:
                self._verdict(spec_id, _judge(spec_id, predicate, before, after, events))
        self._check_state(after)

    def _check_state(self, snapshot: ClusterSnapshot) -> None:
        for spec_id, predicate in self.config.checks(STATE_SPECS).items():
            self._verdict(spec_id, predicate(snapshot))

    def _verdict(self, spec_id: str, violations: list[str]) -> None:
        if self.strict:
            check(spec_id, violations)
        elif violations:
            self.violations.setdefault(spec_id, violations)

    def check_liveness(self) -> None:
        """LIVE-1..3 on the latest snapshot (call :meth:`settle` first), and REPL-1 where the
        configuration lets it break on the way: once every replica has reconciled with the
        current leader, divergence must not persist (reference §3.1)."""
        for spec_id, predicate in self.config.checks(LIVENESS_SPECS).items():
            self._verdict(spec_id, predicate(self.latest))
        if "REPL-1" in self.config.may_break and self.config.agreement_after_settle:
            self._verdict("REPL-1", state.committed_prefix_agreement(self.latest))

    def _hook(self) -> bool:
        self._after_input()
        return False

    # -- running -------------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return self.cluster.now_ms

    def run_for(self, duration_ms: int) -> None:
        """Let the cluster run on its own for ``duration_ms``, checking after every input."""
        self.cluster.sim.run_until(lambda _: self._hook(), self.now_ms + duration_ms)

    def run_until(self, predicate: Callable[[], bool], *, deadline_ms: int = 60_000) -> bool:
        """Run until ``predicate()`` holds (checking after every input); return whether it did."""

        def done(_: object) -> bool:
            self._after_input()
            return predicate()

        return self.cluster.sim.run_until(done, self.now_ms + deadline_ms)

    def deliver(self, pick: int) -> str:
        """Perform pending choice number ``pick`` (modulo their count); return what it was."""
        choices = self.cluster.sim.pending()
        if not choices:
            return "nothing pending"
        choice = choices[pick % len(choices)]
        self.cluster.sim.deliver(choice)
        self._after_input()
        return repr(choice)

    def deliver_first(self, body: type, *, to: NodeId | None = None) -> bool:
        """Deliver the first pending message whose body (inside its envelope) is a ``body``,
        to ``to`` if given; return whether there was one."""
        for choice in self.cluster.sim.pending():
            if not isinstance(choice, DeliverMessage) or to not in (None, choice.receiver):
                continue
            if _body_is(choice, body):
                self.cluster.sim.deliver(choice)
                self._after_input()
                return True
        return False

    def run_holding(self, body: type, *, to: NodeId, duration_ms: int, tick_ms: int = 5) -> None:
        """Run for ``duration_ms`` in the controlled mode, performing every pending step except
        messages whose body is a ``body`` for ``to``, which wait (a slow link for one kind of
        message).  Time moves in ``tick_ms`` steps whenever nothing else can happen."""
        deadline = self.now_ms + duration_ms
        while self.now_ms < deadline:
            runnable = [c for c in self.cluster.sim.pending() if not _held(c, body, to)]
            if runnable:
                self.cluster.sim.deliver(runnable[0])
                self._after_input()
            else:
                self.advance_time(min(tick_ms, deadline - self.now_ms))

    def advance_time(self, duration_ms: int) -> None:
        """Let time pass without performing anything (timers become due)."""
        self.cluster.sim.advance_time(duration_ms)

    # -- clients -------------------------------------------------------------------------------

    def presumed_leaders(self) -> list[BrokerId]:
        """Running brokers that believe they lead ``t-0`` (zombies included), sorted."""
        (partition,) = self.latest.partitions
        return [r.broker_id for r in partition.replicas if r.is_presumed_leader]

    def _target(self, pick: int) -> NodeId | None:
        leaders = self.presumed_leaders()
        if not leaders:
            return None
        return self.cluster.node_of(leaders[pick % len(leaders)])

    def produce(self, acks: Acks = Acks.ALL, *, pick: int = 0) -> str | None:
        """Send a new record (``m1``, ``m2``...) to a presumed leader; return its id, or
        ``None`` if no broker believes it leads.  The answer comes when it is delivered."""
        target = self._target(pick)
        if target is None:
            return None
        record = f"m{len(self.records) + 1}"
        self.records.append(record)
        batch = encode_batch([Record(value=record.encode(), timestamp=self.now_ms)])
        body = ProduceRequest(
            acks={Acks.ALL: -1, Acks.ONE: 1, Acks.ZERO: 0}[acks],
            timeout_ms=PRODUCE_TIMEOUT_MS,
            topic_data=(
                TopicProduceData(
                    name=TOPIC, partition_data=(PartitionProduceData(index=0, records=batch),)
                ),
            ),
        )
        client = self._idle_producer()
        self.cluster.sim.call(
            client.node_id, lambda n, _: n.send(target, body), kind=ScriptedClient, label="produce"
        )
        self._after_input()
        return record

    def _idle_producer(self) -> ScriptedClient:
        """A producer client with no request waiting for an answer, so that no request ever
        waits behind another on one connection.  The bench starts a few before any network
        partition (a node added during one is cut off from all)."""
        for number in range(1, 1000):
            client = self.cluster.client(f"producer-{number}")
            if not client.waiting:
                return client
        raise AssertionError("a thousand producers are all waiting for answers")

    def consume(self, *, pick: int = 0) -> bool:
        """Send a fetch from offset 0 to a presumed leader, unless the consumer still waits for
        an answer; return whether it was sent."""
        target = self._target(pick)
        consumer = self.cluster.client("consumer-1")
        if target is None or consumer.waiting:
            return False
        partition = FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 20)
        body = FetchRequest(
            max_wait_ms=0, min_bytes=1, topics=(FetchTopic(topic=TOPIC, partitions=(partition,)),)
        )
        self.cluster.sim.call(
            consumer.node_id, lambda n, _: n.send(target, body), kind=ScriptedClient, label="fetch"
        )
        self._after_input()
        return True

    # -- faults --------------------------------------------------------------------------------

    def is_up(self, broker: int) -> bool:
        return self.cluster.sim.is_up(self.cluster.node_of(broker))

    def crash(self, broker: int, *, disk: DiskFault = DiskFault.KEEP) -> bool:
        """Crash a running broker (``keep``: a process crash); return whether it was running."""
        if not self.is_up(broker):
            return False
        self.cluster.kill(broker, disk=disk)
        self.resync()
        return True

    def restart(self, broker: int) -> bool:
        """Restart a crashed broker on its disk; return whether it was down.

        First every peer is told that its connection to the crashed broker broke, as a peer's
        TCP stack learns it before a new process can connect: the simulated network keeps one
        connection per pair of nodes, so an untold peer would swallow its first answer to the
        new process.
        """
        if self.is_up(broker):
            return False
        node = self.cluster.node_of(broker)
        for choice in self.cluster.sim.pending():
            if isinstance(choice, ReportLoss) and choice.peer == node:
                self.cluster.sim.deliver(choice)
                self._after_input()
        self.cluster.restart(broker)
        self.resync()
        return True

    def isolate(self, *brokers: int) -> None:
        """Cut each of ``brokers`` off from every other node (a network partition); a new call
        adds to the brokers already cut off."""
        for broker in brokers:
            if self.is_up(broker) and broker not in self.isolated:
                self._cut_sessions[broker] = self.cluster.broker(broker).client.session_id
        self.isolated |= set(brokers)
        groups = [[str(self.cluster.node_of(b))] for b in sorted(self.isolated)]
        self.cluster.partition(*groups)
        self.resync()

    def heal(self, *, deadline_ms: int = 30_000) -> bool:
        """Remove the partition -- once the coordination service has expired the session of
        every broker that was cut off -- and run until those brokers have registered again.
        Returns whether every such session expired in time.

        A session that resumes after a short cut would have to be told of the watch events it
        missed, as ZooKeeper's client does on reconnecting (``SetWatches``); glasskafka's
        coordination service does not do that yet, so a controller cut off for a moment could
        miss a broker's registration for good.  And a controller whose session expired while it
        was cut off goes on acting as controller until it reconnects and learns so; without
        broker epochs (KIP-380) a freshly restarted broker would take its stale LeaderAndIsr.
        The bench therefore lets a cut last until the session expired and lets the cut-off
        brokers come back before anything else happens.
        """
        server = self.cluster.server
        cut = dict(self._cut_sessions)

        def expired() -> bool:
            live = set(server.live_sessions())
            return all(not self.is_up(b) or session not in live for b, session in cut.items())

        gone = self.run_until(expired, deadline_ms=deadline_ms)
        self.isolated.clear()
        self._cut_sessions.clear()
        self.cluster.heal()
        self.resync()
        # Registered again means: a new session, so the broker knows the old one expired.
        self.run_until(
            lambda: all(not self.is_up(b) or server.znode(f"/brokers/ids/{b}") for b in cut),
            deadline_ms=deadline_ms,
        )
        return gone

    def expire_session(self, broker: int, *, deadline_ms: int = 30_000) -> bool:
        """Cut ``broker`` off until the coordination service expires its session, then heal.

        Returns whether the session expired within ``deadline_ms`` (``False`` for a broker that
        is down: it has no session to expire).
        """
        if not self.is_up(broker):
            return False
        self.isolate(broker)
        return self.heal(deadline_ms=deadline_ms)

    def settle(self, *, budget_ms: int = SETTLE_MS) -> None:
        """The liveness phase: heal, restart every crashed broker, run a fair schedule for
        ``budget_ms``, then check LIVE-1..3."""
        self.heal()
        for broker in self.cluster.broker_ids:
            self.restart(broker)
        self.run_for(budget_ms)
        self.check_liveness()


def _body_is(choice: DeliverMessage, body: type) -> bool:
    """Whether ``choice`` carries a ``body`` (inside its Kafka envelope, if it has one)."""
    message = choice.message
    inner = message.body if isinstance(message, KafkaRequest | KafkaResponse) else message
    return isinstance(inner, body)


def _held(choice: object, body: type, to: NodeId) -> bool:
    return isinstance(choice, DeliverMessage) and choice.receiver == to and _body_is(choice, body)


def _judge(
    spec_id: str,
    predicate: TransitionPredicate,
    before: ClusterSnapshot,
    after: ClusterSnapshot,
    events: Sequence[StepEvent],
) -> list[str]:
    """Run one transition property on a step, given every event of the kinds it looks at."""
    kinds = _RELEVANT[spec_id]
    relevant: list[StepEvent | None] = [e for e in events if isinstance(e, kinds)] or [None]
    found = [predicate(before, after, event) for event in relevant]
    if spec_id == "REPL-13":
        # An ISR expansion is justified if any fetch of the step justifies it.
        return [v for v in found[0] if all(v in others for others in found[1:])]
    return [v for violations in found for v in violations]
