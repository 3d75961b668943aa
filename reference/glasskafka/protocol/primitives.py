"""Kafka's primitive wire types: fixed-width integers, strings, bytes, arrays, unsigned varints.

Theory of operation
-------------------
Every Kafka message is a sequence of a few primitive types, all big-endian (Kafka's protocol
guide, "Protocol Primitive Types"; ``reference/wire-protocol.md`` §2):

===================  ====================================================================
``int8..int64``      two's complement, 1/2/4/8 bytes
``boolean``          one byte; 0 is false, anything else true (Kafka reads ``byte != 0``)
``string``           ``int16`` length N, then N bytes of UTF-8; nullable: N = -1 for null
``bytes``            ``int32`` length N, then N bytes; nullable: N = -1 for null
``records``          nullable bytes holding whole record batches, kept as bytes here
``array``            ``int32`` count N, then N elements; nullable: N = -1 for null
``unsigned_varint``  7 bits per byte, least significant first, top bit = "more follows"
===================  ====================================================================

:class:`Reader` reads them from a ``memoryview`` and :class:`Writer` appends them to a
``bytearray``.  The reader trusts nothing it reads: before it slices, it checks that the bytes are
there; a length of -1 is accepted only where null is allowed and any other negative length is
refused; an array count is checked against the bytes left (each element takes at least
``min_element_size`` bytes), so a hostile count of two billion costs nothing.  Every failure raises
:class:`~glasskafka.protocol.errors.MalformedFrameError` naming the position and the problem --
never ``IndexError``, ``struct.error``, ``UnicodeDecodeError`` or ``MemoryError``.  The writer
checks each value's Python type and range and raises
:class:`~glasskafka.protocol.errors.EncodeError` naming the value and what is allowed.

Two varint kinds.  The *unsigned* varints here belong to the flexible protocol versions (compact
lengths N+1, tagged-field ids and sizes; KIP-482).  The *zigzag* signed varints inside record
batches are a different encoding and live in ``glasskafka.records.varint``.  The names differ on
purpose: reading one as the other is the classic bug (``reference/wire-protocol.md`` §9).  The
non-flexible core uses unsigned varints only to skip the tagged fields of a request header v2.

Spec IDs: none (round-trip and hostile-input properties in
``reference/tests/test_protocol_primitives.py``).

Simplified from Kafka: ``uint16``, ``uint32``, ``float64``, ``uuid`` and the compact (flexible)
types are not needed by the non-flexible core and are left out; flexible versions are a later
chapter (``reference/wire-protocol.md`` §13).  Kafka's ``ByteUtils.readUnsignedVarint`` drops
bits beyond 32 in a fifth byte; glasskafka refuses such input, as no real peer writes it.
"""

from __future__ import annotations

import struct

from glasskafka.protocol.errors import EncodeError, MalformedFrameError

__all__ = [
    "INT_RANGES",
    "STRING_MAX_BYTES",
    "UNSIGNED_VARINT_MAX_BYTES",
    "Buffer",
    "Reader",
    "Writer",
    "decode_unsigned_varint",
    "encode_unsigned_varint",
]

Buffer = bytes | bytearray | memoryview

INT_RANGES: dict[str, tuple[int, int]] = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
"""The closed range of each fixed-width integer type."""

STRING_MAX_BYTES = 2**15 - 1
"""A string's length prefix is an ``int16``, so its UTF-8 form is at most 32767 bytes."""

UNSIGNED_VARINT_MAX_BYTES = 5
"""An unsigned varint carries 32 bits, 7 per byte, so it takes at most 5 bytes."""

_UINT32_MAX = 2**32 - 1
_BYTES_MAX = 2**31 - 1
_STRUCTS = {
    "int8": struct.Struct(">b"),
    "int16": struct.Struct(">h"),
    "int32": struct.Struct(">i"),
    "int64": struct.Struct(">q"),
}


