"""The murmur2 lab's model check: a keyed producer in the simulator, judged per key.

Theory of operation
-------------------
:func:`keyed_producer_machine` builds a Hypothesis ``RuleBasedStateMachine`` around a real
:class:`~glasskafka.client.producer.ProducerNode` and the fake brokers of
``model_tests/test_producer_node_fakes.py`` (each leads some partitions of topic ``t``).  The
rules are the environment: send a record with a key (a few shared keys, so keys repeat, and any
bytes), run the simulator some steps, let time pass.  After every step:

* every record in every partition's log sits in the partition Kafka's Java client chooses for
  its key (the reference rule, taken before the lab substitutes the student's code); a record
  elsewhere is a :class:`~glasskafka.exercises.lab.LabFailure` naming the key and both
  partitions;
* ORDER-1 (``specs/ordering.py``) holds in each partition: the producer's records stand in send
  order, none twice, none acknowledged and missing.

The machine imports from the source checkout (``model_tests``, ``specs``), so it is built only
when the check runs, after ``runner.source_checkout`` has put the checkout on ``sys.path``.

Spec IDs: ORDER-1.

Simplified from Kafka: one replica per partition (fake brokers), no faults: this check is about
where records go, and the producer-node suite covers the faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glasskafka.exercises.lab import LabFailure

__all__ = ["keyed_producer_machine"]

_PROPERTIES = {
    "bootstrap.servers": "broker-1",
    "key.serializer": "org.apache.kafka.common.serialization.ByteArraySerializer",
    "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
    "linger.ms": "0",
}


def keyed_producer_machine(partitions: int, kafka_partition: Callable[[bytes, int], int]) -> Any:
    """A state machine class: one producer, two fake brokers, topic ``t`` of ``partitions``."""
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

    from glasskafka.client import FutureState, ProducerNode, ProducerRecord, producer_config
    from glasskafka.ids import Millis, NodeId
    from glasskafka.node import Output
    from glasskafka.sim import Simulator
    from model_tests.test_producer_node_fakes import FakeBroker, FakeLayout, fake_broker_factory
    from specs.catalogue import check
    from specs.ordering import (
        OrderingSnapshot,
        ProducerSettingsView,
        SendOutcome,
        SentRecord,
        acknowledged_records_in_send_order,
    )

    producer_id = NodeId("producer-1")
    brokers = (NodeId("broker-1"), NodeId("broker-2"))
    outcomes = {
        FutureState.PENDING: SendOutcome.PENDING,
        FutureState.SUCCEEDED: SendOutcome.ACKED,
        FutureState.FAILED: SendOutcome.FAILED,
    }
    keys = st.sampled_from([b"", b"a", b"21", b"user-1", b"user-2"]) | st.binary(max_size=12)

    class KeyedProducerMachine(RuleBasedStateMachine):
        """A producer sending keyed records; each must land on Kafka's partition for its key."""

        @initialize(seed=st.integers(min_value=0, max_value=2**16))
        def start(self, seed: int) -> None:
            leaders = [1 + p % 2 for p in range(partitions)]
            self.layout = FakeLayout(brokers=(1, 2), leaders={"t": leaders})
            self.sim = Simulator(seed=seed)
            for broker in brokers:
                self.sim.add_node(broker, fake_broker_factory(self.layout))
            self.config = producer_config(_PROPERTIES)
            self.sim.add_node(
                producer_id, lambda node_id, disk, rng: ProducerNode(node_id, self.config, rng)
            )
            self.sent: list[tuple[bytes, str, Any]] = []

        @rule(key=keys)
        def send(self, key: bytes) -> None:
            value = f"r{len(self.sent)}"

            def call(node: ProducerNode, now_ms: Millis) -> list[Output]:
                future, outputs = node.send(
                    ProducerRecord(topic="t", key=key, value=value), now_ms=now_ms
                )
                self.sent.append((key, value, future))
                return outputs

            self.sim.call(producer_id, call, kind=ProducerNode, label=f"send {value} key={key!r}")

        @rule(steps=st.integers(min_value=1, max_value=8))
        def run_events(self, steps: int) -> None:
            for _ in range(steps):
                if not self.sim.step():
                    break

        @rule(milliseconds=st.sampled_from([10, 100]))
        def let_time_pass(self, milliseconds: int) -> None:
            self.sim.run_for(milliseconds)

        def log(self, partition: int) -> list[Any]:
            leader = NodeId(f"broker-{self.layout.leaders['t'][partition]}")
            return list(self.sim.node_as(leader, FakeBroker).logs.get(("t", partition), []))

        def each_key_on_kafkas_partition(self) -> None:
            for partition in range(partitions):
                for record in self.log(partition):
                    key = record.key or b""
                    wanted = kafka_partition(key, partitions)
                    if wanted != partition:
                        raise LabFailure(
                            inputs=f"a producer sends a record with key {key!r} to a topic of "
                            f"{partitions} partitions",
                            expected=f"partition {wanted}, as Kafka's Java client chooses",
                            got=f"partition {partition}",
                        )

        @invariant()
        def acknowledged_records_in_send_order(self) -> None:
            # Placement first: a record on the wrong partition would otherwise show as an
            # acknowledged record missing from the right one, which explains less.
            self.each_key_on_kafkas_partition()
            producer = self.sim.node_as(producer_id, ProducerNode)
            for partition in range(partitions):
                sent = [
                    SentRecord(record_id=int(value[1:]), outcome=outcomes[producer.future(f).state])
                    for key, value, f in self.sent
                    if kafka_partition(key, partitions) == partition
                ]
                snapshot = OrderingSnapshot(
                    settings=ProducerSettingsView(
                        idempotent=self.config.enable_idempotence,
                        max_in_flight=self.config.max_in_flight_requests_per_connection,
                        retries=self.config.retries,
                    ),
                    sent=tuple(sent),
                    log=tuple(int((r.value or b"r-1").decode()[1:]) for r in self.log(partition)),
                )
                check("ORDER-1", acknowledged_records_in_send_order(snapshot))

    return KeyedProducerMachine
