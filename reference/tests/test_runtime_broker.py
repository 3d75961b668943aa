"""A broker on real sockets, in-process: Kafka's framing, version negotiation and answer order.

The coordination service and one broker run on this test's event loop (``serve_coordination``,
``serve_broker``) on free loopback ports, with a real log directory under ``tmp_path``; the tests
talk to the broker with raw frames, as a Kafka client would (wire-protocol.md §2-3):

* ApiVersions v3 (librdkafka's first request) and v4 (kafka-python 3.x's) get UNSUPPORTED_VERSION
  with a v0 body listing every advertised API (KIP-511); v0-2 are answered by the broker node;
* requests written back to back are answered in the order sent, whatever they are;
* an ``acks=0`` Produce gets no answer at all, and the records are appended;
* an unknown API key, an undecodable body, and a size over ``socket.request.max.bytes`` close the
  connection -- and the broker keeps serving the next connection;
* the conversation closes a connection whose request the node will never answer;
* the client-side link codec reads answers in order and refuses one that answers nothing.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from glasskafka.config import BrokerConfig, CoordinationConfig, config_from_properties
from glasskafka.errors import ErrorCode
from glasskafka.ids import Millis, NodeId
from glasskafka.node import Message, Node, Output
from glasskafka.protocol.apis import advertised_api_versions, api_for
from glasskafka.protocol.envelope import KafkaResponse, request
from glasskafka.protocol.headers import RequestHeader, ResponseHeader
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from glasskafka.protocol.messages.metadata import MetadataRequest, MetadataResponse
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreateTopicsRequest,
    CreateTopicsResponse,
)
from glasskafka.protocol.wire import decode_response, encode_request, encode_response
from glasskafka.records import Record, encode_batch
from glasskafka.runtime import NodeHost, RuntimeClock
from glasskafka.runtime.broker_process import serve_broker
from glasskafka.runtime.cluster import free_ports
from glasskafka.runtime.coordination_process import serve_coordination
from glasskafka.runtime.kafka_inbound import KafkaConversation
from glasskafka.runtime.kafka_links import KafkaLinkCodec

log = logging.getLogger("glasskafka.test.runtime")
TIMEOUT_S = 10.0


@asynccontextmanager
async def broker(tmp_path: Path, **overrides: str) -> AsyncIterator[tuple[str, int]]:
    """A coordination service and broker 1 on this loop; yields the broker's address."""
    zk_port, port = free_ports(2)
    stop = asyncio.Event()
    zk_config = CoordinationConfig(client_port=zk_port, data_dir=str(tmp_path / "zk"))
    properties = {
        "broker.id": "1",
        "listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "log.dirs": str(tmp_path / "logs"),
        "zookeeper.connect": f"127.0.0.1:{zk_port}",
        "offsets.topic.replication.factor": "1",
        **overrides,
    }
    config = config_from_properties(BrokerConfig, properties)
    tasks = [asyncio.create_task(serve_coordination(zk_config, stop=stop, signals=False))]
    await asyncio.sleep(0.05)
    tasks.append(asyncio.create_task(serve_broker(config, stop=stop, signals=False)))
    address = ("127.0.0.1", port)
    try:
        await until(lambda: _has_controller(address))
        yield address
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT_S)


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT_S
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _has_controller(address: tuple[str, int]) -> bool:
    try:
        answers = await exchange(address, [frame_of(MetadataRequest(topics=None), 0)])
    except (OSError, asyncio.IncompleteReadError):
        return False
    metadata = answers[0]
    return isinstance(metadata, MetadataResponse) and metadata.controller_id == 1


def frame_of(body: Message, correlation_id: int, *, version: int | None = None) -> bytes:
    api = api_for(body)
    chosen = version if version is not None else api.served.highest
    assert chosen is not None
    header = RequestHeader(
        api_key=int(api.key), api_version=chosen, correlation_id=correlation_id, client_id="t"
    )
    return encode_request(header, body)


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    size = await asyncio.wait_for(reader.readexactly(4), TIMEOUT_S)
    return size + await asyncio.wait_for(reader.readexactly(int.from_bytes(size, "big")), TIMEOUT_S)


async def exchange(
    address: tuple[str, int],
    frames: list[bytes],
    *,
    expect: list[tuple[int, int]] | None = None,
    raw: bool = False,
) -> list[Any]:
    """Write ``frames`` back to back; read one answer per ``expect`` entry (key, version)."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(b"".join(frames))
        await writer.drain()
        wanted = expect if expect is not None else [_key_version(f) for f in frames]
        answers: list[Any] = []
        for key, version in wanted:
            frame = await read_frame(reader)
            answers.append(
                frame if raw else decode_response(frame, api_key=key, api_version=version)[1]
            )
        return answers
    finally:
        writer.close()


def _key_version(frame: bytes) -> tuple[int, int]:
    key, version = struct.unpack(">hh", frame[4:8])
    return key, version


async def closed_by_peer(address: tuple[str, int], data: bytes) -> bool:
    """Whether the broker closes the connection after ``data`` without answering."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1), TIMEOUT_S) == b""
    finally:
        writer.close()


