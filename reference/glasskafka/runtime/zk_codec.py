"""The coordination service's wire format: its messages as length-prefixed frames.

Theory of operation
-------------------
The coordination service speaks its own messages (``glasskafka.coordination.messages``), not
Kafka's.  On a real socket each travels as one frame, shaped after ZooKeeper's packets (a length,
then an operation code, then the record's fields in order; ZooKeeper's ``ClientCnxn`` and the jute
records in ``zookeeper.jute``)::

    size int32 | kind int8 | op int32 | fields...      (size counts the bytes after itself)

* ``kind`` says which way the frame goes: 0 a request, 1 a response, 2 a watch notification;
* ``op`` is ZooKeeper's ``OpCode`` of the operation: ``createSession`` -10, ``closeSession`` -11,
  ``create`` 1, ``delete`` 2, ``exists`` 3, ``getData`` 4, ``setData`` 5, ``ping`` 11,
  ``getChildren2`` 12, and ``notification`` 0 for a watch event.  A response carries the op of
  the request it answers;
* fields follow in the dataclass's order: ``int32`` / ``int64`` big-endian; text and data as an
  ``int32`` length then the bytes (text in UTF-8); a flag as one byte; an error code, event type
  or keeper state as ZooKeeper's ``int32``; an optional ``Stat`` as a presence byte then its
  eleven fields in ZooKeeper's order; a list of names as an ``int32`` count then each name.

So unlike ZooKeeper's own responses, every frame names its type: a reader needs no memory of what
it asked, which keeps :func:`decode_frame` a pure function that can be fed anything.

Hostile input: :func:`decode_frame` trusts nothing.  A size that disagrees with the bytes, an
unknown kind or op, a negative length, a count larger than the bytes left, text that is not
UTF-8, an error code ZooKeeper does not define, bytes left over -- each raises
:class:`ZkCodecError` naming the problem, and nothing else ever escapes.  A frame larger than
:data:`MAX_FRAME_BYTES` is refused before it is buffered, as ZooKeeper refuses a packet longer
than ``jute.maxbuffer`` ("Packet len is out of range").  The reader closes the connection.

Spec IDs: none (a codec; round-trip and hostile-input tests in
``reference/tests/test_runtime_zk_codec.py``).  The messages it carries keep COORD-5 and COORD-7.

Simplified from Kafka: ZooKeeper's real wire format (jute records, a reply header whose type the
client infers from its queue of pending requests, ACL lists, ``multi``) is what Kafka's brokers
speak; glasskafka's coordination service carries its own, smaller messages, so a real ``zkCli.sh``
cannot connect to it, and its ``zk-shell`` cannot connect to a real ZooKeeper.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from glasskafka.coordination.codes import EventType, KeeperErrorCode, KeeperState
from glasskafka.coordination.messages import (
    CloseSessionRequest,
    CloseSessionResponse,
    ConnectRequest,
    ConnectResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DeleteResponse,
    ExistsRequest,
    ExistsResponse,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    PingRequest,
    PingResponse,
    SetDataRequest,
    SetDataResponse,
    WatchEvent,
)
from glasskafka.coordination.paths import JUTE_MAXBUFFER
from glasskafka.coordination.znode import Stat
from glasskafka.node import Message
from glasskafka.protocol.errors import CodecError
from glasskafka.protocol.framing import SIZE_PREFIX_BYTES, frame
from glasskafka.protocol.primitives import Buffer, Reader, Writer

__all__ = [
    "MAX_FRAME_BYTES",
    "MIN_FRAME_BYTES",
    "FrameKind",
    "ZkCodecError",
    "decode_frame",
    "encode_message",
    "is_coordination_message",
]

MIN_FRAME_BYTES = 5
"""The smallest possible frame after its size prefix: the kind byte and the op code."""

MAX_FRAME_BYTES = JUTE_MAXBUFFER + 4096
"""The largest frame either side accepts: ZooKeeper's ``jute.maxbuffer`` and room for headers."""


class ZkCodecError(ValueError):
    """Bytes that are not a frame of the coordination protocol, or a value no frame can carry."""


class FrameKind(enum.IntEnum):
    """Which way a frame travels."""

    REQUEST = 0
    RESPONSE = 1
    NOTIFICATION = 2


