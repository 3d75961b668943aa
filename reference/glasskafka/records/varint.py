"""Zigzag varints and varlongs: the variable-length signed integers inside a RecordBatch v2.

Theory of operation
-------------------
Every length, delta and count inside a v2 record is a *signed* integer written the way Protocol
Buffers writes ``sint32``/``sint64`` (Kafka's ``ByteUtils.writeVarint`` / ``writeVarlong``):

1. **Zigzag** maps signed to unsigned so that small magnitudes stay small whatever their sign:
   0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, ...  (``(n << 1) ^ (n >> 31)`` for 32 bits).  This matters
   because ``-1`` (a null key or value) is common and must cost one byte, not five.
2. **Base 128**: the unsigned result is cut into 7-bit groups, least significant first; every
   byte but the last has its top bit (0x80) set to say "more follows".

A varint carries a 32-bit value, so it is at most 5 bytes (5 x 7 = 35 >= 32); a varlong carries
64 bits in at most 10 bytes.  A longer encoding, or a last byte whose bits would overflow the
width, is malformed and raises :class:`~glasskafka.records.header.CorruptRecordError`, as does
input that ends in the middle of a number.

Rules kept here:

- Decoding never reads past the buffer and never trusts a byte it has not bounds-checked.
- The names say *zigzag* on purpose.  The flexible protocol fields use *unsigned* varints
  (compact lengths N+1, tagged fields); those live in ``glasskafka.protocol`` and must never be
  mixed with these (``reference/wire-protocol.md`` §9, "Two varint kinds").

Spec IDs: none (a pure codec; its round-trip properties are tested in
``reference/tests/test_records_varint.py``).

Simplified from Kafka: Kafka's ``ByteUtils.readVarint`` accepts a fifth byte with bits beyond
32 and silently drops them (Java ``int`` overflow); glasskafka refuses such non-canonical input.
No real producer writes it, and refusing it keeps decode(encode(x)) == x a two-way promise.
"""

from __future__ import annotations

from glasskafka.records.header import CorruptRecordError

__all__ = [
    "VARINT_MAX_BYTES",
    "VARLONG_MAX_BYTES",
    "decode_zigzag_varint",
    "decode_zigzag_varlong",
    "encode_zigzag_varint",
    "encode_zigzag_varlong",
    "zigzag_varint_size",
    "zigzag_varlong_size",
]

VARINT_MAX_BYTES = 5
"""The longest legal encoding of a 32-bit zigzag varint."""

VARLONG_MAX_BYTES = 10
"""The longest legal encoding of a 64-bit zigzag varlong."""

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Buffer = bytes | bytearray | memoryview


def _zigzag(value: int) -> int:
    """Map a signed integer to an unsigned one (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...)."""
    # Python integers are unbounded, so ``value >> 63`` is 0 or -1 for any int64, and the XOR
    # gives the same result as the fixed-width formula in Kafka's ByteUtils.
    return (value << 1) ^ (value >> 63)


def _unzigzag(raw: int) -> int:
    """Invert :func:`_zigzag`."""
    return (raw >> 1) ^ -(raw & 1)


def _encode(raw: int) -> bytes:
    """Write an unsigned integer in base-128 groups, least significant first."""
    out = bytearray()
    while raw >= 0x80:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


def _decode(buffer: Buffer, position: int, *, max_bytes: int, bits: int) -> tuple[int, int]:
    """Read one base-128 unsigned integer of at most ``bits`` bits; return (raw, next position)."""
    if position < 0:
        raise ValueError(f"position must be >= 0, got {position}")
    end = len(buffer)
    # Most lengths and deltas in a record are below 64 and fit one byte: answer those at once.
    if position < end and buffer[position] < 0x80:
        return buffer[position], position + 1
    raw = 0
    shift = 0
    for index in range(position, min(end, position + max_bytes)):
        byte = buffer[index]
        raw |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if raw >> bits:
                raise CorruptRecordError(f"varint at position {position} overflows {bits} bits")
            return raw, index + 1
        shift += 7
    if position + max_bytes <= end:
        raise CorruptRecordError(f"varint at position {position} is longer than {max_bytes} bytes")
    raise CorruptRecordError(f"varint at position {position} is cut off by the end of the data")


def encode_zigzag_varint(value: int) -> bytes:
    """Encode a signed 32-bit integer as a zigzag varint (1 to 5 bytes).

    Raises ``ValueError`` if ``value`` is outside the int32 range.
    """
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise ValueError(f"varint value {value} is outside the int32 range")
    return _encode(_zigzag(value))


def encode_zigzag_varlong(value: int) -> bytes:
    """Encode a signed 64-bit integer as a zigzag varlong (1 to 10 bytes).

    Raises ``ValueError`` if ``value`` is outside the int64 range.
    """
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"varlong value {value} is outside the int64 range")
    return _encode(_zigzag(value))


def decode_zigzag_varint(buffer: Buffer, position: int = 0) -> tuple[int, int]:
    """Decode the zigzag varint at ``position``; return ``(value, position after it)``.

    Raises :class:`CorruptRecordError` if the input ends mid-number, is longer than 5 bytes, or
    encodes more than 32 bits.
    """
    raw, after = _decode(buffer, position, max_bytes=VARINT_MAX_BYTES, bits=32)
    return _unzigzag(raw), after


def decode_zigzag_varlong(buffer: Buffer, position: int = 0) -> tuple[int, int]:
    """Decode the zigzag varlong at ``position``; return ``(value, position after it)``.

    Raises :class:`CorruptRecordError` if the input ends mid-number, is longer than 10 bytes,
    or encodes more than 64 bits.
    """
    raw, after = _decode(buffer, position, max_bytes=VARLONG_MAX_BYTES, bits=64)
    return _unzigzag(raw), after


def _size(raw: int) -> int:
    """Bytes needed for an unsigned integer in base-128 groups."""
    return max(1, (raw.bit_length() + 6) // 7)


def zigzag_varint_size(value: int) -> int:
    """How many bytes :func:`encode_zigzag_varint` writes for ``value`` (int32 range)."""
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise ValueError(f"varint value {value} is outside the int32 range")
    return _size(_zigzag(value))


def zigzag_varlong_size(value: int) -> int:
    """How many bytes :func:`encode_zigzag_varlong` writes for ``value`` (int64 range)."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"varlong value {value} is outside the int64 range")
    return _size(_zigzag(value))