# ---------------------------------------------------------------------------------------------


def test_api_versions_v3_and_v4_get_error_35_with_a_v0_body_then_v2_works(tmp_path: Path) -> None:
    async def check() -> None:
        async with broker(tmp_path) as address:
            for version in (3, 4):
                header = struct.pack(">hhih", 18, version, 7, 1) + b"c" + b"\x00"  # header v2
                body = b"\x00" * 3  # a compact client name and version, then no tagged fields
                frame = struct.pack(">i", len(header) + len(body)) + header + body
                (answer,) = await exchange(address, [frame], expect=[(18, 0)], raw=True)
                correlation, error = struct.unpack(">ih", answer[4:10])
                assert (correlation, error) == (7, ErrorCode.UNSUPPORTED_VERSION)
                _, parsed = decode_response(answer, api_key=18, api_version=0)
                assert isinstance(parsed, ApiVersionsResponse)
                assert parsed.api_keys == advertised_api_versions()
            (served,) = await exchange(address, [frame_of(ApiVersionsRequest(), 1, version=2)])
            assert served.error_code == ErrorCode.NONE
            assert served.api_keys == advertised_api_versions()

    asyncio.run(check())


def test_pipelined_requests_are_answered_in_the_order_sent(tmp_path: Path) -> None:
    bodies: list[Message] = [
        MetadataRequest(topics=None),
        ApiVersionsRequest(),
        MetadataRequest(topics=()),
        ApiVersionsRequest(),
        MetadataRequest(topics=None),
    ]

    async def check() -> list[Any]:
        async with broker(tmp_path) as address:
            frames = [frame_of(body, 100 + n) for n, body in enumerate(bodies)]
            reader, writer = await asyncio.open_connection(*address)
            writer.write(b"".join(frames))
            answers = [await read_frame(reader) for _ in frames]
            writer.close()
            return [struct.unpack(">i", answer[4:8])[0] for answer in answers]

    assert asyncio.run(check()) == [100, 101, 102, 103, 104]


def test_an_acks_0_produce_gets_no_answer_and_is_appended(tmp_path: Path) -> None:
    async def check() -> int:
        async with broker(tmp_path) as address:
            topic = CreatableTopic(
                name="quiet", num_partitions=1, replication_factor=1, assignments=(), configs=()
            )
            (created,) = await exchange(
                address, [frame_of(CreateTopicsRequest(topics=(topic,)), 1)]
            )
            assert isinstance(created, CreateTopicsResponse)
            assert created.topics[0].error_code == ErrorCode.NONE
            await until(lambda: _leader_known(address, "quiet"))
            batch = encode_batch([Record(key=None, value=b"fire and forget", timestamp=0)])
            data = TopicProduceData(
                name="quiet", partition_data=(PartitionProduceData(index=0, records=batch),)
            )
            produce = ProduceRequest(acks=0, timeout_ms=1000, topic_data=(data,))
            frames = [frame_of(produce, 2), frame_of(MetadataRequest(topics=None), 3)]
            (metadata,) = await exchange(address, frames, expect=[(3, 8)], raw=True)
            return int(struct.unpack(">i", metadata[4:8])[0])

    assert asyncio.run(check()) == 3  # the only answer is the Metadata's
    segment = tmp_path / "logs" / "quiet-0" / "00000000000000000000.log"
    assert b"fire and forget" in segment.read_bytes()


async def _leader_known(address: tuple[str, int], topic: str) -> bool:
    from glasskafka.protocol.messages.metadata import MetadataRequestTopic

    wanted = MetadataRequest(topics=(MetadataRequestTopic(name=topic),))
    (metadata,) = await exchange(address, [frame_of(wanted, 9)])
    return bool(metadata.topics) and all(p.leader_id == 1 for p in metadata.topics[0].partitions)


@pytest.mark.parametrize(
    "bad",
    [
        struct.pack(">ihhih", 10, 99, 0, 1, -1),  # unknown API key 99
        struct.pack(">ihhih", 10, 3, 42, 1, -1),  # Metadata v42
        struct.pack(">ihhih", 12, 3, 1, 1, -1) + b"\xff\xff",  # a body that does not parse
        struct.pack(">i", 2**30),  # over socket.request.max.bytes
        struct.pack(">i", -1),  # a negative size
        struct.pack(">i", 3) + b"abc",  # below the smallest header
    ],
    ids=["unknown-key", "unknown-version", "bad-body", "oversized", "negative", "tiny"],
)
def test_bad_frames_close_the_connection_and_the_broker_serves_on(
    tmp_path: Path, bad: bytes
) -> None:
    async def check() -> None:
        async with broker(tmp_path, **{"socket.request.max.bytes": "65536"}) as address:
            assert await closed_by_peer(address, bad)
            (metadata,) = await exchange(address, [frame_of(MetadataRequest(topics=None), 5)])
            assert [b.node_id for b in metadata.brokers] == [1]

    asyncio.run(check())