# The type of each field, by name, across every message (the names are shared on purpose: an
# ``xid`` is always an int32, a ``zxid`` always an int64, as in ZooKeeper's jute records).
_FIELD_TYPES: dict[str, str] = {
    "xid": "int32",
    "zxid": "int64",
    "timeout_ms": "int32",
    "session_id": "int64",
    "version": "int32",
    "path": "text",
    "data": "data",
    "ephemeral": "flag",
    "sequential": "flag",
    "watch": "flag",
    "error": "error",
    "type": "event_type",
    "state": "keeper_state",
    "stat": "stat",
    "children": "names",
}

_STAT_FIELDS: tuple[tuple[str, str], ...] = (
    ("czxid", "int64"),
    ("mzxid", "int64"),
    ("ctime_ms", "int64"),
    ("mtime_ms", "int64"),
    ("version", "int32"),
    ("cversion", "int32"),
    ("aversion", "int32"),
    ("ephemeral_owner", "int64"),
    ("data_length", "int32"),
    ("num_children", "int32"),
    ("pzxid", "int64"),
)
"""ZooKeeper's ``Stat`` record, field by field, in its jute order."""

_TABLE: tuple[tuple[FrameKind, int, type[Message]], ...] = (
    (FrameKind.REQUEST, -10, ConnectRequest),
    (FrameKind.REQUEST, -11, CloseSessionRequest),
    (FrameKind.REQUEST, 1, CreateRequest),
    (FrameKind.REQUEST, 2, DeleteRequest),
    (FrameKind.REQUEST, 3, ExistsRequest),
    (FrameKind.REQUEST, 4, GetDataRequest),
    (FrameKind.REQUEST, 5, SetDataRequest),
    (FrameKind.REQUEST, 11, PingRequest),
    (FrameKind.REQUEST, 12, GetChildrenRequest),
    (FrameKind.RESPONSE, -10, ConnectResponse),
    (FrameKind.RESPONSE, -11, CloseSessionResponse),
    (FrameKind.RESPONSE, 1, CreateResponse),
    (FrameKind.RESPONSE, 2, DeleteResponse),
    (FrameKind.RESPONSE, 3, ExistsResponse),
    (FrameKind.RESPONSE, 4, GetDataResponse),
    (FrameKind.RESPONSE, 5, SetDataResponse),
    (FrameKind.RESPONSE, 11, PingResponse),
    (FrameKind.RESPONSE, 12, GetChildrenResponse),
    (FrameKind.NOTIFICATION, 0, WatchEvent),
)
"""Every message the coordination protocol carries, with its kind and ZooKeeper op code."""

_BY_CLASS: dict[type[Message], tuple[FrameKind, int]] = {cls: (k, op) for k, op, cls in _TABLE}
_BY_CODE: dict[tuple[int, int], type[Message]] = {(int(k), op): cls for k, op, cls in _TABLE}
_ENUMS: dict[str, type[enum.IntEnum]] = {
    "error": KeeperErrorCode,
    "event_type": EventType,
    "keeper_state": KeeperState,
}


def is_coordination_message(message: Message) -> bool:
    """Whether ``message`` is one this codec carries."""
    return type(message) in _BY_CLASS


# ---------------------------------------------------------------------------------------------
# Encoding


def encode_message(message: Message) -> bytes:
    """Encode ``message`` as one whole frame, size prefix included.

    Raises :class:`ZkCodecError` if it is not a coordination message, if a field holds a value
    its type cannot carry (a 33-bit ``xid``, text where bytes belong), or if the frame would
    exceed :data:`MAX_FRAME_BYTES`.  Nothing is written anywhere: the caller sends all or nothing.
    """
    code = _BY_CLASS.get(type(message))
    if code is None:
        raise ZkCodecError(f"{type(message).__name__} is not a coordination message")
    writer = Writer()
    try:
        writer.write_int("int8", int(code[0]))
        writer.write_int("int32", code[1])
        for spec in dataclasses.fields(message):
            _write_field(writer, spec.name, getattr(message, spec.name))
    except CodecError as error:
        raise ZkCodecError(f"cannot encode {type(message).__name__}: {error}") from None
    if len(writer) > MAX_FRAME_BYTES:
        raise ZkCodecError(
            f"{type(message).__name__} takes {len(writer)} bytes; the limit is {MAX_FRAME_BYTES}"
        )
    return frame(writer.to_bytes())


