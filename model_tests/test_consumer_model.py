"""Model test of consumers in a group: poll, process, commit, crash, restart, in the simulator.

Theory of operation
-------------------
:class:`ConsumerGroupMachine` runs two :class:`~glasskafka.client.consumer.ConsumerNode` members
of group ``"g"`` (eager ``range`` assignment, ``enable.auto.commit`` every second) against the
:class:`~model_tests.test_consumer_harness.FakeBroker` in the deterministic simulator.  The rules
are the application and its environment:

* ``produce`` appends records to a partition (the history records each as an acknowledged send);
* ``poll`` calls ``poll()`` on a member that has processed everything it was given, and
  ``process`` marks what the last poll returned as processed: between the two a crash loses
  the records, which is the window at-least-once is about;
* ``commit`` calls ``commit_sync()``; ``crash`` kills a member (it falls silent; the group
  notices at its session timeout) and ``restart`` starts a fresh one that subscribes again;
* ``advance`` lets simulated time pass (heartbeats, rebalances, auto-commit answers).

The members record their histories (``record_history``); after every step the history so far is
judged by ``specs/delivery.py``: DELIV-19 (every record below the group's committed offset was
processed by a member) and DELIV-21 (one owner per partition per generation).  The teeth are in
``test_consumer_teeth.py``.
"""

from __future__ import annotations

import contextlib

from glasskafka.bugs import NO_BUGS, BugFlags
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import CommitFailedError, ConsumerRecord, PollResult
from glasskafka.config import config_from_properties
from glasskafka.ids import NodeId
from glasskafka.sim import Simulator
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from model_tests.test_consumer_harness import BROKER, FakeBroker, HistoryLog, blocking
from specs.catalogue import check
from specs.delivery import at_least_once_per_group, one_owner_per_generation

TOPIC = "orders"
PARTITIONS = 3
MEMBERS = (NodeId("c0"), NodeId("c1"))
PROPERTIES = {
    "group.id": "g",
    "auto.offset.reset": "earliest",
    "session.timeout.ms": "6000",
    "heartbeat.interval.ms": "1000",
    "auto.commit.interval.ms": "1000",
    "max.poll.interval.ms": "20000",
    "max.poll.records": "3",
    "partition.assignment.strategy": "range",
}

members = st.sampled_from(range(len(MEMBERS)))


class ConsumerGroupMachine(RuleBasedStateMachine):
    """Two members of one group, a fake broker, and the application around them."""

    bugs: BugFlags = NO_BUGS

    def __init__(self) -> None:
        super().__init__()
        self.config = config_from_properties(ConsumerConfig, PROPERTIES)
        self.log = HistoryLog()
        self.next_value = 0
        self.up = [False] * len(MEMBERS)
        self.unprocessed: list[tuple[ConsumerRecord, ...]] = [() for _ in MEMBERS]
        self.sim = Simulator(seed=0)

    def _consumer(self, index: int) -> ConsumerNode:
        return self.sim.node_as(MEMBERS[index], ConsumerNode)

    def _collect(self) -> None:
        for index, node_id in enumerate(MEMBERS):
            if self.up[index]:
                self.log.collect(node_id, self._consumer(index), index + 1, "g")

    @initialize(seed=st.integers(min_value=0, max_value=2**16))
    def start(self, seed: int) -> None:
        """A broker with a three-partition topic, and both members subscribed."""
        self.sim = Simulator(seed=seed)
        self.sim.add_node(
            BROKER, lambda n, d, rng: FakeBroker(n, topics={TOPIC: PARTITIONS}, rng=rng)
        )
        for index in range(len(MEMBERS)):
            self._start_member(index)
        for partition in range(PARTITIONS):
            self.produce(partition, 3)

    def _start_member(self, index: int) -> None:
        node_id = MEMBERS[index]
        if node_id in self.sim.hosts:
            self.sim.restart(node_id)
        else:
            config, bugs = self.config, self.bugs
            self.sim.add_node(
                node_id,
                lambda n, d, rng: ConsumerNode(
                    n, config=config, rng=rng, bugs=bugs, record_history=True
                ),
            )
        self.up[index] = True
        self.log.taken[node_id] = 0
        self.sim.call(node_id, lambda c, now: c.subscribe([TOPIC], now), kind=ConsumerNode)
        self._collect()

    @rule(partition=st.integers(0, PARTITIONS - 1), count=st.integers(1, 4))
    def produce(self, partition: int, count: int) -> None:
        """The application's producer appends ``count`` records (acknowledged at once)."""
        broker = self.sim.node_as(BROKER, FakeBroker)
        values = [f"v{self.next_value + i}" for i in range(count)]
        self.next_value += count
        first = broker.produce(TOPIC, partition, [(None, v.encode()) for v in values])
        for offset, value in enumerate(values, start=first):
            self.log.sent(self.sim.now_ms, TOPIC, partition, offset, value)
        self.sim.call(BROKER, lambda b, now: b.wake_fetches(now), kind=FakeBroker)

    @precondition(lambda self: any(self.up))
    @rule(index=members)
    def poll(self, index: int) -> None:
        """A member that has processed everything polls again (up to a second)."""
        if not self.up[index] or self.unprocessed[index]:
            return
        result = blocking(self.sim, MEMBERS[index], lambda c, now: c.poll(1000, now))
        assert isinstance(result, PollResult)
        self.unprocessed[index] = result.records
        self._collect()

    @rule(index=members)
    def poll_and_process(self, index: int) -> None:
        """The healthy loop: poll, then process what came back."""
        self.poll(index)
        self.process(index)

    @rule(index=members)
    def process(self, index: int) -> None:
        """The application finishes processing what the member's last poll returned."""
        if self.up[index] and self.unprocessed[index]:
            self.log.processed(
                self.sim.now_ms, index + 1, str(MEMBERS[index]), self.unprocessed[index]
            )
            self.unprocessed[index] = ()

    @rule(index=members)
    def commit(self, index: int) -> None:
        """A member commits its positions synchronously, after processing (at-least-once)."""
        if not self.up[index] or self.unprocessed[index]:
            return
        with contextlib.suppress(CommitFailedError):  # refused in a rebalance: commit later
            blocking(self.sim, MEMBERS[index], lambda c, now: c.commit_sync(now, timeout_ms=5000))
        self._collect()

    @rule(index=members, rare=st.integers(0, 2))
    def crash(self, index: int, rare: int) -> None:
        """A member's process dies: unprocessed records are lost with it.  (One draw in three.)"""
        if self.up[index] and not rare:
            self._collect()
            self.sim.crash(MEMBERS[index])
            self.up[index] = False
            self.unprocessed[index] = ()
            self.log.crashed(self.sim.now_ms, index + 1, str(MEMBERS[index]))

    @rule(index=members)
    def restart(self, index: int) -> None:
        """A crashed member starts again and subscribes."""
        if not self.up[index]:
            self.log.restarted(self.sim.now_ms, index + 1, str(MEMBERS[index]))
            self._start_member(index)

    @rule(duration=st.sampled_from((200, 1000, 3000, 7000)))
    def advance(self, duration: int) -> None:
        """Simulated time passes: heartbeats, rebalances, answers to commits."""
        self.sim.run_for(duration)
        self._collect()

    @invariant()
    def at_least_once_per_group(self) -> None:
        check("DELIV-19", at_least_once_per_group(self.log.history()))

    @invariant()
    def one_owner_per_generation(self) -> None:
        check("DELIV-21", one_owner_per_generation(self.log.history()))


TestConsumerGroupModel = ConsumerGroupMachine.TestCase
