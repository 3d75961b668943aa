"""Hostile bytes at a live broker process: a closed connection or an error code, never a crash.

DESIGN §7: bad input gets Kafka's error code or a closed connection with a logged reason, never
a crash and never a partial write; oversized requests are refused (``socket.request.max.bytes``).
wire-protocol.md §12.4 asks for exactly this test.  One broker runs as a real process (with a
coordination service), with a topic holding a few records.  Hypothesis then sends, each on a
fresh connection:

* random frames (a correct size prefix around random bytes);
* valid requests of the read-only APIs (Metadata, ApiVersions, ListOffsets, Fetch) with bytes
  flipped, cut or inserted;
* valid requests behind a lying size prefix;
* frames over ``socket.request.max.bytes``, and negative sizes;
* headers naming random API keys and versions, with random bodies.

After each: the process is still running, a new connection's Metadata request is answered, and
the partition's files on disk are byte for byte what they were.  Auto-creation is off on this
broker, so that a mangled Metadata request cannot legitimately create a topic.
"""

from __future__ import annotations

import hashlib
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from glasskafka.errors import ErrorCode
from glasskafka.node import Message
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.headers import RequestHeader
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest
from glasskafka.protocol.messages.fetch import FetchPartition, FetchRequest, FetchTopic
from glasskafka.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)
from glasskafka.protocol.messages.metadata import MetadataRequest, MetadataRequestTopic
from glasskafka.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    ProduceResponse,
    TopicProduceData,
)
from glasskafka.protocol.messages.topic_admin import (
    CreatableTopic,
    CreateTopicsRequest,
    CreateTopicsResponse,
)
from glasskafka.protocol.wire import encode_request
from glasskafka.records import Record, encode_batch
from glasskafka.runtime.cluster import ClusterProcess, cluster_down, cluster_up, is_running
from glasskafka.runtime.kafka_client import KafkaClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAX_REQUEST_BYTES = 65536
TOPIC = "kept"


class Broker:
    """The broker under attack: its address, process, and partition directory."""

    def __init__(self, process: ClusterProcess, partition_dir: Path) -> None:
        self.process = process
        self.partition_dir = partition_dir
        host, _, port = process.address.rpartition(":")
        self.address = (host, int(port))

    def files(self) -> dict[str, str]:
        return {
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.partition_dir.iterdir())
        }


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    directory = tmp_path_factory.mktemp("hostile-cluster")
    overrides = {
        "auto.create.topics.enable": "false",
        "socket.request.max.bytes": str(MAX_REQUEST_BYTES),
    }
    processes = cluster_up(directory, brokers=1, overrides=overrides)
    try:
        process = next(p for p in processes if p.name == "broker-1")
        with KafkaClient(process.address) as client:
            _fill(client)
        yield Broker(process, directory / "data" / "kafka-logs-1" / f"{TOPIC}-0")
    finally:
        cluster_down(directory)


def _fill(client: KafkaClient) -> None:
    topic = CreatableTopic(
        name=TOPIC, num_partitions=1, replication_factor=1, assignments=(), configs=()
    )
    created = client.to_controller(CreateTopicsRequest(topics=(topic,)))
    assert isinstance(created, CreateTopicsResponse) and created.topics[0].error_code == 0
    address = client.controller_address()
    batch = encode_batch([Record(key=b"k", value=b"v" * 50, timestamp=0) for _ in range(5)])
    data = TopicProduceData(
        name=TOPIC, partition_data=(PartitionProduceData(index=0, records=batch),)
    )
    for _ in range(100):
        answer = client.request(
            address, ProduceRequest(acks=-1, timeout_ms=5000, topic_data=(data,))
        )
        assert isinstance(answer, ProduceResponse)
        if answer.responses[0].partition_responses[0].error_code == ErrorCode.NONE:
            return
    raise AssertionError("the topic never accepted a produce")


def frame_of(body: Message, *, correlation_id: int = 1) -> bytes:
    api = api_for(body)
    version = api.served.highest
    assert version is not None
    header = RequestHeader(
        api_key=int(api.key), api_version=version, correlation_id=correlation_id, client_id="h"
    )
    return encode_request(header, body)