def _write_field(writer: Writer, name: str, value: Any) -> None:
    kind = _FIELD_TYPES[name]
    if kind in ("int32", "int64"):
        writer.write_int(kind, value)
    elif kind == "text":
        _write_text(writer, value)
    elif kind == "data":
        writer.write_bytes(value)
    elif kind == "flag":
        writer.write_boolean(value)
    elif kind in _ENUMS:
        if not isinstance(value, _ENUMS[kind]):
            raise ZkCodecError(f"{name}={value!r} is not a {_ENUMS[kind].__name__}")
        writer.write_int("int32", int(value))
    elif kind == "stat":
        _write_stat(writer, value)
    else:  # "names"
        if not isinstance(value, tuple):
            raise ZkCodecError(f"{name}={value!r} is not a tuple of names")
        writer.write_array_length(len(value))
        for child in value:
            _write_text(writer, child)


def _write_text(writer: Writer, value: Any) -> None:
    if not isinstance(value, str):
        raise ZkCodecError(f"text field needs a str, got {type(value).__name__} {value!r}")
    try:
        writer.write_bytes(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ZkCodecError(f"text {value!r} cannot be encoded as UTF-8: {error}") from None


def _write_stat(writer: Writer, stat: Any) -> None:
    if stat is None:
        writer.write_boolean(False)
        return
    if not isinstance(stat, Stat):
        raise ZkCodecError(f"stat field needs a Stat or None, got {stat!r}")
    writer.write_boolean(True)
    for name, kind in _STAT_FIELDS:
        writer.write_int(kind, getattr(stat, name))


# ---------------------------------------------------------------------------------------------
# Decoding


def decode_frame(data: Buffer) -> Message:
    """Decode one whole frame (size prefix included) into the message it carries.

    Raises :class:`ZkCodecError` for anything that is not exactly one well-formed frame.
    """
    view = memoryview(data).cast("B")
    if len(view) < SIZE_PREFIX_BYTES + MIN_FRAME_BYTES:
        raise ZkCodecError(f"{len(view)} bytes are too few for a coordination frame")
    size = int.from_bytes(view[:SIZE_PREFIX_BYTES], "big", signed=True)
    if size != len(view) - SIZE_PREFIX_BYTES or size > MAX_FRAME_BYTES:
        raise ZkCodecError(
            f"frame size prefix says {size} bytes, but {len(view) - SIZE_PREFIX_BYTES} follow "
            f"(the limit is {MAX_FRAME_BYTES})"
        )
    reader = Reader(view, SIZE_PREFIX_BYTES)
    try:
        kind = reader.read_int("int8")
        op = reader.read_int("int32")
        cls = _BY_CODE.get((kind, op))
        if cls is None:
            raise ZkCodecError(f"no coordination message has kind {kind} and op {op}")
        values = {spec.name: _read_field(reader, spec.name) for spec in dataclasses.fields(cls)}
        reader.expect_end(f"the {cls.__name__} frame")
    except CodecError as error:
        raise ZkCodecError(str(error)) from None
    return cls(**values)


def _read_field(reader: Reader, name: str) -> Any:
    kind = _FIELD_TYPES[name]
    if kind in ("int32", "int64"):
        return reader.read_int(kind)
    if kind == "text":
        return _read_text(reader)
    if kind == "data":
        return reader.read_bytes()
    if kind == "flag":
        return reader.read_boolean()
    if kind in _ENUMS:
        number = reader.read_int("int32")
        try:
            return _ENUMS[kind](number)
        except ValueError:
            raise ZkCodecError(f"{name} {number} is not a {_ENUMS[kind].__name__}") from None
    if kind == "stat":
        if not reader.read_boolean():
            return None
        fields: dict[str, Any] = {field: reader.read_int(width) for field, width in _STAT_FIELDS}
        return Stat(**fields)
    count = reader.read_array_length(nullable=False, min_element_size=4)
    return tuple(_read_text(reader) for _ in range(count))


def _read_text(reader: Reader) -> str:
    raw = reader.read_bytes()
    assert raw is not None  # not nullable: the reader refuses -1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ZkCodecError(f"text is not UTF-8: {error}") from None
