"""The producer node in the simulator against fake brokers: ORDER-1 and IDEM-1..3 after every step.

Theory of operation
-------------------
``test_producer_state_model.py`` checks the broker's side of idempotence against an abstract
producer; this suite checks the real :class:`~glasskafka.client.producer.ProducerNode`.  It sends
records to two partitions led by two fake brokers (``test_producer_node_fakes.py``, which run the
real producer-state checks), and Hypothesis plays the environment:

* the producer sends a record to partition 0 or 1;
* the simulation performs the next few events (deliveries, timers);
* a broker's next Produce request is dropped, its answer dropped, or refused with a retriable
  error, or the append is answered with an error;
* a partition's leadership moves to the other broker in a clean election (the new leader gets
  the old one's log and producer state, as a follower in the ISR would have them);
* the network between the producer and the brokers breaks, and later heals;
* time passes, so lingers, backoffs and request timeouts fire.

After every step: ORDER-1 for each partition (the leader's log against the producer's futures),
IDEM-1 and IDEM-2 over the leaders' logs, and IDEM-3 at the level of records: every acknowledged
offset holds the acknowledged record.  The simulator runs the node's own ``check_invariants``
after every input.  The teeth test switches idempotence off and asserts that Hypothesis finds a
duplicate.

Spec IDs: ORDER-1, IDEM-1, IDEM-2, IDEM-3.

Simplified from Kafka: fake brokers, one replica each; elections copy the log instead of
replicating it.
"""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
from glasskafka.client import FutureId, FutureState, ProducerNode, ProducerRecord, producer_config
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Output
from glasskafka.sim import Simulator
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

from model_tests.test_producer_node_fakes import FakeBroker, FakeLayout, Fault, fake_broker_factory
from specs.catalogue import check
from specs.idempotence import IdempotenceSnapshot, LoggedBatch, ReplicaView
from specs.idempotence import no_sequence_twice as idem_1
from specs.idempotence import sequences_rise_by_one as idem_2
from specs.ordering import (
    OrderingSnapshot,
    ProducerSettingsView,
    SendOutcome,
    SentRecord,
    acknowledged_records_in_send_order,
)

PRODUCER = NodeId("producer-1")
BROKERS = (NodeId("broker-1"), NodeId("broker-2"))
OUTCOMES = {
    FutureState.PENDING: SendOutcome.PENDING,
    FutureState.SUCCEEDED: SendOutcome.ACKED,
    FutureState.FAILED: SendOutcome.FAILED,
}


