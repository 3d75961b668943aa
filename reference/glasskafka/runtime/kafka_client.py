"""A small blocking Kafka client for the command-line tools: one request, one answer.

Theory of operation
-------------------
``glasskafka topics`` and ``glasskafka cluster`` are Kafka protocol clients, like Kafka's
``kafka-topics.sh`` (which uses the ``Admin`` client).  They ask a handful of questions and wait
for each answer, so :class:`KafkaClient` is deliberately simple: a plain blocking socket per
broker, one request in flight at a time, a timeout on every read.

* **Bootstrap**: ``--bootstrap-server host:port[,host:port...]``; the first server that answers
  is used for Metadata (:func:`parse_bootstrap` refuses anything else with a clear message).
  Like Kafka's ``Admin`` client, which retries until ``default.api.timeout.ms``, it keeps trying
  for ``timeout_s`` (a broker that is still starting answers a moment later).
* **Version negotiation**: the first request on each connection is ApiVersions (v2, which a
  broker that does not know it answers as v0, KIP-511); every later request is sent at the
  highest version both sides speak (wire-protocol.md §3).  So the tools also work against a
  real Kafka cluster of the ZooKeeper era.
* **The controller**: CreateTopics and DeleteTopics go to the broker Metadata names as
  ``controller_id`` (``kafka/admin/_topics.py``; wire-protocol.md §11); while there is none,
  or after a NOT_CONTROLLER answer (the controller moved), it asks Metadata again.

Errors of the transport (refused connection, timeout, undecodable answer) raise
:class:`~glasskafka.errors.GlassKafkaError` naming the broker; errors *in* an answer are values
the caller inspects.

Spec IDs: none.

Simplified from Kafka: Kafka's ``Admin`` client is asynchronous, batches requests per broker,
retries with backoff until ``default.api.timeout.ms`` and keeps metadata fresh in the background;
this client asks, waits, and retries only the bootstrap and the controller lookup.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.node import Message
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.errors import CodecError
from glasskafka.protocol.framing import MIN_RESPONSE_SIZE, SIZE_PREFIX_BYTES, check_frame_size
from glasskafka.protocol.headers import RequestHeader
from glasskafka.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from glasskafka.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)
from glasskafka.protocol.messages.topic_admin import (
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
)
from glasskafka.protocol.wire import MAX_RESPONSE_BYTES, decode_response, encode_request

__all__ = ["BrokerConnection", "KafkaClient", "parse_bootstrap"]

_RETRY_BACKOFF_S = 0.2


def parse_bootstrap(text: str) -> list[tuple[str, int]]:
    """``host:port[,host:port...]`` as (host, port) pairs.

    Raises :class:`GlassKafkaError` naming the value and the form it needs.
    """
    addresses = []
    for item in text.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise GlassKafkaError(
                f"--bootstrap-server {text!r} is not valid; allowed: host:port[,host:port...], "
                "e.g. localhost:9092"
            )
        addresses.append((host.strip("[]"), int(port)))
    return addresses


@dataclass(slots=True)
class BrokerConnection:
    """One blocking connection to one broker, with its negotiated versions."""

    address: tuple[str, int]
    client_id: str
    timeout_s: float
    sock: socket.socket | None = None
    next_correlation_id: int = 0
    versions: dict[int, tuple[int, int]] = field(default_factory=dict)

    def open(self) -> None:
        """Connect and negotiate versions; raises :class:`GlassKafkaError` if it cannot."""
        host, port = self.address
        try:
            self.sock = socket.create_connection((host, port), timeout=self.timeout_s)
        except OSError as error:
            raise GlassKafkaError(f"cannot connect to broker {host}:{port}: {error}") from None
        answer = self._exchange(ApiVersionsRequest(), version=2)
        assert isinstance(answer, ApiVersionsResponse)
        self.versions = {v.api_key: (v.min_version, v.max_version) for v in answer.api_keys}

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def version_for(self, body: Message) -> int:
        """The highest version of ``body``'s API that both this client and the broker speak."""
        api = api_for(body)
        ours_high = api.versions.highest if api.versions.highest is not None else 0
        theirs = self.versions.get(int(api.key))
        if theirs is not None:
            low, high = max(api.versions.lowest, theirs[0]), min(ours_high, theirs[1])
            if low <= high:
                return high
        host, port = self.address
        raise GlassKafkaError(
            f"broker {host}:{port} does not speak {api.name} at any version we do"
        )

    def request(self, body: Message) -> Message:
        """Send ``body`` at the negotiated version and return the answer's body."""
        if self.sock is None:
            self.open()
        return self._exchange(body, version=self.version_for(body))

    def _exchange(self, body: Message, *, version: int) -> Message:
        api = api_for(body)
        header = RequestHeader(
            api_key=int(api.key),
            api_version=version,
            correlation_id=self.next_correlation_id,
            client_id=self.client_id,
        )
        self.next_correlation_id += 1
        frame = encode_request(header, body)
        host, port = self.address
        try:
            assert self.sock is not None
            self.sock.sendall(frame)
            size_bytes = self._read_exactly(SIZE_PREFIX_BYTES)
            size = int.from_bytes(size_bytes, "big", signed=True)
            check_frame_size(size, min_size=MIN_RESPONSE_SIZE, max_size=MAX_RESPONSE_BYTES)
            payload = self._read_exactly(size)
            answer_header, answer = decode_response(
                size_bytes + payload, api_key=int(api.key), api_version=version
            )
        except (OSError, CodecError) as error:
            self.close()
            raise GlassKafkaError(f"broker {host}:{port} failed on {api.name}: {error}") from None
        if answer_header.correlation_id != header.correlation_id:
            self.close()
            raise GlassKafkaError(f"broker {host}:{port} answered out of order")
        return answer

    def _read_exactly(self, count: int) -> bytes:
        assert self.sock is not None
        chunks = bytearray()
        while len(chunks) < count:
            chunk = self.sock.recv(min(count - len(chunks), 1 << 20))
            if not chunk:
                raise OSError("the broker closed the connection")
            chunks += chunk
        return bytes(chunks)