def encode_unsigned_varint(value: int) -> bytes:
    """Encode ``0 <= value < 2**32`` as an unsigned varint (1 to 5 bytes).

    Raises :class:`EncodeError` for a value outside that range or not an ``int``.
    """
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _UINT32_MAX:
        raise EncodeError(f"unsigned varint must be an int in 0..{_UINT32_MAX}, got {value!r}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_unsigned_varint(buffer: Buffer, position: int = 0) -> tuple[int, int]:
    """Decode the unsigned varint at ``position``; return ``(value, position after it)``.

    Raises :class:`MalformedFrameError` if the input ends mid-number, the number is longer than
    5 bytes, or it does not fit in 32 bits.
    """
    value = 0
    end = min(len(buffer), position + UNSIGNED_VARINT_MAX_BYTES)
    for index in range(position, end):
        byte = buffer[index]
        value |= (byte & 0x7F) << (7 * (index - position))
        if not byte & 0x80:
            if value > _UINT32_MAX:
                raise MalformedFrameError(f"unsigned varint at {position} overflows 32 bits")
            return value, index + 1
    if end == position + UNSIGNED_VARINT_MAX_BYTES:
        raise MalformedFrameError(f"unsigned varint at {position} is longer than 5 bytes")
    raise MalformedFrameError(f"unsigned varint at {position} is cut off by the end of the frame")


class Reader:
    """Reads primitive values from a buffer, front to back, never past its end."""

    __slots__ = ("_position", "_view")

    def __init__(self, data: Buffer, position: int = 0) -> None:
        self._view = memoryview(data).cast("B")
        self._position = position

    @property
    def position(self) -> int:
        """Index of the next byte to read."""
        return self._position

    @property
    def remaining(self) -> int:
        """Bytes left after :attr:`position`."""
        return len(self._view) - self._position

    def _take(self, size: int, what: str) -> memoryview:
        """Consume ``size`` bytes, or raise if fewer remain."""
        if size > self.remaining:
            raise MalformedFrameError(
                f"{what} at position {self._position} needs {size} bytes; "
                f"only {self.remaining} remain in the frame"
            )
        start = self._position
        self._position += size
        return self._view[start : self._position]

    def read_int(self, kind: str) -> int:
        """Read a fixed-width integer; ``kind`` names it: ``"int8"`` ... ``"int64"``."""
        codec = _STRUCTS[kind]
        value: int = codec.unpack(self._take(codec.size, kind))[0]
        return value

    def read_boolean(self) -> bool:
        """Read a boolean (Kafka's ``readByte() != 0``: any non-zero byte is true)."""
        return self.read_int("int8") != 0

    def _read_length(self, kind: str, *, nullable: bool, what: str) -> int:
        """Read a length prefix; -1 means null where allowed, any other negative is malformed."""
        start = self._position
        length = self.read_int(kind)
        if length == -1 and nullable:
            return -1
        if length < 0:
            allowed = "-1 (null) or >= 0" if nullable else ">= 0 (this field is not nullable)"
            raise MalformedFrameError(f"{what} at position {start} has length {length}; {allowed}")
        return length

    def read_string(self, *, nullable: bool = False) -> str | None:
        """Read an ``int16``-length UTF-8 string (``None`` for null if ``nullable``)."""
        start = self._position
        length = self._read_length("int16", nullable=nullable, what="string")
        if length < 0:
            return None
        raw = self._take(length, "string body")
        try:
            return str(raw, "utf-8")
        except UnicodeDecodeError as error:
            raise MalformedFrameError(f"string at position {start} is not UTF-8: {error}") from None

    def read_bytes(self, *, nullable: bool = False) -> bytes | None:
        """Read ``int32``-length bytes (``None`` for null if ``nullable``)."""
        length = self._read_length("int32", nullable=nullable, what="bytes")
        if length < 0:
            return None
        return bytes(self._take(length, "bytes body"))

    def read_array_length(self, *, nullable: bool, min_element_size: int) -> int:
        """Read an array's ``int32`` count; -1 means null (only if ``nullable``).

        The count is checked against the bytes left: ``count * min_element_size`` bytes must
        remain, so a lying count is refused before anything is built from it.
        """
        start = self._position
        count = self._read_length("int32", nullable=nullable, what="array")
        if count > 0 and count * max(1, min_element_size) > self.remaining:
            raise MalformedFrameError(
                f"array at position {start} claims {count} elements of at least "
                f"{max(1, min_element_size)} bytes; only {self.remaining} bytes remain"
            )
        return count

    def read_unsigned_varint(self) -> int:
        """Read an unsigned varint (flexible versions only; see the module docstring)."""
        value, self._position = decode_unsigned_varint(self._view, self._position)
        return value

    def skip_tagged_fields(self) -> None:
        """Skip a tagged-field section: a count, then (tag, size, size bytes) per field (KIP-482).

        Used for request header v2, whose tagged fields glasskafka does not interpret.
        """
        count = self.read_unsigned_varint()
        if count * 2 > self.remaining:  # each field takes at least a tag byte and a size byte
            raise MalformedFrameError(f"{count} tagged fields cannot fit in {self.remaining} bytes")
        for _ in range(count):
            self.read_unsigned_varint()
            size = self.read_unsigned_varint()
            self._take(size, "tagged field")

    def expect_end(self, what: str) -> None:
        """Raise :class:`MalformedFrameError` if any bytes are left after ``what``."""
        if self.remaining:
            raise MalformedFrameError(
                f"{self.remaining} unexpected bytes after {what} at position {self._position}"
            )


_SIZE_PREFIX_ROOM = 4
"""The ``int32`` size in front of every frame (``framing.py``), kept by ``with_size_prefix``."""


class Writer:
    """Appends primitive values to a growing buffer, checking each value first."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def to_bytes(self) -> bytes:
        """Everything written so far."""
        return bytes(self._buffer)

    @classmethod
    def with_size_prefix(cls) -> Writer:
        """A writer whose first four bytes are kept for a frame's ``int32`` size (``to_frame``)."""
        writer = cls()
        writer._buffer += bytes(_SIZE_PREFIX_ROOM)
        return writer

    def to_frame(self) -> bytearray:
        """The buffer itself, its first four bytes set to the size of the rest: a whole frame.

        Only for a writer made by :meth:`with_size_prefix`, and nothing may be written after.
        Why: a Fetch answer carries up to ``fetch.max.bytes`` of records, and copying them
        again for :meth:`to_bytes` and again to put the size in front costs as much as sending
        them; built in place, the records are copied once, into this buffer.
        """
        _STRUCTS["int32"].pack_into(self._buffer, 0, len(self._buffer) - _SIZE_PREFIX_ROOM)
        return self._buffer

    def __len__(self) -> int:
        return len(self._buffer)

    def write_int(self, kind: str, value: int) -> None:
        """Write a fixed-width integer, checking its type and range."""
        low, high = INT_RANGES[kind]
        if not isinstance(value, int) or isinstance(value, bool):
            raise EncodeError(f"{kind} needs an int, got {type(value).__name__} {value!r}")
        if not low <= value <= high:
            raise EncodeError(f"{kind} value {value} is outside {low}..{high}")
        self._buffer += _STRUCTS[kind].pack(value)

    def write_boolean(self, value: bool) -> None:
        """Write a boolean as one byte, 1 or 0."""
        if not isinstance(value, bool):
            raise EncodeError(f"boolean needs a bool, got {type(value).__name__} {value!r}")
        self._buffer.append(1 if value else 0)

    def write_string(self, value: str | None, *, nullable: bool = False) -> None:
        """Write an ``int16``-length UTF-8 string, or -1 for ``None`` if ``nullable``."""
        if value is None and nullable:
            self._buffer += _STRUCTS["int16"].pack(-1)
            return
        if not isinstance(value, str):
            raise EncodeError(f"string needs a str, got {type(value).__name__} {value!r}")
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise EncodeError(f"string {value!r} cannot be encoded as UTF-8: {error}") from None
        if len(raw) > STRING_MAX_BYTES:
            raise EncodeError(f"string of {len(raw)} UTF-8 bytes exceeds {STRING_MAX_BYTES}")
        self._buffer += _STRUCTS["int16"].pack(len(raw))
        self._buffer += raw

    def write_bytes(self, value: Buffer | None, *, nullable: bool = False) -> None:
        """Write ``int32``-length bytes, or -1 for ``None`` if ``nullable``."""
        if value is None and nullable:
            self._buffer += _STRUCTS["int32"].pack(-1)
            return
        if not isinstance(value, bytes | bytearray | memoryview):
            raise EncodeError(f"bytes field needs bytes, got {type(value).__name__} {value!r}")
        if len(value) > _BYTES_MAX:
            raise EncodeError(f"{len(value)} bytes exceed the int32 length limit")
        self._buffer += _STRUCTS["int32"].pack(len(value))
        self._buffer += value

    def write_array_length(self, count: int | None) -> None:
        """Write an array's ``int32`` count, or -1 for a null array (``None``)."""
        self._buffer += _STRUCTS["int32"].pack(-1 if count is None else count)

    def write_unsigned_varint(self, value: int) -> None:
        """Write an unsigned varint (flexible versions only; see the module docstring)."""
        self._buffer += encode_unsigned_varint(value)
