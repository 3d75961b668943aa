"""The lab of chapters 8 and 10: real consumers and a real producer on a simulated cluster.

:class:`GroupLab` starts glasskafka's simulator with a ZooKeeper-style coordination node and
three brokers (every broker can host the group coordinator), creates the topic ``orders`` with
three partitions and three replicas, and adds a :class:`~glasskafka.client.ProducerNode` with
``acks=all``.  Consumers are real :class:`~glasskafka.client.consumer.ConsumerNode` instances,
added by name (``c1``, ``c2``, ...) to a group; each call of the lab is what an application's
thread would do: ``poll()``, process, ``commit_sync()``, or die.

While the run goes on the lab writes down two things for the chapter to print:

* every state change of every group, as the coordinator made it (``transitions``): the lab
  watches each broker's coordinator after each of its inputs (``last_transitions``), so the line
  carries the simulated time of the input that caused the change;
* what the clients saw, as a ``glasskafka.history`` history (``recording``; ``recording.py``).

Everything runs in virtual time from a seed, so every run prints the same story.

Spec IDs: none (tutorial helpers); the runs are judged by the DELIV checks of the history
checker.

Simplified from Kafka: Kafka's consumer runs its heartbeats on a background thread; here the
simulator delivers the consumer's heartbeat timers between the application's calls, which is
the same thing in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.client import FutureState, ProducerNode, ProducerRecord, producer_config
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import (
    CallResult,
    CommitResult,
    ConsumerRecord,
    PollResult,
)
from glasskafka.config import config_from_properties
from glasskafka.errors import GlassKafkaError
from glasskafka.group import GroupState, partition_for
from glasskafka.group.inspection import GroupView
from glasskafka.history import Process
from glasskafka.ids import BrokerId, Millis, NodeId, TopicPartition
from glasskafka.node import Output
from glasskafka.sim import Delivered, TimerFired, TraceEvent
from glasskafka.sim.kafka_cluster import KafkaCluster

from tutorials.ch08_consumer_groups_and_rebalancing.recording import Recording

__all__ = [
    "BOOTSTRAP",
    "OFFSETS_PARTITIONS",
    "TOPIC",
    "GroupLab",
    "Transition",
    "show_records",
]

TOPIC = "orders"
OFFSETS_PARTITIONS = 3
PRODUCER = NodeId("producer")
BOOTSTRAP = (NodeId("broker-1"), NodeId("broker-2"), NodeId("broker-3"))
BROKER_PROPERTIES = {
    # Three offsets partitions instead of Kafka's 50 keep the pictures small; the coordinator
    # is still the leader of partition abs(hash(group.id)) % 3 (reference/clients-and-groups.md).
    "offsets.topic.num.partitions": str(OFFSETS_PARTITIONS),
    # Kafka waits 3 s for more members before the first rebalance of an empty group (KIP-134);
    # no wait makes the first join easier to follow.
    "group.initial.rebalance.delay.ms": "0",
}
CONSUMER_PROPERTIES = {
    "auto.offset.reset": "earliest",
    "enable.auto.commit": "false",
    "session.timeout.ms": "6000",
    "heartbeat.interval.ms": "2000",
    "max.poll.interval.ms": "20000",
    "max.poll.records": "3",
    "partition.assignment.strategy": "range",
}
PRODUCER_PROPERTIES = {
    "bootstrap.servers": "broker-1,broker-2,broker-3",
    "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
    "acks": "all",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """One state change of a group, at the broker that coordinates it."""

    time_ms: int
    broker_id: int
    group_id: str
    source: GroupState
    target: GroupState
    generation_id: int

    def line(self) -> str:
        return (
            f"  {self.time_ms:>6} ms  broker {self.broker_id}  group {self.group_id}: "
            f"{self.source.value} -> {self.target.value} (generation {self.generation_id})"
        )


def show_records(records: Sequence[ConsumerRecord]) -> str:
    """``orders-0@0 orders-0@1`` -- where each record sits (its value is printed elsewhere)."""
    return " ".join(f"{r.topic}-{r.partition}@{r.offset}" for r in records) or "(nothing)"


class GroupLab:
    """A three-broker cluster, a producer, named consumers, and the story of the run."""

    def __init__(self, *, seed: int = 8, consumer_overrides: Mapping[str, str] | None = None):
        self.cluster = KafkaCluster(brokers=3, seed=seed, overrides=BROKER_PROPERTIES)
        self.properties = {**CONSUMER_PROPERTIES, **(consumer_overrides or {})}
        self.groups: dict[str, str] = {}  # consumer name -> group id
        self.bugs: dict[str, BugFlags] = {}
        self.up: dict[str, bool] = {}
        self.taken: dict[str, int] = {}
        self.recording = Recording()
        self.transitions: list[Transition] = []
        self._last_input_ms: dict[int, int] = {}
        self._seen: dict[int, object] = {}
        self.next_value = 0

    def start(self) -> None:
        """Start ZooKeeper and the brokers, create ``orders``, add the producer."""
        self.cluster.start()
        self.cluster.create_topic(
            TOPIC, partitions=3, replication_factor=3, configs={"min.insync.replicas": "2"}
        )
        config = producer_config(PRODUCER_PROPERTIES)
        self.cluster.sim.add_node(PRODUCER, lambda n, d, rng: ProducerNode(n, config, rng))
        self.cluster.sim.observe(self._watch)

    @property
    def now_ms(self) -> int:
        return int(self.cluster.now_ms)

    # -- the producer --------------------------------------------------------------------------

    def produce(self, count: int, *, partition: int | None = None) -> list[tuple[int, int, str]]:
        """Send ``count`` records (values ``v0``, ``v1``, ...; to ``partition``, or round robin
        over the three) and wait for the acknowledgements; returns (partition, offset, value)."""
        sent = []
        for _ in range(count):
            value = f"v{self.next_value}"
            target = partition if partition is not None else self.next_value % 3
            self.next_value += 1

            def call(
                node: ProducerNode, now_ms: Millis, value: str = value, p: int = target
            ) -> list[Output]:
                future, outputs = node.send(
                    ProducerRecord(topic=TOPIC, value=value, partition=p), now_ms=now_ms
                )
                sent.append((p, value, future))
                return outputs

            self.cluster.sim.call(PRODUCER, call, kind=ProducerNode, label=f"send {value}")
        producer = self.cluster.sim.node_as(PRODUCER, ProducerNode)
        done = self.cluster.run_until(lambda: all(producer.future(f).done for *_, f in sent))
        assert done, "the producer did not finish within 30 s"
        acknowledged = []
        for p, value, future in sent:
            outcome = producer.future(future)
            assert outcome.state is FutureState.SUCCEEDED and outcome.metadata is not None
            offset = outcome.metadata.offset
            self.recording.sent(self.now_ms, topic=TOPIC, partition=p, offset=offset, value=value)
            acknowledged.append((p, offset, value))
        return acknowledged

    # -- the consumers -------------------------------------------------------------------------

    def add_consumer(
        self,
        name: str,
        group: str,
        *,
        properties: Mapping[str, str] | None = None,
        bugs: BugFlags = NO_BUGS,
    ) -> None:
        """Start consumer ``name`` in ``group`` and ``subscribe(["orders"])``."""
        config = config_from_properties(
            ConsumerConfig, {**self.properties, **(properties or {}), "group.id": group}
        )
        node_id = NodeId(name)
        self.cluster.sim.add_node(
            node_id,
            lambda n, d, rng: ConsumerNode(
                n, config=config, rng=rng, bootstrap=BOOTSTRAP, bugs=bugs, record_history=True
            ),
        )
        self.groups[name] = group
        self.bugs[name] = bugs
        self._subscribe(name)

    def _subscribe(self, name: str) -> None:
        self.up[name] = True
        self.taken[name] = 0
        self.cluster.sim.call(
            NodeId(name), lambda c, now: c.subscribe([TOPIC], now), kind=ConsumerNode
        )
        self.collect()

    def consumer(self, name: str) -> ConsumerNode:
        return self.cluster.sim.node_as(NodeId(name), ConsumerNode)

    def _blocking(
        self, name: str, start: Callable[[ConsumerNode, Millis], list[Output]]
    ) -> CallResult | GlassKafkaError:
        """Run a blocking consumer call to its end (at most two minutes of virtual time)."""
        node_id = NodeId(name)
        self.cluster.sim.call(node_id, start, kind=ConsumerNode)
        done = self.cluster.run_until(lambda: self.consumer(name).result_ready, deadline_ms=120_000)
        assert done, f"{name}: the call did not finish within two minutes"
        try:
            return self.consumer(name).take_result()
        except GlassKafkaError as error:  # a commit refused, a poll that failed
            return error
        finally:
            self.collect()

    def poll(self, name: str, timeout_ms: int = 1000) -> tuple[ConsumerRecord, ...]:
        """``poll(timeout_ms)``: the records it returned (a rebalance may run inside it)."""
        result = self._blocking(name, lambda c, now: c.poll(timeout_ms, now))
        assert isinstance(result, PollResult), result
        return result.records

    def commit(self, name: str) -> dict[TopicPartition, int] | str:
        """``commit_sync()``: the offsets committed, or the error's message."""
        result = self._blocking(name, lambda c, now: c.commit_sync(now, timeout_ms=5000))
        if isinstance(result, CommitResult):
            return dict(sorted(result.offsets.items()))
        return str(result)

    def process(self, name: str, records: tuple[ConsumerRecord, ...]) -> None:
        """The application has finished its work on ``records``."""
        if records:
            self.recording.processed(self.now_ms, name, records)

    def work(self, name: str) -> tuple[ConsumerRecord, ...]:
        """One turn of the at-least-once loop: poll, process what came, then commit it."""
        records = self.poll(name)
        self.process(name, records)
        if records:
            self.commit(name)
        return records

    def work_until_quiet(self, names: Sequence[str], *, quiet_rounds: int = 3) -> None:
        """Turns of every named consumer until ``quiet_rounds`` rounds in a row bring nothing
        (at most 40 rounds): each has joined, taken its share and read everything."""
        quiet = 0
        for _ in range(40):
            got = sum(len(self.work(name)) for name in names if self.up[name])
            quiet = quiet + 1 if got == 0 else 0
            if quiet >= quiet_rounds:
                return
        raise AssertionError(f"{list(names)} were still reading after 40 rounds")

    def crash(self, name: str) -> None:
        """Consumer ``name``'s process dies: no LeaveGroup, no commit, no goodbye."""
        self.collect()
        self.cluster.sim.crash(NodeId(name))
        self.up[name] = False
        self.recording.crashed(self.now_ms, name)

    def restart(self, name: str) -> None:
        """Start the crashed consumer ``name`` again; it subscribes and rejoins its group."""
        self.cluster.sim.restart(NodeId(name))
        self.recording.restarted(self.now_ms, name)
        self._subscribe(name)

    def advance(self, duration_ms: int) -> None:
        """Let ``duration_ms`` of virtual time pass (heartbeats and timers keep running)."""
        self.cluster.run_for(duration_ms)
        self.collect()

    def collect(self) -> None:
        """Take every live consumer's new events into the recording."""
        for name, group in sorted(self.groups.items()):
            if not self.up[name]:
                continue
            events = self.consumer(name).history or []
            self.recording.consumer_events(name, events[self.taken[name] :], group)
            self.taken[name] = len(events)
        self._watch(None)

    def processed(self, name: str) -> list[str]:
        """Where the records consumer ``name`` processed sit, ``orders-0@1=v3``, in order."""
        return [
            f"{r.topic}-{r.partition}@{r.offset}={r.value}"
            for op in self.recording.history().operations
            if isinstance(op, Process) and op.client == name
            for r in op.records
        ]

    def assignment(self, name: str) -> list[str]:
        """``assignment()`` as ``orders-0`` names."""
        return [f"{t}-{p}" for t, p in sorted(self.consumer(name).assignment())]

    # -- the coordinator -----------------------------------------------------------------------

    def coordinator_id(self, group: str) -> BrokerId:
        """The broker that leads the group's ``__consumer_offsets`` partition."""
        return self.cluster.leader("__consumer_offsets", partition_for(group, OFFSETS_PARTITIONS))

    def group_view(self, group: str) -> GroupView | None:
        """The group as its coordinator holds it (None before the first FindCoordinator)."""
        for broker_id in self.cluster.running():
            view = self.cluster.broker(broker_id).groups.coordinator.group(group)
            if view is not None and view.state is not GroupState.DEAD:
                return view
        return None

    def _watch(self, event: TraceEvent | None) -> None:
        """Take new group transitions from every running coordinator (an observer of the
        trace; an input is recorded just before its node handles it, so what a broker did is
        seen at the next event and dated by that broker's last input)."""
        for broker_id in self.cluster.running():
            done = self.cluster.broker(broker_id).groups.coordinator.last_transitions
            if done and done is not self._seen.get(broker_id):
                self._seen[broker_id] = done
                time_ms = self._last_input_ms.get(broker_id, self.now_ms)
                self.transitions.extend(
                    Transition(
                        time_ms=time_ms,
                        broker_id=broker_id,
                        group_id=t.group_id,
                        source=t.source,
                        target=t.target,
                        generation_id=t.generation_id,
                    )
                    for t in done
                )
        if isinstance(event, Delivered | TimerFired):
            node = event.receiver if isinstance(event, Delivered) else event.node_id
            if node.startswith("broker-"):
                self._last_input_ms[int(node.removeprefix("broker-"))] = int(event.time_ms)

    def transition_lines(self, *, since: int = 0) -> list[str]:
        """The transitions from number ``since`` on, one line each."""
        return [t.line() for t in self.transitions[since:]]
