"""The producer node against fake brokers in the simulator: batching, retries, idempotence, limits.

Each test is a short transcript: build a cluster of fake brokers (``FakeLayout``), send, let the
simulation run, and check the futures, the fake brokers' logs and the requests they saw.  The
fakes run Kafka's real producer-state checks, so idempotence is tested end to end.  Faults are
scripted per broker (``Fault``); connection loss and silence come from the simulator.

Spec IDs: ORDER-1, ORDER-2 (shown as transcripts), IDEM-1, IDEM-3.

Simplified from Kafka: fake brokers with one replica each stand in for a cluster.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import pytest
from glasskafka.client import (
    DeliveryError,
    FutureId,
    FutureState,
    ProducerNode,
    ProducerRecord,
    RecordMetadata,
    TopicPartitions,
    producer_config,
)
from glasskafka.client.producer import WAKEUP_TIMER
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Output, SetTimer
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.init_producer_id import InitProducerIdResponse
from glasskafka.protocol.messages.metadata import MetadataResponse
from glasskafka.protocol.messages.produce import (
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceResponse,
)
from glasskafka.sim import Delivered, Simulator

from model_tests.test_producer_node_fakes import (
    FakeBroker,
    FakeLayout,
    Fault,
    fake_broker_factory,
)

PRODUCER = NodeId("producer-1")
STRINGS = {
    "key.serializer": "org.apache.kafka.common.serialization.StringSerializer",
    "value.serializer": "org.apache.kafka.common.serialization.StringSerializer",
}


class Harness:
    """A simulated cluster of fake brokers and one producer."""

    def __init__(
        self,
        properties: Mapping[str, str] | None = None,
        *,
        leaders: Mapping[str, list[int]] | None = None,
        brokers: tuple[int, ...] = (1, 2),
        seed: int = 7,
        partitioner: object = None,
    ) -> None:
        self.layout = FakeLayout(brokers=brokers, leaders=dict(leaders or {"t": [1, 2]}))
        self.sim = Simulator(seed=seed)
        for broker in brokers:
            self.sim.add_node(NodeId(f"broker-{broker}"), fake_broker_factory(self.layout))
        self.config = producer_config(
            {"bootstrap.servers": "broker-1", **STRINGS, **(properties or {})}
        )
        self.sim.add_node(
            PRODUCER,
            lambda node_id, disk, rng: ProducerNode(
                node_id,
                self.config,
                rng,
                partitioner=partitioner,  # type: ignore[arg-type]
            ),
        )
        self.completed: list[tuple[str, RecordMetadata | None, DeliveryError | None]] = []

    @property
    def producer(self) -> ProducerNode:
        return self.sim.node_as(PRODUCER, ProducerNode)

    def broker(self, broker: int) -> FakeBroker:
        return self.sim.node_as(NodeId(f"broker-{broker}"), FakeBroker)

    def send(
        self, value: str, *, key: str | None = None, partition: int | None = None, topic: str = "t"
    ) -> FutureId:
        found: list[FutureId] = []

        def call(node: ProducerNode, now_ms: Millis) -> list:  # type: ignore[type-arg]
            def remember(metadata: RecordMetadata | None, error: DeliveryError | None) -> None:
                self.completed.append((value, metadata, error))

            record = ProducerRecord(topic=topic, key=key, value=value, partition=partition)
            future, outputs = node.send(record, now_ms=now_ms, callback=remember)
            found.append(future)
            return outputs

        self.sim.call(PRODUCER, call, kind=ProducerNode, label=f"send {value}")
        return found[0]

    def deliver(self, broker: str, message: Message) -> list[Output]:
        """Hand the producer ``message`` as if ``broker`` sent it; its outputs are carried out."""
        outputs: list[Output] = []

        def call(node: ProducerNode, now_ms: Millis) -> list[Output]:
            outputs.extend(node.on_message(NodeId(broker), message, now_ms))
            return outputs

        self.sim.call(PRODUCER, call, kind=ProducerNode, label=f"answer from {broker}")
        return outputs

    def warm(self) -> None:
        """Let the producer learn the metadata (and its producer id) through partition 1."""
        self.send("warm-up", partition=1)
        self.settle()

    def settle(self, deadline_ms: int = 600_000) -> None:
        """Run until the producer has nothing left (or the deadline)."""
        self.sim.run_until(lambda sim: self.producer.idle and sim.is_quiet(), deadline_ms)

    def outcome(self, future: FutureId) -> tuple[FutureState, int | None]:
        result = self.producer.future(future)
        return result.state, None if result.metadata is None else result.metadata.offset

    def log(self, broker: int, topic: str = "t", partition: int = 0) -> list[str]:
        records = self.broker(broker).logs.get((topic, partition), [])
        return [(r.value or b"").decode() for r in records]

    def produce_requests(self, broker: int) -> list[ProduceRequest]:
        return [r.body for r in self.broker(broker).requests if isinstance(r.body, ProduceRequest)]


# ---------------------------------------------------------------------------------------------
# The happy path, partitions and batching


def test_records_reach_their_leaders_with_offsets_and_callbacks_in_order() -> None:
    harness = Harness()
    futures = [harness.send(f"v{i}", partition=i % 2) for i in range(4)]
    harness.settle()
    assert [harness.outcome(f) for f in futures] == [
        (FutureState.SUCCEEDED, 0),
        (FutureState.SUCCEEDED, 0),
        (FutureState.SUCCEEDED, 1),
        (FutureState.SUCCEEDED, 1),
    ]
    assert harness.log(1, partition=0) == ["v0", "v2"]
    assert harness.log(2, partition=1) == ["v1", "v3"]
    metadata = harness.producer.future(futures[0]).metadata
    assert metadata == RecordMetadata(
        topic="t",
        partition=0,
        offset=0,
        timestamp=0,
        serialized_key_size=-1,
        serialized_value_size=2,
    )
    # Callbacks of one partition run in send order (Kafka's guarantee).
    assert [value for value, _, _ in harness.completed if value in ("v0", "v2")] == ["v0", "v2"]


def test_a_key_always_goes_to_the_same_partition() -> None:
    harness = Harness(leaders={"t": [1, 1, 1]})
    futures = [harness.send(f"v{i}", key="key") for i in range(3)]
    harness.settle()
    # murmur2("key") -> 1067546281 -> partition 1 of 3 (reference/clients-and-groups.md §8).
    assert {harness.producer.future(f).metadata.partition for f in futures} == {1}  # type: ignore[union-attr]
    assert harness.log(1, partition=1) == ["v0", "v1", "v2"]


def test_records_wait_for_metadata_and_go_in_one_batch() -> None:
    harness = Harness()
    for i in range(5):
        harness.send(f"v{i}", partition=0)
    harness.settle()
    requests = harness.produce_requests(1)
    assert len(requests) == 1, "all five arrived before metadata, so they share a batch"
    assert harness.log(1) == ["v0", "v1", "v2", "v3", "v4"]


def test_linger_ms_holds_a_batch_until_it_is_due() -> None:
    harness = Harness({"linger.ms": "50"})
    harness.warm()
    harness.send("a", partition=0)
    harness.sim.run_for(30)
    assert harness.produce_requests(1) == []
    harness.send("b", partition=0)
    harness.sim.run_for(60)
    assert len(harness.produce_requests(1)) == 1
    assert harness.log(1) == ["a", "b"]


def test_batch_size_closes_a_batch_and_sends_it_at_once() -> None:
    harness = Harness({"linger.ms": "60000", "batch.size": "100"})
    harness.warm()
    for i in range(4):
        harness.send("x" * 40 + str(i), partition=0)
    harness.warm()
    # Each batch holds what fits in 100 bytes; all but the last are full and go at once.
    sent = harness.produce_requests(1)
    assert sent, "full batches do not wait for linger.ms"
    assert harness.log(1)[: len(sent)] == ["x" * 40 + str(i) for i in range(len(sent))]
    harness.sim.call(PRODUCER, lambda node, now: node.flush(now), kind=ProducerNode)
    harness.settle()
    assert harness.log(1) == ["x" * 40 + str(i) for i in range(4)]


def test_acks_0_completes_without_an_answer() -> None:
    harness = Harness({"acks": "0"})
    future = harness.send("fire-and-forget", partition=0)
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, -1)
    assert harness.config.enable_idempotence is False  # switched off by default (KAFKA-13673)
    assert harness.log(1) == ["fire-and-forget"]


# ---------------------------------------------------------------------------------------------
# Retries, leaders moving, idempotence


def test_a_moved_leader_is_found_through_metadata_and_the_batch_retried() -> None:
    harness = Harness()
    harness.warm()
    harness.layout.leaders["t"] = [2, 2]  # partition 0 moved to broker 2
    future = harness.send("moved", partition=0)
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, 0)
    assert harness.log(2, partition=0) == ["moved"]


def test_a_lost_answer_is_retried_and_deduplicated() -> None:
    harness = Harness({"request.timeout.ms": "1000"})
    harness.warm()
    harness.broker(1).faults = [Fault.DROP_ANSWER]
    future = harness.send("once", partition=0)
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, 0)
    assert harness.log(1) == ["once"], "IDEM-1: the retry was recognised"
    assert len(harness.produce_requests(1)) == 2


def test_without_idempotence_a_lost_answer_writes_the_record_twice() -> None:
    # ORDER-2: the same scenario with enable.idempotence=false duplicates the record.
    harness = Harness({"request.timeout.ms": "1000", "enable.idempotence": "false"})
    harness.warm()
    harness.broker(1).faults = [Fault.DROP_ANSWER]
    future = harness.send("twice", partition=0)
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, 1)
    assert harness.log(1) == ["twice", "twice"]


def test_in_flight_batches_are_resent_in_order_after_a_failure() -> None:
    # The first request is refused; the later ones in flight get OUT_OF_ORDER_SEQUENCE_NUMBER
    # and wait for it; then all go again one by one, in sequence order (§6.1).
    harness = Harness({"max.in.flight.requests.per.connection": "5"})
    harness.warm()
    harness.send("w", partition=0)  # the leader now has state for this producer
    harness.settle()
    harness.broker(1).faults = [Fault.REFUSE]
    futures = []
    for i in range(4):
        futures.append(harness.send(f"v{i}", partition=0))
        harness.sim.run_for(1)
    harness.settle()
    assert harness.log(1) == ["w", "v0", "v1", "v2", "v3"]
    assert [harness.outcome(f) for f in futures] == [
        (FutureState.SUCCEEDED, i) for i in range(1, 5)
    ]
    answers = []
    for event in harness.sim.trace.events:
        if isinstance(event, Delivered) and isinstance(event.message, KafkaResponse):
            body = event.message.body
            if isinstance(body, ProduceResponse):
                answers += [p.error_code for tr in body.responses for p in tr.partition_responses]
    assert ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER in answers


def test_a_new_producer_can_be_overtaken_at_a_partition_without_its_state() -> None:
    # The limit of the checks: a leader with no state for a producer id accepts any sequence
    # (current Kafka, KIP-360), so when the very first batch is refused, the next one is
    # appended ahead of it.  The first then gets OUT_OF_ORDER_SEQUENCE_NUMBER until it expires:
    # it is reported failed, never written out of order (ORDER-1 still holds).
    harness = Harness({"delivery.timeout.ms": "30100", "linger.ms": "0"})
    harness.warm()
    harness.broker(1).faults = [Fault.REFUSE]
    first = harness.send("v0", partition=0)
    harness.sim.run_for(1)
    second = harness.send("v1", partition=0)
    harness.settle()
    assert harness.log(1) == ["v1"]
    assert harness.outcome(second) == (FutureState.SUCCEEDED, 0)
    result = harness.producer.future(first)
    assert result.error is not None and result.error.code is ErrorCode.REQUEST_TIMED_OUT


def test_without_idempotence_several_in_flight_can_reorder() -> None:
    # ORDER-2: the refused first batch is retried after the later ones were appended.
    harness = Harness({"enable.idempotence": "false", "retry.backoff.ms": "5"})
    harness.warm()
    harness.broker(1).faults = [Fault.REFUSE]
    for i in range(3):
        harness.send(f"v{i}", partition=0)
        harness.sim.run_for(1)
    harness.settle()
    assert harness.log(1) == ["v1", "v2", "v0"]


def test_a_duplicate_sequence_answer_counts_as_success() -> None:
    harness = Harness()
    harness.warm()
    future = harness.send("x", partition=0)
    harness.sim.run_until(lambda sim: bool(harness.produce_requests(1)), 1000)
    request = next(r for r in harness.broker(1).requests if isinstance(r.body, ProduceRequest))
    # Answer in the broker's place, as an older broker would (KIP-192), before the real one.
    body = ProduceResponse(
        responses=(
            TopicProduceResponse(
                name="t",
                partition_responses=(
                    PartitionProduceResponse(index=0, error_code=46, base_offset=-1),
                ),
            ),
        )
    )
    harness.deliver("broker-1", KafkaResponse(correlation_id=request.correlation_id, body=body))
    assert harness.outcome(future) == (FutureState.SUCCEEDED, -1)


def test_retries_0_fails_at_the_first_error() -> None:
    harness = Harness({"retries": "0", "enable.idempotence": "false"})
    harness.warm()
    harness.broker(1).faults = [Fault.REFUSE]
    future = harness.send("no", partition=0)
    harness.settle()
    result = harness.producer.future(future)
    assert result.state is FutureState.FAILED
    assert result.error is not None and result.error.code is ErrorCode.NOT_ENOUGH_REPLICAS


def test_a_fatal_error_fails_the_partition_and_bumps_the_epoch() -> None:
    harness = Harness()
    harness.warm()
    harness.broker(1).faults = [Fault.REFUSE]
    harness.broker(1).fault_code = ErrorCode.MESSAGE_TOO_LARGE
    failed = harness.send("big", partition=0)
    harness.settle()
    assert harness.producer.future(failed).state is FutureState.FAILED
    assert harness.producer.statistics().producer_epoch == 1  # KIP-360: a new epoch
    later = harness.send("after", partition=0)
    harness.settle()
    assert harness.outcome(later) == (FutureState.SUCCEEDED, 0)
    entry = harness.broker(1).states[("t", 0)].last_entry(1000)
    assert entry is not None and entry.producer_epoch == 1


# ---------------------------------------------------------------------------------------------
# Timeouts and limits


def test_an_unknown_topic_fails_after_max_block_ms() -> None:
    harness = Harness({"max.block.ms": "500"})
    future = harness.send("lost", topic="nowhere")
    harness.sim.run_for(1000)
    result = harness.producer.future(future)
    assert result.state is FutureState.FAILED
    assert result.error == DeliveryError(
        code=ErrorCode.REQUEST_TIMED_OUT,
        message="Topic nowhere not present in metadata after 500 ms.",
    )


def test_a_silent_broker_times_out_and_delivery_timeout_fails_the_batch() -> None:
    harness = Harness({"request.timeout.ms": "1000", "delivery.timeout.ms": "3000"})
    harness.warm()
    harness.broker(1).silent = True
    future = harness.send("never", partition=0)
    harness.sim.run_for(5000)
    result = harness.producer.future(future)
    assert result.state is FutureState.FAILED
    assert result.error is not None and result.error.code is ErrorCode.REQUEST_TIMED_OUT
    assert "since batch creation" in result.error.message
    assert harness.producer.idle


def test_buffer_memory_makes_sends_wait_and_then_fail() -> None:
    harness = Harness({"buffer.memory": "1000", "batch.size": "1000", "max.block.ms": "200"})
    harness.warm()
    harness.broker(1).silent = True
    first = harness.send("a", partition=0)
    second = harness.send("b", partition=1)  # a second batch needs another 1000 bytes
    assert harness.producer.statistics().waiting_records == 1
    harness.sim.run_for(300)
    assert harness.producer.future(first).state is FutureState.PENDING
    result = harness.producer.future(second)
    assert result.error is not None
    assert (
        result.error.message
        == "Failed to allocate memory within the configured max blocking time 200 ms."
    )


def test_at_most_max_in_flight_requests_per_broker() -> None:
    harness = Harness({"max.in.flight.requests.per.connection": "2", "enable.idempotence": "false"})
    harness.warm()
    harness.broker(1).silent = True
    for i in range(6):
        harness.send(f"v{i}", partition=0)
        harness.sim.run_for(1)
    assert len(harness.produce_requests(1)) == 2


def test_a_broken_connection_is_retried_after_the_network_heals() -> None:
    harness = Harness({"retry.backoff.ms": "50"})
    harness.warm()
    harness.sim.partition([PRODUCER], [NodeId("broker-1"), NodeId("broker-2")])
    future = harness.send("later", partition=0)
    harness.sim.run_for(200)
    assert harness.producer.future(future).state is FutureState.PENDING
    harness.sim.heal()
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, 0)
    assert harness.log(1) == ["later"]


def test_close_delivers_what_is_left_and_refuses_new_sends() -> None:
    harness = Harness({"linger.ms": "60000"})
    harness.warm()
    future = harness.send("last", partition=0)
    harness.sim.call(PRODUCER, lambda node, now: node.close(now), kind=ProducerNode)
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, 0)
    assert harness.producer.closed
    with pytest.raises(GlassKafkaError, match="after producer has been closed"):
        harness.send("too late", partition=0)


def test_close_with_a_timeout_fails_what_cannot_be_delivered() -> None:
    harness = Harness()
    harness.warm()
    harness.broker(1).silent = True
    future = harness.send("stuck", partition=0)
    harness.sim.call(PRODUCER, lambda node, now: node.close(now, timeout_ms=100), kind=ProducerNode)
    harness.sim.run_for(200)
    result = harness.producer.future(future)
    assert result.error == DeliveryError(code=None, message="Producer is closed forcefully.")
    assert harness.producer.closed


# ---------------------------------------------------------------------------------------------
# Bad input from the caller, hostile input from brokers


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (ProducerRecord(topic="", value="v"), "not a legal topic name"),
        (ProducerRecord(topic="../etc", value="v"), "not a legal topic name"),
        (ProducerRecord(topic="t", value="v", partition=-1), "partition=-1"),
        (ProducerRecord(topic="t", value="v", timestamp=-5), "timestamp=-5"),
        (ProducerRecord(topic="t", value=5), "StringSerializer cannot serialize int"),
        (ProducerRecord(topic="t", value="v", headers=(("h", "text"),)), "headers="),  # type: ignore[arg-type]
    ],
)
def test_bad_records_are_refused_at_send_and_nothing_is_queued(
    record: ProducerRecord, message: str
) -> None:
    harness = Harness()
    producer = harness.producer
    with pytest.raises(GlassKafkaError, match=message):
        producer.send(record, now_ms=Millis(0))
    assert producer.statistics().waiting_records == 0 and producer.futures == {}
    with pytest.raises(GlassKafkaError, match="ProducerRecord"):
        producer.send("not a record", now_ms=Millis(0))  # type: ignore[arg-type]
    with pytest.raises(GlassKafkaError, match="no send has future id"):
        producer.future(FutureId(99))


def test_a_record_larger_than_max_request_size_fails_its_future() -> None:
    harness = Harness({"max.request.size": "100"})
    future = harness.send("x" * 200, partition=0)
    result = harness.producer.future(future)
    assert result.error is not None and result.error.code is ErrorCode.MESSAGE_TOO_LARGE
    assert "max.request.size" in result.error.message


def test_a_custom_partitioner_that_answers_nonsense_fails_the_record() -> None:
    def negative(topic: str, key: bytes | None, value: bytes | None, p: TopicPartitions) -> int:
        return -3

    harness = Harness(partitioner=negative)
    future = harness.send("v")
    harness.settle()
    result = harness.producer.future(future)
    assert result.error is not None and "invalid partition number: -3" in result.error.message


def test_a_callback_that_raises_does_not_break_the_producer() -> None:
    harness = Harness()

    def broken(metadata: RecordMetadata | None, error: DeliveryError | None) -> None:
        raise RuntimeError("user bug")

    harness.sim.call(
        PRODUCER,
        lambda node, now: node.send(
            ProducerRecord(topic="t", value="v", partition=0), now_ms=now, callback=broken
        )[1],
        kind=ProducerNode,
    )
    harness.settle()
    assert harness.producer.callback_errors == ["future 0: RuntimeError('user bug')"]
    assert harness.log(1) == ["v"]


def test_hostile_answers_are_survived() -> None:
    harness = Harness()
    harness.warm()
    producer = harness.producer
    broker = "broker-1"
    before = producer.statistics()
    # An answer nobody asked for, and a message that is not an answer: ignored.
    unknown = KafkaResponse(correlation_id=999, body=MetadataResponse(brokers=(), topics=()))
    assert harness.deliver(broker, unknown) == []
    stray = KafkaRequest(correlation_id=1, body=ProduceRequest(acks=1, timeout_ms=1, topic_data=()))
    assert harness.deliver(broker, stray) == []
    assert producer.statistics() == before
    # An answer of the wrong kind counts as a broken connection: the batch is sent again.
    future = harness.send("v", partition=0)
    harness.sim.run_until(lambda sim: bool(harness.produce_requests(1)), 1000)
    cid = next(
        r for r in harness.broker(1).requests if isinstance(r.body, ProduceRequest)
    ).correlation_id
    wrong = KafkaResponse(
        correlation_id=cid,
        body=InitProducerIdResponse(error_code=0, producer_id=1, producer_epoch=0),
    )
    harness.deliver(broker, wrong)
    harness.settle()
    assert harness.outcome(future) == (FutureState.SUCCEEDED, 0)
    assert harness.log(1) == ["v"], "the retry was recognised as a duplicate"
    assert len(harness.produce_requests(1)) == 2


def test_an_answer_that_leaves_out_the_partition_fails_the_batch() -> None:
    harness = Harness()
    harness.warm()
    future = harness.send("v", partition=0)
    harness.sim.run_until(lambda sim: bool(harness.produce_requests(1)), 1000)
    request = next(r for r in harness.broker(1).requests if isinstance(r.body, ProduceRequest))
    empty = ProduceResponse(responses=())
    harness.deliver("broker-1", KafkaResponse(correlation_id=request.correlation_id, body=empty))
    result = harness.producer.future(future)
    assert result.error is not None and "left out t-0" in result.error.message


def test_an_unknown_error_code_is_not_retried_forever() -> None:
    harness = Harness()
    harness.warm()
    harness.broker(1).faults = [Fault.REFUSE]
    harness.broker(1).fault_code = ErrorCode.INVALID_RECORD
    future = harness.send("v", partition=0)
    harness.settle()
    result = harness.producer.future(future)
    assert result.error is not None and result.error.code is ErrorCode.INVALID_RECORD


def test_a_failed_init_producer_id_fails_everything_for_good() -> None:
    harness = Harness()
    producer = harness.producer
    (init,) = producer.sender.in_flight.values()  # sent at start
    refusal = InitProducerIdResponse(
        error_code=int(ErrorCode.CLUSTER_AUTHORIZATION_FAILED), producer_epoch=-1
    )
    harness.deliver(init.broker, KafkaResponse(correlation_id=init.correlation_id, body=refusal))
    future = harness.send("v", partition=0)
    result = harness.producer.future(future)
    assert result.error is not None and result.error.code is ErrorCode.CLUSTER_AUTHORIZATION_FAILED


def test_a_retriable_init_producer_id_error_is_retried() -> None:
    harness = Harness()
    producer = harness.producer
    (init,) = producer.sender.in_flight.values()
    busy = InitProducerIdResponse(
        error_code=int(ErrorCode.COORDINATOR_NOT_AVAILABLE), producer_epoch=-1
    )
    harness.deliver(init.broker, KafkaResponse(correlation_id=init.correlation_id, body=busy))
    harness.sim.run_for(500)
    asked = [r for r in harness.broker(1).requests if "InitProducerId" in type(r.body).__name__]
    assert len(asked) == 2
    assert harness.producer.statistics().producer_id >= 1000


# ---------------------------------------------------------------------------------------------
# Determinism and plain data


def test_the_same_seed_gives_the_same_story() -> None:
    def story(seed: int) -> str:
        harness = Harness({"linger.ms": "3"}, seed=seed)
        for i in range(6):
            harness.send(f"v{i}")
            harness.sim.run_for(2)
        harness.settle()
        return harness.sim.trace.story(0)

    assert story(3) == story(3)


def test_the_node_is_plain_data_that_copies() -> None:
    harness = Harness()
    harness.send("v", partition=0)
    copied = copy.deepcopy(harness.producer)
    assert copied.statistics() == harness.producer.statistics()
    assert copied.dispatcher.waiting == harness.producer.dispatcher.waiting


def test_the_wakeup_timer_is_set_for_linger() -> None:
    harness = Harness({"linger.ms": "40"})
    harness.warm()
    producer = harness.producer
    now = Millis(harness.sim.now_ms)
    _, outputs = producer.send(ProducerRecord(topic="t", value="v", partition=0), now_ms=now)
    assert SetTimer(name=WAKEUP_TIMER, at_ms=Millis(now + 40)) in outputs
