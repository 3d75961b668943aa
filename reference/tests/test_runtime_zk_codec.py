"""The coordination service's wire format: every message round-trips; hostile bytes never crash.

``glasskafka.runtime.zk_codec`` carries the coordination messages between processes.  Its
promises, checked here:

* every message of ``glasskafka.coordination.messages`` encodes to one frame and decodes back
  to an equal message (Hypothesis over every field's range);
* the frame layout is the documented one (size, kind, ZooKeeper op code, fields);
* whatever bytes arrive -- random, truncated, a lying size, an unknown op, an undefined error
  code, text that is not UTF-8, an oversized frame -- :func:`decode_frame` raises
  :class:`ZkCodecError` and nothing else;
* a value no frame can carry (a 33-bit xid, text where bytes belong, a frame over the limit) is
  refused at encoding with :class:`ZkCodecError`, before anything could be sent.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import pytest
from glasskafka.coordination import (
    CloseSessionRequest,
    CloseSessionResponse,
    ConnectRequest,
    ConnectResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DeleteResponse,
    EventType,
    ExistsRequest,
    ExistsResponse,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    KeeperErrorCode,
    KeeperState,
    PingRequest,
    PingResponse,
    SessionId,
    SetDataRequest,
    SetDataResponse,
    Stat,
    WatchEvent,
    Zxid,
)
from glasskafka.coordination.paths import JUTE_MAXBUFFER
from glasskafka.ids import Millis
from glasskafka.node import Message
from glasskafka.protocol.framing import Deframer
from glasskafka.runtime.zk_codec import (
    MAX_FRAME_BYTES,
    MIN_FRAME_BYTES,
    ZkCodecError,
    decode_frame,
    encode_message,
    is_coordination_message,
)
from hypothesis import given
from hypothesis import strategies as st

INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
TEXT = st.text(max_size=40)
DATA = st.binary(max_size=64)

STATS = st.builds(
    Stat,
    czxid=INT64.map(Zxid),
    mzxid=INT64.map(Zxid),
    ctime_ms=INT64.map(Millis),
    mtime_ms=INT64.map(Millis),
    version=INT32,
    cversion=INT32,
    aversion=INT32,
    ephemeral_owner=INT64.map(SessionId),
    data_length=INT32,
    num_children=INT32,
    pzxid=INT64.map(Zxid),
)
ERRORS = st.sampled_from(KeeperErrorCode)
REPLY = {"xid": INT32, "zxid": INT64.map(Zxid), "error": ERRORS}

MESSAGES: st.SearchStrategy[Message] = st.one_of(
    st.builds(ConnectRequest, timeout_ms=INT32, session_id=INT64.map(SessionId)),
    st.builds(ConnectResponse, error=ERRORS, session_id=INT64.map(SessionId), timeout_ms=INT32),
    st.builds(PingRequest, xid=INT32),
    st.builds(
        CreateRequest,
        xid=INT32,
        path=TEXT,
        data=DATA,
        ephemeral=st.booleans(),
        sequential=st.booleans(),
    ),
    st.builds(DeleteRequest, xid=INT32, path=TEXT, version=INT32),
    st.builds(ExistsRequest, xid=INT32, path=TEXT, watch=st.booleans()),
    st.builds(GetDataRequest, xid=INT32, path=TEXT, watch=st.booleans()),
    st.builds(SetDataRequest, xid=INT32, path=TEXT, data=DATA, version=INT32),
    st.builds(GetChildrenRequest, xid=INT32, path=TEXT, watch=st.booleans()),
    st.builds(CloseSessionRequest, xid=INT32),
    st.builds(PingResponse, **REPLY),
    st.builds(CreateResponse, **REPLY, path=TEXT),
    st.builds(DeleteResponse, **REPLY),
    st.builds(ExistsResponse, **REPLY, stat=st.none() | STATS),
    st.builds(GetDataResponse, **REPLY, data=DATA, stat=st.none() | STATS),
    st.builds(SetDataResponse, **REPLY, stat=st.none() | STATS),
    st.builds(
        GetChildrenResponse,
        **REPLY,
        children=st.lists(TEXT, max_size=5).map(tuple),
        stat=st.none() | STATS,
    ),
    st.builds(CloseSessionResponse, **REPLY),
    st.builds(
        WatchEvent, type=st.sampled_from(EventType), state=st.sampled_from(KeeperState), path=TEXT
    ),
)

EVERY_CLASS = (
    ConnectRequest, ConnectResponse, PingRequest, PingResponse, CreateRequest, CreateResponse,
    DeleteRequest, DeleteResponse, ExistsRequest, ExistsResponse, GetDataRequest,
    GetDataResponse, SetDataRequest, SetDataResponse, GetChildrenRequest, GetChildrenResponse,
    CloseSessionRequest, CloseSessionResponse, WatchEvent,
)  # fmt: skip


# -- round trips ---------------------------------------------------------------------------------


@given(MESSAGES)
def test_every_message_round_trips(message: Message) -> None:
    frame = encode_message(message)
    assert decode_frame(frame) == message
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4


def test_every_coordination_message_class_is_carried() -> None:
    for cls in EVERY_CLASS:
        assert is_coordination_message(_example(cls)), cls.__name__


def _example(cls: type[Message]) -> Message:
    """A message of ``cls`` built from each field's simplest value."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        if spec.default is not dataclasses.MISSING:
            continue
        kind = {
            "path": "/a",
            "data": b"x",
            "error": KeeperErrorCode.OK,
            "type": EventType.NodeCreated,
            "state": KeeperState.SyncConnected,
        }
        values[spec.name] = kind.get(spec.name, 1)
    return cls(**values)


