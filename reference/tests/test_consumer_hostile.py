"""Bad input at every surface of the consumer: its API, and answers from a broker that lies.

The API refuses misuse with :class:`~glasskafka.errors.GlassKafkaError` naming what was wrong;
the node never raises at a peer: corrupt batches, answers of the wrong kind, unknown
correlation ids, unknown error codes and unreadable assignment bytes become errors of the next
``poll()`` or are ignored, and the consumer carries on.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from glasskafka.client.consumer import ConsumerNode
from glasskafka.client.consumer_config import ConsumerConfig
from glasskafka.client.consumer_events import PollResult
from glasskafka.config import config_from_properties
from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Output, Send
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse, answer
from glasskafka.protocol.messages.fetch import (
    FetchableTopicResponse,
    FetchRequest,
    FetchResponse,
    PartitionData,
)
from glasskafka.protocol.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
)
from glasskafka.protocol.messages.group_membership import (
    JoinGroupRequest,
    JoinGroupResponse,
    SyncGroupRequest,
    SyncGroupResponse,
)
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartitionResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from glasskafka.records import Record, encode_batch

BROKER = NodeId("broker-1")
Responder = Callable[[Message], Message | None]


def consumer(**properties: str) -> ConsumerNode:
    config = config_from_properties(
        ConsumerConfig,
        {"auto.offset.reset": "earliest"} | {k.replace("_", "."): v for k, v in properties.items()},
    )
    node = ConsumerNode(NodeId("c1"), config=config, rng=random.Random(0))
    node.on_start(Millis(0))
    return node


def metadata(_: Message) -> Message:
    partition = MetadataResponsePartition(
        error_code=0, partition_index=0, leader_id=1, replica_nodes=(1,), isr_nodes=(1,)
    )
    return MetadataResponse(
        brokers=(MetadataResponseBroker(node_id=1, host="h", port=9092),),
        topics=(MetadataResponseTopic(error_code=0, name="t", partitions=(partition,)),),
    )


def list_offsets(_: Message) -> Message:
    found = ListOffsetsPartitionResponse(partition_index=0, error_code=0, offset=0)
    return ListOffsetsResponse(topics=(ListOffsetsTopicResponse(name="t", partitions=(found,)),))


def fetch_answer(records: bytes | None, error: int = 0) -> FetchResponse:
    data = PartitionData(partition_index=0, error_code=error, high_watermark=3, records=records)
    return FetchResponse(responses=(FetchableTopicResponse(topic="t", partitions=(data,)),))


def exchange(
    node: ConsumerNode, outputs: list[Output], respond: dict[type, Responder], now: int = 1
) -> list[Output]:
    """Answer the requests in ``outputs`` whose kinds ``respond`` knows, and those that follow,
    until the consumer's call has finished or nothing is left to answer."""
    pending = [o for o in outputs if isinstance(o, Send)]
    produced: list[Output] = []
    for _ in range(50):
        if not pending or node.result_ready:
            break
        send = pending.pop(0)
        request = send.message
        assert isinstance(request, KafkaRequest)
        handler = respond.get(type(request.body))
        reply = handler(request.body) if handler else None
        if reply is None:
            continue
        more = node.on_message(send.to, answer(request, reply), Millis(now))
        produced += more
        pending += [o for o in more if isinstance(o, Send)]
    return produced


def assigned_consumer() -> tuple[ConsumerNode, list[Output]]:
    """An ``assign()`` consumer of t-0 whose poll is under way; returns the poll's outputs."""
    node = consumer()
    outputs = node.assign([("t", 0)], Millis(0))
    outputs += node.poll(1000, Millis(0))
    return node, outputs


GOOD = encode_batch([Record(value=b"a"), Record(value=b"b"), Record(value=b"c")])


def test_the_scripted_broker_serves_a_poll() -> None:
    node, outputs = assigned_consumer()
    exchange(
        node,
        outputs,
        {
            MetadataRequest: metadata,
            ListOffsetsRequest: list_offsets,
            FetchRequest: lambda _: fetch_answer(GOOD),
        },
    )
    result = node.take_result()
    assert isinstance(result, PollResult) and [r.value for r in result.records] == [
        b"a",
        b"b",
        b"c",
    ]


def test_corrupt_batches_make_the_poll_raise_naming_the_partition() -> None:
    node, outputs = assigned_consumer()
    corrupt = bytearray(GOOD)
    corrupt[-1] ^= 0x55  # the CRC no longer matches
    exchange(
        node,
        outputs,
        {
            MetadataRequest: metadata,
            ListOffsetsRequest: list_offsets,
            FetchRequest: lambda _: fetch_answer(bytes(corrupt)),
        },
    )
    with pytest.raises(GlassKafkaError, match=r"t-0 at offset 0.*CRC"):
        node.take_result()
    assert node.position(("t", 0)) == 0  # nothing was consumed from the bad data


def test_a_batch_cut_off_by_the_byte_limit_ends_the_data() -> None:
    node, outputs = assigned_consumer()
    second = encode_batch([Record(value=b"d")], base_offset=3)
    exchange(
        node,
        outputs,
        {
            MetadataRequest: metadata,
            ListOffsetsRequest: list_offsets,
            FetchRequest: lambda _: fetch_answer(GOOD + second[:20]),
        },
    )
    result = node.take_result()
    assert isinstance(result, PollResult) and [r.offset for r in result.records] == [0, 1, 2]


def requests_in(outputs: list[Output]) -> list[type]:
    return [
        type(o.message.body)
        for o in outputs
        if isinstance(o, Send) and isinstance(o.message, KafkaRequest)
    ]