READ_ONLY: list[bytes] = [
    frame_of(MetadataRequest(topics=(MetadataRequestTopic(name=TOPIC),))),
    frame_of(MetadataRequest(topics=None)),
    frame_of(ApiVersionsRequest()),
    frame_of(
        ListOffsetsRequest(
            replica_id=-1,
            topics=(
                ListOffsetsTopic(
                    name=TOPIC, partitions=(ListOffsetsPartition(partition_index=0, timestamp=-2),)
                ),
            ),
        )
    ),
    frame_of(
        FetchRequest(
            max_wait_ms=10,
            min_bytes=1,
            topics=(
                FetchTopic(
                    topic=TOPIC,
                    partitions=(
                        FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=4096),
                    ),
                ),
            ),
        )
    ),
]


def _resized(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.sampled_from(READ_ONLY)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(4, len(frame) - 1))
        match draw(st.sampled_from(["flip", "cut", "insert"])):
            case "flip":
                frame[position] = draw(st.integers(0, 255))
            case "cut":
                del frame[position : position + draw(st.integers(1, 8))]
            case _:
                frame[position:position] = draw(st.binary(min_size=1, max_size=8))
        if len(frame) <= 5:
            break
    return _resized(bytes(frame[4:])) if draw(st.booleans()) else bytes(frame)


@st.composite
def lying_size(draw: st.DrawFn) -> bytes:
    frame = draw(st.sampled_from(READ_ONLY))
    size = draw(st.integers(-(2**31), 2**31 - 1).filter(lambda s: s != len(frame) - 4))
    return struct.pack(">i", size) + frame[4:]


@st.composite
def unknown_api(draw: st.DrawFn) -> bytes:
    key = draw(st.integers(-(2**15), 2**15 - 1))
    version = draw(st.integers(-(2**15), 2**15 - 1))
    header = struct.pack(">hhih", key, version, 9, 1) + b"h"
    return _resized(header + draw(st.binary(max_size=40)))


HOSTILE = st.one_of(
    st.binary(min_size=1, max_size=200).map(_resized),
    st.binary(min_size=1, max_size=64),
    mutated(),
    lying_size(),
    st.integers(MAX_REQUEST_BYTES + 1, 2**31 - 1).map(lambda n: struct.pack(">i", n) + b"\0" * 16),
    unknown_api(),
)


def send_and_hang_up(address: tuple[str, int], data: bytes) -> None:
    """Write ``data``, close our side, and read whatever comes until the broker closes."""
    with socket.create_connection(address, timeout=5) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        except OSError:
            pass  # the broker closed first (a reset): that is an answer too


def still_serving(broker: Broker) -> None:
    assert is_running(broker.process.pid), "the broker process died"
    with KafkaClient(broker.process.address, timeout_s=5) as client:
        metadata = client.metadata([TOPIC])
    assert [b.node_id for b in metadata.brokers] == [1]
    assert [(t.name, t.error_code) for t in metadata.topics] == [(TOPIC, 0)]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=HOSTILE)
def test_hostile_bytes_never_crash_the_broker_or_touch_its_log(broker: Broker, data: bytes) -> None:
    before = broker.files()
    send_and_hang_up(broker.address, data)
    still_serving(broker)
    assert broker.files() == before


def test_several_hostile_frames_on_one_connection_then_a_good_one(broker: Broker) -> None:
    before = broker.files()
    good = frame_of(ApiVersionsRequest(), correlation_id=77)
    with socket.create_connection(broker.address, timeout=5) as sock:
        sock.sendall(good + struct.pack(">ihhih", 10, 99, 0, 1, -1) + good)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    (correlation_id,) = struct.unpack(">i", received[4:8])
    assert correlation_id == 77
    size = struct.unpack(">i", received[:4])[0]
    assert len(received) == 4 + size  # one whole answer, then the connection closed
    still_serving(broker)
    assert broker.files() == before


def test_the_reason_for_closing_is_logged(broker: Broker) -> None:
    send_and_hang_up(broker.address, struct.pack(">ihhih", 10, 12345, 0, 1, -1))
    send_and_hang_up(broker.address, struct.pack(">i", MAX_REQUEST_BYTES + 1))
    still_serving(broker)
    log = broker.process.log_file.read_text(encoding="utf-8")
    assert "unsupported request: unknown API key 12345" in log
    assert f"exceeds the limit of {MAX_REQUEST_BYTES} bytes (socket.request.max.bytes)" in log
    assert "Traceback" not in log