def test_a_get_data_request_has_the_documented_layout() -> None:
    frame = encode_message(GetDataRequest(xid=7, path="/zk_test", watch=True))
    body = struct.pack(">bii", 0, 4, 7) + struct.pack(">i", 8) + b"/zk_test" + b"\x01"
    assert frame == struct.pack(">i", len(body)) + body


def test_a_watch_event_is_a_notification_with_op_zero() -> None:
    frame = encode_message(
        WatchEvent(type=EventType.NodeDeleted, state=KeeperState.SyncConnected, path="/c")
    )
    assert frame[4:9] == struct.pack(">bi", 2, 0)


@given(st.lists(MESSAGES, min_size=1, max_size=5), st.integers(1, 7))
def test_frames_survive_any_split_of_the_stream(messages: list[Message], chunk: int) -> None:
    stream = b"".join(encode_message(m) for m in messages)
    deframer = Deframer(min_size=MIN_FRAME_BYTES, max_size=MAX_FRAME_BYTES)
    frames = []
    for start in range(0, len(stream), chunk):
        frames += deframer.feed(stream[start : start + chunk])
    assert [decode_frame(f) for f in frames] == messages


# -- hostile bytes ---------------------------------------------------------------------------------


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_zk_codec_error(data: bytes) -> None:
    try:
        decoded = decode_frame(data)
    except ZkCodecError:
        return
    assert decode_frame(encode_message(decoded)) == decoded  # anything accepted re-encodes


@given(MESSAGES, st.data())
def test_mutated_frames_raise_only_zk_codec_error(message: Message, data: st.DataObject) -> None:
    frame = bytearray(encode_message(message))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(4, len(frame) - 1))
        frame[position] = data.draw(st.integers(0, 255))
    try:
        decoded = decode_frame(bytes(frame))
    except ZkCodecError:
        return
    assert is_coordination_message(decoded)


@given(MESSAGES, st.integers(1, 30))
def test_truncated_frames_are_refused(message: Message, cut: int) -> None:
    frame = encode_message(message)
    shorter = frame[: max(0, len(frame) - cut)]
    with pytest.raises(ZkCodecError):
        decode_frame(shorter)


@given(MESSAGES, st.integers(-(2**31), 2**31 - 1))
def test_a_lying_size_prefix_is_refused(message: Message, size: int) -> None:
    frame = encode_message(message)
    if size == len(frame) - 4:
        return
    with pytest.raises(ZkCodecError, match="size prefix"):
        decode_frame(struct.pack(">i", size) + frame[4:])


