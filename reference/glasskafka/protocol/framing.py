"""Framing: cutting a TCP byte stream into Kafka requests and responses.

Theory of operation
-------------------
TCP delivers a stream of bytes, not messages.  Kafka puts an ``int32`` size in front of every
request and response, counting the bytes after itself (Kafka's protocol guide, "Common Request
and Response Structure"; ``reference/wire-protocol.md`` §2)::

    size int32 | header | body        (size = len(header) + len(body))

A *frame* in glasskafka is the whole thing, size prefix included.  :func:`frame` builds one;
:class:`Deframer` is a small sans-IO state machine in the h11 style: the runtime feeds it
whatever bytes the socket produced, and it hands back every complete frame, keeping the rest.

The size is checked the moment its four bytes arrive, before any buffering: below the smallest
possible header (10 bytes for a request header v1 with a null client id, 4 for a response header)
or above ``max_size`` (a broker's ``socket.request.max.bytes``, 104857600 by default), it raises
:class:`~glasskafka.protocol.errors.MalformedFrameError` and the connection must be closed.
Kafka's ``NetworkReceive`` refuses oversized and negative sizes in the same place
(``InvalidReceiveException``), so a peer that claims two gigabytes costs four bytes of memory.
After an error the deframer stays failed: a stream that lost its framing cannot be resynchronised.
Frames that were complete before the bad size in the same chunk ride on the error
(:attr:`FrameSizeError.complete_frames`), so a runtime can still handle them -- an acks=0
produce before the garbage is a real request -- before it closes the connection.

Spec IDs: none (properties in ``reference/tests/test_protocol_framing.py``).

Simplified from Kafka: Kafka also bounds the memory of all connections together
(``queued.max.request.bytes``) and mutes a connection while its request is being handled; the
runtime that drives a deframer does the latter by reading one request at a time.
"""

from __future__ import annotations

import struct

from glasskafka.config import BrokerConfig
from glasskafka.protocol.errors import MalformedFrameError
from glasskafka.protocol.primitives import Buffer

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "MIN_REQUEST_SIZE",
    "MIN_RESPONSE_SIZE",
    "SIZE_PREFIX_BYTES",
    "Deframer",
    "FrameSizeError",
    "check_frame_size",
    "frame",
    "frame_payload",
]

SIZE_PREFIX_BYTES = 4
"""The ``int32`` size in front of every frame."""

MIN_REQUEST_SIZE = 10
"""Request header v1 with a null client id: api_key 2 + api_version 2 + correlation_id 4 + 2."""

MIN_RESPONSE_SIZE = 4
"""Response header v0: the correlation id alone (an empty body is legal, e.g. Heartbeat v0)."""

DEFAULT_MAX_REQUEST_BYTES: int = BrokerConfig().socket_request_max_bytes
"""Kafka's default ``socket.request.max.bytes`` (104857600), taken from the broker config."""

_SIZE = struct.Struct(">i")


class FrameSizeError(MalformedFrameError):
    """A size prefix out of range.  Close the connection after handling ``complete_frames``."""

    def __init__(self, message: str, complete_frames: tuple[bytes, ...] = ()) -> None:
        super().__init__(message)
        self.complete_frames = complete_frames


def frame(payload: Buffer) -> bytes:
    """Prefix ``payload`` (header and body) with its ``int32`` size."""
    return _SIZE.pack(len(payload)) + bytes(payload)


def check_frame_size(size: int, *, min_size: int, max_size: int) -> None:
    """Raise :class:`FrameSizeError` unless ``min_size <= size <= max_size``."""
    if size < min_size:
        raise FrameSizeError(
            f"frame size {size} is below the smallest possible header ({min_size} bytes)"
        )
    if size > max_size:
        raise FrameSizeError(
            f"frame size {size} exceeds the limit of {max_size} bytes (socket.request.max.bytes)"
        )


def frame_payload(data: Buffer, *, min_size: int, max_size: int) -> memoryview:
    """Check that ``data`` is exactly one frame and return its payload (the bytes after the size).

    Raises :class:`MalformedFrameError` if the prefix is missing, out of range, or disagrees
    with the number of bytes that follow.
    """
    view = memoryview(data).cast("B")
    if len(view) < SIZE_PREFIX_BYTES:
        raise MalformedFrameError(f"{len(view)} bytes are too few for a frame's size prefix")
    (size,) = _SIZE.unpack(view[:SIZE_PREFIX_BYTES])
    check_frame_size(size, min_size=min_size, max_size=max_size)
    if size != len(view) - SIZE_PREFIX_BYTES:
        raise MalformedFrameError(
            f"frame size prefix says {size} bytes, but {len(view) - SIZE_PREFIX_BYTES} follow"
        )
    return view[SIZE_PREFIX_BYTES:]


class Deframer:
    """Cuts a byte stream into whole frames, checking each size as soon as it arrives."""

    __slots__ = ("_buffer", "_failed", "max_size", "min_size")

    def __init__(
        self, *, min_size: int = MIN_REQUEST_SIZE, max_size: int = DEFAULT_MAX_REQUEST_BYTES
    ) -> None:
        self.min_size = min_size
        self.max_size = max_size
        self._buffer = bytearray()
        self._failed: str | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)

    def feed(self, data: Buffer) -> list[bytes]:
        """Take the next bytes of the stream; return every frame they complete, in order.

        Raises :class:`FrameSizeError` for a size out of range, carrying the frames completed
        before it; the deframer then refuses all further input (:class:`MalformedFrameError`),
        because the stream has lost its framing: close the connection.
        """
        if self._failed is not None:
            raise MalformedFrameError(f"stream already failed: {self._failed}")
        self._buffer += data
        frames: list[bytes] = []
        while len(self._buffer) >= SIZE_PREFIX_BYTES:
            (size,) = _SIZE.unpack_from(self._buffer)
            try:
                check_frame_size(size, min_size=self.min_size, max_size=self.max_size)
            except FrameSizeError as error:
                self._failed = str(error)
                self._buffer.clear()
                raise FrameSizeError(str(error), tuple(frames)) from None
            end = SIZE_PREFIX_BYTES + size
            if len(self._buffer) < end:
                break
            frames.append(bytes(self._buffer[:end]))
            del self._buffer[:end]
        return frames
