"""Kafka's protocol on the connections a broker opens to other brokers.

Theory of operation
-------------------
A broker is also a Kafka *client*: its controller role sends LeaderAndIsr, UpdateMetadata and
StopReplica to the other brokers, and its replica fetchers send Fetch and OffsetForLeaderEpoch to
the leaders.  The node addresses them as ``broker-<id>``; :func:`broker_links` gives it one
outbound link per broker (``outbound.py``), resolved through the address book.

:class:`KafkaLinkCodec` is a client's half of the wire codec.  A Kafka response does not say which
API it answers; the client must remember.  Because a broker answers each connection's requests in
the order they were sent (wire-protocol.md §2), the codec keeps a first-in-first-out queue of the
requests sent that expect an answer (every request but an ``acks=0`` Produce), and reads each
response as the answer to the oldest: :func:`~glasskafka.protocol.wire.decode_response` at that
request's API and version, checking that the correlation id matches.  A queue rather than a table
by correlation id, because the controller role and the fetchers of one broker number their
requests independently and may share a connection, and because order is what TCP and the broker
guarantee.  A response that answers nothing, or the wrong request, breaks the link.

Spec IDs: none.

Simplified from Kafka: Kafka opens separate connections for the controller's channel to each
broker (``ControllerChannelManager``) and for each replica fetcher thread; glasskafka's node has
one logical connection per peer (``glasskafka.node``), and so one socket.
"""

from __future__ import annotations

import logging
from collections import deque

from glasskafka.broker.registration import broker_id_of
from glasskafka.node import Message
from glasskafka.protocol.apis import api_for
from glasskafka.protocol.envelope import KafkaRequest, KafkaResponse
from glasskafka.protocol.errors import CodecError
from glasskafka.protocol.framing import MIN_RESPONSE_SIZE
from glasskafka.protocol.headers import RequestHeader
from glasskafka.protocol.wire import MAX_RESPONSE_BYTES, decode_response, encode_request
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.outbound import OutboundLinks, Resolver

__all__ = ["KafkaLinkCodec", "broker_links"]


class KafkaLinkCodec:
    """A client's half of Kafka's codec, for one connection: requests out, answers in."""

    min_size = MIN_RESPONSE_SIZE
    max_size = MAX_RESPONSE_BYTES

    def __init__(self) -> None:
        self.waiting: deque[tuple[int, int, int]] = deque()
        """(correlation id, API key, version) of each request still owed an answer, oldest first."""

    def encode(self, message: Message) -> bytes:
        """One request frame; raises ``ValueError`` for anything but a well-formed request."""
        if not isinstance(message, KafkaRequest):
            raise ValueError(f"{type(message).__name__} is not a request")
        api = api_for(message.body)
        version = message.api_version
        if version < 0:
            version = api.served.highest if api.served.highest is not None else 0
        header = RequestHeader(
            api_key=int(api.key),
            api_version=version,
            correlation_id=message.correlation_id,
            client_id=message.client_id,
        )
        frame = encode_request(header, message.body)
        if message.expects_response:
            self.waiting.append((message.correlation_id, int(api.key), version))
        return frame

    def decode(self, frame: bytes) -> Message:
        """The answer to the oldest waiting request; raises ``ValueError`` if it is not one."""
        if not self.waiting:
            raise ValueError("a response arrived, but no request is waiting for one")
        correlation_id, api_key, version = self.waiting.popleft()
        try:
            header, body = decode_response(frame, api_key=api_key, api_version=version)
        except CodecError as error:
            raise ValueError(str(error)) from None
        if header.correlation_id != correlation_id:
            raise ValueError(
                f"response carries correlation id {header.correlation_id}; "
                f"the oldest waiting request is {correlation_id}"
            )
        return KafkaResponse(correlation_id=correlation_id, api_version=version, body=body)


def broker_links(host: NodeHost, resolve: Resolver, *, log: logging.Logger) -> OutboundLinks:
    """The outbox through which ``host``'s broker reaches ``broker-<id>`` peers."""
    return OutboundLinks(
        host,
        owns=lambda to: broker_id_of(to) is not None,
        resolve=resolve,
        codec=KafkaLinkCodec,
        log=log,
    )
