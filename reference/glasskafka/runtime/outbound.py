"""Outbound links: the connections a node opens to its peers (a broker to ``zk``, to brokers).

Theory of operation
-------------------
When a node sends to a peer it has no connection to, the runtime opens one, as the simulated
network does on a first send (``glasskafka.sim.network``).  :class:`OutboundLinks` is an
:class:`~glasskafka.runtime.host.Outbox` for one family of peers -- the coordination service
``zk``, or the brokers ``broker-<id>`` -- and keeps one :class:`Link` per peer:

1. **connecting**: the peer's address is resolved (``zookeeper.connect`` for ``zk``; the
   broker's registration for ``broker-<id>``, see ``address_book.py``) and a TCP connection
   opened.  Messages sent meanwhile are encoded at once and queued, in order;
2. **open**: messages are written as whole frames; each frame read is decoded by the link's
   :class:`LinkCodec` and delivered to the node as an input from the peer;
3. **broken**: the connection failed to open, the peer hung up, or a frame did not decode.  Sends
   are dropped silently -- like writes into a dead socket -- until the node has been told through
   ``on_connection_lost``; only then is the link forgotten, so the node's next send opens a fresh
   connection.  This is exactly the simulated network's rule ("until told, a broken connection
   swallows sends"), so the node code sees the same world in both drivers.

The links make no protocol decisions: they neither retry nor time requests out.  The nodes do
(the coordination client's reconnect backoff, the replica fetcher's backoff, the controller's
resend to brokers).

Spec IDs: none; the connection guarantees are the simulator's SIM-1..SIM-3, which TCP provides.

Simplified from Kafka: Kafka's ``NetworkClient`` keeps a connection state per node with
``reconnect.backoff.ms`` and closes idle connections after ``connections.max.idle.ms``;
glasskafka keeps a connection until it breaks and leaves the backoff to the node.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.streams import FramedProtocol

__all__ = ["Link", "LinkCodec", "LinkState", "OutboundLinks", "Resolver"]

Resolver = Callable[[NodeId], Awaitable[tuple[str, int]]]
"""Finds a peer's host and port; raises ``LookupError`` if it cannot."""


class LinkCodec(Protocol):
    """How one link turns messages into frames and frames into messages."""

    min_size: int
    max_size: int

    def encode(self, message: Message) -> bytes:
        """One whole frame for ``message``; raises ``ValueError`` if it cannot be sent."""

    def decode(self, frame: bytes) -> Message:
        """The message in one whole frame; raises ``ValueError`` for bad bytes."""


class LinkState(enum.Enum):
    """Where a link is in its life (see the module docstring); it only moves down this list."""

    CONNECTING = "connecting"
    OPEN = "open"
    BROKEN = "broken"


class Link:
    """One outbound connection, through connecting, open and broken."""

    def __init__(self, links: OutboundLinks, peer: NodeId, codec: LinkCodec) -> None:
        self.links = links
        self.peer = peer
        self.codec = codec
        self.state = LinkState.CONNECTING
        self.queue: list[bytes] = []
        self.stream: FramedProtocol | None = None
        self.task = links.host.loop.create_task(self._connect())

    def send(self, message: Message) -> None:
        if self.state is LinkState.BROKEN:
            self.links.log.debug("dropped %s to %s: broken", type(message).__name__, self.peer)
            return
        try:
            frame = self.codec.encode(message)
        except ValueError as error:
            self.links.log.error(
                "cannot send %s to %s: %s", type(message).__name__, self.peer, error
            )
            return
        if self.state is LinkState.OPEN and self.stream is not None:
            self.stream.write_frame(frame)
        else:
            self.queue.append(frame)

    async def _connect(self) -> None:
        links = self.links
        try:
            host, port = await asyncio.wait_for(links.resolve(self.peer), links.timeout_s)
            await asyncio.wait_for(
                links.host.loop.create_connection(self._protocol, host, port), links.timeout_s
            )
        except (OSError, LookupError, TimeoutError) as error:
            self.broken(f"cannot connect: {str(error) or type(error).__name__}")

    def _protocol(self) -> FramedProtocol:
        return FramedProtocol(
            self,
            name=f"to {self.peer}",
            min_size=self.codec.min_size,
            max_size=self.codec.max_size,
            log=self.links.log,
        )

    # -- FrameHandler ---------------------------------------------------------------------------

    def on_open(self, stream: FramedProtocol) -> None:
        if self.state is LinkState.BROKEN:
            stream.close("opened after the link broke", level=logging.DEBUG)
            return
        self.state, self.stream = LinkState.OPEN, stream
        self.links.log.debug("connected to %s at %s", self.peer, stream.peer_address)
        for frame in self.queue:
            stream.write_frame(frame)
        self.queue.clear()

    def on_frame(self, stream: FramedProtocol, frame: bytes) -> None:
        try:
            message = self.codec.decode(frame)
        except ValueError as error:
            stream.close(f"undecodable frame from {self.peer}: {error}")
            return
        self.links.host.deliver(self.peer, message)

    def on_closed(self, stream: FramedProtocol, reason: str) -> None:
        self.broken(reason)

    def wants_more(self, stream: FramedProtocol) -> bool:
        return True

    # -- breaking -------------------------------------------------------------------------------

    def broken(self, reason: str) -> None:
        """The link is dead: drop what is queued, tell the node, then forget the link."""
        if self.state is LinkState.BROKEN:
            return
        self.state = LinkState.BROKEN
        self.queue.clear()
        self.links.log.info("connection to %s broken: %s", self.peer, reason)
        if self.stream is not None:
            self.stream.close(reason, level=logging.DEBUG)
        self.links.host.connection_lost(self.peer, before=self._forget)

    def _forget(self) -> None:
        if self.links.links.get(self.peer) is self:
            del self.links.links[self.peer]


class OutboundLinks:
    """The outbound connections to one family of peers (an ``Outbox`` for the host)."""

    def __init__(
        self,
        host: NodeHost,
        *,
        owns: Callable[[NodeId], bool],
        resolve: Resolver,
        codec: Callable[[], LinkCodec],
        log: logging.Logger,
        timeout_s: float = 5.0,
    ) -> None:
        self.host = host
        self.owns = owns
        self.resolve = resolve
        self.codec = codec
        self.log = log
        self.timeout_s = timeout_s
        self.links: dict[NodeId, Link] = {}

    def offer(self, to: NodeId, message: Message) -> bool:
        if not self.owns(to):
            return False
        link = self.links.get(to)
        if link is None:
            link = self.links[to] = Link(self, to, self.codec())
        link.send(message)
        return True

    def close(self) -> None:
        """Close every link (shutdown); the node is not told."""
        for link in list(self.links.values()):
            link.state = LinkState.BROKEN
            link.task.cancel()
            if link.stream is not None:
                link.stream.close("shutting down", level=logging.DEBUG)
        self.links.clear()
