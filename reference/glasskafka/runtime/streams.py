"""A framed TCP stream: bytes in, whole frames out; whole frames in, bytes out.

Theory of operation
-------------------
Both protocols glasskafka speaks on sockets -- Kafka's and the coordination service's -- put an
``int32`` size in front of every frame (Kafka's protocol guide, "Common Request and Response
Structure"; ``zk_codec.py``).  :class:`FramedProtocol` is the one asyncio protocol behind every
connection, inbound or outbound: it cuts what the socket reads into whole frames and hands each,
in order, to a :class:`FrameHandler`.  Writing is the other half:
:meth:`FramedProtocol.write_frame` takes one *whole* frame, already encoded, so a connection never
carries half a message (DESIGN §7, "never a partial write").

Closing is deliberate and logged.  :meth:`FramedProtocol.close` records the reason (a size out of
range, an undecodable frame, a peer that hung up), stops reading, and closes the transport, which
first flushes what was already written.  The handler hears about it exactly once, through
:meth:`FrameHandler.on_closed`, however the connection ended.

A size prefix is checked the moment its four bytes arrive
(:func:`~glasskafka.protocol.framing.check_frame_size`): above ``max_size``
(``socket.request.max.bytes`` for a broker) the stream fails at once, without buffering the body,
as Kafka's ``NetworkReceive`` does; frames completed before the bad size are still handled.

**The fast path.**  The simple way to cut frames is :class:`~glasskafka.protocol.framing.Deframer`:
append every chunk the socket gives to a buffer, slice whole frames off its front.  That copies
every byte three times (into the buffer, the slice, the frame), and a producer's megabyte batch
or a follower's megabyte Fetch answer then costs more to cut than to receive.  So this is an
``asyncio.BufferedProtocol``: the socket reads *into* a buffer this class lends it
(``get_buffer``).  Small frames arrive in a reused 256 KiB scratch buffer and are copied out
once each; a frame too big for it gets a buffer of exactly its size, the bytes already received
are moved there, and the socket fills the rest in place -- one copy, to hand the handler
``bytes``.  The checks and the order of frames are the deframer's.

Back-pressure: while the handler reports that too many answers are owed
(:meth:`FrameHandler.wants_more` is false), the stream stops reading from the socket and resumes
when it is asked to.  This bounds the memory a client that pipelines without reading can take.

Spec IDs: none.

Simplified from Kafka: Kafka's ``SocketServer`` runs acceptor and processor threads with
selectors and caps the memory of all connections together (``queued.max.request.bytes``);
glasskafka has one event loop and caps each connection's pipeline instead.  Like Kafka's
``NetworkReceive``, it allocates a large frame's whole buffer once its size is known (and
checked against ``max_size``).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Protocol

from glasskafka.protocol.framing import SIZE_PREFIX_BYTES, FrameSizeError, check_frame_size

__all__ = ["SCRATCH_BYTES", "FrameHandler", "FramedProtocol"]

SCRATCH_BYTES = 256 * 1024
"""The reused receive buffer for small frames: as much as asyncio reads at once by default."""

_SIZE = struct.Struct(">i")


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


class FramedProtocol(asyncio.BufferedProtocol):
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
        self.min_size = min_size
        self.max_size = max_size
        self.transport: asyncio.Transport | None = None
        self.closed_reason: str | None = None
        self.peer_address = "?"
        self._paused = False
        # Received bytes not yet cut into frames: the first ``_filled`` bytes of ``_scratch``,
        # or, while one large frame arrives, the first ``_large_filled`` bytes of ``_large``.
        self._scratch = bytearray(SCRATCH_BYTES)
        self._filled = 0
        self._large: bytearray | None = None
        self._large_filled = 0

    # -- asyncio.BufferedProtocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer_address = f"{peer[0]}:{peer[1]}"
        self.handler.on_open(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the socket's next bytes go: the rest of a large frame, or the scratch buffer."""
        if self._large is not None:
            return memoryview(self._large)[self._large_filled :]
        return memoryview(self._scratch)[self._filled :]

    def buffer_updated(self, nbytes: int) -> None:
        if self.closed_reason is not None:
            return
        if self._large is None:
            self._filled += nbytes
            self._cut_frames()
            return
        self._large_filled += nbytes
        if self._large_filled == len(self._large):
            frame, self._large = bytes(self._large), None
            self._handle([frame])

    def _cut_frames(self) -> None:
        """Hand on every whole frame in the scratch buffer; keep the start of the next.

        A size out of range closes the stream after the frames before it are handled.  A frame
        bigger than the scratch buffer moves to a buffer of its own, which the socket fills.
        """
        view, start = memoryview(self._scratch), 0
        frames: list[bytes] = []
        while self._filled - start >= SIZE_PREFIX_BYTES:
            (size,) = _SIZE.unpack_from(self._scratch, start)
            try:
                check_frame_size(size, min_size=self.min_size, max_size=self.max_size)
            except FrameSizeError as error:
                self._handle(frames)
                self.close(f"bad frame size: {error}")
                return
            end = start + SIZE_PREFIX_BYTES + size
            if end <= self._filled:
                frames.append(bytes(view[start:end]))
                start = end
                continue
            if end - start > len(self._scratch):
                self._large = bytearray(end - start)
                self._large_filled = self._filled - start
                self._large[: self._large_filled] = view[start : self._filled]
                start = self._filled
            break
        rest = self._filled - start
        if start and rest:
            # A copy, not a slice assignment from ``view``: the regions may overlap.
            self._scratch[:rest] = bytes(view[start : self._filled])
        self._filled = rest
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

    def write_frame(self, frame: bytes | bytearray) -> None:
        """Write one whole, already-encoded frame (dropped if the connection is closing).

        The frame goes to the transport as a ``memoryview``: when the socket takes only part of
        it, asyncio keeps ``data[sent:]``, which for ``bytes`` would be a copy of the rest of a
        megabyte Fetch answer and for a view is not.  The frame must not change afterwards;
        nobody keeps a reference to it but the transport.
        """
        if self.transport is not None and self.closed_reason is None:
            self.transport.write(memoryview(frame))

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