def test_frames_before_a_bad_size_are_still_served(tmp_path: Path) -> None:
    async def check() -> bytes:
        async with broker(tmp_path) as address:
            reader, writer = await asyncio.open_connection(*address)
            good = frame_of(ApiVersionsRequest(), 11)
            writer.write(good + struct.pack(">i", -7))
            answer = await read_frame(reader)
            assert await asyncio.wait_for(reader.read(1), TIMEOUT_S) == b""
            writer.close()
            return answer

    assert struct.unpack(">ih", asyncio.run(check())[4:10]) == (11, 0)


# -- the conversation's own rules, with a node that never answers -------------------------------


class Silent(Node):
    """A node that takes every request and never answers."""

    node_id = NodeId("silent")

    def on_start(self, now_ms: Millis) -> list[Output]:
        return []

    def on_message(self, sender: NodeId, message: Message, now_ms: Millis) -> list[Output]:
        return []

    def on_timer(self, name: str, now_ms: Millis) -> list[Output]:
        return []


class FakeStream:
    """Stands in for a connection: records what is written and why it closed."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed: str | None = None

    def write_frame(self, frame: bytes) -> None:
        self.written.append(frame)

    def close(self, reason: str, **_: Any) -> None:
        self.closed = reason

    def update_reading(self) -> None:
        pass


def conversation(will_answer: Callable[[NodeId], bool]) -> tuple[KafkaConversation, FakeStream]:
    loop = asyncio.new_event_loop()
    host = NodeHost(Silent(), loop=loop, clock=RuntimeClock(loop), log=log)
    chat = KafkaConversation(
        NodeId("client-1"), host=host, log=log, max_request_bytes=1 << 20, will_answer=will_answer
    )
    stream = FakeStream()
    chat.on_open(stream)  # type: ignore[arg-type]
    loop.close()
    return chat, stream


def test_a_request_the_node_will_never_answer_closes_the_connection() -> None:
    chat, stream = conversation(lambda peer: False)
    chat.on_frame(stream, frame_of(MetadataRequest(topics=None), 4))  # type: ignore[arg-type]
    assert stream.closed is not None and "Metadata v8 (correlation id 4) will not be answered" in (
        stream.closed
    )


def test_answers_are_written_in_request_order_even_when_they_come_out_of_order() -> None:
    chat, stream = conversation(lambda peer: True)  # parked: the node will answer later
    for correlation_id in (1, 2):
        chat.on_frame(stream, frame_of(ApiVersionsRequest(), correlation_id))  # type: ignore[arg-type]
    second = KafkaResponse(
        correlation_id=2,
        api_version=2,
        body=ApiVersionsResponse(error_code=0, api_keys=()),
    )
    chat.respond(second)
    assert stream.written == []  # #1 is still owed: #2 waits behind it
    chat.respond(KafkaResponse(correlation_id=1, api_version=2, body=second.body))
    assert [struct.unpack(">i", f[4:8])[0] for f in stream.written] == [1, 2]
    chat.respond(KafkaResponse(correlation_id=3, api_version=2, body=second.body))
    assert len(stream.written) == 2 and stream.closed is None  # answers nothing: dropped


def test_an_answer_that_cannot_be_encoded_closes_instead_of_writing_half() -> None:
    chat, stream = conversation(lambda peer: True)
    chat.on_frame(stream, frame_of(ApiVersionsRequest(), 1, version=0))  # type: ignore[arg-type]
    bad = ApiVersionsResponse(error_code=70000, api_keys=())  # not an int16
    chat.respond(KafkaResponse(correlation_id=1, api_version=0, body=bad))
    assert stream.written == [] and stream.closed is not None and "cannot encode" in stream.closed


def test_the_link_codec_reads_answers_in_order_and_refuses_strays() -> None:
    codec = KafkaLinkCodec()
    first = request(ApiVersionsRequest(), correlation_id=0)
    second = request(MetadataRequest(topics=None), correlation_id=0)  # ids may repeat
    codec.encode(first)
    codec.encode(second)
    answer_one = encode_response(
        ResponseHeader(correlation_id=0), ApiVersionsResponse(error_code=0, api_keys=()), 2
    )
    decoded = codec.decode(answer_one)
    assert isinstance(decoded, KafkaResponse) and isinstance(decoded.body, ApiVersionsResponse)
    with pytest.raises(ValueError):
        codec.decode(answer_one)  # read as a Metadata answer: it does not parse
    with pytest.raises(ValueError, match="no request is waiting"):
        codec.decode(answer_one)
    with pytest.raises(ValueError, match="not a request"):
        codec.encode(
            KafkaResponse(correlation_id=0, body=ApiVersionsResponse(error_code=0, api_keys=()))
        )
    silent = request(ProduceRequest(acks=0, timeout_ms=1, topic_data=()), correlation_id=5)
    codec.encode(silent)
    assert not codec.waiting  # an acks=0 produce waits for nothing
