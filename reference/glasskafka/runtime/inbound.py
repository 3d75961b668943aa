"""Inbound connections: a listening socket, and a node id for every connection accepted.

Theory of operation
-------------------
A server node -- a broker, the coordination service -- answers whoever connects.  Kafka's
clients are anonymous connections, but a node's ``Send`` needs a destination, so
:class:`Listener` names each accepted connection ``client-<n>`` (``n`` counting from 1 for the
life of the process, never reused).  A request arriving on it is delivered to the node as a
message from ``client-<n>``; the node's answer ``Send(to="client-<n>")`` goes back on that very
connection; when it closes, the node gets ``on_connection_lost("client-<n>")``, forgets what the
connection was waiting for, and anything it still sends there is dropped.

What a frame means is the business of the :class:`Conversation` the listener builds for each
connection (``kafka_inbound.py`` for Kafka's protocol, ``zk_wire.py`` for the coordination
service's).  The listener is the host's :class:`~glasskafka.runtime.host.Outbox` for every name it
gave out.

Another broker connecting to this one is a client like any other here: its requests arrive on
``client-<n>``.  Its own answers to this broker's requests travel on the connection this broker
opened (``outbound.py``), as in Kafka, where each broker's network client owns its connections.

Spec IDs: none.

Simplified from Kafka: Kafka names a connection by its local and remote address and port
(``SocketServer``'s ``connectionId``) and limits connections per IP
(``max.connections.per.ip``); glasskafka has neither limit.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable
from typing import Protocol

from glasskafka.ids import NodeId
from glasskafka.node import Message
from glasskafka.runtime.host import NodeHost
from glasskafka.runtime.streams import FramedProtocol, FrameHandler

__all__ = ["Conversation", "Listener", "listen_hosts"]


class Conversation(FrameHandler, Protocol):
    """One accepted connection's handling of frames, and of the node's answers on it."""

    peer: NodeId

    def respond(self, message: Message) -> None:
        """Write the node's ``message`` to this connection (or drop it, logging why)."""


def listen_hosts(host: str) -> list[str]:
    """Where to bind for a listener host: both loopbacks for ``""``/``localhost``.

    librdkafka may resolve ``localhost`` to ``::1`` first (wire-protocol.md §6), so an empty or
    ``localhost`` host listens on ``127.0.0.1`` and, if the machine has IPv6, on ``::1``.
    """
    if host not in ("", "localhost"):
        return [host]
    return ["127.0.0.1", "::1"] if socket.has_ipv6 else ["127.0.0.1"]


class Listener:
    """A listening socket whose connections are named ``client-<n>``."""

    def __init__(
        self,
        host: NodeHost,
        conversation: Callable[[NodeId], Conversation],
        *,
        min_size: int,
        max_size: int,
        log: logging.Logger,
    ) -> None:
        self.host = host
        self.conversation = conversation
        self.min_size = min_size
        self.max_size = max_size
        self.log = log
        self.conversations: dict[NodeId, Conversation] = {}
        self.streams: dict[NodeId, FramedProtocol] = {}
        self.servers: list[asyncio.Server] = []
        self._numbers = itertools.count(1)

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (port 0: any free port); return the port bound.

        Raises ``OSError`` if the port is taken; an IPv6 loopback that cannot be bound is skipped.
        """
        hosts = listen_hosts(host)
        for index, address in enumerate(hosts):
            try:
                server = await self.host.loop.create_server(self._accept, address, port)
            except OSError:
                if index == 0:
                    raise
                self.log.info("not listening on %s: it cannot be bound", address)
                continue
            self.servers.append(server)
            port = server.sockets[0].getsockname()[1]  # the same free port on every loopback
        return port

    def _accept(self) -> FramedProtocol:
        peer = NodeId(f"client-{next(self._numbers)}")
        conversation = self.conversation(peer)
        stream = FramedProtocol(
            _Tracked(self, conversation),
            name=peer,
            min_size=self.min_size,
            max_size=self.max_size,
            log=self.log,
        )
        self.conversations[peer] = conversation
        self.streams[peer] = stream
        return stream

    def offer(self, to: NodeId, message: Message) -> bool:
        conversation = self.conversations.get(to)
        if conversation is None:
            if to.startswith("client-"):
                # The connection closed and the node has not been told yet: a write into a
                # dead socket, lost without a word, as in the simulated network.
                self.log.debug("dropped %s to closed %s", type(message).__name__, to)
                return True
            return False
        conversation.respond(message)
        return True

    def close(self) -> None:
        """Stop listening and close every connection (shutdown)."""
        for server in self.servers:
            server.close()
        for stream in list(self.streams.values()):
            stream.close("shutting down", level=logging.DEBUG)


class _Tracked:
    """Passes a connection's events to its conversation, and forgets it when it closes."""

    def __init__(self, listener: Listener, conversation: Conversation) -> None:
        self.listener = listener
        self.conversation = conversation

    def on_open(self, stream: FramedProtocol) -> None:
        self.listener.log.debug("accepted %s from %s", stream.name, stream.peer_address)
        self.conversation.on_open(stream)

    def on_frame(self, stream: FramedProtocol, frame: bytes) -> None:
        self.conversation.on_frame(stream, frame)

    def wants_more(self, stream: FramedProtocol) -> bool:
        return self.conversation.wants_more(stream)

    def on_closed(self, stream: FramedProtocol, reason: str) -> None:
        peer = self.conversation.peer
        self.listener.conversations.pop(peer, None)
        self.listener.streams.pop(peer, None)
        self.conversation.on_closed(stream, reason)
        self.listener.host.connection_lost(peer)
