"""A framed TCP stream: bytes in, whole frames out; whole frames in, bytes out.

Theory of operation
-------------------
Both protocols glasskafka speaks on sockets -- Kafka's and the coordination service's -- put an
``int32`` size in front of every frame (Kafka's protocol guide, "Common Request and Response
Structure"; ``zk_codec.py``).  :class:`FramedProtocol` is the one asyncio protocol behind every
connection, inbound or outbound: it feeds what the socket reads into a
:class:`~glasskafka.protocol.framing.Deframer` and hands each whole frame, in order, to a
:class:`FrameHandler`.  Writing is the other half: :meth:`FramedProtocol.write_frame` takes one
*whole* frame, already encoded, so a connection never carries half a message (DESIGN §7, "never
a partial write").

Closing is deliberate and logged.  :meth:`FramedProtocol.close` records the reason (a size out of
range, an undecodable frame, a peer that hung up), stops reading, and closes the transport, which
first flushes what was already written.  The handler hears about it exactly once, through
:meth:`FrameHandler.on_closed`, however the connection ended.

A size prefix is checked the moment its four bytes arrive: above ``max_size``
(``socket.request.max.bytes`` for a broker) the stream fails at once, without buffering the body,
as Kafka's ``NetworkReceive`` does; frames completed before the bad size are still handled.

Back-pressure: while the handler reports that too many answers are owed
(:meth:`FrameHandler.wants_more` is false), the stream stops reading from the socket and resumes
when it is asked to.  This bounds the memory a client that pipelines without reading can take.

Spec IDs: none.

Simplified from Kafka: Kafka's ``SocketServer`` runs acceptor and processor threads with
selectors and caps the memory of all connections together (``queued.max.request.bytes``);
glasskafka has one event loop and caps each connection's pipeline instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from glasskafka.protocol.errors import MalformedFrameError
from glasskafka.protocol.framing import Deframer, FrameSizeError

__all__ = ["FrameHandler", "FramedProtocol"]


class FrameHandler(Protocol):
    """What a connection does with its frames (implemented per protocol and direction)."""

    def on_open(self, stream: FramedProtocol) -> None:
        """The connection is up; ``stream`` can be written to."""

    def on_frame(self, stream: FramedProtocol, frame: bytes) -> None:
        """One whole frame arrived (size prefix included)."""

    def on_closed(self, stream: FramedProtocol, reason: str) -> None:
        """The connection is gone, for ``reason``; called once."""

    def wants_more(self, stream: FramedProtocol) -> bool:
        """Whether to keep reading from the socket (false pauses it)."""


class FramedProtocol(asyncio.Protocol):
    """One TCP connection carrying size-prefixed frames."""

    def __init__(
        self,
        handler: FrameHandler,
        *,
        name: str,
        min_size: int,
        max_size: int,
        log: logging.Logger,
    ) -> None:
        self.handler = handler
        self.name = name
        self.log = log
        self.deframer = Deframer(min_size=min_size, max_size=max_size)
        self.transport: asyncio.Transport | None = None
        self.closed_reason: str | None = None
        self.peer_address = "?"
        self._paused = False

    # -- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer_address = f"{peer[0]}:{peer[1]}"
        self.handler.on_open(self)

    def data_received(self, data: bytes) -> None:
        if self.closed_reason is not None:
            return
        try:
            frames = self.deframer.feed(data)
        except FrameSizeError as error:
            self._handle(error.complete_frames)
            self.close(f"bad frame size: {error}")
            return
        except MalformedFrameError as error:  # the deframer had already failed
            self.close(f"bad stream: {error}")
            return
        self._handle(frames)

    def _handle(self, frames: list[bytes] | tuple[bytes, ...]) -> None:
        for frame in frames:
            if self.closed_reason is not None:
                return
            self.handler.on_frame(self, frame)
        self.update_reading()

    def eof_received(self) -> bool | None:
        return None  # close our side too: a half-closed Kafka connection is a closed one

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed_reason is None:
            self.closed_reason = "closed by the peer" if exc is None else f"lost: {exc}"
            self.log.debug(
                "connection %s (%s) %s", self.name, self.peer_address, self.closed_reason
            )
        self.transport = None
        self.handler.on_closed(self, self.closed_reason)

    # -- for handlers ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.transport is not None and self.closed_reason is None

    def write_frame(self, frame: bytes) -> None:
        """Write one whole, already-encoded frame (dropped if the connection is closing)."""
        if self.transport is not None and self.closed_reason is None:
            self.transport.write(frame)

    def close(self, reason: str, *, level: int = logging.WARNING) -> None:
        """Close the connection for ``reason`` (logged once); what was written is flushed."""
        if self.closed_reason is not None:
            return
        self.closed_reason = reason
        self.log.log(level, "closing connection %s (%s): %s", self.name, self.peer_address, reason)
        if self.transport is not None:
            self.transport.close()

    def update_reading(self) -> None:
        """Pause or resume reading as the handler wants (see "Back-pressure" above)."""
        if self.transport is None or self.closed_reason is not None:
            return
        wanted = self.handler.wants_more(self)
        if wanted and self._paused:
            self._paused = False
            self.transport.resume_reading()
        elif not wanted and not self._paused:
            self._paused = True
            self.transport.pause_reading()
