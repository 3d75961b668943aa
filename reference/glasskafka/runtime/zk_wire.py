"""The coordination protocol on sockets: the server's conversations and the clients' link.

Theory of operation
-------------------
Two ends, one codec (``zk_codec.py``):

* **server side** -- the coordination service's :class:`~glasskafka.runtime.inbound.Listener`
  builds a :class:`ZkConversation` for every accepted connection: each frame is decoded and
  delivered to the :class:`~glasskafka.coordination.CoordinationServer` as a message from
  ``client-<n>``; the server's answers and watch events are encoded and written back.  A frame
  that does not decode closes the connection with the reason logged (ZooKeeper drops a client
  that sends a corrupt packet, too); the server's session lives on until it expires, exactly as
  after any other lost connection.
* **client side** -- a node that uses the service (a broker, the ``zk-shell``, the runtime's
  address book) reaches ``zk`` through :func:`coordination_links`: one outbound link, resolved
  from ``zookeeper.connect`` (:func:`parse_zookeeper_connect`).

Spec IDs: none; the service's answers keep COORD-7's order because one connection is one
ordered byte stream and the server answers each request before taking the next.

Simplified from Kafka: a ``zookeeper.connect`` string may list several servers of an ensemble
and a chroot path (``host1:2181,host2:2181/kafka``); glasskafka's service is one server, so the
first address is used and a chroot is refused with a clear message.
"""

from __future__ import annotations

import logging

from glasskafka.errors import GlassKafkaError
from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.outbound import OutboundLinks
from glasskafka.runtime.streams import FramedProtocol
from glasskafka.runtime.zk_codec import (
    MAX_FRAME_BYTES,
    MIN_FRAME_BYTES,
    ZkCodecError,
    decode_frame,
    encode_message,
)

__all__ = [
    "COORDINATION_PEER",
    "ZkConversation",
    "ZkLinkCodec",
    "coordination_links",
    "parse_zookeeper_connect",
]

COORDINATION_PEER = NodeId("zk")
"""The node id under which every node reaches the coordination service."""


class ZkConversation:
    """One client connection to the coordination service."""

    def __init__(self, peer: NodeId, *, host: NodeHost, log: logging.Logger) -> None:
        self.peer = peer
        self.host = host
        self.log = log
        self.stream: FramedProtocol | None = None

    def on_open(self, stream: FramedProtocol) -> None:
        self.stream = stream

    def on_frame(self, stream: FramedProtocol, frame: bytes) -> None:
        try:
            message = decode_frame(frame)
        except ZkCodecError as error:
            stream.close(f"malformed coordination frame: {error}")
            return
        if not self.host.deliver(self.peer, message):
            stream.close(f"the node failed on {type(message).__name__}; see above")

    def respond(self, message: Message) -> None:
        try:
            frame = encode_message(message)
        except ZkCodecError as error:
            if self.stream is not None:
                self.stream.close(f"cannot encode {type(message).__name__}: {error}")
            return
        if self.stream is not None:
            self.stream.write_frame(frame)

    def wants_more(self, stream: FramedProtocol) -> bool:
        return True

    def on_closed(self, stream: FramedProtocol, reason: str) -> None:
        self.stream = None


class ZkLinkCodec:
    """The client side of the coordination protocol: stateless, every frame names its type."""

    min_size = MIN_FRAME_BYTES
    max_size = MAX_FRAME_BYTES

    def encode(self, message: Message) -> bytes:
        return encode_message(message)

    def decode(self, frame: bytes) -> Message:
        return decode_frame(frame)


def parse_zookeeper_connect(text: str, *, key: str = "zookeeper.connect") -> tuple[str, int]:
    """The first ``host:port`` of a ``zookeeper.connect`` string.

    Raises :class:`GlassKafkaError` naming ``key`` and the value for anything else, including a
    chroot path, which glasskafka's single-tree service does not offer.
    """
    first = text.split(",")[0].strip()
    address, slash, chroot = first.partition("/")
    host, colon, port = address.rpartition(":")
    if slash and chroot:
        raise GlassKafkaError(
            f"property {key!r} has value {text!r}; a chroot path ('/{chroot}') is not supported: "
            "give host:port only"
        )
    if not colon or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise GlassKafkaError(
            f"property {key!r} has value {text!r}; allowed: host:port, e.g. localhost:2181"
        )
    return host.strip("[]"), int(port)


def coordination_links(
    host: NodeHost, address: tuple[str, int], *, log: logging.Logger
) -> OutboundLinks:
    """The outbox through which ``host``'s node reaches ``zk`` at ``address``."""

    async def resolve(peer: NodeId) -> tuple[str, int]:
        return address

    return OutboundLinks(
        host,
        owns=lambda to: to == COORDINATION_PEER,
        resolve=resolve,
        codec=ZkLinkCodec,
        log=log,
    )
