"""Hostile brokers: any answer the wire protocol can carry leaves the producer node sound.

A broker is a peer, and a producer must survive whatever a peer sends: answers with any error
code, any offsets, partitions it never asked about, brokers and leaders that do not exist,
answers to the wrong request, answers nobody asked for.  Hypothesis draws such answers from the
schema-driven strategies of ``test_protocol_strategies.py`` (every field across its whole range)
and delivers them to a producer that has records in flight; after each one the node's own
``check_invariants`` must hold and nothing may raise.  At the end, whatever happened, every send
either is still pending or completed exactly once, and a flush with a deadline finishes it.

Spec IDs: ORDER-1 (through the node's local check of its sequence bookkeeping).

Simplified from Kafka: answers arrive as decoded messages; bytes that do not decode are the
protocol layer's concern (``reference/tests/test_protocol_hostile.py``).
"""

from __future__ import annotations

import random

from glasskafka.client import FutureState, ProducerNode, ProducerRecord, producer_config
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Output, Send
from glasskafka.protocol.apis import API_TABLE, ApiKey
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from hypothesis import given
from hypothesis import strategies as st

from model_tests.test_protocol_strategies import message_at

APIS = [API_TABLE[ApiKey.PRODUCE], API_TABLE[ApiKey.METADATA], API_TABLE[ApiKey.INIT_PRODUCER_ID]]


@st.composite
def answers(draw: st.DrawFn) -> object:
    """Any Produce, Metadata or InitProducerId response at any served version."""
    api = draw(st.sampled_from(APIS))
    version = draw(st.sampled_from(list(api.versions)))
    return draw(message_at(api, version, "response"))


def _answer_truthfully(producer: ProducerNode, outputs: list[Output]) -> list[Output]:
    """Give the producer a producer id and metadata (t-0 on broker-1, t-1 on broker-2)."""
    more: list[Output] = []
    for output in outputs:
        if not isinstance(output, Send) or not isinstance(output.message, KafkaRequest):
            continue
        body: Message
        if isinstance(output.message.body, InitProducerIdRequest):
            body = InitProducerIdResponse(error_code=0, producer_id=7, producer_epoch=0)
        elif isinstance(output.message.body, MetadataRequest):
            brokers = tuple(MetadataResponseBroker(node_id=b, host="h", port=1) for b in (1, 2))
            partitions = tuple(
                MetadataResponsePartition(
                    error_code=0,
                    partition_index=i,
                    leader_id=i + 1,
                    replica_nodes=(i + 1,),
                    isr_nodes=(i + 1,),
                )
                for i in (0, 1)
            )
            topic = MetadataResponseTopic(error_code=0, name="t", partitions=partitions)
            body = MetadataResponse(brokers=brokers, topics=(topic,))
        else:
            continue
        answer = KafkaResponse(correlation_id=output.message.correlation_id, body=body)
        more += producer.on_message(output.to, answer, Millis(0))
    return more


@given(data=st.data(), seed=st.integers(min_value=0, max_value=2**16))
def test_any_answer_leaves_the_producer_sound(data: st.DataObject, seed: int) -> None:
    config = producer_config(
        {
            "bootstrap.servers": "broker-1,broker-2",
            "request.timeout.ms": "1000",
            "delivery.timeout.ms": "5000",
            "max.block.ms": "2000",
        }
    )
    producer = ProducerNode(NodeId("producer-1"), config, random.Random(seed))
    outputs = producer.on_start(Millis(0))
    outputs += producer.send(ProducerRecord(topic="t", value=b"first"), now_ms=Millis(0))[1]
    outputs = _answer_truthfully(producer, outputs)
    futures = []
    now = 0
    for step in range(data.draw(st.integers(min_value=1, max_value=12), label="steps")):
        now += data.draw(st.integers(min_value=0, max_value=700), label="wait")
        if data.draw(st.booleans(), label="send"):
            record = ProducerRecord(
                topic="t",
                value=b"v%d" % step,
                partition=data.draw(st.sampled_from([None, 0, 1, 7])),
            )
            future, more = producer.send(record, now_ms=Millis(now))
            futures.append(future)
            outputs += more
        ids = [
            o.message.correlation_id
            for o in outputs
            if isinstance(o, Send) and isinstance(o.message, KafkaRequest)
        ] + [999]
        correlation_id = data.draw(st.sampled_from(ids), label="answers")
        body = data.draw(answers(), label="body")
        sender = data.draw(st.sampled_from(["broker-1", "broker-2", "broker-9"]), label="from")
        message = KafkaResponse(correlation_id=correlation_id, body=body)  # type: ignore[arg-type]
        outputs = producer.on_message(NodeId(sender), message, Millis(now))
        producer.check_invariants()
        outputs += producer.on_timer("producer-wakeup", Millis(now))
        producer.check_invariants()
    producer.close(Millis(now), timeout_ms=0)
    producer.on_timer("producer-wakeup", Millis(now + 1))
    producer.check_invariants()
    assert all(producer.future(f).state is not FutureState.PENDING for f in futures)
    assert producer.idle


def test_the_truthful_start_really_puts_a_batch_in_flight() -> None:
    # The fuzzing above starts from here: a producer id, metadata, and a Produce request out.
    config = producer_config({"bootstrap.servers": "broker-1"})
    producer = ProducerNode(NodeId("producer-1"), config, random.Random(0))
    outputs = producer.on_start(Millis(0))
    outputs += producer.send(ProducerRecord(topic="t", value=b"first"), now_ms=Millis(0))[1]
    sent = _answer_truthfully(producer, outputs)
    produced = [o for o in sent if isinstance(o, Send) and "Produce" in repr(o.message)]
    assert len(produced) == 1 and producer.statistics().producer_id == 7
