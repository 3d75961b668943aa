"""The framed stream cuts frames exactly as the Deframer does, however TCP chops the bytes.

``FramedProtocol`` is an ``asyncio.BufferedProtocol``: the socket reads into a buffer the stream
lends it (a reused scratch buffer, or, for a frame bigger than that, a buffer of the frame's own
size).  These tests play the socket: they ask for a buffer, fill part of it, and report how much
arrived, in every chopping Hypothesis can think of.  The frames handed on must be the frames
sent, in order, each once, as ``glasskafka.protocol.framing.Deframer`` (the simple version) cuts
them; a size out of range closes the stream after the frames before it are handled, and nothing
after it is handled.  The write side hands the transport a view of the frame, never a copy.
"""

from __future__ import annotations

import asyncio
import logging

from glasskafka.protocol.framing import MIN_REQUEST_SIZE, Deframer, FrameSizeError, frame
from glasskafka.runtime.streams import SCRATCH_BYTES, FramedProtocol
from hypothesis import given
from hypothesis import strategies as st

MAX_SIZE = 4 * SCRATCH_BYTES
LOG = logging.getLogger("test_runtime_streams")


class _Handler:
    """Records what the stream hands on."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: list[str] = []

    def on_open(self, stream: FramedProtocol) -> None:
        pass

    def on_frame(self, stream: FramedProtocol, frame: bytes) -> None:
        assert isinstance(frame, bytes)
        self.frames.append(frame)

    def on_closed(self, stream: FramedProtocol, reason: str) -> None:
        self.closed.append(reason)

    def wants_more(self, stream: FramedProtocol) -> bool:
        return True


class _Transport(asyncio.Transport):
    """Enough of a transport: remembers writes and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[object] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 9) if name == "peername" else default


def _stream() -> tuple[FramedProtocol, _Handler, _Transport]:
    handler, transport = _Handler(), _Transport()
    stream = FramedProtocol(
        handler, name="client-1", min_size=MIN_REQUEST_SIZE, max_size=MAX_SIZE, log=LOG
    )
    stream.connection_made(transport)
    return stream, handler, transport


def _receive(stream: FramedProtocol, data: bytes, cuts: list[int]) -> None:
    """Deliver ``data`` as the socket would, in reads of at most the given sizes (cycled)."""
    position, turn = 0, 0
    while position < len(data) and stream.closed_reason is None:
        buffer = stream.get_buffer(-1)
        assert len(buffer) > 0, "the stream lent an empty buffer"
        size = min(cuts[turn % len(cuts)], len(buffer), len(data) - position)
        buffer[:size] = data[position : position + size]
        stream.buffer_updated(size)
        position, turn = position + size, turn + 1


_payloads = st.lists(
    st.one_of(
        st.binary(min_size=MIN_REQUEST_SIZE, max_size=64),
        st.integers(min_value=SCRATCH_BYTES - 64, max_value=SCRATCH_BYTES + 4096).map(
            lambda n: bytes([n % 251]) * n
        ),
    ),
    max_size=6,
)
_big_read = st.integers(4096, 3 * SCRATCH_BYTES)
_cuts = st.tuples(st.lists(st.one_of(st.integers(1, 16), _big_read), max_size=4), _big_read).map(
    lambda drawn: [*drawn[0], drawn[1]]  # one big read in every cycle keeps a run short
)


@given(payloads=_payloads, cuts=_cuts)
def test_every_frame_arrives_once_in_order_however_tcp_chops_it(
    payloads: list[bytes], cuts: list[int]
) -> None:
    frames = [frame(payload) for payload in payloads]
    stream, handler, _ = _stream()
    _receive(stream, b"".join(frames), cuts)
    assert handler.frames == frames == Deframer(max_size=MAX_SIZE).feed(b"".join(frames))
    assert stream.closed_reason is None


@given(
    before=st.lists(st.binary(min_size=MIN_REQUEST_SIZE, max_size=40), max_size=3),
    size=st.one_of(
        st.integers(-(2**31), MIN_REQUEST_SIZE - 1), st.integers(MAX_SIZE + 1, 2**31 - 1)
    ),
    cuts=_cuts,
)
def test_a_bad_size_closes_the_stream_after_the_frames_before_it(
    before: list[bytes], size: int, cuts: list[int]
) -> None:
    good = [frame(payload) for payload in before]
    tail = size.to_bytes(4, "big", signed=True) + b"never handled" * 3 + frame(b"y" * 20)
    stream, handler, transport = _stream()
    _receive(stream, b"".join(good) + tail, cuts)
    assert handler.frames == good
    assert stream.closed_reason is not None and stream.closed_reason.startswith("bad frame size")
    assert transport.closing
    try:
        Deframer(max_size=MAX_SIZE).feed(b"".join(good) + tail)
    except FrameSizeError as error:
        assert list(error.complete_frames) == good  # the simple version agrees
    else:
        raise AssertionError("the deframer accepted a bad size")


def test_a_large_frame_is_received_into_a_buffer_of_its_own() -> None:
    payload = bytes(range(256)) * (SCRATCH_BYTES // 64)
    stream, handler, _ = _stream()
    data = frame(payload)
    buffer = stream.get_buffer(-1)
    buffer[:100] = data[:100]
    stream.buffer_updated(100)
    rest = stream.get_buffer(-1)
    assert len(rest) == len(data) - 100  # exactly the rest of the frame, not the scratch
    rest[:] = data[100:]
    stream.buffer_updated(len(rest))
    assert handler.frames == [data]
    assert len(stream.get_buffer(-1)) == SCRATCH_BYTES  # back to the scratch buffer


def test_nothing_is_handled_after_the_stream_closed() -> None:
    stream, handler, _ = _stream()
    stream.close("test", level=logging.DEBUG)
    _receive(stream, frame(b"z" * 30), [1000])
    buffer = stream.get_buffer(-1)
    buffer[:4] = b"\x00\x00\x00\x20"
    stream.buffer_updated(4)
    assert handler.frames == []


def test_a_frame_is_written_whole_as_a_view_not_a_copy() -> None:
    stream, _, transport = _stream()
    answer = bytearray(frame(b"a" * 1000))
    stream.write_frame(answer)
    (written,) = transport.written
    assert isinstance(written, memoryview) and written.obj is answer