def test_bytes_after_the_last_field_are_refused() -> None:
    frame = encode_message(PingRequest())
    padded = struct.pack(">i", len(frame) - 4 + 1) + frame[4:] + b"\x00"
    with pytest.raises(ZkCodecError, match="unexpected bytes"):
        decode_frame(padded)


@pytest.mark.parametrize(
    ("kind", "op"), [(0, 99), (3, 4), (1, 0), (2, 4), (-1, 1)], ids=lambda v: str(v)
)
def test_an_unknown_kind_or_op_is_refused(kind: int, op: int) -> None:
    body = struct.pack(">bi", kind, op) + b"\x00" * 8
    with pytest.raises(ZkCodecError, match="no coordination message"):
        decode_frame(struct.pack(">i", len(body)) + body)


def test_an_undefined_error_code_is_refused() -> None:
    body = struct.pack(">biiqi", 1, 2, 5, 9, -9999)  # DeleteResponse with error -9999
    with pytest.raises(ZkCodecError, match="KeeperErrorCode"):
        decode_frame(struct.pack(">i", len(body)) + body)


def test_text_that_is_not_utf8_is_refused() -> None:
    body = struct.pack(">biii", 0, 3, 1, 2) + b"\xff\xfe" + b"\x00"
    with pytest.raises(ZkCodecError, match="UTF-8"):
        decode_frame(struct.pack(">i", len(body)) + body)


def test_a_negative_length_is_refused() -> None:
    body = struct.pack(">biii", 0, 3, 1, -5) + b"\x00"
    with pytest.raises(ZkCodecError, match="length -5"):
        decode_frame(struct.pack(">i", len(body)) + body)


def test_a_child_count_larger_than_the_frame_is_refused() -> None:
    body = struct.pack(">biiqi", 1, 12, 1, 1, 0) + struct.pack(">i", 2**30) + b"\x00"
    with pytest.raises(ZkCodecError, match="claims"):
        decode_frame(struct.pack(">i", len(body)) + body)


def test_an_oversized_frame_is_refused_by_the_deframer_before_buffering() -> None:
    deframer = Deframer(min_size=MIN_FRAME_BYTES, max_size=MAX_FRAME_BYTES)
    with pytest.raises(ValueError, match="exceeds the limit"):
        deframer.feed(struct.pack(">i", MAX_FRAME_BYTES + 1))
    assert deframer.buffered == 0


# -- values no frame can carry ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        GetDataRequest(xid=2**31, path="/a"),
        CreateRequest(xid=1, path=b"/a", data=b""),  # type: ignore[arg-type]
        CreateRequest(xid=1, path="/a", data="text"),  # type: ignore[arg-type]
        CreateRequest(xid=1, path="/\ud800", data=b""),
        ExistsResponse(xid=1, zxid=Zxid(2**63), error=KeeperErrorCode.OK),
        DeleteResponse(xid=1, zxid=Zxid(0), error=0),  # type: ignore[arg-type]
        GetChildrenResponse(xid=1, zxid=Zxid(0), error=KeeperErrorCode.OK, children=["a"]),  # type: ignore[arg-type]
        ExistsResponse(xid=1, zxid=Zxid(0), error=KeeperErrorCode.OK, stat="s"),  # type: ignore[arg-type]
    ],
    ids=lambda m: type(m).__name__,
)
def test_values_no_frame_can_carry_are_refused_at_encoding(message: Message) -> None:
    with pytest.raises(ZkCodecError):
        encode_message(message)


def test_a_message_of_another_protocol_is_refused() -> None:
    with pytest.raises(ZkCodecError, match="not a coordination message"):
        encode_message(Message())


def test_a_frame_over_the_limit_is_refused_at_encoding() -> None:
    too_big = SetDataRequest(xid=1, path="/a", data=b"x" * (MAX_FRAME_BYTES + 1))
    with pytest.raises(ZkCodecError, match="the limit is"):
        encode_message(too_big)
    # the largest request the server accepts (jute.maxbuffer) still fits
    assert decode_frame(
        encode_message(SetDataRequest(xid=1, path="/a", data=b"x" * JUTE_MAXBUFFER))
    )