class ProducerNodeMachine(RuleBasedStateMachine):
    """One producer, two fake brokers, two partitions (see the module docstring)."""

    properties: ClassVar[dict[str, str]] = {
        "bootstrap.servers": "broker-1",
        "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
        "request.timeout.ms": "300",
        "delivery.timeout.ms": "60000",
        "retry.backoff.ms": "20",
    }

    @initialize(seed=st.integers(min_value=0, max_value=2**16), linger=st.sampled_from([0, 5]))
    def start(self, seed: int, linger: int) -> None:
        self.layout = FakeLayout(brokers=(1, 2), leaders={"t": [1, 2]})
        self.sim = Simulator(seed=seed)
        for broker in BROKERS:
            self.sim.add_node(broker, fake_broker_factory(self.layout))
        self.config = producer_config({**self.properties, "linger.ms": str(linger)})
        self.sim.add_node(
            PRODUCER, lambda node_id, disk, rng: ProducerNode(node_id, self.config, rng)
        )
        self.sent: dict[int, list[tuple[str, FutureId]]] = {0: [], 1: []}
        self.partitioned = False

    @property
    def producer(self) -> ProducerNode:
        return self.sim.node_as(PRODUCER, ProducerNode)

    def leader(self, partition: int) -> FakeBroker:
        return self.sim.node_as(NodeId(f"broker-{self.layout.leaders['t'][partition]}"), FakeBroker)

    # -- the environment -----------------------------------------------------------------------

    @rule(partition=st.sampled_from([0, 1]))
    def send(self, partition: int) -> None:
        value = f"r{sum(len(s) for s in self.sent.values())}"

        def call(node: ProducerNode, now_ms: Millis) -> list[Output]:
            record = ProducerRecord(topic="t", value=value, partition=partition)
            future, outputs = node.send(record, now_ms=now_ms)
            self.sent[partition].append((value, future))
            return outputs

        self.sim.call(PRODUCER, call, kind=ProducerNode, label=f"send {value}")

    @rule(steps=st.integers(min_value=1, max_value=8))
    def run_events(self, steps: int) -> None:
        for _ in range(steps):
            if not self.sim.step():
                break

    @rule(milliseconds=st.sampled_from([10, 100, 400]))
    def let_time_pass(self, milliseconds: int) -> None:
        self.sim.run_for(milliseconds)

    @rule(broker=st.sampled_from([1, 2]), fault=st.sampled_from(list(Fault)))
    def inject_fault(self, broker: int, fault: Fault) -> None:
        self.sim.node_as(NodeId(f"broker-{broker}"), FakeBroker).faults.append(fault)

    @rule(partition=st.sampled_from([0, 1]))
    def move_leader(self, partition: int) -> None:
        old = self.leader(partition)
        self.layout.leaders["t"][partition] = 3 - self.layout.leaders["t"][partition]
        new = self.leader(partition)
        tp = ("t", partition)
        new.logs[tp] = list(old.logs.get(tp, []))
        if tp in old.states:
            new.states[tp] = copy.deepcopy(old.states[tp])
        else:
            new.states.pop(tp, None)

    @precondition(lambda self: not self.partitioned)
    @rule()
    def cut_network(self) -> None:
        self.sim.partition([PRODUCER], BROKERS)
        self.partitioned = True

    @precondition(lambda self: self.partitioned)
    @rule()
    def heal_network(self) -> None:
        self.sim.heal()
        self.partitioned = False

    # -- the invariants --------------------------------------------------------------------------

    def ordering(self, partition: int) -> OrderingSnapshot:
        producer = self.producer
        return OrderingSnapshot(
            settings=ProducerSettingsView(
                idempotent=self.config.enable_idempotence,
                max_in_flight=self.config.max_in_flight_requests_per_connection,
                retries=self.config.retries,
            ),
            sent=tuple(
                SentRecord(record_id=int(value[1:]), outcome=OUTCOMES[producer.future(f).state])
                for value, f in self.sent[partition]
            ),
            log=tuple(
                int((r.value or b"r-1").decode()[1:])
                for r in self.leader(partition).logs.get(("t", partition), [])
            ),
        )

    def idempotence(self) -> IdempotenceSnapshot:
        replicas = []
        for partition in (0, 1):
            batches: dict[int, LoggedBatch] = {}
            for r in self.leader(partition).logs.get(("t", partition), []):
                first = batches.get(r.batch_base_offset)
                batches[r.batch_base_offset] = LoggedBatch(
                    base_offset=r.batch_base_offset,
                    last_offset=r.batch_last_offset,
                    producer_id=r.producer_id,
                    producer_epoch=r.producer_epoch,
                    first_seq=r.sequence if first is None else first.first_seq,
                    last_seq=r.sequence,
                )
            replicas.append(
                ReplicaView(name=f"t-{partition}", log=tuple(batches.values()), producer_state=())
            )
        return IdempotenceSnapshot(leader="t-0", replicas=tuple(replicas), acks=())

    @invariant()
    def acknowledged_records_in_send_order(self) -> None:
        for partition in (0, 1):
            check("ORDER-1", acknowledged_records_in_send_order(self.ordering(partition)))

    @invariant()
    def no_sequence_twice(self) -> None:
        check("IDEM-1", idem_1(self.idempotence()))

    @invariant()
    def sequences_rise_by_one(self) -> None:
        check("IDEM-2", idem_2(self.idempotence()))

    @invariant()
    def acknowledged_offsets_hold_their_records(self) -> None:
        violations = []
        for partition in (0, 1):
            log = {r.offset: r.value for r in self.leader(partition).logs.get(("t", partition), [])}
            for value, future in self.sent[partition]:
                metadata = self.producer.future(future).metadata
                if metadata is not None and log.get(metadata.offset) != value.encode():
                    violations.append(
                        f"{value} was acknowledged at t-{partition} offset {metadata.offset}, "
                        f"which holds {log.get(metadata.offset)!r}"
                    )
        check("IDEM-3", violations)


TestProducerNode = ProducerNodeMachine.TestCase

TEETH = settings(
    max_examples=300,
    stateful_step_count=20,
    deadline=None,
    database=None,
    derandomize=True,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class NonIdempotentMachine(ProducerNodeMachine):
    """The same producer with ``enable.idempotence=false``: retries may duplicate."""

    properties: ClassVar[dict[str, str]] = {
        **ProducerNodeMachine.properties,
        "enable.idempotence": "false",
    }


def test_without_idempotence_the_node_suite_finds_a_duplicate() -> None:
    with pytest.raises(AssertionError, match="ORDER-1 violated"):
        run_state_machine_as_test(NonIdempotentMachine, settings=TEETH)