class KafkaClient:
    """Blocking requests to a cluster found through its bootstrap servers."""

    def __init__(
        self, bootstrap: str, *, client_id: str = "glasskafka-admin", timeout_s: float = 10.0
    ) -> None:
        self.bootstrap = parse_bootstrap(bootstrap)
        self.client_id = client_id
        self.timeout_s = timeout_s
        self.connections: dict[tuple[str, int], BrokerConnection] = {}

    def __enter__(self) -> KafkaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()

    def connection(self, address: tuple[str, int]) -> BrokerConnection:
        found = self.connections.get(address)
        if found is None:
            found = BrokerConnection(address, self.client_id, self.timeout_s)
            found.open()
            self.connections[address] = found
        return found

    def request(self, address: tuple[str, int], body: Message) -> Message:
        """One request to the broker at ``address`` (reconnecting once if it was closed)."""
        connection = self.connection(address)
        try:
            return connection.request(body)
        except GlassKafkaError:
            self.connections.pop(address, None)
            raise

    def metadata(self, topics: list[str] | None = None) -> MetadataResponse:
        """Metadata for ``topics`` (None: every topic) from the first bootstrap server that
        answers, trying them in turn until ``timeout_s`` has passed (a broker may be starting).

        Topics are never auto-created by this request.
        """
        wanted = None if topics is None else tuple(MetadataRequestTopic(name=t) for t in topics)
        body = MetadataRequest(topics=wanted, allow_auto_topic_creation=False)
        deadline = time.monotonic() + self.timeout_s
        while True:
            problems = []
            for address in self.bootstrap:
                try:
                    answer = self.request(address, body)
                except GlassKafkaError as error:
                    problems.append(str(error))
                    continue
                assert isinstance(answer, MetadataResponse)
                return answer
            if time.monotonic() >= deadline:
                raise GlassKafkaError("no bootstrap server answered: " + "; ".join(problems))
            time.sleep(_RETRY_BACKOFF_S)

    def controller_address(self) -> tuple[str, int]:
        """Where the controller listens, from Metadata's ``controller_id``, waiting up to
        ``timeout_s`` while the cluster has none (it is starting, or electing one)."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            metadata = self.metadata([])
            for broker in metadata.brokers:
                if broker.node_id == metadata.controller_id:
                    return broker.host, broker.port
            if time.monotonic() >= deadline:
                raise GlassKafkaError("the cluster has no controller at the moment")
            time.sleep(_RETRY_BACKOFF_S)

    def to_controller(self, body: CreateTopicsRequest | DeleteTopicsRequest) -> Message:
        """Send ``body`` to the controller, trying again while it moves (NOT_CONTROLLER) until
        ``timeout_s`` has passed; then the last answer is returned."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                answer = self.request(self.controller_address(), body)
            except GlassKafkaError:
                if time.monotonic() >= deadline:
                    raise
            else:
                if not _not_controller(answer) or time.monotonic() >= deadline:
                    return answer
            time.sleep(_RETRY_BACKOFF_S)


def _not_controller(answer: Message) -> bool:
    code = int(ErrorCode.NOT_CONTROLLER)
    if isinstance(answer, CreateTopicsResponse):
        return any(t.error_code == code for t in answer.topics)
    if isinstance(answer, DeleteTopicsResponse):
        return any(t.error_code == code for t in answer.responses)
    return False