def test_answers_of_the_wrong_kind_or_to_nobody_are_ignored() -> None:
    node, outputs = assigned_consumer()
    (metadata_request,) = [o for o in outputs if isinstance(o, Send)]
    request = metadata_request.message
    assert isinstance(request, KafkaRequest)
    stray = node.on_message(
        BROKER, KafkaResponse(correlation_id=999, body=metadata(request)), Millis(1)
    )
    assert stray == []  # an answer to nothing this consumer asked
    wrong = KafkaResponse(correlation_id=request.correlation_id, body=fetch_answer(GOOD))
    retried = node.on_message(BROKER, wrong, Millis(1))
    assert requests_in(retried) == [MetadataRequest]  # not trusted: asked again
    exchange(
        node,
        retried,
        {
            MetadataRequest: metadata,
            ListOffsetsRequest: list_offsets,
            FetchRequest: lambda _: fetch_answer(GOOD),
        },
    )
    assert isinstance(node.take_result(), PollResult)


def test_unknown_error_codes_do_not_crash_the_consumer() -> None:
    node, outputs = assigned_consumer()
    sent = exchange(node, outputs, {MetadataRequest: metadata, ListOffsetsRequest: list_offsets})
    (fetch,) = [o for o in sent if isinstance(o, Send) and FetchRequest in requests_in([o])]
    assert isinstance(fetch.message, KafkaRequest) and isinstance(fetch.message.body, FetchRequest)
    more = node.on_message(BROKER, answer(fetch.message, fetch_answer(None, error=9999)), Millis(2))
    assert not node.result_ready
    assert MetadataRequest in requests_in(more)  # it refreshes what it knows, and goes on


def group_consumer() -> tuple[ConsumerNode, list[Output]]:
    node = consumer(group_id="g")
    outputs = node.subscribe(["t"], Millis(0)) + node.poll(5000, Millis(0))
    return node, outputs


def coordinator(_: Message) -> Message:
    return FindCoordinatorResponse(error_code=0, node_id=1, host="h", port=9092)


def test_a_fatal_join_error_is_raised_by_poll() -> None:
    node, outputs = group_consumer()
    refused = JoinGroupResponse(
        error_code=ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        protocol_name="",
        leader="",
        member_id="",
        members=(),
    )
    exchange(
        node,
        outputs,
        {
            MetadataRequest: metadata,
            FindCoordinatorRequest: coordinator,
            JoinGroupRequest: lambda _: refused,
        },
    )
    with pytest.raises(GlassKafkaError, match="INCONSISTENT_GROUP_PROTOCOL"):
        node.take_result()


def test_unreadable_assignment_bytes_are_raised_by_poll() -> None:
    node, outputs = group_consumer()
    joined = JoinGroupResponse(
        error_code=0,
        generation_id=1,
        protocol_name="range",
        leader="other",
        member_id="me",
        members=(),
    )
    garbage = SyncGroupResponse(error_code=0, assignment=b"\x00\x00\xff\xff\xff\xff")
    exchange(
        node,
        outputs,
        {
            MetadataRequest: metadata,
            FindCoordinatorRequest: coordinator,
            JoinGroupRequest: lambda _: joined,
            SyncGroupRequest: lambda _: garbage,
        },
    )
    with pytest.raises(GlassKafkaError, match=r"assignment .* cannot be read"):
        node.take_result()


@pytest.mark.parametrize(
    ("misuse", "message"),
    [
        (lambda c: c.poll(100, Millis(0)), "not subscribed to any topics or assigned"),
        (lambda c: c.subscribe(["t"], Millis(0)), "needs a consumer group: set group.id"),
        (lambda c: c.commit_sync(Millis(0)), "needs a consumer group"),
        (lambda c: c.seek(("t", 0), 5, Millis(0)), "not assigned to this consumer"),
        (lambda c: c.assign([("t", -1)], Millis(0)), r"partition number >= 0"),
        (lambda c: c.assign([("", 0)], Millis(0)), "give a topic name"),
        (
            lambda c: c.assign([("t", 0)], Millis(0)) + c.poll(-5, Millis(0)),
            "a timeout is 0 or more",
        ),
        (lambda c: c.take_result(), "no call has finished"),
    ],
)
def test_api_misuse_is_refused_clearly(
    misuse: Callable[[ConsumerNode], object], message: str
) -> None:
    with pytest.raises(GlassKafkaError, match=message):
        misuse(consumer())


def test_subscribe_and_assign_do_not_mix_and_patterns_must_compile() -> None:
    node = consumer(group_id="g")
    node.subscribe(["t"], Millis(0))
    with pytest.raises(GlassKafkaError, match="cannot be mixed"):
        node.assign([("t", 0)], Millis(0))
    with pytest.raises(GlassKafkaError, match="not a regular expression"):
        consumer(group_id="g").subscribe_pattern("(unclosed", Millis(0))
    with pytest.raises(GlassKafkaError, match="an offset is an integer >= 0"):
        node.commit_async(Millis(0), {("t", 0): -3})


def test_one_blocking_call_at_a_time_and_nothing_after_close() -> None:
    node, _ = assigned_consumer()
    with pytest.raises(GlassKafkaError, match="one call at a time"):
        node.poll(100, Millis(0))
    node.on_timer("call-deadline", Millis(1000))
    assert isinstance(node.take_result(), PollResult)
    node.close(Millis(1000))
    node.take_result()
    with pytest.raises(GlassKafkaError, match="is closed"):
        node.poll(100, Millis(1000))
