"""Framing: the int32 size prefix, and cutting a byte stream into frames.

Checks ``glasskafka.protocol.framing`` against ``reference/wire-protocol.md`` §2: the size counts
the bytes after itself; sizes below the smallest header or above ``socket.request.max.bytes`` are
refused as soon as their four bytes arrive (nothing is buffered for them); and however TCP
chops the stream, the deframer hands back exactly the frames that were sent.
"""

from __future__ import annotations

import itertools

import pytest
from glasskafka.protocol.errors import MalformedFrameError
from glasskafka.protocol.framing import (
    DEFAULT_MAX_REQUEST_BYTES,
    MIN_REQUEST_SIZE,
    Deframer,
    FrameSizeError,
    frame,
    frame_payload,
)
from hypothesis import given
from hypothesis import strategies as st


def test_the_size_prefix_counts_the_bytes_after_itself() -> None:
    assert frame(b"0123456789") == b"\x00\x00\x00\x0a0123456789"


def test_the_default_limit_is_kafkas_socket_request_max_bytes() -> None:
    assert DEFAULT_MAX_REQUEST_BYTES == 104857600


def test_frame_payload_returns_the_bytes_after_the_size() -> None:
    payload = frame_payload(frame(b"x" * 10), min_size=MIN_REQUEST_SIZE, max_size=100)
    assert bytes(payload) == b"x" * 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "too few for a frame's size prefix"),
        (b"\x00\x00\x00\x09" + b"x" * 9, "below the smallest possible header"),
        (b"\xff\xff\xff\xff", "below the smallest possible header"),
        (b"\x00\x00\x00\x65" + b"x" * 101, "exceeds the limit of 100 bytes"),
        (b"\x00\x00\x00\x0b" + b"x" * 10, "says 11 bytes, but 10 follow"),
        (b"\x00\x00\x00\x0a" + b"x" * 11, "says 10 bytes, but 11 follow"),
    ],
)
def test_frame_payload_refuses_bad_sizes(data: bytes, message: str) -> None:
    with pytest.raises(MalformedFrameError, match=message):
        frame_payload(data, min_size=MIN_REQUEST_SIZE, max_size=100)


@given(
    payloads=st.lists(st.binary(min_size=MIN_REQUEST_SIZE, max_size=40), max_size=6),
    cuts=st.lists(st.integers(0, 300), max_size=10),
)
def test_any_chopping_of_the_stream_yields_the_frames_sent(
    payloads: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(frame(payload) for payload in payloads)
    bounds = sorted({0, len(stream), *(cut for cut in cuts if cut < len(stream))})
    deframer = Deframer(max_size=100)
    received: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        received += deframer.feed(stream[start:end])
    assert received == [frame(payload) for payload in payloads]
    assert deframer.buffered == 0


def test_a_partial_frame_waits_for_the_rest() -> None:
    deframer = Deframer()
    whole = frame(b"0123456789")
    assert deframer.feed(whole[:7]) == []
    assert deframer.buffered == 7
    assert deframer.feed(whole[7:]) == [whole]


def test_an_oversized_claim_is_refused_before_its_body_arrives() -> None:
    # A peer claiming 2 GiB costs four bytes, never 2 GiB (Kafka: InvalidReceiveException).
    deframer = Deframer(max_size=1000)
    with pytest.raises(MalformedFrameError, match="exceeds the limit of 1000 bytes"):
        deframer.feed(b"\x7f\xff\xff\xff")
    assert deframer.buffered == 0


def test_a_failed_stream_stays_failed() -> None:
    deframer = Deframer()
    with pytest.raises(MalformedFrameError, match="below the smallest possible header"):
        deframer.feed(b"\x00\x00\x00\x01x")
    with pytest.raises(MalformedFrameError, match="stream already failed: frame size 1"):
        deframer.feed(frame(b"0123456789"))


def test_frames_before_a_bad_size_ride_on_the_error() -> None:
    # An acks=0 produce followed by garbage in one TCP segment is still a real request: the
    # runtime handles it from the error, then closes the connection.
    deframer = Deframer()
    good = frame(b"0123456789")
    with pytest.raises(FrameSizeError, match="frame size 0") as caught:
        deframer.feed(good + good + b"\x00\x00\x00\x00")
    assert caught.value.complete_frames == (good, good)


@given(chunks=st.lists(st.binary(max_size=30), max_size=8))
def test_any_byte_stream_yields_frames_or_a_frame_size_error(chunks: list[bytes]) -> None:
    deframer = Deframer(max_size=64)
    try:
        for chunk in chunks:
            for whole in deframer.feed(chunk):
                assert MIN_REQUEST_SIZE <= int.from_bytes(whole[:4], "big") == len(whole) - 4 <= 64
    except MalformedFrameError:
        with pytest.raises(MalformedFrameError, match="stream already failed"):
            deframer.feed(b"")
